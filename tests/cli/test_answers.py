"""The answers users act on, each case of the issue run through the CLI on a machine described
as data: one verdict for one fact, fixes the facts allow, an explain that keeps the reporter's
machine apart from the reader's, and help that reads cleanly."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.cli.app import app, main
from dlenv.live.interpret import to_probe
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.rules import diagnose
from tests.rules.snapshots import gpu_machine, torch, with_live

TOO_OLD = (
    "CUDA initialization: The NVIDIA driver on your system is too old (found version 12020). "
    "Please update your GPU driver by downloading and installing a new version from the URL: "
    "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to "
    "install a PyTorch version that has been compiled with your version of the CUDA driver. "
    "(Triggered internally at /pytorch/c10/cuda/CUDAFunctions.cpp:109.)"
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture
def old_driver_report(tmp_path: Path) -> Path:
    """Driver 535.104.05 (CUDA 12.2) with torch 2.8.0+cu129, whose live probe says the driver
    is too old: the probe's raw answer goes through the real interpreter of live results."""
    s = gpu_machine(driver="535.104.05", frameworks=[torch("2.8.0+cu129")])
    s = replace(s, driver=replace(s.driver, cuda_version="12.2"))
    raw = {"version": "2.8.0+cu129", "cuda_built": True, "is_available": False}
    probe = to_probe("torch", {"status": "ok", "raw": raw, "warnings": [TOO_OLD]}, "")
    s = with_live(s, probe)
    path = tmp_path / "old driver.json"
    path.write_text(dump_report(make_report(s, diagnose(s))), encoding="utf-8")
    return path


# -- 2. "torch sees no GPU" ends with something to run ----------------------------------------
def test_driver_too_old_from_the_live_probe_is_dl101_with_fixes(
    old_driver_report: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHELL", "/bin/bash")
    code, out, _ = run(["doctor", "--from", str(old_driver_report), "-f", "json"], capsys)
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [f["code"] for f in findings if f["severity"] != "info"] == ["DL101"]
    (dl101,) = [f for f in findings if f["code"] == "DL101"]
    # like with like: the driver against a driver, CUDA against CUDA
    evidence = {e["fact"]: e for e in dl101["evidence"]}
    assert evidence["driver.version"]["needed"] == ">=575.51.03"
    assert evidence["driver.cuda_version"]["needed"] == ">=12.9"
    # "runs through minor-version compatibility" would contradict torch's own verdict
    assert "DL107" not in [f["code"] for f in findings]

    code, out, _ = run(["fix", "--from", str(old_driver_report)], capsys)
    assert code == 1  # the plan is for an error that is still there
    assert "nothing to do" not in out
    # a build for CUDA <= 12.2 (no 2.8 build is), with its index URL …
    assert (
        "/venv/bin/python -m pip install 'torch==2.7.*' --index-url "
        "https://download.pytorch.org/whl/cu118\n" in out
    )
    # … or a driver at least the one CUDA 12.9's toolkit shipped with, never 525.60.13
    assert "Install the NVIDIA driver 575.51.03 or newer" in out
    assert "525.60.13" not in out and "cu128" not in out and "cu129" not in out


def test_doctor_points_fix_at_the_same_file(
    old_driver_report: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(["doctor", "--from", str(old_driver_report)], capsys)
    assert code == 1
    # the command keeps --from, quoted for the user's shell (the file name has a space)
    assert out.endswith(f"For a plan, run:\n      dlenv fix --from '{old_driver_report}'\n")
    # commands are never wrapped inside a token
    assert "--index-url https://download.pytorch.org/whl/cu118" in out
    assert "https://dlenv.github.io/dlenv/rules/dl101/" in out


# -- 3. advice that does not contradict itself -----------------------------------------------
PASTE = f"""\
PyTorch version: 2.8.0+cu129
Is debug build: False
CUDA used to build PyTorch: 12.9
OS: Ubuntu 22.04.4 LTS (x86_64)
Python version: 3.11.9 (main, Apr  6 2024, 17:59:24) [GCC 11.4.0] (64-bit runtime)
Is CUDA available: False
GPU models and configuration: GPU 0: NVIDIA GeForce RTX 4090
Nvidia driver version: 535.104.05

UserWarning: {TOO_OLD}
"""


def test_explain_compares_like_with_like_and_offers_what_the_facts_allow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paste = tmp_path / "issue.txt"
    paste.write_text(PASTE, encoding="utf-8")
    code, out, _ = run(["explain", "--no-probe", str(paste), "-f", "json"], capsys)
    assert code == 1
    findings = json.loads(out)["report"]["findings"]
    (dl101,) = [f for f in findings if f["code"] == "DL101"]
    for e in dl101["evidence"]:
        if e["fact"] == "driver.cuda_version":
            assert e["needed"] == ">=12.9"  # a CUDA version, not 525.60.13
        if e["fact"] == "driver.version":
            assert e["found"] == "535.104.05" and e["needed"] == ">=575.51.03"
    text = json.dumps(dl101["fixes"])
    assert "525.60.13" not in text  # 535 is already newer
    assert "cu128" not in text and "cu129" not in text  # newer than CUDA 12.2
    assert "whl/cu118" in text


# -- 4. the maintainer's reasoning on "no kernel image" --------------------------------------
NO_KERNEL = """\
Traceback (most recent call last):
  File "train.py", line 42, in <module>
    out = model(x)
RuntimeError: CUDA error: no kernel image is available for execution on the device

PyTorch version: 2.0.1+cu117
CUDA used to build PyTorch: 11.7
OS: Ubuntu 22.04.3 LTS (x86_64)
Python version: 3.10.12 (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] (64-bit runtime)
GPU models and configuration: GPU 0: NVIDIA GeForce RTX 4090
Nvidia driver version: 535.104.05
"""


def test_no_kernel_image_on_a_gpu_torch_covers_is_an_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paste = tmp_path / "no-kernel.txt"
    paste.write_text(NO_KERNEL, encoding="utf-8")
    code, out, _ = run(["explain", "--no-probe", str(paste), "-f", "json"], capsys)
    assert code == 1
    findings = json.loads(out)["report"]["findings"]
    assert [f["code"] for f in findings] == ["DL305"]  # not DL301, not DL901
    commands = [c for a in findings[0]["fixes"] for c in a.get("commands", [])]
    assert "CUDA_LAUNCH_BLOCKING=1 python your_script.py" in commands
    assert "export TORCH_CUDA_ARCH_LIST=8.6" in commands


# -- 5. explain keeps the reader's machine out of the reporter's ------------------------------
def test_a_paste_that_describes_a_machine_is_judged_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paste = tmp_path / "no-kernel.txt"
    paste.write_text(NO_KERNEL, encoding="utf-8")
    code, out, _ = run(["explain", str(paste), "-f", "json"], capsys)
    assert code == 1  # DL305, as with --no-probe
    doc = json.loads(out)
    assert doc["probe_note"] == (
        "the paste describes a machine (the host, the driver, GPUs, Python, torch "
        "2.0.1+cu117), so it is judged alone; --this-machine adds the facts of the machine "
        "running dlenv (for your own traceback)"
    )
    snapshot = doc["report"]["snapshot"]
    assert snapshot["origin"] == "collect_env+text"
    assert snapshot["cuda"]["toolkits"] == []  # not this machine's toolkit
    assert snapshot["host"]["cpu_model"] is None

    # on purpose, this machine's facts come in, and the note says which they are
    _, out, _ = run(["explain", "--this-machine", str(paste), "-f", "json"], capsys)
    doc = json.loads(out)
    assert doc["report"]["snapshot"]["origin"] == "probe+collect_env+text"
    assert doc["probe_note"].startswith("from this machine, not the paste: ")
    assert run(["explain", "--this-machine", "--no-probe", str(paste)], capsys)[0] == 2


def test_markdown_and_console_agree_on_what_the_paste_did_not_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paste = tmp_path / "no-kernel.txt"
    paste.write_text(NO_KERNEL, encoding="utf-8")
    _, console, _ = run(["explain", str(paste)], capsys)
    _, markdown, _ = run(["explain", str(paste), "-f", "markdown"], capsys)
    assert "none stated in the report" in console
    assert "| CUDA toolkits | none stated in the report |" in markdown
    table = markdown[markdown.index("| | |") : markdown.index("**Findings**")]
    assert "?" not in table
    assert "? cores" not in console
    # the plan is for the pasted machine, not for `dlenv fix` on the reader's
    assert console.endswith(
        f"      dlenv explain {paste} --format json > explained.json && "
        "dlenv fix --from explained.json\n"
    )


# -- 7. first contact ----------------------------------------------------------------------
def test_help_reads_cleanly(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    commands = out[out.index("Commands:") :]
    assert "..." not in commands  # no description cut mid-sentence
    for name in ("doctor", "check", "explain", "fix", "kb", "rules"):
        _, text, _ = run([name, "--help"], capsys)
        flat = " ".join(text.split())
        assert "Env: DLENV" not in flat, name  # Click's [env var: …] says it once
        assert ("--fail-on" in flat) == (name in ("doctor", "explain")), name
        assert "Exit codes:" in flat, name


def test_every_option_says_what_it_does() -> None:
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert re.search(r"\w", param.help or ""), f"{name} {param.opts}"


def test_fix_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    healthy = tmp_path / "healthy.json"
    s = gpu_machine()
    healthy.write_text(dump_report(make_report(s, diagnose(s))), encoding="utf-8")
    assert run(["fix", "--from", str(healthy)], capsys)[0] == 0
    _, text, _ = run(["fix", "--help"], capsys)
    assert "1 the plan is for error findings that are still there" in " ".join(text.split())
