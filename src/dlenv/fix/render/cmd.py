"""cmd.exe batch patches (`set "NAME=value"`), for a .cmd file run with `call` in the same window.

cmd has no quoting that survives %, ! and " in every context, so such values are refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.values import check_actions

_UNSAFE = set('%!"\r\n')
_NEEDS_QUOTES = re.compile(r"[\s&|<>^(),;=]")


def check(name: str, value: str) -> str:
    bad = sorted(set(value) & _UNSAFE)
    if bad:
        raise DlenvError(
            f"{name}: value {value!r} holds {''.join(bad)!r}, which cmd.exe cannot take "
            "literally; use --shell pwsh"
        )
    return value


def format_argv(argv: Sequence[str]) -> str:
    out = []
    for arg in argv:
        check("argument", arg)
        out.append(f'"{arg}"' if not arg or _NEEDS_QUOTES.search(arg) else arg)
    return " ".join(out)


def render_cmd(actions: Sequence[EnvAction]) -> str:
    # line breaks get cmd's own refusal below, which names the way out (--shell pwsh)
    check_actions(actions, "a cmd.exe script", newline=True)
    lines: list[str] = []
    for action in actions:
        lines.extend(_lines(action))
    return "".join(line + "\r\n" for line in lines)


def _label(*parts: str) -> str:
    # labels from the content: unique across steps rendered separately, stable across runs
    return "dlenv_" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _lines(action: EnvAction) -> list[str]:
    name = action.name
    if isinstance(action, SetEnv):
        return [f'set "{name}={check(name, action.value)}"']
    if isinstance(action, UnsetEnv):
        return [f'set "{name}="']
    out: list[str] = []
    if isinstance(action, PrependPath):
        for entry in reversed(action.entries):
            _check_entry(name, entry)
            label = _label("prepend", name, entry)
            out += [
                f'set "_dlenv_p=;%{name}%;"',
                f'call set "_dlenv_q=%%_dlenv_p:;{entry};=%%"',
                f'if not "%_dlenv_p%"=="%_dlenv_q%" goto {label}',
                f'if defined {name} (set "{name}={entry};%{name}%") else (set "{name}={entry}")',
                f":{label}",
            ]
        out.append('set "_dlenv_p=" & set "_dlenv_q="')
        return out
    assert isinstance(action, RemoveFromPath)
    end = _label("remove-end", name, *action.entries)
    out.append(f"if not defined {name} goto {end}")
    out.append(f'set "_dlenv_p=;%{name}%;"')
    for entry in action.entries:
        _check_entry(name, entry)
        label = _label("remove", name, entry)
        out += [
            f":{label}",
            f'call set "_dlenv_q=%%_dlenv_p:;{entry};=;%%"',
            f'if not "%_dlenv_q%"=="%_dlenv_p%" (set "_dlenv_p=%_dlenv_q%" & goto {label})',
        ]
    out += [
        'set "_dlenv_p=%_dlenv_p:~1,-1%"',
        f'set "{name}=%_dlenv_p%"',
        'set "_dlenv_p=" & set "_dlenv_q="',
        f":{end}",
    ]
    return out


def _check_entry(name: str, entry: str) -> None:
    check(name, entry)
    if not entry or ";" in entry or "=" in entry or entry[0] in "*~":
        raise DlenvError(f"{name}: path entry {entry!r} cannot be matched safely in cmd.exe")
