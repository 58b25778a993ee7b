"""GitHub Actions: lines for $GITHUB_ENV (heredoc syntax, safe for any value) and $GITHUB_PATH.

Path-list variables other than PATH are computed from the step's current environment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from dlenv.errors import DlenvError
from dlenv.fix.actions import EnvAction, PrependPath, RemoveFromPath, SetEnv, UnsetEnv
from dlenv.fix.render.values import check_actions


def _env_entry(name: str, value: str) -> str:
    # https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/workflow-commands-for-github-actions#multiline-strings
    # The delimiter is derived from the value, so it cannot occur in it and a rerun writes the
    # same bytes (which lets a second --apply see that nothing is left to do).
    delimiter = "ghadelimiter_" + hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def render_github(
    actions: Sequence[EnvAction], environ: Mapping[str, str], sep: str = ":"
) -> tuple[str, str]:
    """(text for $GITHUB_ENV, text for $GITHUB_PATH)."""
    check_actions(actions, "$GITHUB_ENV", newline=True)
    env_text = ""
    path_lines: list[str] = []
    current = dict(environ)
    for action in actions:
        if isinstance(action, SetEnv):
            env_text += _env_entry(action.name, action.value)
            current[action.name] = action.value
        elif isinstance(action, UnsetEnv):
            raise DlenvError(
                f"GitHub Actions cannot unset {action.name} for later steps; "
                f"remove it from the workflow's env instead"
            )
        elif isinstance(action, PrependPath):
            have = current.get(action.name, "").split(sep) if current.get(action.name) else []
            new = [e for e in action.entries if e not in have]
            if not new:
                continue
            if action.name == "PATH":
                # the runner puts each $GITHUB_PATH line in front of those read before it
                # (a later line ends up first), so entries are written last-to-first
                path_lines.extend(reversed(new))
            else:
                value = sep.join(new + have)
                env_text += _env_entry(action.name, value)
            current[action.name] = sep.join(new + have)
        elif isinstance(action, RemoveFromPath):
            have = current.get(action.name, "").split(sep)
            kept = [e for e in have if e not in action.entries]
            if kept != have:
                env_text += _env_entry(action.name, sep.join(kept))
                current[action.name] = sep.join(kept)
    for line in path_lines:
        if "\n" in line or "\r" in line:
            raise DlenvError(f"PATH entry {line!r} holds a line break")
    return env_text, "".join(line + "\n" for line in path_lines)
