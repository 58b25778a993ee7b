"""Diagnosis rules: pure functions from a Snapshot to findings, with stable codes."""

from __future__ import annotations

from collections.abc import Iterable

from dlenv.rules.findings import Finding
from dlenv.rules.registry import ANY, Rule, all_rules, get_rule
from dlenv.snapshot.model import Snapshot

__all__ = ["Finding", "Rule", "all_rules", "diagnose", "drop_explained", "get_rule"]

_ORDER = {"error": 0, "warning": 1, "info": 2}


def drop_explained(findings: list[Finding]) -> list[Finding]:
    """Drop each finding that another finding explains, as its rule's `explained_by` says.

    Judged against the full list at once, so the order of rules never matters.
    """
    rules = {r.code: r for r in all_rules()}
    return [
        f
        for f in findings
        if not (r := rules.get(f.code)) or not any(r.explained(f, by) for by in findings)
    ]


def _matches(rule: Rule, selectors: set[str]) -> bool:
    """A selector is a code ("DL101"), a code prefix ("DL1") or a rule name."""
    return any(rule.code.startswith(s.upper()) or rule.name == s for s in selectors if s.strip())


def _needed(chosen: list[Rule], every: list[Rule]) -> list[Rule]:
    """The rules to run so that `chosen` can be judged: the rules that explain them, and every
    rule when a chosen rule reads the others' findings or is explained by any of them."""
    if any(r.final or ANY in r.explained_by for r in chosen):
        return [r for r in every if not r.final]
    codes = {r.code for r in chosen}
    grown = True
    while grown:
        more = {
            o.code
            for r in every
            if r.code in codes
            for o in every
            if not o.final and any(o.code.startswith(c) for c in r.explained_by)
        }
        grown = not more <= codes
        codes |= more
    return [r for r in every if r.code in codes and not r.final]


def diagnose(
    snapshot: Snapshot,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every registered rule (or only `select`, minus `ignore`) over a Snapshot.

    One place decides what explains what: each rule runs on its own, then the findings that
    other findings explain are dropped (`explained_by`), then the final rules (DL901) judge
    what is left unexplained.
    """
    every = all_rules()
    selected = set(select) if select is not None else None
    skipped = set(ignore or ())
    chosen = [
        r
        for r in every
        if (selected is None or _matches(r, selected)) and not (skipped and _matches(r, skipped))
    ]
    raw: list[Finding] = []
    for rule in _needed(chosen, every):
        raw.extend(rule.check(snapshot))
    kept = drop_explained(raw)
    for rule in chosen:
        if rule.final:
            kept.extend(rule.check(snapshot, raw))
    wanted = {r.code for r in chosen}
    findings = [f for f in kept if f.code in wanted]
    ordered = sorted(findings, key=lambda f: (_ORDER[f.severity], f.code, f.subject or ""))
    named = {f.code for f in ordered if f.severity != "info"}
    if len(named) < 2:
        return ordered
    # a paste that gives two causes or more: the one likelier for reports like it first, errors
    # and warnings alike (a CPU-only build, a warning, is often the cause beside an error)
    from dlenv.rules import reported

    likely = reported.cause_likelihoods(snapshot)
    if not likely:
        return ordered
    return sorted(ordered, key=lambda f: (f.severity == "info", -likely.get(f.code, 0.0)))
