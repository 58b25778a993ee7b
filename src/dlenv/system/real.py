"""`RealSystem`: the `System` that reads this machine."""

from __future__ import annotations

import contextlib
import glob as _glob
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from functools import cached_property

from dlenv.system import children
from dlenv.system.base import CommandResult, DiskUsage, MachineInfo
from dlenv.system.nvml import NvmlReport, query_nvml_with_deadline

NVML_TIMEOUT_S = 10.0


class RealSystem:
    """Reads files, runs commands and asks NVML on the machine dlenv runs on."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._facts_env = {name: _valid_text(value) for name, value in self._env.items()}

    @property
    def env(self) -> Mapping[str, str]:
        """The environment as facts: bytes that are not UTF-8 (Python keeps them as lone
        surrogates) read as U+FFFD, so that no report carries text it cannot encode. Commands
        still get the exact bytes."""
        return self._facts_env

    @property
    def platform(self) -> str:
        return sys.platform

    def read_bytes(self, path: str, limit: int = 1 << 20) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                return fh.read(limit)
        except (OSError, ValueError):
            return None

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        data = self.read_bytes(path, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    def glob(self, pattern: str) -> list[str]:
        return sorted(_glob.glob(pattern))

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def readlink(self, path: str) -> str | None:
        try:
            return os.readlink(path)
        except OSError:
            return None

    def access(self, path: str, mode: int) -> bool:
        return os.access(path, mode)

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self._env.get("PATH", os.defpath))

    def cwd(self) -> str:
        try:
            return os.getcwd()
        except OSError:  # deleted under us: the shell's idea of where we are, which is gone
            return self._env.get("PWD") or "."

    @cached_property
    def _nvml_report(self) -> NvmlReport:
        return query_nvml_with_deadline(NVML_TIMEOUT_S)

    def nvml(self) -> NvmlReport:
        return self._nvml_report

    @cached_property
    def _machine_info(self) -> MachineInfo:
        return _read_machine_info()

    def machine_info(self) -> MachineInfo:
        return self._machine_info

    def disk_usage(self, path: str) -> DiskUsage | None:
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            return None
        return DiskUsage(total_bytes=usage.total, free_bytes=usage.free)

    def run(
        self, argv: Sequence[str], timeout: float = 10.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        if children.closing():
            return CommandResult(args, None, error="not run: dlenv is exiting")
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(self._env if env is None else env),
                start_new_session=True,  # so that a timeout kills the whole process group
            )
        except FileNotFoundError:
            return CommandResult(args, None, error="not found")
        except PermissionError:
            return CommandResult(args, None, error="permission denied")
        except OSError as exc:
            return CommandResult(args, None, error=exc.strerror or str(exc))
        children.started(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            children.ended(proc.pid)
            return CommandResult(
                args,
                proc.returncode,
                _text(out),
                _text(err),
                timed_out=True,
                duration_s=time.monotonic() - start,
            )
        except BaseException:  # interrupted, terminated, or a timeout the OS cannot take
            _kill_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            children.ended(proc.pid)
            raise
        children.ended(proc.pid)
        return CommandResult(
            args, proc.returncode, _text(out), _text(err), duration_s=time.monotonic() - start
        )


def _read_machine_info() -> MachineInfo:
    import getpass
    import platform
    import socket

    uname = platform.uname()
    try:
        user: str | None = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (arbitrary uid in a container)
        user = None
    libc: str | None = None
    if hasattr(os, "confstr"):
        try:
            libc = os.confstr("CS_GNU_LIBC_VERSION")
        except (ValueError, OSError):
            libc = None
    total = available = physical = None
    if not sys.platform.startswith("linux"):
        # /proc answers on Linux; elsewhere psutil does (it is slow to import, so only here)
        try:
            import psutil

            memory = psutil.virtual_memory()
            total, available = int(memory.total), int(memory.available)
            physical = psutil.cpu_count(logical=False)
        except Exception:
            pass
    return MachineInfo(
        system=uname.system or None,
        release=uname.release or None,
        version=uname.version or None,
        machine=uname.machine or None,
        hostname=socket.gethostname() or None,
        user=user,
        libc=libc,
        cpu_count_logical=os.cpu_count(),
        cpu_count_physical=physical,
        ram_total_bytes=total,
        ram_available_bytes=available,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


def _valid_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")
