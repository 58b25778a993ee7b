"""The fact model: everything dlenv observed about one machine, as plain frozen data.

Probes fill it, rules judge it, reporters show it. It never holds a judgement. Where a fact could
not be read, its field is None and the section's `unknown` maps the field's name to the reason
("nvidia-smi timed out after 10 s"). Every section records where its facts came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

SCHEMA_VERSION = 1

Reasons = dict[str, str]


# -- host -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HostFacts:
    os: str | None = None  # "Linux", "Windows", "Darwin"
    distro: str | None = None  # "Ubuntu"
    distro_version: str | None = None  # "22.04"
    kernel: str | None = None
    arch: str | None = None  # "x86_64", "aarch64"
    wsl: int | None = None  # None: not WSL; 1 or 2
    container: str | None = None  # None: not in a container; "docker", "podman", "kubernetes"…
    cpu_model: str | None = None
    cpu_cores_physical: int | None = None
    cpu_cores_logical: int | None = None
    # the vector-instruction flags of /proc/cpuinfo that prebuilt wheels assume ("avx", "avx2",
    # "fma", "sse4_2"…), those of them the CPU has; None: not read (not Linux, not x86)
    cpu_flags: list[str] | None = None
    ram_total_bytes: int | None = None
    ram_available_bytes: int | None = None
    glibc_version: str | None = None
    disk_free_bytes: int | None = None  # where the target interpreter lives
    disk_free_path: str | None = None
    hostname: str | None = None
    user: str | None = None
    efi_boot: bool | None = None  # booted through UEFI (/sys/firmware/efi); False: legacy BIOS
    secure_boot: bool | None = None  # UEFI Secure Boot on (the SecureBoot EFI variable)
    shm_total_bytes: int | None = None  # size of /dev/shm (statvfs); Docker's default: 64 MiB
    shm_free_bytes: int | None = None
    iommu_units: list[str] | None = None  # /sys/class/iommu entries ("dmar0", "ivhd0"); []: none
    iommu_cmdline: list[str] | None = None  # IOMMU flags on /proc/cmdline ("intel_iommu=on")
    unknown: Reasons = field(default_factory=dict)


# -- NVIDIA driver --------------------------------------------------------------------------
DriverSource = Literal["nvml", "sysfs", "procfs", "nvidia-smi", "libnvidia-ml", "wsl", "import"]


@dataclass(frozen=True)
class DriverReading:
    """What one source said about the driver; `error` when it could not answer."""

    source: DriverSource
    version: str | None = None
    cuda_version: str | None = None  # highest CUDA the driver supports, "12.4"
    error: str | None = None
    detail: str | None = None  # e.g. nvidia-smi's exit code meaning, NVML's error name


@dataclass(frozen=True)
class DkmsBuild:
    """One module DKMS has built: /var/lib/dkms/<module>/<version>/<kernel>/<arch>/module."""

    module: str  # the DKMS module name: "nvidia", "nvidia-open"…
    version: str  # "550.54.15"
    kernel: str  # "6.5.0-27-generic"
    arch: str  # "x86_64"


@dataclass(frozen=True)
class DkmsFacts:
    """NVIDIA kernel modules on disk for the running kernel, and what DKMS has built."""

    kernel: str | None = None  # the running kernel (uname -r) the files are looked up for
    module_files: list[str] | None = None  # nvidia*.ko* under /lib/modules/<kernel>; []: none
    builds: list[DkmsBuild] | None = None  # every kernel DKMS built an nvidia module for
    headers: bool | None = None  # /lib/modules/<kernel>/build resolves to a directory
    headers_path: str | None = None  # where it resolves to
    unknown: Reasons = field(default_factory=dict)


@dataclass(frozen=True)
class DriverFacts:
    installed: bool | None = None  # None: could not tell
    version: str | None = None  # the best answer: kernel module's version wins
    cuda_version: str | None = None
    kernel_module_version: str | None = None
    userspace_version: str | None = None  # libnvidia-ml / nvidia-smi
    library_mismatch: bool = False  # kernel module and user-space library disagree
    sources_disagree: bool = False
    readings: list[DriverReading] = field(default_factory=list)
    nvidia_smi_path: str | None = None
    kernel_module_open: bool | None = None  # the open kernel module (procfs says "Open Kernel")
    dkms: DkmsFacts = field(default_factory=DkmsFacts)
    unknown: Reasons = field(default_factory=dict)


# -- why a GPU might be invisible -----------------------------------------------------------
@dataclass(frozen=True)
class PciDevice:
    slot: str  # "0000:01:00.0"
    vendor_id: str  # "0x10de"
    device_id: str
    class_id: str | None = None  # "0x030000" VGA, "0x030200" 3D controller
    kernel_driver: str | None = None  # "nvidia", "nouveau", "vfio-pci", None
    name: str | None = None  # as lspci names it, when known from a pasted `lspci` line


@dataclass(frozen=True)
class DeviceNode:
    path: str
    readable: bool
    writable: bool


@dataclass(frozen=True)
class VisibilityFacts:
    nvidia_pci_devices: list[PciDevice] = field(default_factory=list)
    nouveau_loaded: bool | None = None
    nvidia_module_loaded: bool | None = None
    nvidia_uvm_loaded: bool | None = None  # nvidia_uvm: what CUDA needs besides nvidia
    nvidia_modules: list[str] = field(default_factory=list)  # loaded: nvidia, nvidia_uvm, …_drm
    device_nodes: list[DeviceNode] = field(default_factory=list)  # /dev/nvidia*, /dev/dxg
    container_gpu_request: str | None = None  # NVIDIA_VISIBLE_DEVICES inside a container
    container_driver_mounts: list[str] = field(default_factory=list)
    wsl_dxg: bool | None = None  # /dev/dxg present
    wsl_libcuda: str | None = None  # /usr/lib/wsl/lib/libcuda.so.1
    cuda_visible_devices: str | None = None  # raw value; None when unset
    unknown: Reasons = field(default_factory=dict)

    def device_node(self, path: str) -> DeviceNode | None:
        """The node at `path` ("/dev/nvidia-uvm", "/dev/nvidiactl") when it exists."""
        return next((n for n in self.device_nodes if n.path == path), None)


# -- GPUs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GpuProcess:
    """A process holding memory on a GPU (a compute context), as NVML lists it."""

    pid: int  # as NVML reports it: the host's PID namespace
    used_memory_mib: int | None = None  # None: NVML would not say (containers, Windows WDDM)
    name: str | None = None  # /proc/<pid>/comm, when readable and meaningful here


@dataclass(frozen=True)
class GpuLink:
    """How two GPUs reach each other (`nvidia-smi topo -m` and `-p2p`), from NVML."""

    gpu_a: int  # NVML indices, gpu_a < gpu_b
    gpu_b: int
    path: str | None = None  # nvidia-smi's words: BOARD, PIX, PXB, PHB, NODE, SYS
    p2p_read: str | None = None  # "ok", "not-supported", "chipset-not-supported",
    p2p_write: str | None = None  # "gpu-not-supported", "topology-not-supported",
    p2p_nvlink: str | None = None  # "disabled-by-regkey", "unknown"
    unknown: Reasons = field(default_factory=dict)


@dataclass(frozen=True)
class GpuFacts:
    index: int
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    memory_total_mib: int | None = None
    memory_used_mib: int | None = None
    memory_free_mib: int | None = None
    compute_capability: str | None = None  # "8.6"
    mig_mode: bool | None = None
    persistence_mode: bool | None = None
    temperature_c: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    ecc_uncorrectable: int | None = None
    retired_pages: int | None = None
    processes: int | None = None
    compute_processes: list[GpuProcess] = field(default_factory=list)  # when NVML lists them
    visible: bool | None = None  # under CUDA_VISIBLE_DEVICES
    source: str = "nvml"
    unknown: Reasons = field(default_factory=dict)


# -- CUDA toolkits and libraries ------------------------------------------------------------
ToolkitKind = Literal["system", "conda", "pip", "unknown"]


@dataclass(frozen=True)
class CudaToolkit:
    path: str  # the root: /usr/local/cuda-12.2, $CONDA_PREFIX, site-packages/nvidia/cuda_runtime
    version: str | None = None  # "12.2.140" or "12.2"
    version_source: str | None = None  # "version.json", "version.txt", "cuda_runtime_version.h"…
    kind: ToolkitKind = "unknown"
    found_by: list[str] = field(default_factory=list)  # "CUDA_HOME", "PATH (nvcc)", "/usr/local"
    nvcc: str | None = None
    nvcc_version: str | None = None
    cudart: list[str] = field(default_factory=list)  # libcudart.so* files
    package: str | None = None  # pip/conda package that provides it
    realpath: str | None = None  # where a symlinked root really points
    unknown: Reasons = field(default_factory=dict)


@dataclass(frozen=True)
class CudnnInstall:
    path: str  # directory holding the library (or the header)
    version: str | None = None  # "8.9.7"
    major: int | None = None
    kind: ToolkitKind = "unknown"
    header: str | None = None  # cudnn_version.h
    libraries: list[str] = field(default_factory=list)
    package: str | None = None  # "nvidia-cudnn-cu12 9.1.0.70"
    cuda_major: int | None = None  # CUDA major it is built for, when the package says
    version_source: str | None = None


@dataclass(frozen=True)
class PipCudaPackage:
    """An `nvidia-*` wheel in site-packages (nvidia-cuda-runtime-cu12, nvidia-cudnn-cu12…)."""

    name: str
    version: str
    location: str
    libraries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CudaFacts:
    toolkits: list[CudaToolkit] = field(default_factory=list)
    cudnn: list[CudnnInstall] = field(default_factory=list)
    pip_packages: list[PipCudaPackage] = field(default_factory=list)
    cuda_home: str | None = None  # CUDA_HOME or CUDA_PATH as set
    nvcc_on_path: str | None = None
    unknown: Reasons = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedLibrary:
    """Which file the loader would give a framework for one library, predicted without loading."""

    name: str  # "cudart", "cublas", "cudnn", "nccl"
    soname: str  # "libcudart.so.12"
    path: str | None = None  # None: not found anywhere
    version: str | None = None
    via: str | None = None  # "bundled", "pip wheel nvidia-cuda-runtime-cu12", "LD_LIBRARY_PATH"…
    candidates: list[str] = field(default_factory=list)  # other files that would match later
    reason: str | None = None  # when not found: where it looked


@dataclass(frozen=True)
class LibraryResolution:
    framework: str  # "torch", "tensorflow", "jax"
    libraries: list[ResolvedLibrary] = field(default_factory=list)


# -- Python environment ---------------------------------------------------------------------
@dataclass(frozen=True)
class PathEntry:
    path: str
    exists: bool
    origin: str  # "cwd", "PYTHONPATH", "stdlib", "site-packages", "user-site", ".pth", "other"


@dataclass(frozen=True)
class Distribution:
    name: str  # canonical name
    version: str
    location: str  # the sys.path entry it lives in
    installer: str | None = None  # "pip", "conda", "uv"…
    editable: bool = False


@dataclass(frozen=True)
class Shadowing:
    """A module that shadows an installed package (a `torch.py` in the working directory)."""

    module: str
    path: str  # what `import module` would really load
    shadows: str | None = None  # where the installed distribution's module is
    distribution: str | None = None


@dataclass(frozen=True)
class DuplicateDistribution:
    name: str
    installs: list[Distribution] = field(default_factory=list)


@dataclass(frozen=True)
class InstallFailure:
    """An installer found nothing it could install for a requirement (a pasted pip/uv error:
    "from versions: none", "is not a supported wheel on this platform")."""

    package: str  # canonical name: "tensorflow", "jaxlib"
    requested: str | None = None  # the version asked for: "2.13.0", "0.4.7+cuda11.cudnn82"
    available: list[str] | None = None  # versions the installer saw; [] for none, None: unsaid
    wheel: str | None = None  # a rejected wheel's file name
    message: str = ""
    # what the installer itself says did not fit: "python" (Requires-Python, the wheels' Python
    # ABI tags) or "platform" (the wheels' platform tags); None: unsaid
    mismatch: str | None = None
    # the Python the release needs, as the installer states it: a specifier ("<3.12,>=3.9") or
    # the wheels' tags ("cp39, cp310")
    requires_python: str | None = None

    @property
    def specifier(self) -> str | None:
        """The version specifier of the requirement the message names ("requirement
        torch<3.0.0,>=2.3.0 (from versions: ...)": "<3.0.0,>=2.3.0"), None where it names none."""
        m = _REQUIREMENT.search(self.message)
        return m.group(1).replace(" ", "").rstrip(",") if m else None


# the requirement pip failed on, as its message names it ("requirement torch<3.0.0,>=2.3.0")
_REQUIREMENT = re.compile(
    r"requirement\s+[A-Za-z0-9][\w.-]{0,99}\s*((?:[<>=!~]=?[^\s,()]{1,40},?\s*){1,4})"
)


@dataclass(frozen=True)
class PythonFacts:
    executable: str | None = None
    version: str | None = None  # "3.11.7"
    implementation: str | None = None  # "cpython"
    kind: str | None = None  # "venv", "conda", "system", "pyenv", "uv"…
    env_name: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    platform: str | None = None  # sys.platform of the target
    machine: str | None = None
    bits: int | None = None  # the interpreter's pointer size: 64, or 32 (no framework wheels)
    sys_path: list[PathEntry] = field(default_factory=list)
    pythonpath: list[PathEntry] = field(default_factory=list)
    user_site: str | None = None
    user_site_enabled: bool | None = None
    site_packages: list[str] = field(default_factory=list)
    distribution_count: int = 0
    distributions: list[Distribution] = field(default_factory=list)  # only the relevant ones
    shadowing: list[Shadowing] = field(default_factory=list)
    duplicates: list[DuplicateDistribution] = field(default_factory=list)
    install_failures: list[InstallFailure] = field(default_factory=list)  # pasted installer errors
    # from a paste: the line that shows the program running in Python (`python demo.py`, a
    # traceback's frame, a Python warning); None where the paste shows none
    run_line: str | None = None
    chosen_because: str | None = None  # why this interpreter was inspected
    unknown: Reasons = field(default_factory=dict)


# -- frameworks, statically -----------------------------------------------------------------
@dataclass(frozen=True)
class FrameworkFacts:
    name: str  # "torch", "tensorflow", "keras", "jax", "tf-keras"
    distribution: str  # the installed distribution: "tensorflow-cpu", "torch"
    version: str
    location: str | None = None  # package directory
    cuda_build: bool | None = None  # built with CUDA
    rocm_build: bool | None = None
    cuda_version: str | None = None  # CUDA it was built for: "12.1"
    cudnn_version: str | None = None  # cuDNN it was built for: "8"/"8.9"
    variant: str | None = None  # "cu121", "cpu", "rocm6.0"
    build_source: str | None = None  # "torch/version.py", "build_info.py", "METADATA"
    requires: list[str] = field(default_factory=list)  # nvidia-* and backend requirements
    backend: str | None = None  # keras: the configured backend
    backend_source: str | None = None  # "KERAS_BACKEND", "~/.keras/keras.json", "default"
    nccl_version: str | None = None  # the NCCL it ships with, read from files: "2.21.5"
    nccl_source: str | None = None  # "nvidia-nccl-cu12 wheel", "torch/lib/libnccl.so.2.14.3"
    details: dict[str, str] = field(default_factory=dict)
    unknown: Reasons = field(default_factory=dict)


# -- environment variables ------------------------------------------------------------------
@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str  # "<redacted>" where the name looks like a secret
    redacted: bool = False


# -- live probes (part 3) -------------------------------------------------------------------
LiveStatus = Literal["ok", "import-error", "crashed", "timeout", "error", "skipped"]


@dataclass(frozen=True)
class LiveDevice:
    index: int
    name: str | None = None
    kind: str = "gpu"  # "gpu", "cpu", "mps", "tpu"
    compute_capability: str | None = None
    memory_total_bytes: int | None = None


@dataclass(frozen=True)
class LoadedLibrary:
    name: str  # "cudart"
    path: str
    version: str | None = None


@dataclass(frozen=True)
class LiveProbe:
    """What one framework said about itself when imported in the target interpreter."""

    framework: str
    status: LiveStatus
    version: str | None = None
    gpu_available: bool | None = None
    gpu_unavailable_reason: str | None = None
    devices: list[LiveDevice] = field(default_factory=list)
    cuda_version: str | None = None  # as the framework reports it was built with
    cudnn_version: str | None = None
    arch_list: list[str] = field(default_factory=list)  # "sm_80"…
    compute_ok: bool | None = None  # a tiny computation on the GPU matched the CPU
    memory_growth: dict[str, str] = field(default_factory=dict)
    loaded_libraries: list[LoadedLibrary] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # parsed framework log lines
    details: dict[str, str] = field(default_factory=dict)
    import_s: float | None = None
    total_s: float | None = None
    returncode: int | None = None
    stderr_tail: str | None = None
    error: str | None = None


# -- smoke checks (dlenv smoke) -------------------------------------------------------------
SmokeStatus = Literal[
    "passed",  # it worked, and the result was right
    "failed",  # it ran and raised, or gave a wrong result (a loss that did not fall, a mismatch)
    "timeout",  # cut by dlenv's deadline (a hang)
    "crashed",  # the process died (a signal, or an exit without a result)
    "error",  # could not run at all (the framework's import failed, the interpreter is missing)
    "skipped",  # not run: a package it needs is not installed, or not run on request
    "not-applicable",  # meaningless here (GPU memory on the CPU)
]


@dataclass(frozen=True)
class SmokeCheck:
    """One functional check of one framework on one device: what happened, measured."""

    check: str  # "train", "save_load", "tensorboard", "allreduce", "memory"
    framework: str  # "torch", "tensorflow", "keras", "jax", "tf-keras"
    device: str  # "cpu", "cuda:0"; an all-reduce over GPUs: "cuda:0,1"
    status: SmokeStatus
    variant: str | None = None  # save_load: "keras", "h5", "savedmodel", "export", "state_dict"…
    backend: str | None = None  # Keras: the backend it ran on
    seconds: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)  # steps_per_s, max_abs_diff…
    details: dict[str, str] = field(default_factory=dict)  # settings in force, versions, paths
    error: str | None = None  # the exception, or what was wrong with the result
    reason: str | None = None  # why skipped or not applicable
    traceback: list[str] = field(default_factory=list)  # the last lines, when it raised
    stderr_tail: str | None = None  # the process's stderr, when it timed out or crashed
    returncode: int | None = None


@dataclass(frozen=True)
class SmokeFacts:
    """What `dlenv smoke` (or `dlenv doctor --smoke`) ran, in the target interpreter."""

    python: str | None = None  # the interpreter the checks ran in
    devices: list[str] = field(default_factory=list)  # "cpu", "cuda:0"…
    requested: list[str] = field(default_factory=list)  # the checks asked for
    checks: list[SmokeCheck] = field(default_factory=list)
    timeout_s: float | None = None  # each check's deadline
    wall_s: float | None = None
    unknown: Reasons = field(default_factory=dict)


# -- errors quoted in a pasted report (dlenv explain) ----------------------------------------
@dataclass(frozen=True)
class ReportedError:
    """A known message found in a pasted log or traceback: the message itself is a fact."""

    signature: str  # id in dlenv.importers.signatures: "torch-not-compiled-with-cuda"
    text: str  # the matched text, first occurrence
    meaning: str  # one line: what it says about the machine
    harmless: bool = False  # a known-noise warning, not a cause
    count: int = 1  # how many times it appeared
    framework: str | None = None  # who printed it, when known


# -- the whole snapshot ---------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    schema_version: int = SCHEMA_VERSION
    dlenv_version: str = ""
    created_at: str = ""  # ISO 8601, UTC
    origin: str = "probe"  # "probe", "collect_env", "nvidia-smi", "dlenv-json", "text"
    host: HostFacts = field(default_factory=HostFacts)
    driver: DriverFacts = field(default_factory=DriverFacts)
    visibility: VisibilityFacts = field(default_factory=VisibilityFacts)
    gpus: list[GpuFacts] = field(default_factory=list)
    gpu_links: list[GpuLink] = field(default_factory=list)  # one per pair, with >= 2 GPUs
    cuda: CudaFacts = field(default_factory=CudaFacts)
    python: PythonFacts = field(default_factory=PythonFacts)
    frameworks: list[FrameworkFacts] = field(default_factory=list)
    libraries: list[LibraryResolution] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    live: list[LiveProbe] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # probe name -> seconds
    unknown: Reasons = field(default_factory=dict)  # sections that could not be collected
    reported_errors: list[ReportedError] = field(default_factory=list)  # from pasted text
    # the words of a pasted text that dlenv's learned reading knows (kb.cause_model), counted;
    # only words of its vocabulary, so nothing private of the paste is kept
    reported_words: dict[str, int] = field(default_factory=dict)
    smoke: SmokeFacts | None = None  # None: `dlenv smoke` did not run

    def framework(self, name: str) -> FrameworkFacts | None:
        return next((f for f in self.frameworks if f.name == name), None)

    def live_probe(self, name: str) -> LiveProbe | None:
        return next((p for p in self.live if p.framework == name), None)

    def env_value(self, name: str) -> str | None:
        return next((v.value for v in self.env if v.name == name), None)
