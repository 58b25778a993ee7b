"""Run smoke jobs: subprocesses of the target interpreter, each in its own process group, each
check under its own deadline, and read back what each said.

A job is one process running several checks in a row (`smoke/child.py`); the child announces
each check before it starts it, so a deadline applies to every check, not to the whole job. A
check that hangs (the deadline: the process group is killed whole, with any all-reduce ranks it
started) or crashes (a signal, an exit without a result) is reported as such, and the checks
after it in that job go on in a fresh process. Children write JSON lines to a dedicated file
descriptor, as the live probes do (`dlenv.live.runner`), so a framework's prints cannot
corrupt them; their stderr is kept for the tail of a failed check.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from dlenv.live.runner import stderr_tail
from dlenv.snapshot.model import SmokeCheck, SmokeStatus
from dlenv.system import children

CHILD = Path(__file__).with_name("child.py")
POLL_S = 0.02
# Settings worth showing next to an all-reduce that failed or hung.
COMMUNICATION_PREFIXES = ("NCCL_", "GLOO_", "TORCH_NCCL_", "TORCH_DISTRIBUTED_", "MASTER_")

OnCheck = Callable[[SmokeCheck], None]
"""Called with each check's outcome as soon as it is known (the progress lines)."""


@dataclass(frozen=True)
class Step:
    """One check of one framework: `framework` names the child module (torch, tensorflow…)."""

    framework: str
    check: str
    backend: str | None = None  # Keras: the backend this job runs it on


@dataclass(frozen=True)
class Job:
    """Steps that share one process (and one device): a framework and Keras on it as backend."""

    device: str  # what the user reads: "cpu", "cuda:0", "cuda:0,1"
    target: str  # what the child runs on: "cpu" or "cuda"
    steps: tuple[Step, ...]
    env: dict[str, str] = field(default_factory=dict)  # CUDA_VISIBLE_DEVICES, KERAS_BACKEND…


@dataclass
class _Running:
    job: Job
    index: int
    proc: subprocess.Popen[bytes] | None
    started: float
    result_path: Path
    stderr_path: Path
    reader: IO[str] | None = None
    buffer: str = ""
    current: int | None = None  # the step under way
    current_started: float = 0.0
    done: set[int] = field(default_factory=set)
    results: list[SmokeCheck] = field(default_factory=list)
    killed: bool = False
    spawn_error: str | None = None


class SmokeRun:
    """Smoke jobs run `parallel` at a time; `wait()` returns every check's outcome in job order."""

    def __init__(
        self,
        executable: str,
        jobs: Sequence[Job],
        tmp: Path,
        *,
        timeout: float,
        parallel: int,
        threads: int = 0,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        on_check: OnCheck | None = None,
    ) -> None:
        self.executable = executable
        self.timeout = timeout
        self.parallel = max(1, parallel)
        self.threads = threads
        self.tmp = tmp
        self.cwd = cwd
        self.base_env = dict(os.environ if env is None else env)
        self.notify = on_check or (lambda check: None)
        self._queue: list[Job] = list(jobs)
        self._order = {id(job): i for i, job in enumerate(jobs)}
        self._running: list[_Running] = []
        self._finished: list[_Running] = []
        self._count = 0

    # -- the loop ---------------------------------------------------------------------------
    def wait(self) -> list[SmokeCheck]:
        try:
            while self._queue or self._running:
                while self._queue and len(self._running) < self.parallel:
                    self._running.append(self._spawn(self._queue.pop(0)))
                for run in list(self._running):
                    self._poll(run)
                if self._running:
                    time.sleep(POLL_S)
        finally:
            self.cancel()
        order = sorted(self._finished, key=lambda r: (self._root(r.job), r.index))
        return [check for run in order for check in run.results]

    def cancel(self) -> None:
        """Kill whatever still runs (after ^C or an error elsewhere); idempotent."""
        for run in self._running:
            _kill_group(run)
            _close(run)

    def _root(self, job: Job) -> int:
        return self._order.get(id(job), len(self._order))

    # -- one job ------------------------------------------------------------------------------
    def _spawn(self, job: Job) -> _Running:
        index = self._count
        self._count += 1
        workdir = self.tmp / f"job{index}"
        (workdir / "tmp").mkdir(parents=True)
        run = _Running(
            job=job,
            index=index,
            proc=None,
            started=time.perf_counter(),
            result_path=workdir / "events.jsonl",
            stderr_path=workdir / "stderr",
        )
        fd = os.open(run.result_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            argv = [
                self.executable,
                str(CHILD),
                str(fd),
                f"{self.timeout:g}",
                job.target,
                str(workdir),
                *(f"{s.framework}:{s.check}" for s in job.steps),
            ]
            with open(run.stderr_path, "wb") as stderr:
                run.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                    pass_fds=(fd,),
                    env=self._child_env(job, workdir),
                    cwd=self.cwd,
                    start_new_session=True,  # its own process group: killed whole on timeout
                )
            children.started(run.proc.pid)
        except OSError as exc:
            run.spawn_error = f"cannot run {self.executable}: {exc.strerror or exc}"
        finally:
            os.close(fd)
        run.reader = open(run.result_path, encoding="utf-8", errors="replace")  # noqa: SIM115
        if run.proc is None:
            self._end(run, None)
        return run

    def _child_env(self, job: Job, workdir: Path) -> dict[str, str]:
        """The user's environment, with what this job needs; the user's own values of what
        changed go along in DLENV_LIVE_USER_ENV, for the report (as for the live probes)."""
        changes = {
            **job.env,
            "TMPDIR": str(workdir / "tmp"),  # whatever a framework writes stays in dlenv's folder
            "PYTHONDONTWRITEBYTECODE": "1",
            "DLENV_LIVE_KERAS_HOME": str(workdir / "keras"),
            "DLENV_SMOKE_THREADS": str(self.threads),
        }
        env = dict(self.base_env)
        user = {k: self.base_env.get(k) for k in changes if not k.startswith("DLENV_")}
        env.update(changes)
        env["DLENV_LIVE_USER_ENV"] = json.dumps(user)
        return env

    def _poll(self, run: _Running) -> None:
        assert run.proc is not None
        self._read(run)
        code = run.proc.poll()
        now = time.perf_counter()
        if code is None:
            since = run.current_started if run.current is not None else run.started
            if now - since < self.timeout:
                return
            _kill_group(run)
            self._read(run)
            self._end(run, "timeout")
            return
        self._read(run)
        self._end(run, None)

    def _read(self, run: _Running) -> None:
        if run.reader is None:
            return
        run.buffer += run.reader.read()
        *lines, run.buffer = run.buffer.split("\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    self._event(run, event)

    def _event(self, run: _Running, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            run.current = int(event.get("step", 0))
            run.current_started = time.perf_counter()
        elif kind == "result":
            i = int(event.get("step", 0))
            step = run.job.steps[i]
            run.done.add(i)
            run.current = None
            seconds = event.get("seconds")
            for row in event.get("rows") or [{}]:
                check = _from_row(run.job, step, row, seconds, event.get("traceback") or [])
                if isinstance(event.get("import_s"), int | float):
                    check.metrics["import_s"] = float(event["import_s"])
                run.results.append(check)
                self.notify(check)

    def _end(self, run: _Running, why: str | None) -> None:
        """The process is gone (or killed): every step without a result gets one, and the steps
        after a hung or crashed one go on in a fresh process."""
        _kill_group(run)  # anything it left behind: all-reduce ranks, say
        _close(run)
        self._running = [r for r in self._running if r is not run]
        self._finished.append(run)
        missing = [i for i in range(len(run.job.steps)) if i not in run.done]
        if not missing:
            return
        tail = stderr_tail(run.stderr_path.read_text(encoding="utf-8", errors="replace"))
        code = run.proc.returncode if run.proc is not None else None
        if run.spawn_error is not None:
            failed, status, error = missing, "error", run.spawn_error
        else:
            # the step under way failed; a process that died between steps blames the next one
            first = run.current if run.current in missing else missing[0]
            failed = [first]
            status, error = _failure(why, code, self.timeout)
        status = cast(SmokeStatus, status)
        for i in failed:
            step = run.job.steps[i]
            check = SmokeCheck(
                check=step.check,
                framework=step.framework,
                device=run.job.device,
                status=status,
                backend=step.backend,
                seconds=round(time.perf_counter() - run.current_started, 4)
                if run.current == i
                else None,
                details=self._settings(step),
                error=error,
                stderr_tail=tail,
                returncode=code,
            )
            run.results.append(check)
            self.notify(check)
        rest = tuple(run.job.steps[i] for i in missing if i not in failed)
        if rest:
            follow = Job(run.job.device, run.job.target, rest, run.job.env)
            self._order[id(follow)] = self._root(run.job)
            self._queue.insert(0, follow)

    def _settings(self, step: Step) -> dict[str, str]:
        if step.check != "allreduce":
            return {}
        return {
            k: v for k, v in sorted(self.base_env.items()) if k.startswith(COMMUNICATION_PREFIXES)
        }


def _failure(why: str | None, code: int | None, timeout: float) -> tuple[SmokeStatus, str]:
    if why == "timeout":
        return "timeout", f"no answer after {timeout:g} s; the process group was killed"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "crashed", f"killed by {name} (signal {-code})"
    return "crashed", f"exited with status {code} without a result"


def _from_row(
    job: Job, step: Step, row: dict[str, Any], seconds: Any, traceback: list[Any]
) -> SmokeCheck:
    status = row.get("status")
    valid = ("passed", "failed", "skipped", "not-applicable", "error")
    return SmokeCheck(
        check=step.check,
        framework=step.framework,
        device=job.device,
        status=cast(SmokeStatus, status if status in valid else "error"),
        variant=_text(row.get("variant")),
        backend=step.backend,
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        metrics={
            str(k): float(v)
            for k, v in (row.get("metrics") or {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        },
        details={str(k): str(v) for k, v in (row.get("details") or {}).items()},
        error=_text(row.get("error")),
        reason=_text(row.get("reason")),
        traceback=[str(line) for line in traceback] if status in ("failed", "error") else [],
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _kill_group(run: _Running) -> None:
    """Kill the child's whole process group; once only (the id may be reused afterwards)."""
    if run.proc is None or run.killed:
        return
    children.kill_group(run.proc)
    run.killed = True


def _close(run: _Running) -> None:
    if run.reader is not None:
        run.reader.close()
        run.reader = None
