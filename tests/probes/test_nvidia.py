"""Tests for dlenv.probes.nvidia: the driver from every source, visibility, GPUs."""

from __future__ import annotations

import os
import platform
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.probes.nvidia import (
    NvidiaFacts,
    apply_cuda_visible_devices,
    collect_nvidia,
    cuda_version_string,
    same_version,
)
from dlenv.probes.nvidia_smi import BASE_FIELDS
from dlenv.snapshot.model import (
    DeviceNode,
    DkmsBuild,
    DkmsFacts,
    DriverFacts,
    DriverReading,
    GpuFacts,
    GpuLink,
    GpuProcess,
    PciDevice,
    VisibilityFacts,
)
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.nvml import NvmlLink, NvmlProcess, NvmlReport
from dlenv.system.real import RealSystem
from tests.machines.gpu import (
    A100,
    H100,
    HGX_SLOTS,
    LIBDIR,
    RTX3090,
    RTX4090,
    SMI,
    add_pci_gpu,
    add_smi,
    container_with_gpus,
    container_without_gpus,
    cpu_laptop,
    gpu_uuid,
    gpu_without_driver,
    healthy_gpu_box,
    mismatch_box,
    nouveau_box,
    nvml_broken_box,
    nvml_device,
    nvml_error,
    proc_driver_version,
    smi_row,
    wsl1_box,
    wsl2_box,
)

NODES = [
    DeviceNode("/dev/nvidia-uvm", readable=True, writable=True),
    DeviceNode("/dev/nvidia0", readable=True, writable=True),
    DeviceNode("/dev/nvidiactl", readable=True, writable=True),
]
NO_MODULE = DriverReading(
    source="sysfs", error="/sys/module/nvidia/version absent: no nvidia kernel module"
)
NO_PROCFS = DriverReading(source="procfs", error="/proc/driver/nvidia/version absent")
NO_NVML = DriverReading(
    source="nvml", error="NVML Shared Library Not Found", detail="NVML_ERROR_LIBRARY_NOT_FOUND"
)
NO_SMI = DriverReading(source="nvidia-smi", error="nvidia-smi not found")
KERNEL = "5.15.0-105-generic"
NO_DKMS = DkmsFacts(
    kernel=KERNEL,
    module_files=[],
    builds=[],
    headers=True,
    headers_path=f"/usr/src/linux-headers-{KERNEL}",
)
NO_DRIVER = DriverFacts(
    installed=False,
    readings=[NO_NVML, NO_MODULE, NO_PROCFS, NO_SMI],
    dkms=NO_DKMS,
    unknown={
        "version": "nvml: NVML Shared Library Not Found; sysfs: /sys/module/nvidia/version "
        "absent: no nvidia kernel module; procfs: /proc/driver/nvidia/version absent; "
        "nvidia-smi: nvidia-smi not found",
        "cuda_version": "NVML did not answer (NVML_ERROR_LIBRARY_NOT_FOUND)",
        "kernel_module_version": "no nvidia kernel module version in sysfs or procfs",
        "userspace_version": "no versioned libnvidia-ml and no NVML answer",
    },
)


def a100(index: int, **changes: object) -> GpuFacts:
    """GPU `index` of the healthy fixtures, as dlenv should report it."""
    gpu = GpuFacts(
        index=index,
        name="NVIDIA A100-SXM4-80GB",
        uuid=gpu_uuid(index),
        pci_bus_id=f"00000000:{HGX_SLOTS[index][5:].upper()}",
        memory_total_mib=81920,
        memory_used_mib=4 + index,
        memory_free_mib=81916 - index,
        compute_capability="8.0",
        mig_mode=False,
        persistence_mode=True,
        temperature_c=30 + index,
        power_w=60.5 + index,
        power_limit_w=400.0,
        ecc_uncorrectable=0,
        retired_pages=0,
        processes=0,
        visible=True,
        source="nvml",
    )
    return replace(gpu, **changes)  # type: ignore[arg-type]


def test_healthy_one_gpu_box_is_described_whole_and_nvidia_smi_is_not_run() -> None:
    fs = healthy_gpu_box(driver="535.104.05", gpus=1)
    lib = f"{LIBDIR}/libnvidia-ml.so.1"
    assert collect_nvidia(fs, 5.0) == NvidiaFacts(
        driver=DriverFacts(
            installed=True,
            version="535.104.05",
            cuda_version="12.2",
            kernel_module_version="535.104.05",
            userspace_version="535.104.05",
            readings=[
                DriverReading(source="nvml", version="535.104.05", cuda_version="12.2", detail=lib),
                DriverReading(source="sysfs", version="535.104.05"),
                DriverReading(source="procfs", version="535.104.05"),
                DriverReading(source="libnvidia-ml", version="535.104.05", detail=lib),
            ],
            nvidia_smi_path=SMI,
            kernel_module_open=False,
            dkms=replace(
                NO_DKMS,
                module_files=[
                    f"/lib/modules/{KERNEL}/updates/dkms/{name}.ko.zst"
                    for name in ("nvidia-drm", "nvidia-modeset", "nvidia-uvm", "nvidia")
                ],
                builds=[DkmsBuild("nvidia", "535.104.05", KERNEL, "x86_64")],
            ),
        ),
        visibility=VisibilityFacts(
            nvidia_pci_devices=[
                PciDevice("0000:18:00.0", "0x10de", "0x20b2", "0x030200", "nvidia")
            ],
            nouveau_loaded=False,
            nvidia_module_loaded=True,
            nvidia_uvm_loaded=True,
            nvidia_modules=["nvidia", "nvidia_uvm"],
            device_nodes=NODES,
        ),
        gpus=[a100(0)],
    )
    assert fs.calls == []  # NVML answered: no second opinion from the same library


def test_eight_gpu_box_lists_every_gpu_in_order() -> None:
    fs = healthy_gpu_box(driver="550.54.15", gpus=8, model=H100, cuda=12040)
    facts = collect_nvidia(fs, 5.0)
    assert facts.driver.version == "550.54.15"
    assert facts.driver.cuda_version == "12.4"
    assert [g.index for g in facts.gpus] == list(range(8))
    assert [g.pci_bus_id for g in facts.gpus] == [
        "00000000:18:00.0",
        "00000000:2A:00.0",
        "00000000:3A:00.0",
        "00000000:5D:00.0",
        "00000000:9A:00.0",
        "00000000:AB:00.0",
        "00000000:BA:00.0",
        "00000000:DB:00.0",
    ]
    assert {(g.name, g.compute_capability, g.memory_total_mib) for g in facts.gpus} == {
        ("NVIDIA H100 80GB HBM3", "9.0", 81559)
    }
    assert all(g.visible for g in facts.gpus)
    assert [d.slot for d in facts.visibility.nvidia_pci_devices] == list(HGX_SLOTS)
    assert len(facts.visibility.device_nodes) == 10  # nvidia0-7, nvidiactl, nvidia-uvm


def test_cpu_only_laptop_has_no_driver_and_that_is_a_plain_answer() -> None:
    assert collect_nvidia(cpu_laptop(), 5.0) == NvidiaFacts(
        driver=NO_DRIVER,
        visibility=VisibilityFacts(
            nouveau_loaded=False, nvidia_module_loaded=False, nvidia_uvm_loaded=False
        ),
    )


def test_gpu_on_the_bus_without_any_driver() -> None:
    facts = collect_nvidia(gpu_without_driver(gpus=1), 5.0)
    assert facts.driver == NO_DRIVER
    assert facts.visibility == VisibilityFacts(
        nvidia_pci_devices=[PciDevice("0000:18:00.0", "0x10de", "0x2204", "0x030200", None)],
        nouveau_loaded=False,
        nvidia_module_loaded=False,
        nvidia_uvm_loaded=False,
    )
    assert facts.gpus == []


def test_nouveau_holding_the_gpu_is_seen_and_the_audio_function_is_not_a_gpu() -> None:
    facts = collect_nvidia(nouveau_box(), 5.0)
    assert facts.driver == NO_DRIVER
    assert facts.visibility == VisibilityFacts(
        nvidia_pci_devices=[PciDevice("0000:01:00.0", "0x10de", "0x2204", "0x030200", "nouveau")],
        nouveau_loaded=True,
        nvidia_module_loaded=False,
        nvidia_uvm_loaded=False,
    )


def test_driver_library_mismatch_after_an_upgrade() -> None:
    fs = mismatch_box(kernel="535.104.05", library="545.23.06")
    lib = f"{LIBDIR}/libnvidia-ml.so.1"
    facts = collect_nvidia(fs, 5.0)
    assert facts.driver == DriverFacts(
        installed=True,
        version="535.104.05",
        kernel_module_version="535.104.05",
        userspace_version="545.23.06",
        library_mismatch=True,
        sources_disagree=True,
        readings=[
            DriverReading(
                source="nvml",
                error="RM has detected an NVML/RM version mismatch.",
                detail="NVML_ERROR_LIB_RM_VERSION_MISMATCH",
            ),
            DriverReading(source="sysfs", version="535.104.05"),
            DriverReading(source="procfs", version="535.104.05"),
            DriverReading(
                source="nvidia-smi",
                error="Failed to initialize NVML: Driver/library version mismatch",
                detail="exit code 18: the driver/library versions mismatch "
                "(NVML_ERROR_LIB_RM_VERSION_MISMATCH)",
            ),
            DriverReading(source="libnvidia-ml", version="545.23.06", detail=lib),
        ],
        nvidia_smi_path=SMI,
        kernel_module_open=False,
        dkms=NO_DKMS,
        unknown={"cuda_version": "NVML did not answer (NVML_ERROR_LIB_RM_VERSION_MISMATCH)"},
    )
    assert facts.gpus == []
    assert len(fs.calls) == 1  # nvidia-smi, once


def test_mismatch_is_seen_from_files_alone_when_nothing_else_answers() -> None:
    fs = mismatch_box(kernel="535.104.05", library="545.23.06")
    fs.nvml_report = nvml_error("NVML_ERROR_UNKNOWN", "Unknown Error")
    fs.commands.clear()
    fs.files.pop(SMI)
    driver = collect_nvidia(fs, 5.0).driver
    assert (driver.kernel_module_version, driver.userspace_version) == ("535.104.05", "545.23.06")
    assert driver.library_mismatch is True


def test_nvidia_smi_user_space_version_from_its_mismatch_message() -> None:
    fs = mismatch_box(kernel="535.104.05", library="545.23.06")
    # no versioned library file to read: only nvidia-smi's "NVML library version" line tells
    fs.nvml_report = nvml_error("NVML_ERROR_LIB_RM_VERSION_MISMATCH", "mismatch")
    fs.symlinks.pop(f"{LIBDIR}/libnvidia-ml.so.1")
    fs.files.pop(f"{LIBDIR}/libnvidia-ml.so.545.23.06")
    driver = collect_nvidia(fs, 5.0).driver
    assert driver.userspace_version == "545.23"
    assert driver.library_mismatch is True


def test_hung_nvidia_smi_is_killed_at_the_timeout() -> None:
    fs = nvml_broken_box(driver="535.104.05", smi=Command(hang=True))
    started = time.perf_counter()
    facts = collect_nvidia(fs, 2.0)
    assert time.perf_counter() - started < 1.0
    assert facts.driver.readings[3] == DriverReading(
        source="nvidia-smi",
        error="nvidia-smi did not answer within 2 s (killed)",
        detail="a GPU without persistence mode, or a driver in a bad state, can hang it",
    )
    assert facts.driver.version == "535.104.05"  # the kernel module still answers
    assert facts.gpus == []


def test_real_hanging_nvidia_smi_does_not_stall_collection(tmp_path: Path) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    system = RealSystem(env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    system.__dict__["_nvml_report"] = nvml_error("NVML_ERROR_UNKNOWN", "Unknown Error")
    started = time.perf_counter()
    facts = collect_nvidia(system, 0.3)
    assert time.perf_counter() - started < 3.0
    smi = next(r for r in facts.driver.readings if r.source == "nvidia-smi")
    assert smi.error == "nvidia-smi did not answer within 0.3 s (killed)"
    assert facts.driver.nvidia_smi_path == str(script)


def test_real_nvidia_smi_exit_code_9_is_explained(tmp_path: Path) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with the "
        'NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."\n'
        "exit 9\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    system = RealSystem(env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    system.__dict__["_nvml_report"] = nvml_error(
        "NVML_ERROR_DRIVER_NOT_LOADED", "Driver Not Loaded"
    )
    facts = collect_nvidia(system, 5.0)
    smi = next(r for r in facts.driver.readings if r.source == "nvidia-smi")
    assert smi == DriverReading(
        source="nvidia-smi",
        error="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
        "Make sure that the latest NVIDIA driver is installed and running.",
        detail="exit code 9: the NVIDIA driver is not loaded",
    )
    assert facts.driver.installed is True  # user space is there; the module is not


def test_gpu_fallen_off_the_bus_exit_15_keeps_the_gpus_that_answered() -> None:
    rows = [smi_row(i, A100, "535.104.05") for i in range(3)]
    lost = "Unable to determine the device handle for GPU0000:5D:00.0: GPU is lost."
    fs = nvml_broken_box(
        smi=Command(stdout="\n".join([*rows, lost]) + "\n", returncode=15),
    )
    facts = collect_nvidia(fs, 5.0)
    assert facts.driver.readings[3] == DriverReading(
        source="nvidia-smi",
        version="535.104.05",
        error=lost,
        detail="exit code 15: the GPU has fallen off the bus or has otherwise become inaccessible",
    )
    assert [g.index for g in facts.gpus] == [0, 1, 2]
    assert facts.gpus[1] == a100(
        1,
        source="nvidia-smi",
        mig_mode=False,
        processes=None,
        unknown={"processes": "nvidia-smi's GPU query does not count processes"},
    )


def test_err_and_na_fields_with_exit_0_become_unknown_per_field() -> None:
    row = (
        "0, NVIDIA GeForce RTX 3090, GPU-0f3c9a1e-5b2d-4e7a-9c1f-000000000000, "
        "00000000:01:00.0, 535.104.05, 24576, [ERR!], [ERR!], Disabled, [N/A], [ERR!], "
        "[Unknown Error], 350.00, [N/A], [N/A], [N/A], 8.6"
    )
    fs = nvml_broken_box(smi=Command(stdout=row + "\n"))
    facts = collect_nvidia(fs, 5.0)
    assert facts.gpus == [
        GpuFacts(
            index=0,
            name="NVIDIA GeForce RTX 3090",
            uuid="GPU-0f3c9a1e-5b2d-4e7a-9c1f-000000000000",
            pci_bus_id="00000000:01:00.0",
            memory_total_mib=24576,
            compute_capability="8.6",
            persistence_mode=False,
            power_limit_w=350.0,
            visible=True,
            source="nvidia-smi",
            unknown={
                "memory_used_mib": "nvidia-smi reported [ERR!] for memory.used",
                "memory_free_mib": "nvidia-smi reported [ERR!] for memory.free",
                "mig_mode": "nvidia-smi reported [N/A] for mig.mode.current",
                "temperature_c": "nvidia-smi reported [ERR!] for temperature.gpu",
                "power_w": "nvidia-smi reported [Unknown Error] for power.draw",
                "ecc_uncorrectable": "nvidia-smi reported [N/A] for "
                "ecc.errors.uncorrected.aggregate.total",
                "retired_pages": "nvidia-smi reported [N/A] for retired_pages.dbe",
                "processes": "nvidia-smi's GPU query does not count processes",
            },
        )
    ]
    assert facts.driver.readings[3] == DriverReading(source="nvidia-smi", version="535.104.05")


def test_old_driver_is_not_asked_for_compute_cap() -> None:
    rows = smi_row(0, A100, "470.239.06")
    fs = nvml_broken_box(driver="470.239.06", smi=Command(stdout=rows + "\n"))
    gpu = collect_nvidia(fs, 5.0).gpus[0]
    assert fs.calls[0][1] == f"--query-gpu={','.join(BASE_FIELDS)}"
    assert gpu.compute_capability is None
    assert gpu.unknown["compute_capability"] == (
        "nvidia-smi was not asked for compute_cap (older driver)"
    )


def test_nvml_timeout_skips_nvidia_smi_which_would_hang_on_the_same_library() -> None:
    fs = healthy_gpu_box()
    fs.nvml_report = NvmlReport(
        library_found=True, error="TIMEOUT", error_message="NVML did not answer within 10 s"
    )
    facts = collect_nvidia(fs, 5.0)
    assert fs.calls == []
    assert facts.driver.readings[0] == DriverReading(
        source="nvml", error="NVML did not answer within 10 s", detail="TIMEOUT"
    )
    assert (facts.driver.installed, facts.driver.version) == (True, "535.104.05")


def test_nvml_field_errors_become_per_gpu_unknowns() -> None:
    fs = healthy_gpu_box()
    device = replace(
        nvml_device(0),
        memory_total_bytes=None,
        memory_used_bytes=None,
        memory_free_bytes=None,
        ecc_uncorrectable=None,
        errors={
            "memory": "GPU is lost (NVML_ERROR_GPU_IS_LOST)",
            "ecc_uncorrectable": "Not Supported (NVML_ERROR_NOT_SUPPORTED)",
        },
    )
    fs.nvml_report = replace(fs.nvml_report, devices=(device,))
    assert collect_nvidia(fs, 5.0).gpus == [
        a100(
            0,
            memory_total_mib=None,
            memory_used_mib=None,
            memory_free_mib=None,
            ecc_uncorrectable=None,
            unknown={
                "memory_total_mib": "GPU is lost (NVML_ERROR_GPU_IS_LOST)",
                "memory_used_mib": "GPU is lost (NVML_ERROR_GPU_IS_LOST)",
                "memory_free_mib": "GPU is lost (NVML_ERROR_GPU_IS_LOST)",
                "ecc_uncorrectable": "Not Supported (NVML_ERROR_NOT_SUPPORTED)",
            },
        )
    ]


def test_wsl2_driver_comes_from_windows_through_dxg() -> None:
    facts = collect_nvidia(wsl2_box(driver="551.61", cuda=12040), 5.0)
    assert facts.driver == DriverFacts(
        installed=True,
        version="551.61",
        cuda_version="12.4",
        userspace_version="551.61",
        readings=[
            DriverReading(
                source="nvml",
                version="551.61",
                cuda_version="12.4",
                detail="/usr/lib/wsl/lib/libnvidia-ml.so.1",
            ),
            NO_MODULE,
            NO_PROCFS,
        ],
        nvidia_smi_path="/usr/lib/wsl/lib/nvidia-smi",
        dkms=wsl_dkms("5.15.146.1-microsoft-standard-WSL2"),
        unknown={"kernel_module_version": "no nvidia kernel module version in sysfs or procfs"},
    )
    assert facts.visibility == VisibilityFacts(
        nouveau_loaded=False,
        nvidia_module_loaded=False,
        nvidia_uvm_loaded=False,
        device_nodes=[DeviceNode("/dev/dxg", readable=True, writable=True)],
        wsl_dxg=True,
        wsl_libcuda="/usr/lib/wsl/lib/libcuda.so.1",
    )
    assert [g.name for g in facts.gpus] == ["NVIDIA GeForce RTX 4090"]


def test_wsl1_has_no_gpu_path_and_says_why_it_cannot_look() -> None:
    facts = collect_nvidia(wsl1_box(), 5.0)
    assert facts.driver == replace(NO_DRIVER, dkms=wsl_dkms("4.4.0-19041-Microsoft"))
    unreadable = "neither /proc/modules nor /sys/module readable"
    assert facts.visibility == VisibilityFacts(
        wsl_dxg=False,
        unknown={
            "nvidia_pci_devices": "/sys/bus/pci/devices not readable",
            "nvidia_module_loaded": unreadable,
            "nvidia_uvm_loaded": unreadable,
            "nvidia_modules": unreadable,
        },
    )


def wsl_dkms(kernel: str) -> DkmsFacts:
    """WSL's kernel comes from Windows: no /lib/modules tree for it."""
    absent = f"/lib/modules/{kernel} absent (as in a container or under WSL: the kernel is "
    absent += "the host's)"
    return DkmsFacts(kernel=kernel, builds=[], unknown={"module_files": absent, "headers": absent})


def test_container_started_without_gpus() -> None:
    facts = collect_nvidia(container_without_gpus(), 5.0)
    assert facts.visibility == VisibilityFacts(
        nvidia_pci_devices=[PciDevice("0000:18:00.0", "0x10de", "0x20b2", "0x030200", "nvidia")],
        nouveau_loaded=False,
        nvidia_module_loaded=True,
        nvidia_uvm_loaded=True,
        nvidia_modules=["nvidia", "nvidia_uvm"],
        container_gpu_request="all",
    )
    assert (facts.driver.kernel_module_version, facts.driver.userspace_version) == (
        "535.104.05",
        None,
    )
    assert facts.gpus == []


def test_container_with_gpus_lists_the_toolkit_mounts() -> None:
    facts = collect_nvidia(container_with_gpus(driver="535.104.05", gpus=2), 5.0)
    assert facts.visibility.container_gpu_request == "all"
    assert facts.visibility.container_driver_mounts == [
        "/dev/nvidia0",
        "/proc/driver/nvidia",
        "/usr/bin/nvidia-smi",
        f"{LIBDIR}/libcuda.so.535.104.05",
        f"{LIBDIR}/libnvidia-ml.so.535.104.05",
    ]
    assert len(facts.gpus) == 2


def test_device_node_the_user_may_not_write() -> None:
    fs = healthy_gpu_box()
    fs.writable.discard("/dev/nvidia0")
    fs.unreadable.add("/dev/nvidia-uvm")
    assert collect_nvidia(fs, 5.0).visibility.device_nodes == [
        DeviceNode("/dev/nvidia-uvm", readable=False, writable=False),
        DeviceNode("/dev/nvidia0", readable=True, writable=False),
        DeviceNode("/dev/nvidiactl", readable=True, writable=True),
    ]


def test_windows_nvidia_smi_is_found_in_system32() -> None:
    smi = "C:\\Windows\\System32\\nvidia-smi.exe"
    fs = FakeSystem(
        platform_name="win32",
        env_vars={"WINDIR": "C:\\Windows", "CUDA_VISIBLE_DEVICES": "0"},
        nvml_report=nvml_error("NVML_ERROR_DRIVER_NOT_LOADED", "Driver Not Loaded"),
    )
    # the kernel module's version is unknown on Windows, so compute_cap is not asked for
    row = smi_row(0, RTX4090, "551.61", "0000:01:00.0").rsplit(", ", 1)[0]
    add_smi(fs, None, Command(stdout=row + "\n"), path=smi)
    facts = collect_nvidia(fs, 5.0)
    assert facts.driver.nvidia_smi_path == smi
    assert facts.driver.version == "551.61"
    assert [r.source for r in facts.driver.readings] == ["nvml", "nvidia-smi"]
    assert [(g.name, g.visible) for g in facts.gpus] == [("NVIDIA GeForce RTX 4090", True)]
    assert facts.visibility == VisibilityFacts(
        cuda_visible_devices="0",
        unknown={
            "nvidia_pci_devices": "read from sysfs and procfs on Linux only (this is win32)",
            "nouveau_loaded": "read from sysfs and procfs on Linux only (this is win32)",
            "device_nodes": "read from sysfs and procfs on Linux only (this is win32)",
        },
    )


# -- CUDA_VISIBLE_DEVICES ---------------------------------------------------------------------
def four_gpus(models: tuple[str, ...] = ("A",) * 4) -> list[GpuFacts]:
    return [
        GpuFacts(index=i, name=m, uuid=gpu_uuid(i), pci_bus_id=f"00000000:{i + 1:02X}:00.0")
        for i, m in enumerate(models)
    ]


@pytest.mark.parametrize(
    ("value", "visible"),
    [
        ("1,3", [False, True, False, True]),
        ("3,1", [False, True, False, True]),
        ("", [False, False, False, False]),
        ("-1", [False, False, False, False]),
        ("NoDevFiles", [False, False, False, False]),
        ("0,2,-1,1", [True, False, True, False]),  # the CUDA guide's own example
        ("1gpu2,2ampere", [False, True, True, False]),  # read like strtoul
        (" 1 , 2 ", [False, True, True, False]),
        ("5", [False, False, False, False]),  # no such device: invalid, stops at once
        ("1,5,2", [False, True, False, False]),
        ("0,0", [False, False, False, False]),  # a repeated device hides all
        ("GPU-2f3c", [False, False, True, False]),  # a UUID prefix
        (f"{gpu_uuid(3)},GPU-1", [False, True, False, True]),
        ("GPU-", [False, False, False, False]),  # ambiguous prefix: invalid
        ("GPU-dead,1", [False, False, False, False]),
        (f"MIG-{gpu_uuid(1)}/1/0", [False, True, False, False]),  # pre-R470 MIG spelling
        ("0,1,2,3", [True, True, True, True]),
    ],
)
def test_cuda_visible_devices_follows_cuda_parsing(value: str, visible: list[bool]) -> None:
    gpus = apply_cuda_visible_devices(four_gpus(), value)
    assert [g.visible for g in gpus] == visible
    assert all("visible" not in g.unknown for g in gpus)


def test_unset_cuda_visible_devices_shows_every_gpu() -> None:
    assert [g.visible for g in apply_cuda_visible_devices(four_gpus(), None)] == [True] * 4


def test_mig_uuid_entries_cannot_be_mapped_statically() -> None:
    gpus = apply_cuda_visible_devices(four_gpus(), "MIG-7a2b1c3d-0000-5555-8888-111122223333")
    assert [g.visible for g in gpus] == [None] * 4
    assert gpus[0].unknown == {
        "visible": "CUDA_VISIBLE_DEVICES names MIG devices by their own UUIDs"
    }


def test_mixed_models_make_an_index_ambiguous_unless_pci_order_is_asked() -> None:
    gpus = four_gpus(("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3090", "A", "A"))
    unsure = apply_cuda_visible_devices(gpus, "0")
    assert [g.visible for g in unsure] == [None] * 4
    assert unsure[0].unknown["visible"].startswith("GPUs of different models")
    ordered = apply_cuda_visible_devices(gpus, "0", "PCI_BUS_ID")
    assert [g.visible for g in ordered] == [True, False, False, False]
    everything = apply_cuda_visible_devices(gpus, "1,0,2,3")
    assert [g.visible for g in everything] == [True] * 4


def test_collect_applies_cuda_visible_devices_from_the_environment() -> None:
    fs = healthy_gpu_box(gpus=4, env={"CUDA_VISIBLE_DEVICES": "2"})
    facts = collect_nvidia(fs, 5.0)
    assert [g.visible for g in facts.gpus] == [False, False, True, False]
    assert facts.visibility.cuda_visible_devices == "2"


# -- small pieces ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [(12040, "12.4"), (11080, "11.8"), (12000, "12.0"), (13010, "13.1"), (0, None), (None, None)],
)
def test_cuda_version_string(value: int | None, text: str | None) -> None:
    assert cuda_version_string(value) == text


def test_same_version_compares_what_both_sides_say() -> None:
    assert same_version("535.161", "535.161.07")
    assert not same_version("535.104.05", "545.23.06")


def test_open_kernel_module_version_is_read_from_procfs() -> None:
    fs = healthy_gpu_box(driver="550.54.15")
    fs.files.pop("/sys/module/nvidia/version")
    fs.add_file(
        "/proc/driver/nvidia/version",
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Tue Mar  5 22:15:33 UTC 2024\n",
    )
    driver = collect_nvidia(fs, 5.0).driver
    assert driver.kernel_module_version == "550.54.15"
    assert driver.readings[1:3] == [NO_MODULE, DriverReading(source="procfs", version="550.54.15")]


def test_gpu_behind_vfio_is_reported_with_its_driver() -> None:
    fs = cpu_laptop()
    add_pci_gpu(fs, "0000:65:00.0", RTX3090, kernel_driver="vfio-pci")
    pci = collect_nvidia(fs, 5.0).visibility.nvidia_pci_devices
    assert pci == [PciDevice("0000:65:00.0", "0x10de", "0x2204", "0x030200", "vfio-pci")]


def test_real_machine_without_a_driver() -> None:
    """dlenv's test machines have no NVIDIA driver: the real probe says so, exactly."""
    system = RealSystem(env={**os.environ, "PATH": "/usr/bin:/bin"})
    facts = collect_nvidia(system, 5.0)
    assert replace(facts.driver, dkms=NO_DKMS) == NO_DRIVER
    assert facts.driver.dkms.kernel == platform.release()
    assert facts.driver.dkms.module_files in ([], None)  # None: no /lib/modules in a container
    assert facts.driver.dkms.builds == []
    assert facts.gpus == []
    assert facts.visibility.nvidia_module_loaded is False
    assert facts.visibility.nvidia_uvm_loaded is False


# -- kernel modules ---------------------------------------------------------------------------
def test_nvidia_loaded_without_nvidia_uvm() -> None:
    """A headless server after boot: nvidia is loaded, nvidia_uvm (which CUDA needs) is not,
    and /dev/nvidia-uvm does not exist until something loads it."""
    fs = healthy_gpu_box()
    fs.add_file(
        "/proc/modules",
        "nvidia_drm 102400 0 - Live 0x0\nnvidia 56717312 1 nvidia_drm, Live 0x0 (POE)\n",
    )
    fs.files.pop("/dev/nvidia-uvm")
    visibility = collect_nvidia(fs, 5.0).visibility
    assert (visibility.nvidia_module_loaded, visibility.nvidia_uvm_loaded) == (True, False)
    assert visibility.nvidia_modules == ["nvidia", "nvidia_drm"]
    assert visibility.device_node("/dev/nvidia-uvm") is None
    assert visibility.device_node("/dev/nvidiactl") == DeviceNode("/dev/nvidiactl", True, True)


def test_modules_from_sys_module_when_proc_modules_is_unreadable() -> None:
    fs = healthy_gpu_box()
    fs.files.pop("/proc/modules")
    fs.add_dir("/sys/module/nvidia_uvm")
    fs.add_dir("/sys/module/snd_hda_intel")
    visibility = collect_nvidia(fs, 5.0).visibility
    assert (visibility.nvidia_module_loaded, visibility.nvidia_uvm_loaded) == (True, True)
    assert visibility.nvidia_modules == ["nvidia", "nvidia_uvm"]


def test_open_kernel_module_is_told_from_the_proprietary_one() -> None:
    fs = healthy_gpu_box(driver="550.54.15")
    assert collect_nvidia(fs, 5.0).driver.kernel_module_open is False
    fs.add_file("/proc/driver/nvidia/version", proc_driver_version("550.54.15", open_module=True))
    assert collect_nvidia(fs, 5.0).driver.kernel_module_open is True
    fs.files.pop("/proc/driver/nvidia/version")
    assert collect_nvidia(fs, 5.0).driver.kernel_module_open is None  # sysfs does not say


# -- processes holding GPU memory -------------------------------------------------------------
def box_with_processes(*processes: NvmlProcess) -> FakeSystem:
    fs = healthy_gpu_box(gpus=2)
    first = replace(fs.nvml_report.devices[0], processes=len(processes))
    first = replace(first, compute_processes=processes)
    fs.nvml_report = replace(fs.nvml_report, devices=(first, fs.nvml_report.devices[1]))
    return fs


def test_processes_holding_gpu_memory_with_their_names() -> None:
    fs = box_with_processes(NvmlProcess(4242, 10 << 30), NvmlProcess(777, None))
    fs.add_file("/proc/4242/comm", "python3\n")
    fs.add_file("/proc/777/comm", "Xorg\n")
    gpus = collect_nvidia(fs, 5.0).gpus
    assert gpus[0].compute_processes == [
        GpuProcess(pid=4242, used_memory_mib=10240, name="python3"),
        GpuProcess(pid=777, used_memory_mib=None, name="Xorg"),
    ]
    assert gpus[0].processes == 2
    assert "compute_processes.name" not in gpus[0].unknown
    assert gpus[1].compute_processes == []


def test_a_process_that_exited_or_is_hidden_keeps_its_pid_without_a_name() -> None:
    fs = box_with_processes(NvmlProcess(4242, 1 << 30), NvmlProcess(31337, 2 << 30))
    fs.add_file("/proc/4242/comm", "python3\n")
    gpu = collect_nvidia(fs, 5.0).gpus[0]
    assert [(p.pid, p.name) for p in gpu.compute_processes] == [(4242, "python3"), (31337, None)]
    assert gpu.unknown["compute_processes.name"] == "/proc/<pid>/comm not readable for PID 31337"


def test_in_a_container_pids_are_the_hosts_so_no_names_are_guessed() -> None:
    fs = box_with_processes(NvmlProcess(4242, 1 << 30))
    fs.add_file("/proc/4242/comm", "bash\n")  # some other process of the container's namespace
    fs.add_file("/.dockerenv", "")
    gpu = collect_nvidia(fs, 5.0).gpus[0]
    assert gpu.compute_processes == [GpuProcess(pid=4242, used_memory_mib=1024)]
    assert gpu.unknown["compute_processes.name"] == (
        "in a container (docker), NVML's PIDs are the host's: not looked up"
    )


def test_processes_nvml_cannot_list_are_unknown() -> None:
    fs = healthy_gpu_box()
    why = "Insufficient Permissions (NVML_ERROR_NO_PERMISSION)"
    device = replace(fs.nvml_report.devices[0], processes=None, errors={"processes": why})
    fs.nvml_report = replace(fs.nvml_report, devices=(device,))
    gpu = collect_nvidia(fs, 5.0).gpus[0]
    assert (gpu.processes, gpu.compute_processes) == (None, [])
    assert gpu.unknown["compute_processes"] == why


# -- GPU pairs --------------------------------------------------------------------------------
def test_gpu_pairs_are_described_in_nvidia_smi_topo_words() -> None:
    fs = healthy_gpu_box(gpus=3)
    not_supported = "Not Supported (NVML_ERROR_NOT_SUPPORTED)"
    fs.nvml_report = replace(
        fs.nvml_report,
        links=(
            NvmlLink(0, 1, topology=10, p2p_read=0, p2p_write=0, p2p_nvlink=0),
            NvmlLink(0, 2, topology=50, p2p_read=3, p2p_write=3, p2p_nvlink=5),
            NvmlLink(
                1, 2, topology=40, p2p_read=4, p2p_write=4, errors={"p2p_nvlink": not_supported}
            ),
        ),
    )
    assert collect_nvidia(fs, 5.0).links == [
        GpuLink(0, 1, path="PIX", p2p_read="ok", p2p_write="ok", p2p_nvlink="ok"),
        GpuLink(
            0,
            2,
            path="SYS",
            p2p_read="topology-not-supported",
            p2p_write="topology-not-supported",
            p2p_nvlink="not-supported",
        ),
        GpuLink(
            1,
            2,
            path="NODE",
            p2p_read="disabled-by-regkey",
            p2p_write="disabled-by-regkey",
            unknown={"p2p_nvlink": not_supported},
        ),
    ]


def test_gpu_pair_nvml_could_not_describe_keeps_the_reason() -> None:
    fs = healthy_gpu_box(gpus=2)
    lost = "GPU is lost (NVML_ERROR_GPU_IS_LOST)"
    fs.nvml_report = replace(
        fs.nvml_report,
        links=(NvmlLink(0, 1, topology=99, errors={"p2p_read": lost, "p2p_write": lost}),),
    )
    assert collect_nvidia(fs, 5.0).links == [
        GpuLink(0, 1, path="level 99", unknown={"p2p_read": lost, "p2p_write": lost})
    ]


def test_no_pairs_with_one_gpu_or_without_nvml() -> None:
    assert collect_nvidia(healthy_gpu_box(gpus=1), 5.0).links == []
    fs = healthy_gpu_box(gpus=2)
    fs.nvml_report = replace(
        nvml_error("NVML_ERROR_UNKNOWN", "Unknown Error"),
        links=(NvmlLink(0, 1, topology=10),),
    )
    assert collect_nvidia(fs, 5.0).links == []
