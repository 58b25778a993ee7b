"""A finding: what a rule concluded about a Snapshot, with its evidence and fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dlenv.fix.actions import Action

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """One fact that triggered a finding, with what was needed beside what was found."""

    fact: str  # dotted path into the Snapshot: "driver.version", "frameworks.torch.cuda_version"
    found: str | None
    needed: str | None = None
    note: str | None = None  # "needed by torch 2.3.1+cu121"


@dataclass(frozen=True, kw_only=True)
class Finding:
    code: str  # "DL101"
    name: str  # "driver-too-old-for-cuda-runtime"
    severity: Severity
    title: str  # one line
    message: str  # the cause, in a sentence or two, with the actual values
    evidence: list[Evidence] = field(default_factory=list)
    hint: str | None = None
    fixes: list[Action] = field(default_factory=list)
    subject: str | None = None  # the framework, GPU or file it is about
    docs_url: str | None = None
    confirmed_by: str | None = None  # "live" when a live probe confirmed or decided it


def first_line(text: str, limit: int = 200) -> str:
    """The first line of a quoted message, at most `limit` characters ("" for an empty one)."""
    lines = text.splitlines()
    return lines[0][:limit] if lines else ""


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold]
