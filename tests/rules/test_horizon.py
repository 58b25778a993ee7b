"""DL405: releases newer than the knowledge base get a note, not silence or a guess."""

from __future__ import annotations

from dataclasses import replace

from dlenv.kb.queries import kb_last_version
from dlenv.rules import diagnose
from dlenv.rules.findings import Evidence
from dlenv.snapshot.model import CudaToolkit
from tests.rules.snapshots import cpu_machine, fired, gpu_machine, only, tensorflow, torch


def test_dl405_torch_newer_than_the_kb() -> None:
    last = kb_last_version("torch")
    f = only(gpu_machine(frameworks=[torch("9.1.0+cu132")]), "DL405")
    assert f.severity == "info"
    assert f.title == f"torch 9.1.0+cu132 is newer than dlenv's knowledge base (last row {last})"
    assert f.message == f"{f.title}; checks that need the table are skipped."
    assert f.evidence == [
        Evidence(fact="frameworks.torch.version", found="9.1.0+cu132", needed=f"<= {last}.x")
    ]


def test_dl405_tensorflow_and_a_toolkit() -> None:
    snap = gpu_machine(frameworks=[tensorflow("9.0.0", "12.5.1", "9.3.0")])
    toolkit = CudaToolkit(path="/usr/local/cuda-99.1", version="99.1.0", nvcc=None)
    snap = replace(snap, cuda=replace(snap.cuda, toolkits=[toolkit, toolkit]))
    titles = sorted(f.title for f in diagnose(snap, select=["DL405"]))
    assert [t.split(" is newer")[0] for t in titles] == ["CUDA 99.1.0", "tensorflow 9.0.0"]


def test_dl405_silent_within_the_kb() -> None:
    assert fired(gpu_machine(), "DL405") == []
    assert fired(cpu_machine(), "DL405") == []
