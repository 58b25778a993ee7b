"""--apply per target, proven by real login/interactive shells; --undo restores every byte."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.fix.actions import PrependPath, SetEnv, UnsetEnv
from dlenv.fix.targets import Target, apply_now, undo_now

ACTIONS = [
    SetEnv(name="CUDA_HOME", value="/opt/cuda 12.1/it's $HOME"),
    PrependPath(name="LD_LIBRARY_PATH", entries=["/opt/cuda 12.1/lib64"]),
]
SEEN = "/opt/cuda 12.1/it's $HOME|/opt/cuda 12.1/lib64"


def login_shell(shell: str, home: Path) -> str:
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    if shell == "fish":
        args = ["fish", "-l", "-i", "-c", 'printf "%s|%s" "$CUDA_HOME" "$LD_LIBRARY_PATH"']
    else:
        args = [shell, "-lic", 'printf %s "$CUDA_HOME|$LD_LIBRARY_PATH"']
    done = subprocess.run(args, env=env, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    return done.stdout.decode()


def snapshot_tree(home: Path) -> dict[str, bytes]:
    skip = home / "xdg_state_home"
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and skip not in p.parents
    }


@pytest.mark.shells
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_apply_then_new_shell_sees_it_and_undo_restores_bytes(
    shell: str, isolated_home: Path
) -> None:
    home = isolated_home
    (home / ".bashrc").write_bytes(b"# my bashrc\r\nalias ll='ls -l'")  # CRLF, no final newline
    (home / ".zshrc").write_bytes(b"setopt autocd\n\xff\xfe latin-1 bytes\n")
    before = snapshot_tree(home)
    assert login_shell(shell, home) == "|"

    changes = apply_now(ACTIONS, Target(kind="shell", shell=shell), os.environ)
    assert changes
    assert login_shell(shell, home) == SEEN
    assert apply_now(ACTIONS, Target(kind="shell", shell=shell), os.environ) == []

    undo_now()
    assert login_shell(shell, home) == "|"
    assert snapshot_tree(home) == before


@pytest.mark.shells
def test_bash_files_and_block(isolated_home: Path) -> None:
    home = isolated_home
    (home / ".bashrc").write_bytes(b"# mine\r\nexport A=1")
    os.chmod(home / ".bashrc", 0o640)
    apply_now([SetEnv(name="CUDA_HOME", value="/usr/local/cuda")], Target(kind="shell"), os.environ)
    env_sh = home / "xdg_config_home" / "dlenv" / "env.sh"
    line = f"if [ -f {env_sh} ]; then . {env_sh}; fi"
    assert (home / ".bashrc").read_bytes() == (
        b"# mine\r\nexport A=1\r\n\r\n# >>> dlenv >>>\r\n"
        b"# Added by `dlenv fix --apply`; `dlenv fix --undo` removes it.\r\n"
        + line.encode()
        + b"\r\n# <<< dlenv <<<\r\n"
    )
    assert os.stat(home / ".bashrc").st_mode & 0o777 == 0o640
    # no login file existed: ~/.profile is created (a new ~/.bash_profile would hide it)
    assert (home / ".profile").read_text().startswith("# >>> dlenv >>>\n")
    assert not (home / ".bash_profile").exists()
    assert env_sh.read_text() == (
        "# Managed by dlenv: written by `dlenv fix --apply`, removed by `dlenv fix --undo`; "
        "edits here are overwritten.\nexport CUDA_HOME=/usr/local/cuda\n"
    )


@pytest.mark.shells
def test_symlinked_rc_is_written_through(isolated_home: Path) -> None:
    home = isolated_home
    dotfiles = home / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_bytes(b"# in a dotfiles repo\n")
    (home / ".bashrc").symlink_to(dotfiles / "bashrc")
    apply_now(ACTIONS, Target(kind="shell", rc_file=home / ".bashrc"), os.environ)
    assert (home / ".bashrc").is_symlink()
    assert b"# >>> dlenv >>>" in (dotfiles / "bashrc").read_bytes()
    assert (
        subprocess.run(
            ["bash", "-ic", 'printf %s "$CUDA_HOME"'],
            env={"HOME": str(home), "PATH": os.environ["PATH"]},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=20,
        ).stdout
        == b"/opt/cuda 12.1/it's $HOME"
    )
    undo_now()
    assert (home / ".bashrc").is_symlink()
    assert (dotfiles / "bashrc").read_bytes() == b"# in a dotfiles repo\n"


def test_dangling_rc_link_into_a_missing_directory_is_refused(isolated_home: Path) -> None:
    """An unmounted dotfiles repo: writing through would create its directories anew."""
    home = isolated_home
    (home / ".bashrc").symlink_to(home / "unmounted" / "dotfiles" / "bashrc")
    before = snapshot_tree(home)
    with pytest.raises(DlenvError) as exc:
        apply_now(ACTIONS, Target(kind="shell"), {**os.environ, "SHELL": "/bin/bash"})
    assert str(exc.value) == (
        f"{home / '.bashrc'}: a symlink to {home / 'unmounted' / 'dotfiles' / 'bashrc'}, whose "
        "directory does not exist; nothing was changed"
    )
    assert not (home / "unmounted").exists()
    assert snapshot_tree(home) == before


def test_later_apply_keeps_earlier_fixes(isolated_home: Path) -> None:
    target = Target(kind="shell", rc_file=isolated_home / ".bashrc")
    apply_now([SetEnv(name="CUDA_HOME", value="/a")], target, os.environ)
    apply_now([PrependPath(name="PATH", entries=["/b"])], target, os.environ)
    env_sh = (isolated_home / "xdg_config_home" / "dlenv" / "env.sh").read_text()
    assert "export CUDA_HOME=/a\n" in env_sh
    assert "*) export PATH='/b'" in env_sh
    apply_now([UnsetEnv(name="CUDA_HOME")], target, os.environ)
    env_sh = (isolated_home / "xdg_config_home" / "dlenv" / "env.sh").read_text()
    assert "CUDA_HOME=/a" not in env_sh and "unset CUDA_HOME\n" in env_sh


def test_foreign_owned_file_is_refused(isolated_home: Path) -> None:
    env_sh = isolated_home / "xdg_config_home" / "dlenv" / "env.sh"
    env_sh.parent.mkdir(parents=True)
    env_sh.write_text("my own script\n")
    with pytest.raises(DlenvError, match="was not written by dlenv"):
        apply_now(ACTIONS, Target(kind="shell"), os.environ)
    assert env_sh.read_text() == "my own script\n"
    assert not (isolated_home / ".bashrc").exists()


def test_cmd_has_no_apply_target(isolated_home: Path) -> None:
    with pytest.raises(DlenvError, match=r"cmd\.exe has no start-up file"):
        apply_now(ACTIONS, Target(kind="shell", shell="cmd"), os.environ)


def test_pwsh_profile_block(isolated_home: Path) -> None:
    apply_now(ACTIONS, Target(kind="shell", shell="pwsh"), os.environ)
    cfg = isolated_home / "xdg_config_home"
    profile = cfg / "powershell" / "Microsoft.PowerShell_profile.ps1"
    script = cfg / "dlenv" / "env.ps1"
    assert profile.read_text() == (
        "# >>> dlenv >>>\n# Added by `dlenv fix --apply`; `dlenv fix --undo` removes it.\n"
        f"if (Test-Path -LiteralPath '{script}') {{ . '{script}' }}\n# <<< dlenv <<<\n"
    )
    assert "$env:CUDA_HOME = '/opt/cuda 12.1/it''s $HOME'\n" in script.read_text()


def test_dotenv_block(isolated_home: Path, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"SECRET_KEY=keep me\r\n")
    actions = [
        SetEnv(name="CUDA_HOME", value="/opt/cuda 12.1 $HOME"),
        PrependPath(name="LD_LIBRARY_PATH", entries=["/opt/cuda/lib64"]),
        UnsetEnv(name="TF_X"),
    ]
    apply_now(actions, Target(kind="dotenv", env_file=env_file), os.environ)
    assert env_file.read_bytes() == (
        b"SECRET_KEY=keep me\r\n\r\n# >>> dlenv >>>\r\n"
        b"# Added by `dlenv fix --apply --target dotenv`; `dlenv fix --undo` removes it.\r\n"
        b"CUDA_HOME='/opt/cuda 12.1 $HOME'\r\n"
        b'LD_LIBRARY_PATH="/opt/cuda/lib64:${LD_LIBRARY_PATH}"\r\n'
        b"# dlenv: a .env file cannot unset TF_X; unset it in your shell\r\n"
        b"# <<< dlenv <<<\r\n"
    )
    undo_now()
    assert env_file.read_bytes() == b"SECRET_KEY=keep me\r\n"


def test_dotenv_refuses_a_value_it_cannot_write_literally(tmp_path: Path) -> None:
    with pytest.raises(DlenvError, match="cannot be written literally"):
        apply_now(ACTIONS, Target(kind="dotenv", env_file=tmp_path / ".env"), os.environ)
    assert not (tmp_path / ".env").exists()
