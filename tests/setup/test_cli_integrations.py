"""`dlenv setup --jupyter/--vscode/--record` at the command line: the plan shows them, bad input is
one line and exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.setup import machines as m
from tests.setup.test_cli_plan import run, saved


def test_jupyter_is_part_of_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = saved(tmp_path, m.no_gpu())
    path = tmp_path / "proj" / ".venv"
    args = ["setup", "torch", "--dry-run", "--for", report, "--jupyter", "--path", str(path)]
    code, out, err = run([*args, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    (env,) = json.loads(out)["environments"]
    assert env["kernel"] == {"name": "proj-venv", "display_name": "Python 3.11 (proj/.venv: torch)"}
    assert env["installs"][-1]["packages"] == ["ipykernel"]
    assert env["steps"][-1] == {
        "kind": "kernel",
        "title": "register the Jupyter kernel proj-venv (Python 3.11 (proj/.venv: torch))",
        "argv": [
            f"{path}/bin/python",
            "-m",
            "ipykernel",
            "install",
            "--user",
            "--name",
            "proj-venv",
            "--display-name",
            "Python 3.11 (proj/.venv: torch)",
        ],
    }
    code, out, err = run([*args, "--shell", "bash"], capsys)
    assert code == 0
    assert "  Jupyter kernel: proj-venv ('Python 3.11 (proj/.venv: torch)')\n" in out
    assert f"    {path}/bin/python -m pip install ipykernel\n" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--vscode", "--for", "r.json"], "--vscode sets up VS Code here: leave it out with --for"),
        (
            ["--vscode", "--manager", "conda", "--name", "dl"],
            "--vscode needs the environment's interpreter: use --path with conda",
        ),
        (["--record", "x.toml", "--no-record"], "--record and --no-record: choose one"),
    ],
)
def test_bad_combinations(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["setup", "torch", "--dry-run", *extra], capsys)
    assert (code, out) == (2, "")
    assert err == f"dlenv: error: {message}\n"


def test_malformed_settings_stop_the_dry_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "a": [1,\n}\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["setup", "torch", "--dry-run", "--vscode"], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dlenv: error: {settings}: not valid JSON with comments (line 3, column 1: unexpected "
        "'}'); fix it or leave out --vscode, nothing was changed\n"
    )
    assert settings.read_text() == '{\n  "a": [1,\n}\n'
    assert os.listdir(tmp_path) == [".vscode"]
