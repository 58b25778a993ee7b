"""`[check] smoke = [...]`: parsed strictly, judged from the Snapshot's smoke section, and
enforced by `dlenv check --from`; `dlenv doctor --from` shows a saved smoke table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.check.evaluate import evaluate
from dlenv.check.policy import explain_policy, parse_policy
from dlenv.cli.app import main
from dlenv.errors import DlenvError
from dlenv.report.json import dump_report
from dlenv.snapshot.model import SmokeCheck, SmokeFacts
from tests.check.machines import report, runner


def row(check: str, status: str, device: str = "cuda:0", **kw: object) -> SmokeCheck:
    return SmokeCheck(check=check, framework="torch", device=device, status=status, **kw)  # type: ignore[arg-type]


HEALTHY = SmokeFacts(
    python="/venv/bin/python",
    devices=["cpu", "cuda:0", "cuda:1"],
    timeout_s=120.0,
    wall_s=21.5,
    checks=[
        row("train", "passed", "cpu", seconds=2.5, metrics={"steps_per_s": 80.0, "images_per_s": 2560.0}),
        row("train", "passed", seconds=0.5, metrics={"steps_per_s": 900.0, "images_per_s": 28800.0}),
        row("save_load", "passed", variant="state_dict", metrics={"max_abs_diff": 0.0, "atol": 1e-6}),
        row("allreduce", "passed", "cuda:0,1", variant="nccl", metrics={"seconds": 0.0004, "bytes": 1048576.0, "busbw_gb_s": 2.6}),
        row("tensorboard", "skipped", "cpu", reason="TensorBoard is not installed (pip install tensorboard)"),
    ],
)


def test_policy_key_parsed_and_explained() -> None:
    p = parse_policy({"smoke": ["train", "save_load", "allreduce"]})
    assert p.smoke == ("train", "save_load", "allreduce")
    assert "  smoke: the allreduce smoke check passes wherever it runs (dlenv smoke)" in explain_policy(p)
    with pytest.raises(DlenvError) as bad:
        parse_policy({"smoke": ["train", "fly"]}, source="dlenv.toml")
    assert bad.value.message == (
        "dlenv.toml: check.smoke: expected smoke check names (train, save_load, tensorboard, "
        "allreduce, memory), got 'fly' (string)"
    )


def _requirements(smoke: SmokeFacts | None, *names: str) -> list[tuple[str, str, str]]:
    result = evaluate(parse_policy({"smoke": list(names)}), report(runner(smoke=smoke)))
    return [(r.key, r.outcome, r.found) for r in result.requirements if r.key.startswith("smoke")]


def test_evaluate_pass_fail_unchecked() -> None:
    assert _requirements(HEALTHY, "train", "allreduce", "tensorboard") == [
        ("smoke.train", "pass", "passed (2 runs)"),
        ("smoke.allreduce", "pass", "passed (1 run)"),
        ("smoke.tensorboard", "unchecked", "did not run"),
    ]
    hung = replace(HEALTHY, checks=[*HEALTHY.checks, row("allreduce", "timeout", "cpu", variant="gloo")])
    assert _requirements(hung, "allreduce") == [
        ("smoke.allreduce", "fail", "torch on cpu (gloo): timeout")
    ]
    assert _requirements(None, "train") == [("smoke.train", "unchecked", "not run")]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_check_from_a_saved_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "dlenv.toml"
    policy.write_text('[check]\nsmoke = ["train", "save_load", "allreduce"]\n', encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(dump_report(report(runner(smoke=HEALTHY))), encoding="utf-8")
    code, out, _ = run(["check", "--policy", str(policy), "--from", str(good)], capsys)
    assert code == 0, out
    failed = replace(HEALTHY, checks=[row("train", "failed", error="RuntimeError: boom"), *HEALTHY.checks[2:4]])
    bad = tmp_path / "bad.json"
    bad.write_text(dump_report(report(runner(smoke=failed))), encoding="utf-8")
    code, out, _ = run(["check", "--policy", str(policy), "--from", str(bad), "--format", "json"], capsys)
    assert code == 1
    assert '"key": "smoke.train"' in out and '"found": "torch on cuda:0: failed"' in out


def test_doctor_from_shows_the_smoke_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "r.json"
    saved.write_text(dump_report(report(runner(smoke=HEALTHY))), encoding="utf-8")
    code, out, _ = run(["doctor", "--from", str(saved)], capsys)
    table = out[out.index("Smoke checks") :].split("\n\n")[0]
    assert table.splitlines() == [
        "Smoke checks (21.5 s, each check at most 120 s)",
        " framework  device    check                 status   time   result",
        " torch      cpu       train                 passed   2.5 s  80 steps/s, 2560 images/s, loss 0.00 ->",
        "                                                            0.00",
        " torch      cuda:0    train                 passed   0.5 s  900 steps/s, 28800 images/s, loss 0.00",
        "                                                            -> 0.00",
        " torch      cuda:0    save_load state_dict  passed          max |diff| 0 (atol 1e-06)",
        " torch      cuda:0,1  allreduce             passed          0.4 ms for 1 MiB, bus 2.6 GB/s",
        " torch      cpu       tensorboard           skipped         TensorBoard is not installed (pip",
        "                                                            install tensorboard)",
    ]
    assert code in (0, 1)
