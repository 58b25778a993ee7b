"""Versions newer than dlenv's knowledge base: say why the table-based checks are silent.

Code DL405. A framework release newer than the KB's last row gets an info-level note instead of
a guess from an older row, so a quiet report is not mistaken for a checked one.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.kb.queries import newer_than_kb
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import Snapshot


@rule("DL405", "newer-than-knowledge-base", "info", "frameworks")
def newer_than_knowledge_base(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a torch or TensorFlow release, or a CUDA toolkit, newer than the last
    row of dlenv's knowledge base.

    Why it matters: the checks that need the release's row (the GPU architectures a torch
    wheel was built for, the Python range a TensorFlow release supports, a toolkit's minimum
    driver) have nothing to compare with, so they stay silent. The checks that read the
    installed files (the wheel's own CUDA version against the driver) still run.

    Example: torch 2.17.0+cu132 with a knowledge base whose last torch row is 2.14.

    Fix: upgrade dlenv (`pipx upgrade dlenv`) for a newer knowledge base; `dlenv kb torch`
    shows what it knows.
    """
    candidates: list[tuple[str, str | None, str]] = []
    for name in ("torch", "tensorflow"):
        fw = s.framework(name)
        if fw is not None:
            candidates.append((name, fw.version, f"frameworks.{name}.version"))
    for toolkit in s.cuda.toolkits:
        candidates.append(("cuda", toolkit.version, f"cuda.toolkits[{toolkit.path}].version"))
    seen: set[tuple[str, str]] = set()
    for table, version, fact in candidates:
        horizon = newer_than_kb(table, version)  # type: ignore[arg-type]
        if horizon is None or (table, horizon.version) in seen:
            continue
        seen.add((table, horizon.version))
        yield finding(
            "DL405",
            title=horizon.newer,
            message=horizon.message + ".",
            evidence=[Evidence(fact=fact, found=horizon.version, needed=f"<= {horizon.last}.x")],
            hint="Upgrade dlenv for a newer knowledge base (`pipx upgrade dlenv` or "
            "`pip install -U dlenv`).",
            subject=table,
        )
