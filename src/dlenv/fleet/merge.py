"""`dlenv fleet`'s core: read every node report, reduce each to its facts, findings and policy
verdict as it is read (the full report is dropped), then compare the nodes.

Memory grows with the nodes' names and the distinct values, not the reports' size: a report is
parsed, reduced and released before the next one is read; equal values are interned. Only the
fields the fleet compares are built from each report (`dlenv.fleet.lean`); the whole report
only when a [check] policy is held against every node.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from dlenv.check.policy import FleetPolicy, Policy
from dlenv.errors import DlenvError
from dlenv.fleet.consistency import judge_fleet
from dlenv.fleet.facts import TITLES, gpu_total, missing_value, node_facts, title_of
from dlenv.fleet.hostlist import natural_key
from dlenv.fleet.inputs import Loaded, read_reports
from dlenv.fleet.model import (
    FactDrift,
    FactValue,
    FindingGroup,
    Fleet,
    FleetVerdict,
    InputProblem,
    Node,
    NodeFinding,
)
from dlenv.report.model import Report

REDACTED_HOSTS = ("", "<host>", "<redacted>")


@dataclass(frozen=True)
class FleetPolicies:
    """What `--policy FILE` holds: [check] for every node, [fleet] across them."""

    source: str
    check: Policy | None = None
    fleet: FleetPolicy | None = None
    strict: bool = True  # "could not check" fails (not with --allow-unknown)


class _Shared:
    """One object per distinct facts table and findings list over a merge: nodes alike share
    them (nothing changes a Node's tables after it is made), so memory grows with the distinct
    values, not the nodes."""

    def __init__(self) -> None:
        self.facts: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self.findings: dict[tuple[NodeFinding, ...], list[NodeFinding]] = {}

    def facts_of(self, facts: dict[str, str]) -> dict[str, str]:
        key = tuple((sys.intern(k), sys.intern(v)) for k, v in facts.items())
        return self.facts.setdefault(key, dict(key))

    def findings_of(self, findings: list[NodeFinding]) -> list[NodeFinding]:
        return self.findings.setdefault(tuple(findings), findings)


def _node(
    loaded: Loaded, report: Report, policies: FleetPolicies | None, shared: _Shared | None = None
) -> Node:
    shared = shared or _Shared()
    s = report.snapshot
    host = s.host.hostname or ""
    name = host if host not in REDACTED_HOSTS else (loaded.label or loaded.source)
    result = None
    if policies is not None and policies.check is not None:
        from dlenv.check.evaluate import evaluate

        result = evaluate(policies.check, report, strict=policies.strict)
    findings = [
        NodeFinding(code=f.code, name=f.name, severity=f.severity, title=f.title, subject=f.subject)
        for f in report.findings
    ]
    return Node(
        name=name,
        source=loaded.source,
        created_at=report.created_at,
        facts=shared.facts_of(node_facts(s, report.dlenv_version)),
        gpus=gpu_total(s),
        findings=shared.findings_of(findings),
        policy=result,
    )


def merge_fleet(paths: list[str], policies: FleetPolicies | None = None) -> Fleet:
    """The merged fleet of every report under `paths`; `DlenvError` when none can be read."""
    from dlenv import __version__

    nodes: dict[str, Node] = {}
    problems: list[InputProblem] = []
    full = policies is not None and policies.check is not None  # [check] may read any fact
    shared = _Shared()
    for loaded in read_reports(paths, full=full):
        if loaded.report is None:
            message = loaded.error or "unreadable"
            problems.append(InputProblem(source=loaded.source, kind="unreadable", message=message))
            continue
        node = _node(loaded, loaded.report, policies, shared)
        unknown = loaded.report.snapshot.unknown
        if unknown:
            said = "; ".join(f"{k}: {v}" for k, v in sorted(unknown.items()))
            problems.append(
                InputProblem(source=node.source, kind="partial", message=said[:300], node=node.name)
            )
        previous = nodes.get(node.name)
        if previous is not None:
            kept, dropped = (
                (node, previous) if node.created_at >= previous.created_at else (previous, node)
            )
            problems.append(
                InputProblem(
                    source=dropped.source,
                    kind="duplicate",
                    message=f"another report of {node.name} ({kept.source}, "
                    f"{kept.created_at or 'undated'}) is newer; this one is left out",
                    node=node.name,
                )
            )
            node = kept
        nodes[node.name] = node
    if not nodes:
        first = f"; {problems[0].source}: {problems[0].message}" if problems else ""
        raise DlenvError(f"no readable dlenv report in {', '.join(paths)}{first}")
    ordered = sorted(nodes.values(), key=lambda n: natural_key(n.name))
    drift = fact_drift(ordered)
    fleet = Fleet(
        dlenv_version=__version__,
        sources=list(paths),
        nodes=ordered,
        problems=problems,
        drift=drift,
        findings=finding_groups(ordered),
    )
    if policies is None:
        return fleet
    from dataclasses import replace

    return replace(fleet, verdict=judge(fleet, policies))


def fact_drift(nodes: list[Node]) -> list[FactDrift]:
    """For each fact any node has, every value and its nodes, most common first."""
    keys = dict.fromkeys(TITLES)
    for node in nodes:
        keys.update(dict.fromkeys(k for k in node.facts if k not in keys))
    drift = []
    for key in keys:
        by_value: dict[str, list[str]] = {}
        for node in nodes:
            value = node.facts.get(key) or missing_value(key)
            by_value.setdefault(value, []).append(node.name)
        values = sorted(by_value.items(), key=lambda item: (-len(item[1]), item[0]))
        drift.append(
            FactDrift(
                key=key,
                title=title_of(key),
                values=[FactValue(value=v, nodes=ns) for v, ns in values],
            )
        )
    return drift


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def finding_groups(nodes: list[Node]) -> list[FindingGroup]:
    """Each rule's findings over the fleet: the nodes that have it, worst and widest first."""
    groups: dict[str, tuple[NodeFinding, list[str], Counter[str]]] = {}
    for node in nodes:
        for f in node.findings:
            _, names, titles = groups.setdefault(f.code, (f, [], Counter()))
            if not names or names[-1] != node.name:
                names.append(node.name)
            titles[f.title] += 1
    out = [
        FindingGroup(
            code=code,
            name=first.name,
            severity=first.severity,
            title=titles.most_common(1)[0][0],
            nodes=names,
        )
        for code, (first, names, titles) in groups.items()
    ]
    return sorted(out, key=lambda g: (SEVERITY_RANK[g.severity], -len(g.nodes), g.code))


def judge(fleet: Fleet, policies: FleetPolicies) -> FleetVerdict:
    """Every node against [check], the nodes against each other by [fleet]."""
    consistency = judge_fleet(policies.fleet, fleet.nodes, fleet.drift, len(fleet.unreadable))
    failing = {"fail", "unchecked"} if policies.strict else {"fail"}
    failed = {n.name for n in fleet.nodes if n.policy is not None and not n.policy.passed}
    for c in consistency:
        if c.requirement.outcome in failing:
            failed.update(c.nodes)
    passed = not failed and not any(c.requirement.outcome in failing for c in consistency)
    return FleetVerdict(
        source=policies.source,
        passed=passed,
        strict=policies.strict,
        failed_nodes=sorted(failed, key=natural_key),
        consistency=consistency,
    )
