"""The real `dlenv` process on this machine, as a user runs it: static and live probes against
the framework venv (real TensorFlow, PyTorch, JAX and Keras CPU builds), checked against the truth
that the frameworks themselves report, and the JSON checked against the published schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dlenv.report.schema import shipped_schema_text

TRUTH = """
import json, torch, tensorflow as tf, keras, jax
print(json.dumps({
    "jax": jax.__version__, "jax_platform": jax.default_backend(),
    "torch": torch.__version__, "torch_cuda": torch.version.cuda,
    "tensorflow": tf.__version__, "tf_cuda": tf.sysconfig.get_build_info().get("is_cuda_build"),
    "keras": keras.__version__, "backend": keras.backend.backend(),
}))
"""


def _dlenv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLENV_")}
    return subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = os.environ.get("DLENV_TEST_FRAMEWORK_PYTHON", "")
    assert python, "run the suite with ./scripts/test.sh (it builds the framework venv)"
    cwd = tmp_path_factory.mktemp("work")
    proc = _dlenv("doctor", "--python", python, "--format", "json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    truth = subprocess.run([python, "-c", TRUTH], capture_output=True, text=True, check=True)
    return {
        "report": json.loads(proc.stdout),
        "truth": json.loads(truth.stdout.splitlines()[-1]),
        "stderr": proc.stderr,
        "python": python,
    }


def test_report_validates_against_the_published_schema(full_report: dict[str, Any]) -> None:
    jsonschema.validate(full_report["report"], json.loads(shipped_schema_text()))


def test_static_facts_match_what_the_frameworks_say(full_report: dict[str, Any]) -> None:
    snap, truth = full_report["report"]["snapshot"], full_report["truth"]
    frameworks = {f["name"]: f for f in snap["frameworks"]}
    assert frameworks["torch"]["version"] == truth["torch"]
    assert frameworks["torch"]["cuda_build"] is (truth["torch_cuda"] is not None)
    assert frameworks["tensorflow"]["version"] == truth["tensorflow"]
    assert frameworks["tensorflow"]["cuda_build"] is bool(truth["tf_cuda"])
    assert frameworks["keras"]["version"] == truth["keras"]
    assert frameworks["keras"]["backend"] == truth["backend"]
    assert frameworks["jax"]["version"] == truth["jax"]
    assert truth["jax_platform"] == "cpu"
    assert snap["python"]["executable"] == full_report["python"]


def test_live_probes_ran_each_framework_and_agree(full_report: dict[str, Any]) -> None:
    snap, truth = full_report["report"]["snapshot"], full_report["truth"]
    live = {p["framework"]: p for p in snap["live"]}
    assert sorted(live) == ["jax", "keras", "tensorflow", "torch"]
    assert {p["status"] for p in live.values()} == {"ok"}
    assert live["torch"]["version"] == truth["torch"]
    assert live["tensorflow"]["version"] == truth["tensorflow"]
    assert live["jax"]["version"] == truth["jax"]
    # no GPU on this machine: every framework says so, and that is not an error on a CPU box
    gpu = snap["driver"]["installed"]
    if not gpu:
        assert [p["gpu_available"] for p in live.values()] == [False] * 4
        assert [f for f in full_report["report"]["findings"] if f["severity"] == "error"] == []
    assert snap["timings"]["live"] > 0


def test_framework_noise_never_reaches_the_terminal(full_report: dict[str, Any]) -> None:
    # only dlenv's own progress lines may appear on stderr, never TensorFlow's start-up logs
    lines = [line for line in full_report["stderr"].splitlines() if line.strip()]
    assert all(line.startswith("dlenv: live probe ") for line in lines), lines


def test_quick_doctor_on_the_default_interpreter(tmp_path: Path) -> None:
    proc = _dlenv("doctor", "--quick", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(proc.stdout)["snapshot"]
    assert snap["live"] == []
    assert snap["python"]["executable"]
    cuda = Path("/usr/local/cuda/version.json")
    if cuda.exists():  # this machine's CUDA 13 tree, when present, is found with its version
        version = json.loads(cuda.read_text())["cuda"]["version"]
        assert version in [t["version"] for t in snap["cuda"]["toolkits"]]


def test_markdown_report_for_a_bug_report(tmp_path: Path) -> None:
    proc = _dlenv("doctor", "--quick", "--format", "markdown", "--redact", "all", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("### dlenv ")
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    if user and len(user) > 2:
        assert f"/{user}/" not in proc.stdout
