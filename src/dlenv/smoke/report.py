"""The `dlenv smoke` pipeline: static facts (no live probe) -> smoke checks -> the smoke rules
(DL41x) -> a report, rendered as a table (console) or as the doctor's JSON and Markdown.

The JSON is an ordinary dlenv report whose Snapshot has its `smoke` section: `dlenv doctor
--from smoke.json` re-diagnoses it with every rule, and `dlenv check --from` holds it against a
policy's `smoke = [...]`.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from dlenv.report.model import Report
from dlenv.smoke import SmokeOptions, attach_smoke
from dlenv.smoke.runner import OnCheck

SMOKE_RULES = ("DL41",)


def build_smoke_report(
    *,
    python: str | None,
    timeout: float,
    options: SmokeOptions,
    on_check: OnCheck | None = None,
) -> Report:
    from dlenv.probes import CollectOptions, collect
    from dlenv.report.model import make_report
    from dlenv.rules import diagnose
    from dlenv.system.real import RealSystem

    snapshot = collect(RealSystem(), CollectOptions(python=python, command_timeout=timeout))
    snapshot = attach_smoke(snapshot, options, on_check)
    return make_report(snapshot, diagnose(snapshot, select=SMOKE_RULES))


def render_smoke(
    report: Report,
    fmt: str,
    *,
    redact: str = "secrets",
    to_file: Path | None = None,
    shell: str = "bash",
) -> str:
    if fmt != "console":
        from dlenv.report.render import render

        return render(report, fmt, redact=redact, to_file=to_file, shell=shell)
    from rich.console import Console, Group, RenderableType
    from rich.text import Text

    from dlenv.report.console import _finding
    from dlenv.report.redact import redact_report
    from dlenv.report.visible import visible_object
    from dlenv.smoke.render import smoke_table

    report = visible_object(redact_report(report, redact))
    s = report.snapshot
    title = Text(f"dlenv {report.dlenv_version} smoke", style="bold")
    if s.python.executable:
        title.append(f" · {s.python.executable}", style="dim")
    parts: list[RenderableType] = [title, Text("")]
    if s.smoke is not None:
        parts += [smoke_table(s.smoke), Text("")]
    if report.findings:
        parts.append(Text("Findings", style="bold underline"))
        parts += [_finding(f, s.python.executable, False, shell) for f in report.findings]
    else:
        parts.append(Text("Every check that ran passed.", style="green bold"))
    buf = io.StringIO()
    try:
        width = max(int(os.environ.get("COLUMNS", "0")), 0) or None
    except ValueError:
        width = None
    is_tty = to_file is None and sys.stdout.isatty()
    console = Console(
        file=buf,
        force_terminal=is_tty,
        no_color=not is_tty or "NO_COLOR" in os.environ,
        width=max(width or (0 if is_tty else 120), 40) if (width or not is_tty) else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    console.print(Group(*parts), crop=False)
    return "\n".join(line.rstrip() for line in buf.getvalue().split("\n"))
