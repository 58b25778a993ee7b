"""collect_dkms: NVIDIA module files for the running kernel, DKMS builds and kernel headers."""

from __future__ import annotations

import os
import platform

from dlenv.probes.dkms import collect_dkms
from dlenv.snapshot.model import DkmsBuild, DkmsFacts
from dlenv.system.fake import FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.gpu import add_dkms_module, healthy_gpu_box, linux_host

KERNEL = "5.15.0-105-generic"
NEW_KERNEL = "5.15.0-107-generic"
HEADERS = f"/usr/src/linux-headers-{KERNEL}"


def test_dkms_built_and_installed_for_the_running_kernel() -> None:
    fs = healthy_gpu_box(driver="535.104.05")
    assert collect_dkms(fs, KERNEL) == DkmsFacts(
        kernel=KERNEL,
        module_files=[
            f"/lib/modules/{KERNEL}/updates/dkms/nvidia-drm.ko.zst",
            f"/lib/modules/{KERNEL}/updates/dkms/nvidia-modeset.ko.zst",
            f"/lib/modules/{KERNEL}/updates/dkms/nvidia-uvm.ko.zst",
            f"/lib/modules/{KERNEL}/updates/dkms/nvidia.ko.zst",
        ],
        builds=[DkmsBuild("nvidia", "535.104.05", KERNEL, "x86_64")],
        headers=True,
        headers_path=HEADERS,
    )


def test_kernel_upgraded_without_headers_so_dkms_built_nothing_for_it() -> None:
    """The classic: `apt upgrade` brings a new kernel, its headers are missing, DKMS skips it,
    and after the reboot the running kernel has no nvidia module."""
    fs = linux_host(kernel=NEW_KERNEL)
    add_dkms_module(fs, "535.104.05", kernel=KERNEL)
    fs.symlinks.pop(f"/lib/modules/{NEW_KERNEL}/build")
    fs.add_symlink(f"/lib/modules/{NEW_KERNEL}/build", f"/usr/src/linux-headers-{NEW_KERNEL}")
    fs.files.pop(f"/usr/src/linux-headers-{NEW_KERNEL}/Makefile")
    facts = collect_dkms(fs, NEW_KERNEL)
    assert facts == DkmsFacts(
        kernel=NEW_KERNEL,
        module_files=[],
        builds=[DkmsBuild("nvidia", "535.104.05", KERNEL, "x86_64")],
        headers=False,
        headers_path=f"/usr/src/linux-headers-{NEW_KERNEL}",  # where the dangling link points
    )


def test_prebuilt_distribution_modules_and_rhel_kmod_layout_count_too() -> None:
    fs = linux_host()
    fs.add_file(f"/lib/modules/{KERNEL}/kernel/drivers/video/nvidia.ko", b"\x7fELF")
    fs.add_file(f"/lib/modules/{KERNEL}/extra/nvidia/nvidia-uvm.ko.xz", b"\xfd7zXZ")
    fs.add_file(f"/lib/modules/{KERNEL}/kernel/drivers/video/fbdev/vesafb.ko", b"\x7fELF")
    facts = collect_dkms(fs, KERNEL)
    assert facts.module_files == [
        f"/lib/modules/{KERNEL}/extra/nvidia/nvidia-uvm.ko.xz",
        f"/lib/modules/{KERNEL}/kernel/drivers/video/nvidia.ko",
    ]
    assert facts.builds == []  # no /var/lib/dkms: no DKMS on this machine


def test_several_driver_versions_and_kernels_in_the_dkms_tree() -> None:
    fs = linux_host()
    add_dkms_module(fs, "535.104.05", kernel="5.15.0-101-generic")
    add_dkms_module(fs, "550.54.15", kernel=KERNEL)
    fs.add_dir("/var/lib/dkms/nvidia/550.54.15/build")  # a build directory is not a kernel
    fs.add_dir("/var/lib/dkms/nvidia/550.54.15/6.8.0-1-generic/x86_64/module")  # failed build
    fs.add_dir("/var/lib/dkms/virtualbox/7.0.14/5.15.0-101-generic/x86_64/module")
    assert collect_dkms(fs, KERNEL).builds == [
        DkmsBuild("nvidia", "535.104.05", "5.15.0-101-generic", "x86_64"),
        DkmsBuild("nvidia", "550.54.15", KERNEL, "x86_64"),
    ]


def test_unreadable_trees_are_unknown_with_the_reason() -> None:
    fs = healthy_gpu_box()
    fs.unreadable.update({"/var/lib/dkms", f"/lib/modules/{KERNEL}"})
    assert collect_dkms(fs, KERNEL) == DkmsFacts(
        kernel=KERNEL,
        unknown={
            "builds": "/var/lib/dkms not readable",
            "module_files": f"/lib/modules/{KERNEL} not readable",
            "headers": f"/lib/modules/{KERNEL} not readable",
        },
    )


def test_unknown_kernel_and_other_systems() -> None:
    facts = collect_dkms(healthy_gpu_box(), None)
    assert (facts.module_files, facts.headers) == (None, None)
    assert facts.unknown["module_files"] == "the running kernel is not known"
    windows = collect_dkms(FakeSystem(platform_name="win32"), "10")
    assert windows.unknown["builds"] == "kernel modules are read on Linux only (this is win32)"
    assert windows.builds is None


def test_real_machine_agrees_with_the_filesystem() -> None:
    kernel = platform.release()
    facts = collect_dkms(RealSystem(), kernel)
    base = f"/lib/modules/{kernel}"
    if os.path.isdir(base):
        assert facts.headers == os.path.isdir(f"{base}/build")
        assert facts.module_files is not None
    else:
        assert facts.module_files is None
        assert facts.unknown["module_files"].startswith(f"{base} absent")
    assert facts.builds == ([] if not os.path.isdir("/var/lib/dkms") else facts.builds)
