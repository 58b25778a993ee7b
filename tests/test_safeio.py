"""dlenv.safeio on real files: kinds, non-blocking reads, atomic replaces, stale temps."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.safeio import (
    NotRegularFile,
    new_file_mode,
    own_stream,
    read_regular,
    remove_stale_temps,
    replace_atomically,
    write_output,
)


def test_read_regular(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert read_regular(path) is None
    path.write_bytes(b"abc")
    assert read_regular(path) == b"abc"
    with pytest.raises(DlenvError, match=r"larger than 0 MiB"):
        read_regular(path, limit=2)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(DlenvError) as info:
        read_regular(fifo, note="; nothing was changed")
    assert info.value.message == (
        f"{fifo}: is a named pipe (FIFO), not a regular file; nothing was changed"
    )
    with pytest.raises(DlenvError, match="is a character device"):
        read_regular(Path("/dev/zero"))
    with pytest.raises(DlenvError, match="is a directory, not a file"):
        read_regular(tmp_path)


def test_own_stream() -> None:
    assert own_stream("/dev/stdout") == 1
    assert own_stream("/dev/fd/7") == 7
    assert own_stream("/proc/self/fd/3") == 3
    assert own_stream(f"/proc/{os.getpid()}/fd/4") == 4
    assert own_stream(f"/proc/{os.getpid() + 1}/fd/4") is None
    assert own_stream("/tmp/x") is None


def test_own_stream_through_links(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("/proc/self/fd/2")
    assert own_stream(str(tmp_path / "a")) == 2
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert own_stream(str(loop)) is None


def test_replace_atomically_keeps_the_mode_and_refuses_what_is_not_a_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    path.chmod(0o640)
    replace_atomically(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh"
    replace_atomically(fresh, b"x")
    assert stat.S_IMODE(fresh.stat().st_mode) == new_file_mode()
    link = tmp_path / "link"
    link.symlink_to(path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (link, fifo, tmp_path):
        with pytest.raises(NotRegularFile):
            replace_atomically(target, b"x")
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "fifo", "fresh", "link"]


def test_replace_atomically_makes_parents_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_atomically(tmp_path / "a" / "f", b"x")
    assert not (tmp_path / "a").exists()
    replace_atomically(tmp_path / "a" / "f", b"x", make_parents=True)
    assert (tmp_path / "a" / "f").read_bytes() == b"x"


def test_new_file_mode_follows_the_umask() -> None:
    old = os.umask(0o027)
    try:
        assert new_file_mode() == 0o640
    finally:
        os.umask(old)


def test_remove_stale_temps(tmp_path: Path) -> None:
    path = tmp_path / ".bashrc"
    leftover = tmp_path / "..bashrc.ab12cd_9.dlenv-tmp"
    leftover.write_text("half")
    fresh = tmp_path / "..bashrc.zz12cd_9.dlenv-tmp"
    fresh.write_text("being written")
    other = tmp_path / "..bashrc.not-ours.dlenv-tmp"  # not mkstemp's pattern
    other.write_text("x")
    link = tmp_path / "..bashrc.linkxxxx.dlenv-tmp"
    link.symlink_to(other)
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    assert remove_stale_temps(path, older_than=60) == [leftover]
    assert fresh.exists() and other.exists() and link.is_symlink()
    assert remove_stale_temps(path) == [fresh]


def test_write_output_to_a_fifo_without_reader_and_to_dev_null(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(DlenvError, match="a named pipe with no reader"):
        write_output(fifo, b"x")
    write_output(Path("/dev/null"), b"x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
