"""How a build's steps are shown: plain lines (not a terminal, CI logs: every line of the
installer's output, indented) or, on a terminal, a Rich spinner per step with its command, the
installer's latest line and the time taken, then one ✓/✗ line; the output is shown in full only
when a step fails. Rich is imported only for a terminal, so the plain path costs nothing.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table


class StepProgress(Protocol):
    def start(self, number: int, total: int, title: str, command: str | None) -> None: ...
    def line(self, text: str) -> None: ...
    def finish(self, ok: bool) -> None: ...


class PlainProgress:
    """`[2/4] install torch`, `    $ command`, then the command's output as it comes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def _out(self) -> IO[str]:
        return self.stream or sys.stderr

    def start(self, number: int, total: int, title: str, command: str | None) -> None:
        text = f"[{number}/{total}] {title}" + (f"\n    $ {command}" if command else "")
        self._out().write(text + "\n")
        self._out().flush()

    def line(self, text: str) -> None:
        self._out().write("    " + text + "\n")
        self._out().flush()

    def finish(self, ok: bool) -> None:
        return None


class RichProgress:
    """A live spinner per step on a terminal; the last lines are kept for a failure."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.live: Live | None = None
        self.tail: deque[str] = deque(maxlen=15)
        self.title = ""
        self.command: str | None = None
        self.started = 0.0

    def _render(self, latest: str) -> Table:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid()
        grid.add_row(Spinner("dots", text=Text(self.title, style="bold")))
        if self.command:
            grid.add_row(Text(f"  $ {self.command}", style="dim", no_wrap=True))
        if latest:
            grid.add_row(Text(f"  {latest}", style="dim", no_wrap=True))
        return grid

    def start(self, number: int, total: int, title: str, command: str | None) -> None:
        from rich.live import Live

        self.title, self.command = f"[{number}/{total}] {title}", command
        self.tail.clear()
        self.started = time.monotonic()
        self.live = Live(
            self._render(""), console=self.console, refresh_per_second=8, transient=True
        )
        self.live.start()

    def line(self, text: str) -> None:
        self.tail.append(text)
        if self.live is not None:
            self.live.update(self._render(text.strip()))

    def finish(self, ok: bool) -> None:
        from rich.text import Text

        if self.live is not None:
            self.live.stop()
            self.live = None
        seconds = time.monotonic() - self.started
        mark, style = ("✓", "green") if ok else ("✗", "red")
        self.console.print(Text(f"{mark} {self.title}  ({seconds:.1f} s)", style=style))
        if self.command:
            self.console.print(Text(f"    $ {self.command}", style="dim"))
        if not ok:
            for text in self.tail:
                self.console.print(Text(f"    {text}"))


def progress_for(stream: IO[str] | None = None) -> StepProgress:
    """Rich on a terminal (stderr), plain lines otherwise."""
    stream = stream or sys.stderr
    if stream.isatty():
        return RichProgress()
    return PlainProgress(stream)
