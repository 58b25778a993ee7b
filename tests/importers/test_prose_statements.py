"""Statements in the reporter's own words (catalog/prose-statements.toml) through the importer
and the real rules: each names its cause, as a warning where prose is all there is; a working
setup described in prose raises nothing; and a statement is never an unexplained error."""

from __future__ import annotations

import pytest

from dlenv.importers import import_text
from dlenv.rules import Finding, diagnose


def _findings(text: str) -> list[Finding]:
    return diagnose(import_text(text, "paste").snapshot)


def _codes(text: str) -> dict[str, str]:
    return {f.code: f.severity for f in _findings(text) if f.severity in ("error", "warning")}


CASES = [
    # (paste, code, severity)
    ('What do you get for nvidia-smi? It prints "no such an order" when I type `nvidia-smi`.',
     "DL103", "warning"),
    ("'nvidia-smi' 不是内部或外部命令，也不是可运行的程序", "DL103", "warning"),
    ("I haven't installed the nvidia driver yet and torch.cuda.is_available() returns False",
     "DL103", "warning"),
    ("I ran `docker run -it pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime bash`\n"
     "and inside it nvidia-smi: command not found", "DL109", "warning"),
    ("Inside the container the GPU is not detected by torch.", "DL109", "warning"),
    ("Windows下使用pip install -r requirements.txt默认安装为CPU版本的torch", "DL401", "warning"),
    ("I reinstalled torch with the cu121 index and it works now", "DL401", "warning"),
    ("Tensorflow doesn't support gpu on windows after 2.10, it falls back to cpu.",
     "DL402", "warning"),
    ("tensorflow 2.15 on Windows 11: the GPU is not detected", "DL402", "warning"),
    ("The machine has the nouveau driver, dmesg shows many errors about nouveau.",
     "DL104", "error"),
    ("I had Ubuntu already installed with WSL1, and CUDA does not work", "DL110", "warning"),
    ("in search.sh you set\n   CUDA_VISIBLE_DEVICES=1\nException: No GPU found, please run "
     "without --cuda\nAfter I changed CUDA_VISIBLE_DEVICES=0 it worked.", "DL303", "warning"),
    ("all_reduce_perf hangs on 8 RTX 4090.\nIf p2p disabled, things all going well.",
     "DL802", "error"),
    ("config.gpu_options.allow_growth = True\nthe tensorflow will occupied all gpu memory",
     "DL701", "warning"),
    ("`TF_USE_LEGACY_KERAS` is set to be `True` when loading the model, so we cannot use "
     "`tf.keras` without installing `tf_keras`.", "DL604", "error"),
]


@pytest.mark.parametrize(("text", "code", "severity"), CASES)
def test_statement_names_the_cause(text: str, code: str, severity: str) -> None:
    codes = _codes(text)
    assert codes.get(code) == severity, codes
    assert "DL901" not in codes


HEALTHY = [
    "nvidia-smi shows both GPUs and torch.cuda.is_available() returns True.",
    "I installed the nvidia driver 535 and the CUDA build of torch; everything works.",
    "I converted the distribution from WSL 2 and CUDA works fine in Ubuntu 22.04.",
    "The GPU is used and training is fast, thanks!",
    "blacklist nouveau, rebuilt the initramfs and installed the NVIDIA driver: works now.",
]


@pytest.mark.parametrize("text", HEALTHY)
def test_working_setup_in_prose_raises_nothing(text: str) -> None:
    try:
        findings = _findings(text)
    except Exception as exc:  # nothing recognised is also silence
        assert "nothing recognised" in str(exc)
        return
    assert [f.code for f in findings if f.severity in ("error", "warning")] == []


def test_a_programs_message_is_not_read_as_prose() -> None:
    # jax's own "Falling back to cpu" is its message, claimed by its signature, not a statement
    text = (
        "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not "
        "installed. Falling back to cpu."
    )
    said = [e.signature for e in import_text(text, "paste").snapshot.reported_errors]
    assert "said-gpu-not-used" not in said
    assert said


def _said(text: str) -> list[str]:
    return [e.signature for e in import_text(text, "paste").snapshot.reported_errors]


def test_the_reporter_writing_on_after_a_quoted_message_is_read() -> None:
    # the message claims the rest of its line only up to a sentence in the first person
    text = (
        "The CUDA error: no kernel image is available for execution on the device was reported "
        "when I run the examples.  The same example runs successfully on my PC, but the above "
        "error was reported on the workstation."
    )
    assert "said-other-code-works" in _said(text)
    codes = _codes(text)
    assert codes.get("DL305") == "warning", codes


def test_a_programs_own_sentences_after_its_message_stay_its_own() -> None:
    # a program's further sentences ("you", never "I"), or a TensorFlow log line run onto the
    # same line ("… I tensorflow/…"), are not the reporter's words
    for text in (
        "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not "
        "installed. Falling back to cpu. You may need to reinstall jaxlib.",
        "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not "
        "installed. Falling back to cpu. 2024-01-01 10:00:00.000: I tensorflow/core/"
        "common_runtime/gpu/gpu_device.cc:1510] Created device without GPU",
    ):
        assert "said-gpu-not-used" not in _said(text), text
