"""The [fleet] table judged against the merged fleet: the same value on every node, enough
nodes and GPUs, few enough unreadable reports. Pure functions of the merged data."""

from __future__ import annotations

from fnmatch import fnmatchcase

from dlenv.check.model import Outcome, RequirementResult
from dlenv.check.policy import FleetPolicy
from dlenv.fleet.facts import UNKNOWN, title_of
from dlenv.fleet.hostlist import compress
from dlenv.fleet.model import ConsistencyResult, FactDrift, Node


def _result(
    key: str,
    title: str,
    outcome: Outcome,
    needed: str,
    found: str,
    detail: str | None = None,
    nodes: list[str] | None = None,
) -> ConsistencyResult:
    requirement = RequirementResult(
        key=key, title=title, outcome=outcome, needed=needed, found=found, detail=detail
    )
    return ConsistencyResult(requirement=requirement, nodes=nodes or [])


def describe(d: FactDrift) -> str:
    """`550.54.15 on 62 of 64 nodes; 535.104.05 on gpu[017-018]`"""
    text = f"{d.majority.value} on {len(d.majority.nodes)} of {d.total} nodes"
    return "; ".join([text, *(f"{v.value} on {compress(v.nodes)}" for v in d.others)])


def same(key: str, drift: FactDrift | None) -> ConsistencyResult:
    """Every node shows one value of `key`; "unknown" on a node cannot be checked.

    With two known values the nodes off the most common known value are blamed (and those
    that could not tell); with one known value and some unknown, the unknown ones are.
    """
    name, title, needed = f"same.{key}", f"same {title_of(key)} on every node", "one value"
    if drift is None:
        return _result(name, title, "pass", needed, "no node reports it")
    known = [v for v in drift.values if v.value != UNKNOWN]
    unknown = [n for v in drift.values if v.value == UNKNOWN for n in v.nodes]
    found = describe(drift)
    if len(known) > 1:
        blamed = [n for v in drift.values if v is not known[0] for n in v.nodes]
        return _result(name, title, "fail", needed, found, nodes=blamed)
    if unknown:
        why = "those nodes could not read it"
        return _result(name, title, "unchecked", needed, found, why, nodes=unknown)
    return _result(name, title, "pass", needed, found)


def judge_fleet(
    policy: FleetPolicy | None, nodes: list[Node], drift: list[FactDrift], unreadable: int
) -> list[ConsistencyResult]:
    """Every rule of the [fleet] table; without one, only "no report unreadable"."""
    results: list[ConsistencyResult] = []
    by_key = {d.key: d for d in drift}
    for key in policy.same if policy else ():
        if "*" in key:
            matching = [k for k in by_key if fnmatchcase(k, key)]
            if not matching:
                what = key.partition(".")[0]
                results.append(
                    _result(f"same.{key}", f"same {what} on every node", "pass", "", "none")
                )
            results += [same(k, by_key[k]) for k in matching]
        else:
            results.append(same(key, by_key.get(key)))
    if policy and policy.min_nodes is not None:
        ok = len(nodes) >= policy.min_nodes
        results.append(
            _result(
                "min_nodes",
                "nodes",
                "pass" if ok else "fail",
                f"at least {policy.min_nodes}",
                f"{len(nodes)} readable report(s)",
            )
        )
    if policy and policy.min_total_gpus is not None:
        results.append(_total_gpus(policy.min_total_gpus, nodes))
    allowed = policy.max_unreadable if policy else 0
    results.append(
        _result(
            "max_unreadable",
            "unreadable reports",
            "pass" if unreadable <= allowed else "fail",
            f"at most {allowed}",
            str(unreadable),
        )
    )
    return results


def _total_gpus(minimum: int, nodes: list[Node]) -> ConsistencyResult:
    total = sum(n.gpus or 0 for n in nodes)
    unknown = [n.name for n in nodes if n.gpus is None]
    needed = f"at least {minimum}"
    found = f"{total} on {len(nodes)} node(s)"
    if total >= minimum:
        return _result("min_total_gpus", "GPUs over all nodes", "pass", needed, found)
    if unknown:
        why = f"GPU count unknown on {compress(unknown)}"
        return _result("min_total_gpus", "GPUs over all nodes", "unchecked", needed, found, why)
    return _result("min_total_gpus", "GPUs over all nodes", "fail", needed, found)
