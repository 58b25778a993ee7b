"""Rules about errors quoted in a pasted log or traceback (`dlenv explain`) that no other rule
explains, so that an error is never met with silence. Codes DL9xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import ManualStep
from dlenv.rules.derived import in_prose
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.registry import finding, get_rule, rule
from dlenv.snapshot.model import ReportedError, Snapshot

UNRECOGNISED = "unrecognised-error"  # dlenv.importers.signatures.UNRECOGNISED
SHOWN = 5  # error lines quoted as evidence


def _signature_rules(signature: str) -> tuple[str, ...]:
    # the catalogue is loaded only when a paste quoted something: `dlenv doctor` never pays
    from dlenv.importers.signatures import BY_ID

    known = BY_ID.get(signature)
    return known.rules if known is not None else ()


def _unexplained(s: Snapshot, others: list[Finding]) -> list[ReportedError]:
    """The quoted errors that the other rules' findings (`others`, before any was dropped as
    explained) do not explain."""
    fired = {f.code for f in others}
    any_problem = any(
        f.severity in ("error", "warning") for f in others if not f.code.startswith("DL9")
    )
    out: list[ReportedError] = []
    for e in s.reported_errors:
        # a statement in the reporter's words is no error a program printed
        if e.harmless or in_prose(e.signature):
            continue
        codes = [c for c in _signature_rules(e.signature) if not c.startswith("DL9")]
        if fired.intersection(codes):
            continue  # one of the rules that usually explain this message fired
        causes = [c for c in codes if (r := get_rule(c)) is not None and not r.symptom]
        if causes and len(causes) == len(codes):
            out.append(e)
        elif not any_problem:
            # an error line no signature knows (or a message only symptom rules cover):
            # explained by whatever else was found, since a traceback often wraps the real message
            out.append(e)
    return out


@rule("DL901", "reported-error-unexplained", "warning", "reported", final=True)
def reported_error_unexplained(s: Snapshot, others: list[Finding]) -> Iterator[Finding]:
    """What it checks: errors quoted in a pasted log or traceback (`dlenv explain`) that no
    other rule explains: a known message none of whose usual rules fires (for example "Found no
    NVIDIA driver" when the paste does not show the GPU), or an error line dlenv has no
    signature for (a Python exception, "CUDA error: …", a crash) while no other rule finds a
    problem. Known-harmless TensorFlow start-up noise is never counted.

    Why it matters: "No problems found" under a traceback reads as "your environment is fine",
    which the text alone cannot tell; the error stays unexplained, and saying so points to the
    facts that are missing.

    Example: a paste holding only `RuntimeError: CUDA error: an illegal memory access was
    encountered`; or "Found no NVIDIA driver on your system" without `lspci` or `nvidia-smi`.

    Fix: run `dlenv doctor` on the machine that printed the error (its probes see the driver,
    libraries and packages a paste leaves out) and attach `dlenv doctor --format json` to the
    report.
    """
    if not any(not e.harmless and not in_prose(e.signature) for e in s.reported_errors):
        return
    errors = _unexplained(s, others)
    if not errors:
        return
    first = first_line(errors[0].text, 200)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    yield finding(
        "DL901",
        title="An error in the paste is not explained by any rule"
        if len(errors) == 1
        else f"{len(errors)} errors in the paste are not explained by any rule",
        message=f'The paste shows "{first}"{more}, and the facts it states do not show the cause.',
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=first_line(e.text, 200),
                note=None if e.signature == UNRECOGNISED else e.meaning,
            )
            for e in errors[:SHOWN]
        ],
        hint="Run dlenv on the machine itself: it sees the driver, CUDA libraries and packages "
        "that the paste leaves out.",
        fixes=[
            ManualStep(
                text="Run dlenv doctor on the machine that printed the error and attach its JSON "
                "report.",
                commands=["dlenv doctor", "dlenv doctor --format json > dlenv-report.json"],
            )
        ],
        subject="reported",
    )
