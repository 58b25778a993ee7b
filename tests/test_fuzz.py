"""Fuzzing `explain`, `doctor --from`, `check --policy` and the fix plan with hostile data.

In process (through `main`, as the CLI tests do) with hypothesis: whatever the input, the exit
status is 0, 1 or 2, nothing prints a traceback, no control character reaches the output, and
no planted secret appears in any output. The fix renderers' own property tests (values read
back by real shells) are in tests/fix/render/test_hostile_values.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.cli.app import main
from dlenv.report.json import dump_report
from tests.check.machines import report, runner

SECRET = "s3cr3tPAYLOAD"
HOSTILE = [
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b]8;;https://evil/\x1b\\",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "\x9b31m",
    "\r",
    "\n::error::x\n",
    "::stop-commands::t",
    "\0",
    "\ud800",
    "\udcff",
    "\u202e",
    "\u2028",
    "'",
    '"',
    "$(touch PWNED)",
    "`id`",
    "|",
    "\\",
    f"https://bob:{SECRET}@host/simple",
    f"https://h/x?token={SECRET}",
    f"HF_TOKEN={SECRET}",
    "RuntimeError: CUDA error: out of memory",
    "CUDA driver version is insufficient for CUDA runtime version",
    "9" * 40,
    "{",
    "[",
]
TEXT = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_categories=()), max_size=4)),
    max_size=8,
).map("".join)
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def assert_safe(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    for stream in (out, err):
        assert not CONTROL.search(stream), repr(CONTROL.search(stream))
        assert SECRET not in stream


def _hostile_report(value: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dump_report(report(runner())))
    snap = data["snapshot"]
    snap["host"]["hostname"] = value
    snap["host"]["cpu_model"] = value
    snap["gpus"][0]["name"] = value
    snap["env"] += [
        {"name": "CUDA_HOME", "value": value},
        {"name": "PYTHONPATH", "value": value},
        {"name": "LD_LIBRARY_PATH", "value": f"/usr/lib:{value}"},
        {"name": "PIP_EXTRA_INDEX_URL", "value": f"https://bob:{SECRET}@host/simple"},
        {"name": "HF_TOKEN", "value": SECRET},
    ]
    snap["reported_errors"] = [
        {"signature": "unrecognised-error", "text": value, "meaning": value, "count": 1}
    ]
    return data


@FUZZ
@given(value=TEXT)
def test_explain_any_paste(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_bytes(value.encode("utf-8", "surrogatepass"))
    for fmt in ("console", "markdown", "json"):
        assert_safe(*run(["explain", str(paste), "--no-probe", "-f", fmt], capsys))


@FUZZ
@given(value=TEXT)
def test_explain_and_doctor_from_a_hostile_report(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_hostile_report(value)), encoding="utf-8")
    for argv in (
        ["doctor", "--from", str(path), "-v"],
        ["doctor", "--from", str(path), "-f", "markdown"],
        ["doctor", "--from", str(path), "-f", "json", "--redact", "all"],
        ["explain", str(path), "--no-probe"],
        ["fix", "--from", str(path)],
        ["fix", "--from", str(path), "--format", "script", "--shell", "fish"],
    ):
        assert_safe(*run(argv, capsys))


@FUZZ
@given(value=TEXT, key=st.sampled_from(["gpu_name", "driver", "cuda", "python", "min_gpus"]))
def test_check_with_a_hostile_policy_and_report(
    value: str,
    key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_hostile_report(value)), encoding="utf-8")
    policy = tmp_path / "dlenv.toml"
    policy.write_text(f"[check]\n{key} = {json.dumps(value)}\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    code, out, err = run(["check", "--from", str(path), "--policy", str(policy)], capsys)
    assert_safe(code, out, err)
    summary = tmp_path / "summary.md"
    if summary.exists():
        assert not CONTROL.search(summary.read_text(encoding="utf-8"))
    for line in err.splitlines():  # only dlenv's own annotations, each on one line
        assert line.startswith(("::error ", "::warning ", "dlenv: error: ")), line


@FUZZ
@given(value=TEXT)
def test_doctor_from_garbage(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    path.write_text(
        '{"kind": "dlenv-report", "schema_version": 1, "x": ' + value, "utf-8", "surrogatepass"
    )
    assert_safe(*run(["doctor", "--from", str(path)], capsys))
    assert_safe(*run(["explain", str(path), "--no-probe"], capsys))
