"""The `System` protocol and the result of running a command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from dlenv.system.nvml import NvmlReport


@dataclass(frozen=True)
class CommandResult:
    """What running one command produced. A command that could not start has `error` set."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str | None = None  # e.g. "not found", "permission denied"
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    def describe_failure(self) -> str:
        """One line saying why the command did not succeed."""
        name = self.argv[0] if self.argv else "command"
        if self.error:
            return f"{name}: {self.error}"
        if self.timed_out:
            return f"{name} timed out after {self.duration_s:.1f} s"
        if self.returncode is not None and self.returncode < 0:
            return f"{name} was killed by signal {-self.returncode}"
        tail = (self.stderr or self.stdout).strip().splitlines()
        last = tail[-1] if tail else ""
        return f"{name} exited with {self.returncode}" + (f": {last}" if last else "")


@dataclass(frozen=True)
class MachineInfo:
    """What only the running OS can tell (no file holds it portably): kernel, CPU count, RAM.

    Probes prefer files (/proc/meminfo, /etc/os-release) so that fakes describe a machine as
    data; these values are the fallback, and they are data in a `FakeSystem` too.
    """

    system: str | None = None  # platform.system(): "Linux", "Windows", "Darwin"
    release: str | None = None  # kernel release
    version: str | None = None  # OS version string (Windows build, Darwin kernel version)
    machine: str | None = None  # "x86_64", "aarch64", "AMD64"
    hostname: str | None = None
    user: str | None = None
    libc: str | None = None  # os.confstr("CS_GNU_LIBC_VERSION"): "glibc 2.36"
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    ram_total_bytes: int | None = None
    ram_available_bytes: int | None = None


@dataclass(frozen=True)
class DiskUsage:
    total_bytes: int
    free_bytes: int


class System(Protocol):
    """Everything a probe may ask of a machine."""

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def platform(self) -> str:
        """`sys.platform` of the machine: "linux", "win32", "darwin"."""
        ...

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        """The file's text (decoded leniently), or None if it is missing or unreadable."""
        ...

    def read_bytes(self, path: str, limit: int = 1 << 20) -> bytes | None: ...

    def exists(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def is_file(self, path: str) -> bool: ...

    def listdir(self, path: str) -> list[str]:
        """Entry names of a directory, sorted; empty if it is missing or unreadable."""
        ...

    def glob(self, pattern: str) -> list[str]:
        """Absolute paths matching a glob pattern, sorted."""
        ...

    def realpath(self, path: str) -> str: ...

    def readlink(self, path: str) -> str | None: ...

    def access(self, path: str, mode: int) -> bool:
        """Whether the current user may open `path` with `os.R_OK`/`os.W_OK`/`os.X_OK`."""
        ...

    def which(self, name: str) -> str | None:
        """The executable `name` on this machine's PATH (as given by `env`), or None."""
        ...

    def run(
        self, argv: Sequence[str], timeout: float = 10.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        """Run a command with a timeout; never raises for a missing or failing command."""
        ...

    def nvml(self) -> NvmlReport:
        """Ask NVML about the driver and every GPU; failures are recorded in the report."""
        ...

    def cwd(self) -> str: ...

    def machine_info(self) -> MachineInfo:
        """Facts the OS gives through calls rather than files (uname, hostname, user, libc)."""
        ...

    def disk_usage(self, path: str) -> DiskUsage | None:
        """Space on the filesystem holding `path`; None if it cannot be told."""
        ...
