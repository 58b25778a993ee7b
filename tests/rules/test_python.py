from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import RemoveFromPath
from dlenv.snapshot.model import DuplicateDistribution, PathEntry, Shadowing
from tests.rules.snapshots import cpu_machine, dist, fired, gpu_machine, only, tensorflow, torch


def test_dl501_python_outside_release_range() -> None:
    f = only(
        gpu_machine(frameworks=[tensorflow("2.15.1", "12.2", "8.9")], python="3.12.3"), "DL501"
    )
    assert f.evidence[0].needed == "3.9-3.11"
    assert (
        fired(
            gpu_machine(frameworks=[tensorflow("2.15.1", "12.2", "8.9")], python="3.11.9"), "DL501"
        )
        == []
    )
    # unknown release (not in the KB) or unknown Python: silent
    assert fired(gpu_machine(frameworks=[torch("9.9.0+cu999")], python="3.14.0"), "DL501") == []
    assert fired(cpu_machine(), "DL501") == []


def _py(s, **changes):  # type: ignore[no-untyped-def]
    return replace(s, python=replace(s.python, **changes))


def test_dl502_module_shadows_framework() -> None:
    sh = Shadowing(
        module="torch",
        path="/home/u/proj/torch.py",
        shadows="/venv/lib/python3.11/site-packages/torch",
        distribution="torch",
    )
    f = only(_py(gpu_machine(), shadowing=[sh]), "DL502")
    assert f.message == (
        "`import torch` would load /home/u/proj/torch.py instead of "
        "/venv/lib/python3.11/site-packages/torch."
    )
    other = replace(sh, module="utils", path="/home/u/proj/utils.py")
    assert fired(_py(gpu_machine(), shadowing=[other]), "DL502") == []


def test_dl503_pythonpath_entry_missing() -> None:
    entries = [PathEntry("/gone/src", False, "PYTHONPATH"), PathEntry("/ok", True, "PYTHONPATH")]
    f = only(_py(gpu_machine(), pythonpath=entries), "DL503")
    assert f.fixes == [
        RemoveFromPath(name="PYTHONPATH", entries=["/gone/src"], reason="it does not exist")
    ]
    assert fired(_py(gpu_machine(), pythonpath=entries[1:]), "DL503") == []


def test_dl504_duplicate_distribution() -> None:
    dup = DuplicateDistribution(
        name="torch",
        installs=[
            dist("torch", "2.1.0", "/home/u/.local/lib/python3.11/site-packages"),
            dist("torch", "2.3.1"),
        ],
    )
    f = only(_py(gpu_machine(), duplicates=[dup]), "DL504")
    assert f.title == "torch is installed 2 times"
    single = replace(dup, installs=dup.installs[:1])
    assert fired(_py(gpu_machine(), duplicates=[single]), "DL504") == []
