"""The result of holding a report against a policy: plain frozen data, part of the JSON report.

Kept free of imports from `dlenv.report` so that the report envelope can embed it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["pass", "fail", "unchecked"]  # "unchecked": the facts to decide are missing
FindingOutcome = Literal["fail", "pass", "ignored"]

OUTCOME_WORDS: dict[str, str] = {"pass": "pass", "fail": "fail", "unchecked": "could not check"}


@dataclass(frozen=True, kw_only=True)
class RequirementResult:
    """One requirement of the policy, what it needed and what this machine has."""

    key: str  # the policy key as written: "min_gpus", "frameworks.torch", "health.max_processes"
    title: str  # "GPUs", "torch version", "torch uses the GPU"
    outcome: Outcome
    needed: str  # "at least 2", ">=2.3"
    found: str  # "1 (NVIDIA A100-SXM4-80GB)", "unknown"
    detail: str | None = None  # why it failed or could not be checked


@dataclass(frozen=True, kw_only=True)
class FindingResult:
    """A doctor finding as the policy counts it: a failure, harmless, or ignored."""

    code: str
    name: str
    severity: Literal["error", "warning", "info"]
    title: str
    message: str
    outcome: FindingOutcome
    subject: str | None = None


@dataclass(frozen=True, kw_only=True)
class PolicyCounts:
    passed: int = 0
    failed: int = 0
    unchecked: int = 0
    findings_failed: int = 0
    findings_ignored: int = 0


@dataclass(frozen=True, kw_only=True)
class PolicyResult:
    """The verdict of `dlenv check`: every requirement and finding, and whether the gate passes."""

    source: str  # the policy file
    passed: bool
    strict: bool = True  # "could not check" counted as a failure (not with --allow-unknown)
    only: list[str] = field(default_factory=list)  # frameworks selected with --only; [] = all
    requirements: list[RequirementResult] = field(default_factory=list)
    findings: list[FindingResult] = field(default_factory=list)
    counts: PolicyCounts = field(default_factory=PolicyCounts)
