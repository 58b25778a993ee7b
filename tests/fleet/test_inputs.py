"""Reading a fleet's reports from streams and hostile places: `kubectl logs --prefix`, JSON
lines, concatenated documents, corrupt, future, nested, huge and thousands of reports."""

from __future__ import annotations

import io
import itertools
import json
import re
import sys
import time
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.fleet.inputs import read_reports
from tests.fleet.fleets import node, report_text


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    class Pipe(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Pipe(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def kubectl_prefixed(pod: str, text: str, container: str = "doctor") -> list[str]:
    """Lines as `kubectl logs --prefix` writes them: "[pod/%s/%s] " before each line
    (kubernetes/kubectl, pkg/cmd/logs/logs.go, addPrefixIfNeeded)."""
    return [f"[pod/{pod}/{container}] {line}" for line in text.splitlines()]


def test_kubectl_logs_with_prefix_interleaved(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a = kubectl_prefixed("dlenv-doctor-4xk2p", "starting\n" + report_text(node(1)))
    b = kubectl_prefixed("dlenv-doctor-9qzr7", report_text(node(17)))
    cut = report_text(node(3))
    c = kubectl_prefixed("dlenv-doctor-bbbbb", cut[: len(cut) // 3])  # the pod was killed
    d = kubectl_prefixed("dlenv-doctor-zzzzz", "dlenv: error: cannot write the report")
    lines = [line for pair in zip(a, b, strict=False) for line in pair]  # --follow interleaves
    lines += a[len(b) :] + b[len(a) :] + c + d
    stdin(monkeypatch, "\n".join(lines) + "\n")
    code, out, err = run(["fleet", "-", "--fail-on", "never"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("dlenv fleet: 2 nodes, 2 unreadable, 3 of 17 facts differ\n")
    # a tie: the lower value reads as the majority, the other is listed with its node
    assert "  NVIDIA driver                    535.104.05 on 1 of 2\n" in out
    assert "                                   550.54.15 on gpu001\n" in out
    assert out.endswith(
        "Reports left out or partial\n"
        "  pod/dlenv-doctor-bbbbb/doctor line 1: unreadable: truncated: the document does not "
        "end\n"
        "  pod/dlenv-doctor-zzzzz/doctor: unreadable: no dlenv report in 1 line(s); the last: "
        "dlenv: error: cannot write the report\n"
    )


def test_json_lines_and_concatenated_documents(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    compact = [json.dumps(json.loads(report_text(node(i)))) for i in (1, 2)]
    text = "\n".join([*compact, '{"kind": "dlenv-report"', report_text(node(17))])
    stdin(monkeypatch, text)
    code, out, _ = run(["fleet", "-", "-f", "json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert [n["name"] for n in data["nodes"]] == ["gpu001", "gpu002", "gpu017"]
    assert [(n["source"]) for n in data["nodes"]] == [
        "<stdin> line 1",
        "<stdin> line 2",
        "<stdin> lines 4-" + str(3 + report_text(node(17)).count("\n")),
    ]
    assert data["problems"] == [
        {
            "source": "<stdin> line 3",
            "kind": "unreadable",
            "message": "not valid JSON (Expecting ',' delimiter at line 1)",
            "node": None,
        }
    ]


def test_a_saved_log_file_is_read_as_a_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "doctor.log"
    lines = kubectl_prefixed("p1", report_text(node(1))) + kubectl_prefixed(
        "p2", report_text(node(2))
    )
    log.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = run(["fleet", str(log), "-f", "json"], capsys)
    assert code == 0
    assert [n["source"].split(" ")[0] for n in json.loads(out)["nodes"]] == [
        "pod/p1/doctor",
        "pod/p2/doctor",
    ]


def test_redacted_hosts_fall_back_to_the_file_or_pod(tmp_path: Path) -> None:
    from dataclasses import replace

    anonymous = replace(node(1), host=replace(node(1).host, hostname=None))
    (tmp_path / "rack1-node7.json").write_text(report_text(anonymous), encoding="utf-8")
    from dlenv.fleet.merge import merge_fleet

    assert [n.name for n in merge_fleet([str(tmp_path)]).nodes] == ["rack1-node7"]


def test_hostile_reports_are_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.json").write_text(report_text(node(1)), encoding="utf-8")
    (tmp_path / "nested.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    (tmp_path / "deep-report.json").write_text(
        '{"kind": "dlenv-report", "schema_version": 1, "snapshot": {"timings": '
        + '{"a":' * 50_000
        + "1"
        + "}" * 50_000
        + "}}",
        encoding="utf-8",
    )
    with (tmp_path / "huge.json").open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "number.json").write_text("1" * 5000, encoding="utf-8")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    (tmp_path / "link.json").symlink_to(tmp_path / "missing-target.json")
    code, out, err = run(["fleet", str(tmp_path)], capsys)
    assert (code, err) == (0, "")
    problems = out[out.index("Reports left out") :].splitlines()[1:]
    assert [line.split(": ", 2)[0].rsplit("/", 1)[1] for line in problems] == [
        "binary.json",
        "deep-report.json",
        "huge.json",
        "link.json",
        "list.json",
        "nested.json",
        "number.json",
    ]
    assert all(": unreadable: " in line for line in problems)


def test_thousands_of_reports_read_in_linear_time(tmp_path: Path) -> None:
    """2,000 reports (and 200 corrupt ones) in one folder: one node each, one line per bad one,
    and reading twice as many takes about twice as long (no quadratic step)."""
    from dlenv.fleet.merge import merge_fleet

    template = json.loads(report_text(node(1)))

    def fill(folder: Path, count: int) -> None:
        folder.mkdir()
        for i in range(count):
            template["snapshot"]["host"]["hostname"] = f"n{i:05d}"
            (folder / f"n{i:05d}.json").write_text(json.dumps(template), encoding="utf-8")
        for i in range(count // 10):
            (folder / f"bad{i:05d}.json").write_text("{", encoding="utf-8")

    fill(tmp_path / "small", 500)
    fill(tmp_path / "large", 2000)
    start = time.perf_counter()
    small = merge_fleet([str(tmp_path / "small")])
    middle = time.perf_counter()
    large = merge_fleet([str(tmp_path / "large")])
    end = time.perf_counter()
    assert (len(large.nodes), len(large.unreadable)) == (2000, 200)
    assert len(small.nodes) == 500
    assert (end - middle) < 8 * (middle - start) + 1.0  # 4x the reports: well under 8x the time


def test_read_reports_never_raises_on_a_bad_path(tmp_path: Path) -> None:
    loaded = list(read_reports([str(tmp_path / "nope.json"), str(tmp_path / "x.log")]))
    assert [(item.source.rsplit("/", 1)[1], item.error) for item in loaded] == [
        ("nope.json", "cannot read (No such file or directory)"),
        ("x.log", "cannot read (No such file or directory)"),
    ]


DATA = Path(__file__).parent / "data"


def test_kubectl_logs_prefix_follow_fixture(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real `kubectl logs --prefix --follow` output (data/README.md gives its source)."""
    text = (DATA / "kubectl-logs-prefix-follow.log").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert all(re.match(r"\[pod/dlenv-doctor-[a-z0-9]{5}/doctor\] ", line) for line in lines)
    # the pods really interleave: a pod's lines are cut by another's many times
    changes = sum(a.split("]")[0] != b.split("]")[0] for a, b in itertools.pairwise(lines))
    assert changes > 50
    stdin(monkeypatch, text)
    code, out, _ = run(["fleet", "-", "-f", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [(n["name"], n["source"]) for n in data["nodes"]] == [
        ("gpu001", "pod/dlenv-doctor-4xk2p/doctor lines 2-302"),
        ("gpu017", "pod/dlenv-doctor-9qzr7/doctor lines 1-301"),
        ("gpu033", "pod/dlenv-doctor-t8m5c/doctor lines 2-302"),
    ]
    assert data["problems"] == []


def test_kubectl_prefix_with_no_container_name(tmp_path: Path) -> None:
    # kubectl writes "[pod/NAME/] " when the pod's field path names no container
    log = tmp_path / "pods.log"
    log.write_text("".join(f"[pod/p1/] {line}\n" for line in report_text(node(2)).splitlines()))
    loaded = list(read_reports([str(log)]))
    assert [(x.source.split(" ")[0], x.label, x.error) for x in loaded] == [("pod/p1/", "p1", None)]
    assert loaded[0].reading is not None
    assert loaded[0].reading.hostname == "gpu002"


def kubelet_stamped(lines: list[str], start: float = 1796540400.0) -> list[str]:
    """Lines as `kubectl logs --timestamps` gets them: the kubelet writes each line's time in
    RFC3339NanoFixed and one space before it (kubernetes pkg/kubelet/kuberuntime/logs/logs.go,
    `msg.timestamp.Format(timeFormatOut)`); with --prefix, kubectl's prefix comes first."""
    from datetime import datetime, timezone

    out = []
    for i, line in enumerate(lines):
        moment = datetime.fromtimestamp(start + i * 0.000137, timezone.utc)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}{i % 1000:03d}Z"
        prefix, _, rest = line.partition("] ") if line.startswith("[pod/") else ("", "", line)
        out.append(f"{prefix}] {stamp} {rest}" if prefix else f"{stamp} {rest}")
    return out


def test_kubectl_logs_with_prefix_and_timestamps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kubectl logs -l app=dlenv-doctor --prefix --timestamps --follow`: the real fixture's
    lines, each with the kubelet's timestamp after kubectl's prefix."""
    lines = kubelet_stamped(
        (DATA / "kubectl-logs-prefix-follow.log").read_text(encoding="utf-8").splitlines()
    )
    assert re.fullmatch(
        r"\[pod/dlenv-doctor-[a-z0-9]{5}/doctor\] 2026-12-06T\d\d:\d\d:\d\d\.\d{9}Z .*", lines[0]
    )
    stdin(monkeypatch, "\n".join(lines) + "\n")
    code, out, _ = run(["fleet", "-", "-f", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [(n["name"], n["source"]) for n in data["nodes"]] == [
        ("gpu001", "pod/dlenv-doctor-4xk2p/doctor lines 2-302"),
        ("gpu017", "pod/dlenv-doctor-9qzr7/doctor lines 1-301"),
        ("gpu033", "pod/dlenv-doctor-t8m5c/doctor lines 2-302"),
    ]
    assert data["problems"] == []


def test_kubectl_logs_with_timestamps_and_no_prefix(tmp_path: Path) -> None:
    """`kubectl logs dlenv-doctor-x7k2p --timestamps` (one pod, no prefix), saved to a file:
    indented reports, JSON lines and noise, the time in the formats runtimes write it."""
    compact = json.dumps(json.loads(report_text(node(2))))
    lines = kubelet_stamped(["starting dlenv doctor", *report_text(node(1)).splitlines()])
    lines += [
        "2026-12-06T07:00:01.5Z " + compact,  # RFC3339Nano: trailing zeros trimmed
        "2026-12-06T08:00:01+01:00 " + json.dumps(json.loads(report_text(node(3)))),
        "2026-12-06T07:00:02.000000000Z {\"kind\": \"dlenv-report\", \"schema_versi",  # cut
    ]
    log = tmp_path / "doctor.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = list(read_reports([str(log)]))
    assert [(x.reading.hostname if x.reading else None, x.error) for x in loaded] == [
        ("gpu001", None),
        ("gpu002", None),
        ("gpu003", None),
        (None, "not valid JSON (Unterminated string starting at at line 1)"),
    ]
    assert loaded[0].source == f"{log} lines 2-{1 + report_text(node(1)).count(chr(10))}"


def test_a_pool_of_readers_gives_what_one_reader_gives(tmp_path: Path) -> None:
    """The 64-node fleet and its bad reports, read serially and by two processes: the same
    fleet, to the last field; what workers send back is shared as the serial read shares it."""
    from dlenv.fleet.merge import merge_fleet
    from dlenv.snapshot.serde import to_data
    from tests.fleet.fleets import write_bad_reports, write_fleet

    folder = write_fleet(tmp_path / "reports")
    write_bad_reports(folder)
    (tmp_path / "extra.json").write_text(report_text(node(70)), encoding="utf-8")
    log = tmp_path / "pods.log"
    log.write_text("\n".join(kubectl_prefixed("p1", report_text(node(71)))), encoding="utf-8")
    paths = [str(folder), str(log), str(tmp_path / "empty"), str(tmp_path / "extra.json")]
    (tmp_path / "empty").mkdir()
    serial = merge_fleet(paths, jobs=1)
    pooled = merge_fleet(paths, jobs=2)
    assert to_data(pooled) == to_data(serial)
    assert [p.kind for p in pooled.problems].count("unreadable") == 4
    alike = [n for n in pooled.nodes if n.name in ("gpu040", "gpu041", "gpu042")]
    assert alike[0].facts is alike[1].facts is alike[2].facts


def test_ten_thousand_reports_with_bad_ones_among_them(tmp_path: Path) -> None:
    """10,000 nodes (one process per core) with truncated, duplicate and future-schema reports
    scattered through them: every bad one listed, none fatal, every good node merged."""
    from dlenv.fleet.merge import merge_fleet

    data = json.loads(report_text(node(1)))
    folder = tmp_path / "reports"
    folder.mkdir()
    bad: dict[str, str] = {}
    for i in range(10_000):
        name = f"n{i:05d}"
        data["snapshot"]["host"]["hostname"] = name
        data["schema_version"] = 99 if i % 997 == 5 else 1
        text = json.dumps(data)
        if i % 1009 == 7:
            text = text[: len(text) // 2]
            bad[name] = "not valid JSON"
        elif i % 997 == 5:
            bad[name] = "schema_version 99 is not supported"
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
    data["schema_version"] = 1
    for i in (3, 4_000, 9_999):  # a second, older report of three nodes
        data["snapshot"]["host"]["hostname"] = f"n{i:05d}"
        data["created_at"] = "2020-01-01T00:00:00+00:00"
        (folder / f"old-n{i:05d}.json").write_text(json.dumps(data), encoding="utf-8")
    fleet = merge_fleet([str(folder)])
    unreadable = {Path(p.source).stem: p.message for p in fleet.unreadable}
    assert unreadable.keys() == bad.keys() and len(bad) == 21
    assert all(bad[name] in message for name, message in unreadable.items())
    duplicates = [p for p in fleet.problems if p.kind == "duplicate"]
    assert sorted(Path(p.source).name for p in duplicates) == [
        "old-n00003.json",
        "old-n04000.json",
        "old-n09999.json",
    ]
    assert len(fleet.nodes) == 10_000 - len(bad)
    assert {d.key: len(d.values) for d in fleet.drift}["driver"] == 1
