"""The planner: merged, deduplicated steps tied to their findings; conflicts reported; commands
for pip, conda and uv; nothing from a report that could pass as an option or code."""

from __future__ import annotations

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import (
    Action,
    InstallPackages,
    ManualStep,
    PrependPath,
    RemoveFromPath,
    SetEnv,
    UnsetEnv,
)
from dlenv.fix.planner import plan_fixes
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import Distribution, PythonFacts, Snapshot

SNAP = Snapshot(
    python=PythonFacts(
        executable="/envs/ml env/bin/python",
        kind="conda",
        prefix="/envs/ml env",
        distributions=[
            Distribution(name="torch", version="2.1.0", location="/x", installer="conda")
        ],
    )
)


def finding(code: str, *fixes: Action) -> Finding:
    return Finding(code=code, name="n", severity="error", title="t", message="m", fixes=list(fixes))


TORCH = InstallPackages(
    packages=["torch==2.5.1"],
    uninstall=["torch", "torchvision"],
    index_url="https://download.pytorch.org/whl/cu121",
    conda_packages=["pytorch=2.5.1", "pytorch-cuda=12.1"],
    conda_channels=["pytorch", "nvidia"],
)


def test_merges_and_dedupes_across_findings() -> None:
    plan = plan_fixes(
        [
            finding("DL101", TORCH, PrependPath(name="LD_LIBRARY_PATH", entries=["/a", "/b"])),
            finding(
                "DL102",
                TORCH,
                PrependPath(name="LD_LIBRARY_PATH", entries=["/b", "/c"]),
                SetEnv(name="CUDA_HOME", value="/usr/local/cuda"),
            ),
            finding("DL103", SetEnv(name="CUDA_HOME", value="/usr/local/cuda")),
        ],
        SNAP,
    )
    assert [(s.number, s.kind, s.codes, s.title) for s in plan.steps] == [
        (1, "install", ["DL101", "DL102"], "Install torch==2.5.1"),
        (2, "env", ["DL101", "DL102"], "Put /a, /b, /c first in LD_LIBRARY_PATH"),
        (3, "env", ["DL102", "DL103"], "Set CUDA_HOME to /usr/local/cuda"),
    ]
    assert plan.conflicts == []
    assert [c.argv for c in plan.steps[0].commands] == [
        ["conda", "remove", "--prefix", "/envs/ml env", "torch"],
        ["/envs/ml env/bin/python", "-m", "pip", "uninstall", "-y", "torchvision"],
        [
            "/envs/ml env/bin/python",
            "-m",
            "pip",
            "install",
            "torch==2.5.1",
            "--index-url",
            "https://download.pytorch.org/whl/cu121",
        ],
    ]


def test_conflicts_are_left_out_and_reported() -> None:
    plan = plan_fixes(
        [
            finding(
                "DL201",
                SetEnv(name="CUDA_HOME", value="/a"),
                InstallPackages(packages=["torch==2.5.1"]),
            ),
            finding(
                "DL202", SetEnv(name="CUDA_HOME", value="/b"), InstallPackages(packages=["torch<2"])
            ),
            finding("DL203", UnsetEnv(name="TF_X"), PrependPath(name="TF_X", entries=["/x"])),
            finding(
                "DL204",
                PrependPath(name="PATH", entries=["/p"]),
                RemoveFromPath(name="PATH", entries=["/p", "/q"]),
            ),
            finding(
                "DL205",
                SetEnv(name="HF_TOKEN", value="hf_abc"),
                SetEnv(name="HF_TOKEN", value="hf_def"),
            ),
        ],
        Snapshot(),
    )
    assert plan.conflicts == [
        "torch: the findings ask for different versions: torch==2.5.1 (DL201); torch<2 (DL202)",
        "CUDA_HOME: the findings disagree: set to '/a' (DL201); set to '/b' (DL202)",
        "TF_X: the findings disagree: unset (DL203); edited as a path list (DL203)",
        "PATH: /p is both added (DL204) and removed (DL204)",
        "HF_TOKEN: the findings disagree: set to <redacted> (DL205); set to <redacted> (DL205)",
    ]
    assert [s.title for s in plan.steps] == ["Remove /q from PATH"]
    assert plan.python == "python"


@pytest.mark.parametrize(
    ("installer", "expected"),
    [
        (
            "uv",
            [
                ["uv", "pip", "uninstall", "--python", "/envs/ml env/bin/python", "torchvision"],
                [
                    "uv",
                    "pip",
                    "install",
                    "--python",
                    "/envs/ml env/bin/python",
                    "torch==2.5.1",
                    "--index-url",
                    "https://download.pytorch.org/whl/cu121",
                ],
            ],
        ),
        (
            "conda",
            [
                ["/envs/ml env/bin/python", "-m", "pip", "uninstall", "-y", "torchvision"],
                [
                    "conda",
                    "install",
                    "--prefix",
                    "/envs/ml env",
                    "-c",
                    "pytorch",
                    "-c",
                    "nvidia",
                    "pytorch=2.5.1",
                    "pytorch-cuda=12.1",
                ],
            ],
        ),
    ],
)
def test_installers(installer: str, expected: list[list[str]]) -> None:
    plan = plan_fixes([finding("DL101", TORCH)], SNAP, installer=installer)
    assert [c.argv for c in plan.steps[0].commands][1:] == expected


def test_python_option_wins_and_manual_steps_dedupe() -> None:
    manual = ManualStep(text="Install driver 550", commands=["sudo apt install x"], url="https://u")
    plan = plan_fixes(
        [finding("DL001", manual), finding("DL002", manual)], SNAP, python="/usr/bin/python3"
    )
    assert plan.python == "/usr/bin/python3"
    assert [(s.kind, s.codes, s.title) for s in plan.steps] == [
        ("manual", ["DL001", "DL002"], "Install driver 550")
    ]


@pytest.mark.parametrize(
    "action",
    [
        InstallPackages(packages=["--index-url=https://evil"]),
        InstallPackages(packages=["torch; rm -rf /"]),
        InstallPackages(packages=["torch"], index_url="https://x/$(id)"),
        InstallPackages(packages=["torch"], index_url="file:///etc"),
        InstallPackages(packages=["torch"], conda_packages=["--yes"]),
        SetEnv(name="A;B", value="x"),
        SetEnv(name="1A", value="x"),
    ],
)
def test_report_content_cannot_become_an_option_or_code(action: Action) -> None:
    with pytest.raises(DlenvError, match="not a valid"):
        plan_fixes([finding("DL999", action)], Snapshot())
