"""fish environment patches: `set -gx`, `set -e`, and path edits that never add an entry twice.

Variables are turned into fish path variables (`--path`) so that `a:b` is split like PATH is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.posix import check_entry
from dlenv.fix.render.values import check_actions

_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def quote(value: str) -> str:
    """A fish word for exactly `value`: in single quotes only `\\` and `'` are special."""
    if _SAFE.fullmatch(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_argv(argv: Sequence[str]) -> str:
    return " ".join(quote(a) for a in argv)


def render_fish(actions: Sequence[EnvAction]) -> str:
    check_actions(actions, "a fish script", newline=True)
    lines: list[str] = []
    for action in actions:
        lines.extend(_lines(action))
    return "".join(line + "\n" for line in lines)


def _lines(action: EnvAction) -> list[str]:
    name = action.name
    if isinstance(action, SetEnv):
        return [f"set -gx {name} {quote(action.value)}"]
    if isinstance(action, UnsetEnv):
        return [f"set -e {name}"]
    # a path variable, split on ':' like PATH; an empty value becomes an empty list, so that
    # no empty entry (= the current directory) is left behind
    out = [
        f'if set -q {name}; if test -n "${name}"; set -gx --path {name} ${name}; '
        f"else; set -gx --path {name}; end; end"
    ]
    if isinstance(action, PrependPath):
        for entry in reversed(action.entries):
            check_entry(name, entry)
            q = quote(entry)
            out.append(f"if not contains -- {q} ${name}; set -gx --path {name} {q} ${name}; end")
        return out
    assert isinstance(action, RemoveFromPath)
    for entry in action.entries:
        check_entry(name, entry)
        q = quote(entry)
        out.append(f"while set -l i (contains -i -- {q} ${name}); set -e {name}[$i]; end")
    return out
