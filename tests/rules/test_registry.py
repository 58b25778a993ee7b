from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from dlenv.rules import all_rules, diagnose, get_rule
from dlenv.rules.docs import SECTIONS, reference_markdown, sections
from dlenv.snapshot.model import FrameworkFacts, HostFacts
from tests.rules.snapshots import cpu_machine, gpu, gpu_machine, tensorflow, torch

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_has_all_doc_sections() -> None:
    for r in all_rules():
        parts = sections(r)
        assert list(parts) == list(SECTIONS), r.code
        assert all(len(text) > 20 for text in parts.values()), r.code


def test_every_rule_has_its_own_tests() -> None:
    text = "".join(p.read_text() for p in (ROOT / "tests" / "rules").glob("test_*.py"))
    for r in all_rules():
        assert f"def test_{r.code.lower()}" in text, r.code


def test_docs_rules_md_is_current() -> None:
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == reference_markdown()
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"])
    assert check.returncode == 0


def test_lookup_and_selection() -> None:
    assert get_rule("dl101") is get_rule("driver-too-old-for-cuda-runtime")
    assert get_rule("DL999") is None
    bad = gpu_machine(driver="470.239.06", frameworks=[torch("2.3.1+cu121")])
    assert {f.code for f in diagnose(bad, select=["DL1"])} == {"DL101"}
    assert diagnose(bad, select=["DL1"], ignore=["driver-too-old-for-cuda-runtime"]) == []


def test_healthy_gpu_machine_has_no_error() -> None:
    s = gpu_machine(driver="560.35.03", frameworks=[torch("2.7.1+cu126")])
    assert [f.code for f in diagnose(s)] == []
    tf = gpu_machine(frameworks=[tensorflow()])
    # driver 550 (CUDA 12.4) runs TF's CUDA 12.5 by minor-version compatibility: infos only
    assert [(f.code, f.severity) for f in diagnose(tf)] == [("DL107", "info"), ("DL701", "info")]


def test_this_cpu_only_machine_has_no_finding() -> None:
    assert diagnose(cpu_machine()) == []


def test_unknown_framework_version_is_unknown_everywhere() -> None:
    """A framework known only from an error message has version "": no rule may crash on it,
    print it, or judge the release."""
    builds = [
        {},
        {"cuda_build": True, "cuda_version": "12.1", "cudnn_version": "9.1"},
        {"cuda_build": False},
        {"variant": "cpu"},
        {"backend": "jax"},
    ]
    machines = [
        gpu_machine(driver="470.239.06", gpus=[gpu(name="Tesla K80", cc="3.7")], python="3.13.1"),
        gpu_machine(),
        cpu_machine(),
        replace(gpu_machine(), host=HostFacts(os="Windows")),
    ]
    release_rules = {"DL402", "DL501", "DL601", "DL602", "DL603", "DL604"}
    for machine in machines:
        for name in ("torch", "tensorflow", "jax", "keras", "tf-keras"):
            for build in builds:
                fw = FrameworkFacts(name=name, distribution=name, version="", **build)  # type: ignore[arg-type]
                s = replace(
                    machine, frameworks=[fw], python=replace(machine.python, distributions=[])
                )
                for f in diagnose(s):
                    assert f.code not in release_rules, (name, build, f)
                    for text in (f.title, f.message):
                        assert "  " not in text and " ()" not in text and "None" not in text, text


def test_a_symptom_is_dropped_when_a_specific_cause_explains_it() -> None:
    from dlenv.rules import _drop_explained_symptoms
    from dlenv.rules.findings import Finding

    def f(code: str, severity: str, subject: str) -> Finding:
        return Finding(
            code=code,
            name=code.lower(),
            severity=severity,
            title="t",
            message="m",  # type: ignore[arg-type]
            subject=subject,
        )

    cause, symptom = f("DL101", "error", "torch"), f("DL404", "error", "torch")
    other = f("DL404", "error", "tensorflow")
    assert _drop_explained_symptoms([cause, symptom, other]) == [cause, other]
    note = f("DL107", "info", "torch")
    assert _drop_explained_symptoms([note, symptom]) == [note, symptom]
