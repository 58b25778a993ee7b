"""The doctor pipeline: collect (or load) -> diagnose -> render -> exit code.

Kept out of `dlenv.cli` so that other commands (fix, check, explain) reuse it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.errors import DlenvError, ExitCode

# The report and rules modules load lazily: before the live probes start, dlenv imports only
# what the static probes need, so that the frameworks start importing as early as they can.
if TYPE_CHECKING:
    from collections.abc import Callable

    from dlenv.live import LiveOptions
    from dlenv.live.runner import OnUpdate
    from dlenv.probes import CollectOptions
    from dlenv.report.model import Report
    from dlenv.smoke import SmokeOptions
    from dlenv.snapshot.model import FrameworkFacts, PythonFacts, Snapshot
    from dlenv.system.base import System


def collect_with_live(
    system: System,
    options: CollectOptions,
    live: LiveOptions | None,
    on_update: OnUpdate | None = None,
    while_live: Callable[[], None] | None = None,
) -> Snapshot:
    """The static probes, with the live probes started as soon as they know the interpreter and
    its frameworks (the rest of the static probes, and `while_live`, overlap the imports)."""
    from dlenv.probes import collect

    if live is None:
        return collect(system, options)
    from dlenv.live import PendingLive, start_live

    pending: list[PendingLive] = []

    def start(python: PythonFacts, frameworks: list[FrameworkFacts]) -> None:
        pending.append(start_live(python.executable, frameworks, live, on_update))

    try:
        snapshot = collect(system, options, on_frameworks=start)
        if not pending:  # a collect that never reached the frameworks: start them now
            start(snapshot.python, snapshot.frameworks)
        if while_live is not None:
            while_live()
        return pending[0].attach(snapshot)
    finally:
        for run in pending:  # an error or ^C anywhere above must not leave children running
            run.cancel()


def build_report(
    python: str | None = None,
    from_file: Path | None = None,
    timeout: float = 10.0,
    live: LiveOptions | None = None,
    on_update: OnUpdate | None = None,
    prepare: Callable[[], None] | None = None,
    smoke: SmokeOptions | None = None,
    fmt: str | None = None,
) -> Report:
    """A fresh report of this machine, or a saved one re-diagnosed.

    With `live`, the installed frameworks are also imported in the target interpreter (the
    live probes); None skips them (`--quick`). A saved report keeps the live facts it has.
    `prepare` runs while the live probes do (the caller's own imports, say). With `smoke`, the
    smoke checks run after the live probes (`dlenv doctor --smoke`); `fmt` decides their
    progress lines.
    """
    if from_file is not None:
        from dlenv.report.json import read_report_file

        snapshot = read_report_file(str(from_file)).snapshot
    else:
        from dlenv.probes import CollectOptions
        from dlenv.system.real import RealSystem

        def warm_up() -> None:
            # The rules' first load costs ~50 ms: pay it while the frameworks import.
            import importlib

            from dlenv.rules.registry import all_rules

            importlib.import_module("dlenv.report.model")
            all_rules()
            if prepare is not None:
                prepare()

        snapshot = collect_with_live(
            RealSystem(),
            CollectOptions(python=python, command_timeout=timeout),
            live,
            on_update,
            while_live=warm_up,
        )
        if smoke is not None:
            from dlenv.smoke import attach_smoke
            from dlenv.smoke.render import progress_printer

            snapshot = attach_smoke(snapshot, smoke, progress_printer(fmt))
    from dlenv.report.model import make_report
    from dlenv.rules import diagnose

    return make_report(snapshot, diagnose(snapshot))


def build_report_with_progress(
    *,
    python: str | None,
    from_file: Path | None,
    timeout: float,
    live: LiveOptions | None,
    fmt: str | None = None,
    prepare: Callable[[], None] | None = None,
    smoke: SmokeOptions | None = None,
) -> Report:
    """`build_report`, showing the live probes' progress on stderr while they run.

    `fmt` is the report's format: progress lines are kept off a non-terminal stderr for the
    machine-readable ones (see `dlenv.live.progress.progress_mode`).
    """
    if live is not None and from_file is None:
        from dlenv.live.progress import live_progress, progress_mode

        with live_progress(mode=progress_mode(fmt)) as on_update:
            return build_report(
                python=python,
                timeout=timeout,
                live=live,
                on_update=on_update,
                prepare=prepare,
                smoke=smoke,
                fmt=fmt,
            )
    return build_report(
        python=python, from_file=from_file, timeout=timeout, smoke=smoke, fmt=fmt
    )


def exit_code_for(report: Report, fail_on: str) -> ExitCode:
    from dlenv.rules.findings import severity_at_least

    if fail_on == "never":
        return ExitCode.OK
    failing = [f for f in report.findings if severity_at_least(f.severity, fail_on)]
    return ExitCode.FINDINGS if failing else ExitCode.OK


def write_output(text: str, output: Path | None) -> None:
    """Print, or write to `output` (see `dlenv.safeio.write_output`: a file is replaced
    atomically, a device, FIFO or /dev/stdout is written directly, nothing else is replaced)."""
    # Paths and variables that are not UTF-8 reach here as lone surrogates (Python's
    # surrogateescape); no report may hold text its own encoding refuses: they read as U+FFFD.
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if output is None:
        from dlenv.report.github import guard_workflow_commands

        text = guard_workflow_commands(text)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`dlenv doctor | head -1`): what it wanted it has; the exit
            # code still tells the diagnosis, and nothing must complain at exit.
            detach_stdout()
        except OSError as exc:
            detach_stdout()
            raise DlenvError(f"cannot write the report ({exc.strerror})") from None
        return
    from dlenv.safeio import write_output as write_file

    write_file(output, text.encode("utf-8"))


def detach_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's final flush of text
    that could not be written raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process exits


def _load_renderer(fmt: str) -> None:
    """Import the renderer of `fmt` ahead of time (it is the last thing dlenv does)."""
    import importlib

    modules = {
        "json": ("dlenv.report.json", "dlenv.report.redact"),
        "markdown": ("dlenv.report.markdown",),
        "console": ("dlenv.report.console",),
    }
    for name in ("dlenv.report.render", *modules.get(fmt, ())):
        importlib.import_module(name)


def run_doctor(
    *,
    python: str | None,
    fmt: str,
    output: Path | None,
    from_file: Path | None,
    verbose: bool,
    redact: str,
    fail_on: str,
    timeout: float,
    live: LiveOptions | None = None,
    smoke: SmokeOptions | None = None,
) -> ExitCode:
    from dlenv.report.render import render

    report = build_report_with_progress(
        python=python,
        from_file=from_file,
        timeout=timeout,
        live=live,
        fmt=fmt,
        prepare=lambda: _load_renderer(fmt),
        smoke=smoke,
    )
    shell, fix = fix_command_for(python=python, from_file=from_file)
    text = render(
        report, fmt, verbose=verbose, redact=redact, to_file=output, shell=shell, fix_command=fix
    )
    write_output(text, output)
    return exit_code_for(report, fail_on)


def fix_command_for(*, python: str | None, from_file: Path | None) -> tuple[str, str]:
    """The user's shell, and the `dlenv fix` line that plans for the same machine they asked
    about (`--from FILE` kept), quoted for that shell."""
    from dlenv.fix.render import detect_shell, format_argv

    shell = detect_shell()
    argv = ["dlenv", "fix"]
    if from_file is not None:
        argv += ["--from", str(from_file)]
    if python is not None:
        argv += ["--python", python]
    return shell, format_argv(argv, shell)
