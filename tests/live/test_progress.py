"""The live-probe display: stderr only; plain lines off a terminal; nothing when disabled."""

from __future__ import annotations

import io

from dlenv.live.progress import live_progress


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
