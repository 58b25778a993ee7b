"""The reproducers of the "hostile inputs" issue, run as the real `python -m dlenv`.

A saved report, a paste or an environment value is someone else's data: it must not add a line
to `.env`, start a GitHub workflow command, drive the terminal, leak a password, crash dlenv
with a traceback, or leave a child process running.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parent.parent / "src")
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"


def dlenv(
    cwd: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "PYTHONPATH": SRC,
        "NO_COLOR": "1",
        "COLUMNS": "80",
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "dlenv", *args],
        cwd=cwd,
        env={**base, **env},
        input=stdin,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 2), (done.returncode, done.stderr)
    return done


def saved_report(tmp_path: Path, name: str = "base.json", **env: str) -> Path:
    dlenv(tmp_path, "doctor", "--quick", "-f", "json", "-o", name, **env)
    return tmp_path / name


def edited(path: Path, name: str, change: object) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    out = path.with_name(name)
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


# -- 3. a saved report cannot inject lines into .env -----------------------------------------
def test_a_saved_report_cannot_add_a_line_to_dotenv(tmp_path: Path) -> None:
    evil = saved_report(tmp_path, "evil.json", PYTHONPATH="/nonexistent/x\nLD_PRELOAD=/tmp/evil.so")
    done = dlenv(tmp_path, "fix", "--from", str(evil), "--apply", "--yes", "--target", "dotenv")
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")] == []
    assert (
        "# dlenv: a .env file cannot remove entries from PYTHONPATH: "
        + ("/nonexistent/x\\nLD_PRELOAD=/tmp/evil.so")
        in lines
    )


# -- 4. no workflow command through stdout ---------------------------------------------------
def _commands(stdout: str) -> list[str]:
    """The lines a GitHub runner would take as workflow commands, honouring stop-commands."""
    found, stopped = [], None
    for line in stdout.splitlines():
        text = line.strip()
        if stopped is not None:
            if text == f"::{stopped}::":
                stopped = None
            continue
        if m := re.match(r"::stop-commands::(.+)$", text):
            stopped = m.group(1)
        elif text.startswith("::"):
            found.append(text)
    return found


def test_a_value_cannot_start_a_workflow_command_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "dlenv.toml").write_text("[check]\nmin_gpus = 0\n", encoding="utf-8")
    value = "/nonexistent/" + "a" * 60 + " ::error title=X::injected\n::stop-commands::x"
    done = dlenv(tmp_path, "check", "--quick", CUDA_HOME=value, GITHUB_ACTIONS="true")
    assert "injected" in done.stdout  # shown, as data
    assert _commands(done.stdout) == []
    assert done.stdout.startswith("::stop-commands::dlenv-")


def test_fix_output_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    evil = saved_report(tmp_path, "evil.json", PYTHONPATH="/x\n::error::injected")
    done = dlenv(tmp_path, "fix", "--from", str(evil), GITHUB_ACTIONS="true")
    assert "injected" in done.stdout
    assert _commands(done.stdout) == []


# -- 5. no terminal escape sequence reaches the terminal -------------------------------------
def test_explain_shows_escape_sequences_visibly(tmp_path: Path) -> None:
    paste = tmp_path / "p.txt"
    paste.write_text(f"RuntimeError: CUDA error: {OSC52} boom\n", encoding="utf-8")
    for fmt in ("console", "markdown", "json"):
        done = dlenv(tmp_path, "explain", str(paste), "--no-probe", "-f", fmt)
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
        if fmt != "json":
            assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07 boom" in done.stdout


def test_doctor_shows_escape_sequences_visibly(tmp_path: Path) -> None:
    base = saved_report(tmp_path)

    def gpu(data: dict) -> None:  # type: ignore[type-arg]
        data["snapshot"]["host"]["hostname"] = f"box{OSC52}\x9b31m"
        data["snapshot"]["env"].append({"name": "CUDA_HOME", "value": f"/x{OSC52}"})

    hostile = edited(base, "hostile.json", gpu)
    (tmp_path / "dlenv.toml").write_text('[check]\ngpu_name = "A100"\n', encoding="utf-8")
    runs = [
        dlenv(tmp_path, "doctor", "--from", str(hostile), "-v"),
        dlenv(tmp_path, "doctor", "--from", str(hostile), "-f", "markdown"),
        dlenv(tmp_path, "doctor", "--from", str(hostile), "-f", "json"),
        dlenv(tmp_path, "check", "--from", str(hostile), GITHUB_ACTIONS="true"),
        dlenv(tmp_path, "doctor", "--quick", "-v", CUDA_HOME=f"/x{OSC52}"),
    ]
    for done in runs:
        for stream in (done.stdout, done.stderr):
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", stream), stream
    assert "\\x1b]52" in runs[0].stdout and "\\x1b]52" in runs[4].stdout


# -- 7. children never outlive dlenv ---------------------------------------------------------
def test_an_absurd_timeout_is_a_usage_error(tmp_path: Path) -> None:
    for value in ("1e9", "1e300", "3601"):
        done = dlenv(tmp_path, "doctor", "--quick", "--timeout", value)
        assert done.returncode == 2 and "3600" in done.stderr
    assert dlenv(tmp_path, "doctor", "--quick", "--live-timeout", "1e9").returncode == 2


def _fake_python(tmp_path: Path) -> Path:
    """An "interpreter" that starts a grandchild, records both pids, and hangs."""
    fake = tmp_path / "fakepy"
    fake.write_text(
        "#!/bin/sh\n"
        f"sleep 600 & echo $! >> {tmp_path}/pids\n"
        f"echo $$ >> {tmp_path}/pids\n"
        "exec sleep 601\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    return fake


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie waiting for its parent is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _wait_for_pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) >= 2:
            return [int(p) for p in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the fake interpreter never started")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_kills_every_child_and_grandchild(tmp_path: Path, signum: int) -> None:
    fake = _fake_python(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlenv", "doctor", "--python", str(fake), "--timeout", "300"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pids = _wait_for_pids(tmp_path / "pids")
        pgid = os.getpgid(pids[-1])
        assert pgid != os.getpgid(proc.pid)  # its own process group
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum
    assert "Traceback" not in err and "terminated" in err
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if _alive(p)] == []


def test_a_live_probe_group_is_killed_on_sigterm(tmp_path: Path) -> None:
    """The live runner's children (and theirs) are recorded and killed by the handler."""
    fake = _fake_python(tmp_path)
    script = (
        "import sys\n"
        "from dlenv.system import children\n"
        "from dlenv.live.runner import LiveRun\n"
        "children.install_signal_handlers()\n"
        "try:\n"
        f"    with LiveRun({str(fake)!r}, ['torch'], timeout=300) as run:\n"
        "        run.wait()\n"
        "except children.Terminated as exc:\n"
        "    sys.exit(128 + exc.signum)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env=env)
    try:
        pids = _wait_for_pids(tmp_path / "pids")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if _alive(p)] == []


# -- 8. secrets ----------------------------------------------------------------------------
def test_a_password_holding_an_at_sign_never_shows(tmp_path: Path) -> None:
    url = "https://bob:p@ssw0rd@host/simple"
    (tmp_path / "dlenv.toml").write_text("[check]\nmin_gpus = 0\n", encoding="utf-8")
    runs = [
        dlenv(tmp_path, "doctor", "--quick", *extra, PIP_EXTRA_INDEX_URL=url)
        for extra in (["-f", "json"], ["-f", "markdown"], ["--redact", "all"], ["--verbose"])
    ]
    runs.append(dlenv(tmp_path, "check", "--quick", "--json", "c.json", PIP_EXTRA_INDEX_URL=url))
    outputs = [r.stdout + r.stderr for r in runs] + [(tmp_path / "c.json").read_text()]
    for text in outputs:
        assert "ssw0rd" not in text and "bob" not in text
    assert "https://<redacted>@host/simple" in outputs[0]


def test_explain_redacts_the_paste(tmp_path: Path) -> None:
    paste = tmp_path / "p.txt"
    paste.write_text(
        "pip install --extra-index-url https://bob:p@ssw0rd@host/simple torch\n"
        "Downloading https://files.example/x.whl?token=SEKRET123&x=1\n"
        "HF_TOKEN=hf_SEKRET456\n"
        "RuntimeError: CUDA error: out of memory (https://u:SEKRET789@h/)\n",
        encoding="utf-8",
    )
    for extra in ([], ["--redact", "all"], ["-f", "json"], ["-f", "markdown"]):
        done = dlenv(tmp_path, "explain", str(paste), "--no-probe", *extra)
        assert not re.search("ssw0rd|SEKRET", done.stdout), done.stdout


def test_a_harmless_assignment_cannot_hide_the_secret_glued_after_it(tmp_path: Path) -> None:
    """Found by the fuzzer: `ZWNv==` (not secret) swallowed `HF_TOKEN=...` after an escape."""
    paste = tmp_path / "p.txt"
    paste.write_text(
        "x: \x1b]52;c;ZWNobyBwd25lZA==\x07HF_TOKEN=SEKRET1RuntimeError: CUDA error: out of memory\n"
        "opts=a=b==WANDB_API_KEY=SEKRET2 cfg.api_key=SEKRET3 7HF_TOKEN=SEKRET4\n",
        encoding="utf-8",
    )
    for extra in ([], ["-f", "json"], ["-f", "markdown"]):
        done = dlenv(tmp_path, "explain", str(paste), "--no-probe", *extra)
        assert "out of memory" in done.stdout
        assert "SEKRET" not in done.stdout, done.stdout


def test_redaction_stays_linear_on_a_line_of_assignments() -> None:
    from dlenv.report.redact import redact_text

    line = "x=a" * 100_000 + " HF_TOKEN=SEKRET"
    assert redact_text(line).endswith("HF_TOKEN=<redacted>")  # a quadratic pass would hang here


# -- 9. no traceback on hostile reports ------------------------------------------------------
def test_hostile_reports_end_in_one_line_or_a_report(tmp_path: Path) -> None:
    base = saved_report(tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text('{"kind":"dlenv-report","x":' + "[" * 100_000, encoding="utf-8")
    raw = base.read_text(encoding="utf-8")
    big = tmp_path / "big.json"
    big.write_text(
        raw.replace('"schema_version": ', '"n": ' + "9" * 5000 + ', "schema_version": ', 1)
    )

    def empty_text(data: dict) -> None:  # type: ignore[type-arg]
        data["snapshot"]["reported_errors"] = [
            {"signature": "unrecognised-error", "text": "", "meaning": "m", "count": 1}
        ]

    def surrogate(data: dict) -> None:  # type: ignore[type-arg]
        data["snapshot"]["host"]["hostname"] = "\ud800x"
        data["snapshot"]["env"].append({"name": "CUDA_HOME", "value": "/\udcff\ud800"})

    empty = edited(base, "empty.json", empty_text)
    lone = edited(base, "lone.json", surrogate)
    (tmp_path / "dlenv.toml").write_text("[check]\nmin_gpus = 0\n", encoding="utf-8")
    for path, expected in ((deep, 2), (big, 2), (empty, None), (lone, None)):
        for args in (
            ["explain", str(path), "--no-probe"],
            ["explain", str(path), "--no-probe", "-f", "json"],
            ["doctor", "--from", str(path)],
            ["doctor", "--from", str(path), "-f", "markdown"],
            ["check", "--from", str(path)],
        ):
            done = dlenv(tmp_path, *args)
            if expected == 2:
                assert done.returncode == 2
                assert len(done.stderr.splitlines()) == 1, done.stderr
                assert done.stderr.startswith("dlenv: error: ")
            if path is lone:
                assert "\ud800" not in done.stdout and "\udcff" not in done.stdout
    big_policy = tmp_path / "big.toml"
    big_policy.write_text("[check]\nmin_gpus = " + "9" * 5000 + "\n", encoding="utf-8")
    done = dlenv(tmp_path, "check", "--from", str(base), "--policy", str(big_policy))
    assert done.returncode == 2 and "number too long" in done.stderr
