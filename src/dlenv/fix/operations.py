"""What `dlenv fix --apply` and `--undo` do, as functions that return data and print nothing.

Each takes the lock, reads the journal, works out the file changes, asks `confirm` (the CLI's
prompt, or `lambda _: True`), writes, and returns a result; the CLI renders it. How files are
opened and replaced is `dlenv.safeio`'s business, the blocks and the journal `dlenv.fix.apply`'s.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dlenv.errors import DlenvError, ExitCode
from dlenv.fix.actions import EnvAction
from dlenv.fix.apply import (
    FileChange,
    commit,
    load_journal,
    locked,
    plan_undo,
    remove_leftover_temps,
    state_dir,
)
from dlenv.fix.planner import Plan
from dlenv.fix.targets import Target, prepare_apply


@dataclass(frozen=True)
class Proposal:
    """What is about to happen, for the user to confirm: file changes, then commands to run."""

    changes: list[FileChange]
    commands: list[list[str]] = field(default_factory=list)


Confirm = Callable[[Proposal], bool]


def always(_: Proposal) -> bool:
    """The confirmation of `--yes`."""
    return True


@dataclass(frozen=True)
class CommandRun:
    argv: list[str]
    returncode: int


@dataclass(frozen=True)
class ApplyResult:
    """nothing: no file to change and no command to run; declined: the user said no."""

    status: Literal["nothing", "declined", "applied"]
    changes: list[FileChange] = field(default_factory=list)
    runs: list[CommandRun] = field(default_factory=list)
    had_env_steps: bool = False

    @property
    def failed(self) -> CommandRun | None:
        return next((r for r in self.runs if r.returncode != 0), None)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.failed else ExitCode.OK


@dataclass(frozen=True)
class UndoResult:
    status: Literal["nothing", "declined", "restored"]
    changes: list[FileChange] = field(default_factory=list)


def install_commands(plan: Plan) -> list[list[str]]:
    """The package steps' commands as run (conda is told --yes: the user has confirmed)."""
    argvs = [c.argv for s in plan.install_steps for c in s.commands]
    return [[*argv, "--yes"] if argv[0] == "conda" else list(argv) for argv in argvs]


def apply_plan(
    plan: Plan,
    target: Target,
    *,
    confirm: Confirm,
    install: bool = False,
    environ: Mapping[str, str] | None = None,
    on_command: Callable[[list[str]], None] | None = None,
) -> ApplyResult:
    """Write the plan's environment steps to `target` (and with `install` run its package
    steps, after the files and outside the lock), once `confirm` says yes."""
    commands = install_commands(plan) if install else []
    result = apply_actions(
        plan.env_actions, target, confirm=confirm, environ=environ, commands=commands
    )
    if result.status != "applied":
        return result
    runs: list[CommandRun] = []
    for argv in commands:
        if on_command is not None:
            on_command(argv)
        try:
            code = subprocess.run(argv, check=False).returncode
        except OSError as exc:
            raise DlenvError(f"cannot run {argv[0]}: {exc.strerror}") from None
        runs.append(CommandRun(argv, code))
        if code != 0:
            break
    return ApplyResult("applied", result.changes, runs, result.had_env_steps)


def apply_actions(
    actions: Sequence[EnvAction],
    target: Target,
    *,
    confirm: Confirm = always,
    environ: Mapping[str, str] | None = None,
    commands: Sequence[list[str]] = (),
) -> ApplyResult:
    """Write `actions` to `target` under the lock, journaled, once `confirm` says yes."""
    environ = os.environ if environ is None else environ
    if (
        target.kind == "shell"
        and os.name != "nt"
        and os.geteuid() == 0
        and environ.get("SUDO_USER")
    ):
        raise DlenvError("under sudo, --apply would edit root's files; run it as yourself")
    with locked(state_dir()):
        journal = load_journal()
        changes, applied = prepare_apply(actions, target, journal, environ)
        had = bool(actions)
        if not changes and not commands:
            return ApplyResult("nothing", had_env_steps=had)
        if not confirm(Proposal(changes, list(commands))):
            return ApplyResult("declined", changes, had_env_steps=had)
        if changes:
            commit(changes, journal, action="apply", applied=applied)
    return ApplyResult("applied", changes, had_env_steps=had)


def undo_all(*, confirm: Confirm = always) -> UndoResult:
    """Take every file `dlenv fix --apply` wrote back to how it was, once `confirm` says yes."""
    with locked(state_dir()):
        journal = load_journal()
        remove_leftover_temps(journal)  # also when there is nothing else to do
        changes = plan_undo(journal)
        if not changes:
            if journal.files or journal.applied:
                commit([], journal, action="undo", applied={})
            return UndoResult("nothing")
        if not confirm(Proposal(changes)):
            return UndoResult("declined", changes)
        commit(changes, journal, action="undo", applied={})
    return UndoResult("restored", changes)
