"""Turn the findings into numbered steps with exact commands; with --apply, write the environment
changes for your shell, conda env, .env file or GitHub Actions job (shows a diff, asks first,
backs up, and `dlenv fix --undo` restores every file byte for byte).
"""


from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlenv.cli import options as opt
from dlenv.errors import DlenvError, ExitCode

if TYPE_CHECKING:
    from dlenv.fix.apply import FileChange
    from dlenv.fix.operations import ApplyResult, Confirm, Proposal, UndoResult

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing to fix (no error finding), or --apply/--undo done or declined; "
    "1 the plan is for error findings that are still there (like `dlenv doctor`), or a package "
    "step run by --install failed; 2 usage or input error; 130 interrupted."
)


class Installer(str, Enum):
    pip = "pip"
    conda = "conda"
    uv = "uv"


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    pwsh = "pwsh"
    cmd = "cmd"


class PlanFormat(str, Enum):
    console = "console"
    json = "json"
    script = "script"


class TargetKind(str, Enum):
    shell = "shell"
    conda = "conda"
    dotenv = "dotenv"
    github = "github"


def interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def fix(
    python: str | None = typer.Option(
        None, "--python", envvar="DLENV_PYTHON", help="Interpreter to fix."
    ),
    from_file: Path | None = typer.Option(
        None, "--from", help="Plan from a saved `dlenv doctor --format json` report."
    ),
    installer: Installer = typer.Option(
        Installer.pip,
        "--installer",
        envvar="DLENV_INSTALLER",
        help="Which tool the package steps use: pip, conda or uv.",
    ),
    shell: Shell | None = typer.Option(
        None,
        "--shell",
        envvar="DLENV_SHELL",
        help="Shell the commands are written for; default: from $SHELL.",
    ),
    fmt: PlanFormat = typer.Option(
        PlanFormat.console, "--format", "-f", help="console, json (the plan as data) or script."
    ),
    apply: bool = typer.Option(False, "--apply", help="Write the environment steps (asks first)."),
    target: TargetKind | None = typer.Option(
        None,
        "--target",
        help="Where --apply writes. Default: conda in a conda env, else shell.",
    ),
    install: bool = typer.Option(
        False, "--install", help="With --apply: also run the package steps."
    ),
    undo: bool = typer.Option(False, "--undo", help="Remove everything `dlenv fix --apply` wrote."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (for scripts and CI)."),
    rc_file: Path | None = typer.Option(
        None, "--rc-file", help="Start-up file for --target shell instead of the usual one(s)."
    ),
    env_file: Path = typer.Option(Path(".env"), "--env-file", help="File for --target dotenv."),
    timeout: float = opt.TIMEOUT,
) -> None:
    from dlenv.fix.render import detect_shell

    chosen_shell = shell.value if shell else detect_shell()
    from dlenv.fix.operations import apply_plan, undo_all

    if undo:
        with _file_errors():
            _show_undo(undo_all(confirm=_asker("Undo these changes?", yes)))
        raise typer.Exit(0)
    if install and not apply:
        raise DlenvError("--install runs package steps only together with --apply")
    if install and from_file is not None and python is None:
        raise DlenvError(
            "--install with --from would run the interpreter named in the report; "
            "name it yourself with --python"
        )

    from dlenv.core import build_report, write_output
    from dlenv.fix.planner import plan_fixes

    report = build_report(python=python, from_file=from_file, timeout=timeout)
    plan = plan_fixes(report.findings, report.snapshot, installer=installer.value, python=python)
    if not apply:
        from dlenv.fix.render import plan as show

        if fmt is PlanFormat.json:
            text = show.render_plan_json(plan, chosen_shell)
        elif fmt is PlanFormat.script:
            text = show.render_plan_script(plan, chosen_shell)
        else:
            hint = "Apply the environment steps: dlenv fix --apply (shows a diff and asks first)."
            text = show.render_plan_console(plan, chosen_shell, hint)
        write_output(text, None)
        errors = any(f.severity == "error" for f in report.findings)
        raise typer.Exit(int(ExitCode.FINDINGS if errors else ExitCode.OK))

    from dlenv.fix.targets import Target, conda_prefix, default_target, named_file

    kind = target.value if target else default_target(os.environ)
    spec = Target(
        kind=kind,
        shell=chosen_shell,
        rc_file=named_file(rc_file, "--rc-file") if rc_file else None,
        env_file=named_file(env_file, "--env-file") if kind == "dotenv" else env_file,
        conda_prefix=conda_prefix(os.environ, None) if kind == "conda" else None,
    )
    with _file_errors():
        result = apply_plan(
            plan,
            spec,
            confirm=_asker("Apply these changes?", yes),
            install=install,
            on_command=lambda argv: _say(f"running: {_shown(argv)}"),
        )
    raise typer.Exit(int(_show_apply(result)))


@contextmanager
def _file_errors() -> Iterator[None]:
    """Turn an OSError while reading or writing the user's files into a one-line DlenvError: a
    state directory that is a file, a full disk, a read-only home."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise DlenvError(f"{where}{exc.strerror or exc}") from None


def _shown(argv: list[str]) -> str:
    from dlenv.fix.render import format_argv

    return format_argv(argv, "bash")


def _say(text: str, nl: bool = True) -> None:
    """Print text that may hold other people's strings (a report's values, file contents):
    control characters shown, and under GitHub Actions unable to start a workflow command."""
    from dlenv.report.github import guard_workflow_commands
    from dlenv.report.visible import visible

    typer.echo(guard_workflow_commands(visible(text)), nl=nl)


def _asker(question: str, yes: bool) -> Confirm:
    """The confirmation callback: show what will happen, then ask (or not, with --yes)."""

    def confirm(proposal: Proposal) -> bool:
        from dlenv.fix.apply import diff

        for change in proposal.changes:
            _say(diff(change), nl=False)
            if change.note:
                _say(f"({change.path}: {change.note})")
            elif change.real != change.path:
                _say(f"(written through the link to {change.real})")
        for argv in proposal.commands:
            _say(f"will run: {_shown(argv)}")
        if yes:
            return True
        if not interactive():
            raise DlenvError(
                "no terminal to ask for confirmation; review the changes in a terminal, "
                "or pass --yes"
            )
        return typer.confirm(question, default=False)

    return confirm


def _plural(changes: list[FileChange]) -> str:
    return f"{len(changes)} file{'s' if len(changes) != 1 else ''}"


def _show_apply(result: ApplyResult) -> ExitCode:
    if result.status == "declined":
        typer.echo("Nothing changed.")
    elif result.status == "nothing":
        what = "already applied." if result.had_env_steps else "no environment step to apply."
        _say(f"dlenv fix: nothing to change: {what}")
    elif result.status == "applied" and result.changes:
        typer.echo(
            f"dlenv fix: wrote {_plural(result.changes)}; "
            "open a new shell (or re-activate the environment) to use them; "
            "`dlenv fix --undo` takes them back."
        )
    failed = result.failed
    if failed is not None:
        message = f"{failed.argv[0]} exited with status {failed.returncode}"
        raise DlenvError(message, result.exit_code)
    return result.exit_code


def _show_undo(result: UndoResult) -> None:
    if result.status == "declined":
        typer.echo("Nothing changed.")
    elif result.status == "nothing":
        typer.echo("dlenv fix: nothing to undo.")
    elif result.status == "restored":
        typer.echo(f"dlenv fix: restored {_plural(result.changes)}.")
