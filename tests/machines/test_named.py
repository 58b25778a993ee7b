"""The named machines through collect -> diagnose, each with the exact codes it must give.

One table, as NVIDIA's container toolkit tests its library lookups over named root
filesystems: a machine of tests/machines/named.py (a FakeSystem imitating one real report),
the family of tests/corpus/README.md it stands for, and the exact set of error and warning
codes dlenv finds on it. Where today's verdict is wrong, the row carries the defect and the
test is a strict xfail, so that the fix shows up as an unexpected pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from dlenv.rules import diagnose
from tests.machines.named import MACHINES, snapshot_of

ROOT = Path(__file__).resolve().parents[2]


class Row(NamedTuple):
    machine: str
    family: str  # the code of tests/corpus/README.md's table it stands for ("none": healthy)
    codes: frozenset[str]  # the exact error/warning codes it must give
    defect: str | None = None  # why today's verdict differs (a strict xfail)
    today: frozenset[str] | None = None  # what dlenv says today, when it differs


def row(
    machine: str,
    family: str,
    *codes: str,
    defect: str | None = None,
    today: tuple[str, ...] | None = None,
) -> Row:
    return Row(
        machine, family, frozenset(codes), defect, frozenset(today) if today is not None else None
    )


TABLE = [
    row("cuda-workstation", "none"),
    row("cpu-only-box", "none"),
    row("wsl2-workstation", "none"),
    row("container-with-toolkit", "none"),
    row("driver-too-old", "DL101", "DL101"),
    row("toolkit-newer-than-driver", "DL102", "DL102"),
    row("no-driver", "DL103", "DL103"),
    row("nouveau", "DL104", "DL104"),
    row("nvml-mismatch", "DL105", "DL105"),
    row("wsl1", "DL110", "DL110"),
    row("secure-boot-rejects-module", "DL111", "DL111"),
    row("dkms-not-built-for-new-kernel", "DL111", "DL111"),
    row("sandbox-without-nvidia-uvm", "DL112", "DL112"),
    row("missing-cuda-library", "DL201", "DL201"),
    row("cudnn-older-than-the-build", "DL206", "DL206"),
    row("torch-and-jax-pin-different-cudnn", "DL209", "DL201", "DL209"),
    row("cudnn-conflict-torch-first", "DL203", "DL203", "DL209"),
    row("old-nccl-shadows-torchs", "DL208", "DL208"),
    row("rtx5090-with-torch-for-sm90", "DL301", "DL301"),
    row("gpu-too-old", "DL302", "DL302"),
    row("visible-devices-hide-the-gpu", "DL303", "DL303"),
    row("cpu-build-on-gpu-machine", "DL401", "DL401"),
    row("tensorflow-212-on-native-windows", "DL402", "DL402"),
    row("script-named-tensorflow", "DL502", "DL502"),
    row("ros-python27-on-path", "DL505", "DL505"),
    # DL601 is an info note when no tf.keras-2 package (transformers...) is installed
    row("keras3-under-tensorflow-216", "DL601"),
    row("keras-backend-not-installed", "DL602", "DL602"),
    row("legacy-keras-without-tf-keras", "DL604", "DL604"),
    row("tensorflow-takes-all-memory", "DL701"),
    row("memory-held-by-leftover-processes", "DL702", "DL702"),
    row("kubeflow-pod-with-small-shm", "DL801", "DL801"),
    row("iommu-on-multi-gpu", "DL802", "DL802"),
    row("rank-not-set", "DL804", "DL804"),
]

# Families no live machine can show: the evidence exists only in a message some program
# printed, which `dlenv explain` reads from a paste; doctor has nothing to observe.
NOT_LIVE: dict[str, str] = {
    "DL106": "live-visible (device nodes not writable), but no report of this family is in "
    "tests/corpus or tests/importers/data/real to imitate",
    "DL108": "the rule reads a Linux nvidia kernel module or nvidia-smi's failure text; "
    "inside WSL 2 no Linux module can load, and doctor does not record nvidia-smi's "
    "failure as a reported message, so a Linux driver package shows only in a paste",
    "DL109": "Docker refuses `--gpus` before any container exists; the host has no "
    "container and dlenv does not ask the Docker daemon",
    "DL113": "the driver's refusal of a legacy GPU is in the kernel log (NVRM) and the "
    "installer's output; doctor does not read the kernel log yet, so only a paste shows it",
    "DL114": "a failed GPU shows in the kernel log (Xid, fallen off the bus) and in NVML's "
    "errors; doctor does not read the kernel log yet, so only a paste shows it",
    "DL202": "live-visible (a stale LD_LIBRARY_PATH); its one report "
    "(conda-forge/nvcc-feedstock#35: cudatoolkit 10.0 replaced by 10.1 under conda builds) is "
    "now described with CUDA 10's sonames (kb/data/sonames.json), but there the 10.0 sonames "
    "are simply absent, which is DL201's finding (the report accepts DL202|DL201): a machine "
    "whose loader finds a library of another major is left undone",
    "DL304": "the device index is in the user's code or launcher command (`cuda:3`, "
    "--nproc_per_node), not on the machine",
    "DL305": "the failing kernel is in an extension the program loads; only its error names it",
    "DL501": "each report is an installer finding no wheel for the Python; nothing gets "
    "installed, so the machine shows a Python and no framework",
    "DL506": "the installer's refusal (no wheel for this platform) is the only evidence; "
    "nothing is installed",
    "DL507": "the loader's refusal (GLIBC_2.xx not found) shows only when a compiled module is "
    "imported; the knowledge base has no manylinux tags per release to judge an idle machine, "
    "and no report of this family is in the corpus yet",
    "DL508": "live-visible (CPU flags from /proc/cpuinfo), but the family's one report "
    "(patlevin/tfjs-to-tf#33) is x86_64 TensorFlow under Rosetta 2 on Apple Silicon, which "
    "doctor does not detect on a live Mac; an AVX-less machine has no report to imitate yet",
    "DL703": "an out-of-memory error happens inside the user's job; the machine at rest shows "
    "free memory",
    "DL803": "the network path between ranks (interfaces, InfiniBand) fails only while ranks "
    "connect; the message is the evidence",
}


def _params() -> list[object]:
    out: list[object] = []
    for r in TABLE:
        marks = [pytest.mark.xfail(strict=True, reason=r.defect)] if r.defect else []
        out.append(pytest.param(r, id=r.machine, marks=marks))
    return out


@pytest.mark.parametrize("r", _params())
def test_named_machine_gives_exactly_its_codes(r: Row) -> None:
    findings = diagnose(snapshot_of(r.machine))
    shown = {f.code for f in findings if f.severity in ("error", "warning")}
    assert shown == r.codes
    if r.family != "none":
        assert r.family in {f.code for f in findings}


def test_todays_verdict_of_machines_with_a_defect_is_pinned() -> None:
    """A row with a known defect (a strict xfail above) pins what dlenv says today, so a change
    in the wrong verdict is seen too; no row may have one without the other."""
    assert [r.machine for r in TABLE if (r.defect is None) != (r.today is None)] == []
    for r in TABLE:
        if r.today is not None:
            findings = diagnose(snapshot_of(r.machine))
            assert {f.code for f in findings if f.severity in ("error", "warning")} == r.today


def test_table_and_catalogue_agree() -> None:
    assert sorted(r.machine for r in TABLE) == sorted(MACHINES)


def _corpus_codes() -> set[str]:
    text = (ROOT / "tests/corpus/README.md").read_text()
    return set(re.findall(r"^\| (DL\d{3}) \|", text, re.MULTILINE))


def test_every_family_has_a_machine_or_a_reason() -> None:
    families = _corpus_codes()
    assert len(families) >= 37
    covered = {r.family for r in TABLE}
    assert families - covered == set(NOT_LIVE)
    assert not covered & set(NOT_LIVE)
    healthy = [r for r in TABLE if r.family == "none"]
    assert len(healthy) == 4  # workstation, CPU-only, WSL 2, a container with the toolkit


def _report_urls() -> set[str]:
    urls: set[str] = set()
    for folder in ("tests/corpus/reports", "tests/importers/data/real"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                head = path.read_text(errors="replace")[:2000]
                urls.update(re.findall(r"^# source: (\S+)", head, re.MULTILINE))
    return urls


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_each_machine_names_the_real_report_it_imitates(name: str) -> None:
    doc = " ".join((MACHINES[name].__doc__ or "").split())
    named = re.findall(r"https://github\.com/\S+?(?=[ ,;)\"]|\.(?:\s|$)|$)", doc.replace("/ ", "/"))
    assert named, f"{name}: no report URL in its docstring"
    known = {u.rstrip("/").lower() for u in _report_urls()}
    assert {u.rstrip("/.").lower() for u in named} <= known, named


def test_a_machine_without_python_reports_none_not_the_test_runners() -> None:
    """The GCP VM of toolkit-newer-than-driver has no Python on PATH: its snapshot says so
    rather than describing the interpreter that runs the tests."""
    python = snapshot_of("toolkit-newer-than-driver").python
    assert python.executable is None
    assert python.unknown["python"].startswith("no Python interpreter found")
