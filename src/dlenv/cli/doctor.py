"""Check this machine (or a saved report) and show every fact and problem, with fixes.

Collects facts about the NVIDIA driver, GPUs, CUDA toolkits, cuDNN, the Python environment and
the frameworks, without importing any framework; then imports each installed framework in its
own process of the inspected interpreter to see whether it really uses the GPU (skip with
--quick), and diagnoses it all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlenv.cli import options as opt
from dlenv.cli.options import FailOn, Redact, ReportFormat
from dlenv.errors import DlenvError, ExitCode

if TYPE_CHECKING:
    from dlenv.smoke import SmokeOptions


def doctor(
    python: str | None = opt.PYTHON,
    fmt: ReportFormat = typer.Option(
        ReportFormat.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: the screen for people; json: the report as data (for --from, CI and "
        "tools); markdown: for an issue or a chat.",
    ),
    output: Path | None = opt.OUTPUT,
    from_file: Path | None = typer.Option(
        None, "--from", help="Render and re-diagnose a saved `--format json` report."
    ),
    verbose: bool = opt.VERBOSE,
    redact: Redact = opt.REDACT,
    fail_on: FailOn = opt.FAIL_ON,
    timeout: float = opt.TIMEOUT,
    quick: bool = opt.QUICK,
    only: str | None = typer.Option(
        None,
        "--only",
        envvar="DLENV_ONLY",
        help="Live-probe only these frameworks, comma-separated: torch, tensorflow, keras, "
        "jax.",
    ),
    skip: str | None = typer.Option(
        None,
        "--skip",
        envvar="DLENV_SKIP",
        help="Do not live-probe these frameworks, comma-separated.",
    ),
    live_timeout: float = opt.LIVE_TIMEOUT,
    smoke: bool = typer.Option(
        False,
        "--smoke",
        envvar="DLENV_SMOKE",
        help="Also run `dlenv smoke` (train, save and reload, TensorBoard, all-reduce, GPU "
        "memory: every framework, the CPU and every GPU) and judge its results.",
    ),
) -> None:
    from dlenv.core import run_doctor
    from dlenv.live import LiveOptions, parse_framework_list

    # Parsed even with --quick, so that a misspelt name is a usage error, not silently ignored.
    only_names = parse_framework_list(only, "--only")
    skip_names = parse_framework_list(skip, "--skip")
    live = None if quick else LiveOptions(timeout=live_timeout, only=only_names, skip=skip_names)
    code = run_doctor(
        python=python,
        fmt=fmt.value,
        output=output,
        from_file=from_file,
        verbose=verbose,
        redact=redact.value,
        fail_on=fail_on.value,
        timeout=timeout,
        live=live,
        smoke=_smoke_options(only_names) if smoke and from_file is None else None,
    )
    raise typer.Exit(int(code))


def _smoke_options(only: tuple[str, ...]) -> SmokeOptions:
    from dlenv.smoke import SmokeOptions

    return SmokeOptions(only=only)


__all__ = ["DlenvError", "ExitCode", "doctor"]
