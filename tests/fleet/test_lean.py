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


def _changed(path: tuple[str | int, ...], value: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(report_text(node(1)))
    target: object = data
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    return data


def test_node_keys_are_equal_exactly_when_every_field_read_is() -> None:
    from dlenv.fleet.lean import node_key

    base = json.loads(report_text(node(1)))
    assert node_key(base) == node_key(json.loads(report_text(node(1))))
    # the host name and the date are per node: left out of the key
    assert node_key(base) == node_key(_changed(("snapshot", "host", "hostname"), "gpu999"))
    assert node_key(base) == node_key(_changed(("created_at",), "2030-01-01T00:00:00Z"))
    # a field no fleet fact reads is left out too
    assert node_key(base) == node_key(_changed(("snapshot", "env"), []))
    gpus = ("snapshot", "gpus", 0, "memory_total_mib")
    memory = base["snapshot"]["gpus"][0]["memory_total_mib"]
    assert node_key(base) != node_key(_changed(gpus, memory + 1))
    # equal in Python, not the same JSON value: 1 == 1.0 == true
    assert node_key(_changed(gpus, 1)) != node_key(_changed(gpus, 1.0))
    assert node_key(_changed(gpus, 1)) != node_key(_changed(gpus, True))
    assert node_key(_changed(gpus, 0.0)) != node_key(_changed(gpus, -0.0))
    # a field left out is not a field set to null
    missing = json.loads(report_text(node(1)))
    del missing["snapshot"]["driver"]["version"]
    assert node_key(missing) != node_key(_changed(("snapshot", "driver", "version"), None))
    # a value of the wrong shape still has a key of its own
    assert node_key(_changed(("snapshot", "gpus"), "many")) != node_key(
        _changed(("snapshot", "gpus"), ["many"])
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("snapshot", "host", "hostname"), 7, "$.snapshot.host.hostname: expected str, got 7"),
        (("created_at",), None, "$.created_at: expected str, got None"),
    ],
)
def test_a_node_like_one_read_before_still_has_its_own_fields_checked(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    from dlenv.fleet.reading import NodeReader

    reader = NodeReader()
    first = reader.read(report_text(node(1)), "a.json")
    assert first.hostname == "gpu001"
    text = json.dumps(_changed(path, value))
    with pytest.raises(DlenvError) as lean:
        reader.read(text, "b.json")
    with pytest.raises(DlenvError) as full:
        parse_report(text, "b.json")
    assert lean.value.message == full.value.message == f"b.json: malformed report: {message}"
    # and one that is good shares the first one's facts, findings and count
    other = reader.read(json.dumps(_changed(("snapshot", "host", "hostname"), "gpu002")), "c")
    assert (other.hostname, other.alike) == ("gpu002", first.alike)
    assert other.alike is first.alike


def test_nodes_read_apart_are_interned_into_one() -> None:
    from dlenv.fleet.reading import NodeReader

    one, two = NodeReader(), NodeReader()
    a, b = one.read(report_text(node(2)), "a"), two.read(report_text(node(3)), "b")
    assert a.alike == b.alike and a.alike is not b.alike
    assert one.intern(b.alike) is a.alike


def test_the_memo_stands_down_when_no_two_nodes_are_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dlenv.fleet import reading

    monkeypatch.setattr(reading, "MEMO_TRIAL", 8)
    reader = reading.NodeReader()
    data = json.loads(report_text(node(1)))
    seen = []
    for i in range(12):
        data["snapshot"]["host"]["kernel"] = f"5.15.0-{i}-generic"
        seen.append(reader.read(json.dumps(data), f"r{i}").alike.facts["kernel"])
    assert seen == [f"5.15.0-{i}-generic" for i in range(12)]
    assert reader._memo == {} and not reader._memo_on
