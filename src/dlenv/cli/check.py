"""Gate a CI runner or cluster node: run the doctor and hold the result against a policy.

The policy is the [check] table of dlenv.toml or [tool.dlenv.check] in pyproject.toml, found from
the working directory upward, or --policy FILE. Exit 0 when every requirement is met, 1 when one
fails or could not be checked (--allow-unknown lets those pass), 2 for a bad policy or usage.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlenv.cli import options as opt
from dlenv.cli.options import Redact
from dlenv.errors import DlenvError

if TYPE_CHECKING:
    from dlenv.report.model import Report


class Format(str, Enum):
    console = "console"
    json = "json"


def _frameworks(values: list[str]) -> list[str]:
    from dlenv.check.policy import FRAMEWORKS
    from dlenv.live import ALIASES

    names: list[str] = []
    for item in (n.strip() for v in values for n in v.split(",")):
        if not item:
            continue
        name = item.lower()
        name = name if name in FRAMEWORKS else ALIASES.get(name, name)
        if name not in FRAMEWORKS:
            raise DlenvError(
                f"--only: unknown framework {item!r}; expected {', '.join(FRAMEWORKS)}"
            )
        names.append(name)
    return list(dict.fromkeys(names))


def check(
    policy: Path | None = typer.Option(
        None,
        "--policy",
        "-p",
        envvar="DLENV_POLICY",
        help="Policy file (dlenv.toml or pyproject.toml); default: the nearest one from the "
        "working directory upward.",
    ),
    explain_policy: bool = typer.Option(
        False, "--explain-policy", help="Print the policy as dlenv understood it, and stop."
    ),
    allow_unknown: bool = typer.Option(
        False,
        "--allow-unknown",
        envvar="DLENV_ALLOW_UNKNOWN",
        help="Let requirements that could not be checked pass (by default they fail: a gate "
        "that passes what it could not see is no gate).",
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        envvar="DLENV_STRICT",
        help="Fail requirements that could not be checked: the default, kept for compatibility.",
    ),
    only: list[str] = typer.Option(
        [],
        "--only",
        help="Check only these frameworks' requirements (torch, tensorflow, keras, jax, "
        "tf-keras); repeat or separate with commas.",
    ),
    python: str | None = opt.PYTHON,
    from_file: Path | None = typer.Option(
        None, "--from", help="Check a saved `dlenv doctor --format json` report instead."
    ),
    fmt: Format = typer.Option(
        Format.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: the doctor's report and the policy's verdict; json: the same as data.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report (console or JSON) to this file."
    ),
    json_file: Path | None = typer.Option(
        None, "--json", help="Also write the JSON report (with the policy result) to this file."
    ),
    junit: Path | None = typer.Option(
        None, "--junit", help="Also write a JUnit XML file (one test case per requirement)."
    ),
    github: bool | None = typer.Option(
        None,
        "--github/--no-github",
        help="GitHub Actions annotations and job summary; default: on when GITHUB_ACTIONS=true.",
    ),
    verbose: bool = opt.VERBOSE,
    redact: Redact = opt.REDACT,
    timeout: float = opt.TIMEOUT,
    quick: bool = opt.QUICK,
    live_timeout: float = opt.LIVE_TIMEOUT,
) -> None:
    from dlenv.check.evaluate import evaluate, exit_code
    from dlenv.check.policy import explain_policy as explain
    from dlenv.check.policy import load_policy
    from dlenv.core import build_report_with_progress, write_output
    from dlenv.live import LiveOptions

    if policy is None:
        _require_working_dir()
    try:
        rules = load_policy(policy)
    except RecursionError:  # tomllib recurses once per nesting level
        raise DlenvError(f"{policy or 'the policy'}: nested too deeply to be a policy") from None
    frameworks = _frameworks(only)
    if explain_policy:
        write_output(explain(rules), None)
        raise typer.Exit(0)

    live = None if quick else LiveOptions(timeout=live_timeout, only=tuple(frameworks))
    smoke = None
    if rules.smoke and not quick and from_file is None:  # the policy's `smoke = [...]`
        from dlenv.smoke import SmokeOptions

        smoke = SmokeOptions(checks=rules.smoke, only=tuple(frameworks))
    report = build_report_with_progress(
        python=python, from_file=from_file, timeout=timeout, live=live, fmt=fmt.value, smoke=smoke
    )
    if strict and allow_unknown:
        raise DlenvError("--strict and --allow-unknown contradict each other; pick one")
    result = evaluate(rules, report, strict=not allow_unknown, only=frameworks)
    report = _redacted(replace(report, policy=result), redact.value)
    assert report.policy is not None
    result = report.policy  # what is shown is the redacted result, like the report around it

    from dlenv.report.render import render

    if fmt is Format.json:
        text = render(report, "json", redact=redact.value)
    else:
        from dlenv.check.text import render_result
        from dlenv.core import fix_command_for

        shell, fix_line = fix_command_for(python=python, from_file=from_file)
        doctor = render(
            report,
            "console",
            verbose=verbose,
            redact=redact.value,
            to_file=output,
            shell=shell,
            fix_command=fix_line,
        )
        text = doctor.rstrip("\n") + "\n\n" + render_result(result)
    if json_file is not None:
        write_output(render(report, "json", redact=redact.value), json_file)
    if junit is not None:
        from dlenv.report.junit import render_junit

        write_output(render_junit(report), junit)
    write_output(text, output)

    from dlenv.report import github as gh

    if github if github is not None else gh.in_github_actions():
        for line in gh.annotation_lines(result):
            typer.echo(line, err=True)
        gh.append_step_summary(report)
    raise typer.Exit(int(exit_code(result)))


def _require_working_dir() -> None:
    """The policy is looked for from the working directory up; a deleted one has no path."""
    import os

    try:
        os.getcwd()
    except OSError:
        raise DlenvError(
            "the working directory no longer exists, so no dlenv.toml can be found from it; "
            "cd to an existing directory or pass --policy FILE"
        ) from None


def _redacted(report: Report, mode: str) -> Report:
    from dlenv.report.redact import redact_report

    return redact_report(report, mode)
