"""JUnit XML of a policy result, parsed back and held against the common JUnit schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from dlenv.check.evaluate import evaluate
from dlenv.check.policy import parse_policy
from dlenv.errors import DlenvError
from dlenv.report.junit import render_junit
from dlenv.report.model import Report
from tests.check.machines import a100, finding, report, runner

# the elements and attributes the JUnit schema used by Jenkins, GitLab and GitHub reporters allows
ALLOWED = {
    "testsuites": {"name", "tests", "failures", "errors", "skipped", "time"},
    "testsuite": {
        "name",
        "tests",
        "failures",
        "errors",
        "skipped",
        "time",
        "timestamp",
        "hostname",
    },
    "properties": set(),
    "property": {"name", "value"},
    "testcase": {"classname", "name", "time"},
    "failure": {"message", "type"},
    "skipped": {"message"},
    "system-out": set(),
}


def checked(strict: bool = False) -> Report:
    policy = parse_policy(
        {
            "min_gpus": 2,
            "python": ">=3.10",
            "gpu_frameworks": ["torch"],
            "ignore": ["DL301"],
            "health": {"max_temperature_c": 80},
        },
        "ci/dlenv.toml",
    )
    machine = runner(gpus=[a100(0, temperature_c=88), a100(1)], live=[])
    base = report(
        machine,
        [
            finding("DL101", "error", "driver too old for torch's CUDA <12.1>"),
            finding("DL301", "error", "cuDNN missing"),
            finding("DL701", "warning", "memory growth off"),
        ],
    )
    return replace(base, policy=evaluate(policy, base, strict=strict))


def test_document_structure_and_counts() -> None:
    root = ET.fromstring(render_junit(checked()))
    assert root.tag == "testsuites"
    for element in root.iter():
        assert set(element.attrib) <= ALLOWED[element.tag], element.tag
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["dlenv check: requirements", "dlenv check: findings"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert suite.get("skipped") == str(sum(c.find("skipped") is not None for c in cases))
        assert (suite.get("errors"), suite.get("hostname")) == ("0", "gpu-runner-7")
        assert suite.get("timestamp") == "2026-11-23T10:00:00"
    for key in ("tests", "failures", "skipped", "errors"):
        assert root.get(key) == str(sum(int(s.get(key, "0")) for s in suites))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "2", "2")


def test_one_case_per_requirement_and_finding() -> None:
    root = ET.fromstring(render_junit(checked()))
    cases = [
        (
            c.get("classname"),
            c.get("name"),
            next((child.tag for child in c if child.tag in ("failure", "skipped")), "passed"),
        )
        for c in root.iter("testcase")
    ]
    assert cases == [
        ("dlenv.check.requirements", "min_gpus: GPUs", "passed"),
        ("dlenv.check.requirements", "health.max_temperature_c: GPU temperature", "failure"),
        ("dlenv.check.requirements", "python: Python", "passed"),
        ("dlenv.check.requirements", "gpu_frameworks.torch: torch uses the GPU", "skipped"),
        ("dlenv.check.findings", "DL101 rule-dl101", "failure"),
        ("dlenv.check.findings", "DL301 rule-dl301", "skipped"),
        ("dlenv.check.findings", "DL701 rule-dl701", "passed"),
    ]
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties == {"policy": "ci/dlenv.toml", "dlenv_version": "0.1.0", "strict": "false"}


def test_failure_texts() -> None:
    root = ET.fromstring(render_junit(checked()))
    temp = root.find(".//testcase[@name='health.max_temperature_c: GPU temperature']/failure")
    assert temp is not None
    assert temp.attrib == {
        "message": "needed at most 80 °C, found GPU 0: 88 °C",
        "type": "requirement",
    }
    assert temp.text == "GPU temperature: needed at most 80 °C, found GPU 0: 88 °C"
    driver = root.find(".//testcase[@name='DL101 rule-dl101']/failure")
    assert driver is not None
    assert driver.attrib == {"message": "driver too old for torch's CUDA <12.1>", "type": "error"}
    assert driver.text == (
        "DL101 rule-dl101 (error): driver too old for torch's CUDA <12.1>\n"
        "driver too old for torch's CUDA <12.1>, in detail.\n"
        "  driver.version: found 470.239.06, needed >=525.60.13\n"
        "hint: upgrade the driver"
    )
    skipped = root.find(".//testcase[@name='gpu_frameworks.torch: torch uses the GPU']/skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "could not check: no live probe result for torch, as with --quick or a report saved with "
        "it; run `dlenv check` on the runner itself, without --quick, so the live probe runs"
    )


def test_strict_turns_could_not_check_into_failures() -> None:
    root = ET.fromstring(render_junit(checked(strict=True)))
    case = root.find(".//testcase[@name='gpu_frameworks.torch: torch uses the GPU']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "could-not-check"
    assert (root.get("failures"), root.get("skipped")) == ("3", "1")


def test_control_characters_are_dropped() -> None:
    bad = finding("DL101", "error", "crashed: \x1b[31mSegmentation fault\x1b[0m")
    base = report(runner(), [bad])
    text = render_junit(replace(base, policy=evaluate(parse_policy({}), base)))
    failure = ET.fromstring(text).find(".//failure")
    assert failure is not None and failure.get("message") == "crashed: [31mSegmentation fault[0m"


def test_a_report_without_a_policy_is_refused() -> None:
    with pytest.raises(DlenvError, match="no policy result to write as JUnit"):
        render_junit(report(runner()))
