"""Options shared by several commands, defined once so that names, environment variables and
help read the same everywhere (`--python`, `--verbose`, `--redact`, `--fail-on`, `--timeout`…).

Help texts do not name the environment variable: Click adds `[env var: DLENV_…]` itself."""

from __future__ import annotations

import math
from enum import Enum

import typer

MAX_SECONDS = 3600.0  # an hour: longer is a typo, and the OS's timers refuse far larger ones


def _finite_seconds(value: float) -> float:
    """`inf` and `nan` pass a FloatRange; as a timeout they mean never, or nonsense."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of seconds")
    if value > MAX_SECONDS:
        raise typer.BadParameter(f"{value:g} is more than {MAX_SECONDS:.0f} seconds (an hour)")
    return value


class ReportFormat(str, Enum):
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


PYTHON = typer.Option(
    None,
    "--python",
    envvar="DLENV_PYTHON",
    help="Interpreter to inspect (a venv or conda env's python); default: the one you would "
    "run ($VIRTUAL_ENV, $CONDA_PREFIX, then python3 on PATH).",
)
OUTPUT = typer.Option(None, "--output", "-o", help="Write the report to this file instead.")
VERBOSE = typer.Option(False, "--verbose", "-v", envvar="DLENV_VERBOSE", help="Show every fact.")
REDACT = typer.Option(
    Redact.secrets,
    "--redact",
    envvar="DLENV_REDACT",
    help="secrets: hide token/key/password values; all: also user and host names.",
)
FAIL_ON = typer.Option(
    FailOn.error,
    "--fail-on",
    envvar="DLENV_FAIL_ON",
    help="Exit 1 when a finding at or above this severity exists.",
)
TIMEOUT = typer.Option(
    10.0,
    "--timeout",
    envvar="DLENV_TIMEOUT",
    min=0.1,
    callback=_finite_seconds,
    help="Seconds allowed for each external command (the inspected interpreter, nvidia-smi, "
    "nvcc…), at most 3600.",
)
QUICK = typer.Option(
    False,
    "--quick",
    envvar="DLENV_QUICK",
    help="Skip the live probes (importing each framework in its own process): static facts "
    "only.",
)
LIVE_TIMEOUT = typer.Option(
    60.0,
    "--live-timeout",
    envvar="DLENV_LIVE_TIMEOUT",
    min=1.0,
    callback=_finite_seconds,
    help="Seconds allowed for each framework's live probe (a CUDA initialisation can hang), "
    "at most 3600.",
)
