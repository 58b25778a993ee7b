"""Merge the reports of many nodes: what differs between them, and which findings they share.

Each node runs `dlenv doctor --format json` through the engine that already runs the fleet
(Slurm, Kubernetes, a CI matrix: see docs/fleet.md); `dlenv fleet` reads the reports (files,
folders of *.json, `-` for JSON lines, concatenated reports or `kubectl logs --prefix` on
stdin) and shows, for each fact, the value most nodes have and the nodes that differ.
Unreadable reports are listed, never fatal.

With --policy FILE, the [check] table applies to every node (as `dlenv check`) and the [fleet]
table adds rules across nodes (same_driver = true, min_total_gpus = 16, …).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlenv.cli import options as opt
from dlenv.cli.options import FailOn
from dlenv.errors import DlenvError, ExitCode

if TYPE_CHECKING:
    from dlenv.fleet.merge import FleetPolicies
    from dlenv.fleet.model import Fleet

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 with --policy: a node fails [check] or the nodes break a [fleet] rule "
    "(or a report is unreadable); without: a node has a finding at or above --fail-on; "
    "2 usage error, bad policy, or no readable report at all; 130 interrupted."
)


class FleetFormat(str, Enum):
    console = "console"
    markdown = "markdown"
    json = "json"
    html = "html"


def fleet(
    reports: list[str] = typer.Argument(
        ...,
        metavar="REPORTS...",
        help="Report files, folders of *.json reports, or - for standard input.",
    ),
    policy: Path | None = typer.Option(
        None,
        "--policy",
        "-p",
        envvar="DLENV_FLEET_POLICY",
        help="Policy file (dlenv.toml or pyproject.toml) with a [check] and/or [fleet] table.",
    ),
    explain_policy: bool = typer.Option(
        False, "--explain-policy", help="Print the policy as dlenv understood it, and stop."
    ),
    allow_unknown: bool = typer.Option(
        False,
        "--allow-unknown",
        envvar="DLENV_ALLOW_UNKNOWN",
        help="Let requirements and rules that could not be checked pass.",
    ),
    fmt: FleetFormat = typer.Option(
        FleetFormat.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console, markdown (for an issue or a job summary), json, or html (one page).",
    ),
    output: Path | None = opt.OUTPUT,
    junit: Path | None = typer.Option(
        None, "--junit", help="Also write JUnit XML: one test case per node (needs --policy)."
    ),
    github: bool | None = typer.Option(
        None,
        "--github/--no-github",
        help="GitHub Actions annotations and job summary; default: on when GITHUB_ACTIONS=true.",
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        envvar="DLENV_FLEET_JOBS",
        help="Processes that read the reports: default one per core from 2,000 files on; "
        "1 reads them in this process. The result is the same.",
    ),
    fail_on: FailOn = opt.FAIL_ON,
    verbose: bool = opt.VERBOSE,
) -> None:
    from dlenv.core import write_output
    from dlenv.fleet.merge import merge_fleet
    from dlenv.fleet.render import render

    policies = _policies(policy, not allow_unknown) if policy is not None else None
    if explain_policy:
        if policies is None:
            raise DlenvError("--explain-policy needs --policy FILE")
        write_output(_explain(policies), None)
        raise typer.Exit(0)
    if junit is not None and policies is None:
        raise DlenvError("--junit needs --policy: a JUnit test needs a policy to pass or fail")
    result = merge_fleet(reports, policies, jobs=jobs)
    if junit is not None:
        from dlenv.fleet.ci import render_junit

        write_output(render_junit(result), junit)
    write_output(render(result, fmt.value, verbose=verbose), output)

    from dlenv.report import github as gh

    if github if github is not None else gh.in_github_actions():
        from dlenv.fleet import ci

        for line in ci.annotation_lines(result):
            typer.echo(line, err=True)
        ci.append_step_summary(result)
    if result.verdict is not None:
        raise typer.Exit(int(ExitCode.OK if result.verdict.passed else ExitCode.FINDINGS))
    raise typer.Exit(int(_findings_exit(result, fail_on.value)))


def _policies(path: Path, strict: bool) -> FleetPolicies:
    from dlenv.check.policy import load_fleet_policy
    from dlenv.fleet.merge import FleetPolicies

    try:
        check, fleet_rules = load_fleet_policy(path)
    except RecursionError:  # tomllib recurses once per nesting level
        raise DlenvError(f"{path}: nested too deeply to be a policy") from None
    return FleetPolicies(source=str(path), check=check, fleet=fleet_rules, strict=strict)


def _explain(policies: FleetPolicies) -> str:
    from dlenv.check.policy import explain_fleet_policy, explain_policy

    parts = []
    if policies.check is not None:
        parts.append(
            explain_policy(policies.check).replace("Policy from", "Every node: policy from")
        )
    if policies.fleet is not None:
        parts.append(explain_fleet_policy(policies.fleet))
    return "".join(parts)


def _findings_exit(result: Fleet, fail_on: str) -> ExitCode:
    from dlenv.rules.findings import severity_at_least

    if fail_on == "never":
        return ExitCode.OK
    bad = any(severity_at_least(g.severity, fail_on) for g in result.findings)
    return ExitCode.FINDINGS if bad else ExitCode.OK
