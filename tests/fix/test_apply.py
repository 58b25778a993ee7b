"""Managed blocks, atomic writes, journal, lock and undo: properties over arbitrary rc files,
and faults (read-only file, full disk, crash before rename, two runs at once)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError
from dlenv.fix import apply
from dlenv.fix.actions import SetEnv
from dlenv.fix.apply import MARK_END, MARK_START, find_blocks, put_block, remove_block
from dlenv.fix.targets import Target, apply_now, undo_now

INNER = ["# Added by dlenv", "if [ -f /x/env.sh ]; then . /x/env.sh; fi"]
P = Path("rc")

# rc files built from lines that make parsing hard: CRLF, bare CR, non-UTF-8, marker look-alikes
LINE = st.one_of(
    st.binary(max_size=12).filter(lambda b: b"\n" not in b),
    st.sampled_from(
        [
            MARK_START.encode(),
            MARK_END.encode(),
            b"  " + MARK_START.encode() + b"  ",
            b"# >>> dlenv >>",
            b"# >>> conda initialize >>>",
            b"\xff\xfe\xe9",
            b"export PATH=/x:$PATH",
            b"",
        ]
    ),
)
ENDING = st.sampled_from([b"\n", b"\r\n", b"\r"])
RC = st.builds(
    lambda lines, last: b"".join(line + end for line, end in lines) + last,
    st.lists(st.tuples(LINE, ENDING), max_size=8),
    st.binary(max_size=6).filter(lambda b: b"\n" not in b),
)


def outside_block_lines(data: bytes) -> list[bytes]:
    lines = apply.split_lines(data)
    inside: set[int] = set()
    for s, e in find_blocks(data, P):
        inside.update(range(s, e + 1))
    return [line.rstrip(b"\r\n") for i, line in enumerate(lines) if i not in inside]


@given(RC)
def test_apply_then_remove_is_identity_and_apply_is_idempotent(data: bytes) -> None:
    try:
        new, prefix = put_block(data, INNER, [], P)
    except DlenvError:
        return  # a damaged or hand-edited block: refused, the caller writes nothing
    assert put_block(new, INNER, [], P) == (new, b"")
    assert len(find_blocks(new, P)) == 1
    if find_blocks(data, P):
        # every line the user had outside the dlenv blocks is still there, in order
        assert outside_block_lines(new) == outside_block_lines(data)
    else:
        nl = apply.newline_of(data)
        assert new == data + prefix + apply.block_bytes(INNER, nl)
        assert prefix in (b"", nl, nl + nl)
        assert remove_block(new, ["\n".join(INNER)], prefix) == data


@given(RC)
def test_damaged_or_hand_edited_blocks_are_refused_not_rewritten(data: bytes) -> None:
    damaged = data + b"\n" + MARK_START.encode() + b"\nmy own line\n"
    with pytest.raises(DlenvError, match=r"damaged|edited by hand|without a"):
        put_block(damaged, INNER, [], P)
    edited = damaged + MARK_END.encode() + b"\n"
    try:
        find_blocks(data, P)
    except DlenvError:
        return
    with pytest.raises(DlenvError, match="edited by hand"):
        put_block(edited, INNER, [], P)


def test_duplicate_dlenv_blocks_collapse_into_one() -> None:
    block = apply.block_bytes(INNER, b"\n")
    data = b"a\n" + block + b"b\n" + block + b"c"
    new, prefix = put_block(data, INNER, [], P)
    assert new == b"a\n" + block + b"b\nc"
    assert prefix == b""


def test_undo_removes_only_the_block_when_the_user_edited_around_it() -> None:
    data = b"first\nsecond"  # no final newline
    new, prefix = put_block(data, INNER, [], P)
    assert new == b"first\nsecond\n\n" + apply.block_bytes(INNER, b"\n")
    edited = b"added on top\n" + new + b"added below\n"
    assert remove_block(edited, ["\n".join(INNER)], prefix) == (
        b"added on top\nfirst\nsecond\nadded below\n"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RC)
def test_files_apply_undo_round_trip(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {"HOME": tmp, "XDG_STATE_HOME": f"{tmp}/state", "XDG_CONFIG_HOME": f"{tmp}/cfg"}
        with mock.patch.dict(os.environ, env):
            rc = home / ".bashrc"
            rc.write_bytes(data)
            target = Target(kind="shell", rc_file=rc)
            try:
                apply_now([SetEnv(name="CUDA_HOME", value="/usr/local/cuda")], target, os.environ)
            except DlenvError:
                assert rc.read_bytes() == data
                assert not (home / "cfg").exists()
                return
            assert apply_now([SetEnv(name="CUDA_HOME", value="/usr/local/cuda")], target, {}) == []
            undo_now()
            assert rc.read_bytes() == data
            assert not (home / "cfg" / "dlenv" / "env.sh").exists()


def test_undo_refuses_when_the_block_itself_was_edited(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\n")
    apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=rc), os.environ)
    text = rc.read_bytes().replace(b"# <<< dlenv <<<", b"echo mine too\n# <<< dlenv <<<")
    rc.write_bytes(text)
    with pytest.raises(DlenvError, match="undo would lose those edits"):
        undo_now()
    assert rc.read_bytes() == text


def test_read_only_rc_file_is_left_alone(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\n")
    rc.chmod(0o444)
    with pytest.raises(DlenvError, match="is read-only; dlenv leaves it alone"):
        apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=rc), os.environ)
    assert rc.read_bytes() == b"mine\n"
    assert not (isolated_home / "xdg_config_home" / "dlenv").exists()
    assert not (isolated_home / "xdg_state_home" / "dlenv" / "journal.json").exists()


def test_unreadable_rc_file_is_one_line_error(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\n")
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(rc):  # root reads a chmod 000 file: refuse it by hand
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    with pytest.raises(DlenvError) as info:
        apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=rc), os.environ)
    assert info.value.message == f"{rc}: cannot read (Permission denied); nothing was changed"
    assert not (isolated_home / "xdg_config_home" / "dlenv").exists()


def test_full_disk_changes_nothing(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\n")
    target = Target(kind="shell", rc_file=rc)
    apply_now([SetEnv(name="A", value="1")], target, os.environ)
    applied = rc.read_bytes()
    env_sh = isolated_home / "xdg_config_home" / "dlenv" / "env.sh"
    before_env = env_sh.read_bytes()
    journal = apply.journal_path().read_bytes()
    real_write = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] >= 2:  # the journal is written, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(DlenvError) as info:
        apply_now([SetEnv(name="B", value="2")], target, os.environ)
    assert info.value.message == (
        f"{env_sh}: cannot write (No space left on device); nothing was changed"
    )
    monkeypatch.setattr(os, "write", real_write)
    assert rc.read_bytes() == applied
    assert env_sh.read_bytes() == before_env
    assert not [p for p in env_sh.parent.iterdir() if p.name.endswith(".dlenv-tmp")]
    # the journal's rollback failed too (the disk is still full): undo still restores all
    assert apply.journal_path().read_bytes() != journal
    undo_now()
    assert rc.read_bytes() == b"mine\n"
    assert not env_sh.exists()


CRASH = """
import os, sys
from pathlib import Path
from dlenv.fix.actions import SetEnv
from dlenv.fix.targets import Target, apply_now
real = os.replace
def replace(src, dst):
    if str(dst).endswith(".bashrc"):
        os._exit(9)  # killed between writing the temp file and renaming it
    real(src, dst)
os.replace = replace
apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=Path(sys.argv[1])), {})
"""


def test_crash_between_write_and_rename_leaves_the_old_file(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\r\nno newline")
    done = subprocess.run([sys.executable, "-c", CRASH, str(rc)], env=os.environ, timeout=30)
    assert done.returncode == 9
    assert rc.read_bytes() == b"mine\r\nno newline"
    # the next run works, and undo still restores the original exactly
    apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=rc), os.environ)
    assert b"# >>> dlenv >>>" in rc.read_bytes()
    undo_now()
    assert rc.read_bytes() == b"mine\r\nno newline"


CONCURRENT = """
import sys
from pathlib import Path
from dlenv.fix.actions import PrependPath
from dlenv.fix.targets import Target, apply_now
apply_now([PrependPath(name="PATH", entries=[sys.argv[2]])],
          Target(kind="shell", rc_file=Path(sys.argv[1])), {})
"""


def test_concurrent_applies_are_serialised(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"mine\n")
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT, str(rc), f"/opt/p{i}"], env=os.environ)
        for i in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    data = rc.read_bytes()
    assert len(find_blocks(data, rc)) == 1
    env_sh = (isolated_home / "xdg_config_home" / "dlenv" / "env.sh").read_text()
    assert sorted(p for p in ("/opt/p0", "/opt/p1", "/opt/p2", "/opt/p3") if p in env_sh) == [
        "/opt/p0",
        "/opt/p1",
        "/opt/p2",
        "/opt/p3",
    ]
    undo_now()
    assert rc.read_bytes() == b"mine\n"


def test_lock_times_out_with_a_clear_message(isolated_home: Path) -> None:
    directory = apply.state_dir()
    with apply.locked(directory), pytest.raises(DlenvError, match="another `dlenv fix` is running"):
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "from dlenv.fix import apply\n"
                "with apply.locked(apply.state_dir(), timeout=0.2): pass",
            ],
            env=os.environ,
            capture_output=True,
            timeout=30,
        )
        assert child.returncode == 1
        assert b"another `dlenv fix` is running" in child.stderr
        with apply.locked(directory, timeout=0.1):
            pass


def test_backups_are_private_and_hold_the_original(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_bytes(b"export TOKEN=secret\n")
    apply_now([SetEnv(name="A", value="1")], Target(kind="shell", rc_file=rc), os.environ)
    (backup,) = (apply.state_dir() / "backups").iterdir()
    assert backup.read_bytes() == b"export TOKEN=secret\n"
    assert backup.stat().st_mode & 0o777 == 0o600


def test_damaged_journal_is_refused(isolated_home: Path) -> None:
    apply.state_dir().mkdir(parents=True)
    apply.journal_path().write_text("{not json")
    with pytest.raises(DlenvError, match="damaged journal"):
        undo_now()
