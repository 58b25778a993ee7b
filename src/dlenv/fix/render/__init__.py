"""Renderers per target: environment patches for each shell, installer commands, conda
activate.d scripts, dotenv files and GitHub Actions environment files, all from typed Actions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction

SHELLS = ("bash", "zsh", "fish", "pwsh", "cmd")


def detect_shell(environ: dict[str, str] | None = None, os_name: str | None = None) -> str:
    """The user's shell: $SHELL's name on POSIX (sh-like shells render as bash), pwsh on Windows."""
    env = os.environ if environ is None else environ
    if (os_name or os.name) == "nt":
        # cmd.exe inherits PSModulePath too, so only an explicit --shell cmd picks cmd
        return "pwsh"
    name = os.path.basename(env.get("SHELL", "")).lower()
    if name.startswith("zsh"):
        return "zsh"
    if name.startswith("fish"):
        return "fish"
    if name in ("pwsh", "powershell"):
        return "pwsh"
    return "bash"


def render_env(actions: Sequence[EnvAction], shell: str) -> str:
    """Shell code that applies `actions` in order; idempotent when run more than once."""
    return _renderer(shell)(actions)


def format_argv(argv: Sequence[str], shell: str) -> str:
    """One command line for `shell` that runs exactly `argv` (no expansion of any argument)."""
    if shell == "fish":
        from dlenv.fix.render.fish import format_argv as fmt
    elif shell == "pwsh":
        from dlenv.fix.render.pwsh import format_argv as fmt
    elif shell == "cmd":
        from dlenv.fix.render.cmd import format_argv as fmt
    else:
        from dlenv.fix.render.posix import format_argv as fmt
    return fmt(argv)


def _renderer(shell: str) -> Callable[[Sequence[EnvAction]], str]:
    if shell in ("bash", "zsh", "sh"):
        from dlenv.fix.render.posix import render_posix

        return render_posix
    if shell == "fish":
        from dlenv.fix.render.fish import render_fish

        return render_fish
    if shell == "pwsh":
        from dlenv.fix.render.pwsh import render_pwsh

        return render_pwsh
    if shell == "cmd":
        from dlenv.fix.render.cmd import render_cmd

        return render_cmd
    raise DlenvError(f"unknown shell {shell!r} (choose one of {', '.join(SHELLS)})")
