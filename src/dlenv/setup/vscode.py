"""`dlenv setup --vscode`: point VS Code at the new environment, through `dlenv fix`'s journal.

`.vscode/settings.json` gets `python.defaultInterpreterPath` (and, when the plan sets variables,
`terminal.integrated.env.<os>` and `python.envFile`), edited in place by `dlenv.setup.jsonc` so the
user's comments and other settings stay; the variables also go in a dlenv block in the `.env`
file the Python extension reads. Both files are backed up and journaled by `dlenv.fix.apply`, so
`dlenv fix --undo` restores them byte for byte (and refuses if they changed since). A malformed
settings file is a one-line error before anything is built or written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlenv.errors import DlenvError
from dlenv.fix.actions import SetEnv
from dlenv.fix.apply import FileChange, Journal, read_target, resolve
from dlenv.setup.jsonc import JsoncError, loads, set_value
from dlenv.setup.model import EnvironmentPlan

WORKSPACE = "${workspaceFolder}"
ENV_FILE_NOTE = "# Added by `dlenv setup --vscode`; `dlenv fix --undo` removes it."


@dataclass(frozen=True)
class VscodeEdit:
    """What --vscode writes: the file changes (with their diffs) and the settings, as data."""

    settings_file: str
    settings: dict[str, Any]  # dotted key path -> value
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _terminal_key(os_name: str | None) -> str:
    name = (os_name or "").lower()
    if name.startswith("win"):
        return "terminal.integrated.env.windows"
    if name.startswith(("darwin", "mac")):
        return "terminal.integrated.env.osx"
    return "terminal.integrated.env.linux"


def interpreter_setting(interpreter: str, project: Path) -> str:
    """The interpreter as `${workspaceFolder}/…` when it is inside the project (the settings
    then hold in every clone), else its absolute path."""
    absolute = Path(os.path.abspath(interpreter))
    try:
        relative = absolute.relative_to(Path(os.path.abspath(project)))
    except ValueError:
        return str(absolute)
    return f"{WORKSPACE}/{relative.as_posix()}"


def _decode(data: bytes | None, path: Path) -> str:
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DlenvError(f"{path}: not UTF-8 text; nothing was changed") from None


def prepare_vscode(
    env: EnvironmentPlan,
    interpreter: str,
    project: Path,
    os_name: str | None,
    journal: Journal,
) -> VscodeEdit:
    """The changes --vscode makes in `project` for the environment `env` (nothing written)."""
    project = Path(os.path.abspath(project))
    path = project / ".vscode" / "settings.json"
    real = resolve(path)
    before = read_target(path, real, make_parents=True)
    text = _decode(before, path)
    try:
        current = loads(text)
    except JsoncError as exc:
        raise DlenvError(
            f"{path}: not valid JSON with comments ({exc}); fix it or leave out --vscode, "
            "nothing was changed"
        ) from None
    where = interpreter_setting(interpreter, project)
    settings: dict[str, Any] = {"python.defaultInterpreterPath": where}
    edits: list[tuple[list[str], Any]] = [(["python.defaultInterpreterPath"], where)]
    notes: list[str] = []
    env_file: Path | None = None
    if env.env:
        terminal = _terminal_key(os_name)
        for key, value in env.env.items():
            edits.append(([terminal, key], value))
            settings[f"{terminal}.{key}"] = value
        named = current.get("python.envFile")
        if named is None:
            named = f"{WORKSPACE}/.env"
            edits.append((["python.envFile"], named))
            settings["python.envFile"] = named
        rest = named[len(WORKSPACE) + 1 :] if isinstance(named, str) else ""
        if isinstance(named, str) and named.startswith(f"{WORKSPACE}/") and "${" not in rest:
            env_file = project / rest
        else:
            notes.append(
                f"python.envFile is {named!r}: dlenv leaves it alone; set "
                + ", ".join(f"{k}={v}" for k, v in env.env.items())
                + " there yourself"
            )
    after = text
    for key_path, value in edits:
        after = set_value(after, key_path, value)
    changes = []
    if after != text:
        changes.append(
            FileChange(path, real, before, after.encode(), "owned", make_parents=True)
        )
    if env_file is not None:
        from dlenv.fix.render.dotenv import render_dotenv
        from dlenv.fix.targets import block_change

        actions = [SetEnv(name=k, value=v) for k, v in env.env.items()]
        inner = [ENV_FILE_NOTE, *render_dotenv(actions, os.pathsep)]
        change = block_change(env_file, inner, journal)
        if _foreign_block(change.before, env_file):
            notes.append(
                f"{env_file} has a dlenv block from `dlenv fix --apply`; dlenv leaves it alone: "
                "set " + ", ".join(f"{k}={v}" for k, v in env.env.items()) + " there yourself"
            )
        elif change.before != change.after:
            changes.append(change)
    return VscodeEdit(str(path), settings, changes, notes)


def _foreign_block(data: bytes | None, path: Path) -> bool:
    """Whether the file holds a dlenv block that `dlenv fix` wrote (not --vscode's): replacing
    it would drop that fix's variables."""
    from dlenv.fix.apply import find_blocks, split_lines

    if not data:
        return False
    lines = split_lines(data)
    for start, _end in find_blocks(data, path):
        if lines[start + 1].decode("utf-8", "replace").strip() != ENV_FILE_NOTE:
            return True
    return False


def apply_vscode(
    env: EnvironmentPlan, interpreter: str, project: Path, os_name: str | None
) -> VscodeEdit:
    """Write the --vscode changes under `dlenv fix`'s lock: backups, the journal, atomic writes
    (all files or none); `dlenv fix --undo` takes them back."""
    from dlenv.fix.apply import commit, load_journal, locked, state_dir

    with locked(state_dir()):
        journal = load_journal()
        edit = prepare_vscode(env, interpreter, project, os_name, journal)
        if edit.changes:
            commit(edit.changes, journal, action="setup --vscode", applied=dict(journal.applied))
    return edit
