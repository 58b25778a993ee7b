"""Safe edits of a user's files: managed blocks, atomic writes, backups, a journal, a lock, undo.

Nothing outside dlenv's block is touched (bytes, line endings, a missing final newline, the mode,
symlinks written through); every file is backed up before its first change; undo restores it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dlenv.errors import DlenvError
from dlenv.safeio import (
    describe,
    fsync_dir,
    new_file_mode,
    read_regular,
    remove_stale_temps,
    replace_atomically,
)
from dlenv.snapshot.serde import from_data

MARK_START = "# >>> dlenv >>>"
MARK_END = "# <<< dlenv <<<"
OWNED_HEADER = "# Managed by dlenv"
JOURNAL_KIND = "dlenv-journal"
JOURNAL_VERSION = 1

Role = Literal["block", "owned", "append"]


# -- where dlenv keeps its own state ---------------------------------------------------------
def home_dir() -> Path:
    """$HOME, which must be an absolute path: an empty or missing one would make `Path.home()`
    answer `/` or the passwd entry's home, and dlenv would edit files there without saying so."""
    if sys.platform == "win32":
        return Path.home()
    home = os.environ.get("HOME", "")
    if not home:
        raise DlenvError(
            "$HOME is not set (or empty); dlenv fix will not guess where your start-up files "
            "are: set HOME to your home directory"
        )
    if not os.path.isabs(home):
        raise DlenvError(f"$HOME is a relative path ({home!r}); set it to an absolute path")
    return Path(home)


def xdg_dir(variable: str, *default: str) -> Path:
    """An XDG base directory: the variable's value when it is an absolute path, else
    ~/<default>. A relative value is ignored, as the XDG spec says: it would make dlenv write a
    relative path into a start-up file, which means something else in every directory."""
    value = os.environ.get(variable, "")
    if os.path.isabs(value):
        return Path(value)
    return home_dir().joinpath(*default)


def state_dir() -> Path:
    """$XDG_STATE_HOME/dlenv, or ~/.local/state/dlenv (%LOCALAPPDATA%\\dlenv on Windows)."""
    if os.path.isabs(os.environ.get("XDG_STATE_HOME", "")):
        return Path(os.environ["XDG_STATE_HOME"]) / "dlenv"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "dlenv"
    return xdg_dir("XDG_STATE_HOME", ".local", "state") / "dlenv"


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def read_file(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; anything but a regular file (a device, a
    FIFO: read forever) or an unreadable one is a one-line DlenvError, and nothing blocks."""
    return read_regular(path, note="; nothing was changed")


def read_target(path: Path, real: Path, *, make_parents: bool) -> bytes | None:
    """The bytes of a file `--apply` is about to edit (`real`: `path` with links resolved).

    Only a regular file, or none, is edited: a device or FIFO behind a start-up file is
    refused before anything is read. Without `make_parents` the file's directory must exist
    (dlenv creates directories only for the files it owns, never for `$GITHUB_ENV`).
    """
    shown = str(path) if path == real else f"{path} (a link to {real})"
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        if not make_parents and not real.parent.is_dir():
            raise DlenvError(
                f"{shown}: its directory does not exist; nothing was changed"
            ) from None
        return None
    except OSError as exc:
        raise DlenvError(f"{shown}: cannot read ({exc.strerror}); nothing was changed") from None
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise DlenvError(
            f"{shown}: is {describe(mode)}; dlenv edits only regular files, nothing was changed"
        )
    return read_file(real)


# -- managed blocks --------------------------------------------------------------------------
def split_lines(data: bytes) -> list[bytes]:
    """Lines with their endings; only b"\\n" ends a line (a CR stays part of a CRLF ending)."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def newline_of(data: bytes) -> bytes:
    crlf = data.count(b"\r\n")
    return b"\r\n" if crlf and crlf >= data.count(b"\n") - crlf else b"\n"


def _is_marker(line: bytes, marker: str) -> bool:
    return line.rstrip(b"\r\n").strip() == marker.encode()


def _inner_key(lines: Sequence[bytes]) -> bytes:
    return b"\n".join(line.rstrip(b"\r\n") for line in lines)


def find_blocks(data: bytes, path: Path) -> list[tuple[int, int]]:
    """(start, end) line indexes of each well-formed block; a damaged one is refused."""
    pairs: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(split_lines(data)):
        if _is_marker(line, MARK_START):
            if start is not None:
                raise _damaged(path, start, f"a second {MARK_START!r} at line {i + 1}")
            start = i
        elif _is_marker(line, MARK_END):
            if start is None:
                raise DlenvError(
                    f"{path}: line {i + 1} has {MARK_END!r} without a {MARK_START!r} before it; "
                    "fix the dlenv block by hand, nothing was changed"
                )
            pairs.append((start, i))
            start = None
    if start is not None:
        raise _damaged(path, start, f"no {MARK_END!r} after it")
    return pairs


def _damaged(path: Path, start: int, what: str) -> DlenvError:
    return DlenvError(
        f"{path}: the dlenv block starting at line {start + 1} is damaged ({what}); "
        "fix it by hand, nothing was changed"
    )


def block_bytes(inner: Sequence[str], nl: bytes) -> bytes:
    lines = [MARK_START, *inner, MARK_END]
    return b"".join(line.encode() + nl for line in lines)


def put_block(
    data: bytes | None, inner: Sequence[str], known: Sequence[str], path: Path
) -> tuple[bytes, bytes]:
    """(new content, separator added before the block) with exactly one dlenv block.

    An existing block is replaced only when its content is one dlenv wrote (`known`); duplicate
    dlenv blocks collapse into one; a hand-edited or damaged block is refused, never dropped.
    """
    data = data or b""
    nl = newline_of(data)
    new_block = block_bytes(inner, nl)
    pairs = find_blocks(data, path)
    if not pairs:
        prefix = b"" if not data else (b"" if data.endswith(b"\n") else nl) + nl
        return data + prefix + new_block, prefix
    lines = split_lines(data)
    ours = {k.encode() for k in known} | {"\n".join(inner).encode()}
    for s, e in pairs:
        if _inner_key(lines[s + 1 : e]) not in ours:
            raise DlenvError(
                f"{path}: lines {s + 1}-{e + 1} (the dlenv block) were edited by hand; "
                "move your lines out of the block or delete it, nothing was changed"
            )
    out: list[bytes] = []
    previous = 0
    for n, (s, e) in enumerate(pairs):
        out.extend(lines[previous:s])
        if n == 0:
            out.append(new_block)
        previous = e + 1
    out.extend(lines[previous:])
    return b"".join(out), b""


def remove_block(data: bytes, known: Sequence[str], prefix: bytes) -> bytes | None:
    """The content without dlenv's one block (and the separator dlenv put before it).

    None when there is not exactly one block with content dlenv wrote.
    """
    try:
        pairs = find_blocks(data, Path("-"))
    except DlenvError:
        return None
    if len(pairs) != 1:
        return None
    lines = split_lines(data)
    s, e = pairs[0]
    if _inner_key(lines[s + 1 : e]) not in {k.encode() for k in known}:
        return None
    before = b"".join(lines[:s])
    after = b"".join(lines[e + 1 :])
    if prefix and before.endswith(prefix):
        if after:
            # keep the newline that now ends the user's last line before their later lines
            nl = newline_of(data)
            prefix = prefix[len(nl) :] if prefix == nl + nl else prefix
        before = before[: len(before) - len(prefix)]
    return before + after


# -- atomic writes ---------------------------------------------------------------------------
def atomic_write(path: Path, data: bytes, mode: int | None, *, make_parents: bool = True) -> None:
    """Replace the regular file `path` all or nothing (see `dlenv.safeio.replace_atomically`:
    a random O_EXCL|O_NOFOLLOW temp, fsync, rename; never over a device, FIFO or link).

    A crash leaves the old content or the new one, never half of either.
    """
    replace_atomically(path, data, mode, make_parents=make_parents)


def _remove(path: Path) -> None:
    with suppress(FileNotFoundError):
        path.unlink()
    fsync_dir(path.parent)


# -- the lock --------------------------------------------------------------------------------
@contextmanager
def locked(directory: Path, timeout: float = 30.0) -> Iterator[None]:
    """An exclusive lock on dlenv's state, so that two runs at once cannot interleave."""
    directory.mkdir(parents=True, exist_ok=True)
    lock_path = directory / "lock"
    # non-blocking: a FIFO planted as the lock must not stall the open
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DlenvError(f"{lock_path}: is not a regular file; move it aside")
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise DlenvError(
                    f"another `dlenv fix` is running (lock {lock_path}); try again when it ends"
                )
            time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# -- the journal -----------------------------------------------------------------------------
@dataclass
class FileRecord:
    """What dlenv did to one file: the original (hash and backup) and what it last wrote."""

    path: str
    real: str
    role: Role
    original_sha256: str | None  # None: the file did not exist
    backup: str | None
    last_sha256: str | None
    known_blocks: list[str] = field(default_factory=list)
    # every content dlenv wrote: a crash (or a full disk) between the journal and the file
    # leaves the file at an earlier one, which undo must still recognise
    written: list[str] = field(default_factory=list)
    prefix: str = ""  # hex of the separator written before the block


@dataclass
class Journal:
    files: dict[str, FileRecord] = field(default_factory=dict)
    applied: dict[str, list[Any]] = field(default_factory=dict)  # target key -> action data
    history: list[dict[str, Any]] = field(default_factory=list)


def journal_path() -> Path:
    return state_dir() / "journal.json"


def load_journal() -> Journal:
    path = journal_path()
    raw = read_file(path)
    if raw is None:
        return Journal()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("kind") != JOURNAL_KIND:
            raise ValueError("not a dlenv journal")
        body = {k: data[k] for k in ("files", "applied", "history")}
        journal = from_data(Journal, body)
        for key, record in journal.files.items():
            _check_record(key, record)
        return journal
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise DlenvError(
            f"{path}: damaged journal ({exc}); move it aside to start over (backups stay in "
            f"{path.parent / 'backups'})"
        ) from None


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_record(key: str, record: FileRecord) -> None:
    """What the types do not say: the hashes are hashes, the paths are absolute paths."""
    where = f"$.files.{key}"
    if key != record.path:
        raise ValueError(f"{where}.path: {record.path!r} is not the record's key")
    for name in ("path", "real", "backup"):
        value = getattr(record, name)
        if value is not None and not os.path.isabs(value):
            raise ValueError(f"{where}.{name}: expected an absolute path, got {value!r}")
    for name in ("original_sha256", "last_sha256"):
        value = getattr(record, name)
        if value is not None and not _SHA256.fullmatch(value):
            raise ValueError(f"{where}.{name}: expected a sha256, got {value!r}")
    if any(not _SHA256.fullmatch(h) for h in record.written):
        raise ValueError(f"{where}.written: expected a list of sha256 hashes")
    try:
        bytes.fromhex(record.prefix)
    except ValueError:
        raise ValueError(f"{where}.prefix: expected hex, got {record.prefix!r}") from None
    if record.original_sha256 is not None and record.backup is None:
        raise ValueError(f"{where}.backup: missing for a file that existed")


def _journal_bytes(journal: Journal) -> bytes:
    data = {
        "kind": JOURNAL_KIND,
        "version": JOURNAL_VERSION,
        "files": {k: vars(v) for k, v in journal.files.items()},
        "applied": journal.applied,
        "history": journal.history,
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


# -- changes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileChange:
    path: Path  # as the user knows it (~/.bashrc)
    real: Path  # symlinks resolved: the file that is really written
    before: bytes | None
    after: bytes | None  # None: delete
    role: Role
    block: str | None = None  # the block's inner text, for block files
    prefix: bytes = b""
    note: str | None = None
    make_parents: bool = False  # may create the file's directory (files dlenv owns)

    @property
    def mode(self) -> int:
        """The file's mode, kept; a new file gets 0666 less the umask."""
        try:
            return os.stat(self.real).st_mode & 0o7777
        except OSError:
            return new_file_mode()


def resolve(path: Path) -> Path:
    """The file a symlinked rc file (a dotfiles repo) really is; it is written through.

    A dangling link whose target's directory is gone (an unmounted dotfiles repo) is refused:
    writing through it would create directories wherever the link points.
    """
    real = Path(os.path.realpath(path))
    if path.is_symlink() and not real.parent.is_dir():
        raise DlenvError(
            f"{path}: a symlink to {real}, whose directory does not exist; nothing was changed"
        )
    return real


def diff(change: FileChange) -> str:
    def lines(data: bytes | None) -> list[str]:
        text = (data or b"").decode("utf-8", errors="backslashreplace")
        return text.splitlines(keepends=True)

    old = "/dev/null" if change.before is None else str(change.path)
    new = "/dev/null" if change.after is None else str(change.path)
    out = []
    for line in difflib.unified_diff(lines(change.before), lines(change.after), old, new):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def check_writable(changes: Sequence[FileChange]) -> None:
    """Refuse before anything is written: a read-only file is one the user wants left alone."""
    for change in changes:
        # the mode bits too: root may write anything, but a 0444 rc file says "leave me alone"
        if change.before is not None and (
            not os.access(change.real, os.W_OK) or not change.mode & 0o222
        ):
            raise DlenvError(f"{change.path}: is read-only; dlenv leaves it alone, nothing changed")
        parent = change.real.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            raise DlenvError(f"{parent}: cannot write in this directory; nothing was changed")


def _backup(data: bytes, path: Path) -> Path:
    directory = state_dir() / "backups"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = directory / f"{stamp}-{sha256(data)[:12]}-{path.name}"  # type: ignore[index]
    # rc files may hold secrets: backups are private to the user
    atomic_write(target, data, 0o600)
    return target


def remove_leftover_temps(journal: Journal, changes: Sequence[FileChange] = ()) -> None:
    """Remove the temp files a killed `dlenv fix` left: beside its journal, in its backups
    directory, and beside every file it has touched or is about to. Call under the lock."""
    jpath = journal_path()
    touched = {jpath, *(c.real for c in changes), *(Path(r.real) for r in journal.files.values())}
    for path in touched:
        remove_stale_temps(path)
    remove_stale_temps(state_dir() / "backups" / "*")


def commit(
    changes: Sequence[FileChange], journal: Journal, *, action: str, applied: dict[str, list[Any]]
) -> None:
    """Write every change, or none: backups and the journal first, a rollback on failure.

    Called under the lock: temp files that a killed run left beside these files go first.
    """
    check_writable(changes)
    jpath = journal_path()
    remove_leftover_temps(journal, changes)
    old_journal = read_file(jpath)
    for change in changes:
        if change.role == "append":
            continue
        record = journal.files.get(str(change.path))
        if action == "undo":
            journal.files.pop(str(change.path), None)
            continue
        if record is None:
            record = FileRecord(
                path=str(change.path),
                real=str(change.real),
                role=change.role,
                original_sha256=sha256(change.before),
                backup=None if change.before is None else str(_backup(change.before, change.path)),
                last_sha256=None,
            )
            journal.files[str(change.path)] = record
        record.last_sha256 = sha256(change.after)
        if record.last_sha256 is not None and record.last_sha256 not in record.written:
            record.written.append(record.last_sha256)
        if change.block is not None and change.block not in record.known_blocks:
            record.known_blocks.append(change.block)
        if change.prefix:
            record.prefix = change.prefix.hex()
    journal.applied = applied
    journal.history.append(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "action": action,
            "files": [
                {"path": str(c.path), "before": sha256(c.before), "after": sha256(c.after)}
                for c in changes
            ],
        }
    )
    if action == "undo":
        journal.files.clear()
    else:
        # the journal first: after a crash it knows every file dlenv may have touched
        atomic_write(jpath, _journal_bytes(journal), 0o600)
    done: list[FileChange] = []
    try:
        for change in changes:
            if change.after is None:
                _remove(change.real)
            else:
                atomic_write(
                    change.real, change.after, change.mode, make_parents=change.make_parents
                )
            done.append(change)
        if action == "undo":
            # the journal last: after a crash, undo can run again
            atomic_write(jpath, _journal_bytes(journal), 0o600)
    except OSError as exc:
        failed = change.path if len(done) < len(changes) else jpath
        for change in reversed(done):
            with suppress(OSError):
                if change.before is None:
                    _remove(change.real)
                else:
                    atomic_write(change.real, change.before, change.mode)
        with suppress(OSError):
            if old_journal is None:
                _remove(jpath)
            else:
                atomic_write(jpath, old_journal, 0o600)
        raise DlenvError(f"{failed}: cannot write ({exc.strerror}); nothing was changed") from None


# -- undo ------------------------------------------------------------------------------------
def plan_undo(journal: Journal) -> list[FileChange]:
    """The changes that take every file back to how it was before dlenv, or a refusal."""
    changes: list[FileChange] = []
    for key, record in journal.files.items():
        path, real = Path(record.path), Path(record.real)
        current = read_file(real)
        current_sha = sha256(current)
        if current_sha == record.original_sha256:
            continue
        if current_sha == record.last_sha256 or current_sha in record.written:
            original = _original(record)
            changes.append(FileChange(path, real, current, original, record.role))
            continue
        if record.role == "block" and current is not None:
            kept = remove_block(current, record.known_blocks, bytes.fromhex(record.prefix))
            if kept is not None:
                note = "changed since; only the dlenv block is removed, your edits stay"
                changes.append(FileChange(path, real, current, kept, "block", note=note))
                continue
        where = f"; the original is saved at {record.backup}" if record.backup else ""
        raise DlenvError(
            f"{key}: changed since dlenv wrote it and undo would lose those edits; "
            f"nothing was changed{where}"
        )
    return changes


def _original(record: FileRecord) -> bytes | None:
    if record.original_sha256 is None:
        return None
    assert record.backup is not None
    data = read_file(Path(record.backup))
    if sha256(data) != record.original_sha256:
        raise DlenvError(f"{record.backup}: the backup of {record.path} is missing or damaged")
    return data
