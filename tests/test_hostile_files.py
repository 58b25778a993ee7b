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
import time
from pathlib import Path

import pytest

from tests.test_hostile import QUICK, TARGET, Run, assert_one_error, dlenv
from tests.test_hostile import _env as env_of
from tests.test_hostile import machine as machine  # the fixture

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="mknod needs root")
FIX = [*TARGET, "--apply", "--yes"]
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
            time.sleep(0.01)
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
    """Run the CLI, killed with SIGKILL the moment it has written and fsynced a temp file whose
    path holds $KILL ("1": any)."""
    code = (
        "import os, signal, sys\n"
        "real = os.fsync\n"
        "def fsync(fd):\n"
        "    real(fd)\n"
        "    name = os.readlink(f'/proc/self/fd/{fd}')\n"
        "    if name.endswith('.dlenv-tmp') and os.environ['KILL'] in name:\n"
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
    env = env_of(machine, KILL=".")
    assert run_killed(machine, *QUICK, "-o", str(out), env=env) == -signal.SIGKILL
    assert out.read_text() == "old\n"
    temps = [p.name for p in machine.iterdir() if p.name.endswith(".dlenv-tmp")]
    assert len(temps) == 1 and temps[0].startswith(".r.txt.")



# -- dlenv fix --apply / --undo on start-up files that are not regular files ------------------
def fix_env(machine: Path, **extra: str) -> dict[bytes, bytes]:
    """A machine where `dlenv fix` has an environment step: CUDA_HOME names no directory."""
    base: dict[str, str] = {
        "SHELL": "/bin/bash",
        "CUDA_HOME": "/nonexistent/cuda",
        "XDG_STATE_HOME": str(machine / "state"),
    }
    return env_of(machine, **{**base, **extra})


def fix(machine: Path, *args: str, **extra: str) -> Run:
    return dlenv(machine, "fix", *TARGET, *args, env=fix_env(machine, **extra))


@needs_root
def test_fix_apply_refuses_a_device_behind_bashrc_and_undo_keeps_it(machine: Path) -> None:
    home = machine / "home"
    (home / "d").mkdir()
    null = null_device(home / "d" / "null")
    (home / ".bashrc").symlink_to(null)
    run = fix(machine, "--apply", "--yes")
    assert_one_error(
        run,
        f"{home / '.bashrc'} (a link to {null}): is a character device; "
        "dlenv edits only regular files, nothing was changed",
    )
    assert_device(null)
    assert fix(machine, "--undo", "--yes").out == "dlenv fix: nothing to undo.\n"
    assert_device(null)
    assert not (home / ".config").exists()


@needs_root
def test_fix_apply_refuses_a_device_as_github_env(machine: Path) -> None:
    null = null_device(machine / "null")
    run = fix(machine, "--apply", "--yes", "--target", "github", GITHUB_ENV=str(null))
    assert_one_error(
        run, f"{null}: is a character device; dlenv edits only regular files, nothing was changed"
    )
    assert_device(null)


@pytest.mark.parametrize("name", [".bashrc", ".profile", "GITHUB_ENV"])
def test_fix_apply_on_a_fifo_is_refused_without_waiting(machine: Path, name: str) -> None:
    home = machine / "home"
    fifo = home / name
    os.mkfifo(fifo)
    if name == "GITHUB_ENV":
        run = fix(machine, "--apply", "--yes", "--target", "github", GITHUB_ENV=str(fifo))
    else:
        run = fix(machine, "--apply", "--yes")
    assert_one_error(
        run,
        f"{fifo}: is a named pipe (FIFO); dlenv edits only regular files, nothing was changed",
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    # the lock was let go: the next run is not stuck behind it
    assert fix(machine, "--undo", "--yes").code == 0


def test_fix_apply_does_not_create_the_directory_of_github_env(machine: Path) -> None:
    github_env = machine / "runner" / "env"
    run = fix(machine, "--apply", "--yes", "--target", "github", GITHUB_ENV=str(github_env))
    assert_one_error(run, f"{github_env}: its directory does not exist; nothing was changed")
    assert not (machine / "runner").exists()


@pytest.mark.parametrize("home", ["", None, "relative/home"])
def test_fix_apply_needs_an_absolute_home(machine: Path, home: str | None) -> None:
    env = fix_env(machine)
    if home is None:
        del env[b"HOME"]
    else:
        env[b"HOME"] = home.encode()
    run = dlenv(machine, "fix", *TARGET, "--apply", "--yes", env=env)
    message = (
        "$HOME is not set (or empty); dlenv fix will not guess where your start-up files "
        "are: set HOME to your home directory"
        if not home
        else f"$HOME is a relative path ('{home}'); set it to an absolute path"
    )
    assert_one_error(run, message)
    assert not Path("/.bashrc").exists() or "dlenv" not in Path("/.bashrc").read_text()


def test_a_relative_xdg_config_home_is_ignored(machine: Path) -> None:
    home = machine / "home"
    (home / ".bashrc").write_text("# mine\n")
    run = fix(machine, "--apply", "--yes", XDG_CONFIG_HOME="cfg")
    assert run.code == 0, run.err
    script = home / ".config" / "dlenv" / "env.sh"
    assert script.is_file() and not (machine / "cfg").exists()
    block = (home / ".bashrc").read_text()
    assert f"if [ -f {script} ]; then . {script}; fi" in block


def test_fix_apply_new_files_follow_the_umask(machine: Path) -> None:
    home = machine / "home"
    (home / ".bashrc").write_text("# mine\n")
    (home / ".bashrc").chmod(0o640)
    proc = subprocess.run(
        ["sh", "-c", 'umask 077; exec "$@"', "sh", sys.executable, "-m", "dlenv", "fix", *FIX],
        env=fix_env(machine),
        cwd=str(machine),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((home / ".config" / "dlenv" / "env.sh").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / ".profile").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / ".bashrc").stat().st_mode) == 0o640  # kept


def test_temps_of_a_killed_apply_are_removed_by_undo(machine: Path) -> None:
    home = machine / "home"
    (home / ".bashrc").write_text("# mine\n")
    env = fix_env(machine, KILL=".")
    # the first fsync of a temp is the journal's, then the backup's, then the files'
    code = run_killed(machine, "fix", *TARGET, "--apply", "--yes", env=env)
    assert code == -signal.SIGKILL

    def temps() -> list[Path]:
        return list(machine.rglob("*.dlenv-tmp"))

    assert len(temps()) == 1
    run = fix(machine, "--undo", "--yes")
    assert run.code == 0, run.err
    assert temps() == []
    assert (home / ".bashrc").read_text() == "# mine\n"


def test_temps_of_a_killed_rc_write_are_removed_by_undo(machine: Path) -> None:
    """Killed at the first temp of a start-up file (not dlenv's own state)."""
    home = machine / "home"
    (home / ".bashrc").write_text("# mine\n")
    env = fix_env(machine, KILL="home/.")
    assert run_killed(machine, "fix", *TARGET, "--apply", "--yes", env=env) == -signal.SIGKILL
    left = list(machine.rglob("*.dlenv-tmp"))
    assert len(left) == 1 and left[0].parent in (home, home / ".config" / "dlenv"), left
    assert fix(machine, "--undo", "--yes").code == 0
    assert list(machine.rglob("*.dlenv-tmp")) == []
    assert (home / ".bashrc").read_text() == "# mine\n"


# -- a damaged journal, a bad policy number, --from on a FIFO ---------------------------------
def _journal(machine: Path, home: Path, **record: object) -> Path:
    import json

    rc = str(home / ".bashrc")
    base: dict[str, object] = {
        "path": rc,
        "real": rc,
        "role": "block",
        "original_sha256": None,
        "backup": None,
        "last_sha256": None,
        "known_blocks": [],
    }
    path = machine / "state" / "dlenv" / "journal.json"
    path.parent.mkdir(parents=True)
    files = {rc: {**base, **record}}
    data = {"kind": "dlenv-journal", "version": 1, "files": files, "applied": {}, "history": []}
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("path", 7, "$.files.{rc}.path: expected str, got 7"),
        ("real", ["x"], "$.files.{rc}.real: expected str, got ['x']"),
        ("backup", 1.5, "$.files.{rc}.backup: expected str, got 1.5"),
        ("known_blocks", "abc", "$.files.{rc}.known_blocks: expected a list, got str"),
        ("known_blocks", [1], "$.files.{rc}.known_blocks[0]: expected str, got 1"),
        ("prefix", "zz", "$.files.{rc}.prefix: expected hex, got 'zz'"),
        ("last_sha256", "abc", "$.files.{rc}.last_sha256: expected a sha256, got 'abc'"),
        ("real", "relative", "$.files.{rc}.real: expected an absolute path, got 'relative'"),
    ],
)
def test_a_damaged_journal_is_one_line(
    machine: Path, field: str, value: object, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlenv.errors import DlenvError
    from dlenv.fix.apply import load_journal

    home = machine / "home"
    journal = _journal(machine, home, **{field: value})
    message = (
        f"{journal}: damaged journal ({why.format(rc=home / '.bashrc')}); move it aside to "
        f"start over (backups stay in {journal.parent / 'backups'})"
    )
    monkeypatch.setenv("XDG_STATE_HOME", str(machine / "state"))
    with pytest.raises(DlenvError) as info:
        load_journal()
    assert info.value.message == message


def test_a_damaged_journal_stops_undo_and_apply_with_one_line(machine: Path) -> None:
    home = machine / "home"
    (home / ".bashrc").write_text("# mine\n")
    journal = _journal(machine, home, known_blocks=[1])
    message = (
        f"{journal}: damaged journal ($.files.{home / '.bashrc'}.known_blocks[0]: expected str, "
        f"got 1); move it aside to start over (backups stay in {journal.parent / 'backups'})"
    )
    assert_one_error(fix(machine, "--undo", "--yes"), message)
    assert_one_error(fix(machine, "--apply", "--yes"), message)
    assert (home / ".bashrc").read_text() == "# mine\n"


def test_a_journal_whose_backup_is_a_fifo_is_one_line(machine: Path) -> None:
    home = machine / "home"
    rc = home / ".bashrc"
    rc.write_text("# changed by dlenv\n")
    fifo = machine / "backup"
    os.mkfifo(fifo)
    sha = "0" * 64
    import hashlib

    now = hashlib.sha256(rc.read_bytes()).hexdigest()
    _journal(
        machine, home, original_sha256=sha, backup=str(fifo), last_sha256=now, written=[now]
    )
    assert_one_error(
        fix(machine, "--undo", "--yes"),
        f"{fifo}: is a named pipe (FIFO), not a regular file; nothing was changed",
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0"])
def test_policy_memory_must_be_a_finite_positive_number(machine: Path, value: str) -> None:
    policy = machine / "dlenv.toml"
    policy.write_text(f"[check]\nmin_gpu_memory_gib = {value}\n")
    kind = "integer" if value in ("-1", "0") else "number"
    assert_one_error(
        dlenv(machine, "check", "--quick", *TARGET, "--policy", str(policy)),
        f"{policy}: check.min_gpu_memory_gib: expected a finite number > 0, got {value} ({kind})",
    )


def test_a_policy_that_is_a_fifo_is_refused_without_waiting(machine: Path) -> None:
    fifo = machine / "policy.toml"
    os.mkfifo(fifo)
    run = dlenv(machine, "check", "--quick", *TARGET, "--policy", str(fifo))
    assert run.code == 2 and run.err.count("\n") == 1 and str(fifo) in run.err


@pytest.mark.parametrize("command", ["doctor", "fix", "check"])
def test_from_a_named_fifo_is_refused_without_waiting(machine: Path, command: str) -> None:
    fifo = machine / "report.json"
    os.mkfifo(fifo)
    (machine / "dlenv.toml").write_text(POLICY)
    assert_one_error(
        dlenv(machine, command, "--from", str(fifo)),
        f"{fifo}: is a named pipe (FIFO), not a saved report; "
        "to read a stream, pipe it in with --from -",
    )


def test_from_stdin_and_from_a_process_substitution(machine: Path) -> None:
    saved = dlenv(machine, *QUICK, *TARGET, "-f", "json").out
    run = dlenv(machine, "doctor", "-f", "json", "--from", "-", input=saved.encode(), stdin=None)
    assert run.json()["snapshot"] == json_of(saved)["snapshot"]
    (machine / "r.json").write_text(saved)
    script = f'exec "$@" --from <(cat {machine / "r.json"})'
    proc = subprocess.run(
        ["bash", "-c", script, "bash", sys.executable, "-m", "dlenv", "doctor", "-f", "json"],
        env=env_of(machine),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert json_of(proc.stdout.decode())["snapshot"] == json_of(saved)["snapshot"]


def json_of(text: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads(text)
    return data


def test_explain_of_a_named_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    """`dlenv explain FIFO` used to block in open() until a writer came."""
    fifo = tmp_path / "paste"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "explain", str(fifo), "--no-probe"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc
    assert proc.stderr == (
        f"dlenv: error: {fifo}: is a named pipe (FIFO), not a pasted report; to read a stream, "
        "pipe it in with dlenv explain -\n"
    )
    assert proc.stdout == ""
