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
from dlenv.system.fake import FakeSystem
from dlenv.system.nvml import NvmlLink, NvmlProcess
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
    for entries in (data["sys_path"], data["pythonpath"]):
        for item in entries:  # a path entry exists when this machine has it
            item["exists"] = fs.exists(item["path"])
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
        out.append(
            {
                "name": name,
                "version": version,
                "location": site,
                "editable": False,
                "installer": "pip",
            }
        )
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
    fs.nvml_report = nvml_report(
        "560.35.03", [nvml_device(0, H100)], 12060, library=f"{LIBDIR}/libnvidia-ml.so.1"
    )
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
        "raw": {
            "version": "2.5.1+cu121",
            "cuda_built": True,
            "is_available": False,
            "cuda_version": "12.1",
        },
        "warnings": [
            "CUDA initialization: CUDA unknown error - this may be due to an incorrectly set up "
            "environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program start. "
            "Setting the available devices to be zero."
        ],
    }
    return Machine(with_python(fs, torch_cuda(fs, "2.5.1", "cu121")), {"torch": (torch_live, "")})


# -- DL2xx: CUDA libraries ------------------------------------------------------------------
def cu11_wheels(fs: FakeSystem, *, cudnn: bool = True) -> list[dict[str, Any]]:
    """torch 2.0.1's CUDA 11.7 wheels from PyPI (cuDNN's left out with `cudnn=False`)."""
    wheels: dict[str, tuple[str, list[str]]] = {
        "nvidia-cuda-runtime-cu11": ("11.7.99", ["nvidia/cuda_runtime/lib/libcudart.so.11.0"]),
        "nvidia-cublas-cu11": (
            "11.10.3.66",
            ["nvidia/cublas/lib/libcublas.so.11", "nvidia/cublas/lib/libcublasLt.so.11"],
        ),
        "nvidia-nccl-cu11": ("2.14.3", ["nvidia/nccl/lib/libnccl.so.2"]),
    }
    if cudnn:
        wheels["nvidia-cudnn-cu11"] = ("8.5.0.96", ["nvidia/cudnn/lib/libcudnn.so.8"])
    return torch_wheels(fs, wheels)


TORCH_201_REQUIRES = (
    'nvidia-cuda-runtime-cu11==11.7.99; platform_system == "Linux" and '
    'platform_machine == "x86_64"',
    'nvidia-cudnn-cu11==8.5.0.96; platform_system == "Linux" and platform_machine == "x86_64"',
    'nvidia-cublas-cu11==11.10.3.66; platform_system == "Linux" and platform_machine == "x86_64"',
    'nvidia-nccl-cu11==2.14.3; platform_system == "Linux" and platform_machine == "x86_64"',
)


@machine
def missing_cuda_library() -> Machine:
    """A fresh Poetry virtualenv (Python 3.8) with torch 2.0.1 from PyPI whose nvidia-cudnn-cu11
    wheel is missing, so `import torch` fails with "libcudnn.so.8: cannot open shared object
    file": https://github.com/pytorch/pytorch/issues/104259 (the GPU is not named)."""
    fs = gpu_box(RTX3090, "535.104.05", 12020, slots=("0000:01:00.0",))
    torch = add_torch(fs, "2.0.1+cu117", "11.7", requires=TORCH_201_REQUIRES, dist_version="2.0.1")
    return Machine(with_python(fs, [torch, *cu11_wheels(fs, cudnn=False)], version="3.8.16"))


@machine
def cudnn_older_than_the_build() -> Machine:
    """TensorFlow 2.6 (built with cuDNN 8.1) on a machine whose CUDA 11.2 toolkit in
    /usr/local/cuda carries cuDNN 8.0.4, on LD_LIBRARY_PATH: "Loaded runtime CuDNN library:
    8.0.4 but source was compiled with: 8.1.0", https://github.com/google-research/deeplab2/
    issues/66 (the GPU is not named)."""
    from tests.machines.cuda import add_libs, cudnn_header

    fs = gpu_box(RTX3090, "470.57.02", 11040, slots=("0000:01:00.0",))
    system_toolkit(fs, "/usr/local/cuda-11.2", "11.2.152")
    fs.add_symlink("/usr/local/cuda", "/usr/local/cuda-11.2")
    lib = "/usr/local/cuda-11.2/targets/x86_64-linux/lib"
    add_libs(
        fs,
        lib,
        "libcublas.so.11",
        "libcublasLt.so.11",
        "libcufft.so.10",
        "libcurand.so.10",
        "libcusolver.so.11",
        "libcusparse.so.11",
        "libcudnn.so.8.0.4",
        "libnccl.so.2",
    )
    fs.add_symlink(f"{lib}/libcudnn.so.8", "libcudnn.so.8.0.4")
    fs.add_file(
        "/usr/local/cuda-11.2/targets/x86_64-linux/include/cudnn_version.h", cudnn_header(8, 0, 4)
    )
    fs.env_vars["LD_LIBRARY_PATH"] = "/usr/local/cuda/lib64"
    build = (
        ("cuda_compute_capabilities", ["sm_35", "sm_50", "sm_60", "sm_70", "sm_75", "compute_80"]),
        ("cuda_version", "11.2"),
        ("cudnn_version", "8"),
        ("is_cuda_build", True),
        ("is_rocm_build", False),
        ("is_tensorrt_build", True),
    )
    tf = add_tensorflow(fs, version="2.6.0", build=build, requires=("keras<2.7,>=2.6.0",))
    return Machine(with_python(fs, [tf, add_dist(fs, "keras", "2.6.0")], version="3.8.10"))


def _jax_cuda12(fs: FakeSystem, version: str, cudnn_spec: str) -> list[dict[str, Any]]:
    """jax[cuda12] <version>: jax, jaxlib and the CUDA 12 plugin whose METADATA asks for the
    cuDNN wheel as `cudnn_spec` under its with-cuda extra."""
    jax = add_dist(
        fs,
        "jax",
        version,
        requires=(
            f"jaxlib<={version},>={version}",
            f'jax-cuda12-plugin[with-cuda]<={version},>={version}; extra == "cuda12"',
        ),
        extras=("cuda12",),
    )
    jaxlib = add_dist(fs, "jaxlib", version)
    plugin = add_dist(
        fs,
        "jax-cuda12-plugin",
        version,
        requires=(
            f"jax-cuda12-pjrt=={version}",
            f'nvidia-cudnn-cu12{cudnn_spec}; extra == "with-cuda"',
            'nvidia-cuda-runtime-cu12>=12.1.105; extra == "with-cuda"',
        ),
        extras=("with-cuda",),
    )
    pjrt = add_dist(fs, "jax-cuda12-pjrt", version)
    fs.add_file(f"{site_of('venv')}/jax/__init__.py", "")
    # the other CUDA 12 wheels jax[cuda12] installs
    others = torch_wheels(
        fs,
        {
            "nvidia-cufft-cu12": ("11.3.0.4", ["nvidia/cufft/lib/libcufft.so.11"]),
            "nvidia-cusparse-cu12": ("12.5.4.2", ["nvidia/cusparse/lib/libcusparse.so.12"]),
            "nvidia-cusolver-cu12": ("11.7.1.2", ["nvidia/cusolver/lib/libcusolver.so.11"]),
        },
    )
    return [jax, jaxlib, plugin, pjrt, *others]


@machine
def torch_and_jax_pin_different_cudnn() -> Machine:
    """torch 2.1.1 (pins nvidia-cudnn-cu12==8.9.2.26) and jax[cuda12] 0.4.33 (needs cuDNN
    9.5.1.17) in one environment, pip warning "torch 2.1.1 requires nvidia-cudnn-cu12==8.9.2.26
    ..., but you have nvidia-cudnn-cu12 9.5.1.17": https://github.com/apple/axlearn/issues/858
    (a GPU instance; an A100 stands in)."""
    fs = gpu_box(A100, "550.54.15", 12040)
    linux = 'platform_system == "Linux" and platform_machine == "x86_64"'
    torch = add_torch(
        fs,
        "2.1.1+cu121",
        "12.1",
        dist_version="2.1.1",
        requires=(
            f"nvidia-cuda-runtime-cu12==12.1.105; {linux}",
            f"nvidia-cudnn-cu12==8.9.2.26; {linux}",
            f"nvidia-cublas-cu12==12.1.3.1; {linux}",
            f"nvidia-nccl-cu12==2.18.1; {linux}",
        ),
    )
    wheels = torch_wheels(
        fs,
        {
            "nvidia-cuda-runtime-cu12": ("12.6.77", ["nvidia/cuda_runtime/lib/libcudart.so.12"]),
            "nvidia-cublas-cu12": (
                "12.6.4.1",
                ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublasLt.so.12"],
            ),
            "nvidia-cudnn-cu12": ("9.5.1.17", ["nvidia/cudnn/lib/libcudnn.so.9"]),
            "nvidia-nccl-cu12": ("2.23.4", ["nvidia/nccl/lib/libnccl.so.2"]),
        },
    )
    jax = _jax_cuda12(fs, "0.4.33", ">=9.1,<10.0")
    return Machine(with_python(fs, [torch, *wheels, *jax], version="3.10.14"))


@machine
def cudnn_conflict_torch_first() -> Machine:
    """JAX built with cuDNN 9.8 and torch 2.6.0+cu124, which pins nvidia-cudnn-cu12==9.1.0.70,
    in one environment: "Loaded runtime CuDNN library: 9.1.0 but source was compiled with:
    9.8.0", https://github.com/AI-Hypercomputer/maxtext/pull/1509 (JAX nightly then; 0.6.0, the
    first release needing cuDNN 9.8, stands in)."""
    fs = gpu_box(H100, "550.54.15", 12040)
    torch = torch_cuda(fs, "2.6.0", "cu124")
    jax = _jax_cuda12(fs, "0.6.0", ">=9.8,<10.0")
    return Machine(with_python(fs, [*torch, *jax], version="3.12.3"))


@machine
def old_nccl_shadows_torchs() -> Machine:
    """A conda environment whose requirements mixed cu11 and cu12 wheels: torch 2.1.2+cu121
    loads the older libnccl of nvidia-nccl-cu11 and fails with "undefined symbol:
    ncclCommRegister", https://github.com/VichyTong/CodeJudge/issues/2 (the GPU is not named)."""
    fs = gpu_box(A100, "535.104.05", 12020)
    linux = 'platform_system == "Linux" and platform_machine == "x86_64"'
    torch = add_torch(
        fs,
        "2.1.2+cu121",
        "12.1",
        dist_version="2.1.2",
        requires=(
            f"nvidia-cuda-runtime-cu12==12.1.105; {linux}",
            f"nvidia-cudnn-cu12==8.9.2.26; {linux}",
            f"nvidia-nccl-cu12==2.18.1; {linux}",
        ),
    )
    wheels = torch_wheels(
        fs,
        {
            "nvidia-cuda-runtime-cu12": ("12.1.105", ["nvidia/cuda_runtime/lib/libcudart.so.12"]),
            "nvidia-cudnn-cu12": ("8.9.2.26", ["nvidia/cudnn/lib/libcudnn.so.8"]),
            "nvidia-cublas-cu12": (
                "12.1.3.1",
                ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublasLt.so.12"],
            ),
            "nvidia-nccl-cu12": ("2.18.1", ["nvidia/nccl/lib/libnccl.so.2"]),
            "nvidia-nccl-cu11": ("2.14.3", ["nvidia/nccl/lib/libnccl.so.2"]),
        },
    )
    site = site_of("venv")
    torch_live = {
        "status": "import-error",
        "error": f"ImportError: {site}/torch/lib/libtorch_cuda.so: undefined symbol: "
        "ncclCommRegister",
    }
    return Machine(
        with_python(fs, [torch, *wheels], version="3.10.13"), {"torch": (torch_live, "")}
    )


# -- DL3xx: GPUs ----------------------------------------------------------------------------
@machine
def rtx5090_with_torch_for_sm90() -> Machine:
    """An RTX 5090 (sm_120) in a container whose torch supports sm_50 ... sm_90 only:
    https://github.com/xorbitsai/inference/issues/3603 (torch 2.6.0+cu124 has that arch
    list; the driver is one that runs the 5090)."""
    fs = container_with_gpus(driver="570.124.04", gpus=1)
    fs.nvml_report = nvml_report(
        "570.124.04",
        [nvml_device(0, RTX5090, "0000:01:00.0")],
        12080,
        library=f"{LIBDIR}/libnvidia-ml.so.1",
    )
    return Machine(with_python(fs, torch_cuda(fs, "2.6.0", "cu124"), version="3.10.12"))


@machine
def gpu_too_old() -> Machine:
    """A GeForce GTX 660 Ti (compute capability 3.0) with a current torch: "PyTorch no longer
    supports this GPU because it is too old", https://github.com/alievk/avatarify-python/
    issues/58 (on Windows 10 there; dlenv's probes read the same GPU and torch on Linux)."""
    fs = gpu_box(GTX660TI, "470.256.02", 11040, slots=("0000:01:00.0",))
    torch = add_torch(
        fs, "1.13.1+cu117", "11.7", requires=TORCH_201_REQUIRES, dist_version="1.13.1"
    )
    return Machine(with_python(fs, [torch, *cu11_wheels(fs)], version="3.7.16"))


@machine
def visible_devices_hide_the_gpu() -> Machine:
    """`CUDA_VISIBLE_DEVICES=2 python main.py` on a machine with one TITAN X (Pascal), driver
    375.39: "no CUDA-capable device is detected", https://github.com/pytorch/examples/issues/115
    (torch 0.1.10 then; the variable is what matters)."""
    fs = gpu_box(
        TITANX_PASCAL, "375.39", 8000, env={"CUDA_VISIBLE_DEVICES": "2"}, slots=("0000:01:00.0",)
    )
    return Machine(fs)


# -- DL4xx: framework builds ----------------------------------------------------------------
@machine
def cpu_build_on_gpu_machine() -> Machine:
    """`pip install -r requirements.txt` replaced tensorflow-gpu 1.x with the CPU-only
    `tensorflow` package on a GPU machine: https://github.com/matterport/Mask_RCNN/issues/615
    (tensorflow 1.8.0 was current; GPUs not named, two GTX 1080 Ti stand in)."""
    fs = gpu_box(GTX1080TI, "390.48", 9010, gpus=2)
    tf = add_tensorflow(fs, version="1.8.0", build=TF_CPU_BUILD, requires=())
    return Machine(with_python(fs, [tf], version="3.6.5"))


GTX1050TI = GpuModel("NVIDIA GeForce GTX 1050 Ti", "0x1c82", 4096, "6.1", 75.0)


@machine
def tensorflow_212_on_native_windows() -> Machine:
    """Windows 10 with a GTX 1050 Ti, CUDA 11.8 and cuDNN 8.6 installed, and tensorflow 2.12.0
    in a venv: "GPU is NOT AVAILABLE", https://github.com/tensorflow/tensorflow/issues/60237
    (TensorFlow 2.10 was the last release with GPU support on native Windows; the driver is
    not stated, one of CUDA 12.1's stands in). Paths are Windows': PATH entries joined with
    `;`, the interpreter at venv\\Scripts\\python.exe."""
    venv = "C:\\Users\\user\\tf\\venv"
    site = venv + "\\Lib\\site-packages"
    fs = FakeSystem(
        platform_name="win32",
        env_vars={
            "PATH": f"{venv}\\Scripts;C:\\Windows\\system32",
            "USERPROFILE": "C:\\Users\\user",
        },
        working_dir="C:\\Users\\user\\tf",
    )
    fs.nvml_report = nvml_report(
        "531.41",
        [nvml_device(0, GTX1050TI, "0000:01:00.0")],
        12010,
        library="C:\\Windows\\system32\\nvml.dll",
    )
    tf = add_tensorflow(fs, version="2.12.0", build=TF_CPU_BUILD, requires=(), location=site)
    data = python_env(
        kind="venv",
        dists=[tf],
        executable=venv + "\\Scripts\\python.exe",
        version="3.10.10",
        platform="win32",
        machine="AMD64",
        cwd="C:\\Users\\user\\tf",
    )
    data.update(
        prefix=venv,
        site_packages=[site],
        sys_path=[entry(site, "site-packages")],
    )
    return Machine(add_python(fs, data))


# -- DL5xx: the Python environment ----------------------------------------------------------
@machine
def script_named_tensorflow() -> Machine:
    """`python3 tensorflow.py` in a project whose own tensorflow.py shadows the package
    ("'tensorflow' is not a package"): https://github.com/dhasl002/custom_3d_unet/issues/2
    (TensorFlow 1.x, CPU; the version is not stated)."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()
    tf = add_tensorflow(fs, version="1.15.5", build=TF_CPU_BUILD, requires=())
    fs.add_file(f"{HOME}/Research-DeepLearning/tensorflow.py", "import tensorflow as tf\n")
    fs.working_dir = f"{HOME}/Research-DeepLearning"
    cwd = f"{HOME}/Research-DeepLearning"
    data_modules = {"tensorflow": f"{cwd}/tensorflow.py"}
    fs = with_python(
        fs,
        [tf],
        version="3.7.16",
        modules=data_modules,
        sys_path=[
            entry(cwd, "cwd"),
            entry("/usr/lib/python3.7", "stdlib"),
            entry(site_of("venv"), "site-packages"),
        ],
    )
    return Machine(fs)


@machine
def ros_python27_on_path() -> Machine:
    """ROS Kinetic's /opt/ros/kinetic/lib/python2.7/dist-packages (with its cv2.so for Python
    2.7) on the PYTHONPATH of a Python 3.5: "cv2.so: undefined symbol: PyCObject_Type",
    https://github.com/erlerobot/gym-gazebo/issues/37."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()
    ros = "/opt/ros/kinetic/lib/python2.7/dist-packages"
    fs.add_file(f"{ros}/cv2.so", b"\x7fELF")
    torch = add_torch(fs, "1.0.1", None, requires=())
    return Machine(with_python(fs, [torch], version="3.5.2", pythonpath=[ros]))


# -- DL6xx: Keras ---------------------------------------------------------------------------
@machine
def keras3_under_tensorflow_216() -> Machine:
    """A Colab runtime after its move to TensorFlow 2.16 (Keras 3, no tf-keras): the course's Keras 2
    code fails with "Unrecognized keyword arguments passed to Embedding: {'batch_input_shape':
    ...}", https://github.com/MITDeepLearning/introtodeeplearning/issues/160."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()  # the course runs on Colab's CPU runtime too; the GPU is not the point
    tf = add_tensorflow(fs, version="2.16.1", requires=("keras>=3.0.0",))
    keras = add_keras(fs, "3.3.3")
    return Machine(with_python(fs, [tf, keras], version="3.10.12"))


@machine
def keras_backend_not_installed() -> Machine:
    """KERAS_BACKEND=jax with Keras 3 (then keras-core) installed but not JAX:
    https://github.com/keras-team/keras-core/issues/652."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()
    fs.env_vars["KERAS_BACKEND"] = "jax"
    keras = add_keras(fs, "3.0.0")
    return Machine(with_python(fs, [keras], version="3.10.12"))


@machine
def legacy_keras_without_tf_keras() -> Machine:
    """TF_USE_LEGACY_KERAS=1 left set (by loading a Transformers model) with TensorFlow 2.16
    and no tf_keras package: https://github.com/intel/neural-compressor/pull/1818."""
    from tests.machines.gpu import cpu_laptop

    fs = cpu_laptop()
    fs.env_vars["TF_USE_LEGACY_KERAS"] = "1"
    tf = add_tensorflow(fs, version="2.16.1", build=TF_CPU_BUILD, requires=("keras>=3.0.0",))
    keras = add_keras(fs, "3.3.3")
    return Machine(with_python(fs, [tf, keras], version="3.10.12"))


# -- DL7xx: GPU memory ----------------------------------------------------------------------
@machine
def tensorflow_takes_all_memory() -> Machine:
    """OpenNMT-tf on TensorFlow 1.x: all GPU memory is allocated at start-up although
    allow_growth was asked for, https://github.com/OpenNMT/OpenNMT-tf/issues/80 (TensorFlow
    1.4-gpu then; its CUDA 8 / cuDNN 6 in /usr/local/cuda)."""
    from tests.machines.cuda import add_libs

    fs = gpu_box(GTX1080TI, "384.90", 9000, slots=("0000:01:00.0",))
    system_toolkit(fs, "/usr/local/cuda-8.0", "8.0.61", source="txt")
    fs.add_symlink("/usr/local/cuda", "/usr/local/cuda-8.0")
    lib = "/usr/local/cuda-8.0/targets/x86_64-linux/lib"
    add_libs(
        fs,
        lib,
        "libcudart.so.8.0",
        "libcublas.so.8.0",
        "libcufft.so.8.0",
        "libcurand.so.8.0",
        "libcusolver.so.8.0",
        "libcusparse.so.8.0",
        "libcudnn.so.6",
    )
    fs.env_vars["LD_LIBRARY_PATH"] = "/usr/local/cuda/lib64"
    build = (("cuda_version", "8.0"), ("cudnn_version", "6"), ("is_cuda_build", True))
    tf = add_tensorflow(fs, "tensorflow-gpu", version="1.4.0", build=build, requires=())
    return Machine(with_python(fs, [tf], version="3.5.2"))


@machine
def memory_held_by_leftover_processes() -> Machine:
    """After a multi-GPU XLM run ends, GPU 0 is freed but GPUs 1-3 stay full, held by worker
    processes still alive: https://github.com/facebookresearch/XLM/issues/40 (V100s; nvidia-smi
    lists the PIDs)."""
    fs = gpu_box(V100, "410.79", 10000, gpus=4)
    devices = []
    for i in range(4):
        used = 4 if i == 0 else 15800
        device = nvml_device(i, V100)
        procs = () if i == 0 else (NvmlProcess(pid=41230 + i, used_memory_bytes=15790 * MIB),)
        devices.append(
            replace(
                device,
                memory_used_bytes=used * MIB,
                memory_free_bytes=(V100.memory_mib - used) * MIB,
                processes=len(procs),
                compute_processes=procs,
            )
        )
        if procs:
            fs.add_file(f"/proc/{41230 + i}/comm", "python\n")
    fs.nvml_report = nvml_report("410.79", devices, 10000, library=f"{LIBDIR}/libnvidia-ml.so.1")
    return Machine(fs)


# -- DL8xx: distributed training ------------------------------------------------------------
@machine
def kubeflow_pod_with_small_shm() -> Machine:
    """A Kubeflow pod of gcr.io/deeplearning-platform-release/tf2-gpu.2-4 with the default
    64 MiB /dev/shm: NCCL 2.9.6 "Call to posix_fallocate failed : No space left on device",
    https://github.com/NVIDIA/nccl/issues/525 (the image's frameworks are left out: the
    family's fact is /dev/shm)."""
    fs = container_with_gpus(driver="460.73.01", gpus=2)
    fs.files.pop("/.dockerenv")
    fs.add_file("/proc/1/cgroup", "12:memory:/kubepods/burstable/pod5f1c/8a7e\n")
    fs.env_vars["KUBERNETES_SERVICE_HOST"] = "10.96.0.1"
    fs.disks["/dev/shm"] = replace(fs.disks["/dev/shm"], total_bytes=64 * MIB, free_bytes=0)
    fs.nvml_report = nvml_report(
        "460.73.01",
        [nvml_device(i, V100) for i in range(2)],
        11020,
        library=f"{LIBDIR}/libnvidia-ml.so.1",
    )
    return Machine(fs)


@machine
def iommu_on_multi_gpu() -> Machine:
    """An 8-GPU server booted with intel_iommu=on whose NCCL all-reduce hangs; "Booting the
    kernel with `intel_iommu=off` resolved all our problems": https://github.com/NVIDIA/nccl/
    issues/257 (GPUs not named here; V100s, in pairs behind PCIe switches, stand in)."""
    fs = gpu_box(V100, "418.67", 10010, gpus=2)
    fs.add_file(
        "/proc/cmdline",
        "BOOT_IMAGE=/boot/vmlinuz-5.15.0-105-generic root=UUID=4f1c ro quiet intel_iommu=on\n",
    )
    fs.add_dir("/sys/class/iommu/dmar0")
    fs.add_dir("/sys/class/iommu/dmar1")
    fs.nvml_report = replace(
        fs.nvml_report,
        links=(NvmlLink(gpu_a=0, gpu_b=1, topology=10, p2p_read=0, p2p_write=0, p2p_nvlink=5),),
    )
    return Machine(fs)


@machine
def rank_not_set() -> Machine:
    """`python train.py` with the env:// rendezvous outside the launcher: MASTER_ADDR and
    MASTER_PORT exported but not RANK or WORLD_SIZE, "environment variable RANK expected, but
    not set", https://github.com/HRNet/HRNet-Semantic-Segmentation/issues/35 (the report does
    not list the variables; these are the ones its README's single-node run sets)."""
    fs = gpu_box(
        V100, "418.67", 10010, gpus=4, env={"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
    )
    return Machine(fs)
