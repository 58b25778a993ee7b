"""The process groups dlenv started, so that every way out of dlenv kills them.

Each external command and live probe runs in its own session (its own process group), so a
timeout can kill it together with whatever it started. A group is recorded here while it may
run; on SIGTERM or SIGHUP (CI cancellation, `timeout`, Kubernetes) the handler kills every
recorded group at once and raises `Terminated`, which the CLI turns into exit 128+signum after
the usual clean-up. No lock: the handler may interrupt the thread that holds one, and a set's
add, discard and copy are atomic under the GIL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from types import FrameType

_groups: set[int] = set()
_closing = [False]  # set once dlenv is on its way out: no new child may outlive it


class Terminated(BaseException):
    """dlenv received SIGTERM or SIGHUP; like KeyboardInterrupt, not an `Exception`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def started(pgid: int) -> None:
    """Record a process group that dlenv started (the leader's pid); one started by a worker
    thread after dlenv began to exit is killed at once."""
    _groups.add(pgid)
    if _closing[0]:
        kill_all()


def closing() -> bool:
    """Whether dlenv is exiting (then nothing new is started)."""
    return _closing[0]


def reopen() -> None:
    """A new run of dlenv in this process (tests call the CLI in process, one run after another)."""
    _closing[0] = False


def close() -> None:
    """dlenv is exiting: kill every group, and any that a worker thread starts from now on."""
    _closing[0] = True
    kill_all()


def ended(pgid: int) -> None:
    """Forget a group once its leader is reaped (its id may then be reused by others)."""
    _groups.discard(pgid)


def kill_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGKILL a child's whole process group (it and anything it started), reap the child and
    forget the group. Call it once per child: afterwards the id may belong to someone else."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    ended(proc.pid)


def running() -> set[int]:
    return set(_groups)


def kill_all() -> None:
    """SIGKILL every recorded group: the children and everything they started."""
    for pgid in list(_groups):
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    close()
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Turn SIGTERM and SIGHUP into `Terminated` (main thread only; POSIX signals that exist)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, _on_signal)
