"""The real-report corpus (tests/corpus/README.md): reading its files and scoring `dlenv explain`
on them, per split. Used by tests/corpus/test_corpus.py and scripts/corpus_eval.py.

A report scores when every expected item is among the error/warning findings (an item `A|B` by
either code); a healthy report (`expected: none`) scores when no error finding is produced.
DL901 ("unexplained") never counts as naming a cause.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from dlenv.errors import DlenvError
from dlenv.importers import decode
from dlenv.importers.explain import explain_text

HERE = Path(__file__).parent
REPORTS = HERE / "reports"
SPLIT = HERE / "split.toml"
REQUIRED = ("source", "resolution", "expected", "family")


@dataclass(frozen=True)
class Report:
    path: Path
    repo: str  # owner/name
    header: dict[str, str]

    @property
    def expected(self) -> list[frozenset[str]]:
        value = self.header["expected"].strip()
        if value == "none":
            return []
        return [frozenset(item.split("|")) for item in value.split()]

    @property
    def healthy(self) -> bool:
        return self.header["expected"].strip() == "none"

    @property
    def family(self) -> str:
        return self.header["family"].strip()

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


@dataclass(frozen=True)
class Outcome:
    report: Report
    codes: frozenset[str]  # error and warning findings
    errors: frozenset[str]  # error findings alone
    ok: bool
    first: str | None = None  # the first error/warning finding, the one a user reads first


def read_header(path: Path) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in path.read_text("utf-8", errors="replace").splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, _, value = line[2:].partition(":")
        if key.strip() not in REQUIRED:
            break
        header[key.strip()] = value.strip()
    return header


def body(text: str) -> str:
    """The pasted text without the header: the resolution and labels are never shown to
    `dlenv explain` (they name the answer)."""
    lines = text.splitlines(keepends=True)
    n = 0
    for line in lines:
        key, sep, _ = line[2:].partition(":")
        if not (line.startswith("# ") and sep and key.strip() in REQUIRED):
            break
        n += 1
    return "".join(lines[n:])


def reports() -> list[Report]:
    out = []
    for path in sorted(REPORTS.glob("*/*.txt")):
        owner, _, name = path.parent.name.partition("__")
        out.append(Report(path, f"{owner}/{name}", read_header(path)))
    return out


def split() -> dict[str, str]:
    """repo -> "dev" or "test"."""
    data = tomllib.loads(SPLIT.read_text("utf-8"))
    out: dict[str, str] = {}
    for part in ("dev", "test"):
        for repo in data.get(part, {}).get("repos", []):
            out[repo.lower()] = part
    return out


def run(report: Report) -> Outcome:
    text = body(decode(report.path.read_bytes(), report.path.name))
    try:
        result = explain_text(text, report.path.name, probe=False)
        findings = result.report.findings
    except DlenvError:
        findings = []
    ranked = [f.code for f in findings if f.severity in ("error", "warning")]
    codes = frozenset(ranked)
    errors = frozenset(f.code for f in findings if f.severity == "error")
    ok = not errors if report.healthy else all(item & codes for item in report.expected)
    return Outcome(report, codes, errors, ok, ranked[0] if ranked else None)


def score(part: str | None = None) -> list[Outcome]:
    where = split()
    return [run(r) for r in reports() if part is None or where.get(r.repo.lower(), "dev") == part]
