"""The live-probe display: stderr only; a table on a terminal; off one, plain lines for the
human formats and nothing for JSON; DLENV_PROGRESS overrides."""

from __future__ import annotations

import io

import pytest

from dlenv.errors import DlenvError
from dlenv.live.progress import live_progress, progress_mode


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with live_progress(out) as on_update:
        on_update("torch", "queued", 0.0)
        on_update("torch", "importing", 0.1)
        on_update("torch", "ok", 1.234)
        on_update("tensorflow", "timeout", 60.0)
    assert out.getvalue() == (
        "dlenv: live probe torch: ok (1.2 s)\ndlenv: live probe tensorflow: timeout (60.0 s)\n"
    )


def test_disabled_writes_nothing() -> None:
    out = _Tty()
    with live_progress(out, enabled=False) as on_update:
        on_update("torch", "ok", 1.0)
    assert out.getvalue() == ""


def test_terminal_gets_a_live_table_that_goes_away() -> None:
    out = _Tty()
    with live_progress(out, color=False) as on_update:
        on_update("torch", "importing", 0.5)
        on_update("tensorflow", "ok", 2.0)
    text = out.getvalue()
    assert "import torch" in text and "importing…" in text
    assert "import tensorflow" in text and "2.0 s" in text
    assert "dlenv: live probe" not in text


def test_mode_follows_the_format_unless_dlenv_progress_says() -> None:
    assert [progress_mode(f, {}) for f in ("console", "markdown", "json", None)] == [
        "auto",
        "auto",
        "terminal",
        "auto",
    ]
    for value, mode in (("lines", "lines"), (" OFF ", "off"), ("auto", "auto"), ("", "terminal")):
        assert progress_mode("json", {"DLENV_PROGRESS": value}) == mode
    with pytest.raises(DlenvError) as caught:
        progress_mode("json", {"DLENV_PROGRESS": "verbose"})
    assert caught.value.message == (
        "DLENV_PROGRESS: unknown value 'verbose' (choose from auto, lines, off)"
    )


def test_terminal_mode_is_silent_off_a_terminal_and_a_table_on_one() -> None:
    pipe, tty = io.StringIO(), _Tty()
    for out in (pipe, tty):
        with live_progress(out, mode="terminal", color=False) as on_update:
            on_update("torch", "ok", 1.0)
    assert pipe.getvalue() == ""
    assert "import torch" in tty.getvalue()


def test_lines_mode_writes_lines_even_on_a_terminal_and_off_writes_nothing() -> None:
    lines, off = _Tty(), _Tty()
    with live_progress(lines, mode="lines") as on_update:
        on_update("jax", "importing", 0.2)
        on_update("jax", "crashed", 0.3)
    with live_progress(off, mode="off") as on_update:
        on_update("jax", "crashed", 0.3)
    assert (lines.getvalue(), off.getvalue()) == ("dlenv: live probe jax: crashed (0.3 s)\n", "")
