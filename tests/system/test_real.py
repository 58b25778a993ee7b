"""Tests for dlenv.system.real on odd machines: undecodable environment bytes, a deleted cwd."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dlenv.system.real import RealSystem


def test_undecodable_environment_bytes_read_as_replacement_but_reach_commands_exactly() -> None:
    raw = os.fsdecode(b"/opt/\xff\xfe")  # how Python holds such a value: lone surrogates
    system = RealSystem({"CUDA_HOME": raw, "PATH": "/usr/bin:/bin"})
    assert system.env["CUDA_HOME"] == "/opt/\ufffd\ufffd"
    script = "import os, sys; sys.stdout.write(repr(os.environb[b'CUDA_HOME']))"
    result = system.run([sys.executable, "-c", script], timeout=10)
    assert (result.returncode, result.stdout) == (0, repr(b"/opt/\xff\xfe"))


def test_deleted_working_directory_is_the_shells_pwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert RealSystem({"PWD": str(gone)}).cwd() == str(gone)
    assert RealSystem({}).cwd() == "."
