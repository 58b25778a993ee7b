"""`dlenv setup --dry-run`: the plan for another machine's saved report, whole outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.snapshot.model import Snapshot
from tests.setup import machines as m


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def saved(tmp_path: Path, s: Snapshot, name: str = "report.json") -> str:
    path = tmp_path / name
    path.write_text(dump_report(make_report(s, [])), encoding="utf-8")
    return str(path)


def test_dry_run_for_a_pascal_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = saved(tmp_path, m.pascal_new_driver())
    code, out, err = run(
        ["setup", "torch", "--dry-run", "--for", report, "--shell", "bash"], capsys
    )
    assert (code, err) == (0, "")
    kb_matrix = (
        "https://github.com/pytorch/pytorch/blob/main/RELEASE.md#release-compatibility-matrix"
    )
    assert out == (
        f"dlenv setup torch  (for {report})\n"
        "\n"
        "Machine: Linux x86_64\n"
        "  NVIDIA driver: 580.65.06 (CUDA 12.4)\n"
        "  GPUs: NVIDIA GeForce GTX 1080 (6.1)\n"
        "  Python here: 3.11\n"
        "\n"
        "Notes:\n"
        "  - PyTorch 2.15 will publish no cu126 wheels: keep torch<2.15 on this machine "
        "(Announced, not in RELEASE.md yet)\n"
        "    source: https://dev-discuss.pytorch.org/t/notice-cuda-12-6-wheels-will-no-longer-"
        "be-published-from-pytorch-2-15-drops-maxwell-pascal-volta/3432\n"
        "\n"
        "Environment .venv: Python 3.11, venv\n"
        "  - Python 3.11: the newest one here that every chosen release supports (3.10-3.15)\n"
        "  torch 2.14 [cu126] -> GPU\n"
        "    - PyTorch 2.14 cu126: the newest release and CUDA variant that driver 580.65.06 "
        "runs and that has kernels for every GPU (compute capability 6.1)\n"
        f"      source: {kb_matrix}\n"
        "    - cu126 is built with CUDA 12.6, which needs driver >= 525.60.13; driver 580.65.06 "
        "meets it\n"
        "      source: https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-"
        "compatibility.html\n"
        "    - cu126 is built for sm_50, sm_60, sm_70, sm_75, sm_80, sm_86, sm_90\n"
        "      source: https://github.com/pytorch/pytorch/pull/182849\n"
        "    - cu130 has no kernels for compute capability 6.1 (built for sm_75, sm_80, sm_86, "
        "sm_90, sm_100, sm_120)\n"
        "      source: https://github.com/pytorch/pytorch/pull/188914\n"
        "    - cu132 has no kernels for compute capability 6.1 (built for sm_75, sm_80, sm_86, "
        "sm_90, sm_100, sm_120)\n"
        "      source: https://github.com/pytorch/pytorch/pull/188914\n"
        "\n"
        "  Commands (bash):\n"
        "    python3.11 -m venv .venv\n"
        "    .venv/bin/python -m pip install 'torch==2.14.*' --index-url "
        "https://download.pytorch.org/whl/cu126\n"
        "  Then: source .venv/bin/activate\n"
    )


def test_dry_run_json_uv_for_fish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = saved(tmp_path, m.rtx4090_wsl2())
    code, out, _ = run(
        [
            "setup",
            "torch",
            "keras-jax",
            "--dry-run",
            "--format",
            "json",
            "--for",
            report,
            "--manager",
            "uv",
            "--path",
            "my env",
            "--shell",
            "fish",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "dlenv-setup-plan" and data["schema_version"] == 1
    assert data["machine"]["os"] == "Linux (WSL2)"
    (env,) = data["environments"]
    assert [(f["name"], f["build"]) for f in env["frameworks"]] == [
        ("torch", "cu126"),
        ("jax", "cuda12"),
        ("keras", "jax"),
    ]
    assert env["commands"] == [
        "uv venv --python 3.11 'my env'",
        "uv pip install --python 'my env/bin/python' 'torch==2.14.*' --index-url "
        "https://download.pytorch.org/whl/cu126",
        "uv pip install --python 'my env/bin/python' 'jax[cuda12]==0.9.*' 'keras==3.15.*'",
    ]
    assert env["env"] == {"KERAS_BACKEND": "jax"}
    assert all(r["source"] for f in env["frameworks"] for r in f["why"] if f["name"] != "jax")


def test_conda_writes_environment_yml_in_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = saved(tmp_path, m.v100_driver535())
    code, out, _ = run(
        [
            "setup",
            "torch",
            "tensorflow",
            "--dry-run",
            "--format",
            "json",
            "--for",
            report,
            "--manager",
            "conda",
            "--name",
            "dl",
        ],
        capsys,
    )
    assert code == 0
    (env,) = json.loads(out)["environments"]
    assert env["commands"][-1] == "conda env create --file environment.yml --name dl"
    assert env["files"]["environment.yml"] == (
        'name: "dl"\n'
        "channels:\n"
        "  - conda-forge\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - pip\n"
        "  - pip:\n"
        '      - "--extra-index-url https://download.pytorch.org/whl/cu126"\n'
        '      - "torch==2.14.*"\n'
        '      - "tensorflow[and-cuda]==2.21.*"\n'
    )


def test_refused_plan_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = saved(tmp_path, m.rtx5090_driver580())
    code, out, _ = run(["setup", "torch==2.3", "--dry-run", "--for", report], capsys)
    assert code == 1
    assert (
        "Refused (add --force to install anyway):\n  - torch: PyTorch 2.3 has no CUDA build" in out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["setup", "caffe", "--dry-run"], "unknown framework 'caffe'"),
        (["setup", "torch", "--for", "r.json"], "--for plans for another machine: add --dry-run"),
        (["setup", "torch", "--name", "dl", "--dry-run"], "--name names a conda environment"),
        (["setup", "torch", "--format", "json"], "--format json shows the plan only"),
        (["setup", "torch", "--dry-run", "--python", "three"], "--python: not a Python version"),
        (["setup", "torch", "--dry-run", "--for", "/nonexistent.json"], "nonexistent.json"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    assert err.startswith("dlenv: error: ") and message in err
    assert "Traceback" not in err


def test_non_empty_target_is_refused_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "env"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["setup", "torch", "--path", str(target), "--yes"], capsys)
    assert code == 2
    assert f"{target} exists and is not empty" in err
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
