"""How the console and Markdown reports show boot, /dev/shm, IOMMU, kernel modules and DKMS,
GPU processes and pairs, and the NCCL a framework ships with."""

from __future__ import annotations

import json
from dataclasses import replace

from dlenv.report.console import render_console
from dlenv.report.json import dump_report, parse_report
from dlenv.report.markdown import render_markdown
from dlenv.report.model import Report, make_report
from dlenv.snapshot.model import (
    DkmsBuild,
    DkmsFacts,
    GpuLink,
    GpuProcess,
    Snapshot,
)
from tests.report.samples import workstation

KERNEL = "6.5.0-41-generic"


def cluster_node() -> Snapshot:
    """The sample workstation with two GPUs, in a Docker container with the default /dev/shm."""
    snap = workstation()
    gpu = snap.gpus[0]
    processes = [GpuProcess(pid=4242, used_memory_mib=10240, name="python3"), GpuProcess(pid=77)]
    return replace(
        snap,
        host=replace(
            snap.host,
            efi_boot=True,
            secure_boot=True,
            shm_total_bytes=64 << 20,
            shm_free_bytes=60 << 20,
            iommu_units=["dmar0"],
            iommu_cmdline=["intel_iommu=on", "iommu=pt"],
        ),
        driver=replace(
            snap.driver,
            kernel_module_open=True,
            dkms=DkmsFacts(
                kernel=KERNEL,
                module_files=[f"/lib/modules/{KERNEL}/updates/dkms/nvidia.ko.zst"],
                builds=[DkmsBuild("nvidia", "550.54.15", KERNEL, "x86_64")],
                headers=True,
            ),
        ),
        visibility=replace(
            snap.visibility,
            nvidia_module_loaded=True,
            nvidia_uvm_loaded=True,
            nvidia_modules=["nvidia", "nvidia_uvm"],
        ),
        gpus=[
            replace(gpu, processes=2, compute_processes=processes),
            replace(gpu, index=1, uuid="GPU-6c2d"),
        ],
        gpu_links=[GpuLink(0, 1, path="PHB", p2p_read="ok", p2p_write="ok", p2p_nvlink=None)],
        frameworks=[
            replace(f, nccl_version="2.21.5", nccl_source="nvidia-nccl-cu12 wheel")
            for f in snap.frameworks
        ],
    )


def report() -> Report:
    return make_report(cluster_node(), [])


def test_console_shows_boot_and_shm_always_and_the_rest_with_verbose() -> None:
    text = render_console(report(), color=False)
    assert "· boot        UEFI, Secure Boot on\n" in text
    assert "· /dev/shm    64 MiB, 60 MiB free\n" in text
    assert "✓ gpu 0       NVIDIA GeForce RTX 4090 · 24.0 GiB · sm_89 · 4% used · 2 process(es)\n" in text
    for detail in ("iommu", "modules", "dkms", "pid 4242", "gpu 0-1", "nccl"):
        assert detail not in text


def test_console_verbose_lines() -> None:
    """Each line, with the label column's width (it differs per section) collapsed."""
    text = render_console(report(), verbose=True, color=False)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for line in (
        "· iommu units: dmar0 · kernel flags: intel_iommu=on iommu=pt",
        "· modules loaded: nvidia, nvidia_uvm (open kernel module)",
        f"· kernel {KERNEL}: 1 nvidia module file(s), headers present",
        f"· dkms nvidia 550.54.15 for {KERNEL}",
        "· pid 4242 python3 · 10.0 GiB",
        "· pid 77 ? · ?",
        "· gpu 0-1 PHB · P2P read ok, write ok, NVLink ?",
        "· nccl 2.21.5 (nvidia-nccl-cu12 wheel)",
    ):
        assert line in lines


def test_console_says_nothing_of_facts_a_pasted_report_does_not_carry() -> None:
    text = render_console(make_report(workstation(), []), verbose=True, color=False)
    for absent in ("boot", "/dev/shm", "iommu", "modules", "dkms", "nccl"):
        assert absent not in text


def test_legacy_boot_and_a_large_shm() -> None:
    snap = workstation()
    host = replace(snap.host, efi_boot=False, shm_total_bytes=32 << 30, shm_free_bytes=31 << 30)
    text = render_console(make_report(replace(snap, host=host), []), color=False)
    assert "· boot        legacy BIOS\n" in text
    assert "· /dev/shm    32.0 GiB, 31.0 GiB free\n" in text


def test_markdown_rows() -> None:
    text = render_markdown(report())
    for row in (
        "| Boot | UEFI, Secure Boot on |",
        "| /dev/shm | 64 MiB (60 MiB free) |",
        f"| Kernel modules | nvidia, nvidia_uvm; 1 module file(s) for {KERNEL}; headers present; "
        f"DKMS: 550.54.15 for {KERNEL} |",
        "| GPU 0–1 | PHB, P2P read ok, NVLink ? |",
        "| torch (torch) | 2.5.1+cu124, CUDA 12.4, cuDNN 9.1, NCCL 2.21.5 |",
    ):
        assert row in text


def test_json_round_trip_keeps_every_new_fact() -> None:
    original = report()
    text = dump_report(original)
    data = json.loads(text)
    assert data["snapshot"]["gpu_links"][0]["path"] == "PHB"
    assert data["snapshot"]["driver"]["dkms"]["builds"][0]["kernel"] == KERNEL
    assert data["snapshot"]["gpus"][0]["compute_processes"][1] == {
        "pid": 77,
        "used_memory_mib": None,
        "name": None,
    }
    assert parse_report(text) == original
