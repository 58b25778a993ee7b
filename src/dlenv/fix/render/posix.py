"""POSIX sh environment patches (bash, zsh, dash): exports, unsets and idempotent path edits.

Everything from a report is single-quoted data; the only expansions are of the variable itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.values import check_actions

_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def quote(value: str) -> str:
    """A POSIX shell word that stands for exactly `value` (single quotes, `'` as '\\'')."""
    # zsh expands a word that starts with "=" (`=cmd` is cmd's path, EQUALS), also after `X=`
    if _SAFE.fullmatch(value) and not value.startswith("="):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def format_argv(argv: Sequence[str]) -> str:
    return " ".join(quote(a) for a in argv)


def check_entry(name: str, entry: str) -> None:
    if ":" in entry or not entry:
        raise DlenvError(f"{name}: path entry {entry!r} is empty or holds ':', the list separator")


def render_posix(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a POSIX shell script", newline=True)
    lines: list[str] = []
    for action in actions:
        lines.extend(_lines(action))
    return "".join(line + "\n" for line in lines)


def _lines(action: EnvAction) -> list[str]:
    if isinstance(action, SetEnv):
        return [f"export {action.name}={quote(action.value)}"]
    if isinstance(action, UnsetEnv):
        return [f"unset {action.name}"]
    name = action.name
    out: list[str] = []
    if isinstance(action, PrependPath):
        # reversed, so that the first entry ends up first; an entry already present stays put
        for entry in reversed(action.entries):
            check_entry(name, entry)
            q = "'" + entry.replace("'", "'\\''") + "'"
            out += [
                f'case ":${{{name}-}}:" in',
                f"  *:{q}:*) ;;",
                # ${X:+:$X}: no empty entry (= the current directory) when X was unset or empty
                f'  *) export {name}={q}"${{{name}:+:${name}}}" ;;',
                "esac",
            ]
        return out
    assert isinstance(action, RemoveFromPath)
    out.append(f'if [ -n "${{{name}+x}}" ]; then')
    out.append(f'  _dlenv_p=":${name}:"')
    for entry in action.entries:
        check_entry(name, entry)
        q = "'" + entry.replace("'", "'\\''") + "'"
        out += [
            "  while :; do",
            "    case $_dlenv_p in",
            f"      *:{q}:*) _dlenv_p=${{_dlenv_p%%:{q}:*}}:${{_dlenv_p#*:{q}:}} ;;",
            "      *) break ;;",
            "    esac",
            "  done",
        ]
    out += [
        "  _dlenv_p=${_dlenv_p#:}; _dlenv_p=${_dlenv_p%:}",
        f'  export {name}="$_dlenv_p"',
        "  unset _dlenv_p",
        "fi",
    ]
    return out
