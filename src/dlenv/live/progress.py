"""Show the live probes while they run, on stderr only, so stdout (JSON, Markdown) stays clean.

A Rich live table on a terminal (it goes away when done); off a terminal, one plain line per
finished probe for the human formats (CI logs) and nothing for JSON; `DLENV_PROGRESS` overrides.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TextIO

from dlenv.errors import DlenvError
from dlenv.live.runner import OnUpdate

if TYPE_CHECKING:
    from rich.console import RenderableType

FINAL = ("ok", "import-error", "crashed", "timeout", "error", "skipped")

ProgressMode = Literal["auto", "terminal", "lines", "off"]
"""auto: the table on a terminal, lines elsewhere; terminal: the table on a terminal, nothing
elsewhere; lines: always plain lines; off: nothing."""
CHOICES = ("auto", "lines", "off")
MACHINE_FORMATS = ("json",)


def progress_mode(fmt: str | None, env: Mapping[str, str] | None = None) -> ProgressMode:
    """What to show for a report in `fmt`: `DLENV_PROGRESS` (auto, lines, off) when set.

    By default a machine-readable report (JSON) gets no lines on a non-terminal stderr: a script
    that captures both streams (`2>&1`, or a CI step that fails on any stderr) gets the document
    alone, and every probe's status and time are in it anyway. The human formats keep one line
    per probe, so that a CI log shows which framework took the time or hung.
    """
    value = (os.environ if env is None else env).get("DLENV_PROGRESS", "").strip().lower()
    if value == "auto":
        return "auto"
    if value == "lines":
        return "lines"
    if value == "off":
        return "off"
    if value:
        raise DlenvError(
            f"DLENV_PROGRESS: unknown value {value!r} (choose from {', '.join(CHOICES)})"
        )
    return "terminal" if fmt in MACHINE_FORMATS else "auto"


class _Board:
    """The latest state of each framework, shared between the runner and the display."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.states: dict[str, tuple[str, float, float]] = {}  # name -> (state, elapsed, t0)

    def update(self, framework: str, state: str, elapsed: float) -> None:
        with self.lock:
            previous = self.states.get(framework)
            t0 = previous[2] if previous else time.perf_counter() - elapsed
            self.states[framework] = (state, elapsed, t0)

    def render(self) -> RenderableType:
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 2))
        now = time.perf_counter()
        with self.lock:
            rows = list(self.states.items())
        for name, (state, elapsed, t0) in rows:
            done = state in FINAL
            seconds = elapsed if done else now - t0
            style = "green" if state == "ok" else "yellow" if not done else "red"
            if state == "skipped":
                style = "dim"
            label = state if done else f"{state}…"
            table.add_row(
                Text(f"import {name}"), Text(label, style=style), Text(f"{seconds:5.1f} s")
            )
        return table


def _plain_line(stream: TextIO) -> OnUpdate:
    def on_update(framework: str, state: str, elapsed: float) -> None:
        if state in FINAL:
            stream.write(f"dlenv: live probe {framework}: {state} ({elapsed:.1f} s)\n")
            stream.flush()

    return on_update


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: not a terminal
        return False


@contextmanager
def live_progress(
    stream: TextIO | None = None,
    *,
    enabled: bool = True,
    color: bool | None = None,
    mode: ProgressMode = "auto",
) -> Iterator[OnUpdate]:
    """A context that yields the `on_update` callback for `run_live_probes`."""
    out = stream if stream is not None else sys.stderr
    terminal = _isatty(out)
    if not enabled or mode == "off" or (mode == "terminal" and not terminal):
        yield lambda framework, state, elapsed: None
        return
    if mode == "lines" or not terminal:
        yield _plain_line(out)
        return
    from rich.console import Console
    from rich.live import Live

    board = _Board()
    console = Console(file=out, stderr=out is sys.stderr, no_color=color is False)

    class _Renderable:
        def __rich__(self) -> Any:
            return board.render()

    with Live(_Renderable(), console=console, refresh_per_second=10, transient=True):
        yield board.update
