"""The fleet as plain frozen data: what was read, what drifts, and the verdict.

Kept apart from reading (`dlenv.fleet.inputs`), judging (`dlenv.fleet.merge`,
`dlenv.fleet.consistency`) and rendering (`dlenv.fleet.render`), like the doctor's pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dlenv.check.model import PolicyResult, RequirementResult

FLEET_SCHEMA_VERSION = 1

ProblemKind = Literal["unreadable", "duplicate", "partial"]


@dataclass(frozen=True, kw_only=True)
class InputProblem:
    """A report that could not be used whole: unreadable (never judged), a duplicate of a
    node already read (the older one is dropped), or partial (some facts could not be read)."""

    source: str  # "reports/gpu017.json", "pod/dlenv-doctor-x7k2p/doctor", "<stdin> line 4"
    kind: ProblemKind
    message: str
    node: str | None = None


@dataclass(frozen=True, kw_only=True)
class NodeFinding:
    code: str
    name: str
    severity: Literal["error", "warning", "info"]
    title: str
    subject: str | None = None


@dataclass(frozen=True, kw_only=True)
class Node:
    """One node's report, reduced to what the fleet compares; the full report is not kept."""

    name: str  # the host name the report gives, else its source
    source: str
    created_at: str = ""
    facts: dict[str, str] = field(default_factory=dict)  # fact key -> value as shown
    gpus: int | None = None  # GPUs the node has; None: could not tell
    findings: list[NodeFinding] = field(default_factory=list)
    policy: PolicyResult | None = None  # [check] held against this node's report


@dataclass(frozen=True, kw_only=True)
class FactValue:
    value: str
    nodes: list[str]


@dataclass(frozen=True, kw_only=True)
class FactDrift:
    """One fact over the fleet: each value with its nodes, the most common (the majority) first."""

    key: str  # "driver", "frameworks.torch"
    title: str  # "NVIDIA driver"
    values: list[FactValue]  # never empty

    @property
    def majority(self) -> FactValue:
        return self.values[0]

    @property
    def others(self) -> list[FactValue]:
        return self.values[1:]

    @property
    def total(self) -> int:
        return sum(len(v.nodes) for v in self.values)

    @property
    def drifts(self) -> bool:
        return len(self.values) > 1


@dataclass(frozen=True, kw_only=True)
class FindingGroup:
    """One rule's findings across nodes: "DL105 on 3 nodes: gpu[017-018,031]"."""

    code: str
    name: str
    severity: Literal["error", "warning", "info"]
    title: str  # the title most nodes got
    nodes: list[str]


@dataclass(frozen=True, kw_only=True)
class ConsistencyResult:
    """One [fleet] rule, judged; `nodes` are those it blames (the ones that differ)."""

    requirement: RequirementResult
    nodes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class FleetVerdict:
    source: str  # the policy file
    passed: bool
    strict: bool = True
    failed_nodes: list[str] = field(default_factory=list)  # failed [check] or blamed by [fleet]
    consistency: list[ConsistencyResult] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Fleet:
    kind: Literal["dlenv-fleet"] = "dlenv-fleet"
    schema_version: int = FLEET_SCHEMA_VERSION
    dlenv_version: str = ""
    sources: list[str] = field(default_factory=list)  # what was asked for: paths, "-"
    nodes: list[Node] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    drift: list[FactDrift] = field(default_factory=list)
    findings: list[FindingGroup] = field(default_factory=list)
    verdict: FleetVerdict | None = None  # with --policy

    @property
    def unreadable(self) -> list[InputProblem]:
        return [p for p in self.problems if p.kind == "unreadable"]
