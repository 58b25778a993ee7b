"""How dlenv opens the files it reads and writes: what kind a path is, reads that never block,
and writes that never follow a planted link and never replace anything but a regular file.

Every writer goes through here: `--output`/`--json`/`--junit` (`write_output`), `dlenv fix
--apply`/`--undo` and their backups and journal (`replace_atomically`); every reader of a file a
user names that must not hang (`read_regular`). docs/security.md states the promises.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import IO

from dlenv.errors import DlenvError

TEMP_SUFFIX = ".dlenv-tmp"
STALE_TEMP_SECONDS = 600.0  # an output temp this old is a leftover of a killed run

_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)

# the names through which a process reaches a stream it already has open
_OWN_FD = re.compile(r"^/(?:dev/fd|proc/(self|thread-self|\d+)/fd)/(\d+)$")
_STD_STREAMS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def describe(mode: int) -> str:
    """What a file of this st_mode is, in words ("a character device")."""
    kinds = [
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def new_file_mode() -> int:
    """The mode a new file gets: 0666 less the process's umask (as `open()` would give it)."""
    mask: int | None = None
    with suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    if mask is None:  # not Linux: reading the umask means setting it, briefly
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


class NotRegularFile(OSError):
    """Something other than a regular file is where dlenv would replace one."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(errno.EINVAL, f"is {describe(mode)}, not a regular file", str(path))


# -- reading ----------------------------------------------------------------------------------
def read_regular(path: Path, *, limit: int | None = None, note: str = "") -> bytes | None:
    """The bytes of the regular file at `path` (links followed), None when it does not exist.

    Anything else is refused with a one-line DlenvError before a byte is read: a device or a
    FIFO would be read forever (or block the open itself), so the open is non-blocking and the
    kind is checked again on the open descriptor. `limit`: refuse a larger file. `note` ends
    the message ("; nothing was changed").
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror}){note}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DlenvError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise DlenvError(f"{path}: is {describe(info.st_mode)}, not a regular file{note}")
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror}){note}") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped between the stat and the open
            raise DlenvError(f"{path}: is {describe(mode)}, not a regular file{note}")
        try:
            data = fh.read() if limit is None else fh.read(limit + 1)
        except OSError as exc:
            raise DlenvError(f"{path}: cannot read ({exc.strerror}){note}") from None
    if limit is not None and len(data) > limit:
        raise DlenvError(f"{path}: larger than {limit // (1024 * 1024)} MiB{note}")
    return data


def read_input(
    path: str, *, limit: int, what: str, hint: str = "", dash: str = "-"
) -> tuple[bytes, str]:
    """The bytes of a file the user names as input (`--from`, `dlenv explain FILE`), and the
    name to show for it; `-` reads standard input (not a terminal).

    A regular file is read; so is a pipe this process already holds (`<(ssh node …)`). A
    named FIFO would block the open until some writer came, and a device would be read forever:
    both are refused with one line. `what` names the input in messages ("a saved report");
    `hint` ends the message about a file over `limit`; `dash` says how to name standard input
    ("--from -").
    """
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise DlenvError(f"-: standard input is a terminal; pipe {what} into it")
        data = _read_upto(sys.stdin.buffer, limit + 1, 1 << 16)
        source = "<stdin>"
    else:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
        if stat.S_ISFIFO(info.st_mode) and own_stream(path) is None:
            raise DlenvError(
                f"{path}: is a named pipe (FIFO), not {what}; to read a stream, pipe it in "
                f"with {dash}"
            )
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else describe(info.st_mode)
            raise DlenvError(f"{path}: is {kind}, not {what}")
        if info.st_size > limit:
            raise DlenvError(f"{path}: larger than {limit // (1024 * 1024)} MiB{hint}")
        try:
            # non-blocking open: what was checked above may have been swapped for a FIFO since
            fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY)
            if _O_NONBLOCK:
                os.set_blocking(fd, True)  # checked below: a regular file or the pipe we hold
            with os.fdopen(fd, "rb") as fh:
                if stat.S_IFMT(os.fstat(fh.fileno()).st_mode) != stat.S_IFMT(info.st_mode):
                    raise DlenvError(f"{path}: changed while dlenv opened it")
                # a file's own size first: `read(limit + 1)` would reserve the whole limit
                data = _read_upto(fh, limit + 1, info.st_size + 1)
        except OSError as exc:
            raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
        source = path
    if len(data) > limit:
        raise DlenvError(f"{source}: larger than {limit // (1024 * 1024)} MiB{hint}")
    return data, source


def _read_upto(stream: IO[bytes], most: int, first: int) -> bytes:
    """At most `most` bytes of `stream`: `first` bytes, then 1 MiB at a time until the end (a
    file that grows, a pipe), never a buffer of `most` bytes reserved up front."""
    chunks: list[bytes] = []
    total = 0
    want = max(1, min(first, most))
    while total < most:
        chunk = stream.read(min(want, most - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = 1 << 20
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def own_stream(path: str) -> int | None:
    """The descriptor number when `path` names a stream this process has open (/dev/stdout,
    /dev/fd/N, /proc/self/fd/N, or a link that leads to one of them); else None."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        if current in _STD_STREAMS:
            return _STD_STREAMS[current]
        match = _OWN_FD.match(current)
        if match and match.group(1) in (None, "self", "thread-self", str(os.getpid())):
            return int(match.group(2))
        try:
            target = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    return None


# -- writing ----------------------------------------------------------------------------------
def write_output(path: Path, data: bytes) -> None:
    """Write a report where the user said (`--output`, `--json`, `--junit`).

    * a stream this process has (`/dev/stdout`, `/dev/fd/3`, a link to `/proc/self/fd/1`):
      written to that descriptor, as the shell's redirection set it up;
    * a character device or a FIFO: opened without creating or truncating, non-blocking (a
      FIFO with no reader is refused at once instead of waiting for one), and written;
    * a regular file or nothing (links followed, like the shell's `>`): replaced atomically
      through a random temp file, keeping the file's mode (a new one gets 0666 less the umask);
    * anything else (a directory, a block device, a socket) is refused; nothing is replaced.
    """
    fd = own_stream(str(path))
    if fd is not None:
        if fd in (1, 2):
            for stream in (sys.stdout, sys.stderr):
                with suppress(OSError, ValueError, AttributeError):
                    stream.flush()
        try:
            _write_all(fd, data)
        except OSError as exc:
            raise DlenvError(f"{path}: cannot write ({exc.strerror})") from None
        return
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise DlenvError(f"{path}: cannot write ({exc.strerror})") from None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        _write_stream(path, data, info.st_mode)
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise DlenvError(f"{path}: is {describe(info.st_mode)}; dlenv writes reports to files")
    real = Path(os.path.realpath(path))
    remove_stale_temps(real, older_than=STALE_TEMP_SECONDS)
    try:
        replace_atomically(real, data)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot write ({exc.strerror})") from None


def _write_stream(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY
    try:
        fd = os.open(path, flags)  # no O_CREAT: what is there is written, nothing new is made
    except OSError as exc:
        if stat.S_ISFIFO(mode) and exc.errno == errno.ENXIO:  # ENXIO: nobody reads the FIFO
            raise DlenvError(f"{path}: a named pipe with no reader; nothing was written") from None
        raise DlenvError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        if not (stat.S_ISCHR(os.fstat(fd).st_mode) or stat.S_ISFIFO(os.fstat(fd).st_mode)):
            raise DlenvError(f"{path}: changed while dlenv opened it; nothing was written")
        if _O_NONBLOCK:
            os.set_blocking(fd, True)  # a reader is there: wait for it like any pipe writer
        _write_all(fd, data)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot write ({exc.strerror})") from None
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(directory: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(
    path: Path, data: bytes, mode: int | None = None, *, make_parents: bool = False
) -> None:
    """Replace the regular file `path` (or create it) with `data`, all or nothing.

    The temp file beside it has a random name created with O_CREAT|O_EXCL|O_NOFOLLOW (a link
    planted under a guessed name is never written through); it is fsynced, given `mode` (None:
    the current file's mode, or 0666 less the umask for a new file) and renamed over `path`,
    then the directory is fsynced. `path` is not followed: the caller resolves links first, and
    anything at `path` that is not a regular file (a device, a FIFO, a link, a directory) is
    refused with an OSError, never replaced. Parent directories are made only when asked.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    current = _lstat(path)
    if current is not None and not stat.S_ISREG(current.st_mode):
        raise NotRegularFile(path, current.st_mode)
    if mode is None:
        mode = stat.S_IMODE(current.st_mode) if current is not None else new_file_mode()
    # mkstemp opens O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW with a random name, mode 0600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            else:  # pragma: no cover - Windows
                os.chmod(tmp, mode)
        finally:
            os.close(fd)
        current = _lstat(path)  # once more, just before the rename
        if current is not None and not stat.S_ISREG(current.st_mode):
            raise NotRegularFile(path, current.st_mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def remove_stale_temps(path: Path, older_than: float = 0.0) -> list[Path]:
    """Remove the temp files a killed dlenv left beside `path` (`.NAME.XXXXXXXX.dlenv-tmp`):
    only regular files, only this user's, only those older than `older_than` seconds. A `path`
    named `*` stands for every name in its directory (a directory only dlenv writes in)."""
    removed: list[Path] = []
    prefix = "." if path.name == "*" else f".{path.name}."
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(TEMP_SUFFIX)]
        random_part = r"(?:.+\.)?[a-z0-9_]{8}" if path.name == "*" else r"[a-z0-9_]{8}"
        if not re.fullmatch(random_part, middle):  # mkstemp's random part
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < older_than:
                continue
            if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed
