"""Environment patches run in real bash, zsh, sh and fish; PowerShell and cmd checked as text."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render import detect_shell, render_env

AWKWARD = [
    "/opt/cuda 12.1",
    "it's",
    'say "hi"',
    "$HOME",
    "${HOME}",
    "`id`",
    "$(id)",
    "ünïcødé/路径",
    "back\\slash\\\\",
    "two\nlines",
    "*",
    "semi;colon",
    "%PATH%",
    "-n",
    "",
    "a'b\\'c",
]


def run(shell: str, script: str, tmp_path: Path, env: dict[str, str] | None = None) -> str:
    path = tmp_path / "patch"
    path.write_text(script, encoding="utf-8")
    base = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    source = f"source {path}" if shell == "fish" else f". {path}"
    args = [shell, "-c", source + "\n" + PRINT[shell]] if shell != "fish" else None
    if shell == "fish":
        args = ["fish", "--no-config", "-c", source + "; " + PRINT["fish"]]
    assert args is not None
    done = subprocess.run(
        args, env={**base, **(env or {})}, capture_output=True, timeout=20, check=True
    )
    return done.stdout.decode("utf-8")


PRINT = {
    "bash": 'for n in $NAMES; do eval "printf \'%s\\0\' \\"\\${$n-UNSET}\\""; done',
    "zsh": 'for n in ${=NAMES}; do printf "%s\\0" "${(P)n-UNSET}"; done',
    "sh": 'for n in $NAMES; do eval "printf \'%s\\0\' \\"\\${$n-UNSET}\\""; done',
    "fish": "for n in (string split ' ' $NAMES); if set -q $n; printf '%s\\0' \"$$n\"; "
    "else; printf 'UNSET\\0'; end; end",
}

SHELLS = ["bash", "zsh", "sh", "fish"]


@pytest.mark.shells
@pytest.mark.parametrize("shell", SHELLS)
def test_set_env_keeps_every_value_exactly(shell: str, tmp_path: Path) -> None:
    names = [f"V{i}" for i in range(len(AWKWARD))]
    actions = [SetEnv(name=n, value=v) for n, v in zip(names, AWKWARD, strict=True)]
    out = run(shell, render_env(actions, shell), tmp_path, {"NAMES": " ".join(names)})
    assert out.split("\0")[:-1] == AWKWARD


@pytest.mark.shells
@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "/opt/a b:/usr/local/cuda/lib64"),
        ("", "/opt/a b:/usr/local/cuda/lib64"),
        ("/x", "/opt/a b:/usr/local/cuda/lib64:/x"),
        ("/usr/local/cuda/lib64:/x", "/opt/a b:/usr/local/cuda/lib64:/x"),
    ],
)
def test_prepend_is_idempotent_and_adds_no_empty_entry(
    shell: str, before: str | None, after: str, tmp_path: Path
) -> None:
    action = PrependPath(name="LD_LIBRARY_PATH", entries=["/opt/a b", "/usr/local/cuda/lib64"])
    script = render_env([action], shell) * 2  # sourced twice: nothing is added twice
    env = {"NAMES": "LD_LIBRARY_PATH"}
    if before is not None:
        env["LD_LIBRARY_PATH"] = before
    assert run(shell, script, tmp_path, env) == after + "\0"


@pytest.mark.shells
@pytest.mark.parametrize("shell", SHELLS)
def test_remove_and_unset(shell: str, tmp_path: Path) -> None:
    actions = [
        RemoveFromPath(name="LD_LIBRARY_PATH", entries=["/old lib", "/x*"]),
        UnsetEnv(name="CUDA_HOME"),
    ]
    env = {
        "NAMES": "LD_LIBRARY_PATH CUDA_HOME",
        "LD_LIBRARY_PATH": "/a:/old lib:/x*:/b:/old lib:/xy",
        "CUDA_HOME": "/usr/local/cuda",
    }
    assert run(shell, render_env(actions, shell), tmp_path, env) == "/a:/b:/xy\0UNSET\0"


def test_posix_text_is_exact() -> None:
    actions = [
        SetEnv(name="CUDA_HOME", value="/opt/it's $x"),
        PrependPath(name="PATH", entries=["/opt/bin"]),
    ]
    assert render_env(actions, "bash") == (
        "export CUDA_HOME='/opt/it'\\''s $x'\n"
        'case ":${PATH-}:" in\n'
        "  *:'/opt/bin':*) ;;\n"
        """  *) export PATH='/opt/bin'"${PATH:+:$PATH}" ;;\n"""
        "esac\n"
    )


def test_pwsh_text_quotes_every_kind_of_single_quote() -> None:
    actions = [
        SetEnv(name="CUDA_PATH", value="C:\\Program Files\\CUDA\\v12.1 it's \u2019$env:X`n"),
        UnsetEnv(name="TF_CPP_MIN_LOG_LEVEL"),
        PrependPath(name="PATH", entries=["C:\\CUDA\\bin"]),
        RemoveFromPath(name="PATH", entries=["C:\\old"]),
    ]
    assert render_env(actions, "pwsh") == (
        "$dlenvSep = [IO.Path]::PathSeparator\n"
        "$env:CUDA_PATH = 'C:\\Program Files\\CUDA\\v12.1 it''s \u2019\u2019$env:X`n'\n"
        "Remove-Item -LiteralPath 'Env:TF_CPP_MIN_LOG_LEVEL' -ErrorAction Ignore\n"
        "if (@($env:PATH -split $dlenvSep) -notcontains 'C:\\CUDA\\bin') "
        "{ $env:PATH = if ($env:PATH) { 'C:\\CUDA\\bin' + $dlenvSep + $env:PATH } "
        "else { 'C:\\CUDA\\bin' } }\n"
        "if ($env:PATH) { $env:PATH = (@($env:PATH -split $dlenvSep) | "
        "Where-Object { $_ -ne 'C:\\old' }) -join $dlenvSep }\n"
    )


def test_cmd_text_and_refusals() -> None:
    text = render_env(
        [SetEnv(name="CUDA_PATH", value="C:\\Program Files\\CUDA & more"), UnsetEnv(name="X")],
        "cmd",
    )
    assert text == 'set "CUDA_PATH=C:\\Program Files\\CUDA & more"\r\nset "X="\r\n'
    prepend = render_env([PrependPath(name="PATH", entries=["C:\\CUDA\\bin"])], "cmd")
    lines = prepend.split("\r\n")
    assert lines[0] == 'set "_dlenv_p=;%PATH%;"'
    assert lines[1] == 'call set "_dlenv_q=%%_dlenv_p:;C:\\CUDA\\bin;=%%"'
    assert lines[3] == (
        'if defined PATH (set "PATH=C:\\CUDA\\bin;%PATH%") else (set "PATH=C:\\CUDA\\bin")'
    )
    assert lines[2].startswith('if not "%_dlenv_p%"=="%_dlenv_q%" goto dlenv_')
    assert lines[4] == ":" + lines[2].rsplit(" ", 1)[1]
    for value in ("100%", "a!b", 'a"b', "a\nb"):
        with pytest.raises(DlenvError, match=r"cmd\.exe cannot take"):
            render_env([SetEnv(name="X", value=value)], "cmd")


def test_posix_refuses_an_entry_holding_the_separator() -> None:
    with pytest.raises(DlenvError, match="holds ':'"):
        render_env([PrependPath(name="PATH", entries=["/a:/b"])], "bash")


@pytest.mark.parametrize(
    ("shell_var", "os_name", "expected"),
    [
        ("/bin/bash", "posix", "bash"),
        ("/usr/bin/zsh", "posix", "zsh"),
        ("/usr/local/bin/fish", "posix", "fish"),
        ("/bin/dash", "posix", "bash"),
        ("", "posix", "bash"),
        ("/usr/bin/pwsh", "posix", "pwsh"),
        ("", "nt", "pwsh"),
    ],
)
def test_detect_shell(shell_var: str, os_name: str, expected: str) -> None:
    assert detect_shell({"SHELL": shell_var}, os_name) == expected
