"""The host probe: OS and distribution, kernel, WSL, container, CPU, RAM, glibc, disk, user,
Secure Boot, /dev/shm and the IOMMU.

Reads files first (/etc/os-release, /proc/cpuinfo, /proc/meminfo) so a `FakeSystem` can describe
any machine as data; what only the OS can say comes from `System.machine_info()`.
"""

from __future__ import annotations

import os
import re

from dlenv.snapshot.model import HostFacts
from dlenv.system.base import System

_OS_NAMES = {"linux": "Linux", "win32": "Windows", "darwin": "Darwin", "cygwin": "Windows"}

# The SecureBoot variable of the EFI global-variable GUID: efivarfs gives 4 attribute bytes and
# the value, the older sysfs interface a directory with the value alone in `data`.
EFI_DIR = "/sys/firmware/efi"
SECURE_BOOT_VARIABLES = (
    f"{EFI_DIR}/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
    f"{EFI_DIR}/vars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c/data",
)
SHM_PATH = "/dev/shm"
_IOMMU_FLAG = re.compile(r"^(?:intel_iommu|amd_iommu|iommu|iommu\.\w+|amd_iommu_\w+)(?:=|$)")


def collect_host(system: System, prefix: str | None) -> HostFacts:
    """What kind of machine this is; `prefix` is where the target interpreter lives."""
    unknown: dict[str, str] = {}
    info = system.machine_info()
    linux = system.platform.startswith("linux")

    distro, distro_version = _distribution(system, unknown) if linux else (None, None)
    if not linux:
        distro, distro_version = _OS_NAMES.get(system.platform), info.release
        if system.platform == "win32" and info.version:
            distro_version = f"{info.release} ({info.version})" if info.release else info.version

    kernel = running_kernel(system)
    if kernel is None:
        unknown["kernel"] = "no /proc/sys/kernel/osrelease and no uname release"

    cpu_model, physical, logical = _cpu(system, unknown) if linux else (None, None, None)
    cpu_flags = _cpu_flags(system) if linux else None
    logical = logical or info.cpu_count_logical
    physical = physical or info.cpu_count_physical
    if cpu_model is None:
        unknown.setdefault(
            "cpu_model",
            "no model name in /proc/cpuinfo"
            if linux
            else "the CPU model is read from /proc/cpuinfo on Linux only",
        )
    if physical is None:
        unknown.setdefault("cpu_cores_physical", "no core topology in /proc/cpuinfo or sysfs")

    total, available = _memory(system) if linux else (None, None)
    total = total if total is not None else info.ram_total_bytes
    available = available if available is not None else info.ram_available_bytes
    if total is None:
        unknown["ram_total_bytes"] = "/proc/meminfo unreadable and no psutil answer"

    disk_free = None
    if prefix is None:
        unknown["disk_free_bytes"] = "the target interpreter's prefix is not known"
    else:
        usage = system.disk_usage(prefix)
        if usage is None:
            unknown["disk_free_bytes"] = f"cannot stat the filesystem of {prefix}"
        else:
            disk_free = usage.free_bytes

    hostname = info.hostname
    if hostname is None and linux:
        hostname = _first_line(system.read_text("/proc/sys/kernel/hostname"))
    hostname = hostname or system.env.get("COMPUTERNAME") or system.env.get("HOSTNAME")
    user = info.user or _user_from_env(system)
    container = detect_container(system) if linux else None
    efi_boot, secure_boot = _secure_boot(system, container, unknown)
    shm_total, shm_free = _shm(system, unknown)
    iommu_units, iommu_cmdline = _iommu(system, unknown)

    return HostFacts(
        os=_OS_NAMES.get(system.platform, info.system or system.platform),
        distro=distro,
        distro_version=distro_version,
        kernel=kernel,
        arch=_arch(system, info.machine),
        wsl=detect_wsl(system) if linux else None,
        container=container,
        cpu_model=cpu_model,
        cpu_cores_physical=physical,
        cpu_cores_logical=logical,
        cpu_flags=cpu_flags,
        ram_total_bytes=total,
        ram_available_bytes=available,
        glibc_version=_glibc(system, info.libc, unknown) if linux else None,
        disk_free_bytes=disk_free,
        disk_free_path=prefix,
        hostname=hostname,
        user=user,
        efi_boot=efi_boot,
        secure_boot=secure_boot,
        shm_total_bytes=shm_total,
        shm_free_bytes=shm_free,
        iommu_units=iommu_units,
        iommu_cmdline=iommu_cmdline,
        unknown=unknown,
    )


def running_kernel(system: System) -> str | None:
    """The running kernel's release (`uname -r`): procfs first, so that fakes can say it."""
    kernel = None
    if system.platform.startswith("linux"):
        kernel = _first_line(system.read_text("/proc/sys/kernel/osrelease"))
    return kernel or system.machine_info().release


def _secure_boot(
    system: System, container: str | None, unknown: dict[str, str]
) -> tuple[bool | None, bool | None]:
    """(booted through UEFI, Secure Boot on), read from the EFI variable, not `mokutil`."""
    if not system.platform.startswith("linux"):
        reason = f"read from /sys/firmware on Linux only (this is {system.platform})"
        unknown.update(efi_boot=reason, secure_boot=reason)
        return None, None
    if not system.is_dir(EFI_DIR):
        if container or not system.listdir("/sys/firmware"):
            # Docker and Podman mask /sys/firmware: its absence says nothing about the boot
            reason = "/sys/firmware is hidden here" + (f" (in {container})" if container else "")
            unknown.update(efi_boot=reason, secure_boot=reason)
            return None, None
        unknown["secure_boot"] = "not applicable: legacy BIOS boot (no /sys/firmware/efi)"
        return False, None
    for path in SECURE_BOOT_VARIABLES:
        if not system.exists(path):
            continue
        data = system.read_bytes(path, limit=64)
        if not data:
            unknown["secure_boot"] = f"{path} not readable"
            return True, None
        return True, data[-1] == 1
    if system.is_dir(f"{EFI_DIR}/efivars") and not system.listdir(f"{EFI_DIR}/efivars"):
        # efivarfs not mounted (or not readable): the variable cannot be told absent
        unknown["secure_boot"] = f"{EFI_DIR}/efivars is empty (efivarfs not mounted?)"
        return True, None
    return True, False  # UEFI firmware without the variable: no Secure Boot support


def _shm(system: System, unknown: dict[str, str]) -> tuple[int | None, int | None]:
    """Size and free space of /dev/shm, where PyTorch's DataLoader workers and NCCL share."""
    if not system.platform.startswith("linux"):
        reason = f"/dev/shm is read on Linux only (this is {system.platform})"
        unknown.update(shm_total_bytes=reason, shm_free_bytes=reason)
        return None, None
    if not system.is_dir(SHM_PATH):
        unknown.update(shm_total_bytes=f"{SHM_PATH} absent", shm_free_bytes=f"{SHM_PATH} absent")
        return None, None
    usage = system.disk_usage(SHM_PATH)
    if usage is None:
        reason = f"cannot statvfs {SHM_PATH}"
        unknown.update(shm_total_bytes=reason, shm_free_bytes=reason)
        return None, None
    return usage.total_bytes, usage.free_bytes


def _iommu(system: System, unknown: dict[str, str]) -> tuple[list[str] | None, list[str] | None]:
    """IOMMU units the kernel registered, and the IOMMU flags it was booted with."""
    if not system.platform.startswith("linux"):
        reason = f"read from sysfs and procfs on Linux only (this is {system.platform})"
        unknown.update(iommu_units=reason, iommu_cmdline=reason)
        return None, None
    units: list[str] | None = None
    if system.is_dir("/sys/class/iommu"):
        if system.access("/sys/class/iommu", os.R_OK):
            units = system.listdir("/sys/class/iommu")
        else:
            unknown["iommu_units"] = "/sys/class/iommu not readable"
    elif system.is_dir("/sys/class"):
        units = []  # a kernel built without IOMMU support has no such class
    else:
        unknown["iommu_units"] = "/sys/class absent or not readable"
    cmdline = system.read_text("/proc/cmdline", limit=65536)
    if cmdline is None:
        unknown["iommu_cmdline"] = "/proc/cmdline not readable"
        return units, None
    return units, [flag for flag in cmdline.split() if _IOMMU_FLAG.match(flag)]


def detect_wsl(system: System) -> int | None:
    """1 or 2 under Windows Subsystem for Linux, None elsewhere.

    WSL 1 kernels report "4.4.0-19041-Microsoft"; WSL 2 kernels "5.15.x-microsoft-standard-WSL2"
    (a custom WSL 2 kernel may drop the suffix, so /dev/dxg, which only WSL 2 has, decides then).
    """
    release = (system.read_text("/proc/sys/kernel/osrelease") or "").strip()
    version = system.read_text("/proc/version", limit=4096) or ""
    marked = "microsoft" in release.lower() or "microsoft" in version.lower()
    interop = system.exists("/proc/sys/fs/binfmt_misc/WSLInterop") or system.exists("/run/WSL")
    if not (marked or interop or "WSL_DISTRO_NAME" in system.env):
        return None
    lowered = release.lower()
    if "wsl2" in lowered or "microsoft-standard" in lowered or system.exists("/dev/dxg"):
        return 2
    if marked or interop:
        return 1
    return None  # only WSL_DISTRO_NAME: a variable copied into another machine's environment


_CGROUP_MARKERS = (
    ("kubepods", "kubernetes"),
    ("libpod", "podman"),
    ("docker", "docker"),
    ("containerd", "containerd"),
    ("lxc", "lxc"),
)


def detect_container(system: System) -> str | None:
    """Which container runtime this runs under, or None on a plain host."""
    env = system.env
    if "KUBERNETES_SERVICE_HOST" in env:
        return "kubernetes"
    if "APPTAINER_CONTAINER" in env or "SINGULARITY_CONTAINER" in env:
        return "apptainer"
    if system.exists("/run/.containerenv"):
        return "podman"
    if system.exists("/.dockerenv"):
        return "docker"
    # cgroup v1 paths name the runtime; under cgroup v2 they read "0::/" and tell nothing
    cgroup = system.read_text("/proc/1/cgroup", limit=65536) or ""
    for marker, name in _CGROUP_MARKERS:
        if marker in cgroup:
            return name
    runtime = env.get("container")  # systemd-nspawn, podman, lxc set it for PID 1's children
    return runtime or None


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or None


def _parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip("\"'")
    return values


def _distribution(system: System, unknown: dict[str, str]) -> tuple[str | None, str | None]:
    text = system.read_text("/etc/os-release") or system.read_text("/usr/lib/os-release")
    if text is None:
        unknown["distro"] = "no /etc/os-release or /usr/lib/os-release"
        return None, None
    values = _parse_os_release(text)
    name = values.get("NAME") or values.get("ID")
    version = values.get("VERSION_ID") or values.get("BUILD_ID")
    if version is None:
        unknown["distro_version"] = "os-release has no VERSION_ID (a rolling release?)"
    return name, version


def _arch(system: System, machine: str | None) -> str | None:
    if machine is None:
        return system.env.get("PROCESSOR_ARCHITECTURE")
    # Windows says AMD64/ARM64 where Linux says x86_64/aarch64: one spelling for the rules
    return {"AMD64": "x86_64", "ARM64": "aarch64", "arm64": "aarch64"}.get(machine, machine)


def _cpu(system: System, unknown: dict[str, str]) -> tuple[str | None, int | None, int | None]:
    text = system.read_text("/proc/cpuinfo", limit=8 << 20)
    if text is None:
        unknown["cpu_model"] = "/proc/cpuinfo unreadable"
        return None, None, None
    model: str | None = None
    logical = 0
    cores: set[tuple[str, str]] = set()
    package = core = ""
    for line in [*text.splitlines(), ""]:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "processor":
            logical += 1
        elif key in ("model name", "Processor", "cpu model", "cpu") and model is None and value:
            model = value
        elif key == "physical id":
            package = value
        elif key == "core id":
            core = value
        elif not line.strip() and core:
            cores.add((package, core))
            package = core = ""
    physical = len(cores) or _sysfs_cores(system)
    return model, physical or None, logical or None


# the x86 instruction-set extensions prebuilt wheels are compiled for: TensorFlow >= 1.6 and
# jaxlib need AVX, NumPy >= 2.4 x86-64-v2 (SSE4.2, POPCNT), some builds AVX2 and FMA
SIMD_FLAGS = ("sse4_1", "sse4_2", "popcnt", "avx", "avx2", "fma", "f16c", "avx512f")


def _cpu_flags(system: System) -> list[str] | None:
    """The SIMD flags the first x86 CPU of /proc/cpuinfo lists; None where it lists none."""
    text = system.read_text("/proc/cpuinfo", limit=8 << 20)
    for line in (text or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            have = set(value.split())
            return [f for f in SIMD_FLAGS if f in have]
    return None


def _sysfs_cores(system: System) -> int | None:
    """Physical cores from sysfs topology, for CPUs whose /proc/cpuinfo has no core ids (ARM)."""
    cores: set[tuple[str, str]] = set()
    for cpu in system.glob("/sys/devices/system/cpu/cpu[0-9]*/topology"):
        package = (system.read_text(f"{cpu}/physical_package_id") or "").strip()
        core = (system.read_text(f"{cpu}/core_id") or "").strip()
        if core:
            cores.add((package, core))
    return len(cores) or None


def _memory(system: System) -> tuple[int | None, int | None]:
    text = system.read_text("/proc/meminfo")
    if text is None:
        return None, None
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(\w+):\s+(\d+)\s*kB", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * 1024
    return values.get("MemTotal"), values.get("MemAvailable")


def _glibc(system: System, libc: str | None, unknown: dict[str, str]) -> str | None:
    if libc and libc.startswith("glibc "):
        return libc.split()[1]
    # no confstr answer (a musl Python, or a fake machine): ask ldd, which is cheap (~2 ms)
    result = system.run(["ldd", "--version"], timeout=2.0)
    text = f"{result.stdout}\n{result.stderr}"
    first = text.strip().splitlines()[0] if text.strip() else ""
    if "glibc" in first.lower() or "gnu libc" in first.lower():
        match = re.search(r"(\d+\.\d+)\s*$", first)
        if match:
            return match.group(1)
    if "musl" in text.lower():
        unknown["glibc_version"] = "musl libc, not glibc"
    else:
        unknown["glibc_version"] = f"no glibc version: {result.describe_failure()}"
    return None


def _user_from_env(system: System) -> str | None:
    env = system.env
    return env.get("USER") or env.get("LOGNAME") or env.get("USERNAME") or None
