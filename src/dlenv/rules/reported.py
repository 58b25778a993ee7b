"""Rules about errors quoted in a pasted log or traceback (`dlenv explain`) that no other rule
explains, so that an error is never met with silence. Codes DL9xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import ManualStep
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import all_rules, finding, get_rule, rule
from dlenv.snapshot.model import ReportedError, Snapshot

UNRECOGNISED = "unrecognised-error"  # dlenv.importers.signatures.UNRECOGNISED
# Catch-all codes a symptom message names ("torch sees no GPU", "the import failed"): any other
# problem found is a better explanation of it than these.
SYMPTOMS = frozenset({"DL403", "DL404"})
SHOWN = 5  # error lines quoted as evidence
# Rules that explain a catalogue message but are not yet in its `rules` (the catalogue is being
# moved to data files): fold into the signature's entry there, then drop from here.
ALSO_EXPLAINED_BY: dict[str, tuple[str, ...]] = {"no-kernel-image": ("DL305",)}


def _signature_rules(signature: str) -> tuple[str, ...]:
    # the catalogue is loaded only when a paste quoted something: `dlenv doctor` never pays
    from dlenv.importers.signatures import BY_ID

    known = BY_ID.get(signature)
    return known.rules if known is not None else ()


class _Others:
    """What the other rules say about the same Snapshot, each rule run at most once."""

    def __init__(self, s: Snapshot) -> None:
        self.s = s
        self.fired: dict[str, bool] = {}
        self._any: bool | None = None

    def fires(self, code: str) -> bool:
        if code not in self.fired:
            r = get_rule(code)
            self.fired[code] = r is not None and bool(r.check(self.s))
        return self.fired[code]

    def any_problem(self) -> bool:
        """Whether any rule outside DL9xx finds an error or a warning."""
        if self._any is None:
            self._any = any(
                f.severity in ("error", "warning")
                for r in all_rules()
                if not r.code.startswith("DL9")
                for f in r.check(self.s)
            )
        return self._any


def _unexplained(s: Snapshot) -> list[ReportedError]:
    others = _Others(s)
    out: list[ReportedError] = []
    for e in s.reported_errors:
        if e.harmless:
            continue
        rules = (*_signature_rules(e.signature), *ALSO_EXPLAINED_BY.get(e.signature, ()))
        codes = [c for c in rules if not c.startswith("DL9")]
        if any(others.fires(c) for c in codes):
            continue  # one of the rules that usually explain this message fired
        if codes and not SYMPTOMS.intersection(codes):
            out.append(e)
        elif not others.any_problem():
            # an error line no signature knows (or a message no rule covers): explained by
            # whatever else was found, since a traceback often wraps the real message
            out.append(e)
    return out


@rule("DL901", "reported-error-unexplained", "warning", "reported")
def reported_error_unexplained(s: Snapshot) -> Iterator[Finding]:
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
    if not any(not e.harmless for e in s.reported_errors):
        return
    errors = _unexplained(s)
    if not errors:
        return
    first = errors[0].text.splitlines()[0][:200]
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
                found=e.text.splitlines()[0][:200],
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
