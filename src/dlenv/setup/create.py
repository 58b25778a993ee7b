"""Build planned environments: run each step with its command shown, and on failure or ^C
remove what was built, put back what --force moved aside, and say exactly what was done.

A venv cannot be built beside its target and moved (its scripts name their own path), so an
environment is built in place; an existing one that --force replaces is first renamed to
`<path>.dlenv-old` and only removed once the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dlenv.errors import DlenvError, ExitCode
from dlenv.fix.render import format_argv
from dlenv.safeio import write_output
from dlenv.setup.progress import StepProgress
from dlenv.setup.render import EnvironmentSteps

Say = Callable[[str], None]
Runner = Callable[[list[str]], tuple[int, str]]  # argv -> (exit status, the output's tail)


@dataclass
class Built:
    """What one build did to the disk (for the final report, whatever the outcome)."""

    location: str
    created: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)


def _non_empty(path: Path) -> bool:
    if not path.exists() and not path.is_symlink():
        return False
    if not path.is_dir() or path.is_symlink():
        return True
    return any(path.iterdir())


def check_targets(built: list[EnvironmentSteps], force: bool, *, conda_named: bool) -> None:
    """Refuse, before anything is done, to replace what is there without --force."""
    for steps in built:
        target = Path(steps.location)
        if not conda_named and _non_empty(target) and not force:
            raise DlenvError(
                f"{target} exists and is not empty: choose another --path, or add --force to "
                "replace it (it is kept until the new environment is built)"
            )
        if not conda_named and force and (target.is_symlink() or target.is_file()):
            raise DlenvError(f"{target} is not a directory; dlenv does not replace it")
        aside = _aside(target)
        if force and _non_empty(target) and (aside.exists() or aside.is_symlink()):
            raise DlenvError(f"{aside} exists (left by an earlier --force?): remove it first")
        for name in steps.files:
            if Path(name).exists() and not force:
                raise DlenvError(f"{name} exists: add --force to overwrite it")


def _aside(target: Path) -> Path:
    return target.with_name(f"{target.name}.dlenv-old")


def run_streaming(
    argv: list[str], on_line: Callable[[str], None] | None = None
) -> tuple[int, str]:
    """Run `argv` with its output passed on as it comes (to `on_line`, or indented to stderr);
    (status, last lines).

    It stays in dlenv's process group, so a ^C in the terminal reaches it as it reaches dlenv."""
    tail: deque[str] = deque(maxlen=20)
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        return 127, f"{argv[0]}: {exc.strerror}"
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            tail.append(line.rstrip())
            if on_line is not None:
                on_line(line.rstrip())
                continue
            sys.stderr.write("    " + line)
            sys.stderr.flush()
        return proc.wait(), "\n".join(tail)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def build(
    steps: EnvironmentSteps,
    *,
    force: bool,
    shell: str,
    say: Say,
    run: Runner | None = None,
    conda_named: bool = False,
    progress: StepProgress | None = None,
) -> Built:
    """Run every step of one environment. On failure (DlenvError, exit 1) or interruption (the
    KeyboardInterrupt goes on), nothing half-built is left at the target.

    `progress` shows each step (plain lines or Rich, `dlenv.setup.progress`); without it each
    step is said with `say` and its output goes to stderr."""
    if run is None:
        run = run_streaming if progress is None else lambda a: run_streaming(a, progress.line)
    target = Path(steps.location)
    done = Built(steps.location)
    existed = target.is_dir() and not conda_named
    aside: Path | None = None
    if not conda_named and force and _non_empty(target):
        aside = _aside(target)
        target.rename(aside)
        existed = False
        say(f"moved the existing {target} aside to {aside}")
    try:
        total = len(steps.steps)
        for number, step in enumerate(steps.steps, 1):
            if step.kind == "write":
                for name, text in steps.files.items():
                    write_output(Path(name), text.encode())
                    done.written.append(name)
                if progress is None:
                    say(f"[{number}/{total}] {step.title}")
                else:
                    progress.start(number, total, step.title, None)
                    progress.finish(True)
                continue
            shown = format_argv(step.argv, shell)
            if progress is None:
                say(f"[{number}/{total}] {step.title}\n    $ {shown}")
            else:
                progress.start(number, total, step.title, shown)
            if step.kind == "create" and not conda_named and not existed:
                done.created.append(str(target))
            code = -1  # stays so when the run is interrupted
            try:
                code, tail = run(step.argv)
            finally:
                if progress is not None:
                    progress.finish(code == 0)
            if code != 0:
                last = tail.strip().splitlines()[-1] if tail.strip() else "no output"
                raise DlenvError(f"{step.title} failed (exit {code}): {last}", ExitCode.FINDINGS)
    except BaseException:
        _undo(target, existed, aside, done, conda_named, say)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
        done.removed.append(str(aside))
        say(f"removed the old environment {aside}")
    return done


def _undo(
    target: Path, existed: bool, aside: Path | None, done: Built, conda_named: bool, say: Say
) -> None:
    if conda_named:
        say(
            f"stopped: the conda environment {done.location} may be half-built; remove it with "
            f"`conda env remove --name {done.location}`"
        )
        return
    if target.exists():
        if existed:  # an empty directory that was there: empty it again, keep it
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        else:
            shutil.rmtree(target, ignore_errors=True)
        done.removed.append(str(target))
        say(f"removed the half-built {target}")
    if aside is not None:
        os.replace(aside, target)
        done.restored.append(str(target))
        say(f"put the previous {target} back")
    if not done.removed and not done.restored:
        say("nothing was created")
