"""The NVIDIA probe: driver version from every source, why a GPU may be invisible, and the GPUs.

Sources: NVML in process, /sys/module/nvidia/version, /proc/driver/nvidia/version, the
libnvidia-ml file name, and (only when NVML cannot answer) one `nvidia-smi` query with a timeout.
Also the kernel modules (loaded, and on disk for the running kernel), the processes holding GPU
memory, and how each pair of GPUs is connected.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from dlenv.probes.dkms import collect_dkms
from dlenv.probes.host import detect_container, detect_wsl, running_kernel
from dlenv.probes.nvidia_smi import SmiQuery, query_nvidia_smi
from dlenv.snapshot.model import (
    DeviceNode,
    DriverFacts,
    DriverReading,
    GpuFacts,
    GpuLink,
    GpuProcess,
    PciDevice,
    VisibilityFacts,
)
from dlenv.system.base import System
from dlenv.system.nvml import NvmlDevice, NvmlLink, NvmlReport

NVIDIA_VENDOR = "0x10de"
MIB = 1 << 20

# where libnvidia-ml.so.1 lives: distro packages, NVIDIA's .run installer, containers
# (nvidia-container-toolkit and the CUDA images' /usr/local/nvidia), WSL 2's driver share
LIBRARY_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
    "/usr/lib/wsl/lib",
)

_KERNEL_MODULE = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)*)")
_LIB_VERSION = re.compile(r"libnvidia-ml\.so\.(\d+\.\d+(?:\.\d+)*)$")
_LEGACY_MIG = re.compile(r"MIG-(GPU-[0-9A-Fa-f-]+)/\d+/\d+$")


@dataclass(frozen=True)
class NvidiaFacts:
    driver: DriverFacts = field(default_factory=DriverFacts)
    visibility: VisibilityFacts = field(default_factory=VisibilityFacts)
    gpus: list[GpuFacts] = field(default_factory=list)
    links: list[GpuLink] = field(default_factory=list)


def collect_nvidia(system: System, timeout: float) -> NvidiaFacts:
    """The driver, the visibility facts and the GPUs; nvidia-smi gets at most `timeout` s."""
    linux = system.platform.startswith("linux")
    visibility = collect_visibility(system)
    sysfs = _first_line(system.read_text("/sys/module/nvidia/version")) if linux else None
    procfs_text = system.read_text("/proc/driver/nvidia/version", limit=4096) if linux else None
    procfs = _kernel_module_version(procfs_text)
    report = system.nvml()
    library_path, library_version = _userspace_library(system, report)

    smi_path = find_nvidia_smi(system)
    smi: SmiQuery | None = None
    if smi_path is not None and report.error is not None and report.error != "TIMEOUT":
        smi = query_nvidia_smi(system, smi_path, timeout, sysfs or procfs)

    driver = _driver_facts(
        linux=linux,
        sysfs=sysfs,
        procfs=procfs,
        procfs_text=procfs_text,
        report=report,
        smi_path=smi_path,
        smi=smi,
        library_path=library_path,
        library_version=library_version,
        module_loaded=visibility.nvidia_module_loaded,
    )
    driver = replace(
        driver,
        kernel_module_open=_open_kernel_module(procfs_text) if linux else None,
        dkms=collect_dkms(system, running_kernel(system)),
    )
    links: list[GpuLink] = []
    if report.error is None:
        names = process_names(system, report.devices)
        gpus = [gpu_from_nvml(device, names) for device in report.devices]
        links = [gpu_link_from_nvml(link) for link in report.links]
    elif smi is not None and smi.gpus:
        gpus = list(smi.gpus)
    else:
        gpus = []
    gpus = apply_cuda_visible_devices(
        gpus, system.env.get("CUDA_VISIBLE_DEVICES"), system.env.get("CUDA_DEVICE_ORDER")
    )
    return NvidiaFacts(driver=driver, visibility=visibility, gpus=gpus, links=links)


# -- driver ---------------------------------------------------------------------------------
def _driver_facts(
    *,
    linux: bool,
    sysfs: str | None,
    procfs: str | None,
    procfs_text: str | None,
    report: NvmlReport,
    smi_path: str | None,
    smi: SmiQuery | None,
    library_path: str | None,
    library_version: str | None,
    module_loaded: bool | None,
) -> DriverFacts:
    readings: list[DriverReading] = [_nvml_reading(report)]
    if linux:
        readings.append(
            DriverReading(source="sysfs", version=sysfs)
            if sysfs
            else DriverReading(
                source="sysfs", error="/sys/module/nvidia/version absent: no nvidia kernel module"
            )
        )
        if procfs:
            readings.append(DriverReading(source="procfs", version=procfs))
        elif procfs_text is not None:
            readings.append(
                DriverReading(
                    source="procfs",
                    error="unrecognised /proc/driver/nvidia/version",
                    detail=procfs_text.strip().splitlines()[0][:200] if procfs_text.strip() else "",
                )
            )
        else:
            readings.append(
                DriverReading(source="procfs", error="/proc/driver/nvidia/version absent")
            )
    if smi is not None:
        readings.append(
            DriverReading(
                source="nvidia-smi",
                version=smi.driver_version,
                error=smi.error,
                detail=smi.detail,
            )
        )
    elif smi_path is None:
        readings.append(DriverReading(source="nvidia-smi", error="nvidia-smi not found"))
    if library_version is not None:
        readings.append(
            DriverReading(source="libnvidia-ml", version=library_version, detail=library_path)
        )

    nvml_ok = report.error is None
    kernel = sysfs or procfs
    userspace = library_version or (report.driver_version if nvml_ok else None)
    if userspace is None and smi is not None:
        userspace = smi.library_version or smi.driver_version
    mismatch = report.error == "NVML_ERROR_LIB_RM_VERSION_MISMATCH" or (
        smi is not None and smi.mismatch
    )
    if not nvml_ok and kernel and library_version and not same_version(kernel, library_version):
        mismatch = True

    versions = [r.version for r in readings if r.version]
    disagree = any(not same_version(versions[0], other) for other in versions[1:])
    best = kernel or (report.driver_version if nvml_ok else None)
    best = best or (smi.driver_version if smi else None) or library_version
    cuda = cuda_version_string(report.cuda_driver_version) if nvml_ok else None

    unknown: dict[str, str] = {}
    if best is None:
        unknown["version"] = (
            "; ".join(f"{r.source}: {r.error}" for r in readings if r.error)
            or "no source reported a driver version"
        )
    if cuda is None:
        if nvml_ok:
            unknown["cuda_version"] = report.errors.get(
                "cuda_driver_version", "NVML gave no CUDA driver version"
            )
        else:
            unknown["cuda_version"] = f"NVML did not answer ({report.error})"
    if kernel is None and linux:
        unknown["kernel_module_version"] = "no nvidia kernel module version in sysfs or procfs"
    if userspace is None:
        unknown["userspace_version"] = "no versioned libnvidia-ml and no NVML answer"

    installed = _installed(
        versions=versions,
        report=report,
        smi_path=smi_path,
        library_path=library_path,
        module_loaded=module_loaded,
    )
    if installed is None:
        unknown["installed"] = f"NVML did not answer ({report.error}) and nothing else told"
    return DriverFacts(
        installed=installed,
        version=best,
        cuda_version=cuda,
        kernel_module_version=kernel,
        userspace_version=userspace,
        library_mismatch=mismatch,
        sources_disagree=disagree,
        readings=readings,
        nvidia_smi_path=smi_path,
        unknown=unknown,
    )


def _installed(
    *,
    versions: list[str],
    report: NvmlReport,
    smi_path: str | None,
    library_path: str | None,
    module_loaded: bool | None,
) -> bool | None:
    """Whether any part of an NVIDIA driver is on the machine (loaded or not)."""
    if versions or module_loaded or smi_path or library_path:
        return True
    if report.library_found:
        return None if report.error == "TIMEOUT" else True
    return False


def _nvml_reading(report: NvmlReport) -> DriverReading:
    if report.error is not None:
        return DriverReading(
            source="nvml",
            error=report.error_message or report.error,
            detail=report.error,
        )
    return DriverReading(
        source="nvml",
        version=report.driver_version,
        cuda_version=cuda_version_string(report.cuda_driver_version),
        detail=report.library_path,
    )


def cuda_version_string(value: int | None) -> str | None:
    """NVML's and cuDriverGetVersion's encoding: 12040 -> "12.4", 11080 -> "11.8"."""
    if value is None or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def same_version(a: str, b: str) -> bool:
    """Equal where both say something: "535.161" (nvidia-smi's NVML line) matches "535.161.07"."""
    left, right = a.strip().split("."), b.strip().split(".")
    return all(x == y for x, y in zip(left, right, strict=False))


def _open_kernel_module(procfs_text: str | None) -> bool | None:
    """Whether the loaded module is NVIDIA's open kernel module: its procfs banner says
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15 ..."."""
    if not procfs_text or _KERNEL_MODULE.search(procfs_text) is None:
        return None
    return "Open Kernel Module" in procfs_text


def _kernel_module_version(text: str | None) -> str | None:
    if not text:
        return None
    match = _KERNEL_MODULE.search(text)
    return match.group(1) if match else None


def _userspace_library(system: System, report: NvmlReport) -> tuple[str | None, str | None]:
    """The libnvidia-ml the loader opens (NVML's own answer first) and its version."""
    if report.library_path:
        match = _LIB_VERSION.search(posixpath.basename(system.realpath(report.library_path)))
        return report.library_path, match.group(1) if match else None
    if not system.platform.startswith("linux"):
        return None, None
    search = [d for d in system.env.get("LD_LIBRARY_PATH", "").split(":") if d]
    for directory in (*search, *LIBRARY_DIRS):
        candidate = f"{directory.rstrip('/')}/libnvidia-ml.so.1"
        if not system.exists(candidate):
            continue
        match = _LIB_VERSION.search(posixpath.basename(system.realpath(candidate)))
        if match is None:  # an unversioned link target: look for its versioned sibling
            siblings = system.glob(f"{directory.rstrip('/')}/libnvidia-ml.so.[0-9]*.*")
            found = [m for s in siblings if (m := _LIB_VERSION.search(posixpath.basename(s)))]
            match = found[0] if len(found) == 1 else None
        return candidate, match.group(1) if match else None
    return None, None


def find_nvidia_smi(system: System) -> str | None:
    """nvidia-smi on PATH, or where drivers put it when PATH does not say."""
    found = system.which("nvidia-smi")
    if found:
        return found
    if system.platform == "win32":
        windir = system.env.get("WINDIR") or system.env.get("SystemRoot") or "C:\\Windows"
        program_files = system.env.get("ProgramFiles", "C:\\Program Files")
        candidates = [
            f"{windir}\\System32\\nvidia-smi.exe",  # DCH drivers
            f"{program_files}\\NVIDIA Corporation\\NVSMI\\nvidia-smi.exe",  # older drivers
        ]
    else:
        candidates = ["/usr/bin/nvidia-smi", "/usr/lib/wsl/lib/nvidia-smi"]
    return next((c for c in candidates if system.is_file(c)), None)


# -- visibility -----------------------------------------------------------------------------
def collect_visibility(system: System) -> VisibilityFacts:
    """Everything that decides whether a GPU can be seen, before asking NVML."""
    unknown: dict[str, str] = {}
    cuda_visible = system.env.get("CUDA_VISIBLE_DEVICES")
    if not system.platform.startswith("linux"):
        reason = f"read from sysfs and procfs on Linux only (this is {system.platform})"
        unknown.update(nvidia_pci_devices=reason, nouveau_loaded=reason, device_nodes=reason)
        return VisibilityFacts(cuda_visible_devices=cuda_visible, unknown=unknown)

    pci = nvidia_pci_devices(system)
    if not system.is_dir("/sys/bus/pci/devices"):
        unknown["nvidia_pci_devices"] = "/sys/bus/pci/devices not readable"
    modules = loaded_modules(system)
    if modules is None:
        reason = "neither /proc/modules nor /sys/module readable"
        unknown.update(nvidia_module_loaded=reason, nvidia_uvm_loaded=reason)
        unknown["nvidia_modules"] = reason
        nouveau = nvidia = uvm = None
    else:
        nouveau, nvidia, uvm = "nouveau" in modules, "nvidia" in modules, "nvidia_uvm" in modules

    nodes = [
        DeviceNode(
            path=path,
            readable=system.access(path, os.R_OK),
            writable=system.access(path, os.W_OK),
        )
        for path in [*system.glob("/dev/nvidia*"), "/dev/dxg"]
        if system.exists(path) and not system.is_dir(path)
    ]
    container = detect_container(system)
    wsl = detect_wsl(system)
    libcuda = system.glob("/usr/lib/wsl/lib/libcuda.so*")
    preferred = [p for p in libcuda if p.endswith("libcuda.so.1")] or libcuda
    return VisibilityFacts(
        nvidia_pci_devices=pci,
        nouveau_loaded=nouveau,
        nvidia_module_loaded=nvidia,
        nvidia_uvm_loaded=uvm,
        nvidia_modules=sorted(m for m in modules or () if m.startswith("nvidia")),
        device_nodes=nodes,
        container_gpu_request=system.env.get("NVIDIA_VISIBLE_DEVICES") if container else None,
        container_driver_mounts=_driver_mounts(system) if container else [],
        wsl_dxg=system.exists("/dev/dxg") if wsl else None,
        wsl_libcuda=preferred[0] if preferred else None,
        cuda_visible_devices=cuda_visible,
        unknown=unknown,
    )


def nvidia_pci_devices(system: System) -> list[PciDevice]:
    """NVIDIA display controllers (class 0x03xxxx) on the PCI bus and their bound driver."""
    found: list[PciDevice] = []
    for slot in system.listdir("/sys/bus/pci/devices"):
        base = f"/sys/bus/pci/devices/{slot}"
        if (system.read_text(f"{base}/vendor", limit=64) or "").strip() != NVIDIA_VENDOR:
            continue
        class_id = (system.read_text(f"{base}/class", limit=64) or "").strip() or None
        if class_id is not None and not class_id.startswith("0x03"):
            continue  # the GPU's HDMI audio function, NVSwitch, USB-C controller
        link = system.readlink(f"{base}/driver")
        found.append(
            PciDevice(
                slot=slot,
                vendor_id=NVIDIA_VENDOR,
                device_id=(system.read_text(f"{base}/device", limit=64) or "").strip(),
                class_id=class_id,
                kernel_driver=posixpath.basename(link) if link else None,
            )
        )
    return found


_WATCHED_MODULES = ("nouveau", "nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_drm")


def loaded_modules(system: System) -> set[str] | None:
    """Names of the loaded kernel modules (those dlenv cares about when only sysfs says);
    None when neither /proc/modules nor /sys/module can be read."""
    text = system.read_text("/proc/modules", limit=4 << 20)
    if text is not None:
        names = {line.split(" ", 1)[0] for line in text.splitlines() if line}
        # a built-in module is not in /proc/modules but has its /sys/module directory
        if "nouveau" not in names and system.is_dir("/sys/module/nouveau"):
            names.add("nouveau")
        if "nvidia" not in names and system.exists("/sys/module/nvidia/version"):
            names.add("nvidia")
        return names
    if not system.is_dir("/sys/module"):
        return None
    return {name for name in _WATCHED_MODULES if system.is_dir(f"/sys/module/{name}")}


def _driver_mounts(system: System) -> list[str]:
    """Mount points the NVIDIA container toolkit bind-mounts: libraries, nvidia-smi, /dev nodes."""
    text = system.read_text("/proc/self/mountinfo", limit=4 << 20) or ""
    mounts: set[str] = set()
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) < 5:
            continue
        mount_point = parts[4].replace("\\040", " ")
        name = posixpath.basename(mount_point)
        if name.startswith(("libnvidia", "libcuda", "nvidia")) or "/nvidia" in mount_point:
            mounts.add(mount_point)
    return sorted(mounts)


# -- GPUs -----------------------------------------------------------------------------------
_NVML_FIELDS = {
    "memory": ("memory_total_mib", "memory_used_mib", "memory_free_mib"),
}


# nvmlGpuTopologyLevel_t in `nvidia-smi topo -m`'s words; BOARD: two GPUs on one card
TOPOLOGY_NAMES = {0: "BOARD", 10: "PIX", 20: "PXB", 30: "PHB", 40: "NODE", 50: "SYS"}
# nvmlGpuP2PStatus_t
P2P_STATUS_NAMES = {
    0: "ok",
    1: "chipset-not-supported",
    2: "gpu-not-supported",
    3: "topology-not-supported",
    4: "disabled-by-regkey",
    5: "not-supported",
    6: "unknown",
}


def _mib(value: int | None) -> int | None:
    return None if value is None else value // MIB


ProcessNames = tuple[dict[int, str], str | None]
"""Process names by PID, and why names are missing (None when every name was read)."""


def process_names(system: System, devices: Sequence[NvmlDevice]) -> ProcessNames:
    """/proc/<pid>/comm of every process NVML lists, where that names the same process.

    NVML reports PIDs of the host's namespace: inside a container /proc/<pid> is another
    process (or none), so names are left out there.
    """
    pids = sorted({p.pid for d in devices for p in d.compute_processes})
    if not pids:
        return {}, None
    if not system.platform.startswith("linux"):
        return {}, f"process names are read from /proc on Linux only (this is {system.platform})"
    container = detect_container(system)
    if container:
        return {}, f"in a container ({container}), NVML's PIDs are the host's: not looked up"
    names: dict[int, str] = {}
    for pid in pids:
        name = _first_line(system.read_text(f"/proc/{pid}/comm", limit=256))
        if name:
            names[pid] = name
    missing = [str(pid) for pid in pids if pid not in names]
    why = f"/proc/<pid>/comm not readable for PID {', '.join(missing)}" if missing else None
    return names, why


def gpu_link_from_nvml(link: NvmlLink) -> GpuLink:
    def status(value: int | None) -> str | None:
        return None if value is None else P2P_STATUS_NAMES.get(value, f"status {value}")

    topology = link.topology
    return GpuLink(
        gpu_a=link.gpu_a,
        gpu_b=link.gpu_b,
        path=None if topology is None else TOPOLOGY_NAMES.get(topology, f"level {topology}"),
        p2p_read=status(link.p2p_read),
        p2p_write=status(link.p2p_write),
        p2p_nvlink=status(link.p2p_nvlink),
        unknown={("path" if k == "topology" else k): v for k, v in link.errors.items()},
    )


def gpu_from_nvml(device: NvmlDevice, names: ProcessNames = ({}, None)) -> GpuFacts:
    unknown: dict[str, str] = {}
    for name, why in device.errors.items():
        for fact in _NVML_FIELDS.get(name, (name,)):
            unknown[fact] = why
    if "processes" in unknown:
        unknown["compute_processes"] = unknown["processes"]
    by_pid, names_missing = names
    processes = [
        GpuProcess(pid=p.pid, used_memory_mib=_mib(p.used_memory_bytes), name=by_pid.get(p.pid))
        for p in device.compute_processes
    ]
    if names_missing and any(p.name is None for p in processes):
        unknown["compute_processes.name"] = names_missing
    return GpuFacts(
        index=device.index,
        name=device.name,
        uuid=device.uuid,
        pci_bus_id=device.pci_bus_id,
        memory_total_mib=_mib(device.memory_total_bytes),
        memory_used_mib=_mib(device.memory_used_bytes),
        memory_free_mib=_mib(device.memory_free_bytes),
        compute_capability=device.compute_capability,
        mig_mode=device.mig_mode,
        persistence_mode=device.persistence_mode,
        temperature_c=device.temperature_c,
        power_w=device.power_w,
        power_limit_w=device.power_limit_w,
        ecc_uncorrectable=device.ecc_uncorrectable,
        retired_pages=device.retired_pages,
        processes=device.processes,
        compute_processes=processes,
        source="nvml",
        unknown=unknown,
    )


def _strtoul(text: str) -> int:
    """What CUDA reads from one index entry: its leading integer ("1gpu2" -> 1), else -1."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else -1


def visible_positions(
    value: str, gpus: Sequence[GpuFacts], device_order: str | None
) -> tuple[list[int] | None, str | None]:
    """Positions in `gpus` that CUDA would enumerate under CUDA_VISIBLE_DEVICES=`value`.

    CUDA's rule (CUDA C++ Programming Guide, "CUDA Environment Variables",
    https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#env-vars): entries are
    indices or `GPU-` UUID prefixes (or `MIG-` ids); parsing stops at the first invalid entry, so
    "0,2,-1,1" shows 0 and 2. An index entry is read like strtoul ("1gpu2" is 1), a repeated
    device hides every device (both as PyTorch's `_parse_visible_devices` models them,
    https://github.com/pytorch/pytorch/pull/84879). Returns None and a reason when the mapping
    cannot be told from NVML's data.
    """
    ordered = sorted(range(len(gpus)), key=lambda i: (gpus[i].pci_bus_id or "", gpus[i].index))
    names = {g.name for g in gpus}
    by_index_certain = (device_order or "").upper() == "PCI_BUS_ID" or len(names) <= 1
    chosen: list[int] = []
    uncertain: str | None = None
    for raw in value.split(","):
        entry = raw.strip()
        position: int | None
        if entry.startswith("GPU-"):
            if any(g.uuid is None for g in gpus):
                return None, "a GPU's UUID is unknown, so GPU- entries cannot be matched"
            matches = [i for i, g in enumerate(gpus) if (g.uuid or "").startswith(entry)]
            if len(matches) != 1:
                break  # unknown or ambiguous prefix: invalid, CUDA stops here
            position = matches[0]
        elif entry.startswith("MIG-"):
            legacy = _LEGACY_MIG.match(entry)
            if legacy is None:
                uncertain = "CUDA_VISIBLE_DEVICES names MIG devices by their own UUIDs"
                continue
            matches = [i for i, g in enumerate(gpus) if g.uuid == legacy.group(1)]
            if not matches:
                break
            position = matches[0]
        else:
            ordinal = _strtoul(entry)
            if ordinal < 0 or ordinal >= len(gpus):
                break  # -1, empty, not a number, or no such device: CUDA stops here
            if not by_index_certain:
                uncertain = (
                    "GPUs of different models and CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA "
                    "numbers them fastest first, so an index cannot be mapped to a GPU statically"
                )
            position = ordered[ordinal]
        if position in chosen:
            return [], None
        chosen.append(position)
    if uncertain is not None and len(set(chosen)) < len(gpus):
        return None, uncertain
    return chosen, None


def apply_cuda_visible_devices(
    gpus: list[GpuFacts], value: str | None, device_order: str | None = None
) -> list[GpuFacts]:
    """Each GPU with `visible` set as CUDA would see it under CUDA_VISIBLE_DEVICES."""
    if value is None:
        return [replace(g, visible=True) for g in gpus]
    positions, reason = visible_positions(value, gpus, device_order)
    if positions is None:
        why = reason or "cannot tell"
        return [replace(g, visible=None, unknown={**g.unknown, "visible": why}) for g in gpus]
    shown = set(positions)
    return [replace(g, visible=i in shown) for i, g in enumerate(gpus)]


def _first_line(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    return text.strip().splitlines()[0].strip()
