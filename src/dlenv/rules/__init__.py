"""Diagnosis rules: pure functions from a Snapshot to findings, with stable codes."""

from __future__ import annotations

from collections.abc import Iterable

from dlenv.rules.findings import Finding
from dlenv.rules.registry import all_rules
from dlenv.snapshot.model import Snapshot


def diagnose(
    snapshot: Snapshot,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every registered rule (or only `select`, minus `ignore`) over a Snapshot."""
    chosen = set(select) if select is not None else None
    skipped = set(ignore or ())
    findings: list[Finding] = []
    for rule in all_rules():
        if (chosen is not None and rule.code not in chosen) or rule.code in skipped:
            continue
        findings.extend(rule.check(snapshot))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.code))
