"""A dotenv block (VS Code's Python extension, direnv's `dotenv`, python-dotenv).

Values are single-quoted, which those readers take literally, except that python-dotenv reads
`\\\\` and `\\'` inside single quotes as escapes: a value whose meaning would depend on the reader
(a quote, a doubled or trailing backslash, a line break) is refused. Path prepends are
double-quoted around `${NAME}`; what a .env file cannot say becomes a comment, made visible
so that it stays one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.values import check_name, check_value
from dlenv.report.visible import visible

TARGET = "a .env file"


def _literal(name: str, value: str) -> str:
    check_value(name, value, TARGET, newline=False)
    if "'" in value or "\\\\" in value or value.endswith("\\"):
        raise DlenvError(
            f"{name}: value {visible(value, newlines=False)!r} cannot be written literally to "
            "a .env file (it holds a quote or a backslash that readers take differently)"
        )
    return "'" + value + "'"


def _comment(text: str) -> str:
    return "# dlenv: " + visible(text, newlines=False)


def render_dotenv(actions: Sequence[EnvAction], sep: str = ":") -> list[str]:
    """The lines of the block; what a .env file cannot say becomes a comment, never a guess."""
    lines: list[str] = []
    for action in actions:
        check_name(action.name, TARGET)
        if isinstance(action, SetEnv):
            lines.append(f"{action.name}={_literal(action.name, action.value)}")
        elif isinstance(action, PrependPath):
            for entry in action.entries:
                check_value(action.name, entry, TARGET, newline=False)
            joined = sep.join(action.entries)
            if "$" in joined or '"' in joined or "\\" in joined or "'" in joined:
                raise DlenvError(
                    f"{action.name}: entries {visible(joined, newlines=False)!r} cannot be "
                    "written to a .env file ($, quotes and backslashes are read differently)"
                )
            lines.append(f'{action.name}="{joined}{sep}${{{action.name}}}"')
        elif isinstance(action, UnsetEnv):
            note = f"a .env file cannot unset {action.name}; unset it in your shell"
            lines.append(_comment(note))
        elif isinstance(action, RemoveFromPath):
            lines.append(
                _comment(
                    f"a .env file cannot remove entries from {action.name}: "
                    + sep.join(action.entries)
                )
            )
    return lines
