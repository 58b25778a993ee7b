"""Show the live probes while they run, on stderr only, so stdout (JSON, Markdown) stays clean.

A Rich live table on a terminal; one plain line per finished probe when stderr is not one; and
nothing at all when asked to be quiet.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from dlenv.live.runner import OnUpdate

if TYPE_CHECKING:
    from rich.console import RenderableType

FINAL = ("ok", "import-error", "crashed", "timeout", "error", "skipped")


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


@contextmanager
def live_progress(
    stream: TextIO | None = None, *, enabled: bool = True, color: bool | None = None
) -> Iterator[OnUpdate]:
    """A context that yields the `on_update` callback for `run_live_probes`."""
    out = stream if stream is not None else sys.stderr
    if not enabled:
        yield lambda framework, state, elapsed: None
        return
    if not out.isatty():
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
