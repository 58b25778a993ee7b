"""`dlenv fleet --junit FILE` and GitHub Actions output: one test case per node, one per fleet
rule; `::error` annotations for each failing node and rule; the Markdown view as job summary.

Built on the helpers of `dlenv check`'s CI output (`dlenv.report.junit`, `dlenv.report.github`),
so both commands write the same subset of JUnit and the same escaping of workflow commands.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from dlenv.check.model import OUTCOME_WORDS
from dlenv.errors import DlenvError
from dlenv.fleet.facts import missing_value
from dlenv.fleet.model import Fleet, FleetVerdict, Node
from dlenv.fleet.render import render_markdown
from dlenv.report.github import command
from dlenv.report.junit import _clean, _suite


def _node_failures(node: Node, verdict: FleetVerdict) -> list[str]:
    """Why a node fails: its [check] failures, then each fleet rule that blames it."""
    out: list[str] = []
    if node.policy is not None:
        for r in node.policy.requirements:
            if r.outcome == "fail" or (verdict.strict and r.outcome == "unchecked"):
                out.append(f"{r.key}: needed {r.needed}, found {r.found}")
        out += [
            f"{f.code} {f.name}: {f.title}" for f in node.policy.findings if f.outcome == "fail"
        ]
    for c in verdict.consistency:
        if node.name in c.nodes and (c.requirement.outcome == "fail" or verdict.strict):
            key = c.requirement.key.removeprefix("same.")
            value = node.facts.get(key) or missing_value(key)
            out.append(f"{c.requirement.key}: this node has {value} ({c.requirement.found})")
    return out


def render_junit(fleet: Fleet) -> str:
    """JUnit XML: suite "nodes" (a case per node and per unreadable report), suite "fleet"."""
    verdict = fleet.verdict
    if verdict is None:
        raise DlenvError("--junit needs --policy: a JUnit test needs a policy to pass or fail")
    blamed = set(verdict.failed_nodes)
    cases: list[ET.Element] = []
    for node in fleet.nodes:
        case = ET.Element("testcase", {"classname": "dlenv.fleet.nodes", "name": node.name})
        case.set("time", "0")
        reasons = _node_failures(node, verdict) if node.name in blamed else []
        if reasons:
            failure = ET.SubElement(case, "failure", {"message": reasons[0], "type": "policy"})
            failure.text = "\n".join(reasons)
        else:
            ET.SubElement(case, "system-out").text = f"{node.name} ({node.source}): passes"
        cases.append(case)
    for problem in fleet.unreadable:
        case = ET.Element(
            "testcase", {"classname": "dlenv.fleet.reports", "name": problem.source, "time": "0"}
        )
        failure = ET.SubElement(case, "failure", {"message": problem.message, "type": "unreadable"})
        failure.text = f"{problem.source}: {problem.message}"
        cases.append(case)
    rules: list[ET.Element] = []
    for c in verdict.consistency:
        r = c.requirement
        case = ET.Element(
            "testcase", {"classname": "dlenv.fleet.rules", "name": f"{r.key}: {r.title}"}
        )
        case.set("time", "0")
        text = f"needed {r.needed}, found {r.found}" + (f" ({r.detail})" if r.detail else "")
        if r.outcome == "fail" or (verdict.strict and r.outcome == "unchecked"):
            ET.SubElement(case, "failure", {"message": text, "type": r.outcome}).text = text
        elif r.outcome == "unchecked":
            ET.SubElement(case, "skipped", {"message": f"could not check: {text}"})
        else:
            ET.SubElement(case, "system-out").text = text
        rules.append(case)
    suites = [
        _suite("dlenv fleet: nodes", cases, "", None),
        _suite("dlenv fleet: rules", rules, "", None),
    ]
    root = ET.Element(
        "testsuites",
        {
            "name": f"dlenv fleet {verdict.source}",
            "tests": str(len(cases) + len(rules)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": "0",
            "skipped": str(sum(int(s.get("skipped", "0")) for s in suites)),
            "time": "0",
        },
    )
    root.extend(suites)
    _clean(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def annotation_lines(fleet: Fleet) -> list[str]:
    """One `::error` per failing fleet rule and per failing node (the first 50 nodes)."""
    verdict = fleet.verdict
    if verdict is None:
        return []
    lines = []
    for c in verdict.consistency:
        r = c.requirement
        if r.outcome == "pass":
            continue
        level = "error" if r.outcome == "fail" or verdict.strict else "warning"
        title = f"dlenv fleet: {r.title} {OUTCOME_WORDS[r.outcome]} [{r.key}]"
        lines.append(command(level, f"needed {r.needed}, found {r.found}", title=title))
    by_name = {n.name: n for n in fleet.nodes}
    for name in verdict.failed_nodes[:50]:
        reasons = _node_failures(by_name[name], verdict)
        lines.append(command("error", "; ".join(reasons), title=f"dlenv fleet: {name} fails"))
    for problem in fleet.unreadable[:50]:
        lines.append(command("warning", problem.message, title=f"dlenv fleet: {problem.source}"))
    return lines


def append_step_summary(fleet: Fleet, env: dict[str, str] | None = None) -> Path | None:
    """Append the Markdown view to $GITHUB_STEP_SUMMARY when it is set."""
    from dlenv.report.github import append_to_step_summary

    return append_to_step_summary(render_markdown(fleet), env)
