"""Check this machine (or a saved report) and show every fact and problem, with fixes.

Collects facts about the NVIDIA driver, GPUs, CUDA toolkits, cuDNN, the Python environment and
the frameworks, without importing any framework, then diagnoses them.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from dlenv.errors import DlenvError, ExitCode


class Format(str, Enum):
    console = "console"
    json = "json"
    markdown = "markdown"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class Redact(str, Enum):
    secrets = "secrets"
    all = "all"


def doctor(
    python: str | None = typer.Option(
        None,
        "--python",
        envvar="DLENV_PYTHON",
        help="Interpreter to inspect (a venv or conda env's python). Env: DLENV_PYTHON.",
    ),
    fmt: Format = typer.Option(
        Format.console, "--format", "-f", envvar="DLENV_FORMAT", help="Env: DLENV_FORMAT."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of the terminal."
    ),
    from_file: Path | None = typer.Option(
        None, "--from", help="Render and re-diagnose a saved `--format json` report."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        envvar="DLENV_VERBOSE",
        help="Show every fact. Env: DLENV_VERBOSE.",
    ),
    redact: Redact = typer.Option(
        Redact.secrets,
        "--redact",
        envvar="DLENV_REDACT",
        help="secrets: hide token/key/password values; all: also user and host names. "
        "Env: DLENV_REDACT.",
    ),
    fail_on: FailOn = typer.Option(
        FailOn.error,
        "--fail-on",
        envvar="DLENV_FAIL_ON",
        help="Exit 1 when a finding at or above this severity exists. Env: DLENV_FAIL_ON.",
    ),
    timeout: float = typer.Option(
        10.0,
        "--timeout",
        envvar="DLENV_TIMEOUT",
        min=0.1,
        help="Seconds allowed for each external command (nvidia-smi…). Env: DLENV_TIMEOUT.",
    ),
) -> None:
    from dlenv.core import run_doctor

    code = run_doctor(
        python=python,
        fmt=fmt.value,
        output=output,
        from_file=from_file,
        verbose=verbose,
        redact=redact.value,
        fail_on=fail_on.value,
        timeout=timeout,
    )
    raise typer.Exit(int(code))


__all__ = ["DlenvError", "ExitCode", "doctor"]
