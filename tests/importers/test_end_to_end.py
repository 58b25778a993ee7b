"""Every fixture paste through the importer and the real rules (text alone, no probing): the root
cause a maintainer established must be the top finding; healthy reports raise no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.importers import decode, import_text
from dlenv.rules import Finding, diagnose, get_rule
from tests.importers.expected_causes import EXPECTED_CAUSES

DATA = Path(__file__).parent / "data"


def _findings(name: str) -> list[Finding]:
    imported = import_text(decode((DATA / name).read_bytes(), name), name)
    return diagnose(imported.snapshot)


def _summary(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.title) for f in findings]


@pytest.mark.parametrize(
    ("name", "code"),
    [(name, code) for name, code, _ in EXPECTED_CAUSES if code is not None],
)
def test_root_cause_is_the_top_finding(name: str, code: str) -> None:
    findings = _findings(name)
    codes = [f.code for f in findings]
    assert code in codes, _summary(findings)
    ours = next(f for f in findings if f.code == code)
    errors = [f for f in findings if f.severity == "error"]
    if ours.severity == "error":
        assert errors[0].code == code, _summary(findings)
    else:
        # a warning-level cause must not sit under an error that names something else
        assert errors == [], _summary(findings)
        assert findings[0].code == code, _summary(findings)


@pytest.mark.parametrize("name", [name for name, code, _ in EXPECTED_CAUSES if code is None])
def test_healthy_report_raises_no_error(name: str) -> None:
    findings = _findings(name)
    assert [f for f in findings if f.severity == "error"] == [], _summary(findings)


def test_expected_causes_are_well_formed() -> None:
    names = [name for name, _, _ in EXPECTED_CAUSES]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(
        p.name for p in DATA.iterdir() if p.is_file() and p.name != "not_a_report.txt"
    )
    for _, code, why in EXPECTED_CAUSES:
        assert code is None or get_rule(code) is not None, code
        assert why
