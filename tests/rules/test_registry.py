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


def test_this_cpu_only_machine_has_only_the_keras3_note() -> None:
    # TensorFlow 2.21 with Keras 3 and no tf-keras: tf.keras is Keras 3, said as information
    assert [(f.code, f.severity) for f in diagnose(cpu_machine())] == [("DL601", "info")]


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
    from dlenv.rules import drop_explained
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
    assert drop_explained([cause, symptom, other]) == [cause, other]
    note = f("DL107", "info", "torch")
    assert drop_explained([note, symptom]) == [note, symptom]


def test_rule_modules_never_import_a_sibling_rule_module() -> None:
    """As in ruff: a rule imports the registry, findings, fixes and derived facts, never another
    rule; what explains what is data (`explained_by`), applied once by `diagnose()`."""
    import ast

    shared = {"registry", "findings", "fixes", "derived", "docs", "catalog"}
    rules_dir = ROOT / "src" / "dlenv" / "rules"
    for path in rules_dir.glob("*.py"):
        if path.stem in shared | {"__init__"}:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["dlenv", "rules"] and len(parts) > 2:
                    assert parts[2] in shared, f"{path.name} imports {node.module}"
                if node.module == "dlenv.rules":
                    names = {a.name for a in node.names}
                    assert names <= shared, f"{path.name} imports {names} from dlenv.rules"


def test_explained_by_names_registered_rules() -> None:
    from dlenv.rules.registry import ANY

    codes = {r.code for r in all_rules()}
    for r in all_rules():
        for c in r.explained_by:
            assert c == ANY or any(code.startswith(c) for code in codes), (r.code, c)
            assert c != r.code, r.code


def test_explained_by_is_validated_and_judged_by_subject() -> None:
    import pytest

    from dlenv.rules import drop_explained
    from dlenv.rules.findings import Finding
    from dlenv.rules.registry import rule

    with pytest.raises(ValueError, match="explained_by"):
        rule("DL998", "bad-explained-by", "info", "reported", explained_by=("torch",))(lambda s: [])
    assert get_rule("DL998") is None

    def f(code: str, subject: str, severity: str = "error") -> Finding:
        return Finding(
            code=code,
            name=code,
            severity=severity,
            title="t",
            message="m",  # type: ignore[arg-type]
            subject=subject,
        )

    crash, missing = f("DL403", "torch"), f("DL201", "torch")
    other = f("DL201", "tensorflow")
    assert drop_explained([crash, missing]) == [missing]  # DL201 explains DL403
    assert drop_explained([crash, other]) == [crash, other]  # not about torch
    symptom = f("DL404", "torch")
    # DL404 is explained by any cause about torch, but not by another symptom (DL403)
    assert drop_explained([symptom, f("DL101", "torch")]) == [f("DL101", "torch")]
    assert drop_explained([symptom, crash]) == [symptom, crash]
    assert drop_explained([symptom, f("DL101", "torch", "info")]) == [
        symptom,
        f("DL101", "torch", "info"),
    ]


def test_a_machine_wide_cause_explains_a_symptom_about_any_subject() -> None:
    """github.com/flatpak/flatpak/issues/6047: nvidia_uvm not loaded (DL112, about the module)
    is why torch sees no GPU (DL404, about torch); a cause about one GPU or another framework
    is not."""
    from dlenv.rules import drop_explained
    from dlenv.rules.findings import Finding

    def f(code: str, subject: str | None, severity: str = "error") -> Finding:
        return Finding(
            code=code,
            name=code,
            severity=severity,
            title="t",
            message="m",  # type: ignore[arg-type]
            subject=subject,
        )

    symptom = f("DL404", "torch")
    uvm, module = f("DL112", "nvidia_uvm"), f("DL111", "nvidia-kernel-module")
    assert drop_explained([symptom, uvm]) == [uvm]
    assert drop_explained([symptom, module]) == [module]
    assert drop_explained([symptom, f("DL303", None)]) == [f("DL303", None)]
    assert get_rule("DL112").machine_wide and not get_rule("DL201").machine_wide  # type: ignore[union-attr]
    # not machine-wide: a cause about another subject leaves the symptom standing
    other = f("DL201", "tensorflow")
    assert drop_explained([symptom, other]) == [symptom, other]
    # a machine-wide note (info) explains nothing, and DL403 names no machine-wide cause
    assert drop_explained([symptom, f("DL112", "nvidia_uvm", "info")]) == [
        symptom,
        f("DL112", "nvidia_uvm", "info"),
    ]
    crash = f("DL403", "torch")
    assert drop_explained([crash, uvm]) == [crash, uvm]
