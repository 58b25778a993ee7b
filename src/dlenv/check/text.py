"""The plain-text verdict of `dlenv check`: one line per requirement, then the result.

Printed after the doctor's console report; plain text (no colour) so CI logs stay greppable.
"""

from __future__ import annotations

from dlenv.check.model import OUTCOME_WORDS, PolicyResult, RequirementResult
from dlenv.report.visible import visible

MARKS = {"pass": "✓", "fail": "✗", "unchecked": "?"}
FINDING_MARKS = {"fail": "✗", "pass": "·", "ignored": "-"}


def requirement_line(r: RequirementResult) -> str:
    """`✗ fail             GPUs: needed at least 1, found 0 (no NVIDIA driver)`"""
    line = f"{MARKS[r.outcome]} {OUTCOME_WORDS[r.outcome]:<15} {r.title}: needed {r.needed}, "
    line += f"found {r.found}"
    return line + (f" ({r.detail})" if r.detail and r.outcome != "pass" else "")


def verdict(result: PolicyResult) -> str:
    c = result.counts
    total = c.passed + c.failed + c.unchecked
    parts = [f"{c.passed} of {total} requirements met"]
    if c.failed:
        parts.append(f"{c.failed} failed")
    if c.unchecked:
        parts.append(
            f"{c.unchecked} could not be checked"
            + (" (counted as failed)" if result.strict else " (allowed by --allow-unknown)")
        )
    if c.findings_failed:
        parts.append(f"{c.findings_failed} finding(s) count as failures")
    if c.findings_ignored:
        parts.append(f"{c.findings_ignored} finding(s) ignored")
    if not result.passed:
        word = "FAILED"
    elif total and not c.passed:
        word = "NOT VERIFIED"  # --allow-unknown and nothing could be checked: never "PASSED"
    else:
        word = "PASSED"
    return word + ": " + ", ".join(parts)


def unchecked_advice(result: PolicyResult) -> str | None:
    """How to make the requirements that could not be checked checkable, and what they count as."""
    n = result.counts.unchecked
    if not n:
        return None
    what = "requirement" if n == 1 else "requirements"
    counted = (
        "they count as failed (--allow-unknown lets them pass)"
        if result.strict
        else "--allow-unknown lets them pass; without it they fail the check"
    )
    return (
        f"{n} {what} could not be checked: {counted}. To check them, run `dlenv check` on the "
        "runner itself (not --from a saved report) and without --quick; each line above says "
        "what was missing."
    )


def render_result(result: PolicyResult) -> str:
    lines = [
        f"Policy {result.source}" + (f" (only {', '.join(result.only)})" if result.only else "")
    ]
    lines += [f"  {requirement_line(r)}" for r in result.requirements]
    if not result.requirements:
        lines.append("  (no requirements)")
    for f in result.findings:
        if f.outcome != "pass":
            word = "fail" if f.outcome == "fail" else "ignored"
            lines.append(f"  {FINDING_MARKS[f.outcome]} {word:<15} {f.code} {f.name}: {f.title}")
    advice = unchecked_advice(result)
    if advice:
        lines.append(advice)
    lines.append(f"dlenv check {verdict(result)}")
    return visible("\n".join(lines)) + "\n"
