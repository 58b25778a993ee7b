"""Every error finding a user can act on carries at least one fix.

The bad machines are the rule tests' own: every `test_dl…` function in tests/rules runs while
`Rule.check` records what it finds, so a new rule (which must have such a test) is covered
without a list to keep up to date.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.rules.findings import Finding
from dlenv.rules.registry import Rule
from dlenv.snapshot.model import Snapshot

HERE = Path(__file__).parent

# Error findings that may come without a fix, each with the reason no command can be offered.
# Empty: even the last resorts (DL403 an import that crashed, DL404 a GPU the framework does not
# see for a reason no rule knows) say what to run and collect.
NO_FIX_NEEDED: dict[str, str] = {}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Finding]]:
    found: list[Finding] = []
    original = Rule.check

    def check(self: Rule, snapshot: Snapshot, others: list[Finding] | None = None) -> list[Finding]:
        out = original(self, snapshot, others)
        found.extend(out)
        return out

    monkeypatch.setattr(Rule, "check", check)
    yield found


def _rule_tests() -> list[object]:
    tests = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.stem == "test_fixes_everywhere":
            continue
        module = importlib.import_module(f"tests.rules.{path.stem}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_dl") and not inspect.signature(fn).parameters:
                tests.append(fn)
    return tests


def test_every_error_finding_on_the_bad_machines_has_a_fix(recorded: list[Finding]) -> None:
    for fn in _rule_tests():
        fn()  # type: ignore[operator]
    errors = [f for f in recorded if f.severity == "error"]
    codes = {f.code for f in errors}
    assert len(codes) >= 25, sorted(codes)  # the harvest really ran the rules' bad machines
    without = sorted(
        {f"{f.code}: {f.title}" for f in errors if not f.fixes and f.code not in NO_FIX_NEEDED}
    )
    assert without == []
