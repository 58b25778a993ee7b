"""Explain a pasted report: collect_env output, nvidia-smi, a dlenv JSON report, a log or traceback.

Shows what was recognised, the known messages and what they mean, then diagnoses the facts with
the doctor's rules. A paste is judged as the reporter's machine: this machine's facts are added
only with --this-machine (your own traceback, run where it happened); --no-probe never adds them
and drops the note that says so.
FILE may be - for standard input.
"""

from __future__ import annotations

from pathlib import Path

import typer

from dlenv.cli import options as opt
from dlenv.cli.options import FailOn, Redact
from dlenv.cli.options import ReportFormat as Format
from dlenv.errors import DlenvError, ExitCode

MAX_BYTES = 64 * 1024 * 1024


def read_source(file: str) -> tuple[bytes, str]:
    """The raw bytes of FILE (or stdin for "-"); an unreadable file is a DlenvError (exit 2)."""
    from dlenv.safeio import read_input

    return read_input(
        file,
        limit=MAX_BYTES,
        what="a pasted report",
        hint="; paste the relevant part",
        dash="dlenv explain -",
    )


def explain(
    file: str = typer.Argument(
        ..., metavar="FILE", help="The pasted report (a text file), or - for standard input."
    ),
    fmt: Format = typer.Option(
        Format.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: the screen for people; json: what was recognised and the report, as "
        "data; markdown: to paste back into the issue.",
    ),
    no_probe: bool = typer.Option(
        False,
        "--no-probe",
        envvar="DLENV_NO_PROBE",
        help="Judge the text alone, without the note on --this-machine (the default judges "
        "it alone too).",
    ),
    this_machine: bool = typer.Option(
        False,
        "--this-machine",
        help="Add this machine's facts to the paste's (for your own traceback, run where it "
        "happened). Without it the paste is judged alone, as the reporter's machine.",
    ),
    python: str | None = opt.PYTHON,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the explanation to this file instead."
    ),
    verbose: bool = opt.VERBOSE,
    redact: Redact = opt.REDACT,
    fail_on: FailOn = opt.FAIL_ON,
    timeout: float = opt.TIMEOUT,
) -> None:
    from dlenv.core import exit_code_for, write_output
    from dlenv.importers import decode
    from dlenv.importers.explain import explain_text, render_explanation

    data, source = read_source(file)
    text = decode(data, source)
    if this_machine and no_probe:
        raise DlenvError("--this-machine and --no-probe contradict each other; pick one")
    result = explain_text(
        text,
        source,
        probe=not no_probe,
        python=python,
        timeout=timeout,
        this_machine=this_machine,
    )
    rendered = render_explanation(
        result, fmt.value, verbose=verbose, redact=redact.value, to_file=output
    )
    write_output(rendered, output)
    raise typer.Exit(int(exit_code_for(result.report, fail_on.value)))


__all__ = ["ExitCode", "explain", "read_source"]
