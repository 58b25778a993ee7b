"""`FakeSystem`: a whole machine described as data, for tests and benchmarks.

A machine is a set of files (text, or symlinks), an environment, canned command results keyed by
the command line, and an NVML report. Paths are absolute paths of the described machine; they are
kept in memory, so a fixture costs nothing to build and never touches the real filesystem.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dlenv.system.base import CommandResult, DiskUsage, MachineInfo
from dlenv.system.nvml import NvmlReport

NO_NVML = NvmlReport(
    library_found=False,
    error="NVML_ERROR_LIBRARY_NOT_FOUND",
    error_message="NVML Shared Library Not Found",
)


@dataclass
class Command:
    """A canned command result; `hang=True` behaves like a command that never returns."""

    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    hang: bool = False


CommandHandler = Callable[[Sequence[str]], Command]


@dataclass
class FakeSystem:
    files: dict[str, str | bytes] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)  # link path -> target
    dirs: set[str] = field(default_factory=set)  # empty directories
    env_vars: dict[str, str] = field(default_factory=dict)
    commands: dict[str, Command | CommandHandler] = field(default_factory=dict)
    nvml_report: NvmlReport = NO_NVML
    platform_name: str = "linux"
    unreadable: set[str] = field(default_factory=set)  # files or dirs that exist, unreadable
    writable: set[str] = field(default_factory=set)  # paths the user may write (device nodes)
    working_dir: str = "/home/user"
    machine: MachineInfo = field(default_factory=MachineInfo)
    disks: dict[str, DiskUsage] = field(default_factory=dict)  # mount point -> usage
    calls: list[tuple[str, ...]] = field(default_factory=list)

    # -- construction helpers -------------------------------------------------------------
    def add_file(self, path: str, content: str | bytes = "") -> FakeSystem:
        self.files[path] = content
        return self

    def add_symlink(self, path: str, target: str) -> FakeSystem:
        self.symlinks[path] = target
        return self

    def add_dir(self, path: str) -> FakeSystem:
        self.dirs.add(path.rstrip("/") or "/")
        return self

    def add_command(self, cmdline: str, result: Command | CommandHandler) -> FakeSystem:
        self.commands[cmdline] = result
        return self

    def add_executable(self, path: str) -> FakeSystem:
        """An executable file (for `which`)."""
        self.files.setdefault(path, "#!/bin/sh\n")
        return self

    # -- System protocol ------------------------------------------------------------------
    @property
    def env(self) -> Mapping[str, str]:
        return self.env_vars

    @property
    def platform(self) -> str:
        return self.platform_name

    def _resolve(self, path: str, depth: int = 0) -> str:
        """Follow symlinks in every component of `path`."""
        path = posixpath.normpath(path)
        if depth > 40:
            return path
        parts = path.split("/")
        current = "/"
        for i, part in enumerate(parts[1:], start=1):
            current = posixpath.join(current, part)
            if current in self.symlinks:
                target = self.symlinks[current]
                if not target.startswith("/"):
                    target = posixpath.join(posixpath.dirname(current), target)
                rest = "/".join(parts[i + 1 :])
                joined = posixpath.join(target, rest) if rest else target
                return self._resolve(joined, depth + 1)
        return path

    def _all_dirs(self) -> set[str]:
        found: set[str] = set()
        for directory in self.dirs:  # an empty directory, and every directory above it
            found.add(directory)
            parent = posixpath.dirname(directory)
            while parent and parent not in found:
                found.add(parent)
                if parent == "/":
                    break
                parent = posixpath.dirname(parent)
        for path in list(self.files) + list(self.symlinks):
            parent = posixpath.dirname(path)
            while parent and parent not in found:
                found.add(parent)
                if parent == "/":
                    break
                parent = posixpath.dirname(parent)
        found.add("/")
        return found

    def read_bytes(self, path: str, limit: int = 1 << 20) -> bytes | None:
        real = self._resolve(path)
        if real in self.unreadable or path in self.unreadable:
            return None
        content = self.files.get(real)
        if content is None:
            return None
        data = content.encode() if isinstance(content, str) else content
        return data[:limit]

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        data = self.read_bytes(path, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        norm = posixpath.normpath(path)
        if norm in self.symlinks:
            return True
        real = self._resolve(path)
        return real in self.files or real in self._all_dirs()

    def is_dir(self, path: str) -> bool:
        return self._resolve(path) in self._all_dirs()

    def is_file(self, path: str) -> bool:
        return self._resolve(path) in self.files

    def listdir(self, path: str) -> list[str]:
        real = self._resolve(path)
        if real not in self._all_dirs() or real in self.unreadable or path in self.unreadable:
            return []
        prefix = real.rstrip("/") + "/"
        names = set()
        for candidate in list(self.files) + list(self.symlinks) + list(self._all_dirs()):
            if candidate.startswith(prefix) and candidate != real:
                names.add(candidate[len(prefix) :].split("/", 1)[0])
        return sorted(names)

    def glob(self, pattern: str) -> list[str]:
        parts = posixpath.normpath(pattern).split("/")[1:]
        matches = ["/"]
        for part in parts:
            nxt: list[str] = []
            for base in matches:
                if any(ch in part for ch in "*?["):
                    nxt.extend(
                        posixpath.join(base, name)
                        for name in self.listdir(base)
                        if fnmatch.fnmatchcase(name, part)
                    )
                else:
                    candidate = posixpath.join(base, part)
                    if self.exists(candidate):
                        nxt.append(candidate)
            matches = nxt
        return sorted(matches)

    def realpath(self, path: str) -> str:
        return self._resolve(path)

    def readlink(self, path: str) -> str | None:
        return self.symlinks.get(posixpath.normpath(path))

    def access(self, path: str, mode: int) -> bool:
        if not self.exists(path) or path in self.unreadable:
            return False
        if mode & os.W_OK:
            return path in self.writable or not path.startswith("/dev/")
        return True

    def which(self, name: str) -> str | None:
        if "/" in name:
            return name if self.is_file(name) else None
        for entry in self.env_vars.get("PATH", "").split(os.pathsep):
            if entry and self.is_file(posixpath.join(entry, name)):
                return posixpath.join(entry, name)
        return None

    def cwd(self) -> str:
        return self.working_dir

    def nvml(self) -> NvmlReport:
        return self.nvml_report

    def machine_info(self) -> MachineInfo:
        return self.machine

    def disk_usage(self, path: str) -> DiskUsage | None:
        """The usage of the longest mount point in `disks` that holds `path`."""
        real = self._resolve(path)
        best: str | None = None
        for mount in self.disks:
            inside = real == mount or real.startswith(mount.rstrip("/") + "/")
            if inside and (best is None or len(mount) > len(best)):
                best = mount
        return None if best is None else self.disks[best]

    def run(
        self, argv: Sequence[str], timeout: float = 10.0, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        key = " ".join(args)
        handler = self.commands.get(key)
        if handler is None:
            # match on the program's base name too, so fixtures need not spell full paths
            key = " ".join([posixpath.basename(args[0]), *args[1:]]) if args else ""
            handler = self.commands.get(key)
        if handler is None:
            exe = args[0] if args else ""
            if exe and (("/" in exe and self.is_file(exe)) or self.which(exe)):
                return CommandResult(args, 127, stderr=f"no canned output for: {key}")
            return CommandResult(args, None, error="not found")
        cmd = handler if isinstance(handler, Command) else handler(args)
        if cmd.hang:
            time.sleep(min(timeout, 0.01))
            return CommandResult(args, -9, timed_out=True, duration_s=timeout)
        return CommandResult(args, cmd.returncode, cmd.stdout, cmd.stderr)
