"""The real `python -m dlenv` on hostile or odd machines: never a traceback, never a hang.

Each case runs the CLI in a subprocess with an environment built here (a temporary HOME, PATH
and trees) and checks the contract: bad input is one `dlenv: error: ...` line and exit 2; a
broken machine is a normal report with the problem recorded; every run ends within its timeout.
Tests may run as root, for whom chmod 000 hides nothing: those cases still run, and assert only
what holds for every user.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SRC = str(Path(__file__).resolve().parent.parent / "src")
TIMEOUT = 1.0  # --timeout for the cases where something hangs
SLACK = 2.0  # what dlenv may take beyond it: start-up, the other probes; and all a case may take
QUICK = ["doctor", "--quick"]
HANG = ["--timeout", str(TIMEOUT)]
TARGET = ["--python", sys.executable]  # a real interpreter, the same on every machine


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "bin").mkdir()
    return tmp_path


def _env(root: Path, **extra: str | bytes | None) -> dict[bytes, bytes]:
    env: dict[str, str | bytes | None] = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root / "home"),
        "PYTHONPATH": SRC,
        "NO_COLOR": "1",
        "COLUMNS": "100",
        **extra,
    }
    return {
        k.encode(): v if isinstance(v, bytes) else v.encode()
        for k, v in env.items()
        if v is not None
    }


def dlenv(
    root: Path,
    *args: str,
    env: Mapping[bytes, bytes] | None = None,
    cwd: str | None = None,
    limit: float = TIMEOUT + SLACK,
    **popen: Any,
) -> Run:
    """Run the CLI; fail on a traceback or on taking longer than `limit` seconds."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        env=env if env is not None else _env(root),
        cwd=cwd or str(root),
        stdin=popen.pop("stdin", subprocess.DEVNULL),
        stdout=popen.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        timeout=limit + 10,
        check=False,
        **popen,
    )
    seconds = time.monotonic() - start
    out = (proc.stdout or b"").decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err + out, err
    assert seconds < limit, f"took {seconds:.1f} s"
    return Run(proc.returncode, out, err, seconds)


def executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def assert_one_error(run: Run, message: str) -> None:
    assert (run.code, run.err, run.out) == (2, f"dlenv: error: {message}\n", "")


# -- environment values and search paths ------------------------------------------------------
def test_non_utf8_bytes_in_environment_values_and_paths(machine: Path) -> None:
    env = _env(
        machine,
        WEIRD=b"\xff\xfe bad",
        PATH=b"/usr/bin:/bin:/tmp/\xe9\xff",
        PYTHONPATH=SRC.encode() + b":/tmp/\xffmissing",
        LD_LIBRARY_PATH=b"/tmp/\xff\xfe:/usr/lib",
        CUDA_HOME=b"/opt/\xff",
    )
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", env=env)
    assert run.code in (0, 1)
    snapshot = run.json()["snapshot"]
    values = {v["name"]: v["value"] for v in snapshot["env"]}
    assert values["LD_LIBRARY_PATH"] == "/tmp/\ufffd\ufffd:/usr/lib"
    assert snapshot["cuda"]["cuda_home"] == "/opt/\ufffd"
    assert [(p["path"], p["exists"]) for p in snapshot["python"]["pythonpath"]] == [
        (SRC, True),
        ("/tmp/\ufffdmissing", False),
    ]
    assert dlenv(machine, *QUICK, *TARGET, env=env).code in (0, 1)  # console too
    assert dlenv(machine, "fix", *TARGET, env=env).code == 0


def test_odd_entries_in_path_pythonpath_and_ld_library_path(machine: Path) -> None:
    plain_file = machine / "a-file"
    plain_file.write_text("x")
    locked = machine / "locked"  # chmod 000: unreadable to a user, not to root
    executable(locked / "nvcc", "echo never")
    locked.chmod(0)
    broken = machine / "broken"
    broken.symlink_to(machine / "nowhere" / "at-all")
    loop = machine / "loop"
    loop.symlink_to(loop)
    odd = ":".join(str(p) for p in (plain_file, locked, broken, loop))
    env = _env(machine, PATH=f"{odd}:/usr/bin:/bin", LD_LIBRARY_PATH=odd, PYTHONPATH=f"{SRC}:{odd}")
    try:
        run = dlenv(machine, *QUICK, *TARGET, "-f", "json", env=env)
    finally:
        locked.chmod(0o755)
    assert run.code in (0, 1)
    entries = run.json()["snapshot"]["python"]["pythonpath"]
    assert [(p["path"], p["exists"]) for p in entries] == [
        (SRC, True),
        (str(plain_file), True),
        (str(locked), True),
        (str(broken), False),
        (str(loop), False),
    ]


def test_symlink_loops_in_a_cuda_tree(machine: Path) -> None:
    cuda = machine / "cuda-12.4"
    (cuda / "bin").mkdir(parents=True)
    (cuda / "targets" / "x86_64-linux").mkdir(parents=True)
    (cuda / "lib64").symlink_to(cuda / "lib64")
    (cuda / "targets" / "x86_64-linux" / "lib").symlink_to("../../targets/x86_64-linux")
    (cuda / "include").symlink_to(cuda)
    (cuda / "bin" / "nvcc").symlink_to(machine / "no-nvcc")
    (cuda / "version.json").write_bytes(b'{"cuda": {"version": \xff')
    (cuda / "version.txt").symlink_to(cuda / "version.txt")
    looped_root = machine / "cuda-loop"
    looped_root.symlink_to(looped_root)
    env = _env(
        machine,
        CUDA_HOME=str(cuda),
        CUDA_PATH=str(looped_root),
        PATH=f"{cuda}/bin:{looped_root}/bin:/usr/bin:/bin",
        LD_LIBRARY_PATH=f"{cuda}/lib64:{cuda}/targets/x86_64-linux/lib:{looped_root}",
    )
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", env=env)
    assert run.code in (0, 1)
    toolkit = next(t for t in run.json()["snapshot"]["cuda"]["toolkits"] if t["path"] == str(cuda))
    assert (toolkit["version"], toolkit["nvcc"]) == (None, None)


def test_nvcc_that_hangs_respects_timeout(machine: Path) -> None:
    cuda = machine / "cuda-hang"
    executable(cuda / "bin" / "nvcc", "sleep 100")
    env = _env(machine, CUDA_HOME=str(cuda))
    run = dlenv(machine, *QUICK, *HANG, *TARGET, "-f", "json", env=env)
    toolkit = next(t for t in run.json()["snapshot"]["cuda"]["toolkits"] if t["path"] == str(cuda))
    assert toolkit["unknown"]["nvcc_version"] == f"{cuda}/bin/nvcc timed out after 1.0 s"


# -- a large, damaged site-packages ------------------------------------------------------------
def test_two_thousand_distributions_some_corrupt(machine: Path) -> None:
    site = machine / "site"
    for i in range(2000):
        info = site / f"pkg{i}-1.{i}.dist-info"
        info.mkdir(parents=True)
        kind = i % 50
        if kind == 0:
            (info / "METADATA").write_text("")
        elif kind == 1:
            (info / "METADATA").write_bytes(bytes(range(256)) * 2)
        elif kind == 3:
            (info / "METADATA").symlink_to(info / "METADATA")
        elif kind == 4:
            (info / "METADATA").mkdir()
        elif kind != 2:  # 2: no METADATA at all
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pkg{i}\nVersion: 1.{i}\n")
        if i % 7 == 0:
            (info / "RECORD").write_bytes(bytes(range(255, -1, -1)) * 2)
        if i % 11 == 0:
            (info / "INSTALLER").write_bytes(b"\xff\xfe\x00pip")
    torch = site / "torch-2.3.0.dist-info"
    torch.mkdir()
    (torch / "METADATA").write_bytes(b"Name: torch\nVersion: \xff\xfe\n")
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_bytes(b"\x00\xff garbage = (\n")
    (site / "loop-a").symlink_to(site / "loop-b")
    (site / "loop-b").symlink_to(site / "loop-a")
    env = _env(machine, PYTHONPATH=f"{SRC}:{site}")
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", env=env)
    snapshot = run.json()["snapshot"]
    assert snapshot["python"]["distribution_count"] >= 2001
    assert snapshot["unknown"] == {}
    torch_facts = next(f for f in snapshot["frameworks"] if f["name"] == "torch")
    assert (torch_facts["version"], torch_facts["location"]) == ("2.3.0", str(site / "torch"))


# -- --python that is not a working interpreter ------------------------------------------------
@pytest.mark.parametrize(
    ("name", "body", "mode", "why"),
    [
        ("not-executable", "print('hi')", 0o644, "{path}: permission denied"),
        ("exits-1", "echo oops >&2; exit 1", 0o755, "{path} exited with 1: oops"),
        ("hangs", "sleep 100", 0o755, "{path} timed out after 1.0 s"),
        ("prints-a-list", "echo '[1, 2]'", 0o755, "printed no report (got '[1, 2]')"),
    ],
)
def test_python_that_is_not_an_interpreter(
    machine: Path, name: str, body: str, mode: int, why: str
) -> None:
    path = executable(machine / "bin" / name, body)
    path.chmod(mode)
    run = dlenv(machine, *QUICK, *HANG, "--python", str(path))
    assert_one_error(run, f"--python {path}: cannot inspect it ({why.format(path=path)})")


def test_python_that_prints_binary_garbage(machine: Path) -> None:
    path = executable(machine / "bin" / "garbage", "printf '\\377\\376\\033[2J\\000junk'")
    run = dlenv(machine, *QUICK, "--python", str(path))
    assert run.code == 2
    assert run.err.startswith(f"dlenv: error: --python {path}: cannot inspect it (printed no")
    assert run.err.count("\n") == 1 and "\x1b" not in run.err


def test_python_that_is_missing_or_a_directory(machine: Path) -> None:
    missing = machine / "no-python"
    assert_one_error(
        dlenv(machine, *QUICK, "--python", str(missing)),
        f"--python {missing}: no such interpreter",
    )
    run = dlenv(machine, *QUICK, "--python", str(machine))
    assert_one_error(run, f"--python {machine}: cannot inspect it ({machine}: permission denied)")


def test_python_that_hangs_bounds_full_doctor_fix_and_explain(machine: Path) -> None:
    path = executable(machine / "bin" / "hangs", "sleep 100")
    message = f"--python {path}: cannot inspect it ({path} timed out after 1.0 s)"
    for args in (["doctor", "--live-timeout", "1"], ["fix"]):
        assert_one_error(dlenv(machine, *args, *HANG, "--python", str(path)), message)


# -- nvidia-smi in every bad state -------------------------------------------------------------
SMI_CASES = [
    ("sleep 100", 0, "nvidia-smi did not answer within 1 s (killed)", []),
    ("echo 'infoROM bad'; exit 14", 0, "infoROM bad", []),
    ("exit 15", 0, "the GPU has fallen off the bus or has otherwise become inaccessible", []),
    (
        "exit 18",
        1,
        "the driver/library versions mismatch (NVML_ERROR_LIB_RM_VERSION_MISMATCH)",
        ["DL105"],
    ),
    ("head -c 3000 /dev/urandom", 0, None, []),
]


@pytest.mark.parametrize(("body", "code", "error", "findings"), SMI_CASES)
def test_fake_nvidia_smi(
    machine: Path, body: str, code: int, error: str | None, findings: list[str]
) -> None:
    executable(machine / "smi" / "nvidia-smi", body)
    env = _env(machine, PATH=f"{machine / 'smi'}:/usr/bin:/bin")
    run = dlenv(machine, *QUICK, *HANG, *TARGET, "-f", "json", env=env)
    assert run.code == code
    document = run.json()
    reading = next(
        r for r in document["snapshot"]["driver"]["readings"] if r["source"] == "nvidia-smi"
    )
    if error is not None:
        assert reading["error"] == error
    assert [f["code"] for f in document["findings"]] == findings
    if "sleep" not in body:  # the console shows the same; a hang need not be waited for twice
        console = dlenv(machine, *QUICK, *TARGET, env=env)
        assert console.code == code and "\x1b" not in console.out


def test_fake_nvidia_smi_with_err_fields(machine: Path) -> None:
    row = ", ".join(["0", *["ERR!"] * 15, "[ERR!]"])  # index + 15 fields + compute_cap
    executable(machine / "smi" / "nvidia-smi", f"echo '{row}'")
    env = _env(machine, PATH=f"{machine / 'smi'}:/usr/bin:/bin")
    run = dlenv(machine, *QUICK, *TARGET, "-f", "json", env=env)
    assert run.code in (0, 1)
    readings = run.json()["snapshot"]["driver"]["readings"]
    assert next(r for r in readings if r["source"] == "nvidia-smi")["error"] is None


# -- tools and files the machine lacks --------------------------------------------------------
def test_no_ldconfig_and_nothing_on_path(machine: Path) -> None:
    run = dlenv(machine, *QUICK, *TARGET, env=_env(machine, PATH=str(machine / "empty")))
    assert run.code in (0, 1)
    assert run.out.startswith("dlenv ")


def test_home_unset(machine: Path) -> None:
    env = _env(machine, HOME=None)
    assert dlenv(machine, *QUICK, *TARGET, env=env).code in (0, 1)
    assert dlenv(machine, "fix", *TARGET, env=env).code == 0


def test_deleted_working_directory(machine: Path) -> None:
    gone = machine / "gone"
    gone.mkdir()
    env = _env(machine)

    def in_gone(*args: str) -> Run:
        """Run dlenv from inside `gone`, removed by the shell just before."""
        line = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "dlenv", *args))
        where = shlex.quote(str(gone))
        start = time.monotonic()
        proc = subprocess.run(
            ["/bin/sh", "-c", f"cd {where} && rmdir {where} && exec {line}"],
            env=env,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - start
        err = proc.stderr.decode()
        assert "Traceback" not in err and seconds < TIMEOUT + SLACK
        return Run(proc.returncode, proc.stdout.decode(), err, seconds)

    doctor = in_gone(*QUICK, *TARGET, "-f", "json")
    assert doctor.code in (0, 1)
    assert doctor.json()["snapshot"]["python"]["sys_path"][0]["exists"] is False
    gone.mkdir()
    check = in_gone("check", "--quick")
    assert (check.code, check.err) == (
        2,
        "dlenv: error: the working directory no longer exists, so no dlenv.toml can be found "
        "from it; cd to an existing directory or pass --policy FILE\n",
    )


# -- where the output goes --------------------------------------------------------------------
def test_stdout_closed(machine: Path) -> None:
    run = dlenv(machine, *QUICK, *TARGET, stdout=None, preexec_fn=lambda: os.close(1))
    assert run.code in (0, 1) and run.err == ""


def test_broken_pipe_is_quiet_and_keeps_the_exit_code(machine: Path) -> None:
    expected = dlenv(machine, *QUICK, *TARGET).code
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before dlenv writes a byte: `| head -0`
    try:
        run = dlenv(machine, *QUICK, *TARGET, stdout=write_end)
    finally:
        os.close(write_end)
    assert (run.code, run.err) == (expected, "")


def test_stdout_on_a_full_disk(machine: Path) -> None:
    with open("/dev/full", "wb") as full:
        run = dlenv(machine, *QUICK, *TARGET, stdout=full)
    assert (run.code, run.err) == (
        2,
        "dlenv: error: cannot write the report (No space left on device)\n",
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"TERM": "dumb", "COLUMNS": "20", "NO_COLOR": "1"},
        {"COLUMNS": "-5", "LINES": "abc"},
        {"COLUMNS": "1"},
        {"PYTHONIOENCODING": "ascii"},
        {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ],
)
def test_odd_terminals_and_encodings(machine: Path, extra: dict[str, str]) -> None:
    run = dlenv(machine, *QUICK, *TARGET, env=_env(machine, **extra))
    assert run.code in (0, 1) and run.err == ""
    assert run.out.startswith("dlenv ") and "\x1b" not in run.out


def test_explain_with_stdin_closed(machine: Path) -> None:
    run = dlenv(machine, "explain", "--no-probe", "-", preexec_fn=lambda: os.close(0))
    assert run.code == 2
    assert run.err.startswith("dlenv: error: <stdin>: nothing recognised")


# -- a corrupt --from report ------------------------------------------------------------------
def test_corrupt_saved_reports(machine: Path) -> None:
    saved = machine / "good.json"
    good = dlenv(machine, *QUICK, *TARGET, "-f", "json", "-o", str(saved))
    assert good.code in (0, 1)
    text = saved.read_text()
    document = json.loads(text)
    cases: dict[str, tuple[str | bytes, str]] = {
        "truncated.json": (text[: len(text) // 2], "not valid JSON ("),
        "list.json": ("[1, 2]", 'not a dlenv report (no "kind": "dlenv-report")'),
        "schema.json": (
            json.dumps({**document, "schema_version": 99}),
            "schema_version 99 is not supported (this dlenv reads up to 1); upgrade dlenv",
        ),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "not a dlenv report (JSON nested too deep"),
        "binary.json": (b"\xff\xfe\x00", "not a text file"),
    }
    for name, (content, message) in cases.items():
        path = machine / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        for command in ("doctor", "fix"):
            run = dlenv(machine, command, "--from", str(path))
            assert (run.code, run.out) == (2, "")
            assert run.err.startswith(f"dlenv: error: {path}: {message}"), run.err
            assert run.err.count("\n") == 1


def test_from_a_device_or_a_directory(machine: Path) -> None:
    assert_one_error(
        dlenv(machine, "doctor", "--from", "/dev/zero"),
        "/dev/zero: is a character device, not a saved report",
    )
    assert_one_error(
        dlenv(machine, "doctor", "--from", str(machine)),
        f"{machine}: is a directory, not a saved report",
    )


# -- dlenv fix --apply on files it cannot sensibly edit ---------------------------------------
def _fix_env(machine: Path, **extra: str) -> dict[bytes, bytes]:
    # a PYTHONPATH entry that does not exist gives `fix` an environment step to apply
    return _env(machine, PYTHONPATH=f"{SRC}:{machine / 'missing'}", SHELL="/bin/bash", **extra)


def _apply(machine: Path, *args: str, **extra: str) -> Run:
    return dlenv(
        machine,
        "fix",
        "--apply",
        "--yes",
        *TARGET,
        *args,
        env=_fix_env(machine, **extra),
    )


def test_fix_apply_refuses_rc_files_it_cannot_edit(machine: Path) -> None:
    loop = machine / "rc-loop"
    loop.symlink_to(loop)
    dangling = machine / "rc-dangling"
    dangling.symlink_to(machine / "no-such-dir" / "rc")
    fifo = machine / "rc-fifo"
    os.mkfifo(fifo)
    rc_dir = machine / "rc-dir"
    rc_dir.mkdir()
    cases = [
        (loop, f"--rc-file {loop}: cannot read (Too many levels of symbolic links)"),
        (dangling, f"--rc-file {dangling}: its directory does not exist"),
        (fifo, f"--rc-file {fifo}: not a regular file"),
        (Path("/dev/full"), "--rc-file /dev/full: not a regular file"),
        (rc_dir, f"{rc_dir}: is a directory, not a file"),
    ]
    for rc, message in cases:
        assert_one_error(_apply(machine, "--target", "shell", "--rc-file", str(rc)), message)
    assert not (machine / "no-such-dir").exists()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_fix_apply_and_undo_with_a_state_directory_that_is_a_file(machine: Path) -> None:
    state = machine / "state-file"
    state.write_text("")
    rc = machine / "rc"
    rc.write_text("# mine\n")
    message = f"{state}/dlenv: Not a directory"
    run = _apply(machine, "--target", "shell", "--rc-file", str(rc), XDG_STATE_HOME=str(state))
    assert (run.code, run.err) == (2, f"dlenv: error: {message}\n")
    undo = dlenv(
        machine, "fix", "--undo", "--yes", env=_fix_env(machine, XDG_STATE_HOME=str(state))
    )
    assert_one_error(undo, message)
    assert rc.read_text() == "# mine\n"


# -- options and policies that are not what they claim ----------------------------------------
def test_policy_nested_too_deeply(machine: Path) -> None:
    policy = machine / "dlenv.toml"
    policy.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_one_error(
        dlenv(machine, "check", "--quick", "--policy", str(policy)),
        f"{policy}: nested too deeply to be a policy",
    )


@pytest.mark.parametrize("value", ["inf", "nan", "1e309"])
def test_timeouts_that_are_not_a_number_of_seconds(machine: Path, value: str) -> None:
    run = dlenv(machine, *QUICK, "--timeout", value)
    assert run.code == 2 and run.out == ""
    shown = "nan" if value == "nan" else "inf"
    assert run.err.endswith(
        f"Error: Invalid value for '--timeout' (env var: 'DLENV_TIMEOUT'): "
        f"{shown} is not a number of seconds\n"
    )
