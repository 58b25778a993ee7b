"""`dlenv explain`: a paste -> Snapshot (optionally over this machine) -> findings -> text.

The section about what was recognised is rendered here; findings go through the doctor's
reporters (`dlenv.report.render.render`), so they read the same as `dlenv doctor`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlenv.importers.detect import Imported, combine_with_machine, import_text
from dlenv.importers.sheet import Part
from dlenv.importers.signatures import UNRECOGNISED
from dlenv.report.json import dump_json
from dlenv.report.model import Report, make_report
from dlenv.report.visible import visible
from dlenv.snapshot.model import Snapshot
from dlenv.snapshot.serde import to_data

EXPLAIN_KIND = "dlenv-explain"
EXPLAIN_VERSION = 1


@dataclass
class Explanation:
    imported: Imported
    report: Report
    probe_note: str | None = None  # why this machine was not combined, when it was asked for
    notes: list[str] = field(default_factory=list)


def _probe_machine(python: str | None, timeout: float) -> Snapshot:
    from dlenv.probes import CollectOptions, collect
    from dlenv.system.real import RealSystem

    return collect(RealSystem(), CollectOptions(python=python, command_timeout=timeout))


def explain_text(
    text: str,
    source: str = "-",
    *,
    probe: bool = True,
    python: str | None = None,
    timeout: float = 10.0,
    machine: Callable[[], Snapshot] | None = None,
    this_machine: bool = False,
) -> Explanation:
    """Import the paste and diagnose it. This machine's facts are added only on purpose, with
    `this_machine` (a user pasting their own traceback, run where it happened), and never with
    `probe` False: a paste is the reporter's machine, and a maintainer's host must not stand in
    for what the reporter left out. With `probe` and without `this_machine`, the note says so."""
    from dlenv.importers.detect import machine_supplied, nothing_recognised, stated_machine
    from dlenv.rules import diagnose

    imported = import_text(text, source)
    snapshot = imported.snapshot
    probe_note = None
    stated = stated_machine(snapshot)
    if not imported.parts and not this_machine:
        # only words: the paste is read as a whole (DL901's learned reading); when that names
        # nothing, nothing was recognised
        findings = diagnose(snapshot)
        if not any(f.severity in ("error", "warning") for f in findings):
            raise nothing_recognised(source)
        return Explanation(imported, make_report(snapshot, findings), None)
    if probe and not this_machine:
        # a report pasted from somewhere else is the reporter's machine, not this one: the
        # machine running dlenv (a maintainer's, a CI runner's, often a container) would stand
        # in for facts the paste left out
        probe_note = (
            f"the paste describes a machine ({', '.join(stated)}), so it is judged alone; "
            if stated
            else "the paste states no machine facts and is judged alone; "
        ) + "--this-machine adds the facts of the machine running dlenv (for your own traceback)"
    elif probe:
        try:
            here = machine() if machine is not None else _probe_machine(python, timeout)
        except ImportError as exc:
            probe_note = f"this machine was not probed ({exc}); judging the text alone"
        else:
            snapshot = combine_with_machine(imported, here)
            added = machine_supplied(imported.snapshot, snapshot)
            if added:
                probe_note = "from this machine, not the paste: " + "; ".join(added)
    return Explanation(imported, make_report(snapshot, diagnose(snapshot)), probe_note)


# -- rendering ----------------------------------------------------------------------------
def _part_title(p: Part) -> str:
    where = (
        f"line {p.first_line}"
        if p.first_line == p.last_line
        else (f"lines {p.first_line}-{p.last_line}")
    )
    names = {
        "collect_env": "PyTorch collect_env",
        "nvidia-smi": "nvidia-smi table",
        "nvidia-smi -q": "nvidia-smi -q",
        "dlenv-json": "dlenv JSON report",
        "issue-template": "issue template answers",
        "package-list": "package list",
        "nvcc --version": "nvcc --version",
        "messages": "log / traceback messages",
    }
    return f"{names.get(p.kind, p.kind)} ({where})"


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0][:160] if lines else ""


def render_recognised(result: Explanation, verbose: bool = False) -> str:
    """The plain-text section: parts, facts found, facts unknown, known messages."""
    imp = result.imported
    out = [f"dlenv explain: {imp.source} ({imp.lines} lines)", ""]
    out.append("Recognised:")
    for p in imp.parts:
        out.append(f"  - {_part_title(p)}")
        facts = (
            p.found
            if verbose or len(p.found) <= 12
            else [*p.found[:12], f"… {len(p.found) - 12} more (--verbose)"]
        )
        out.extend(f"      {f}" for f in facts)
        out.extend(f"      unknown: {u}" for u in p.unknown)
        out.extend(f"      note: {n}" for n in p.notes)
    reported = imp.snapshot.reported_errors
    unknown = [e for e in reported if e.signature == UNRECOGNISED.id]
    errors = [e for e in reported if not e.harmless and e.signature != UNRECOGNISED.id]
    noise = [e for e in reported if e.harmless]
    out.append("")
    if errors:
        out.append("Known messages:")
        for e in errors:
            times = f" (×{e.count})" if e.count > 1 else ""
            out.append(f"  ✗ {e.signature}{times}: {_first_line(e.text)}")
            out.append(f"      {e.meaning}")
    if noise:
        out.append("Harmless messages (not a cause):")
        for e in noise:
            times = f" (×{e.count})" if e.count > 1 else ""
            out.append(f"  · {e.signature}{times}: {e.meaning}")
    if not errors and not noise:
        out.append("Known messages: none")
    if unknown:
        out.append("Errors without a known signature:")
        for e in unknown:
            times = f" (×{e.count})" if e.count > 1 else ""
            out.append(f"  ✗ {_first_line(e.text)}{times}")
    if result.probe_note:
        out.extend(["", f"note: {result.probe_note}"])
    out.append("")
    return visible("\n".join(out)) + "\n"


def _render_report(
    report: Report,
    fmt: str,
    verbose: bool,
    redact: str,
    to_file: Path | None,
    shell: str = "bash",
    fix_command: str = "dlenv fix",
) -> str:
    from dlenv.report.render import render

    try:
        return render(
            report,
            fmt,
            verbose=verbose,
            redact=redact,
            to_file=to_file,
            shell=shell,
            fix_command=fix_command,
        )
    except ModuleNotFoundError as exc:
        # the doctor's reporters are optional here: without them, list the findings plainly
        if not (exc.name or "").startswith("dlenv.report."):
            raise
    if fmt == "json":
        from dlenv.report.json import dump_report

        return dump_report(report)
    lines = ["Findings:" if report.findings else "Findings: none"]
    for f in report.findings:
        lines.append(f"  {f.severity.upper()} {f.code} {f.title}")
        lines.append(f"      {f.message}")
        if f.hint:
            lines.append(f"      hint: {f.hint}")
    return "\n".join(lines) + "\n"


def _parts_data(result: Explanation) -> list[dict[str, object]]:
    return [to_data(p) for p in result.imported.parts]


def _paste_scrubber(result: Explanation, mode: str) -> Callable[[str], str]:
    """The --redact pass over what the paste said (the report gets its own in the reporters)."""
    from dlenv.probes.envvars import is_secret_name
    from dlenv.report.redact import text_scrubber

    snapshot = result.report.snapshot
    secrets = [v.value for v in snapshot.env if is_secret_name(v.name) and len(v.value) >= 8]
    return text_scrubber(
        mode,
        user=snapshot.host.user if mode == "all" else None,
        hostname=snapshot.host.hostname if mode == "all" else None,
        secrets=secrets,
    )


def _scrubbed(data: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(data, dict):
        return {k: _scrubbed(v, scrub) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrubbed(v, scrub) for v in data]
    return scrub(data) if isinstance(data, str) else data


def render_explanation(
    result: Explanation,
    fmt: str,
    *,
    verbose: bool = False,
    redact: str = "secrets",
    to_file: Path | None = None,
) -> str:
    from dlenv.fix.render import detect_shell, format_argv

    # the plan is for the pasted machine: through the saved explanation, never `dlenv fix` here
    shell = detect_shell()
    save = format_argv(["dlenv", "explain", result.imported.source, "--format", "json"], shell)
    fix_command = f"{save} > explained.json && dlenv fix --from explained.json"
    report_text = _render_report(result.report, fmt, verbose, redact, to_file, shell, fix_command)
    scrub = _paste_scrubber(result, redact)
    if fmt == "json":
        document = {
            "kind": EXPLAIN_KIND,
            "schema_version": EXPLAIN_VERSION,
            "source": result.imported.source,
            "lines": result.imported.lines,
            "parts": _parts_data(result),
            "messages": [to_data(e) for e in result.imported.snapshot.reported_errors],
            "probe_note": result.probe_note,
        }
        return dump_json({**_scrubbed(document, scrub), "report": json.loads(report_text)})
    recognised = scrub(render_recognised(result, verbose))
    if fmt == "markdown":
        return f"## dlenv explain\n\n```text\n{recognised}```\n\n{report_text}"
    return recognised + report_text
