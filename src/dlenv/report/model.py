"""The report envelope: a Snapshot plus the findings about it, as written by `--format json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dlenv.check.model import PolicyResult
from dlenv.rules.derived import GpuArchitecture, gpu_architectures
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import SCHEMA_VERSION, Snapshot


@dataclass(frozen=True, kw_only=True)
class Summary:
    errors: int = 0
    warnings: int = 0
    infos: int = 0


@dataclass(frozen=True, kw_only=True)
class Report:
    kind: Literal["dlenv-report"] = "dlenv-report"
    schema_version: int = SCHEMA_VERSION
    dlenv_version: str = ""
    created_at: str = ""
    snapshot: Snapshot = field(default_factory=Snapshot)
    findings: list[Finding] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    # facts the rules derive for the reader: each GPU's compute capability, stated or by name
    gpu_architectures: list[GpuArchitecture] = field(default_factory=list)
    policy: PolicyResult | None = None  # set by `dlenv check`


def make_report(snapshot: Snapshot, findings: list[Finding]) -> Report:
    from dlenv import __version__

    return Report(
        dlenv_version=__version__,
        created_at=snapshot.created_at,
        snapshot=snapshot,
        findings=findings,
        gpu_architectures=gpu_architectures(snapshot),
        summary=Summary(
            errors=sum(f.severity == "error" for f in findings),
            warnings=sum(f.severity == "warning" for f in findings),
            infos=sum(f.severity == "info" for f in findings),
        ),
    )
