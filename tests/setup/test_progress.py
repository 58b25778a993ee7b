"""Build progress: plain lines off a terminal, Rich (✓/✗, the output only on failure) on one."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from dlenv.errors import DlenvError
from dlenv.setup.create import build, run_streaming
from dlenv.setup.progress import PlainProgress, RichProgress, progress_for
from dlenv.setup.render import EnvironmentSteps, Step
from tests.setup.test_build import env_plan

SCRIPT = "import sys; print('Collecting six'); print('Installed six'); sys.exit(int(sys.argv[1]))"


def steps_for(tmp_path: Path, status: int) -> EnvironmentSteps:
    target = tmp_path / "env"
    plan = env_plan(target, [], [])
    return EnvironmentSteps(
        plan,
        str(target),
        "",
        [
            Step(
                "create",
                "create env",
                [sys.executable, "-c", f"import os; os.mkdir({str(target)!r})"],
            ),
            Step("install", "install six", [sys.executable, "-c", SCRIPT, str(status)]),
        ],
    )


def test_plain_lines_carry_every_output_line(tmp_path: Path) -> None:
    out = io.StringIO()
    build(steps_for(tmp_path, 0), force=False, shell="bash", say=print, progress=PlainProgress(out))
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/2] create env"
    assert lines[2:] == [
        "[2/2] install six",
        f"    $ {sys.executable} -c {SCRIPT!r} 0".replace(f"{SCRIPT!r}", _quoted()),
        "    Collecting six",
        "    Installed six",
    ]


def _quoted() -> str:
    from dlenv.fix.render import format_argv

    return format_argv([SCRIPT], "bash")


def rich_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, no_color=True, width=200), buffer


def test_rich_shows_a_mark_per_step_and_hides_output_that_succeeded(tmp_path: Path) -> None:
    console, buffer = rich_console()
    build(
        steps_for(tmp_path, 0), force=False, shell="bash", say=print, progress=RichProgress(console)
    )
    text = buffer.getvalue()
    assert "✓ [1/2] create env  (" in text
    assert "✓ [2/2] install six  (" in text
    assert "\n    Installed six\n" not in text  # shown live, not kept


def test_rich_shows_the_output_of_a_failed_step(tmp_path: Path) -> None:
    console, buffer = rich_console()
    with pytest.raises(DlenvError) as info:
        build(
            steps_for(tmp_path, 3),
            force=False,
            shell="bash",
            say=lambda _: None,
            progress=RichProgress(console),
        )
    assert str(info.value) == "install six failed (exit 3): Installed six"
    tail = buffer.getvalue().split("✗ [2/2] install six")[1]
    assert "    Collecting six\n    Installed six\n" in tail
    assert not (tmp_path / "env").exists()  # removed, as without progress


def test_off_a_terminal_no_rich_is_imported() -> None:
    assert isinstance(progress_for(io.StringIO()), PlainProgress)
    code = (
        "import io, sys; from dlenv.setup.progress import progress_for; "
        "progress_for(io.StringIO()); from dlenv.setup import create; "
        "print(sorted(m for m in sys.modules if m.startswith('rich')))"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def test_run_streaming_hands_each_line_over() -> None:
    seen: list[str] = []
    code, tail = run_streaming([sys.executable, "-c", SCRIPT, "0"], seen.append)
    assert (code, tail, seen) == (
        0,
        "Collecting six\nInstalled six",
        ["Collecting six", "Installed six"],
    )
