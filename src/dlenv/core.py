"""The doctor pipeline: collect (or load) -> diagnose -> render -> exit code.

Kept out of `dlenv.cli` so that other commands (fix, check, explain) reuse it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.errors import DlenvError, ExitCode
from dlenv.report.model import Report, make_report
from dlenv.rules.findings import severity_at_least

if TYPE_CHECKING:
    from dlenv.live import LiveOptions
    from dlenv.live.runner import OnUpdate


def build_report(
    python: str | None = None,
    from_file: Path | None = None,
    timeout: float = 10.0,
    live: LiveOptions | None = None,
    on_update: OnUpdate | None = None,
) -> Report:
    """A fresh report of this machine, or a saved one re-diagnosed.

    With `live`, the installed frameworks are then imported in the target interpreter (the
    live probes); None skips them (`--quick`). A saved report keeps the live facts it has.
    """
    from dlenv.rules import diagnose

    if from_file is not None:
        from dlenv.report.json import read_report_file

        snapshot = read_report_file(str(from_file)).snapshot
    else:
        from dlenv.probes import CollectOptions, collect
        from dlenv.system.real import RealSystem

        snapshot = collect(RealSystem(), CollectOptions(python=python, command_timeout=timeout))
        if live is not None:
            from dlenv.live import attach_live

            snapshot = attach_live(snapshot, live, on_update)
    return make_report(snapshot, diagnose(snapshot))


def build_report_with_progress(
    *,
    python: str | None,
    from_file: Path | None,
    timeout: float,
    live: LiveOptions | None,
) -> Report:
    """`build_report`, showing the live probes' progress on stderr while they run."""
    if live is not None and from_file is None:
        from dlenv.live.progress import live_progress

        with live_progress() as on_update:
            return build_report(python=python, timeout=timeout, live=live, on_update=on_update)
    return build_report(python=python, from_file=from_file, timeout=timeout)


def exit_code_for(report: Report, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.OK
    failing = [f for f in report.findings if severity_at_least(f.severity, fail_on)]
    return ExitCode.FINDINGS if failing else ExitCode.OK


def write_output(text: str, output: Path | None) -> None:
    """Print, or write atomically to `output` (a failed write leaves no half file)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    tmp = output.with_name(f".{output.name}.dlenv-tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DlenvError(f"{output}: cannot write ({exc.strerror})") from None


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
) -> ExitCode:
    from dlenv.report.render import render

    report = build_report_with_progress(
        python=python, from_file=from_file, timeout=timeout, live=live
    )
    write_output(render(report, fmt, verbose=verbose, redact=redact, to_file=output), output)
    return exit_code_for(report, fail_on)
