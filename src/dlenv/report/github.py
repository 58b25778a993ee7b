"""Inside GitHub Actions: error/warning annotations and a Markdown job summary for `dlenv check`.

Annotations are workflow commands (`::error title=…::message`) escaped as the runner decodes
them: in the message `%`, CR and LF; in a property also `:` and `,`. Source: escapeData and
escapeProperty in https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts and
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands . The runner
reads commands from stderr as well as stdout (actions/runner, src/Runner.Worker/Handlers/
ScriptHandler.cs), so dlenv writes them to stderr and keeps stdout for the report.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dlenv.check.model import OUTCOME_WORDS, PolicyResult
from dlenv.check.text import verdict
from dlenv.errors import DlenvError
from dlenv.report.model import Report
from dlenv.report.visible import visible


def escape_data(text: str) -> str:
    """A command's message: control characters made visible, then the runner's own escapes."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def in_github_actions(env: dict[str, str] | None = None) -> bool:
    return (env if env is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def guard_workflow_commands(text: str, env: dict[str, str] | None = None) -> str:
    """`text` for standard output, unable to start a workflow command under GitHub Actions.

    The runner reads `::command::` lines on stdout too, and a report holds other people's
    strings: a newline in a value, or Rich wrapping a long one, can put `::` at the start of a
    line. So the text goes between `::stop-commands::<token>` and `::<token>::`, with a token
    nobody can guess; outside GitHub Actions the text is returned as it is.
    """
    if not text or not in_github_actions(env):
        return text
    token = "dlenv-" + secrets.token_hex(16)
    end = "" if text.endswith("\n") else "\n"
    return f"::stop-commands::{token}\n{text}{end}::{token}::\n"


def annotation_lines(result: PolicyResult) -> list[str]:
    """One `::error` per failed requirement or failing finding; `::warning` for the rest."""
    lines = []
    for r in result.requirements:
        if r.outcome == "pass":
            continue
        level = "error" if r.outcome == "fail" or result.strict else "warning"
        message = f"needed {r.needed}, found {r.found}" + (f" ({r.detail})" if r.detail else "")
        title = f"dlenv check: {r.title} {OUTCOME_WORDS[r.outcome]} [{r.key}]"
        lines.append(command(level, message, title=title))
    for f in result.findings:
        if f.outcome == "fail":
            lines.append(command("error", f.message, title=f"dlenv {f.code} {f.name}: {f.title}"))
        elif f.outcome == "pass" and f.severity == "warning":
            lines.append(command("warning", f.message, title=f"dlenv {f.code} {f.name}: {f.title}"))
    return lines


def _cell(text: str) -> str:
    return visible(text, newlines=False).replace("|", "\\|")


def step_summary(report: Report) -> str:
    """The Markdown appended to $GITHUB_STEP_SUMMARY: verdict, requirements, findings."""
    result = report.policy
    if result is None:
        raise DlenvError("no policy result to summarise")
    host = report.snapshot.host.hostname
    host = visible(host, newlines=False).replace("`", "'") if host else host
    icon = {"pass": "✅", "fail": "❌", "unchecked": "⚠️"}
    lines = [
        f"## dlenv check: {'passed' if result.passed else 'failed'}"
        + (f" on `{host}`" if host else ""),
        "",
        f"{verdict(result)} (policy `{visible(result.source, newlines=False)}`"
        + ("" if result.strict else ", --allow-unknown")
        + ").",
        "",
    ]
    if result.requirements:
        lines += ["| | requirement | needed | found | note |", "|---|---|---|---|---|"]
        for r in result.requirements:
            lines.append(
                f"| {icon[r.outcome]} {OUTCOME_WORDS[r.outcome]} | {_cell(r.title)} (`{r.key}`) | "
                f"{_cell(r.needed)} | {_cell(r.found)} | {_cell(r.detail or '')} |"
            )
        lines.append("")
    shown = [f for f in result.findings if f.severity != "info"]
    links = {f.code: f.docs_url for f in report.findings if f.docs_url}
    if shown:
        lines += ["| | finding | severity | |", "|---|---|---|---|"]
        for f in shown:
            mark = {"fail": "❌ fails", "pass": "⚠️ allowed", "ignored": "➖ ignored"}[f.outcome]
            code = f"[`{f.code}`]({links[f.code]})" if f.code in links else f"`{f.code}`"
            lines.append(f"| {mark} | {code} {f.name} | {f.severity} | {_cell(f.title)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def append_step_summary(report: Report, env: dict[str, str] | None = None) -> Path | None:
    """Append the summary to $GITHUB_STEP_SUMMARY when it is set; the file it wrote, or None."""
    return append_to_step_summary(step_summary(report), env)


def append_to_step_summary(markdown: str, env: dict[str, str] | None = None) -> Path | None:
    """Append Markdown to $GITHUB_STEP_SUMMARY when it is set; the file it wrote, or None."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(markdown)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot append the job summary ({exc.strerror})") from None
    return path
