"""Build a deep-learning environment for this machine and prove it works: the newest build of
each framework that really runs on this GPU (or the CPU builds, said plainly), in a new venv, uv
or conda environment, verified by dlenv's live probes. --dry-run shows the plan and its reasons.
"""

from __future__ import annotations

import json
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlenv.cli import options as opt
from dlenv.errors import DlenvError, ExitCode

if TYPE_CHECKING:
    from dlenv.setup.model import SetupPlan
    from dlenv.setup.plan import Interpreter
    from dlenv.setup.render import EnvironmentSteps
    from dlenv.setup.verify import Verification
    from dlenv.setup.vscode import VscodeEdit
    from dlenv.snapshot.model import Snapshot

EXIT_CODES_HELP = (
    "Exit codes: 0 planned (--dry-run), built and verified, or declined; 1 a step failed, the "
    "plan refuses what was asked, or the new environment failed its verification; 2 usage or "
    "input error (also: the target exists and is not empty, without --force); 130 interrupted "
    "(what was built is removed)."
)


class ManagerChoice(str, Enum):
    venv = "venv"
    uv = "uv"
    conda = "conda"


class SetupFormat(str, Enum):
    console = "console"
    json = "json"


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    pwsh = "pwsh"
    cmd = "cmd"


def setup(
    frameworks: list[str] = typer.Argument(
        None,
        help="torch, tensorflow, jax, keras, keras-jax, keras-torch, keras-tensorflow; "
        "optionally pinned to a release: torch==2.13.",
        show_default=False,
    ),
    manager: ManagerChoice = typer.Option(
        ManagerChoice.venv,
        "--manager",
        envvar="DLENV_SETUP_MANAGER",
        help="venv (+pip), uv, or conda (writes environment.yml).",
    ),
    path: Path = typer.Option(
        Path(".venv"), "--path", help="Where the environment goes (a conda prefix with conda)."
    ),
    name: str | None = typer.Option(None, "--name", help="conda: a named environment instead."),
    python: str | None = typer.Option(
        None, "--python", help="Python version for the environment (X.Y); default: chosen."
    ),
    for_file: Path | None = typer.Option(
        None, "--for", help="Plan for another machine from its `dlenv doctor --format json` report."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    fmt: SetupFormat = typer.Option(
        SetupFormat.console, "--format", "-f", help="console or json (with --dry-run)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (for scripts and CI)."),
    force: bool = typer.Option(
        False, "--force", help="Replace a non-empty target; install a pinned release anyway."
    ),
    torch_index: str | None = typer.Option(
        None,
        "--torch-index",
        envvar="DLENV_TORCH_INDEX",
        help="A mirror of download.pytorch.org/whl (its /cu126, /cpu… are used), or 'none' for "
        "the installer's own configuration.",
    ),
    shell: Shell | None = typer.Option(
        None, "--shell", envvar="DLENV_SHELL", help="Shell the commands are quoted for."
    ),
    vscode: bool = typer.Option(
        False,
        "--vscode",
        help="Point VS Code at the environment: .vscode/settings.json here (comments kept), "
        "backed up; `dlenv fix --undo` takes it back.",
    ),
    jupyter: bool = typer.Option(
        False, "--jupyter", help="Install ipykernel and register a Jupyter kernel for it."
    ),
    record: Path | None = typer.Option(
        None,
        "--record",
        help="Where the record goes (a [check] policy and what was installed); default: "
        "dlenv.toml beside the environment.",
    ),
    no_record: bool = typer.Option(False, "--no-record", help="Write no dlenv.toml."),
    timeout: float = opt.TIMEOUT,
    live_timeout: float = opt.LIVE_TIMEOUT,
) -> None:
    from dlenv.fix.render import detect_shell
    from dlenv.setup.plan import plan
    from dlenv.setup.render import render_plan
    from dlenv.setup.show import plan_json, plan_text

    if for_file is not None and not dry_run:
        raise DlenvError("--for plans for another machine: add --dry-run (nothing is built here)")
    if fmt is SetupFormat.json and not dry_run:
        raise DlenvError("--format json shows the plan only: add --dry-run")
    if name is not None and manager is not ManagerChoice.conda:
        raise DlenvError("--name names a conda environment: add --manager conda, or use --path")
    if vscode and for_file is not None:
        raise DlenvError("--vscode sets up VS Code here: leave it out with --for")
    if vscode and name is not None:
        raise DlenvError("--vscode needs the environment's interpreter: use --path with conda")
    if record is not None and no_record:
        raise DlenvError("--record and --no-record: choose one")
    index = None if torch_index is None else ("" if torch_index.lower() == "none" else torch_index)
    chosen_shell = shell.value if shell else detect_shell()
    snapshot, pythons, source = _machine(for_file, timeout)
    the_plan = plan(
        snapshot,
        frameworks or [],
        manager=manager.value,
        python=python,
        path=str(path),
        pythons=pythons if for_file is None else _report_pythons(snapshot),
        torch_index=index,
        force=force,
        source=source,
        jupyter=jupyter,
    )
    conda_tool = (shutil.which("mamba") and "mamba") or "conda"
    built = render_plan(the_plan, conda_name=name, conda_tool=conda_tool)
    edit = _vscode_edit(the_plan, built) if vscode else None
    if fmt is SetupFormat.json:
        data = plan_json(the_plan, built, chosen_shell)
        if edit is not None:
            from dlenv.setup.show import vscode_json

            data["vscode"] = vscode_json(edit)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(plan_text(the_plan, built, chosen_shell))
        if edit is not None:
            from dlenv.setup.show import vscode_text

            sys.stdout.write(vscode_text(edit))
    if the_plan.refused:
        raise typer.Exit(int(ExitCode.FINDINGS))
    if dry_run:
        raise typer.Exit(0)
    code = _build_all(
        the_plan,
        built,
        yes=yes,
        force=force,
        shell=chosen_shell,
        timeout=timeout,
        live_timeout=live_timeout,
        conda_named=name is not None,
        vscode=vscode,
        record=None if no_record else record,
        no_record=no_record,
    )
    raise typer.Exit(int(code))


def _os_name(the_plan: SetupPlan) -> str | None:
    return the_plan.machine.os.split(" ")[0] if the_plan.machine.os else None


def _vscode_edit(the_plan: SetupPlan, built: list[EnvironmentSteps]) -> VscodeEdit | None:
    """What --vscode will change (checked now: a malformed settings file stops the setup before
    anything is built), for the first environment with an interpreter."""
    from dlenv.fix.apply import load_journal
    from dlenv.setup.vscode import prepare_vscode

    steps = next((s for s in built if s.python), None)
    if steps is None:
        return None
    return prepare_vscode(
        steps.plan, steps.python, Path.cwd(), _os_name(the_plan), load_journal()
    )


def _report_pythons(snapshot: Snapshot) -> list[Interpreter]:
    from dlenv.kb.queries import major_minor
    from dlenv.setup.plan import Interpreter

    mm = major_minor(snapshot.python.version)
    return [Interpreter(f"{mm[0]}.{mm[1]}", None)] if mm else []


def _machine(for_file: Path | None, timeout: float) -> tuple[Snapshot, list[Interpreter], str]:
    if for_file is not None:
        from dlenv.report.json import read_report_file

        return read_report_file(str(for_file)).snapshot, [], str(for_file)
    from dlenv.probes import CollectOptions, collect
    from dlenv.setup.pythons import find_pythons
    from dlenv.system.real import RealSystem

    snapshot = collect(RealSystem(), CollectOptions(command_timeout=timeout))
    pythons = find_pythons(snapshot.python.executable, timeout)
    return snapshot, pythons, "this machine"


def _say(text: str) -> None:
    typer.echo(text, err=True)


def _build_all(
    the_plan: SetupPlan,
    built: list[EnvironmentSteps],
    *,
    yes: bool,
    force: bool,
    shell: str,
    timeout: float,
    live_timeout: float,
    conda_named: bool,
    vscode: bool = False,
    record: Path | None = None,
    no_record: bool = False,
) -> ExitCode:
    """Ask, build each environment, verify it, record it; the exit code of the whole."""
    from dlenv.setup.create import build, check_targets
    from dlenv.setup.progress import progress_for
    from dlenv.setup.record import check_record_target, lock_path, record_path
    from dlenv.setup.verify import verify

    check_targets(built, force, conda_named=conda_named)
    several = len(built) > 1
    records: dict[int, Path] = {}
    if not no_record:
        for number, steps in enumerate(built):
            if not steps.python:
                continue
            if record is not None and several:
                label = steps.plan.label or str(number)
                where = record.with_name(f"{record.stem}-{label}{record.suffix}")
            else:
                where = record or record_path(steps, several, Path.cwd())
            check_record_target(where)
            check_record_target(lock_path(where))
            records[number] = where
    manager = the_plan.manager
    for env in the_plan.environments:
        if env.python_path is None and manager == "venv":
            raise DlenvError(
                f"no Python {env.python} found here: install it, or name one with --python"
            )
    tool = next((s.steps[-1].argv[0] for s in built if s.steps and s.steps[-1].argv), None)
    if manager in ("uv", "conda") and tool is not None and shutil.which(tool) is None:
        if manager == "uv":
            raise DlenvError("uv is not on PATH: install it (pip install uv), or --manager venv")
        for steps in built:
            for file_name, text in steps.files.items():
                from dlenv.safeio import write_output

                if Path(file_name).exists() and not force:
                    raise DlenvError(f"{file_name} exists: add --force to overwrite it")
                write_output(Path(file_name), text.encode())
                _say(f"wrote {file_name}")
        _say(f"{tool} is not on PATH: run the commands above where it is")
        return ExitCode.OK
    if not yes:
        if not sys.stdin.isatty():
            raise DlenvError("no terminal to ask: add --yes to build without asking")
        if not typer.confirm("Build it?", default=False, err=True):
            _say("declined: nothing was changed")
            return ExitCode.OK
    failed = 0
    progress = progress_for(sys.stderr)
    for number, steps in enumerate(built):
        build(
            steps,
            force=force,
            shell=shell,
            say=_say,
            conda_named=conda_named,
            progress=progress,
        )
        if not steps.python:
            _say(f"built {steps.location}; verify it with `dlenv doctor` inside it")
            continue
        _say(f"verifying {steps.location} (dlenv doctor with live probes) ...")
        result = verify(steps.plan, steps.python, timeout=timeout, live_timeout=live_timeout)
        typer.echo(f"\nVerified {steps.location}: " + ("OK" if result.ok else "FAILED"))
        for check in result.checks:
            mark = "ok  " if check.status == "ok" else "FAIL"
            typer.echo(f"  {mark} {check.expected}: {check.found}")
        for error in result.errors:
            typer.echo(f"  doctor: {error}")
        if result.ok:
            typer.echo(f"  Use it: {steps.activate}")
            for key, value in steps.plan.env.items():
                typer.echo(f"  Set before use: {key}={value}")
        kernel = steps.plan.kernel
        if kernel is not None:
            typer.echo(
                f"  Jupyter kernel: {kernel.name} ({kernel.display_name!r}); remove it with "
                f"`{steps.python} -m jupyter kernelspec uninstall -y {kernel.name}`"
            )
        if number in records:
            _record(the_plan, steps, result, records[number])
        failed += not result.ok
    if vscode:
        _apply_vscode(the_plan, built)
    return ExitCode.FINDINGS if failed else ExitCode.OK


def _record(
    the_plan: SetupPlan, steps: EnvironmentSteps, result: Verification, where: Path
) -> None:
    """dlenv.toml: the [check] policy that holds this environment, and what was installed."""
    import os

    from dlenv.fix.render import format_argv
    from dlenv.setup.record import (
        freeze,
        installer_indexes,
        lock_path,
        make_lock,
        make_record,
        pip_config,
        write_record,
    )

    packages = freeze(the_plan.manager, steps.python)
    indexes = installer_indexes(os.environ, pip_config(the_plan.manager, steps.python))
    made = make_record(where, the_plan, steps, result, packages, indexes)
    write_record(made)
    what = f"{made.packages} packages" if packages is not None else "packages could not be read"
    if packages is not None:
        lock = make_lock(lock_path(where), the_plan, steps, packages)
        write_record(lock)  # the same rule: never over a file dlenv setup did not write
        what += f", pinned in {lock.path.name}"
    check = format_argv(
        ["dlenv", "check", "--policy", str(where), "--python", steps.python], "bash"
    )
    typer.echo(f"  Recorded in {where} ({what}); CI can hold it: {check}")


def _apply_vscode(the_plan: SetupPlan, built: list[EnvironmentSteps]) -> None:
    from dlenv.setup.vscode import apply_vscode

    steps = next((s for s in built if s.python), None)
    if steps is None:
        return
    edit = apply_vscode(steps.plan, steps.python, Path.cwd(), _os_name(the_plan))
    for note in edit.notes:
        typer.echo(f"  VS Code: {note}")
    if edit.changes:
        names = ", ".join(str(c.path) for c in edit.changes)
        typer.echo(f"  VS Code: wrote {names}; `dlenv fix --undo` takes them back")
    else:
        typer.echo(f"  VS Code: {edit.settings_file} already points at {steps.location}")
