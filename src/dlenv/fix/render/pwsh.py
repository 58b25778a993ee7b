"""PowerShell environment patches ($env:), with single-quoted literals and idempotent path edits.

PowerShell also ends single-quoted strings at typographic quotes (U+2018..U+201B); they are doubled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.values import check_actions

_SAFE = re.compile(r"^[A-Za-z0-9_./:=+\\-]+$")
_QUOTES = "'\u2018\u2019\u201a\u201b"


def quote(value: str) -> str:
    """A single-quoted PowerShell literal: nothing inside is expanded."""
    return "'" + "".join(c + c if c in _QUOTES else c for c in value) + "'"


def format_argv(argv: Sequence[str]) -> str:
    first = quote(argv[0])
    rest = [a if _SAFE.fullmatch(a) and not a.startswith("--%") else quote(a) for a in argv[1:]]
    return " ".join(["&", first, *rest])


def render_pwsh(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a PowerShell script", newline=True)
    lines: list[str] = []
    if any(isinstance(a, PrependPath | RemoveFromPath) for a in actions):
        lines.append("$dlenvSep = [IO.Path]::PathSeparator")
    for action in actions:
        lines.extend(_lines(action))
    return "".join(line + "\n" for line in lines)


def _lines(action: EnvAction) -> list[str]:
    var = f"$env:{action.name}"
    if isinstance(action, SetEnv):
        return [f"{var} = {quote(action.value)}"]
    if isinstance(action, UnsetEnv):
        return [f"Remove-Item -LiteralPath {quote('Env:' + action.name)} -ErrorAction Ignore"]
    out: list[str] = []
    if isinstance(action, PrependPath):
        for entry in reversed(action.entries):
            _check(action.name, entry)
            q = quote(entry)
            out.append(
                f"if (@({var} -split $dlenvSep) -notcontains {q}) "
                f"{{ {var} = if ({var}) {{ {q} + $dlenvSep + {var} }} else {{ {q} }} }}"
            )
        return out
    assert isinstance(action, RemoveFromPath)
    for entry in action.entries:
        _check(action.name, entry)
        out.append(
            f"if ({var}) {{ {var} = (@({var} -split $dlenvSep) | "
            f"Where-Object {{ $_ -ne {quote(entry)} }}) -join $dlenvSep }}"
        )
    return out


def _check(name: str, entry: str) -> None:
    if not entry or ";" in entry:
        raise DlenvError(f"{name}: path entry {entry!r} is empty or holds ';', a list separator")
