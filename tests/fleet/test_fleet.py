"""`dlenv fleet` end to end on fleets described as data: the drift table, findings by rule,
the [fleet] policy, exit codes, and every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dlenv.cli.app import main
from tests.fleet.fleets import node, report_text, write_bad_reports, write_fleet

POLICY = """\
[check]
driver = ">=550"

[check.health]
max_ecc_uncorrectable = 0

[fleet]
same_driver = true
same_cudnn = true
same_frameworks = true
same_container_toolkit = true
min_total_gpus = 128
max_unreadable = 3
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_fleet(tmp_path_factory.mktemp("fleet") / "reports")
    write_bad_reports(folder)
    return folder


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "dlenv.toml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_drift_table_and_findings(fleet_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["fleet", str(fleet_dir)], capsys)
    assert (code, err) == (1, "")  # DL105 is an error on two nodes (--fail-on error)
    d = str(fleet_dir)
    assert out == (
        "dlenv fleet: 64 nodes, 3 unreadable, 1 duplicate, 5 of 17 facts differ\n"
        "\n"
        "Drift: the value most nodes have, then the nodes that differ\n"
        "  NVIDIA driver                    550.54.15 on 63 of 64\n"
        "                                   535.104.05 on gpu017\n"
        "  CUDA supported by the driver     12.4 on 63 of 64\n"
        "                                   12.2 on gpu017\n"
        "  GPU health (ECC, retired pages)  ok on 63 of 64\n"
        "                                   GPU 1: 4 uncorrectable ECC errors on gpu033\n"
        "  container toolkit                NVIDIA driver mounted on 62 of 64\n"
        "                                   no NVIDIA driver mounts on gpu[020-021]\n"
        "  cuDNN                            9.1.0 on 56 of 64\n"
        "                                   8.9.7 on gpu[001-008]\n"
        "\n"
        "Same on every node\n"
        "  dlenv version                    0.1.0\n"
        "  OS                               Ubuntu 22.04\n"
        "  kernel                           5.15.0-105-generic\n"
        "  Python                           3.11.7\n"
        "  GPU models                       NVIDIA A100-SXM4-80GB\n"
        "  GPUs                             2\n"
        "  GPU memory                       80 GiB\n"
        "  CUDA toolkit                     12.4.131\n"
        "  tensorflow build                 2.16.1\n"
        "  torch build                      2.3.1+cu121\n"
        "  tensorflow on the GPU (live)     uses the GPU\n"
        "  torch on the GPU (live)          uses the GPU\n"
        "\n"
        "Findings across nodes\n"
        "  ✗ DL105 driver-library-mismatch (error) on 2 nodes: gpu[018,031]\n"
        "      NVIDIA driver/library version mismatch\n"
        "\n"
        "Reports left out or partial\n"
        f"  {d}/gpu065.json: unreadable: not valid JSON (Expecting property name enclosed in "
        "double quotes at line 6)\n"
        f"  {d}/gpu066.json: unreadable: malformed report: $.snapshot.gpus: expected a list, "
        "got str\n"
        f"  {d}/gpu067.json: unreadable: schema_version 99 is not supported (this dlenv reads "
        "up to 1); upgrade dlenv\n"
        f"  {d}/old/gpu005.json: duplicate: another report of gpu005 ({d}/gpu005.json, "
        "2026-11-23T10:00:00+00:00) is newer; this one is left out\n"
    )
    assert run(["fleet", str(fleet_dir), "--fail-on", "never"], capsys)[0] == 0


def test_policy_fails_the_nodes_that_break_it_or_drift(
    fleet_dir: Path, policy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "fleet.xml"
    code, out, err = run(
        ["fleet", str(fleet_dir), "--policy", str(policy), "--junit", str(junit)], capsys
    )
    assert (code, err) == (1, "")
    tail = out[out.index(f"Policy {policy}") :]
    assert tail == (
        f"Policy {policy}\n"
        "  ✗ fail            same NVIDIA driver on every node: needed one value, found 550.54.15 "
        "on 63 of 64 nodes; 535.104.05 on gpu017\n"
        "  ✗ fail            same CUDA supported by the driver on every node: needed one value, "
        "found 12.4 on 63 of 64 nodes; 12.2 on gpu017\n"
        "  ✗ fail            same cuDNN on every node: needed one value, found 9.1.0 on 56 of 64 "
        "nodes; 8.9.7 on gpu[001-008]\n"
        "  ✓ pass            same tensorflow build on every node: needed one value, found 2.16.1 "
        "on 64 of 64 nodes\n"
        "  ✓ pass            same torch build on every node: needed one value, found 2.3.1+cu121 "
        "on 64 of 64 nodes\n"
        "  ✗ fail            same container toolkit on every node: needed one value, found NVIDIA "
        "driver mounted on 62 of 64 nodes; no NVIDIA driver mounts on gpu[020-021]\n"
        "  ✓ pass            GPUs over all nodes: needed at least 128, found 128 on 64 node(s)\n"
        "  ✓ pass            unreadable reports: needed at most 3, found 3\n"
        "  ✗ gpu017: driver: needed >=550, found 535.104.05\n"
        "  ✗ gpu018: DL105 driver-library-mismatch\n"
        "  ✗ gpu031: DL105 driver-library-mismatch\n"
        "  ✗ gpu033: health.max_ecc_uncorrectable: needed at most 0, found GPU 1: 4\n"
        "Failing nodes: gpu[001-008,017-018,020-021,031,033]\n"
        "dlenv fleet FAILED: 14 of 64 nodes fail, 4 fleet rules not met\n"
    )
    root = ET.parse(junit).getroot()
    nodes, rules = root.findall("testsuite")
    assert (nodes.get("tests"), nodes.get("failures")) == ("67", "17")  # 64 nodes, 3 unreadable
    failing = [c.get("name") for c in nodes.findall("testcase") if c.find("failure") is not None]
    assert failing[:14] == [f"gpu{i:03d}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 17, 18, 20, 21, 31, 33)]
    assert [f.split("/")[-1] for f in failing[14:]] == ["gpu065.json", "gpu066.json", "gpu067.json"]
    case = next(c for c in nodes.findall("testcase") if c.get("name") == "gpu017")
    failure = case.find("failure")
    assert failure is not None and failure.text == (
        "driver: needed >=550, found 535.104.05\n"
        "same.driver: this node has 535.104.05 (550.54.15 on 63 of 64 nodes; 535.104.05 on "
        "gpu017)\n"
        "same.driver_cuda: this node has 12.2 (12.4 on 63 of 64 nodes; 12.2 on gpu017)"
    )
    assert (rules.get("tests"), rules.get("failures")) == ("8", "4")
    # one unreadable report more than the policy allows fails the gate on its own
    policy.write_text("[fleet]\nmax_unreadable = 2\n", encoding="utf-8")
    code, out, _ = run(["fleet", str(fleet_dir), "--policy", str(policy)], capsys)
    assert code == 1
    assert out.endswith(
        "  ✗ fail            unreadable reports: needed at most 2, found 3\n"
        "dlenv fleet FAILED: 0 of 64 nodes fail, 1 fleet rule not met\n"
    )


def test_a_healthy_fleet_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for index in range(40, 48):
        (folder / f"gpu{index:03d}.json").write_text(report_text(node(index)), encoding="utf-8")
    policy = tmp_path / "dlenv.toml"
    policy.write_text(POLICY.replace("128", "16"), encoding="utf-8")
    code, out, err = run(["fleet", str(folder), "--policy", str(policy)], capsys)
    assert (code, err) == (0, "")
    assert out.endswith("dlenv fleet PASSED: 8 nodes meet the policy and agree\n")
    policy.write_text(POLICY.replace("128", "17"), encoding="utf-8")
    code, out, _ = run(["fleet", str(folder), "--policy", str(policy)], capsys)
    assert code == 1
    assert "✗ fail            GPUs over all nodes: needed at least 17, found 16 on 8 node(s)" in out


def test_unknown_facts_cannot_pass_a_same_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for index in (40, 41):
        (folder / f"gpu{index:03d}.json").write_text(report_text(node(index)), encoding="utf-8")
    blind = replace(node(42), driver=replace(node(42).driver, version=None))
    (folder / "gpu042.json").write_text(report_text(blind), encoding="utf-8")
    policy = tmp_path / "dlenv.toml"
    policy.write_text("[fleet]\nsame = ['driver']\n", encoding="utf-8")
    code, out, _ = run(["fleet", str(folder), "--policy", str(policy)], capsys)
    assert code == 1
    assert (
        "? could not check same NVIDIA driver on every node: needed one value, found 550.54.15 "
        "on 2 of 3 nodes; unknown on gpu042 (those nodes could not read it)" in out
    )
    assert run(["fleet", str(folder), "--policy", str(policy), "--allow-unknown"], capsys)[0] == 0


def test_json_markdown_and_html(
    fleet_dir: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["fleet", str(fleet_dir), "-p", str(policy), "-f", "json"], capsys)
    data = json.loads(out)
    assert (code, data["kind"], data["schema_version"]) == (1, "dlenv-fleet", 1)
    assert [d["key"] for d in data["drift"] if len(d["values"]) > 1] == [
        "driver",
        "driver_cuda",
        "gpu_health",
        "container_toolkit",
        "cudnn",
    ]
    cudnn = next(d for d in data["drift"] if d["key"] == "cudnn")
    assert cudnn["values"][1] == {
        "value": "8.9.7",
        "nodes": [f"gpu{i:03d}" for i in range(1, 9)],
    }
    assert data["findings"] == [
        {
            "code": "DL105",
            "name": "driver-library-mismatch",
            "severity": "error",
            "title": "NVIDIA driver/library version mismatch",
            "nodes": ["gpu018", "gpu031"],
        }
    ]
    assert data["verdict"]["passed"] is False
    assert len(data["nodes"]) == 64 and len(data["problems"]) == 4

    code, out, _ = run(["fleet", str(fleet_dir), "-f", "markdown"], capsys)
    assert "| cuDNN | 9.1.0 | 56 of 64 | 8.9.7: gpu[001-008] |" in out
    assert "| `DL105` driver-library-mismatch | error | 2: gpu[018,031] |" in out

    code, out, _ = run(["fleet", str(fleet_dir), "-f", "html"], capsys)
    parser = HTMLParser()
    parser.feed(out)
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert '<tr class="drift"><td>cuDNN</td><td>9.1.0</td><td>56 of 64</td>' in out


def test_hostile_strings_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = replace(node(17), host=replace(node(17).host, hostname="<img src=x>\x1b[31m|x"))
    (tmp_path / "a.json").write_text(report_text(evil), encoding="utf-8")
    (tmp_path / "b.json").write_text(report_text(node(2)), encoding="utf-8")
    _, out, _ = run(["fleet", str(tmp_path), "-f", "html"], capsys)
    assert "<img" not in out and "&lt;img src=x&gt;\\x1b[31m|x" in out
    _, out, _ = run(["fleet", str(tmp_path)], capsys)
    assert "\x1b" not in out and "<img src=x>\\x1b[31m|x" in out
    _, out, _ = run(["fleet", str(tmp_path), "-f", "markdown"], capsys)
    assert "\\x1b[31m\\|x" in out


def test_github_annotations_and_summary(
    fleet_dir: Path,
    policy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _, err = run(["fleet", str(fleet_dir), "-p", str(policy)], capsys)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == (
        "::error title=dlenv fleet%3A same NVIDIA driver on every node fail [same.driver]::"
        "needed one value, found 550.54.15 on 63 of 64 nodes; 535.104.05 on gpu017"
    )
    assert (
        "::error title=dlenv fleet%3A gpu033 fails::health.max_ecc_uncorrectable: needed at "
        "most 0, found GPU 1: 4" in lines
    )
    assert sum(line.startswith("::warning") for line in lines) == 3  # the unreadable reports
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## dlenv fleet: 64 nodes")
    assert "Failing nodes: gpu[001-008,017-018,020-021,031,033]" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[fleet]\nsame_drivers = true\n",
            'fleet.same_drivers: unknown key (did you mean "same_driver"?)',
        ),
        ("[fleet]\nsame = ['drivers']\n", "fleet.same: expected drift-table fact names"),
        ("[fleet]\nmin_total_gpus = -1\n", "fleet.min_total_gpus: expected a whole number >= 0"),
        ("[other]\n", "no [check] or [fleet] table"),
        ("[check]\nmin_gpu = 1\n", "check.min_gpu: unknown key"),
    ],
)
def test_bad_policies_are_usage_errors(
    tmp_path: Path, text: str, message: str, fleet_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dlenv.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(["fleet", str(fleet_dir), "--policy", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"dlenv: error: {path}: ") and message in err
    assert len(err.splitlines()) == 1


def test_pyproject_tables(
    tmp_path: Path, fleet_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.dlenv.fleet]\nsame_kernel = true\nmin_nodes = 64\n", encoding="utf-8")
    code, out, _ = run(["fleet", str(fleet_dir), "--policy", str(path), "--explain-policy"], capsys)
    assert (code, out) == (
        0,
        f"Fleet policy from {path} [tool.dlenv.fleet]:\n"
        "  same: every node has the same kernel\n"
        "  min_nodes: at least 64 readable node report(s)\n"
        "  max_unreadable: at most 0 unreadable report(s)\n",
    )


def test_usage_errors(tmp_path: Path, fleet_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["fleet", str(fleet_dir), "--junit", str(tmp_path / "x.xml")], capsys)[:2] == (2, "")
    (tmp_path / "empty").mkdir()
    code, out, err = run(["fleet", str(tmp_path / "empty")], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dlenv: error: no readable dlenv report in {tmp_path / 'empty'}; "
        f"{tmp_path / 'empty'}: no *.json report in this folder\n"
    )
    code, _, err = run(["fleet", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "missing.json: cannot read (No such file or directory)" in err


def test_the_console_escapes_as_visible_object_does(fleet_dir: Path, policy: Path) -> None:
    """render's one walk over the fleet gives what `visible_object` gives, shared tables and
    all, and leaves a fleet with nothing to escape as it is."""
    from dlenv.check.policy import load_fleet_policy
    from dlenv.fleet.merge import FleetPolicies, merge_fleet
    from dlenv.fleet.render import visible_fleet
    from dlenv.report.visible import visible_object

    check, rules = load_fleet_policy(policy)
    clean = merge_fleet([str(fleet_dir)], FleetPolicies(source="p", check=check, fleet=rules))
    assert visible_fleet(clean) is clean
    evil = "gpu\x1b]52;c;bad\x07\u202e"
    nodes = [replace(clean.nodes[0], name=evil, facts={**clean.nodes[0].facts, "os": "\r\x00"})]
    dirty = replace(clean, nodes=nodes + clean.nodes[1:], sources=["\x9b31m"])
    shown = visible_fleet(dirty)
    assert shown == visible_object(dirty)
    assert shown.nodes[0].name == "gpu\\x1b]52;c;bad\\x07\\u202e"
    assert shown.nodes[1] is dirty.nodes[1]  # untouched nodes are not copied
