"""Tests for dlenv.probes.host: the machine's OS, kernel, WSL, container, CPU, RAM and disk."""

from __future__ import annotations

import os
import platform
import shutil
import sys

import pytest

from dlenv.probes.host import collect_host, detect_container, detect_wsl
from dlenv.snapshot.model import HostFacts
from dlenv.system.base import DiskUsage, MachineInfo
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.gpu import GIB, linux_host, wsl1_box, wsl2_box


def test_linux_gpu_node_is_described_whole() -> None:
    fs = linux_host()
    assert collect_host(fs, "/opt/venv") == HostFacts(
        os="Linux",
        distro="Ubuntu",
        distro_version="22.04",
        kernel="5.15.0-105-generic",
        arch="x86_64",
        cpu_model="Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        cpu_cores_physical=8,
        cpu_cores_logical=16,
        ram_total_bytes=64 * GIB,
        ram_available_bytes=48 * GIB,
        glibc_version="2.35",
        disk_free_bytes=123 * GIB,
        disk_free_path="/opt/venv",
        hostname="gpu-node-1",
        user="alice",
        efi_boot=True,
        secure_boot=False,
        shm_total_bytes=32 * GIB,
        shm_free_bytes=31 * GIB,
        iommu_units=[],
        iommu_cmdline=[],
    )
    assert fs.calls == []  # glibc came from confstr: no `ldd` needed


def test_wsl_versions() -> None:
    assert collect_host(wsl2_box(), None).wsl == 2
    assert collect_host(wsl1_box(), None).wsl == 1
    assert detect_wsl(linux_host()) is None


def test_wsl2_with_a_custom_kernel_is_told_by_dev_dxg() -> None:
    fs = linux_host(kernel="6.6.36-custom", env={"WSL_DISTRO_NAME": "Debian"})
    fs.add_file("/proc/sys/fs/binfmt_misc/WSLInterop", "enabled\n")
    fs.add_file("/dev/dxg", "")
    assert detect_wsl(fs) == 2


def test_wsl_distro_name_alone_is_not_wsl() -> None:
    """A variable copied into a container's environment does not make it WSL."""
    assert detect_wsl(linux_host(env={"WSL_DISTRO_NAME": "Ubuntu"})) is None


@pytest.mark.parametrize(
    ("files", "env", "expected"),
    [
        ({}, {}, None),
        ({"/.dockerenv": ""}, {}, "docker"),
        ({"/run/.containerenv": ""}, {}, "podman"),
        ({"/.dockerenv": ""}, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "kubernetes"),
        ({"/proc/1/cgroup": "12:pids:/docker/3f1e2a\n"}, {}, "docker"),
        ({"/proc/1/cgroup": "11:cpu:/kubepods/burstable/pod1/ab\n"}, {}, "kubernetes"),
        ({}, {"APPTAINER_CONTAINER": "/scratch/pytorch.sif"}, "apptainer"),
        ({}, {"container": "systemd-nspawn"}, "systemd-nspawn"),
    ],
)
def test_container_detection(
    files: dict[str, str], env: dict[str, str], expected: str | None
) -> None:
    fs = linux_host(env=env)
    for path, content in files.items():
        fs.add_file(path, content)
    assert detect_container(fs) == expected
    assert collect_host(fs, None).container == expected


def test_arm_server_counts_cores_from_sysfs_topology() -> None:
    fs = linux_host()
    cpuinfo = "".join(
        f"processor\t: {i}\nBogoMIPS\t: 50.00\nCPU part\t: 0xd40\n\n" for i in range(4)
    )
    fs.add_file("/proc/cpuinfo", cpuinfo)
    for cpu in range(4):
        fs.add_file(f"/sys/devices/system/cpu/cpu{cpu}/topology/physical_package_id", "0\n")
        fs.add_file(f"/sys/devices/system/cpu/cpu{cpu}/topology/core_id", f"{cpu}\n")
    facts = collect_host(fs, None)
    assert (facts.cpu_model, facts.cpu_cores_physical, facts.cpu_cores_logical) == (None, 4, 4)
    assert facts.unknown["cpu_model"] == "no model name in /proc/cpuinfo"


def test_cpu_flags_keep_the_vector_extensions_wheels_need() -> None:
    """The SIMD flags of /proc/cpuinfo (DL508 reads them): a Pentium without AVX, a Xeon with
    it; an ARM CPU lists none of them, and a CPU with no flags line is not known."""
    fs = linux_host()
    pentium = "model name\t: Intel(R) Pentium(R) CPU G4560\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt aes\n\n"
    fs.add_file("/proc/cpuinfo", pentium)
    assert collect_host(fs, None).cpu_flags == ["sse4_1", "sse4_2", "popcnt"]
    fs.add_file("/proc/cpuinfo", pentium.replace("aes", "aes avx avx2 fma f16c"))
    assert collect_host(fs, None).cpu_flags == [
        "sse4_1",
        "sse4_2",
        "popcnt",
        "avx",
        "avx2",
        "fma",
        "f16c",
    ]
    fs.add_file("/proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n\n")
    assert collect_host(fs, None).cpu_flags is None


def test_glibc_from_ldd_when_confstr_cannot_tell() -> None:
    fs = linux_host()
    fs.machine = MachineInfo(user="alice", hostname="n1")
    fs.add_command(
        "ldd --version",
        Command(stdout="ldd (Ubuntu GLIBC 2.35-0ubuntu3.6) 2.35\nCopyright (C) 2022\n"),
    )
    assert collect_host(fs, None).glibc_version == "2.35"


def test_musl_is_not_glibc() -> None:
    fs = linux_host()
    fs.machine = MachineInfo()
    fs.add_command(
        "ldd --version", Command(stderr="musl libc (x86_64)\nVersion 1.2.4\n", returncode=1)
    )
    facts = collect_host(fs, None)
    assert facts.glibc_version is None
    assert facts.unknown["glibc_version"] == "musl libc, not glibc"


def test_missing_files_become_reasons() -> None:
    fs = FakeSystem(env_vars={"USER": "bob"})
    facts = collect_host(fs, None)
    assert facts == HostFacts(
        os="Linux",
        user="bob",
        unknown={
            "distro": "no /etc/os-release or /usr/lib/os-release",
            "kernel": "no /proc/sys/kernel/osrelease and no uname release",
            "cpu_model": "/proc/cpuinfo unreadable",
            "cpu_cores_physical": "no core topology in /proc/cpuinfo or sysfs",
            "ram_total_bytes": "/proc/meminfo unreadable and no psutil answer",
            "disk_free_bytes": "the target interpreter's prefix is not known",
            "glibc_version": "no glibc version: ldd: not found",
            "efi_boot": "/sys/firmware is hidden here",
            "secure_boot": "/sys/firmware is hidden here",
            "shm_total_bytes": "/dev/shm absent",
            "shm_free_bytes": "/dev/shm absent",
            "iommu_units": "/sys/class absent or not readable",
            "iommu_cmdline": "/proc/cmdline not readable",
        },
    )


def test_windows_host_comes_from_machine_info() -> None:
    fs = FakeSystem(
        platform_name="win32",
        env_vars={"USERNAME": "carol", "COMPUTERNAME": "WS-01"},
        machine=MachineInfo(
            system="Windows",
            release="10",
            version="10.0.22631",
            machine="AMD64",
            cpu_count_logical=16,
            cpu_count_physical=8,
            ram_total_bytes=32 * GIB,
            ram_available_bytes=20 * GIB,
        ),
    )
    facts = collect_host(fs, "C:\\Python311")
    assert facts == HostFacts(
        os="Windows",
        distro="Windows",
        distro_version="10 (10.0.22631)",
        kernel="10",
        arch="x86_64",
        cpu_cores_physical=8,
        cpu_cores_logical=16,
        ram_total_bytes=32 * GIB,
        ram_available_bytes=20 * GIB,
        disk_free_path="C:\\Python311",
        hostname="WS-01",
        user="carol",
        unknown={
            "cpu_model": "the CPU model is read from /proc/cpuinfo on Linux only",
            "disk_free_bytes": "cannot stat the filesystem of C:\\Python311",
            **dict.fromkeys(("efi_boot", "secure_boot"), f"read from /sys/firmware {ON_LINUX}"),
            **dict.fromkeys(("shm_total_bytes", "shm_free_bytes"), f"/dev/shm is read {ON_LINUX}"),
            **dict.fromkeys(
                ("iommu_units", "iommu_cmdline"), f"read from sysfs and procfs {ON_LINUX}"
            ),
        },
    )


ON_LINUX = "on Linux only (this is win32)"


def test_real_machine_matches_what_python_itself_says() -> None:
    facts = collect_host(RealSystem(), sys.prefix)
    uname = platform.uname()
    assert facts.os == "Linux"
    assert facts.kernel == uname.release
    assert facts.arch == uname.machine
    assert facts.cpu_cores_logical == os.cpu_count()
    assert facts.glibc_version == platform.libc_ver()[1]
    assert facts.hostname == uname.node
    assert facts.disk_free_path == sys.prefix
    assert facts.disk_free_bytes is not None
    assert abs(facts.disk_free_bytes - shutil.disk_usage(sys.prefix).free) < 256 * 1024 * 1024
    assert facts.ram_total_bytes is not None and facts.ram_total_bytes > 0


# -- Secure Boot ------------------------------------------------------------------------------
EFIVARS = "/sys/firmware/efi/efivars"
SECURE_BOOT = f"{EFIVARS}/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"


def boot(fs: FakeSystem) -> tuple[bool | None, bool | None, str | None]:
    facts = collect_host(fs, None)
    return facts.efi_boot, facts.secure_boot, facts.unknown.get("secure_boot")


def test_secure_boot_on_and_off_from_the_efi_variable() -> None:
    assert boot(linux_host(secure_boot=True)) == (True, True, None)
    assert boot(linux_host(secure_boot=False)) == (True, False, None)


def test_secure_boot_from_the_older_sysfs_efi_interface() -> None:
    fs = linux_host()
    fs.files.pop(SECURE_BOOT)
    fs.add_file(
        "/sys/firmware/efi/vars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c/data", b"\x01"
    )
    assert boot(fs) == (True, True, None)


def test_legacy_bios_boot_makes_secure_boot_not_applicable() -> None:
    fs = linux_host()
    fs.files.pop(SECURE_BOOT)
    assert boot(fs) == (
        False,
        None,
        "not applicable: legacy BIOS boot (no /sys/firmware/efi)",
    )


def test_uefi_firmware_without_the_variable_has_no_secure_boot() -> None:
    fs = linux_host()
    fs.files.pop(SECURE_BOOT)
    fs.add_file(f"{EFIVARS}/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c", b"\x07\0\0\0\0\0")
    assert boot(fs) == (True, False, None)


def test_unreadable_or_unmounted_efivars_leave_secure_boot_unknown() -> None:
    fs = linux_host()
    fs.unreadable.add(SECURE_BOOT)
    assert boot(fs) == (True, None, f"{SECURE_BOOT} not readable")
    fs = linux_host()
    fs.files.pop(SECURE_BOOT)
    fs.add_dir(EFIVARS)
    assert boot(fs) == (True, None, f"{EFIVARS} is empty (efivarfs not mounted?)")


def test_a_container_masks_the_firmware_so_the_boot_is_unknown() -> None:
    fs = linux_host()
    for path in [p for p in fs.files if p.startswith("/sys/firmware/")]:
        fs.files.pop(path)
    fs.dirs.discard("/sys/firmware/acpi")
    fs.add_dir("/sys/firmware")
    fs.add_file("/.dockerenv", "")
    facts = collect_host(fs, None)
    assert (facts.efi_boot, facts.secure_boot) == (None, None)
    assert facts.unknown["efi_boot"] == "/sys/firmware is hidden here (in docker)"
    assert facts.unknown["secure_boot"] == "/sys/firmware is hidden here (in docker)"


# -- /dev/shm ---------------------------------------------------------------------------------
def test_shm_size_in_a_docker_container_with_the_default() -> None:
    fs = linux_host()
    fs.disks["/dev/shm"] = DiskUsage(total_bytes=64 << 20, free_bytes=60 << 20)
    facts = collect_host(fs, None)
    assert (facts.shm_total_bytes, facts.shm_free_bytes) == (64 << 20, 60 << 20)
    assert "shm_total_bytes" not in facts.unknown


def test_shm_absent_or_not_statable_is_unknown_with_the_reason() -> None:
    fs = linux_host()
    fs.dirs.discard("/dev/shm")
    facts = collect_host(fs, None)
    assert (facts.shm_total_bytes, facts.shm_free_bytes) == (None, None)
    assert facts.unknown["shm_total_bytes"] == "/dev/shm absent"
    fs = linux_host()
    fs.disks.clear()
    facts = collect_host(fs, None)
    assert facts.shm_total_bytes is None
    assert facts.unknown["shm_free_bytes"] == "cannot statvfs /dev/shm"


# -- IOMMU ------------------------------------------------------------------------------------
def test_iommu_units_and_kernel_flags() -> None:
    fs = linux_host()
    fs.add_symlink("/sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0")
    fs.add_symlink("/sys/class/iommu/dmar1", "../../devices/virtual/iommu/dmar1")
    fs.add_file(
        "/proc/cmdline",
        "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt quiet "
        "amd_iommu_dump=0 iommu.passthrough=1 noiommu_x=1\n",
    )
    facts = collect_host(fs, None)
    assert facts.iommu_units == ["dmar0", "dmar1"]
    assert facts.iommu_cmdline == [
        "intel_iommu=on",
        "iommu=pt",
        "amd_iommu_dump=0",
        "iommu.passthrough=1",
    ]


def test_no_iommu_is_an_empty_list_not_unknown() -> None:
    fs = linux_host()
    fs.dirs.discard("/sys/class/iommu")
    fs.add_dir("/sys/class/net")
    facts = collect_host(fs, None)
    assert (facts.iommu_units, facts.iommu_cmdline) == ([], [])
    assert "iommu_units" not in facts.unknown


def test_unreadable_iommu_sources_are_unknown_with_the_reason() -> None:
    fs = linux_host()
    fs.unreadable.update({"/sys/class/iommu", "/proc/cmdline"})
    facts = collect_host(fs, None)
    assert (facts.iommu_units, facts.iommu_cmdline) == (None, None)
    assert facts.unknown["iommu_units"] == "/sys/class/iommu not readable"
    assert facts.unknown["iommu_cmdline"] == "/proc/cmdline not readable"


def test_real_machine_shm_and_iommu_match_the_os() -> None:
    facts = collect_host(RealSystem(), None)
    stat = os.statvfs("/dev/shm")
    assert facts.shm_total_bytes == stat.f_frsize * stat.f_blocks
    with open("/proc/cmdline", encoding="utf-8") as fh:
        words = fh.read().split()
    assert facts.iommu_cmdline is not None
    assert set(facts.iommu_cmdline) <= set(words)
    assert facts.iommu_units == (
        sorted(os.listdir("/sys/class/iommu")) if os.path.isdir("/sys/class/iommu") else []
    )
