"""Fleets as data: 64 A100 nodes written as real `dlenv doctor --format json` reports.

The fleet admins meet after an upgrade: one node left on the previous driver (gpu017), two
nodes whose pods got no NVIDIA driver mounts (the container toolkit missing: gpu020, gpu021),
two nodes upgraded but not rebooted (gpu018, gpu031: the
driver/library mismatch), one GPU with uncorrectable ECC errors (gpu033, GPU 1), and cuDNN 8.9.7 left on the first rack
(gpu001-gpu008) while the rest moved to 9.1.0. Findings come from the real rules (diagnose).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.rules import diagnose
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    CudnnInstall,
    DriverFacts,
    HostFacts,
    Snapshot,
    VisibilityFacts,
)
from tests.check.machines import a100, runner

MOUNTS = ["/usr/bin/nvidia-smi", "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"]


def node(index: int) -> Snapshot:
    name = f"gpu{index:03d}"
    driver = DriverFacts(installed=True, version="550.54.15", cuda_version="12.4")
    if index == 17:
        driver = DriverFacts(installed=True, version="535.104.05", cuda_version="12.2")
    if index in (18, 31):  # upgraded on disk, not rebooted: the old kernel module still loaded
        driver = replace(
            driver,
            kernel_module_version="550.54.15",
            userspace_version="550.90.07",
            library_mismatch=True,
        )
    cudnn = "8.9.7" if index <= 8 else "9.1.0"
    gpus = [a100(0), a100(1, ecc_uncorrectable=4)] if index == 33 else [a100(0), a100(1)]
    mounts = [] if index in (20, 21) else MOUNTS
    return replace(
        runner(),
        dlenv_version="0.1.0",
        host=HostFacts(
            os="Linux",
            distro="Ubuntu",
            distro_version="22.04",
            kernel="5.15.0-105-generic",
            hostname=name,
            container="kubernetes",
        ),
        driver=driver,
        visibility=VisibilityFacts(container_driver_mounts=mounts),
        gpus=gpus,
        cuda=CudaFacts(
            toolkits=[CudaToolkit(path="/usr/local/cuda-12.4", version="12.4.131", kind="system")],
            cudnn=[CudnnInstall(path="/usr/lib/x86_64-linux-gnu", version=cudnn)],
        ),
    )


def report_text(snapshot: Snapshot) -> str:
    return dump_report(make_report(snapshot, diagnose(snapshot)))


def write_fleet(folder: Path, count: int = 64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        (folder / f"gpu{index:03d}.json").write_text(report_text(node(index)), encoding="utf-8")
    return folder


def write_bad_reports(folder: Path) -> None:
    """The reports that go wrong in real fleets, among the good ones."""
    good = report_text(node(5))
    # the node died while writing: cut inside the snapshot, at a place that does not move when
    # the Snapshot gains fields
    cut = good.index('"snapshot": {') + len('"snapshot": {')
    (folder / "gpu065.json").write_text(good[:cut], encoding="utf-8")
    (folder / "gpu066.json").write_text(
        '{"kind": "dlenv-report", "schema_version": 1, "snapshot": {"gpus": "many"}}',
        encoding="utf-8",
    )
    future = json.loads(good)
    future["schema_version"] = 99
    (folder / "gpu067.json").write_text(json.dumps(future), encoding="utf-8")
    older = json.loads(good)
    older["created_at"] = "2026-11-22T10:00:00+00:00"  # an earlier run of gpu005
    (folder / "old").mkdir()
    (folder / "old" / "gpu005.json").write_text(json.dumps(older), encoding="utf-8")
