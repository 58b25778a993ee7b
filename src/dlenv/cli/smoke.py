"""Prove that each installed framework really trains, saves and reloads, logs for TensorBoard
and communicates, on the CPU and on every visible GPU.

Like `doctor`, inspects the interpreter on PATH (or --python). Every check runs in a process of
that interpreter under a deadline (--check-timeout); a hang or a crash is reported and the other
checks still run. Nothing is downloaded, and nothing is written outside a temporary directory
that is removed afterwards. Checks: train (LeNet-5 on synthetic MNIST-shaped data), save_load
(.keras, .h5, model.export, SavedModel, torch state_dict), tensorboard, allreduce
(torch.distributed on 127.0.0.1), memory (GPU only).
"""

from __future__ import annotations

from pathlib import Path

import typer

from dlenv.cli import options as opt
from dlenv.cli.options import Redact
from dlenv.errors import ExitCode

EXIT_CODES_HELP = (
    "Exit codes: 0 every check passed (or was skipped: not installed, not applicable); 1 a "
    "check failed, hung or crashed (with findings); 2 usage error; 130 interrupted."
)


def smoke(
    python: str | None = opt.PYTHON,
    only: str | None = typer.Option(
        None,
        "--only",
        envvar="DLENV_ONLY",
        help="Check only these frameworks, comma-separated: torch, tensorflow, keras, jax.",
    ),
    device: str | None = typer.Option(
        None,
        "--device",
        envvar="DLENV_SMOKE_DEVICE",
        help="cpu, cuda (every visible GPU) or cuda:N, comma-separated; default: the CPU and "
        "every visible GPU.",
    ),
    checks: str | None = typer.Option(
        None,
        "--checks",
        envvar="DLENV_SMOKE_CHECKS",
        help="Run only these checks, comma-separated: train, save_load, tensorboard, "
        "allreduce, memory.",
    ),
    fmt: opt.ReportFormat = typer.Option(
        opt.ReportFormat.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: a table for people; json: the report as data (the Snapshot's smoke "
        "section, and the findings); markdown: for an issue.",
    ),
    output: Path | None = opt.OUTPUT,
    redact: Redact = opt.REDACT,
    timeout: float = opt.TIMEOUT,
    check_timeout: float = typer.Option(
        120.0,
        "--check-timeout",
        envvar="DLENV_SMOKE_TIMEOUT",
        min=1.0,
        callback=opt._finite_seconds,
        help="Seconds allowed for each check, its framework's import included, at most 3600.",
    ),
    isolate: bool = typer.Option(
        False,
        "--isolate",
        envvar="DLENV_SMOKE_ISOLATE",
        help="Run every check in a process of its own (slower: each imports its framework).",
    ),
) -> None:
    from dlenv.core import fix_command_for, write_output
    from dlenv.live import parse_framework_list
    from dlenv.smoke import SmokeOptions, failed_checks, parse_checks

    options = SmokeOptions(
        timeout=check_timeout,
        only=parse_framework_list(only, "--only"),
        devices=device,
        checks=parse_checks(checks),
        isolate=isolate,
    )
    from dlenv.smoke.render import progress_printer
    from dlenv.smoke.report import build_smoke_report, render_smoke

    report = build_smoke_report(
        python=python, timeout=timeout, options=options, on_check=progress_printer(fmt.value)
    )
    shell, _ = fix_command_for(python=python, from_file=None)
    text = render_smoke(report, fmt.value, redact=redact.value, to_file=output, shell=shell)
    write_output(text, output)
    failing = bool(failed_checks(report.snapshot.smoke)) or any(
        f.severity == "error" for f in report.findings
    )
    raise typer.Exit(int(ExitCode.FINDINGS if failing else ExitCode.OK))
