"""The recipes of docs/fleet.md hold together: the Kubernetes DaemonSet and the GitHub Actions
workflow parse as YAML with the structure their engines require, and the [fleet] policy shown
is a valid policy."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from dlenv.check.policy import load_fleet_policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "fleet.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _yaml(kind: str) -> dict[str, Any]:
    for block in _blocks("yaml"):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and (data.get("kind") == kind or kind in data):
            return data
    raise AssertionError(f"no {kind} in {DOC}")


def test_daemonset_manifest() -> None:
    ds = _yaml("DaemonSet")
    assert (ds["apiVersion"], ds["kind"]) == ("apps/v1", "DaemonSet")
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", ds["metadata"]["name"])
    spec = ds["spec"]
    labels = spec["template"]["metadata"]["labels"]
    # apps/v1 requires a selector, and it must match the template's labels
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    assert labels["app"] == "dlenv-doctor"  # what `kubectl logs -l app=dlenv-doctor` selects
    pod = spec["template"]["spec"]
    assert pod["hostNetwork"] is True  # the report names the node, not the pod
    assert all(isinstance(v, str) for v in pod["nodeSelector"].values())
    assert {t["key"] for t in pod["tolerations"]} == {"nvidia.com/gpu"}
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    script = " ".join(container["command"] + container["args"])
    doctor = script[script.index("dlenv doctor") :].split(";")[0]
    assert shlex.split(doctor)[2:] == ["--format", "json", "--fail-on", "never"]
    assert "sleep infinity" in script  # a DaemonSet restarts a pod that exits


def test_github_matrix_workflow() -> None:
    wf = _yaml("jobs")
    doctor, merge = wf["jobs"]["doctor"], wf["jobs"]["merge"]
    assert "self-hosted" in doctor["runs-on"]
    assert doctor["strategy"]["fail-fast"] is False
    upload = next(s for s in doctor["steps"] if s.get("uses", "").startswith("actions/upload"))
    assert upload["with"]["path"] == "report.json"
    assert "--output report.json" in doctor["steps"][0]["run"]
    assert merge["needs"] == "doctor" and merge["if"] == "always()"
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download"))
    assert merge["steps"][-1]["run"].split()[3:5] == ["fleet", download["with"]["path"] + "/"]


def test_documented_policy_is_valid(tmp_path: Path) -> None:
    (toml,) = [b for b in _blocks("toml") if "[fleet]" in b]
    path = tmp_path / "dlenv.toml"
    path.write_text(toml, encoding="utf-8")
    check, fleet = load_fleet_policy(path)
    assert check is not None and check.driver == ">=550"
    assert fleet is not None
    assert fleet.same == (
        "driver",
        "driver_cuda",
        "cudnn",
        "frameworks.*",
        "container_toolkit",
        "kernel",
        "live.torch",
    )
    assert (fleet.min_nodes, fleet.min_total_gpus, fleet.max_unreadable) == (16, 128, 0)
