"""Run the live probes: one subprocess of the target interpreter per group of frameworks, all at
once, each in its own process group with a deadline, and read back what each one said.

A crash (signal), a hang (deadline), an ImportError or a broken library becomes a `LiveProbe`
with its stderr tail, never an exception. Children write JSON lines to a dedicated file
descriptor (a file in a private temporary directory), so framework prints cannot corrupt them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from dlenv.snapshot.model import LiveProbe, LiveStatus
from dlenv.system import children

OnUpdate = Callable[[str, str, float], None]
"""on_update(framework, state, elapsed seconds): "queued", "started", "importing", "imported",
then the final status ("ok", "import-error", "crashed", "timeout", "error", "skipped")."""

HARNESS = Path(__file__).with_name("harness.py")
POLL_S = 0.02
STDERR_TAIL_LINES = 30
STDERR_TAIL_CHARS = 4000

# Variables dlenv sets in the children, reported to the probes with the user's own values.
# TF_CPP_MIN_LOG_LEVEL=0: TensorFlow logs why it skips a GPU ("Could not load dynamic
# library…") at INFO/WARNING level, which users commonly silence; dlenv needs to read it.
# XLA_PYTHON_CLIENT_PREALLOCATE=false: a probe must not take 75% of a shared GPU's memory.
CHILD_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "0",
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONWARNINGS": "default",
}


@dataclass(frozen=True)
class Child:
    frameworks: tuple[str, ...]


def plan_children(
    frameworks: Sequence[str], keras_backend: str | None, keras_with_backend: bool = True
) -> list[Child]:
    """Which frameworks share a process.

    Keras runs in the process of its backend when that one is probed too: Keras imports its
    backend anyway, and a second `import tensorflow` costs seconds of CPU that a parallel run on
    a small machine pays in wall time (measured in benchmarks/bench_live.py). Everything else
    gets a process of its own, so one crash cannot hide another framework's answer.
    """
    backend = keras_backend or "tensorflow"
    names = list(dict.fromkeys(frameworks))
    joined = keras_with_backend and "keras" in names and backend in names
    children = [
        Child((name, "keras") if joined and name == backend else (name,))
        for name in names
        if not (joined and name == "keras")
    ]
    # The slowest (TensorFlow) first: it bounds the wall time, so it should start first.
    order = {"tensorflow": 0, "jax": 1, "torch": 2, "keras": 3}
    return sorted(children, key=lambda c: order.get(c.frameworks[0], 9))


@dataclass
class _Running:
    child: Child
    proc: subprocess.Popen[bytes] | None
    started: float
    result_path: Path
    stderr_path: Path
    reader: IO[str] | None = None
    buffer: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    returncode: int | None = None
    timed_out: bool = False
    killed: bool = False
    spawn_error: str | None = None
    wall_s: float = 0.0
    probes: list[LiveProbe] = field(default_factory=list)


class LiveRun:
    """Live probes started and running; `wait()` collects them, `cancel()` kills them.

    Started as early as dlenv knows the interpreter and the frameworks (during the static
    probes), so that the frameworks' imports overlap everything else dlenv does.
    """

    def __init__(
        self,
        executable: str,
        frameworks: Sequence[str],
        *,
        timeout: float = 60.0,
        keras_backend: str | None = None,
        keras_with_backend: bool = True,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        on_update: OnUpdate | None = None,
    ) -> None:
        self.frameworks = list(dict.fromkeys(frameworks))
        self.timeout = timeout
        self._notify = on_update or (lambda framework, state, elapsed: None)
        self._tmp: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix="dlenv-live-"
        )
        self._probes: list[LiveProbe] | None = None
        base_env = dict(os.environ if env is None else env)
        tmp = Path(self._tmp.name)
        self._running: list[_Running] = []
        try:
            for i, child in enumerate(plan_children(frameworks, keras_backend, keras_with_backend)):
                self._running.append(
                    _spawn(executable, child, i, tmp, base_env, cwd, timeout, self._notify)
                )
        except BaseException:
            self.cancel()
            raise

    def wait(self) -> list[LiveProbe]:
        """Wait for every child (each within its deadline); one LiveProbe per framework."""
        if self._probes is None:
            try:
                _wait(self._running, self.timeout, self._notify)
            finally:
                self.cancel()
            probes = {p.framework: p for run in self._running for p in run.probes}
            self._probes = [probes[name] for name in self.frameworks]
        return self._probes

    def cancel(self) -> None:
        """Kill whatever still runs and remove the private directory (idempotent)."""
        for run in self._running:
            _kill_group(run)
            _close(run)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LiveRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def run_live_probes(
    executable: str,
    frameworks: Sequence[str],
    *,
    timeout: float = 60.0,
    keras_backend: str | None = None,
    keras_with_backend: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    on_update: OnUpdate | None = None,
) -> list[LiveProbe]:
    """Probe `frameworks` in parallel with `executable`; one LiveProbe each, in the given order.

    `env` replaces the environment the children inherit (default: this process's).
    """
    with LiveRun(
        executable,
        frameworks,
        timeout=timeout,
        keras_backend=keras_backend,
        keras_with_backend=keras_with_backend,
        env=env,
        cwd=cwd,
        on_update=on_update,
    ) as run:
        return run.wait()


def _child_env(base: Mapping[str, str], keras_home: Path) -> dict[str, str]:
    env = dict(base)
    user = {name: base.get(name) for name in CHILD_ENV}
    env.update(CHILD_ENV)
    env["DLENV_LIVE_USER_ENV"] = json.dumps(user)
    # The harness points KERAS_HOME there, with a copy of the user's keras.json in it.
    env["DLENV_LIVE_KERAS_HOME"] = str(keras_home)
    return env


def _spawn(
    executable: str,
    child: Child,
    index: int,
    tmp: Path,
    env: Mapping[str, str],
    cwd: str | None,
    timeout: float,
    notify: OnUpdate,
) -> _Running:
    stem = f"{index}-{'-'.join(child.frameworks)}"
    run = _Running(
        child=child,
        proc=None,
        started=time.perf_counter(),
        result_path=tmp / f"{stem}.jsonl",
        stderr_path=tmp / f"{stem}.stderr",
    )
    result_fd = os.open(run.result_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(run.stderr_path, "wb") as stderr:
            run.proc = subprocess.Popen(
                [executable, str(HARNESS), str(result_fd), str(timeout), *child.frameworks],
                stdin=subprocess.DEVNULL,
                stdout=stderr,  # a framework's prints are noise here: keep them for the tail
                stderr=stderr,
                pass_fds=(result_fd,),
                env=_child_env(env, tmp / f"{stem}.keras"),
                cwd=cwd,
                start_new_session=True,  # its own process group: killed whole on timeout
            )
        children.started(run.proc.pid)
    except OSError as exc:
        run.spawn_error = f"cannot run {executable}: {exc.strerror or exc}"
    finally:
        os.close(result_fd)
    run.reader = open(run.result_path, encoding="utf-8", errors="replace")  # noqa: SIM115
    for name in child.frameworks:
        notify(name, "queued", 0.0)
    return run


def _read_events(run: _Running, notify: OnUpdate) -> None:
    if run.reader is None:
        return
    run.buffer += run.reader.read()
    *lines, run.buffer = run.buffer.split("\n")
    for line in lines:
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if not isinstance(event, dict):
                continue
            run.events.append(event)
            name = str(event.get("framework"))
            if event.get("event") == "phase":
                state = str(event.get("phase"))
                run.states[name] = state
                notify(name, state, time.perf_counter() - run.started)


def _wait(running: list[_Running], timeout: float, notify: OnUpdate) -> None:
    for run in running:
        if run.proc is None:
            _finish(run, timeout, notify)
    active = [r for r in running if r.proc is not None]
    while active:
        now = time.perf_counter()
        for run in list(active):
            assert run.proc is not None
            _read_events(run, notify)
            code = run.proc.poll()
            if code is None and now - run.started < timeout:
                continue
            if code is None:
                run.timed_out = True
                _kill_group(run)
                code = run.proc.wait()
            run.returncode = code
            run.wall_s = round(time.perf_counter() - run.started, 4)
            _read_events(run, notify)
            _kill_group(run)  # anything the child left behind
            _close(run)
            _finish(run, timeout, notify)
            active.remove(run)
        if active:
            time.sleep(POLL_S)


def _finish(run: _Running, timeout: float, notify: OnUpdate) -> None:
    """Read back what a finished child said, as soon as it finished (the display wants it)."""
    run.probes = list(_collect(run, timeout))
    for probe in run.probes:
        notify(probe.framework, probe.status, probe.total_s or run.wall_s)


def _kill_group(run: _Running) -> None:
    """Kill the child's whole process group (it and anything it started); reap the child.

    Once only: after that the group id may belong to someone else's processes.
    """
    if run.proc is None or run.killed:
        return
    children.kill_group(run.proc)
    run.killed = True


def _close(run: _Running) -> None:
    if run.reader is not None:
        run.reader.close()
        run.reader = None


def stderr_tail(text: str) -> str | None:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    tail = "\n".join(lines[-STDERR_TAIL_LINES:])
    return tail[-STDERR_TAIL_CHARS:] or None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _collect(run: _Running, timeout: float) -> Iterator[LiveProbe]:
    from dlenv.live.interpret import to_probe  # not needed until a child has finished

    stderr = run.stderr_path.read_text(encoding="utf-8", errors="replace")
    tail = stderr_tail(stderr)
    results = {
        str(e.get("framework")): e.get("data") or {}
        for e in run.events
        if e.get("event") == "result"
    }
    failed_before: str | None = None
    for name in run.child.frameworks:
        if name in results:
            probe = to_probe(name, results[name], stderr)
            probe = replace(probe, returncode=run.returncode)
            if probe.status != "ok":
                probe = replace(probe, stderr_tail=tail)
            yield probe
            continue
        state = run.states.get(name)
        if failed_before is not None and state is None:
            yield LiveProbe(
                framework=name,
                status="skipped",
                error=f"not run: {failed_before} in the same process",
                returncode=run.returncode,
            )
            continue
        status, error = _failure(run, timeout, state)
        failed_before = f"the {name} probe {_past(status)}"
        yield LiveProbe(
            framework=name,
            status=status,
            error=error,
            total_s=run.wall_s,
            returncode=run.returncode,
            stderr_tail=tail,
        )


def _past(status: str) -> str:
    return {"timeout": "timed out", "crashed": "crashed"}.get(status, "failed")


def _failure(run: _Running, timeout: float, state: str | None) -> tuple[LiveStatus, str]:
    where = {
        None: "before it started",
        "started": "while starting",
        "importing": "while importing",
        "imported": "after importing, during its checks",
    }.get(state, f"in phase {state}")
    code = run.returncode
    if run.spawn_error is not None:
        return "error", run.spawn_error
    if run.timed_out:
        return "timeout", f"no answer after {timeout:g} s {where}; killed"
    if code is not None and code < 0:
        name = _signal_name(-code)
        return "crashed", f"killed by {name} (signal {-code}) {where}"
    return "error", f"exited with status {code} {where} without a result"


def python_for_children() -> str:
    """This interpreter, for callers that probe dlenv's own environment."""
    return sys.executable
