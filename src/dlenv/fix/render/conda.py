"""A conda environment's activate.d/deactivate.d pair: set on activation, restore on deactivation.

The activate script saves each variable's previous value (or that it was unset) exactly once, so
deactivation restores it exactly even after a repeated activation.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlenv.fix.actions import EnvAction
from dlenv.fix.render.posix import render_posix
from dlenv.fix.render.values import check_actions

HEADER = "# Managed by dlenv (`dlenv fix --apply --target conda`); `dlenv fix --undo` removes it."


def touched(actions: Sequence[EnvAction]) -> list[str]:
    return list(dict.fromkeys(a.name for a in actions))


def activate_sh(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a conda activation script", newline=True)
    lines = [HEADER]
    for name in touched(actions):
        lines += [
            f'if [ -z "${{_DLENV_HAD_{name}+x}}" ]; then',
            f'  if [ -n "${{{name}+x}}" ]; then',
            f'    export _DLENV_HAD_{name}=1 _DLENV_OLD_{name}="${name}"',
            "  else",
            f"    export _DLENV_HAD_{name}=0",
            "  fi",
            "fi",
        ]
    return "\n".join(lines) + "\n" + render_posix(actions)


def deactivate_sh(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a conda activation script", newline=True)
    lines = [HEADER]
    for name in touched(actions):
        lines += [
            f'if [ "${{_DLENV_HAD_{name}-}}" = 1 ]; then',
            f'  export {name}="$_DLENV_OLD_{name}"',
            f'elif [ "${{_DLENV_HAD_{name}-}}" = 0 ]; then',
            f"  unset {name}",
            "fi",
            f"unset _DLENV_HAD_{name} _DLENV_OLD_{name}",
        ]
    return "\n".join(lines) + "\n"


def activate_fish(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a conda activation script", newline=True)
    from dlenv.fix.render.fish import render_fish

    lines = [HEADER]
    for name in touched(actions):
        lines += [
            f"if not set -q _DLENV_HAD_{name}",
            f"  if set -q {name}; set -gx _DLENV_HAD_{name} 1; "
            f'set -gx _DLENV_OLD_{name} "${name}"; else; set -gx _DLENV_HAD_{name} 0; end',
            "end",
        ]
    return "\n".join(lines) + "\n" + render_fish(actions)


def deactivate_fish(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a conda activation script", newline=True)
    lines = [HEADER]
    for name in touched(actions):
        lines += [
            f'if test "$_DLENV_HAD_{name}" = 1; set -gx {name} "$_DLENV_OLD_{name}"; '
            f'else if test "$_DLENV_HAD_{name}" = 0; set -e {name}; end',
            f"set -e _DLENV_HAD_{name}; set -e _DLENV_OLD_{name}",
        ]
    return "\n".join(lines) + "\n"
