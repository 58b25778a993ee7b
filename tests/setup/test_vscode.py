"""--vscode: settings.json merged in place, .env block, journaled; `dlenv fix --undo` restores."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.errors import DlenvError
from dlenv.fix.apply import Journal
from dlenv.setup.model import EnvironmentPlan
from dlenv.setup.vscode import apply_vscode, interpreter_setting, prepare_vscode

SETTINGS = (
    "// my settings\n"
    "{\n"
    '    "editor.rulers": [100,], // wide\n'
    '    "python.defaultInterpreterPath": "/usr/bin/python3",\n'
    "}\n"
)


def env(values: dict[str, str] | None = None) -> EnvironmentPlan:
    return EnvironmentPlan("", ".venv", "3.11", "/usr/bin/python3.11", [], [], env=values or {})


def undo(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["fix", "--undo", "--yes"])
    return int(info.value.code or 0), capsys.readouterr().out


def test_merge_keeps_comments_and_undo_restores_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(SETTINGS.encode())
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"SECRET=1")
    edit = apply_vscode(
        env({"KERAS_BACKEND": "jax"}), str(tmp_path / ".venv/bin/python"), tmp_path, "Linux"
    )
    assert settings.read_text() == (
        "// my settings\n"
        "{\n"
        '    "editor.rulers": [100,], // wide\n'
        '    "python.defaultInterpreterPath": "${workspaceFolder}/.venv/bin/python",\n'
        '    "terminal.integrated.env.linux": {\n'
        '        "KERAS_BACKEND": "jax"\n'
        "    },\n"
        '    "python.envFile": "${workspaceFolder}/.env",\n'
        "}\n"
    )
    assert dotenv.read_text() == (
        "SECRET=1\n\n# >>> dlenv >>>\n"
        "# Added by `dlenv setup --vscode`; `dlenv fix --undo` removes it.\n"
        "KERAS_BACKEND='jax'\n# <<< dlenv <<<\n"
    )
    assert [c.path for c in edit.changes] == [settings, dotenv]
    # a second run changes nothing
    assert apply_vscode(
        env({"KERAS_BACKEND": "jax"}), str(tmp_path / ".venv/bin/python"), tmp_path, "Linux"
    ).changes == []
    code, out = undo(capsys)
    assert code == 0
    assert out.endswith("\ndlenv fix: restored 2 files.\n")
    assert '-    "python.envFile": "${workspaceFolder}/.env",\n' in out  # the diff shown
    assert settings.read_bytes() == SETTINGS.encode()
    assert dotenv.read_bytes() == b"SECRET=1"


def test_a_new_settings_file_is_removed_by_undo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit = apply_vscode(env(), "/opt/envs/dl/bin/python", tmp_path, "Linux")
    settings = tmp_path / ".vscode" / "settings.json"
    assert settings.read_text() == (
        '{\n    "python.defaultInterpreterPath": "/opt/envs/dl/bin/python"\n}\n'
    )
    assert edit.settings == {"python.defaultInterpreterPath": "/opt/envs/dl/bin/python"}
    assert undo(capsys)[0] == 0
    assert not settings.exists()


def test_malformed_settings_are_refused_untouched(tmp_path: Path) -> None:
    settings = tmp_path / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{\n  "a": 1\n  "b": 2\n}\n')
    with pytest.raises(DlenvError) as info:
        prepare_vscode(env(), str(tmp_path / ".venv/bin/python"), tmp_path, "Linux", Journal())
    assert str(info.value) == (
        f"{settings}: not valid JSON with comments (line 3, column 3: expected ',' or '}}'); "
        "fix it or leave out --vscode, nothing was changed"
    )
    assert settings.read_bytes() == b'{\n  "a": 1\n  "b": 2\n}\n'


def test_an_env_file_named_elsewhere_is_left_alone(tmp_path: Path) -> None:
    settings = tmp_path / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"python.envFile": "${env:HOME}/my.env"}')
    edit = prepare_vscode(
        env({"KERAS_BACKEND": "torch"}), "/e/bin/python", tmp_path, "Windows", Journal()
    )
    assert [c.path for c in edit.changes] == [settings]
    assert "terminal.integrated.env.windows.KERAS_BACKEND" in edit.settings
    assert edit.notes == [
        "python.envFile is '${env:HOME}/my.env': dlenv leaves it alone; set "
        "KERAS_BACKEND=torch there yourself"
    ]


def test_interpreter_setting(tmp_path: Path) -> None:
    assert interpreter_setting(str(tmp_path / "a/bin/python"), tmp_path) == (
        "${workspaceFolder}/a/bin/python"
    )
    assert interpreter_setting("/elsewhere/bin/python", tmp_path) == "/elsewhere/bin/python"
