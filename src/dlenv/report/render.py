"""Pick the reporter for a format and render a finished report to text.

This is where a report's strings (facts from another machine, pasted text) become output: for
the text formats every string is first made visible (`dlenv.report.visible`), so that no
control character from a report reaches a terminal; JSON escapes them itself.
"""

from __future__ import annotations

from pathlib import Path

from dlenv.report.model import Report


def render(
    report: Report,
    fmt: str,
    *,
    verbose: bool = False,
    redact: str = "secrets",
    to_file: Path | None = None,
    shell: str = "bash",
    fix_command: str = "dlenv fix",
) -> str:
    if fmt == "json":
        from dlenv.report.json import dump_report
        from dlenv.report.redact import redact_report

        return dump_report(redact_report(report, redact))
    from dlenv.report.redact import redact_report
    from dlenv.report.visible import visible_object

    report = visible_object(redact_report(report, redact))
    if fmt == "markdown":
        from dlenv.report.markdown import render_markdown

        return render_markdown(report, redact=redact, verbose=verbose)
    from dlenv.report.console import render_console

    return render_console(
        report, verbose=verbose, color=to_file is None, shell=shell, fix_command=fix_command
    )
