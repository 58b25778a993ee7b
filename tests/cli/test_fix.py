"""`dlenv fix` end to end in process: plan output, --apply/--undo with confirmation, --install."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from dlenv.cli import fix as fix_cli
from dlenv.cli.app import main
from dlenv.fix.actions import InstallPackages, ManualStep, PrependPath, SetEnv
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import PythonFacts, Snapshot

FINDINGS = [
    Finding(
        code="DL101",
        name="torch-cpu-build",
        severity="error",
        title="torch is a CPU build",
        message="m",
        fixes=[
            InstallPackages(
                packages=["torch==2.5.1"],
                uninstall=["torch"],
                index_url="https://download.pytorch.org/whl/cu121",
            )
        ],
    ),
    Finding(
        code="DL201",
        name="cuda-home-unset",
        severity="warning",
        title="CUDA_HOME is not set",
        message="m",
        fixes=[
            SetEnv(name="CUDA_HOME", value="/usr/local/cuda 12.1"),
            PrependPath(name="LD_LIBRARY_PATH", entries=["/usr/local/cuda 12.1/lib64"]),
            ManualStep(text="Reboot after the driver install", commands=["sudo reboot"]),
        ],
    ),
]


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A saved report; the rules (written elsewhere) are replaced by these findings."""
    snapshot = Snapshot(python=PythonFacts(executable="/home/u/venv/bin/python"))
    path = tmp_path / "report.json"
    path.write_text(dump_report(make_report(snapshot, [])), encoding="utf-8")
    monkeypatch.setattr("dlenv.rules.diagnose", lambda snapshot, **_: FINDINGS)
    monkeypatch.setenv("SHELL", "/bin/bash")
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_plan_console(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["fix", "--from", str(report)], capsys)
    assert (code, err) == (1, "")  # the plan is for errors the machine still has
    assert out == (
        "dlenv fix: 4 steps for DL101, DL201 (python: /home/u/venv/bin/python; shell: bash)\n"
        "\n"
        "1. Install torch==2.5.1  [DL101]\n"
        "     /home/u/venv/bin/python -m pip uninstall -y torch\n"
        "     /home/u/venv/bin/python -m pip install torch==2.5.1 "
        "--index-url https://download.pytorch.org/whl/cu121\n"
        "2. Set CUDA_HOME to /usr/local/cuda 12.1  [DL201]\n"
        "     export CUDA_HOME='/usr/local/cuda 12.1'\n"
        "3. Put /usr/local/cuda 12.1/lib64 first in LD_LIBRARY_PATH  [DL201]\n"
        '     case ":${LD_LIBRARY_PATH-}:" in\n'
        "       *:'/usr/local/cuda 12.1/lib64':*) ;;\n"
        "       *) export LD_LIBRARY_PATH='/usr/local/cuda 12.1/lib64'"
        '"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;\n'
        "     esac\n"
        "4. By hand: Reboot after the driver install  [DL201]\n"
        "     sudo reboot\n"
        "\n"
        "Apply the environment steps: dlenv fix --apply (shows a diff and asks first).\n"
        "Package steps are not run: run them yourself, or add --install to `dlenv fix --apply`.\n"
    )


def test_plan_json_and_script(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["fix", "--from", str(report), "--format", "json", "--shell", "fish"], capsys
    )
    data = json.loads(out)
    assert code == 1
    assert (data["kind"], data["schema_version"], data["shell"], data["installer"]) == (
        "dlenv-fix-plan",
        1,
        "fish",
        "pip",
    )
    assert [(s["number"], s["kind"], s["codes"]) for s in data["steps"]] == [
        (1, "install", ["DL101"]),
        (2, "env", ["DL201"]),
        (3, "env", ["DL201"]),
        (4, "manual", ["DL201"]),
    ]
    assert data["steps"][1]["lines"] == ["set -gx CUDA_HOME '/usr/local/cuda 12.1'"]
    assert data["steps"][0]["commands"][1]["argv"][-2:] == [
        "--index-url",
        "https://download.pytorch.org/whl/cu121",
    ]
    code, out, _ = run(
        ["fix", "--from", str(report), "--format", "script", "--shell", "pwsh"], capsys
    )
    assert code == 1
    assert out.splitlines()[:4] == [
        "# dlenv fix for DL101, DL201; review before running.",
        "# 1. Install torch==2.5.1  [DL101]",
        "& '/home/u/venv/bin/python' -m pip uninstall -y torch",
        "& '/home/u/venv/bin/python' -m pip install torch==2.5.1 --index-url "
        "https://download.pytorch.org/whl/cu121",
    ]
    assert out.splitlines()[-2:] == [
        "# 4. Reboot after the driver install  [DL201]",
        "#    sudo reboot",
    ]


def test_apply_refuses_without_terminal_or_yes(
    report: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["fix", "--from", str(report), "--apply"], capsys)
    assert code == 2
    assert err == (
        "dlenv: error: no terminal to ask for confirmation; review the changes in a terminal, "
        "or pass --yes\n"
    )
    assert not (isolated_home / ".bashrc").exists()
    assert not (isolated_home / "xdg_config_home").exists()


def test_apply_yes_twice_then_undo(
    report: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"# mine\n")
    code, out, _ = run(["fix", "--from", str(report), "--apply", "--yes"], capsys)
    assert code == 0
    assert f"--- /dev/null\n+++ {isolated_home}/xdg_config_home/dlenv/env.sh\n" in out
    assert f"--- {rc}\n+++ {rc}\n" in out
    assert out.endswith(
        "dlenv fix: wrote 3 files; open a new shell (or re-activate the environment) to use "
        "them; `dlenv fix --undo` takes them back.\n"
    )
    code, out, _ = run(["fix", "--from", str(report), "--apply", "--yes"], capsys)
    assert (code, out) == (0, "dlenv fix: nothing to change: already applied.\n")
    code, out, _ = run(["fix", "--undo", "--yes"], capsys)
    assert code == 0 and out.endswith("dlenv fix: restored 3 files.\n")
    assert rc.read_bytes() == b"# mine\n"
    assert not (isolated_home / ".profile").exists()
    code, out, _ = run(["fix", "--undo", "--yes"], capsys)
    assert (code, out) == (0, "dlenv fix: nothing to undo.\n")


def test_interactive_no_changes_nothing(
    report: Path,
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(isolated_home)
    monkeypatch.setattr(fix_cli, "interactive", lambda: True)
    monkeypatch.setattr("typer.confirm", lambda *a, **k: False)
    code, out, _ = run(["fix", "--from", str(report), "--apply", "--target", "dotenv"], capsys)
    assert code == 0 and out.endswith("Nothing changed.\n")
    assert "+# >>> dlenv >>>\n" in out
    assert not (isolated_home / ".env").exists()


def test_unreadable_rc_file_one_line_exit_2(
    report: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated_home / ".bashrc").mkdir()
    code, out, err = run(["fix", "--from", str(report), "--apply", "--yes"], capsys)
    assert (code, out) == (2, "")
    assert err == f"dlenv: error: {isolated_home}/.bashrc: is a directory, not a file\n"
    assert not (isolated_home / "xdg_config_home").exists()


def test_install_runs_the_named_interpreter(
    report: Path, isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "argv.log"
    fake = tmp_path / "bin dir" / "python"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    args = ["fix", "--from", str(report), "--python", str(fake), "--apply", "--install", "--yes"]
    code, out, _ = run(args, capsys)
    assert code == 0
    assert log.read_text() == (
        "-m pip uninstall -y torch\n"
        "-m pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121\n"
    )
    assert f"running: '{fake}' -m pip uninstall -y torch\n" in out


def test_install_needs_apply_and_an_explicit_python_with_from(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["fix", "--from", str(report), "--install"], capsys)
    assert (code, err) == (
        2,
        "dlenv: error: --install runs package steps only together with --apply\n",
    )
    code, _, err = run(["fix", "--from", str(report), "--apply", "--install", "--yes"], capsys)
    assert code == 2
    assert err == (
        "dlenv: error: --install with --from would run the interpreter named in the report; "
        "name it yourself with --python\n"
    )


def test_conda_is_the_default_target_inside_a_conda_env(
    report: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    monkeypatch.setenv("CONDA_PREFIX", str(prefix))
    code, _, _ = run(["fix", "--from", str(report), "--apply", "--yes"], capsys)
    assert code == 0
    assert sorted(p.name for p in (prefix / "etc" / "conda").rglob("dlenv.*")) == [
        "dlenv.fish",
        "dlenv.fish",
        "dlenv.sh",
        "dlenv.sh",
    ]
    assert os.environ["HOME"] and not (Path(os.environ["HOME"]) / ".bashrc").exists()
