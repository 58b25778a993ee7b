"""`dlenv doctor --from`: render and re-diagnose saved reports; bad files exit 2 in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.report.json import dump_report
from tests.report.samples import healthy_report


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_saved_report_renders_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "report.json"
    saved.write_text(dump_report(healthy_report()))
    code, out, _ = run(["doctor", "--from", str(saved)], capsys)
    assert code == 0
    assert "NVIDIA GeForce RTX 4090" in out


def test_json_output_to_file_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "report.json"
    saved.write_text(dump_report(healthy_report()))
    out_file = tmp_path / "again.json"
    code, out, _ = run(
        ["doctor", "--from", str(saved), "--format", "json", "--output", str(out_file)], capsys
    )
    assert (code, out) == (0, "")
    assert json.loads(out_file.read_text())["snapshot"] == json.loads(saved.read_text())["snapshot"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1)",
        ),
        ('{"kind": "something-else"}', 'not a dlenv report (no "kind": "dlenv-report")'),
        (
            '{"kind": "dlenv-report", "schema_version": 99}',
            "schema_version 99 is not supported (this dlenv reads up to 1); upgrade dlenv",
        ),
        (
            '{"kind": "dlenv-report", "schema_version": 1, "snapshot": {"schema_version": 7}}',
            "schema_version 7 is not supported (this dlenv reads up to 1); upgrade dlenv",
        ),
        (
            '{"kind": "dlenv-report", "schema_version": 1, "snapshot": {"gpus": [{"index": "x"}]}}',
            "malformed report: $.snapshot.gpus[0].index: expected int, got 'x'",
        ),
    ],
)
def test_corrupt_report_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(["doctor", "--from", str(bad)], capsys)
    assert (code, out) == (2, "")
    assert err == f"dlenv: error: {bad}: {message}\n"


def test_missing_report_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["doctor", "--from", str(tmp_path / "nope.json")], capsys)
    assert code == 2
    assert (
        err == f"dlenv: error: {tmp_path / 'nope.json'}: cannot read (No such file or directory)\n"
    )


def test_explain_result_is_read_through_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dlenv explain --format json` output feeds `doctor --from` and `fix --from` directly."""
    paste = Path(__file__).parents[1] / "importers" / "data" / "collect_env_driver_too_old.txt"
    code, out, _ = run(["explain", "--no-probe", str(paste), "--format", "json"], capsys)
    assert code == 1
    saved = tmp_path / "explained.json"
    saved.write_text(out)
    explained = json.loads(out)["report"]

    code, out, _ = run(["doctor", "--from", str(saved), "--format", "json"], capsys)
    assert code == 1
    again = json.loads(out)
    assert again["snapshot"] == explained["snapshot"]
    assert [f["code"] for f in again["findings"]] == [f["code"] for f in explained["findings"]]

    code, out, _ = run(["fix", "--from", str(saved), "--shell", "bash"], capsys)
    assert code == 1  # like doctor: the errors are still there until the plan is carried out
    assert "--index-url https://download.pytorch.org/whl/cu118" in out


def test_explain_result_without_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "dlenv-explain", "schema_version": 1}')
    code, out, err = run(["doctor", "--from", str(bad)], capsys)
    assert (code, out) == (2, "")
    assert err == f'dlenv: error: {bad}: not a dlenv report (no "kind": "dlenv-report")\n'
