"""Turn the findings into numbered steps with exact commands; with --apply, write the environment
changes for your shell, conda env, .env file or GitHub Actions job (shows a diff, asks first,
backs up, and `dlenv fix --undo` restores every file byte for byte).
"""


from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import typer

from dlenv.cli import options as opt
from dlenv.errors import DlenvError, ExitCode

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
    if undo:
        with _file_errors():
            code = _undo(yes)
        raise typer.Exit(int(code))
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

    from dlenv.fix.targets import Target, conda_prefix, default_target

    kind = target.value if target else default_target(os.environ)
    if kind == "shell" and os.name != "nt" and os.geteuid() == 0 and os.environ.get("SUDO_USER"):
        raise DlenvError("under sudo, --apply would edit root's files; run it as yourself")
    spec = Target(
        kind=kind,
        shell=chosen_shell,
        rc_file=_writable_target(rc_file, "--rc-file") if rc_file else None,
        env_file=_writable_target(env_file, "--env-file") if kind == "dotenv" else env_file,
        conda_prefix=conda_prefix(os.environ, None) if kind == "conda" else None,
    )
    with _file_errors():
        code = _apply(plan, spec, install=install, yes=yes)
    raise typer.Exit(int(code))


def _writable_target(path: Path, option: str) -> Path:
    """`path` made absolute, refused before anything is read if --apply cannot sensibly edit it:
    a device or pipe would be read forever, and a link to a missing directory would make dlenv
    create directories wherever the link points."""
    import stat

    try:
        path = path.absolute()
    except OSError:
        raise DlenvError(
            f"{option} {path}: the working directory no longer exists; give an absolute path"
        ) from None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not path.parent.is_dir() or (path.is_symlink() and not _link_parent_exists(path)):
            raise DlenvError(f"{option} {path}: its directory does not exist") from None
        return path
    except OSError as exc:
        raise DlenvError(f"{option} {path}: cannot read ({exc.strerror})") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise DlenvError(f"{option} {path}: not a regular file")
    return path  # a directory is refused by the target with its own message


def _link_parent_exists(link: Path) -> bool:
    target = Path(os.path.join(link.parent, os.readlink(link)))
    return target.parent.is_dir()


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


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not interactive():
        raise DlenvError(
            "no terminal to ask for confirmation; review the changes in a terminal, or pass --yes"
        )
    return typer.confirm(question, default=False)


def _apply(plan: object, spec: object, *, install: bool, yes: bool) -> ExitCode:
    from dlenv.fix.apply import commit, diff, load_journal, locked, state_dir
    from dlenv.fix.planner import Plan
    from dlenv.fix.render import format_argv
    from dlenv.fix.targets import Target, prepare_apply

    assert isinstance(plan, Plan) and isinstance(spec, Target)
    commands = [c for s in plan.install_steps for c in s.commands] if install else []
    with locked(state_dir()):
        journal = load_journal()
        changes, applied = prepare_apply(plan.env_actions, spec, journal, os.environ)
        if not changes and not commands:
            typer.echo(
                "dlenv fix: nothing to change: "
                + ("already applied." if plan.env_actions else "no environment step to apply.")
            )
            return ExitCode.OK
        for change in changes:
            typer.echo(diff(change), nl=False)
            if change.real != change.path:
                typer.echo(f"(written through the link to {change.real})")
        for command in commands:
            typer.echo(f"will run: {format_argv(command.argv, 'bash')}")
        if not _confirm("Apply these changes?", yes):
            typer.echo("Nothing changed.")
            return ExitCode.OK
        if changes:
            commit(changes, journal, action="apply", applied=applied)
            typer.echo(
                f"dlenv fix: wrote {len(changes)} file{'s' if len(changes) != 1 else ''}; "
                "open a new shell (or re-activate the environment) to use them; "
                "`dlenv fix --undo` takes them back."
            )
    for command in commands:
        argv = [*command.argv, "--yes"] if command.argv[0] == "conda" else command.argv
        typer.echo(f"running: {format_argv(argv, 'bash')}")
        try:
            code = subprocess.run(argv, check=False).returncode
        except OSError as exc:
            raise DlenvError(f"cannot run {argv[0]}: {exc.strerror}") from None
        if code != 0:
            raise DlenvError(f"{argv[0]} exited with status {code}", ExitCode.FINDINGS)
    return ExitCode.OK


def _undo(yes: bool) -> ExitCode:
    from dlenv.fix.apply import commit, diff, load_journal, locked, plan_undo, state_dir

    with locked(state_dir()):
        journal = load_journal()
        changes = plan_undo(journal)
        if not changes:
            if journal.files or journal.applied:
                commit([], journal, action="undo", applied={})
            typer.echo("dlenv fix: nothing to undo.")
            return ExitCode.OK
        for change in changes:
            typer.echo(diff(change), nl=False)
            if change.note:
                typer.echo(f"({change.path}: {change.note})")
        if not _confirm("Undo these changes?", yes):
            typer.echo("Nothing changed.")
            return ExitCode.OK
        commit(changes, journal, action="undo", applied={})
    typer.echo(f"dlenv fix: restored {len(changes)} file{'s' if len(changes) != 1 else ''}.")
    return ExitCode.OK
