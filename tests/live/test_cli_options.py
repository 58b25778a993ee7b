"""`dlenv doctor`'s live-probe options fail as usage errors before any probe runs."""

from __future__ import annotations

import pytest

from dlenv.cli.app import main


def test_unknown_framework_in_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--only", "torch,caffe"])
    assert exited.value.code == 2
    assert capsys.readouterr() == (
        "",
        "dlenv: error: --only: unknown framework 'caffe' (choose from torch, tensorflow, "
        "keras, jax)\n",
    )


def test_unknown_framework_is_an_error_with_quick_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--quick", "--only", "bogus"])
    assert exited.value.code == 2
    assert "--only: unknown framework 'bogus'" in capsys.readouterr().err


def test_unknown_framework_in_skip_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLENV_SKIP", "mxnet")
    with pytest.raises(SystemExit) as exited:
        main(["doctor"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "dlenv: error: --skip: unknown framework 'mxnet' (choose from torch, tensorflow, "
        "keras, jax)\n"
    )


def test_live_timeout_must_be_at_least_one_second(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--live-timeout", "0.5"])
    assert exited.value.code == 2
    assert "--live-timeout" in capsys.readouterr().err
