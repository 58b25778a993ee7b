"""Show smoke results: one plain progress line per check (stderr), and the compact table of
framework x device x check for the console report. Renderers never judge: the statuses are the
children's, the findings the rules'."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from dlenv.snapshot.model import SmokeCheck, SmokeFacts

STYLE = {
    "passed": "green",
    "failed": "red bold",
    "timeout": "red bold",
    "crashed": "red bold",
    "error": "red bold",
    "skipped": "yellow",
    "not-applicable": "dim",
}


def who(c: SmokeCheck) -> str:
    return f"keras[{c.backend}]" if c.framework == "keras" and c.backend else c.framework


def what(c: SmokeCheck) -> str:
    return c.check + (f" {c.variant}" if c.variant and c.check in ("save_load", "train") else "")


def figures(c: SmokeCheck) -> str:
    """The measurement worth a glance: throughput, the largest difference, the time."""
    m = c.metrics
    if c.status in ("skipped", "not-applicable"):
        return c.reason or ""
    if c.status != "passed":
        return (c.error or "").splitlines()[0][:160] if c.error else ""
    if "steps_per_s" in m:
        text = f"{m['steps_per_s']:.0f} steps/s, {m.get('images_per_s', 0):.0f} images/s"
        text += f", loss {m.get('loss_first', 0):.2f} -> {m.get('loss_last', 0):.2f}"
        if "peak_memory_bytes" in m:
            text += f", peak {m['peak_memory_bytes'] / 2**20:.0f} MiB"
        return text
    if "max_abs_diff" in m:
        return f"max |diff| {m['max_abs_diff']:.2g} (atol {m.get('atol', 0):g})"
    if c.check == "allreduce" and "seconds" in m:
        text = f"{m['seconds'] * 1e3:.1f} ms for {m.get('bytes', 0) / 2**20:.0f} MiB"
        if "busbw_gb_s" in m:
            text += f", bus {m['busbw_gb_s']:.1f} GB/s"
        return text
    if "scalars" in m:
        return f"{m['scalars']:.0f} scalars read back"
    return ""


def seconds(c: SmokeCheck) -> str:
    return f"{c.seconds:.1f} s" if c.seconds is not None else ""


def progress_line(c: SmokeCheck) -> str:
    return (
        f"dlenv smoke: {who(c)} {c.device} {what(c)}: {c.status}"
        + (f" ({seconds(c)})" if c.seconds is not None else "")
        + (f": {figures(c)}" if c.status not in ("passed",) and figures(c) else "")
    )


def smoke_table(facts: SmokeFacts) -> Table:
    """framework | device | check | status | time | figures."""
    title = "Smoke checks"
    if facts.wall_s is not None:
        title += f" ({facts.wall_s:.1f} s, each check at most {facts.timeout_s or 0:g} s)"
    table = Table(title=title, title_justify="left", title_style="bold underline", box=None)
    for name in ("framework", "device", "check", "status", "time", "result"):
        table.add_column(name, overflow="fold", no_wrap=name != "result")
    for c in facts.checks:
        # Text, never markup: "keras[jax]" and error messages hold square brackets
        table.add_row(
            Text(who(c)),
            Text(c.device),
            Text(what(c)),
            Text(c.status, style=STYLE.get(c.status, "")),
            seconds(c),
            Text(figures(c)),
        )
    for key, why in facts.unknown.items():
        table.add_row("", "", Text(key), Text("unknown", style="yellow"), "", Text(why))
    return table


def progress_printer(fmt: str | None) -> Callable[[SmokeCheck], None] | None:
    """One line per finished check on stderr, as the live probes' progress decides for `fmt`
    (DLENV_PROGRESS: lines for people and CI logs, nothing for JSON off a terminal)."""
    from dlenv.live.progress import progress_mode

    mode = progress_mode(fmt)
    if not (mode in ("auto", "lines") or (mode == "terminal" and sys.stderr.isatty())):
        return None

    def on_check(check: SmokeCheck) -> None:
        sys.stderr.write(progress_line(check) + "\n")
        sys.stderr.flush()

    return on_check
