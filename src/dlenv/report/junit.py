"""`dlenv check --junit FILE`: the policy result as JUnit XML for CI test reporters.

One test case per requirement (failure, or skipped when it could not be checked) and one per
finding (failure when the policy counts it, skipped when ignored), in the common subset of the
JUnit schema that GitHub, GitLab and Jenkins reporters read: testsuites/testsuite/testcase with
failure and skipped, consistent tests/failures/errors/skipped counts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from dlenv.check.model import PolicyResult, RequirementResult
from dlenv.errors import DlenvError
from dlenv.report.model import Report
from dlenv.rules.findings import Finding

# characters XML 1.0 cannot carry at all (ANSI escapes in a crashed probe's stderr, for one)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(element: ET.Element) -> ET.Element:
    for node in element.iter():
        if node.text:
            node.text = _NOT_XML.sub("", node.text)
        for key, value in node.attrib.items():
            node.attrib[key] = _NOT_XML.sub("", value)
    return element


def _requirement_case(r: RequirementResult, strict: bool) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": "dlenv.check.requirements", "name": f"{r.key}: {r.title}", "time": "0"},
    )
    text = f"{r.title}: needed {r.needed}, found {r.found}" + (f"\n{r.detail}" if r.detail else "")
    message = f"needed {r.needed}, found {r.found}"
    if r.outcome == "fail" or (strict and r.outcome == "unchecked"):
        kind = "requirement" if r.outcome == "fail" else "could-not-check"
        failure = ET.SubElement(case, "failure", {"message": message, "type": kind})
        failure.text = text
    elif r.outcome == "unchecked":
        ET.SubElement(case, "skipped", {"message": f"could not check: {r.detail or r.found}"})
    else:
        ET.SubElement(case, "system-out").text = text
    return case


def _finding_text(f: Finding) -> str:
    lines = [f"{f.code} {f.name} ({f.severity}): {f.title}", f.message]
    for e in f.evidence:
        line = f"  {e.fact}: found {e.found}"
        line += f", needed {e.needed}" if e.needed else ""
        line += f" ({e.note})" if e.note else ""
        lines.append(line)
    if f.hint:
        lines.append(f"hint: {f.hint}")
    if f.docs_url:
        lines.append(f"docs: {f.docs_url}")
    return "\n".join(lines)


def _suite(name: str, cases: list[ET.Element], timestamp: str, host: str | None) -> ET.Element:
    failures = sum(c.find("failure") is not None for c in cases)
    skipped = sum(c.find("skipped") is not None for c in cases)
    attrs = {
        "name": name,
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": "0",
    }
    if timestamp:
        attrs["timestamp"] = timestamp
    if host:
        attrs["hostname"] = host
    suite = ET.Element("testsuite", attrs)
    suite.extend(cases)
    return suite


def render_junit(report: Report) -> str:
    """The JUnit XML document of a report that carries a policy result."""
    result: PolicyResult | None = report.policy
    if result is None:
        raise DlenvError("no policy result to write as JUnit")  # a caller's mistake, said plainly
    # `timestamp` is ISO 8601 without a zone in the JUnit schema; the report's time is UTC
    timestamp = report.created_at.split("+")[0].removesuffix("Z")
    host = report.snapshot.host.hostname
    requirements = [_requirement_case(r, result.strict) for r in result.requirements]
    findings = []
    for judged, finding in zip(result.findings, report.findings, strict=True):
        name = f"{finding.code} {finding.name}" + (
            f" [{finding.subject}]" if finding.subject else ""
        )
        case = ET.Element(
            "testcase", {"classname": "dlenv.check.findings", "name": name, "time": "0"}
        )
        if judged.outcome == "fail":
            failure = ET.SubElement(
                case, "failure", {"message": finding.title, "type": finding.severity}
            )
            failure.text = _finding_text(finding)
        elif judged.outcome == "ignored":
            ET.SubElement(case, "skipped", {"message": f"ignored by the policy: {finding.title}"})
        else:
            ET.SubElement(case, "system-out").text = _finding_text(finding)
        findings.append(case)
    suites = [
        _suite("dlenv check: requirements", requirements, timestamp, host),
        _suite("dlenv check: findings", findings, timestamp, host),
    ]
    root = ET.Element(
        "testsuites",
        {
            "name": f"dlenv check {result.source}",
            "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": "0",
            "skipped": str(sum(int(s.get("skipped", "0")) for s in suites)),
            "time": "0",
        },
    )
    props = ET.SubElement(suites[0], "properties")
    for key, value in (
        ("policy", result.source),
        ("dlenv_version", report.dlenv_version),
        ("strict", str(result.strict).lower()),
    ):
        ET.SubElement(props, "property", {"name": key, "value": value})
    suites[0].remove(props)
    suites[0].insert(0, props)  # properties come first in the schema's sequence
    root.extend(suites)
    _clean(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
