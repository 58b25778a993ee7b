from __future__ import annotations

import subprocess
from dataclasses import replace

from pytest import MonkeyPatch

from dlenv.fix.actions import Action, InstallPackages, ManualStep, SetEnv
from dlenv.report.console import render_console
from dlenv.report.model import Report
from tests.report.samples import broken_report, healthy_report

HEALTHY = """\
dlenv 0.1.0 doctor · static probes 0.12 s

Host
· system      Ubuntu 22.04 · Linux 6.5.0-41-generic · x86_64
· cpu         AMD Ryzen 9 7950X · 16 cores / 32 threads · 64.0 GiB RAM

NVIDIA driver and GPUs
✓ driver      550.54.15 · supports CUDA ≤ 12.4 · from nvml, sysfs
✓ gpu 0       NVIDIA GeForce RTX 4090 · 24.0 GiB · sm_89 · 4% used

CUDA and cuDNN
✓ toolkit     12.4.131 · /usr/local/cuda-12.4 (system, found by /usr/local/cuda, PATH (nvcc))
✓ cudnn       9.1.0 · /home/alice/.venv/lib/python3.11/site-packages/nvidia/cudnn/lib (pip,
              nvidia-cudnn-cu12 9.1.0.70)

Python
· python      3.11.9 (cpython, venv)
· path        /home/alice/.venv/bin/python
· packages    143 distributions installed
✓ PYTHONPATH  /home/alice/src

Frameworks
✓ torch       2.5.1+cu124 · built for CUDA 12.4, cuDNN 9.1

✓ No problems found.
"""


def test_healthy_report_is_one_calm_screen() -> None:
    assert render_console(healthy_report(), color=False) == HEALTHY


def test_broken_report_shows_cause_evidence_and_fixes() -> None:
    text = render_console(broken_report(), color=False)
    tail = text[text.index("Findings") :]
    assert tail == (
        "Findings\n"
        "✗ DL101 NVIDIA driver too old for the CUDA runtime torch was built with\n"
        "    torch 2.5.1+cu124 needs CUDA 12.4, which needs driver >= 525.60.13; this machine has 470.239.06.\n"
        "    driver.version: found 470.239.06, needed >=525.60.13 (needed by torch 2.5.1+cu124)\n"
        "    fix: Install NVIDIA driver 550 or newer\n"
        "      sudo ubuntu-drivers install nvidia:550\n"
        "    fix: install torch==2.5.1\n"
        "      /home/alice/.venv/bin/python -m pip install torch==2.5.1 --index-url "
        "https://download.pytorch.org/whl/cu118\n"
        "\n"
        "1 error(s), 0 warning(s), 0 note(s). For a plan, run:\n"
        "      dlenv fix\n"
    )
    assert "✗ torch" in text  # the framework row carries the finding's mark


def test_verbose_shows_every_reading_and_secret_stays_redacted() -> None:
    text = render_console(healthy_report(), verbose=True, color=False)
    assert "  nvml      550.54.15" in text
    assert "  sysfs     550.54.15" in text
    assert "HF_TOKEN    <redacted>" in text
    assert "libcudart.so.12" in text


def test_gpu_row_of_a_pasted_report_names_the_architecture_from_the_kb() -> None:
    """A pasted report that gives only GPU names: no '?' for memory, sm_XX looked up by name."""
    from dataclasses import replace

    from dlenv.report.model import make_report
    from dlenv.snapshot.model import GpuFacts

    snapshot = replace(
        healthy_report().snapshot,
        origin="collect_env",
        gpus=[
            GpuFacts(index=0, name="Tesla V100-SXM2-32GB"),
            GpuFacts(index=1, name="Mystery Accelerator 9000"),
        ],
    )
    rows = [
        line
        for line in render_console(make_report(snapshot, []), color=False).splitlines()
        if line.startswith("✓ gpu")
    ]
    assert rows == [
        "✓ gpu 0       Tesla V100-SXM2-32GB · sm_70 (by name)",
        "✓ gpu 1       Mystery Accelerator 9000 · sm_?",
    ]


def test_the_architecture_is_derived_in_the_report_not_by_the_renderer() -> None:
    """The rules' step derives each GPU's compute capability once, with where it came from; the
    JSON report carries it and the console only prints it (no knowledge-base lookup there)."""
    import json
    from dataclasses import replace

    from dlenv.report.json import dump_report, parse_report
    from dlenv.report.model import make_report
    from dlenv.snapshot.model import GpuFacts

    snapshot = replace(
        healthy_report().snapshot,
        origin="collect_env",
        gpus=[
            GpuFacts(index=0, name="NVIDIA GeForce RTX 3060", compute_capability="8.6"),
            GpuFacts(index=1, name="Tesla T4"),
            GpuFacts(index=2, name="Mystery Accelerator 9000"),
        ],
    )
    report = make_report(snapshot, [])
    data = json.loads(dump_report(report))
    assert data["gpu_architectures"] == [
        {"gpu": 0, "compute_capability": "8.6", "by_name": False},
        {"gpu": 1, "compute_capability": "7.5", "by_name": True},
        {"gpu": 2, "compute_capability": None, "by_name": False},
    ]
    # a saved report renders the same after a round trip, without looking anything up again
    again = parse_report(dump_report(report))
    assert again.gpu_architectures == report.gpu_architectures
    rows = [
        line.split("· ")[-1]
        for line in render_console(again, color=False).splitlines()
        if line.startswith("✓ gpu")
    ]
    assert rows == ["sm_86", "sm_75 (by name)", "sm_?"]


def test_a_probe_that_failed_is_shown_as_not_checked_with_a_bug_hint() -> None:
    from dataclasses import replace

    report = healthy_report()
    snapshot = replace(
        report.snapshot,
        unknown={"cuda": "cuda probe failed: RuntimeError: boom", "gpus": "not in the paste"},
    )
    text = render_console(replace(report, snapshot=snapshot), color=False)
    assert text == HEALTHY.replace(
        "\n\n✓ No problems found.",
        """

Not checked
! cuda        cuda probe failed: RuntimeError: boom
·             a bug in dlenv, or a machine it did not expect: please report it with the output of
              `DLENV_DEBUG=1 dlenv doctor --quick` at https://github.com/dlenv/dlenv/issues

✓ No problems found.""",
    )


def test_mismatch_without_the_two_versions_says_so_plainly() -> None:
    """nvidia-smi's exit 18 reports the mismatch without naming either version."""
    from dataclasses import replace

    from dlenv.report.model import make_report

    snap = healthy_report().snapshot
    driver = replace(
        snap.driver, library_mismatch=True, kernel_module_version=None, userspace_version=None
    )
    text = render_console(make_report(replace(snap, driver=driver), []), color=False)
    assert "None" not in text
    assert "MISMATCH between the kernel module and the user-space library" in " ".join(text.split())


def _with_fixes(*fixes: Action) -> Report:
    report = broken_report()
    (first,) = report.findings
    finding = replace(first, fixes=list(fixes), docs_url="https://dlenv.dev/rules/DL101")
    return replace(report, findings=[finding])


def test_fix_commands_are_whole_quoted_and_never_wrapped(monkeypatch: MonkeyPatch) -> None:
    """The issue: `--index-url⏎https://` at the terminal width, an unquoted `[and-cuda]` that zsh
    globs, "see the URL" with no URL, and `dlenv fix` without the `--from FILE` in use."""
    monkeypatch.setenv("COLUMNS", "40")
    report = _with_fixes(
        InstallPackages(
            packages=["tensorflow[and-cuda]==2.21.*"],
            index_url="https://download.pytorch.org/whl/cu118",
        ),
        ManualStep(text="other distributions: see the URL", url="https://example.org/drivers"),
    )
    text = render_console(
        report, color=False, shell="zsh", fix_command="dlenv fix --from 'my report.json'"
    )
    tail = text[text.index("    fix:") :]
    assert tail == (
        "    fix: install\n"
        "    tensorflow[and-cuda]==2.21.*\n"
        "      /home/alice/.venv/bin/python -m pip install 'tensorflow[and-cuda]==2.21.*' "
        "--index-url https://download.pytorch.org/whl/cu118\n"
        "    fix: other distributions: see the\n"
        "    URL\n"
        "      see https://example.org/drivers\n"
        "    https://dlenv.dev/rules/DL101\n"
        "\n"
        "1 error(s), 0 warning(s), 0 note(s). For\n"
        "a plan, run:\n"
        "      dlenv fix --from 'my report.json'\n"
    )
    # what zsh runs is what pip gets: the quoted spec is one word, not a glob
    command = tail.splitlines()[2].strip().replace("/home/alice/.venv/bin/python", "printf '%s\\n'")
    done = subprocess.run(
        ["zsh", "-c", command], capture_output=True, text=True, timeout=10, check=True
    )
    assert done.stdout.splitlines()[3] == "tensorflow[and-cuda]==2.21.*"


def test_fix_commands_follow_the_shell() -> None:
    report = _with_fixes(SetEnv(name="TF_FORCE_GPU_ALLOW_GROWTH", value="true"))
    bash = render_console(report, color=False, shell="bash")
    fish = render_console(report, color=False, shell="fish")
    assert "      export TF_FORCE_GPU_ALLOW_GROWTH=true\n" in bash
    assert "      set -gx TF_FORCE_GPU_ALLOW_GROWTH true\n" in fish
