"""The recipes of docs/fleet.md hold together: the Kubernetes DaemonSet and Job validate
against the Kubernetes API schemas (`kubernetes-validate`, offline from the schemas it bundles)
and have the structure the recipes rely on, the GitHub Actions workflow parses with the
structure its engine requires, and the [fleet] policy shown is a valid policy."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
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


def _manifests() -> list[dict[str, Any]]:
    found = []
    for block in _blocks("yaml"):
        for data in yaml.safe_load_all(block):
            if isinstance(data, dict) and "apiVersion" in data:
                found.append(data)
    return found


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is in the test extra: pip install .[test]"
    )
    manifests = _manifests()
    assert sorted(m["kind"] for m in manifests) == ["DaemonSet", "Job"]
    version = kv.latest_version()
    for manifest in manifests:
        # strict: a misspelt or misplaced field is an error, as `kubectl apply` would say
        kv.validate(manifest, version, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(_yaml("Job")))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kv.ValidationError, match="'resource' was unexpected"):
        kv.validate(broken, version, strict=True)


def test_job_manifest() -> None:
    job = _yaml("Job")
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completions"] == spec["parallelism"]  # all nodes at once, one pod each
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["hostNetwork"] is True
    assert all(isinstance(v, str) for v in pod["nodeSelector"].values())
    labels = spec["template"]["metadata"]["labels"]
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"  # one pod per node
    assert term["labelSelector"]["matchLabels"].items() <= labels.items()
    (container,) = pod["containers"]
    resources = container["resources"]
    # an extended resource (the NVIDIA device plugin's) needs its request equal to its limit
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == 1
    (env,) = container["env"]
    assert env["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    script = " ".join(container["args"])
    doctor = script[script.index("dlenv doctor") :].split("&&")[0]
    assert shlex.split(doctor)[2:] == [
        "--format",
        "json",
        "--fail-on",
        "never",
        "--output",
        f"/reports/${env['name']}.json",
    ]
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/reports"
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"] and "persistentVolumeClaim" in volume
    text = DOC.read_text(encoding="utf-8")
    assert f"kubectl logs -l app={labels['app']} --prefix --tail=-1" in text


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
