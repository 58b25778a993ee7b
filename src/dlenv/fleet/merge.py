"""`dlenv fleet`'s core: read every node report, reduce each to its facts, findings and policy
verdict as it is read (the full report is dropped), then compare the nodes.

Memory grows with the nodes' names and the distinct values, not the reports' size: a report is
parsed, reduced and released before the next one is read, and nodes alike share what they have
in common (`dlenv.fleet.reading`). Only the fields the fleet compares are built from each
report (`dlenv.fleet.lean`); the whole report only when a [check] policy is held against every
node.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dlenv.check.policy import FleetPolicy, Policy
from dlenv.errors import DlenvError
from dlenv.fleet.consistency import judge_fleet
from dlenv.fleet.facts import TITLES, missing_value, title_of
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
from dlenv.fleet.reading import Reading

REDACTED_HOSTS = ("", "<host>", "<redacted>")


@dataclass(frozen=True)
class FleetPolicies:
    """What `--policy FILE` holds: [check] for every node, [fleet] across them."""

    source: str
    check: Policy | None = None
    fleet: FleetPolicy | None = None
    strict: bool = True  # "could not check" fails (not with --allow-unknown)


def _node(loaded: Loaded, reading: Reading, policies: FleetPolicies | None) -> Node:
    host = reading.hostname or ""
    name = host if host not in REDACTED_HOSTS else (loaded.label or loaded.source)
    result = None
    if policies is not None and policies.check is not None and reading.report is not None:
        from dlenv.check.evaluate import evaluate

        result = evaluate(policies.check, reading.report, strict=policies.strict)
    return Node(
        name=name,
        source=loaded.source,
        created_at=reading.created_at,
        facts=reading.alike.facts,
        gpus=reading.alike.gpus,
        findings=reading.alike.findings,
        policy=result,
    )


def merge_fleet(
    paths: list[str], policies: FleetPolicies | None = None, *, jobs: int | None = None
) -> Fleet:
    """The merged fleet of every report under `paths`; `DlenvError` when none can be read.
    `jobs`: processes that read many files (None: one per core for thousands, 1: serial);
    the result is the same whatever it is."""
    from dlenv import __version__

    nodes: dict[str, Node] = {}
    problems: list[InputProblem] = []
    full = policies is not None and policies.check is not None  # [check] may read any fact
    for loaded in read_reports(paths, full=full, jobs=jobs):
        if loaded.reading is None:
            message = loaded.error or "unreadable"
            problems.append(InputProblem(source=loaded.source, kind="unreadable", message=message))
            continue
        node = _node(loaded, loaded.reading, policies)
        unknown = loaded.reading.alike.unknown
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
