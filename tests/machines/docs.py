"""Machines described as data for the console examples in docs/ (scripts/docs_examples.py).

A fixture is a set of files written into the empty working directory an example runs in: a
saved report of a machine (built from the Snapshot builders of tests/rules/snapshots.py, the
same machines the rule tests judge), or a policy file. An example names its fixtures in the
comment above its block: `<!-- dlenv-example: old-driver, a100-policy -->`.
"""

from __future__ import annotations

from collections.abc import Callable

from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.rules import diagnose
from dlenv.snapshot.model import Snapshot
from tests.rules.snapshots import gpu, gpu_machine, torch


def _report(snapshot: Snapshot) -> str:
    return dump_report(make_report(snapshot, diagnose(snapshot)))


def old_driver() -> str:
    """A workstation with driver 470 (CUDA 11.4) and torch 2.3.1 built for CUDA 12.1 (DL101)."""
    return _report(gpu_machine(driver="470.239.06", frameworks=[torch("2.3.1+cu121")]))


def a100_node() -> str:
    """A healthy node: driver 550, one A100 80 GB, torch 2.5.1+cu124."""
    a100 = gpu(name="NVIDIA A100-SXM4-80GB", cc="8.0", used=1200, total=81920)
    return _report(gpu_machine(driver="550.54.14", gpus=[a100], frameworks=[torch()]))


A100_POLICY = """\
[check]
min_gpus = 2
driver = ">=535"
gpu_frameworks = ["torch"]

[check.frameworks]
torch = ">=2.3"
"""

BAD_POLICY = """\
[check]
min_gpu = 2
"""

FIXTURES: dict[str, dict[str, Callable[[], str]]] = {
    "old-driver": {"old-driver.json": old_driver},
    "a100-node": {"a100-node.json": a100_node},
    "a100-policy": {"dlenv.toml": lambda: A100_POLICY},
    "bad-policy": {"dlenv.toml": lambda: BAD_POLICY},
}
