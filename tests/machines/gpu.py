"""Machine fixtures for the NVIDIA side: hosts, PCI GPUs, kernel modules, NVML and nvidia-smi.

Each builder returns (or extends) a FakeSystem laid out the way the real driver lays a machine
out, so a test can say `healthy_gpu_box(driver="535.104.05", gpus=2)` and get a whole machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.probes.nvidia_smi import query_fields
from dlenv.system.base import DiskUsage, MachineInfo
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.nvml import NvmlDevice, NvmlReport

GIB = 1 << 30
MIB = 1 << 20
LIBDIR = "/usr/lib/x86_64-linux-gnu"
SMI = "/usr/bin/nvidia-smi"
SECURE_BOOT_VARIABLE = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

# the slots of an 8-GPU HGX H100 baseboard, in PCI bus order
HGX_SLOTS = (
    "0000:18:00.0",
    "0000:2a:00.0",
    "0000:3a:00.0",
    "0000:5d:00.0",
    "0000:9a:00.0",
    "0000:ab:00.0",
    "0000:ba:00.0",
    "0000:db:00.0",
)

UBUNTU_2204 = """PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
ID=ubuntu
ID_LIKE=debian
"""


@dataclass(frozen=True)
class GpuModel:
    name: str
    device_id: str  # PCI device id
    memory_mib: int
    compute_capability: str
    power_limit_w: float


A100 = GpuModel("NVIDIA A100-SXM4-80GB", "0x20b2", 81920, "8.0", 400.0)
H100 = GpuModel("NVIDIA H100 80GB HBM3", "0x2330", 81559, "9.0", 700.0)
RTX3090 = GpuModel("NVIDIA GeForce RTX 3090", "0x2204", 24576, "8.6", 350.0)
RTX4090 = GpuModel("NVIDIA GeForce RTX 4090", "0x2684", 24564, "8.9", 450.0)


def gpu_uuid(index: int) -> str:
    return f"GPU-{index:x}f3c9a1e-5b2d-4e7a-9c1f-{index:012x}"


def nvml_bus_id(slot: str) -> str:
    """NVML's spelling of a PCI slot: 8-digit domain, upper-case hex ("00000000:2A:00.0")."""
    domain, rest = slot.split(":", 1)
    return f"{int(domain, 16):08X}:{rest.upper()}"


# -- the host ---------------------------------------------------------------------------------
def cpuinfo(model: str, cores: int, threads_per_core: int = 2) -> str:
    blocks = []
    for cpu in range(cores * threads_per_core):
        blocks.append(
            f"processor\t: {cpu}\nvendor_id\t: GenuineIntel\nmodel name\t: {model}\n"
            f"physical id\t: 0\ncore id\t\t: {cpu % cores}\ncpu cores\t: {cores}\n"
        )
    return "\n".join(blocks) + "\n"


def linux_host(
    *,
    os_release: str = UBUNTU_2204,
    kernel: str = "5.15.0-105-generic",
    cpu_model: str = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
    cores: int = 8,
    ram_gib: int = 64,
    available_gib: int = 48,
    user: str = "alice",
    hostname: str = "gpu-node-1",
    env: dict[str, str] | None = None,
    secure_boot: bool = False,
) -> FakeSystem:
    """A plain Linux host (no GPU): os-release, /proc, a user, a disk; NVML not installed.

    Booted through UEFI (Secure Boot off unless `secure_boot`), no IOMMU, a 32 GiB /dev/shm,
    and the running kernel's headers installed.
    """
    fs = FakeSystem(
        env_vars={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": f"/home/{user}", **(env or {})},
        machine=MachineInfo(
            system="Linux",
            release=kernel,
            machine="x86_64",
            hostname=hostname,
            user=user,
            libc="glibc 2.35",
            cpu_count_logical=cores * 2,
        ),
        disks={
            "/": DiskUsage(total_bytes=512 * GIB, free_bytes=123 * GIB),
            "/dev/shm": DiskUsage(total_bytes=32 * GIB, free_bytes=31 * GIB),
        },
        working_dir=f"/home/{user}",
    )
    fs.add_file("/etc/os-release", os_release)
    fs.add_file("/proc/sys/kernel/osrelease", kernel + "\n")
    fs.add_file("/proc/version", f"Linux version {kernel} (buildd@lcy02) (gcc 11.4.0) #115\n")
    fs.add_file("/proc/sys/kernel/hostname", hostname + "\n")
    fs.add_file("/proc/cpuinfo", cpuinfo(cpu_model, cores))
    fs.add_file(
        "/proc/meminfo",
        f"MemTotal:       {ram_gib * 1024 * 1024} kB\nMemFree:         1024 kB\n"
        f"MemAvailable:   {available_gib * 1024 * 1024} kB\n",
    )
    fs.add_file("/proc/modules", "snd_hda_intel 57344 0 - Live 0x0000000000000000\n")
    fs.add_file("/proc/1/cgroup", "0::/init.scope\n")
    fs.add_dir("/sys/bus/pci/devices")
    fs.add_file("/sys/bus/pci/devices/0000:00:00.0/vendor", "0x8086\n")
    fs.add_file("/sys/bus/pci/devices/0000:00:00.0/class", "0x060000\n")
    fs.add_executable("/usr/bin/ldd")
    fs.add_dir("/dev/shm")
    fs.add_file("/proc/cmdline", f"BOOT_IMAGE=/boot/vmlinuz-{kernel} root=UUID=4f1c ro quiet\n")
    fs.add_dir("/sys/class/iommu")
    fs.add_dir("/sys/firmware/acpi")
    fs.add_file(SECURE_BOOT_VARIABLE, b"\x06\x00\x00\x00" + bytes([int(secure_boot)]))
    fs.add_file(f"/usr/src/linux-headers-{kernel}/Makefile", "")
    fs.add_symlink(f"/lib/modules/{kernel}/build", f"/usr/src/linux-headers-{kernel}")
    fs.add_file(f"/lib/modules/{kernel}/modules.dep", "")
    return fs


def add_dkms_module(fs: FakeSystem, version: str, kernel: str = "5.15.0-105-generic") -> FakeSystem:
    """`dkms install nvidia/<version>` for `kernel`: the DKMS tree and the installed modules."""
    tree = f"/var/lib/dkms/nvidia/{version}"
    fs.add_symlink(f"{tree}/source", f"/usr/src/nvidia-{version}")
    fs.add_symlink(f"/var/lib/dkms/nvidia/kernel-{kernel}-x86_64", f"{version}/{kernel}/x86_64")
    for name in ("nvidia", "nvidia-uvm", "nvidia-modeset", "nvidia-drm"):
        fs.add_file(f"{tree}/{kernel}/x86_64/module/{name}.ko.zst", b"\x28\xb5\x2f\xfd")
        fs.add_file(f"/lib/modules/{kernel}/updates/dkms/{name}.ko.zst", b"\x28\xb5\x2f\xfd")
    return fs


def without_host_trees(fs: FakeSystem) -> FakeSystem:
    """What a container or WSL does not see of a host: kernel modules and headers, DKMS's
    tree, the firmware (Docker masks /sys/firmware with an empty tmpfs)."""
    hidden = ("/lib/modules/", "/usr/src/", "/var/lib/dkms/", "/sys/firmware/")
    for table in (fs.files, fs.symlinks):
        for path in [p for p in table if p.startswith(hidden)]:
            del table[path]
    fs.dirs = {d for d in fs.dirs if not d.startswith(hidden)}
    fs.add_dir("/sys/firmware")
    return fs


def cpu_laptop() -> FakeSystem:
    """A laptop with integrated graphics only: no NVIDIA PCI device, no driver."""
    fs = linux_host(cpu_model="11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", cores=4)
    fs.add_file("/sys/bus/pci/devices/0000:00:02.0/vendor", "0x8086\n")
    fs.add_file("/sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n")
    fs.add_symlink("/sys/bus/pci/devices/0000:00:02.0/driver", "../../../bus/pci/drivers/i915")
    return fs


# -- GPU hardware and driver pieces -----------------------------------------------------------
def add_pci_gpu(
    fs: FakeSystem, slot: str, model: GpuModel = A100, kernel_driver: str | None = "nvidia"
) -> FakeSystem:
    base = f"/sys/bus/pci/devices/{slot}"
    fs.add_file(f"{base}/vendor", "0x10de\n")
    fs.add_file(f"{base}/device", model.device_id + "\n")
    fs.add_file(f"{base}/class", "0x030200\n")  # 3D controller: data-centre GPUs
    if kernel_driver:
        fs.add_symlink(f"{base}/driver", f"../../../bus/pci/drivers/{kernel_driver}")
    return fs


def add_gpu_audio_function(fs: FakeSystem, slot: str) -> FakeSystem:
    """The HDMI audio function a GeForce card exposes next to its GPU (not a GPU)."""
    fs.add_file(f"/sys/bus/pci/devices/{slot}/vendor", "0x10de\n")
    fs.add_file(f"/sys/bus/pci/devices/{slot}/device", "0x1aef\n")
    fs.add_file(f"/sys/bus/pci/devices/{slot}/class", "0x040300\n")
    return fs


def proc_driver_version(version: str, open_module: bool = False) -> str:
    flavour = "Open Kernel Module for x86_64" if open_module else "x86_64 Kernel Module"
    return (
        f"NVRM version: NVIDIA UNIX {flavour}  {version}  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Thu Aug 17 00:07:18 UTC 2023\n"
        "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04)\n"
    )


def add_kernel_module(fs: FakeSystem, version: str, open_module: bool = False) -> FakeSystem:
    """The loaded nvidia kernel module as sysfs and procfs show it."""
    fs.add_file("/sys/module/nvidia/version", version + "\n")
    fs.add_file("/proc/driver/nvidia/version", proc_driver_version(version, open_module))
    modules = fs.files.get("/proc/modules", "")
    assert isinstance(modules, str)
    fs.add_file(
        "/proc/modules",
        modules
        + "nvidia_uvm 1527808 0 - Live 0x0000000000000000 (POE)\n"
        + "nvidia 56717312 2 nvidia_uvm, Live 0x0000000000000000 (POE)\n",
    )
    return fs


def add_userspace(fs: FakeSystem, version: str, smi: bool = True) -> FakeSystem:
    """libnvidia-ml.so.<version>, its .so.1 link and nvidia-smi, as the driver installs them."""
    fs.add_file(f"{LIBDIR}/libnvidia-ml.so.{version}", b"\x7fELF")
    fs.add_symlink(f"{LIBDIR}/libnvidia-ml.so.1", f"libnvidia-ml.so.{version}")
    if smi:
        fs.add_executable(SMI)
    return fs


def add_device_nodes(fs: FakeSystem, gpus: int, writable: bool = True) -> FakeSystem:
    nodes = [f"/dev/nvidia{i}" for i in range(gpus)] + ["/dev/nvidiactl", "/dev/nvidia-uvm"]
    for node in nodes:
        fs.add_file(node, "")
        if writable:
            fs.writable.add(node)
    fs.add_dir("/dev/nvidia-caps")
    return fs


def nvml_device(index: int, model: GpuModel = A100, slot: str | None = None) -> NvmlDevice:
    slot = slot or HGX_SLOTS[index]
    return NvmlDevice(
        index=index,
        name=model.name,
        uuid=gpu_uuid(index),
        pci_bus_id=nvml_bus_id(slot),
        memory_total_bytes=model.memory_mib * MIB,
        memory_used_bytes=(4 + index) * MIB,
        memory_free_bytes=(model.memory_mib - 4 - index) * MIB,
        compute_capability=model.compute_capability,
        mig_mode=False,
        persistence_mode=True,
        temperature_c=30 + index,
        power_w=60.5 + index,
        power_limit_w=model.power_limit_w,
        ecc_uncorrectable=0,
        retired_pages=0,
        processes=0,
    )


def nvml_report(
    driver: str, devices: list[NvmlDevice], cuda: int = 12020, library: str | None = None
) -> NvmlReport:
    return NvmlReport(
        library_found=True,
        driver_version=driver,
        cuda_driver_version=cuda,
        devices=tuple(devices),
        library_path=library,
    )


def nvml_error(code: str, message: str, library: str | None = None) -> NvmlReport:
    return NvmlReport(library_found=True, error=code, error_message=message, library_path=library)


def smi_row(index: int, model: GpuModel, driver: str, slot: str | None = None) -> str:
    """One line of dlenv's `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` query."""
    slot = slot or HGX_SLOTS[index]
    cells = [
        f"{index}, {model.name}, {gpu_uuid(index)}, {nvml_bus_id(slot)}, {driver}",
        f"{model.memory_mib}, {4 + index}, {model.memory_mib - 4 - index}, Enabled, Disabled",
        f"{30 + index}, {60.5 + index:.2f}, {model.power_limit_w:.2f}, 0, 0, 0",
    ]
    if "compute_cap" in query_fields(driver):
        cells.append(model.compute_capability)
    return ", ".join(cells)


def smi_cmdline(driver: str | None, path: str = "nvidia-smi") -> str:
    """The command line dlenv runs, given the kernel module version it read first."""
    return f"{path} --query-gpu={','.join(query_fields(driver))} --format=csv,noheader,nounits"


def add_smi(fs: FakeSystem, driver: str | None, result: Command, path: str = SMI) -> FakeSystem:
    """nvidia-smi at `path` answering dlenv's one query with `result`."""
    fs.add_executable(path)
    return fs.add_command(smi_cmdline(driver, path), result)


# -- whole machines ---------------------------------------------------------------------------
def healthy_gpu_box(
    driver: str = "535.104.05",
    gpus: int = 1,
    model: GpuModel = A100,
    cuda: int = 12020,
    env: dict[str, str] | None = None,
) -> FakeSystem:
    """A working GPU server: module loaded, nodes writable, NVML answering for every GPU."""
    fs = linux_host(env=env)
    for index in range(gpus):
        add_pci_gpu(fs, HGX_SLOTS[index], model)
    add_kernel_module(fs, driver)
    add_dkms_module(fs, driver)
    add_userspace(fs, driver)
    add_device_nodes(fs, gpus)
    fs.nvml_report = nvml_report(
        driver,
        [nvml_device(i, model) for i in range(gpus)],
        cuda,
        library=f"{LIBDIR}/libnvidia-ml.so.1",
    )
    return fs


def gpu_without_driver(gpus: int = 1, model: GpuModel = RTX3090) -> FakeSystem:
    """A GPU on the bus and nothing else: no module, no library, no nvidia-smi."""
    fs = linux_host()
    for index in range(gpus):
        add_pci_gpu(fs, HGX_SLOTS[index], model, kernel_driver=None)
    return fs


def nouveau_box(model: GpuModel = RTX3090) -> FakeSystem:
    """A desktop where the open-source nouveau driver holds the GPU (the NVIDIA one is absent)."""
    fs = linux_host()
    add_pci_gpu(fs, "0000:01:00.0", model, kernel_driver="nouveau")
    add_gpu_audio_function(fs, "0000:01:00.1")
    fs.add_file(
        "/proc/modules",
        "nouveau 2433024 3 - Live 0x0000000000000000\nsnd_hda_intel 57344 0 - Live 0x0\n",
    )
    return fs


def mismatch_box(kernel: str = "535.104.05", library: str = "545.23.06") -> FakeSystem:
    """A driver upgrade without reboot: the old module is loaded, the new library installed."""
    fs = linux_host()
    add_pci_gpu(fs, HGX_SLOTS[0])
    add_kernel_module(fs, kernel)
    add_userspace(fs, library)
    add_device_nodes(fs, 1)
    lib_major_minor = ".".join(library.split(".")[:2])
    fs.nvml_report = nvml_error(
        "NVML_ERROR_LIB_RM_VERSION_MISMATCH",
        "RM has detected an NVML/RM version mismatch.",
        library=f"{LIBDIR}/libnvidia-ml.so.1",
    )
    add_smi(
        fs,
        kernel,
        Command(
            stdout="Failed to initialize NVML: Driver/library version mismatch\n"
            f"NVML library version: {lib_major_minor}\n",
            returncode=18,
        ),
    )
    return fs


def nvml_broken_box(driver: str = "535.104.05", smi: Command | None = None) -> FakeSystem:
    """Driver loaded, NVML in process fails (so nvidia-smi is asked), with nvidia-smi's answer."""
    fs = linux_host()
    add_pci_gpu(fs, HGX_SLOTS[0])
    add_kernel_module(fs, driver)
    add_userspace(fs, driver)
    add_device_nodes(fs, 1)
    fs.nvml_report = nvml_error("NVML_ERROR_UNKNOWN", "Unknown Error")
    if smi is not None:
        add_smi(fs, driver, smi)
    return fs


def wsl2_box(driver: str = "551.61", cuda: int = 12040) -> FakeSystem:
    """Ubuntu under WSL 2: no nvidia module, /dev/dxg, the Windows driver's libraries shared in."""
    fs = linux_host(
        kernel="5.15.146.1-microsoft-standard-WSL2", env={"WSL_DISTRO_NAME": "Ubuntu-22.04"}
    )
    without_host_trees(fs)
    fs.add_file("/proc/version", "Linux version 5.15.146.1-microsoft-standard-WSL2 (root@65c7)\n")
    fs.add_file("/proc/modules", "")
    fs.add_file("/proc/sys/fs/binfmt_misc/WSLInterop", "enabled\n")
    fs.add_file("/dev/dxg", "")
    fs.writable.add("/dev/dxg")
    for name in ("libcuda.so", "libcuda.so.1", "libcuda.so.1.1", "libnvidia-ml.so.1"):
        fs.add_file(f"/usr/lib/wsl/lib/{name}", b"\x7fELF")
    fs.add_executable("/usr/lib/wsl/lib/nvidia-smi")
    fs.nvml_report = NvmlReport(
        library_found=True,
        driver_version=driver,
        cuda_driver_version=cuda,
        devices=(nvml_device(0, RTX4090, "0000:01:00.0"),),
        library_path="/usr/lib/wsl/lib/libnvidia-ml.so.1",
    )
    return fs


def wsl1_box() -> FakeSystem:
    """Ubuntu under WSL 1: a translated kernel, no GPU support at all."""
    fs = linux_host(kernel="4.4.0-19041-Microsoft", env={"WSL_DISTRO_NAME": "Ubuntu"})
    without_host_trees(fs)
    fs.add_file("/proc/version", "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)\n")
    fs.add_file("/proc/sys/fs/binfmt_misc/WSLInterop", "enabled\n")
    fs.files.pop("/proc/modules")
    fs.files.pop("/sys/bus/pci/devices/0000:00:00.0/vendor")
    fs.files.pop("/sys/bus/pci/devices/0000:00:00.0/class")
    fs.dirs.discard("/sys/bus/pci/devices")
    return fs


def container_without_gpus() -> FakeSystem:
    """`docker run nvidia/cuda:12.2.0-base` without `--gpus`: the image asks, nothing is passed."""
    fs = linux_host(env={"NVIDIA_VISIBLE_DEVICES": "all", "NVIDIA_DRIVER_CAPABILITIES": "compute"})
    without_host_trees(fs)
    fs.add_file("/.dockerenv", "")
    fs.add_file("/proc/1/cgroup", "0::/\n")
    add_pci_gpu(fs, HGX_SLOTS[0])  # the host's sysfs shows the GPU, unbound from the container
    # the host's module is visible through the shared kernel, but nothing was mounted in
    add_kernel_module(fs, "535.104.05")
    fs.add_file(
        "/proc/self/mountinfo",
        "600 500 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/1\n"
        "601 600 0:55 / /proc rw,nosuid - proc proc rw\n",
    )
    return fs


def container_with_gpus(driver: str = "535.104.05", gpus: int = 2) -> FakeSystem:
    """`docker run --gpus all`: the toolkit bind-mounts the host's driver files and nodes."""
    fs = healthy_gpu_box(driver=driver, gpus=gpus, env={"NVIDIA_VISIBLE_DEVICES": "all"})
    without_host_trees(fs)
    fs.add_file("/.dockerenv", "")
    lines = [
        "600 500 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/1",
        "700 600 259:1 /usr/bin/nvidia-smi /usr/bin/nvidia-smi ro - ext4 /dev/nvme0n1p2 rw",
        f"701 600 259:1 {LIBDIR}/libnvidia-ml.so.{driver} {LIBDIR}/libnvidia-ml.so.{driver} ro"
        " - ext4 /dev/nvme0n1p2 rw",
        f"702 600 259:1 {LIBDIR}/libcuda.so.{driver} {LIBDIR}/libcuda.so.{driver} ro"
        " - ext4 /dev/nvme0n1p2 rw",
        "703 600 0:5 /nvidia0 /dev/nvidia0 ro,nosuid - devtmpfs udev rw",
        "704 600 0:22 /driver/nvidia /proc/driver/nvidia ro - proc proc rw",
    ]
    fs.add_file("/proc/self/mountinfo", "\n".join(lines) + "\n")
    return fs
