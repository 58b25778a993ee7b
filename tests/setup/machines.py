"""Machines for the setup planner, as data (built on the rule tests' snapshot builders).

Each names the kind of machine the issue lists; the GPUs' compute capabilities are NVIDIA's."""

from __future__ import annotations

from dataclasses import replace

from dlenv.setup.plan import Interpreter
from dlenv.snapshot.model import DriverFacts, HostFacts, Snapshot
from tests.rules.snapshots import cpu_machine, gpu, gpu_machine

PYTHONS = [Interpreter("3.11", "/usr/bin/python3.11"), Interpreter("3.12", "/usr/bin/python3.12")]


def pascal_new_driver() -> Snapshot:
    """Driver 580 (runs CUDA 13) and a GTX 1080 (sm_61), which CUDA 13 builds no longer cover."""
    return gpu_machine("580.65.06", [gpu(name="NVIDIA GeForce GTX 1080", cc="6.1")])


def gtx1080_driver470() -> Snapshot:
    """Driver 470 (CUDA 11.4) and a GTX 1080: an old Ubuntu 20.04 workstation."""
    return replace(
        gpu_machine("470.239.06", [gpu(name="NVIDIA GeForce GTX 1080", cc="6.1")]),
        driver=DriverFacts(installed=True, version="470.239.06", cuda_version="11.4"),
    )


def v100_driver535() -> Snapshot:
    return gpu_machine("535.183.01", [gpu(name="Tesla V100-SXM2-16GB", cc="7.0")])


def rtx4090_wsl2() -> Snapshot:
    s = gpu_machine("550.54.14", [gpu()])
    return replace(s, host=replace(s.host, wsl=2, kernel="5.15.153.1-microsoft-standard-WSL2"))


def rtx5090_driver580() -> Snapshot:
    return gpu_machine("580.65.06", [gpu(name="NVIDIA GeForce RTX 5090", cc="12.0")])


def h100_p100_mixed() -> Snapshot:
    return gpu_machine(
        "580.65.06",
        [
            gpu(0, name="NVIDIA H100 80GB HBM3", cc="9.0"),
            gpu(1, name="Tesla P100-PCIE-16GB", cc="6.0"),
        ],
    )


def windows_rtx3060() -> Snapshot:
    s = gpu_machine("560.94", [gpu(name="NVIDIA GeForce RTX 3060", cc="8.6")])
    return replace(s, host=HostFacts(os="Windows", arch="AMD64"))


def macos_arm64() -> Snapshot:
    s = cpu_machine()
    return replace(s, host=HostFacts(os="Darwin", arch="arm64"), frameworks=[])


def no_gpu() -> Snapshot:
    return replace(cpu_machine(), frameworks=[])
