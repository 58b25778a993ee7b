"""The lean read of a node report (`dlenv.fleet.lean`) gives the fleet exactly what the full
read gives, and rejects a bad field with the full read's one-line message."""

from __future__ import annotations

import json

import pytest

from dlenv.errors import DlenvError
from dlenv.fleet.facts import gpu_total, node_facts
from dlenv.fleet.lean import lean_report
from dlenv.report.json import parse_report
from tests.fleet.fleets import node, report_text


@pytest.mark.parametrize("index", [1, 17, 18, 20, 33])
def test_lean_and_full_reads_agree(index: int) -> None:
    text = report_text(node(index))
    lean, full = lean_report(text, "r.json"), parse_report(text, "r.json")
    assert lean_report(text, "r.json", full=True) == full
    assert node_facts(lean.snapshot, lean.dlenv_version) == node_facts(
        full.snapshot, full.dlenv_version
    )
    assert gpu_total(lean.snapshot) == gpu_total(full.snapshot)
    assert bool(full.findings) is (index == 18)  # DL105: upgraded, not rebooted
    assert [(f.code, f.name, f.severity, f.title, f.subject) for f in lean.findings] == [
        (f.code, f.name, f.severity, f.title, f.subject) for f in full.findings
    ]
    assert (lean.created_at, lean.snapshot.host.hostname) == (
        full.created_at,
        full.snapshot.host.hostname,
    )
    # fields no fleet fact reads are left at their defaults
    assert lean.snapshot.env == [] and full.snapshot.env != []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("snapshot", "gpus"), "many", "$.snapshot.gpus: expected a list, got str"),
        (("snapshot", "frameworks", 0, "version"), 5, "$.snapshot.frameworks[0].version: "),
        (("snapshot", "driver", "installed"), "yes", "$.snapshot.driver.installed: expected"),
        (("findings",), [{"code": "DL1"}], "$.findings[0]: missing field 'name'"),
        (("snapshot", "live", 0, "status"), "great", "$.snapshot.live[0].status: expected one"),
        (("snapshot", "host"), [], "$.snapshot.host: expected an object, got list"),
    ],
)
def test_a_bad_field_is_the_full_reads_one_line(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    data = json.loads(report_text(node(1)))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    text = json.dumps(data)
    with pytest.raises(DlenvError) as lean:
        lean_report(text, "r.json")
    with pytest.raises(DlenvError) as full:
        parse_report(text, "r.json")
    assert lean.value.message == full.value.message
    assert lean.value.message.startswith(f"r.json: malformed report: {message}")
    assert "\n" not in lean.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"kind": "dlenv-report", "schema_version": 99}', "schema_version 99 is not supported"),
        ("[1, 2]", 'not a dlenv report (no "kind": "dlenv-report")'),
        ('{"kind": "dlenv-report", "schema_version": 1, "n": ' + "9" * 40 + "}", "40 digits"),
    ],
)
def test_what_is_not_a_report_is_refused_as_parse_report_refuses_it(
    text: str, message: str
) -> None:
    with pytest.raises(DlenvError) as lean:
        lean_report(text, "r.json")
    with pytest.raises(DlenvError) as full:
        parse_report(text, "r.json")
    assert lean.value.message == full.value.message
    assert message in lean.value.message
