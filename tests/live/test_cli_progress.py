"""`dlenv doctor` with the real live probes, stderr not a terminal: JSON on stdout always parses
and stderr stays empty; the human formats log one line per probe (CI logs); DLENV_PROGRESS
overrides; a bad DLENV_PROGRESS is a usage error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dlenv.cli.app import main

LINE = re.compile(r"dlenv: live probe torch: ok \(\d+\.\d s\)\n")


def _doctor(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--only", "torch", "--fail-on", "never", *args])
    return int(exited.value.code or 0)


def _live(document: str) -> list[tuple[str, str]]:
    return [(p["framework"], p["status"]) for p in json.loads(document)["snapshot"]["live"]]


def test_json_to_a_pipe_leaves_stderr_empty(
    framework_python: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _doctor("--python", framework_python, "--format", "json") == 0
    out, err = capsys.readouterr()
    assert (err, _live(out)) == ("", [("torch", "ok")])


def test_json_to_a_file_with_lines_asked_for(
    framework_python: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DLENV_PROGRESS", "lines")
    report = tmp_path / "report.json"
    assert _doctor("--python", framework_python, "--format", "json", "-o", str(report)) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert LINE.fullmatch(err), err
    assert _live(report.read_text()) == [("torch", "ok")]


def test_console_report_logs_one_line_per_probe(
    framework_python: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _doctor("--python", framework_python) == 0
    out, err = capsys.readouterr()
    assert LINE.fullmatch(err), err
    assert "dlenv: live probe" not in out


def test_unknown_progress_value_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLENV_PROGRESS", "loud")
    assert _doctor("--format", "json") == 2
    assert capsys.readouterr() == (
        "",
        "dlenv: error: DLENV_PROGRESS: unknown value 'loud' (choose from auto, lines, off)\n",
    )
