"""Diagnosis rules: pure functions from a Snapshot to findings, with stable codes."""

from __future__ import annotations

from collections.abc import Iterable

from dlenv.rules.findings import Finding
from dlenv.rules.registry import Rule, all_rules, get_rule
from dlenv.snapshot.model import Snapshot

__all__ = ["Finding", "Rule", "all_rules", "diagnose", "get_rule"]

_ORDER = {"error": 0, "warning": 1, "info": 2}

# Catch-all findings that only state a symptom ("torch sees no GPU"): when a more specific
# error or warning about the same subject explains it, the symptom adds nothing but noise.
SYMPTOM_CODES = frozenset({"DL404"})


def _drop_explained_symptoms(findings: list[Finding]) -> list[Finding]:
    explained = {
        f.subject
        for f in findings
        if f.code not in SYMPTOM_CODES and f.severity in ("error", "warning") and f.subject
    }
    return [f for f in findings if f.code not in SYMPTOM_CODES or f.subject not in explained]


def _matches(rule: Rule, selectors: set[str]) -> bool:
    """A selector is a code ("DL101"), a code prefix ("DL1") or a rule name."""
    return any(rule.code.startswith(s.upper()) or rule.name == s for s in selectors if s.strip())


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
        if chosen is not None and not _matches(rule, chosen):
            continue
        if skipped and _matches(rule, skipped):
            continue
        findings.extend(rule.check(snapshot))
    findings = _drop_explained_symptoms(findings)
    return sorted(findings, key=lambda f: (_ORDER[f.severity], f.code, f.subject or ""))
