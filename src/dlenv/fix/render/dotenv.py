"""A dotenv block (VS Code's Python extension, direnv's `dotenv`, python-dotenv).

Values are single-quoted, which those readers take literally; path prepends use `${NAME}`.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv


def _literal(name: str, value: str) -> str:
    if "'" in value or "\n" in value or "\r" in value:
        raise DlenvError(f"{name}: value {value!r} cannot be written literally to a .env file")
    return "'" + value + "'"


def render_dotenv(actions: Sequence[EnvAction], sep: str = ":") -> list[str]:
    """The lines of the block; what a .env file cannot say becomes a comment, never a guess."""
    lines: list[str] = []
    for action in actions:
        if isinstance(action, SetEnv):
            lines.append(f"{action.name}={_literal(action.name, action.value)}")
        elif isinstance(action, PrependPath):
            joined = sep.join(action.entries)
            if "${" in joined or '"' in joined or "\\" in joined or "\n" in joined:
                raise DlenvError(f"{action.name}: entries cannot be written to a .env file")
            lines.append(f'{action.name}="{joined}{sep}${{{action.name}}}"')
        elif isinstance(action, UnsetEnv):
            lines.append(f"# dlenv: a .env file cannot unset {action.name}; unset it in your shell")
        elif isinstance(action, RemoveFromPath):
            lines.append(
                f"# dlenv: a .env file cannot remove entries from {action.name}: "
                + sep.join(action.entries)
            )
    return lines
