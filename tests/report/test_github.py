"""GitHub Actions annotations (escaped per the workflow-command rules) and the job summary."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.check.evaluate import evaluate
from dlenv.check.policy import parse_policy
from dlenv.errors import DlenvError
from dlenv.report.github import (
    annotation_lines,
    append_step_summary,
    command,
    escape_data,
    escape_property,
    in_github_actions,
    step_summary,
)
from dlenv.report.model import Report
from tests.check.machines import finding, report, runner


def test_escaping_follows_the_runner() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext%3A a%2C b"
    # % first: a literal "%0A" must not turn into a newline
    assert escape_data("%0A") == "%250A"
    assert command("error", "line 1\nline 2", title="a: b, c") == (
        "::error title=a%3A b%2C c::line 1%0Aline 2"
    )
    assert command("warning", "plain") == "::warning::plain"


def test_in_github_actions() -> None:
    assert in_github_actions({"GITHUB_ACTIONS": "true"})
    assert not in_github_actions({"GITHUB_ACTIONS": "false"})
    assert not in_github_actions({})


def checked(strict: bool = False) -> Report:
    policy = parse_policy(
        {"min_gpus": 4, "python": ">=3.10", "gpu_frameworks": ["torch"], "ignore": ["DL301"]},
        "ci/dlenv.toml",
    )
    base = report(
        runner(live=[]),
        [
            finding("DL101", "error", "driver too old"),
            finding("DL301", "error", "cuDNN | missing"),
            finding("DL701", "warning", "memory growth off"),
            finding("DL900", "info", "fyi"),
        ],
    )
    return replace(base, policy=evaluate(policy, base, strict=strict))


def test_annotations() -> None:
    result = checked().policy
    assert result is not None
    assert annotation_lines(result) == [
        "::error title=dlenv check%3A GPUs fail [min_gpus]::needed at least 4, found 2 "
        "(NVIDIA A100-SXM4-80GB)",
        "::warning title=dlenv check%3A torch uses the GPU could not check "
        "[gpu_frameworks.torch]::needed sees a GPU and computes, found no live probe (no live "
        "probe result for torch, as with --quick or a report saved with it; run `dlenv check` on "
        "the runner itself, without --quick, so the live probe runs)",
        "::error title=dlenv DL101 rule-dl101%3A driver too old::driver too old, in detail.",
        "::warning title=dlenv DL701 rule-dl701%3A memory growth off::memory growth off, in "
        "detail.",
    ]
    strict = checked(strict=True).policy
    assert strict is not None
    assert annotation_lines(strict)[1].startswith("::error title=dlenv check%3A torch uses the GPU")


def test_step_summary_markdown() -> None:
    assert step_summary(checked()) == (
        "## dlenv check: failed on `gpu-runner-7`\n"
        "\n"
        "FAILED: 1 of 3 requirements met, 1 failed, 1 could not be checked (allowed by "
        "--allow-unknown), 1 finding(s) count as failures, 1 finding(s) ignored (policy "
        "`ci/dlenv.toml`, --allow-unknown).\n"
        "\n"
        "| | requirement | needed | found | note |\n"
        "|---|---|---|---|---|\n"
        "| ❌ fail | GPUs (`min_gpus`) | at least 4 | 2 (NVIDIA A100-SXM4-80GB) |  |\n"
        "| ✅ pass | Python (`python`) | >=3.10 | 3.11.7 |  |\n"
        "| ⚠️ could not check | torch uses the GPU (`gpu_frameworks.torch`) | sees a GPU and "
        "computes | no live probe | no live probe result for torch, as with --quick or a report "
        "saved with it; run `dlenv check` on the runner itself, without --quick, so the live "
        "probe runs |\n"
        "\n"
        "| | finding | severity | |\n"
        "|---|---|---|---|\n"
        "| ❌ fails | `DL101` rule-dl101 | error | driver too old |\n"
        "| ➖ ignored | `DL301` rule-dl301 | error | cuDNN \\| missing |\n"
        "| ⚠️ allowed | `DL701` rule-dl701 | warning | memory growth off |\n"
        "\n"
    )


def test_summary_is_appended_to_the_step_summary_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("# earlier step\n", encoding="utf-8")
    assert append_step_summary(checked(), {"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text(encoding="utf-8") == "# earlier step\n" + step_summary(checked())
    assert append_step_summary(checked(), {}) is None
    with pytest.raises(DlenvError, match="cannot append the job summary"):
        append_step_summary(checked(), {"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "dir.md")})


def test_step_summary_links_each_finding_to_its_rule() -> None:
    base = checked()
    linked = [replace(f, docs_url=f"https://dlenv.dev/rules/{f.code}") for f in base.findings]
    summary = step_summary(replace(base, findings=linked))
    assert "| ❌ fails | [`DL101`](https://dlenv.dev/rules/DL101) rule-dl101 | error |" in summary
