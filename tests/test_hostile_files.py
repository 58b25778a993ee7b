"""Files that are not what dlenv expects where it reads or writes: devices, FIFOs, planted links.

The real `python -m dlenv` in a subprocess (a hang must end in a timeout, not stall the suite),
on real device nodes (made with mknod when the tests run as root), real FIFOs and real links.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_hostile import QUICK, TARGET, assert_one_error, dlenv
from tests.test_hostile import _env as env_of
from tests.test_hostile import machine as machine  # the fixture

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="mknod needs root")
POLICY = '[check]\npython = ">=3.8"\n'


def null_device(path: Path) -> Path:
    """A real character device (the null device, 1:3) at `path`."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


def assert_device(path: Path) -> None:
    assert stat.S_ISCHR(os.lstat(path).st_mode), f"{path} is no longer a device"


# -- --output, --json, --junit ----------------------------------------------------------------
@needs_root
def test_output_to_a_device_writes_it_and_keeps_it(machine: Path) -> None:
    null = null_device(machine / "null")
    run = dlenv(machine, *QUICK, *TARGET, "--output", str(null))
    assert run.code in (0, 1) and run.err == "" and run.out == ""
    assert_device(null)
    (machine / "dlenv.toml").write_text(POLICY)
    for option in ("--json", "--junit", "--output"):
        run = dlenv(machine, "check", "--quick", *TARGET, option, str(null))
        assert run.code in (0, 1), run.err
        assert_device(null)
    assert sorted(p.name for p in machine.iterdir()) == ["bin", "dlenv.toml", "home", "null"]


def test_output_to_dev_full_is_one_error_and_dev_full_stays(machine: Path) -> None:
    (machine / "dlenv.toml").write_text(POLICY)
    run = dlenv(machine, "check", "--quick", *TARGET, "--junit", "/dev/full")
    assert_one_error(run, "/dev/full: cannot write (No space left on device)")
    assert_device(Path("/dev/full"))


def test_output_through_a_link_to_stdout_reaches_stdout(machine: Path) -> None:
    link = machine / "stdout"
    link.symlink_to("/proc/self/fd/1")
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", "--output", str(link))
    assert run.json()["kind"] == "dlenv-report"
    assert link.is_symlink()
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", "--output", "/dev/stdout")
    assert run.json()["kind"] == "dlenv-report"


def test_output_to_dev_stdout_redirected_with_append_keeps_what_was_there(machine: Path) -> None:
    log = machine / "log"
    log.write_text("earlier line\n")
    with open(log, "ab") as fh:
        run = dlenv(machine, *QUICK, *TARGET, "--output", "/dev/stdout", stdout=fh)
    assert run.code in (0, 1)
    text = log.read_text()
    assert text.startswith("earlier line\n") and "dlenv" in text[13:]


def test_output_to_a_fifo_with_no_reader_is_refused_at_once(machine: Path) -> None:
    fifo = machine / "fifo"
    os.mkfifo(fifo)
    run = dlenv(machine, *QUICK, *TARGET, "--output", str(fifo))
    assert_one_error(run, f"{fifo}: a named pipe with no reader; nothing was written")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_to_a_fifo_with_a_reader_is_written(machine: Path) -> None:
    fifo = machine / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        # wait until cat has the FIFO open for reading
        for _ in range(200):
            if any(
                os.path.realpath(f"/proc/{reader.pid}/fd/{fd}") == str(fifo)
                for fd in os.listdir(f"/proc/{reader.pid}/fd")
            ):
                break
            subprocess.run(["sleep", "0.01"], check=True)
        run = dlenv(machine, *QUICK, *TARGET, "-f", "json", "--output", str(fifo))
        out, _ = reader.communicate(timeout=10)
    finally:
        reader.kill()
    assert run.code in (0, 1) and run.out == ""
    assert b'"kind": "dlenv-report"' in out
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_planted_at_the_old_temp_name_is_not_followed(machine: Path) -> None:
    out = machine / "out"
    out.mkdir()
    victim = machine / "victim"
    victim.write_text("precious\n")
    (out / ".r.json.dlenv-tmp").symlink_to(victim)
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", "-o", str(out / "r.json"))
    assert run.code in (0, 1), run.err
    assert victim.read_text() == "precious\n"
    assert '"dlenv-report"' in (out / "r.json").read_text()
    assert sorted(p.name for p in out.iterdir()) == [".r.json.dlenv-tmp", "r.json"]


def test_output_respects_the_umask_and_keeps_an_existing_mode(machine: Path) -> None:
    new, kept = machine / "new.txt", machine / "kept.txt"
    kept.write_text("old\n")
    kept.chmod(0o640)
    umask = "umask 077; exec \"$@\""
    for path in (new, kept):
        proc = subprocess.run(
            ["sh", "-c", umask, "sh", sys.executable, "-m", "dlenv", *QUICK, "-o", str(path)],
            env=env_of(machine),
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert proc.returncode in (0, 1), proc.stderr
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() != "old\n"


def test_output_through_a_link_to_a_file_writes_the_file_and_keeps_the_link(
    machine: Path,
) -> None:
    real = machine / "real.json"
    real.write_text("{}\n")
    link = machine / "link.json"
    link.symlink_to(real)
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", "-o", str(link))
    assert run.code in (0, 1)
    assert link.is_symlink() and '"dlenv-report"' in real.read_text()


def test_output_to_a_directory_or_a_socket_is_refused(machine: Path) -> None:
    import socket

    assert_one_error(
        dlenv(machine, *QUICK, *TARGET, "-o", str(machine)),
        f"{machine}: is a directory; dlenv writes reports to files",
    )
    sock_path = machine / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        assert_one_error(
            dlenv(machine, *QUICK, *TARGET, "-o", str(sock_path)),
            f"{sock_path}: is a socket; dlenv writes reports to files",
        )
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)


def run_killed(machine: Path, *args: str, env: dict[bytes, bytes]) -> int:
    """Run the CLI, killed with SIGKILL the moment it first fsyncs a temp file."""
    code = (
        "import os, signal, sys\n"
        "real = os.fsync\n"
        "def fsync(fd):\n"
        "    real(fd)\n"
        "    if os.readlink(f'/proc/self/fd/{fd}').endswith('.dlenv-tmp') and os.environ.get('KILL'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.fsync = fsync\n"
        "from dlenv.cli.app import main\n"
        "sys.argv = ['dlenv', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=str(machine),
        capture_output=True,
        timeout=60,
        check=False,
    )
    return proc.returncode


def test_a_killed_output_write_leaves_the_old_file(machine: Path) -> None:
    out = machine / "r.txt"
    out.write_text("old\n")
    env = env_of(machine, KILL="1")
    assert run_killed(machine, *QUICK, "-o", str(out), env=env) == -signal.SIGKILL
    assert out.read_text() == "old\n"
    temps = [p.name for p in machine.iterdir() if p.name.endswith(".dlenv-tmp")]
    assert len(temps) == 1 and temps[0].startswith(".r.txt.")

