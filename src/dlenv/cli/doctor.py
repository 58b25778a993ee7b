"""Check this machine (or a saved report) and show every fact and problem, with fixes.

Collects facts about the NVIDIA driver, GPUs, CUDA toolkits, cuDNN, the Python environment and
the frameworks, without importing any framework; then imports each installed framework in its
own process of the inspected interpreter to see whether it really uses the GPU (skip with
--quick), and diagnoses it all.
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
    quick: bool = typer.Option(
        False,
        "--quick",
        envvar="DLENV_QUICK",
        help="Skip the live probes (importing each framework): static facts only, well under "
        "a second. Env: DLENV_QUICK.",
    ),
    only: str | None = typer.Option(
        None,
        "--only",
        envvar="DLENV_ONLY",
        help="Live-probe only these frameworks, comma-separated: torch, tensorflow, keras, "
        "jax. Env: DLENV_ONLY.",
    ),
    skip: str | None = typer.Option(
        None,
        "--skip",
        envvar="DLENV_SKIP",
        help="Do not live-probe these frameworks, comma-separated. Env: DLENV_SKIP.",
    ),
    live_timeout: float = typer.Option(
        60.0,
        "--live-timeout",
        envvar="DLENV_LIVE_TIMEOUT",
        min=1.0,
        help="Seconds allowed for each framework's live probe (a CUDA initialisation can "
        "hang). Env: DLENV_LIVE_TIMEOUT.",
    ),
) -> None:
    from dlenv.core import run_doctor
    from dlenv.live import LiveOptions, parse_framework_list

    live = (
        None
        if quick
        else LiveOptions(
            timeout=live_timeout,
            only=parse_framework_list(only, "--only"),
            skip=parse_framework_list(skip, "--skip"),
        )
    )
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
    )
    raise typer.Exit(int(code))


__all__ = ["DlenvError", "ExitCode", "doctor"]
