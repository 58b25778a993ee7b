"""GitHub Actions target: $GITHUB_ENV heredoc entries and $GITHUB_PATH lines, on fake files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.targets import Target, apply_now


def delimiter(value: str) -> str:
    return "ghadelimiter_" + hashlib.sha256(value.encode()).hexdigest()[:32]


def test_github_env_and_path(tmp_path: Path) -> None:
    env_file, path_file = tmp_path / "env", tmp_path / "path"
    env_file.write_text("EARLIER=1")  # no final newline: a newline is added before dlenv's lines
    path_file.write_text("")
    environ = {
        "GITHUB_ENV": str(env_file),
        "GITHUB_PATH": str(path_file),
        "PATH": "/usr/bin:/opt/cuda/bin",
        "LD_LIBRARY_PATH": "/old:/keep",
    }
    value = "line one\nEVIL=injected"
    actions = [
        SetEnv(name="XLA_FLAGS", value=value),
        PrependPath(name="PATH", entries=["/a", "/opt/cuda/bin", "/b"]),
        PrependPath(name="LD_LIBRARY_PATH", entries=["/cuda/lib64"]),
        RemoveFromPath(name="LD_LIBRARY_PATH", entries=["/old"]),
    ]
    apply_now(actions, Target(kind="github"), environ)
    d1, d2, d3 = (
        delimiter(value),
        delimiter("/cuda/lib64:/old:/keep"),
        delimiter("/cuda/lib64:/keep"),
    )
    assert env_file.read_text() == (
        "EARLIER=1\n"
        f"XLA_FLAGS<<{d1}\nline one\nEVIL=injected\n{d1}\n"
        f"LD_LIBRARY_PATH<<{d2}\n/cuda/lib64:/old:/keep\n{d2}\n"
        f"LD_LIBRARY_PATH<<{d3}\n/cuda/lib64:/keep\n{d3}\n"
    )
    # the runner prepends each line in front of the earlier ones: /a ends up first
    assert path_file.read_text() == "/b\n/a\n"
    assert apply_now(actions, Target(kind="github"), environ) == []


def test_github_cannot_unset(tmp_path: Path) -> None:
    environ = {"GITHUB_ENV": str(tmp_path / "env")}
    with pytest.raises(DlenvError, match="cannot unset CUDA_VISIBLE_DEVICES"):
        apply_now([UnsetEnv(name="CUDA_VISIBLE_DEVICES")], Target(kind="github"), environ)


def test_github_needs_its_files() -> None:
    with pytest.raises(DlenvError, match=r"needs \$GITHUB_ENV"):
        apply_now([SetEnv(name="A", value="1")], Target(kind="github"), {})
