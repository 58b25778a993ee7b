"""Named machines described as data: one per family of real failures, and healthy ones.

Each machine imitates the machine of one real public report (its docstring gives the URL, a
report from tests/corpus/reports or tests/importers/data/real) as faithfully as that report
states it, built from the FakeSystem builders beside this module. `snapshot_of(name)` runs
dlenv's real static probes over it (`collect`), and, where the machine also says what a
framework answered when the live probe imported it, runs that raw answer through the live
probes' real interpretation (`dlenv.live.interpret.to_probe`): the child process is the only
part that is not run. tests/machines/test_named.py pins what `diagnose` says of each.

As the NVIDIA container toolkit keeps `testdata/lookup/rootfs-1/` with a README saying where
its files came from, each machine here says which report it came from.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dlenv.probes import collect
from dlenv.snapshot.model import Snapshot
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.nvml import NvmlDevice, NvmlLink, NvmlProcess
from tests.machines.cuda import pip_wheel, system_toolkit
from tests.machines.gpu import (
    A100,
    H100,
    HGX_SLOTS,
    LIBDIR,
    RTX3090,
    RTX4090,
    GpuModel,
    add_dkms_module,
    add_pci_gpu,
    add_userspace,
    container_with_gpus,
    gpu_without_driver,
    healthy_gpu_box,
    linux_host,
    mismatch_box,
    nouveau_box,
    nvml_device,
    nvml_report,
    without_host_trees,
    wsl1_box,
    wsl2_box,
)
from tests.machines.python import (
    HOME,
    TF_CPU_BUILD,
    add_dist,
    add_keras,
    add_python,
    add_tensorflow,
    add_torch,
    entry,
    python_env,
    site_of,
)

MIB = 1 << 20
GIB = 1 << 30

LiveAnswer = tuple[Mapping[str, Any], str]
"""What a live-probe child sends back for one framework: its raw result and its stderr."""


@dataclass(frozen=True)
class Machine:
    """A whole machine: the FakeSystem the static probes read, and what each framework's live
    probe answered there (none: the machine is judged on its static facts, as `--quick`)."""

    system: FakeSystem
    live: Mapping[str, LiveAnswer] = field(default_factory=dict)


MACHINES: dict[str, Callable[[], Machine]] = {}


def machine(fn: Callable[[], Machine]) -> Callable[[], Machine]:
    """Register a machine under its function's name, with dashes (`cuda_workstation` ->
    `cuda-workstation`)."""
    MACHINES[fn.__name__.replace("_", "-")] = fn
    return fn


def snapshot_of(name: str) -> Snapshot:
    """collect() over the named machine, with its live answers interpreted as dlenv does."""
    from dlenv.live.interpret import to_probe

    described = MACHINES[name]()
    snapshot = collect(described.system)
    if described.live:
        live = [to_probe(fw, result, stderr) for fw, (result, stderr) in described.live.items()]
        snapshot = replace(snapshot, live=live)
    return snapshot


# -- builders for what many machines share --------------------------------------------------
def with_python(
    fs: FakeSystem,
    dists: Sequence[Mapping[str, Any]],
    *,
    version: str = "3.11.7",
    kind: str = "venv",
    pythonpath: Sequence[str] = (),
    modules: Mapping[str, str | None] | None = None,
    sys_path: Sequence[Mapping[str, Any]] | None = None,
) -> FakeSystem:
    """The environment's interpreter first on PATH (as after `activate`), holding `dists`."""
    data = python_env(
        kind=kind,
        dists=dists,
        version=version,
        pythonpath=pythonpath,
        modules=modules,
        sys_path=sys_path,
    )
    minor = ".".join(version.split(".")[:2])
    if minor != "3.11":  # the builders lay environments out for 3.11: move them to `version`
        data = json.loads(json.dumps(data).replace("/python3.11", f"/python{minor}"))
        data["version"] = version
        _move_python_dirs(fs, minor)
    bindir = posixpath.dirname(str(data["executable"]))
    fs.env_vars["PATH"] = f"{bindir}:{fs.env_vars.get('PATH', '/usr/bin:/bin')}"
    if pythonpath:
        fs.env_vars["PYTHONPATH"] = ":".join(pythonpath)
    fs.add_dir(HOME)
    return add_python(fs, data)


def _move_python_dirs(fs: FakeSystem, minor: str) -> None:
    def moved(path: str) -> str:
        return path.replace("/python3.11/", f"/python{minor}/")

    fs.files = {moved(p): c for p, c in fs.files.items()}
    fs.symlinks = {moved(p): t for p, t in fs.symlinks.items()}
    fs.dirs = {moved(p) for p in fs.dirs}


def torch_wheels(
    fs: FakeSystem, wheels: Mapping[str, tuple[str, list[str]]], site: str | None = None
) -> list[dict[str, Any]]:
    """The nvidia-* wheels a torch CUDA build pulled in, as installed distributions."""
    site = site or site_of("venv")
    out = []
    for name, (version, files) in wheels.items():
        pip_wheel(fs, name, version, files, site)
        out.append({"name": name, "version": version, "location": site, "editable": False,
                    "installer": "pip"})
    return out


# The CUDA 12 wheels that PyTorch's Linux x86_64 builds pin, per (torch, variant), as their
# METADATA on download.pytorch.org states them: cudart, cuBLAS, cuDNN, NCCL.
TORCH_PINS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("2.4.0", "cu121"): ("12.1.105", "12.1.3.1", "9.1.0.70", "2.20.5"),
    ("2.5.1", "cu121"): ("12.1.105", "12.1.3.1", "9.1.0.70", "2.21.5"),
    ("2.6.0", "cu124"): ("12.4.127", "12.4.5.8", "9.1.0.70", "2.21.5"),
    ("2.8.0", "cu126"): ("12.6.77", "12.6.4.1", "9.10.2.21", "2.27.3"),
}


def torch_cuda(fs: FakeSystem, version: str, variant: str) -> list[dict[str, Any]]:
    """torch <version>+<variant> from PyTorch's index, with the nvidia-* wheels it pins."""
    cudart, cublas, cudnn, nccl = TORCH_PINS[(version, variant)]
    cuda = f"{variant[2:4]}.{variant[4:]}"
    wheels: dict[str, tuple[str, list[str]]] = {
        "nvidia-cuda-runtime-cu12": (cudart, ["nvidia/cuda_runtime/lib/libcudart.so.12"]),
        "nvidia-cublas-cu12": (
            cublas,
            ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublasLt.so.12"],
        ),
        "nvidia-cudnn-cu12": (
            cudnn,
            ["nvidia/cudnn/lib/libcudnn.so.9", "nvidia/cudnn/lib/libcudnn_graph.so.9"],
        ),
        "nvidia-nccl-cu12": (nccl, ["nvidia/nccl/lib/libnccl.so.2"]),
    }
    linux = 'platform_system == "Linux" and platform_machine == "x86_64"'
    requires = [f"{name}=={v}; {linux}" for name, (v, _) in wheels.items()]
    torch = add_torch(fs, f"{version}+{variant}", cuda, requires=requires)
    return [torch, *torch_wheels(fs, wheels)]


def gpu_box(
    model: GpuModel,
    driver: str,
    cuda: int,
    gpus: int = 1,
    env: dict[str, str] | None = None,
    slots: Sequence[str] = HGX_SLOTS,
) -> FakeSystem:
    """healthy_gpu_box for a given card, in the slots given."""
    fs = healthy_gpu_box(driver=driver, gpus=gpus, model=model, cuda=cuda, env=env)
    fs.nvml_report = nvml_report(
        driver,
        [nvml_device(i, model, slots[i]) for i in range(gpus)],
        cuda,
        library=f"{LIBDIR}/libnvidia-ml.so.1",
    )
    return fs


# -- healthy machines -----------------------------------------------------------------------
@machine
def cuda_workstation() -> Machine:
    """An RTX 4090 workstation on Ubuntu 22.04, driver 535.183.01, torch 2.5.1+cu121 in a venv:
    the environment pasted with https://github.com/vllm-project/vllm/issues/13497 (a usage
    question; everything works)."""
    fs = gpu_box(RTX4090, "535.183.01", 12020, slots=("0000:01:00.0",))
    return Machine(with_python(fs, torch_cuda(fs, "2.5.1", "cu121"), version="3.10.12"))


@machine
def cpu_only_box() -> Machine:
    """Ubuntu 22.04 with no NVIDIA GPU and torch 2.8.0+cpu: the server of
    https://github.com/tenstorrent/vllm/issues/176 (its accelerators are not NVIDIA's; a usage
    question, nothing is wrong)."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()
    torch = add_torch(fs, "2.8.0+cpu", None, requires=("filelock",))
    return Machine(with_python(fs, [torch], version="3.10.12"))


@machine
def wsl2_workstation() -> Machine:
    """Ubuntu 22.04 under WSL 2 on a laptop RTX 4070 (GeForce Windows driver 551.88),
    torch 2.4.0+cu121: https://github.com/vllm-project/vllm/pull/9293 (its collect_env,
    "Is CUDA available: True")."""
    fs = wsl2_box(driver="551.88", cuda=12040)
    return Machine(with_python(fs, torch_cuda(fs, "2.4.0", "cu121"), version="3.12.3"))


@machine
def container_with_toolkit() -> Machine:
    """`docker run --gpus all` on an H100 host (the NVIDIA Container Toolkit mounts the driver
    in): the "docker容器云, py3123+torch280cu126" container of
    https://github.com/zzc0721/torch-performance-test-data/issues/21, with a roomy /dev/shm."""
    fs = container_with_gpus(driver="560.35.03", gpus=1)
    fs.nvml_report = nvml_report("560.35.03", [nvml_device(0, H100)], 12060,
                                 library=f"{LIBDIR}/libnvidia-ml.so.1")
    return Machine(with_python(fs, torch_cuda(fs, "2.8.0", "cu126"), version="3.12.3"))


# -- GPUs the reports name, beyond tests/machines/gpu.py's ------------------------------------
RTX3050_LAPTOP = GpuModel("NVIDIA GeForce RTX 3050 Laptop GPU", "0x25a2", 4096, "8.6", 60.0)
RTX3060 = GpuModel("NVIDIA GeForce RTX 3060", "0x2504", 12288, "8.6", 170.0)
RTX5090 = GpuModel("NVIDIA GeForce RTX 5090", "0x2b85", 32607, "12.0", 575.0)
GTX660TI = GpuModel("NVIDIA GeForce GTX 660 Ti", "0x1183", 2048, "3.0", 150.0)
TITANX_PASCAL = GpuModel("TITAN X (Pascal)", "0x1b00", 12186, "6.1", 250.0)
TESLA_T4 = GpuModel("Tesla T4", "0x1eb8", 15360, "7.5", 70.0)
V100 = GpuModel("Tesla V100-SXM2-16GB", "0x1db1", 16160, "7.0", 300.0)
GTX1080TI = GpuModel("GeForce GTX 1080 Ti", "0x1b06", 11178, "6.1", 250.0)

UBUNTU_2404 = """PRETTY_NAME="Ubuntu 24.04 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
ID=ubuntu
ID_LIKE=debian
"""
DEBIAN_12 = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
"""
FEDORA_29 = """NAME=Fedora
VERSION="29 (Server Edition)"
ID=fedora
VERSION_ID=29
PRETTY_NAME="Fedora 29 (Server Edition)"
"""


def installed_not_loaded(
    driver: str, kernel: str, built_for: str, os_release: str, secure_boot: bool = False
) -> FakeSystem:
    """A driver's packages installed (library, nvidia-smi, DKMS build) but no module loaded."""
    fs = linux_host(kernel=kernel, os_release=os_release, secure_boot=secure_boot, user="user")
    add_pci_gpu(fs, "0000:01:00.0", kernel_driver=None)
    add_userspace(fs, driver)
    add_dkms_module(fs, driver, built_for)
    return fs


# -- DL1xx: the driver ----------------------------------------------------------------------
@machine
def driver_too_old() -> Machine:
    """Ubuntu 21.04 on a laptop RTX 3050, driver 470.86 (CUDA 11.4) with torch built for CUDA
    12.1: https://github.com/lllyasviel/Fooocus/issues/1313 ("The NVIDIA driver on your system
    is too old (found version 11040)"; the torch release is not stated, 2.5.1+cu121 stands in
    for the CUDA 12 build the message implies)."""
    fs = gpu_box(RTX3050_LAPTOP, "470.86", 11040, slots=("0000:01:00.0",))
    return Machine(with_python(fs, torch_cuda(fs, "2.5.1", "cu121")))


@machine
def toolkit_newer_than_driver() -> Machine:
    """A GCP VM with a Tesla T4 on Debian 12, driver 550.90.07 (CUDA 12.4) and the CUDA 12.5
    toolkit that Google's install script put in /usr/local/cuda-12.5, on PATH:
    https://github.com/GoogleCloudPlatform/compute-gpu-installation/issues/42."""
    fs = gpu_box(TESLA_T4, "550.90.07", 12040, slots=("0000:00:04.0",))
    fs.add_file("/etc/os-release", DEBIAN_12)
    system_toolkit(fs, "/usr/local/cuda-12.5", "12.5.82")
    fs.add_symlink("/usr/local/cuda", "/usr/local/cuda-12.5")
    fs.env_vars["PATH"] = "/usr/local/cuda/bin:" + fs.env_vars["PATH"]
    return Machine(fs)


@machine
def no_driver() -> Machine:
    """A GPU on the bus and no driver at all ("no such an order" for nvidia-smi):
    https://github.com/koszullab/instaGRAAL/issues/10 (the GPU is not named; an RTX 3090 stands
    in)."""
    return Machine(gpu_without_driver())


@machine
def nouveau() -> Machine:
    """A Fedora 29 compute box whose display is on Intel graphics and whose NVIDIA card is held
    by nouveau: https://github.com/negativo17/nvidia-driver/issues/73 ("Nouveau wasn't
    disabled")."""
    fs = nouveau_box()
    fs.add_file("/etc/os-release", FEDORA_29)
    fs.add_file("/sys/bus/pci/devices/0000:00:02.0/vendor", "0x8086\n")
    fs.add_file("/sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n")
    return Machine(fs)


@machine
def nvml_mismatch() -> Machine:
    """Ubuntu 24.04 after an unattended minor update of nvidia-driver-550 to 550.107.02 while
    the 550.90.07 module stays loaded: https://github.com/oddmario/NVIDIA-Ubuntu-Driver-Guide/
    issues/4 ("Failed to initialize NVML: Driver/library version mismatch")."""
    fs = mismatch_box(kernel="550.90.07", library="550.107.02")
    fs.add_file("/etc/os-release", UBUNTU_2404)
    return Machine(fs)


@machine
def wsl1() -> Machine:
    """Ubuntu installed under WSL 1 before `wsl --set-default-version 2`, with a CUDA torch:
    https://github.com/andres-manzano/nvidia-cuda-wsl-setup-guide/issues/1."""
    fs = wsl1_box()
    return Machine(with_python(fs, torch_cuda(fs, "2.5.1", "cu121")))


@machine
def secure_boot_rejects_module() -> Machine:
    """Ubuntu 24.04 with Secure Boot on: driver 535.161.07 built by DKMS for the running kernel,
    but "Key was rejected by service" so nothing is loaded:
    https://github.com/NVIDIA/gpu-driver-container/issues/44."""
    kernel = "6.8.0-31-generic"
    fs = installed_not_loaded("535.161.07", kernel, kernel, UBUNTU_2404, secure_boot=True)
    return Machine(fs)


@machine
def dkms_not_built_for_new_kernel() -> Machine:
    """A GCP VM after a kernel upgrade: DKMS built driver 550.54.15 for the previous kernel only,
    the new kernel's headers are missing, and nvidia-smi "couldn't communicate with the NVIDIA
    driver": https://github.com/GoogleCloudPlatform/compute-gpu-installation/pull/18."""
    fs = installed_not_loaded(
        "550.54.15", "6.1.0-21-cloud-amd64", "6.1.0-20-cloud-amd64", DEBIAN_12
    )
    kernel = "6.1.0-21-cloud-amd64"
    del fs.symlinks[f"/lib/modules/{kernel}/build"]
    del fs.files[f"/usr/src/linux-headers-{kernel}/Makefile"]
    return Machine(fs)


@machine
def sandbox_without_nvidia_uvm() -> Machine:
    """Debian 12 (kernel 6.11 from backports): nvidia loaded but not nvidia_uvm, and no
    /dev/nvidia-uvm, so cuInit fails with CUDA_ERROR_UNKNOWN (999):
    https://github.com/flatpak/flatpak/issues/6047. The reporter's program is not torch; the
    live answer is what torch says on such a machine."""
    fs = gpu_box(RTX3060, "535.216.01", 12020, slots=("0000:01:00.0",))
    fs.add_file("/etc/os-release", DEBIAN_12)
    fs.add_file("/proc/modules", "nvidia 56717312 2 - Live 0x0000000000000000 (POE)\n")
    del fs.files["/dev/nvidia-uvm"]
    torch_live = {
        "status": "ok",
        "raw": {"version": "2.5.1+cu121", "cuda_built": True, "is_available": False,
                "cuda_version": "12.1"},
        "warnings": [
            "CUDA initialization: CUDA unknown error - this may be due to an incorrectly set up "
            "environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program start. "
            "Setting the available devices to be zero."
        ],
    }
    return Machine(with_python(fs, torch_cuda(fs, "2.5.1", "cu121")), {"torch": (torch_live, "")})
