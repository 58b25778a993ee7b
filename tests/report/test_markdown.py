from __future__ import annotations

from dataclasses import replace

from dlenv.report.markdown import render_markdown
from dlenv.report.model import make_report
from dlenv.snapshot.model import EnvVar
from tests.report.samples import broken_report, healthy_report, workstation


def test_markdown_report_for_a_bug_report() -> None:
    text = render_markdown(broken_report())
    assert text.splitlines()[:6] == [
        "### dlenv 0.1.0 report",
        "",
        "| | |",
        "|---|---|",
        "| OS | Ubuntu 22.04 (6.5.0-41-generic, x86_64) |",
        "| NVIDIA driver | 470.239.06 (CUDA ≤ 11.4) |",
    ]
    assert "| GPU 0 | NVIDIA GeForce RTX 4090 (24 GiB, cc 8.9) |" in text
    assert "| torch (torch) | 2.5.1+cu124, CUDA 12.4, cuDNN 9.1 |" in text
    assert (
        "- **ERROR DL101** NVIDIA driver too old for the CUDA runtime torch was built with: "
        in text
    )
    assert "  - `driver.version`: found 470.239.06, needed >=525.60.13" in text


def test_secrets_are_redacted_even_in_a_report_loaded_from_elsewhere() -> None:
    snap = replace(
        workstation(),
        env=[
            EnvVar(name="WANDB_API_KEY", value="abc123secret"),
            EnvVar(name="PIP_INDEX_URL", value="https://bob:hunter2@pypi.example.com/simple"),
        ],
    )
    text = render_markdown(make_report(snap, []))
    assert "abc123secret" not in text
    assert "hunter2" not in text
    assert "WANDB_API_KEY=<redacted>" in text


def test_redact_all_hides_user_and_host_names() -> None:
    text = render_markdown(healthy_report(), redact="all")
    assert "alice" not in text
    assert "gpubox" not in text
    assert "/home/<user>/.venv/bin/python" in text


def test_a_failed_probe_is_named_not_hidden() -> None:
    snap = replace(
        healthy_report().snapshot,
        unknown={"cuda": "cuda probe failed: RuntimeError: boom", "gpus": "not in the paste"},
    )
    text = render_markdown(make_report(snap, []))
    assert (
        "**Not checked** (a dlenv probe failed; please report it)\n\n"
        "- cuda: cuda probe failed: RuntimeError: boom\n"
    ) in text
    assert "not in the paste" not in text
