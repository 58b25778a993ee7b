"""The child harness leaves the user's files alone: Keras reads a private copy of the user's
keras.json (same backend, same settings, same failures) and writes only there. Checked on the
helper itself and with the REAL Keras for: no config, an "openvino" keras.json without OpenVINO, a
KERAS_BACKEND, and a keras.json Keras refuses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dlenv.live import harness
from dlenv.live.runner import LiveRun
from dlenv.snapshot.model import LiveProbe

USER_CONFIG = '{\n    "backend": "openvino",\n    "floatx": "float64"\n}'


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text() if p.is_file() else "<dir>"
        for p in sorted(root.rglob("*"))
    }


def _isolated(private: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str | None, str]:
    """(the user's KERAS_HOME as the probes report it, KERAS_HOME in the child)."""
    # the harness changes this process's environment, as it does the child's: restore it after
    monkeypatch.setenv("DLENV_LIVE_USER_ENV", os.environ.get("DLENV_LIVE_USER_ENV", "{}"))
    user = os.environ.get("KERAS_HOME")
    monkeypatch.setenv("KERAS_HOME", "recorded")  # (delenv alone restores no absent variable)
    if user is None:
        monkeypatch.delenv("KERAS_HOME")
    else:
        monkeypatch.setenv("KERAS_HOME", user)
    harness.isolate_keras_home(str(private))
    user = json.loads(os.environ["DLENV_LIVE_USER_ENV"])
    return user["KERAS_HOME"], os.environ["KERAS_HOME"]


def test_private_copy_of_the_home_config(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_home / ".keras").mkdir()
    (isolated_home / ".keras" / "keras.json").write_text(USER_CONFIG)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("DLENV_LIVE_USER_ENV", json.dumps({"TF_CPP_MIN_LOG_LEVEL": "3"}))
    before = _tree(isolated_home)
    assert harness.user_keras_config() == f"{isolated_home}/.keras/keras.json"
    assert _isolated(tmp_path / "private", monkeypatch) == (None, str(tmp_path / "private"))
    assert _tree(tmp_path / "private") == {"keras.json": USER_CONFIG}
    assert json.loads(os.environ["DLENV_LIVE_USER_ENV"]) == {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_HOME": None,
    }
    assert _tree(isolated_home) == before


def test_no_config_copies_nothing(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert _isolated(tmp_path / "private", monkeypatch) == (None, str(tmp_path / "private"))
    assert _tree(tmp_path / "private") == {}
    assert _tree(isolated_home) == {}


def test_user_keras_home_is_read_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "kh"
    user.mkdir()
    (user / "keras.json").write_text("{not json")  # Keras ignores it: so must the copy
    monkeypatch.setenv("KERAS_HOME", str(user))
    assert _isolated(tmp_path / "private", monkeypatch) == (str(user), str(tmp_path / "private"))
    assert _tree(tmp_path / "private") == {"keras.json": "{not json"}
    assert _tree(user) == {"keras.json": "{not json"}


def test_empty_keras_home_means_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", "")
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    assert harness.user_keras_config() == "keras.json"
    assert _isolated(tmp_path / "private", monkeypatch) == ("", str(tmp_path / "private"))
    assert _tree(tmp_path / "private") == {"keras.json": '{"backend": "torch"}'}


def test_unwritable_home_falls_back_to_tmp(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(os, "access", lambda path, mode: path != str(isolated_home))
    assert harness.user_keras_config() == "/tmp/.keras/keras.json"


def test_a_folder_in_place_of_the_config_stays_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kh" / "keras.json").mkdir(parents=True)  # Keras's open() fails on it
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    _isolated(tmp_path / "private", monkeypatch)
    assert _tree(tmp_path / "private") == {"keras.json": "<dir>"}


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS_", "DLENV_"))}
    return {**env, "HOME": str(home), **extra}


def test_real_keras_reports_the_users_backend_and_leaves_home_alone(
    framework_python: str, tmp_path: Path
) -> None:
    homes = {name: tmp_path / name for name in ("openvino", "torch", "bad")}
    for home in homes.values():
        (home / ".keras").mkdir(parents=True)
    (homes["openvino"] / ".keras" / "keras.json").write_text(USER_CONFIG)
    (homes["bad"] / ".keras" / "keras.json").write_text('{"floatx": "float8"}')
    before = {name: _tree(home) for name, home in homes.items()}
    runs = [  # side by side: each in its own home
        LiveRun(framework_python, ["keras"], keras_backend="openvino", env=_env(homes["openvino"])),
        LiveRun(
            framework_python,
            ["torch", "keras"],
            keras_backend="torch",
            env=_env(homes["torch"], KERAS_BACKEND="torch"),
        ),
        LiveRun(framework_python, ["keras"], env=_env(homes["bad"])),
    ]
    [openvino_keras], [torch, torch_keras], [bad_keras] = (run.wait() for run in runs)

    assert {name: _tree(home) for name, home in homes.items()} == before
    # keras.json says "openvino", which is not installed: Keras fails to import, as it would for you
    assert (openvino_keras.status, openvino_keras.error) == (
        "import-error",
        "ModuleNotFoundError: No module named 'openvino'",
    )
    assert torch.status == "ok"
    assert (torch_keras.status, torch_keras.details["backend"]) == ("ok", "torch")
    assert torch_keras.details["env.KERAS_BACKEND"] == "torch"
    assert torch_keras.details["process"] == "shared with torch (imported once)"
    # the user's keras.json is read as it is: Keras refuses an invalid floatx on import
    assert bad_keras == LiveProbe(
        framework="keras",
        status="import-error",
        error=bad_keras.error,
        import_s=bad_keras.import_s,
        total_s=bad_keras.total_s,
        returncode=0,
        stderr_tail=bad_keras.stderr_tail,
    )
    assert (bad_keras.error or "").startswith("ValueError: Invalid `floatx` configuration.")
