"""The `dlenv` Typer application and its entry point, which maps errors to exit codes."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from typing import Any

import typer

from dlenv import __version__
from dlenv.cli import check, doctor, explain, fix, fleet, kb, rules, setup, smoke
from dlenv.errors import DlenvError, ExitCode

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 problems found (doctor, explain, fix) or the policy failed (check); "
    "2 usage or input error; 130 interrupted. Each command's --help says exactly when."
)
FAIL_ON_EXIT_CODES = (
    "Exit codes: 0 no finding at or above --fail-on (default: error); 1 findings at or above "
    "it; 2 usage or input error (bad option, unreadable or malformed file); 130 interrupted."
)
CHECK_EXIT_CODES = (
    "Exit codes: 0 every requirement met; 1 a requirement failed or could not be checked "
    "(--allow-unknown lets those pass), or a finding counts as a failure; 2 bad policy, usage or "
    "input error; 130 interrupted."
)
LOOKUP_EXIT_CODES = "Exit codes: 0 shown; 2 unknown table, rule or query, or bad usage."

app = typer.Typer(
    name="dlenv",
    help="Find out why a deep-learning environment does not use the GPU, and how to fix it: "
    "NVIDIA driver, CUDA, cuDNN, PyTorch, TensorFlow, Keras, JAX.\n\n"
    "Start with `dlenv doctor` on the machine itself; `dlenv explain FILE` reads a report or "
    "traceback someone pasted.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from dlenv.knowledge_date import knowledge_base_date

        date = knowledge_base_date()
        typer.echo(f"dlenv {__version__}")
        typer.echo(f"knowledge base: {date or 'undated'} (its newest dated source)")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Print the version and the knowledge base's date.",
    ),
) -> None:
    """dlenv: the truth about a deep-learning machine."""


# short_help is written out: Click's own cuts the docstring mid-sentence ("hold the...")
app.command(
    "doctor",
    help=doctor.__doc__,
    short_help="Check this machine: every fact, every problem, and its fix.",
    epilog=FAIL_ON_EXIT_CODES,
)(doctor.doctor)
app.command(
    "check",
    help=check.__doc__,
    short_help="Gate a CI runner or cluster node on a policy (dlenv.toml).",
    epilog=CHECK_EXIT_CODES,
)(check.check)
app.command(
    "fleet",
    help=fleet.__doc__,
    short_help="Merge many nodes' reports: drift, shared findings, a fleet policy.",
    epilog=fleet.EXIT_CODES_HELP,
)(fleet.fleet)
app.command(
    "explain",
    help=explain.__doc__,
    short_help="Explain a pasted report, log or traceback from any machine.",
    epilog=FAIL_ON_EXIT_CODES,
)(explain.explain)
app.command(
    "fix",
    help=fix.__doc__,
    short_help="Plan the fixes as commands to paste; --apply writes them.",
    epilog=fix.EXIT_CODES_HELP,
)(fix.fix)
app.command(
    "setup",
    help=setup.__doc__,
    short_help="Build a verified environment: the framework builds this GPU runs.",
    epilog=setup.EXIT_CODES_HELP,
)(setup.setup)
app.command(
    "smoke",
    help=smoke.__doc__,
    short_help="Prove each framework trains, saves, reloads, logs and all-reduces.",
    epilog=smoke.EXIT_CODES_HELP,
)(smoke.smoke)
app.command(
    "kb",
    help=kb.__doc__,
    short_help="Show the compatibility tables (driver, CUDA, torch, TF, GPUs).",
    epilog=LOOKUP_EXIT_CODES,
)(kb.kb)
app.command(
    "rules",
    help=rules.__doc__,
    short_help="List the diagnosis rules, or explain one (dlenv rules DL101).",
    epilog=LOOKUP_EXIT_CODES,
)(rules.rules)


def _click_exceptions() -> Any:
    """Click's exception classes: recent Typer vendors Click as `typer._click`."""
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError("neither typer._click nor click is importable")  # pragma: no cover


def _sane_streams() -> None:
    """Standard streams that cannot fail dlenv: closed ones (`dlenv doctor >&-`) read and write
    the null device, and text a terminal's encoding cannot show (LANG=C, PYTHONIOENCODING=ascii)
    prints as `?` instead of raising."""
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and stream.errors in ("strict", "surrogateescape"):
            # a stream that cannot change any more is kept as it is
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> None:
    """Run the app; expected failures print one line and exit with their code."""
    from dlenv.system import children

    _sane_streams()
    if argv is None:  # the real command line, not a test calling main() in its own process
        children.install_signal_handlers()
    exceptions = _click_exceptions()
    try:
        code = _run(argv, exceptions)
    finally:
        children.close()  # whatever way out: no probe outlives dlenv
        if argv is not None:  # called in process (tests): the process goes on running commands
            children.reopen()
    sys.exit(code)


def _run(argv: list[str] | None, exceptions: Any) -> int:
    """The app's exit status; every expected way out mapped to its code."""
    from dlenv.system.children import Terminated

    try:
        code = app(args=argv, prog_name="dlenv", standalone_mode=False)
    except DlenvError as exc:
        from dlenv.report.redact import redact_text
        from dlenv.report.visible import visible

        # a message may quote a value from a report: one line, controls visible, no credential
        message = visible(redact_text(exc.message), newlines=False)
        typer.echo(f"dlenv: error: {message}", err=True)
        return int(exc.code)
    except exceptions.UsageError as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except exceptions.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("dlenv: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except Terminated as exc:
        import signal

        typer.echo(f"dlenv: terminated ({signal.Signals(exc.signum).name})", err=True)
        return 128 + exc.signum
    except BrokenPipeError:
        from dlenv.core import detach_stdout

        detach_stdout()  # the reader went away (`| head`): quiet, like Click's own handling
        return 1
    except Exception:
        traceback.print_exc()
        typer.echo(
            "dlenv: internal error: this is a bug in dlenv; please report it with the "
            "traceback above.",
            err=True,
        )
        return 70
    return code if isinstance(code, int) else 0
