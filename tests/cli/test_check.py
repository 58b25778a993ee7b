"""`dlenv check` end to end: policies, exit codes, JSON, JUnit and GitHub outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.report.json import dump_report
from tests.check.machines import report, runner

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A report captured on a healthy 2×A100 runner, torch's live probe missing.

    `--from` diagnoses the saved snapshot again, so its findings come from the real rules.
    """
    path = tmp_path / "runner.json"
    path.write_text(dump_report(report(runner(live=[]))), encoding="utf-8")
    return path


def policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dlenv.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_explain_policy_probes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(tmp_path, '[check]\nmin_gpus = 1\npython = ">=3.10"\n')
    monkeypatch.chdir(tmp_path)
    assert run(["check", "--explain-policy"], capsys) == (
        0,
        f"Policy from {tmp_path / 'dlenv.toml'} [check]:\n"
        "  min_gpus: at least 1 visible GPU(s)\n"
        "  python: Python >=3.10\n"
        "  findings: every error fails the check\n",
        "",
    )


def test_bad_policy_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy(tmp_path, '[check]\ntorch = ">=2.3"\n')
    code, out, err = run(["check", "--policy", str(path), "--explain-policy"], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dlenv: error: {path}: check.torch: unknown key (framework versions go in "
        '[check.frameworks]: torch = ">=…"); known keys: '
        "min_gpus, gpu_name, min_gpu_memory_gib, min_compute_capability, driver, driver_cuda, "
        "cuda, cudnn, python, frameworks, gpu_frameworks, tensorflow_memory_growth, health, "
        "ignore, fail_on_warnings, smoke\n"
    )


def test_unknown_framework_for_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = policy(tmp_path, "[check]\n")
    assert run(["check", "-p", str(path), "--only", "torch,caffe"], capsys) == (
        2,
        "",
        "dlenv: error: --only: unknown framework 'caffe'; expected torch, tensorflow, keras, "
        "jax, tf-keras\n",
    )


def test_only_accepts_the_same_aliases_as_doctor() -> None:
    from dlenv.cli.check import _frameworks

    assert _frameworks(["PyTorch, tf", "torch", "tf-keras"]) == ["torch", "tensorflow", "tf-keras"]


def test_json_carries_the_policy_result(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy(
        tmp_path, '[check]\nmin_gpus = 4\npython = ">=3.10"\ngpu_frameworks = ["torch"]\n'
    )
    code, out, err = run(
        ["check", "-p", str(path), "--from", str(saved), "--format", "json", "--no-github"], capsys
    )
    assert (code, err) == (1, "")
    document = json.loads(out)
    assert document["policy"] == {
        "source": str(path),
        "passed": False,
        "strict": True,
        "only": [],
        "requirements": [
            {
                "key": "min_gpus",
                "title": "GPUs",
                "outcome": "fail",
                "needed": "at least 4",
                "found": "2 (NVIDIA A100-SXM4-80GB)",
                "detail": None,
            },
            {
                "key": "python",
                "title": "Python",
                "outcome": "pass",
                "needed": ">=3.10",
                "found": "3.11.7",
                "detail": None,
            },
            {
                "key": "gpu_frameworks.torch",
                "title": "torch uses the GPU",
                "outcome": "unchecked",
                "needed": "sees a GPU and computes",
                "found": "no live probe",
                "detail": "no live probe result for torch, as with --quick or a report saved "
                "with it; run `dlenv check` on the runner itself, without --quick, so the live "
                "probe runs",
            },
        ],
        "findings": [],
        "counts": {
            "passed": 1,
            "failed": 1,
            "unchecked": 1,
            "findings_failed": 0,
            "findings_ignored": 0,
        },
    }


def test_could_not_check_fails_unless_allowed(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy(tmp_path, '[check]\npython = ">=3.10"\ngpu_frameworks = ["torch"]\n')
    out_file = tmp_path / "out.json"
    base = ["check", "-p", str(path), "--from", str(saved), "-f", "json", "-o", str(out_file)]
    assert run(base, capsys) == (1, "", "")
    assert json.loads(out_file.read_text())["policy"]["strict"] is True
    # --strict is the default, still accepted
    assert run([*base, "--strict"], capsys) == (1, "", "")
    assert run([*base, "--allow-unknown"], capsys) == (0, "", "")
    assert json.loads(out_file.read_text())["policy"]["passed"] is True
    assert run([*base, "--allow-unknown", "--strict"], capsys) == (
        2,
        "",
        "dlenv: error: --strict and --allow-unknown contradict each other; pick one\n",
    )


def _verdict(out: str) -> str:
    return out.split("\n\nPolicy ", 1)[1]


def test_a_driver_known_absent_fails_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's runner: `driver.installed = false` against `driver = ">=550"`."""
    from tests.check.machines import cpu_box

    saved = tmp_path / "runner-without-driver.json"
    saved.write_text(dump_report(report(cpu_box())), encoding="utf-8")
    path = policy(tmp_path, '[check]\ndriver = ">=550"\n')
    code, out, _ = run(["check", "-p", str(path), "--from", str(saved)], capsys)
    assert code == 1
    assert "No problems found" not in out  # the doctor's verdict never stands above the policy's
    assert _verdict(out) == (
        f"{path}\n"
        "  ✗ fail            NVIDIA driver: needed >=550, found not installed (no NVIDIA driver)\n"
        "dlenv check FAILED: 0 of 1 requirements met, 1 failed\n"
    )


def test_quick_leaves_gpu_frameworks_open_and_that_fails(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy(tmp_path, '[check]\ngpu_frameworks = ["torch"]\n')
    argv = ["check", "-p", str(path), "--from", str(saved), "--quick"]
    code, out, _ = run(argv, capsys)
    assert code == 1
    assert out.endswith(
        "1 requirement could not be checked: they count as failed (--allow-unknown lets them "
        "pass). To check them, run `dlenv check` on the runner itself (not --from a saved report) "
        "and without --quick; each line above says what was missing.\n"
        "dlenv check FAILED: 0 of 1 requirements met, 1 could not be checked (counted as failed)\n"
    )
    # relaxed on purpose, it still never says PASSED with nothing met
    code, out, _ = run([*argv, "--allow-unknown"], capsys)
    assert code == 0
    assert "PASSED" not in out
    assert out.endswith(
        "dlenv check NOT VERIFIED: 0 of 1 requirements met, 1 could not be checked (allowed by "
        "--allow-unknown)\n"
    )


def test_console_ends_with_one_line_per_requirement(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy(
        tmp_path, '[check]\nmin_gpus = 4\npython = ">=3.10"\ngpu_frameworks = ["torch"]\n'
    )
    code, out, _ = run(["check", "-p", str(path), "--from", str(saved)], capsys)
    assert code == 1
    # the doctor's console report comes first; its text belongs to the console reporter
    tail = out.split("\n\nPolicy ", 1)[1]
    assert tail == (
        f"{path}\n"
        "  ✗ fail            GPUs: needed at least 4, found 2 (NVIDIA A100-SXM4-80GB)\n"
        "  ✓ pass            Python: needed >=3.10, found 3.11.7\n"
        "  ? could not check torch uses the GPU: needed sees a GPU and computes, found no live "
        "probe (no live probe result for torch, as with --quick or a report saved with it; run "
        "`dlenv check` on the runner itself, without --quick, so the live probe runs)\n"
        "1 requirement could not be checked: they count as failed (--allow-unknown lets them "
        "pass). To check them, run `dlenv check` on the runner itself (not --from a saved report) "
        "and without --quick; each line above says what was missing.\n"
        "dlenv check FAILED: 1 of 3 requirements met, 1 failed, 1 could not be checked (counted "
        "as failed)\n"
    )


def test_github_actions_junit_and_summary(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = policy(tmp_path, '[check]\nmin_gpus = 4\ngpu_frameworks = ["torch"]\n')
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit, json_file = tmp_path / "check.xml", tmp_path / "check.json"
    argv = [
        "check",
        "-p",
        str(path),
        "--from",
        str(saved),
        "-f",
        "json",
        "-o",
        str(tmp_path / "o.json"),
    ]
    code, out, err = run([*argv, "--junit", str(junit), "--json", str(json_file)], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "::error title=dlenv check%3A GPUs fail [min_gpus]::needed at least 4, found 2 "
        "(NVIDIA A100-SXM4-80GB)\n"
        "::error title=dlenv check%3A torch uses the GPU could not check "
        "[gpu_frameworks.torch]::needed sees a GPU and computes, found no live probe (no live "
        "probe result for torch, as with --quick or a report saved with it; run `dlenv check` on "
        "the runner itself, without --quick, so the live probe runs)\n"
    )
    assert summary.read_text(encoding="utf-8").startswith(
        "## dlenv check: failed on `gpu-runner-7`\n"
    )
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == (
        "2",
        "2",
        "0",
    )  # two requirements, no finding; what could not be checked fails by default
    assert json.loads(json_file.read_text())["policy"]["counts"] == {
        "passed": 0,
        "failed": 1,
        "unchecked": 1,
        "findings_failed": 0,
        "findings_ignored": 0,
    }
    # --no-github wins over GITHUB_ACTIONS
    assert run([*argv, "--no-github"], capsys)[2] == ""


def _dlenv(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "dlenv", "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_end_to_end_on_this_machine(tmp_path: Path) -> None:
    """This machine has no GPU: a CPU-only policy passes, one that needs a GPU fails."""
    cpu = tmp_path / "cpu"
    cpu.mkdir()
    (cpu / "dlenv.toml").write_text(
        f'[check]\npython = ">=3.10"\nignore = [{", ".join(repr(c) for c in ALL_CODES)}]\n',
        encoding="utf-8",
    )
    done = _dlenv(cpu, "--python", sys.executable, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["policy"]
    assert [(r["key"], r["outcome"]) for r in result["requirements"]] == [("python", "pass")]

    gpu = tmp_path / "gpu"
    gpu.mkdir()
    (gpu / "pyproject.toml").write_text("[tool.dlenv.check]\nmin_gpus = 1\n", encoding="utf-8")
    done = _dlenv(gpu, "--python", sys.executable)
    assert done.returncode == 1, done.stderr
    assert "✗ fail            GPUs: needed at least 1, found 0" in done.stdout
    assert done.stdout.endswith("dlenv check FAILED: 0 of 1 requirements met, 1 failed\n")


# doctor errors on this machine (no driver, a CPU build) must not decide the end-to-end test
ALL_CODES = [f"DL{n:03d}" for n in range(100, 1000)]


def test_saved_report_round_trip(
    tmp_path: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON report written by check can be checked again with --from."""
    path = policy(tmp_path, '[check]\npython = ">=3.10"\n')
    first = tmp_path / "first.json"
    assert (
        run(
            ["check", "-p", str(path), "--from", str(saved), "-f", "json", "-o", str(first)], capsys
        )[0]
        == 0
    )
    again = run(["check", "-p", str(path), "--from", str(first), "-f", "json"], capsys)
    assert again[0] == 0
    assert json.loads(again[1])["policy"] == json.loads(first.read_text())["policy"]
    assert replace(report(runner()), policy=None).policy is None
