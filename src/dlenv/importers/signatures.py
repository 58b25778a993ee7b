"""The catalogue of known error and log messages, and what each one reveals about the machine.

Each signature is data: an id, a regex, the facts it states (dotted paths filled from the regex's
named groups), whether it is known noise, a one-line meaning, the rules that usually explain it,
and where the message's wording was checked. `scan()` runs the catalogue over a pasted text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dlenv.importers.sheet import FactSheet
from dlenv.snapshot.model import DriverReading, PciDevice, ReportedError

FRAMEWORKS = ("tensorflow", "torch", "jax", "keras")


@dataclass(frozen=True)
class Fact:
    """`path` is where the value goes; "{fw}" in it is the framework that printed the message.

    Paths: driver.K, host.K, visibility.K, framework.FW.K, framework.FW.details.K, live.FW.K,
    live.FW.message (the matched text), live.FW.arch_list, live.FW.memory_growth.K,
    live.FW.details.K, live.FW.loaded (a soname), live.FW.loaded_cudnn (a version), library.FW
    (a missing soname, value "{soname}"), gpu.K (the GPU named by the groups `name`/`idx`),
    shadowing (a module), driver.reading (an nvidia-smi error). Values are templates over the
    regex's groups; `convert` names a converter in CONVERTERS.
    """

    path: str
    value: str = "{0}"
    convert: str | None = None


@dataclass(frozen=True)
class Signature:
    id: str
    pattern: str
    meaning: str
    harmless: bool = False
    rules: tuple[str, ...] = ()  # codes of the rules that usually explain it (rules/catalog.py)
    framework: str | None = None  # who prints it; None: the framework the line or paste names
    facts: tuple[Fact, ...] = ()
    report: bool = True  # False: a plain fact (REPL output), not a message worth listing
    source: str = ""  # where the wording was checked
    flags: int = 0
    defer_to: tuple[str, ...] = ()  # signatures that already explain the same line
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern, re.MULTILINE | self.flags))


# -- value converters -------------------------------------------------------------------------
def _cuda_int(v: str) -> str:
    """CUDA's integer version: 11040 -> "11.4", 10010 -> "10.1", 6050 -> "6.5"."""
    n = int(v)
    return f"{n // 1000}.{(n % 1000) // 10}"


def _sm(v: str) -> str:
    """ "sm_120" digits -> "12.0", "86" -> "8.6"."""
    return f"{v[:-1]}.{v[-1]}"


def _cudnn(v: str) -> str:
    """cuDNN versions as frameworks print them: "(8, 9, 2)", "8.9.2", "7102", "8902", "90100"."""
    v = v.strip().rstrip(".")
    if v.startswith("("):
        return ".".join(p.strip() for p in v.strip("()").split(",") if p.strip())
    if v.isdigit():
        n = int(v)
        if n >= 10000:  # cuDNN 9+: major*10000 + minor*100 + patch
            return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
        return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"
    return v


def _archs(v: str) -> list[str]:
    return v.split()


def _bool(v: str) -> bool:
    return v.strip().lower() in ("true", "yes", "1")


_UNITS = {
    "bytes": 1 / 2**20,
    "B": 1 / 2**20,
    "KiB": 1 / 1024,
    "MiB": 1.0,
    "GiB": 1024.0,
    "TiB": 2**20,
}


def _mib(v: str) -> str:
    """A size as PyTorch prints it ("7.79 GiB", "3.94 MiB", "0 bytes") -> MiB, "7976.96"."""
    number, _, unit = v.strip().partition(" ")
    return f"{float(number) * _UNITS[unit.strip()]:.2f}"


def _mib_sum(v: str) -> str:
    """ "6.81 GiB+17.19 MiB" -> their sum in MiB (allocated plus reserved-but-unallocated)."""
    return f"{sum(float(_mib(part)) for part in v.split('+')):.2f}"


SIZE = r"[\d.]+ (?:bytes|[KMGT]iB)"  # a size as PyTorch's format_size prints it
_PROCESS = re.compile(rf"Process (\d+) has ({SIZE}) memory in use")


def _processes(v: str) -> str:
    """PyTorch's "Process 1234 has 7.78 GiB memory in use." sentences -> "1234=7966.72,…"."""
    return ",".join(f"{pid}={_mib(size)}" for pid, size in _PROCESS.findall(v))


def _lower(v: str) -> str:
    return v.strip().lower()


CONVERTERS: dict[str, Callable[[str], object]] = {
    "cuda_int": _cuda_int,
    "sm": _sm,
    "cudnn": _cudnn,
    "archs": _archs,
    "bool": _bool,
    "int": int,
    "env": str,  # kept as written, even when empty
    "mib": _mib,
    "mib_sum": _mib_sum,
    "processes": _processes,
    "lower": _lower,
}

_T, _F = "true", "false"
PT_CUDA_INIT = "https://github.com/pytorch/pytorch/blob/main/torch/cuda/__init__.py"


def _msg(fw: str = "{fw}") -> Fact:
    return Fact(f"live.{fw}.message", "{line}")


def _no_gpu(fw: str = "{fw}") -> Fact:
    return Fact(f"live.{fw}.gpu_available", _F)


S = Signature
SIGNATURES: tuple[Signature, ...] = (
    # -- driver ---------------------------------------------------------------------------------
    S(
        "nvml-driver-library-mismatch",
        r"Failed to initialize NVML: Driver/library version mismatch",
        "The loaded NVIDIA kernel module and the user-space driver libraries are different "
        "versions (the driver was upgraded without a reboot).",
        rules=("DL105",),
        facts=(Fact("driver.library_mismatch", _T), Fact("driver.installed", _T)),
        source="https://github.com/NVIDIA/nvidia-docker/issues/1244",
    ),
    S(
        "nvml-library-version",
        r"NVML library version: (?P<v>\d+\.\d+(?:\.\d+)?)",
        "nvidia-smi names the user-space NVML version it found (printed with a mismatch).",
        facts=(Fact("driver.userspace_version", "{v}"),),
        report=False,
    ),
    S(
        "nvidia-smi-no-driver",
        r"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver",
        "nvidia-smi cannot reach the kernel driver: it is not loaded (not installed for this "
        "kernel, blocked by Secure Boot or nouveau) or the GPU is not passed to this container.",
        rules=("DL103", "DL104", "DL108"),
        facts=(Fact("visibility.nvidia_module_loaded", _F), Fact("driver.reading", "{line}")),
        source="https://github.com/pytorch/pytorch/issues/40682",
    ),
    S(
        "nvrm-probe-not-called",
        r"NVRM: The NVIDIA probe routine was not called for \d+ device|NVRM: was loaded and "
        r"obtained ownership of the NVIDIA device",
        "The NVIDIA kernel module found the GPU already held by another driver (nouveau, or "
        "rivafb/nvidiafb/rivatv): it cannot bind it until that driver is unloaded/blacklisted.",
        rules=("DL104",),
        facts=(Fact("visibility.nouveau_loaded", _T), Fact("visibility.nvidia_module_loaded", _F)),
        # the NVIDIA kernel module's message, quoted from dmesg
        source="https://github.com/mattshma/bigdata/issues/133",
    ),
    S(
        "nvidia-smi-no-devices",
        r"^\s*No devices were found\s*$",
        "nvidia-smi runs but sees no GPU: none is attached, or it is held by another driver.",
        rules=("DL303",),
        facts=(Fact("driver.reading", "{line}"),),
    ),
    S(
        "nvidia-smi-not-found",
        # bash/sh, zsh, fish, Ubuntu's command-not-found, cmd.exe and PowerShell
        r"nvidia-smi: (?:command )?not found|command not found: nvidia-smi|Command 'nvidia-smi' "
        r"not found|Unknown command:? '?nvidia-smi|'nvidia-smi' is not recognized as an internal"
        r"|The term 'nvidia-smi' is not recognized",
        "nvidia-smi is not on PATH: no NVIDIA driver is installed here (or, in a container, the "
        "GPU and driver were not passed in).",
        rules=("DL103",),
    ),
    S(
        "torch-driver-too-old",
        r"The NVIDIA driver on your system is too old \(found version (?P<found>\d{4,6})\)",
        "The driver supports an older CUDA than the one this PyTorch build needs; the number is "
        "the driver's CUDA version (11040 = CUDA 11.4).",
        rules=("DL101",),
        framework="torch",
        facts=(
            Fact("driver.cuda_version", "{found}", "cuda_int"),
            Fact("driver.installed", _T),
            Fact("framework.torch.cuda_build", _T),
            # the message is PyTorch's own verdict: DL101 stands on it when versions are unknown
            Fact("live.torch.details.driver_too_old", "{line}"),
            _no_gpu("torch"),
            _msg("torch"),
        ),
        source="https://github.com/lllyasviel/Fooocus/issues/1313",
    ),
    S(
        "torch-no-nvidia-driver",
        r"Found no NVIDIA driver on your system",
        "PyTorch could not load libcuda: no NVIDIA driver is installed or visible.",
        rules=("DL103", "DL108", "DL110"),
        framework="torch",
        facts=(Fact("driver.installed", _F), _no_gpu("torch"), _msg("torch")),
        source=PT_CUDA_INIT,
    ),
    S(
        "cuda-driver-insufficient",
        r"CUDA driver version is insufficient for CUDA runtime version",
        "The installed driver is older than the CUDA runtime the framework was built with.",
        rules=("DL101",),
        facts=(
            Fact("framework.{fw}.cuda_build", _T),
            Fact("live.{fw}.details.driver_too_old", "{line}"),  # the framework's verdict
            _no_gpu(),
            _msg(),
        ),
        source="https://github.com/tensorflow/tensorflow/issues/45930",
    ),
    S(
        "cuda-unsupported-ptx",
        r"CUDA_ERROR_UNSUPPORTED_PTX_VERSION|the provided PTX was compiled with an unsupported "
        r"toolchain",
        "Code compiled by a newer CUDA than the driver supports: the driver is too old.",
        rules=("DL101",),
        facts=(_msg(),),
    ),
    S(
        "torch-cuda-unknown-error",
        r"CUDA unknown error - this may be due to an incorrectly set up environment",
        "cuInit failed with an unknown error: typically nvidia_uvm is not loaded or broken after "
        "suspend/resume, or CUDA_VISIBLE_DEVICES changed after start; a reboot or reloading "
        "nvidia_uvm helps.",
        rules=("DL404",),
        framework="torch",
        facts=(_no_gpu("torch"), _msg("torch")),
        source=PT_CUDA_INIT,
    ),
    S(
        "torch-cuda-init-warning",
        r"CUDA initialization: (?!The NVIDIA driver on your system is too old|Found no NVIDIA "
        r"driver|CUDA unknown error)(?P<why>[^\n]+)",
        "PyTorch could not initialise CUDA and fell back to the CPU.",
        rules=("DL404",),
        framework="torch",
        facts=(_no_gpu("torch"), _msg("torch")),
    ),
    S(
        "no-cuda-capable-device",
        r"no CUDA-capable device is detected|CUDA_ERROR_NO_DEVICE|No CUDA GPUs are available",
        "CUDA sees no GPU: none installed, or hidden by CUDA_VISIBLE_DEVICES or the container.",
        rules=("DL303", "DL404"),
        facts=(_no_gpu(), _msg()),
    ),
    S(
        "cuinit-failed",
        r"failed call to cuInit: (?!CUDA_ERROR_NO_DEVICE)(?P<err>[^\n]+)",
        "The CUDA driver API failed to start (driver not loaded, library mismatch or a "
        "permissions problem on /dev/nvidia*).",
        rules=("DL105", "DL106", "DL404"),
        framework="tensorflow",
        facts=(_no_gpu(), _msg()),
    ),
    # -- TensorFlow's library loading ----------------------------------------------------------
    S(
        "tf-cuda-drivers-not-found",
        r"Could not find cuda drivers on your machine, GPU will not be used",
        "TensorFlow found no libcuda.so.1: no NVIDIA driver visible, or a CPU-only TensorFlow.",
        rules=("DL103", "DL401"),
        framework="tensorflow",
        facts=(_no_gpu("tensorflow"), _msg("tensorflow")),
        source="https://github.com/tensorflow/tensorflow/issues/62994",
    ),
    S(
        "tf-library-not-loaded",
        r"Could not load dynamic library '(?P<soname>(?!libnvinfer)[^']+)'; dlerror: "
        r"(?P<why>[^;\n]*)",
        "TensorFlow could not load a CUDA library it needs: that CUDA/cuDNN version is not "
        "installed or not on the loader's path.",
        rules=("DL201", "DL202"),
        framework="tensorflow",
        facts=(
            Fact("library.tensorflow", "{soname}"),
            Fact("framework.tensorflow.cuda_build", _T),
            _msg("tensorflow"),
        ),
        source="https://github.com/JdeRobot/BehaviorMetrics/issues/385",
    ),
    S(
        "tf-library-opened",
        r"Successfully opened dynamic library (?P<soname>[\w.+-]+)",
        "TensorFlow loaded this library.",
        harmless=True,
        framework="tensorflow",
        facts=(Fact("live.tensorflow.loaded", "{soname}"),),
        source="https://github.com/NVIDIA/tensorflow/issues/110",
    ),
    S(
        "tf-cannot-dlopen-gpu-libraries",
        r"Cannot dlopen some GPU libraries",
        "TensorFlow is running without the GPU because CUDA libraries listed just above are "
        "missing.",
        rules=("DL201", "DL202"),
        framework="tensorflow",
        facts=(
            Fact("framework.tensorflow.cuda_build", _T),
            _no_gpu("tensorflow"),
            _msg("tensorflow"),
        ),
        source="https://github.com/tensorflow/tensorflow/issues/34287",
    ),
    S(
        "tf-skipping-gpu-devices",
        r"Skipping registering GPU devices",
        "TensorFlow registered no GPU (the messages before it say why).",
        framework="tensorflow",
        facts=(_no_gpu("tensorflow"),),
        source="https://github.com/tensorflow/tensorflow/issues/110956",
    ),
    S(
        "tf-gpu-device-created",
        r"Created device /job:\S*?device:GPU:(?P<idx>\d+) with (?P<mb>\d+) MB memory\)?:?\s*->"
        r"\s*device: \d+, name: (?P<name>[^,\n]+), pci bus id: (?P<pci>[^,\n]+), compute "
        r"capability: (?P<cc>\d+\.\d+)",
        "TensorFlow is using this GPU.",
        harmless=True,
        framework="tensorflow",
        facts=(
            Fact("live.tensorflow.gpu_available", _T),
            Fact("framework.tensorflow.cuda_build", _T),
            Fact("gpu.name", "{name}"),
            Fact("gpu.compute_capability", "{cc}"),
            Fact("gpu.pci_bus_id", "{pci}"),
        ),
    ),
    S(
        "tf-found-device",
        r"Found device (?P<idx>\d+) with properties:\s*(?:pciBusID: (?P<pci>\S+) )?name: "
        r"(?P<name>[^\n]+?)\s+(?:major: \d+ minor: \d+ memoryClockRate[^\n]*\n[^\n]*?)?"
        r"computeCapability: (?P<cc>\d+\.\d+)",
        "TensorFlow found this GPU (before loading the CUDA libraries).",
        harmless=True,
        framework="tensorflow",
        facts=(
            Fact("gpu.name", "{name}"),
            Fact("gpu.compute_capability", "{cc}"),
            Fact("gpu.pci_bus_id", "{pci}"),
        ),
        source="https://github.com/tensorflow/tensorflow/issues/34287",
    ),
    S(
        "xla-stream-executor-device",
        r"StreamExecutor device \((?P<idx>\d+)\): (?P<name>[^,\n]+), Compute Capability "
        r"(?P<cc>\d+\.\d+)",
        "XLA initialised this GPU.",
        harmless=True,
        facts=(Fact("gpu.name", "{name}"), Fact("gpu.compute_capability", "{cc}")),
    ),
    S(
        "tf-cudnn-version-mismatch",
        r"Loaded runtime CuDNN library: (?P<loaded>[\d.]+)(?: \(compatibility version "
        r"(?P<lc>[\d.]+)\))? but source was compiled with:? (?P<built>[\d.]+)(?: \(compatibility "
        r"version (?P<bc>[\d.]+)\))?",
        "The cuDNN that was loaded at run time is older than (or a different major than) the "
        "cuDNN TensorFlow was built with.",
        rules=("DL206", "DL203", "DL204"),
        framework="tensorflow",
        facts=(
            Fact("framework.tensorflow.cudnn_version", "{built}", "cudnn"),
            Fact("live.tensorflow.loaded_cudnn", "{loaded}", "cudnn"),
            # TensorFlow 1.x printed this only when the two compatibility versions differed
            Fact("live.tensorflow.details.cudnn_compat", "{lc}/{bc}"),
            _msg("tensorflow"),
        ),
        source="https://github.com/tensorflow/tensorflow/issues/60913",
    ),
    S(
        "tf-loaded-cudnn",
        r"Loaded cuDNN version (?P<v>\d+)",
        "TensorFlow loaded this cuDNN.",
        harmless=True,
        framework="tensorflow",
        facts=(Fact("live.tensorflow.loaded_cudnn", "{v}", "cudnn"),),
    ),
    S(
        "dnn-library-not-found",
        r"DNN library (?:is )?not found",
        "cuDNN could not be loaded at all (not installed, or the wrong major version).",
        rules=("DL201",),
        framework="tensorflow",
        facts=(_msg(),),
    ),
    S(
        "dnn-library-init-failed",
        r"DNN library initialization failed",
        "cuDNN was found but failed to start: usually a cuDNN version mismatch or no GPU memory.",
        rules=("DL206", "DL203", "DL204", "DL701"),
        framework="tensorflow",
        facts=(_msg(),),
    ),
    S(
        "cudnn-handle-failed",
        r"Could not create cudnn handle: (?P<status>CUDNN_STATUS_\w+)",
        "cuDNN failed to start: most often TensorFlow already took all GPU memory (enable memory "
        "growth), otherwise a cuDNN/CUDA mismatch.",
        rules=("DL701", "DL203"),
        framework="tensorflow",
        facts=(_msg(),),
    ),
    S(
        "torch-cudnn-version-mismatch",
        r"cuDNN version (?:incompatibility|mismatch): PyTorch was compiled\s+against "
        r"(?P<built>\([\d, ]+\)|\d+) but (?:found runtime version|linked against) "
        r"(?P<loaded>\([\d, ]+\)|\d+)",
        "PyTorch loaded a different cuDNN than the one it was built with, usually a system cuDNN "
        "found first through LD_LIBRARY_PATH.",
        rules=("DL206", "DL204", "DL203"),
        framework="torch",
        facts=(
            Fact("framework.torch.cudnn_version", "{built}", "cudnn"),
            Fact("live.torch.loaded_cudnn", "{loaded}", "cudnn"),
            _msg("torch"),
        ),
        source="https://github.com/pytorch/pytorch/pull/81881",
    ),
    S(
        # PyTorch adds this only when LD_LIBRARY_PATH is set and names a "cuda" or "cudnn" path
        "torch-cudnn-ld-library-path",
        r"Looks like your LD_LIBRARY_PATH contains incompatible version of cudnn|one possibility "
        r"is that there is a conflicting cuDNN in LD_LIBRARY_PATH",
        "The cuDNN PyTorch found comes from a directory on LD_LIBRARY_PATH.",
        framework="torch",
        facts=(Fact("live.torch.details.cudnn_source", "LD_LIBRARY_PATH"),),
        report=False,
        source="https://github.com/pytorch/pytorch/blob/main/torch/backends/cudnn/__init__.py",
    ),
    S(
        "cudnn-sublibrary-load-failed",
        r"Could not load library (?P<soname>(?:lib)?cudnn\w*(?:\.so[\d.]*|\.dll))\. Error(?: "
        r"code)?:? (?P<why>[^\n]+)",
        "cuDNN started but one of its sub-libraries failed to load; on WSL this is usually "
        "libcuda.so missing from the loader path (/usr/lib/wsl/lib).",
        rules=("DL201",),
        facts=(Fact("library.{fw}", "{soname}"), _msg()),
    ),
    S(
        "cuda-library-not-found",
        r"(?P<soname>\b(?:lib)?(?:cudart|cublasLt|cublas|cufft|curand|cusolver|cusparse|cudnn\w*"
        r"|nccl|nvrtc|nvJitLink|cupti|cuda|nvidia-ml)(?:\.so[\d.]*|64_\d+\.dll|\.dll)): cannot "
        r"open shared object file",
        "A CUDA library could not be found by the loader (that version is not installed, or its "
        "directory is not on the loader path).",
        rules=("DL201", "DL202"),
        facts=(Fact("library.{fw}", "{soname}"), _msg()),
        defer_to=("tf-library-not-loaded",),
        source="https://github.com/JdeRobot/BehaviorMetrics/issues/385",
    ),
    S(
        "import-error-missing-library",
        r"(?:ImportError|OSError): (?P<soname>\S+\.so[\d.]*): cannot open shared object file",
        "The framework failed to import because a shared library is missing.",
        rules=("DL403", "DL201"),
        facts=(Fact("live.{fw}.status", "import-error"), Fact("live.{fw}.error", "{line}")),
    ),
    S(
        "windows-dll-missing",
        r"Could not (?:load|find) (?:dynamic library |library )?'?(?P<soname>[\w.-]+\.dll)'?",
        "A CUDA DLL is not installed or its folder is not on PATH.",
        rules=("DL201",),
        facts=(Fact("library.{fw}", "{soname}"), _msg()),
    ),
    S(
        "dll-load-failed",
        r"DLL load failed(?: while importing (?P<mod>\w+))?:\s*(?P<why>[^\n]*)",
        "A native module failed to load on Windows: a missing DLL (CUDA/cuDNN, the MSVC runtime) "
        "or, for TensorFlow, a CPU without AVX.",
        rules=("DL403",),
        facts=(Fact("live.{fw}.status", "import-error"), Fact("live.{fw}.error", "{line}")),
        source="https://github.com/tensorflow/tensorflow/issues/36111",
    ),
    S(
        "torch-windows-dll-error",
        r"\[WinError (?:126|127|193|1114)\][^\n]*?Error loading \"(?P<path>[^\"]+)\"",
        "A PyTorch DLL failed to load (missing Visual C++ runtime or a broken install).",
        rules=("DL403",),
        framework="torch",
        facts=(Fact("live.torch.status", "import-error"), Fact("live.torch.error", "{line}")),
    ),
    S(
        "illegal-instruction",
        r"Illegal instruction(?: \(core dumped\))?",
        "The process used CPU instructions this CPU lacks: TensorFlow wheels need AVX.",
        rules=("DL403",),
        framework="tensorflow",
        facts=(Fact("live.{fw}.status", "crashed"), _msg()),
    ),
    # -- GPU architecture ---------------------------------------------------------------------
    S(
        "torch-arch-not-supported",
        # anchored at the line start: an unanchored lazy name would be tried at every offset
        r"^(?:[^\n]*:[ \t]*)?(?P<name>[^\n:]*?) with CUDA capability sm_(?P<sm>\d+) is not "
        r"compatible with the "
        r"current PyTorch installation\.?(?:\s*The current PyTorch install supports CUDA "
        r"capabilities (?P<archs>(?:(?:sm|compute)_\d+[a-z]?[ \t]*)+))?",
        "This PyTorch build has no kernels for the GPU's architecture: install a build for a "
        "newer CUDA that includes it.",
        rules=("DL301",),
        framework="torch",
        facts=(
            Fact("gpu.name", "{name}"),
            Fact("gpu.compute_capability", "{sm}", "sm"),
            Fact("framework.torch.cuda_build", _T),
            Fact("live.torch.arch_list", "{archs}", "archs"),
            _msg("torch"),
        ),
        source="https://github.com/pytorch/pytorch/issues/150733",
    ),
    S(
        "torch-gpu-too-old",
        r"Found GPU(?P<idx>\d+) (?P<name>[^\n]+?) which is of cuda capability (?P<cc>\d+\.\d+)\."
        r"?\s*PyTorch no longer supports this GPU because it is too old\.?(?:\s*The minimum cuda "
        r"capability (?:that we support is|supported by this library is) (?P<min>\d+\.\d+))?",
        "The GPU is older than the oldest architecture this PyTorch build supports.",
        rules=("DL301", "DL302"),
        framework="torch",
        facts=(
            Fact("gpu.name", "{name}"),
            Fact("gpu.compute_capability", "{cc}"),
            Fact("framework.torch.cuda_build", _T),
            Fact("live.torch.details.min_cuda_capability", "{min}"),
            Fact("live.torch.details.gpu_too_old", "{line}"),
            _msg("torch"),
        ),
        source=PT_CUDA_INIT,
    ),
    S(
        "no-kernel-image",
        r"no kernel image is available for execution on the device",
        "The build has no GPU code for this GPU's architecture (too new or too old for it).",
        rules=("DL301", "DL302"),
        facts=(Fact("live.{fw}.compute_ok", _F), _msg()),
        source="https://github.com/Comfy-Org/ComfyUI/pull/16438",
    ),
    S(
        "tf-no-kernel-binaries",
        r"TensorFlow was not built with CUDA kernel binaries compatible with compute capability "
        r"(?P<cc>\d+\.\d+)",
        "TensorFlow will JIT-compile for this GPU from PTX (slow first start); the GPU is newer "
        "than the build.",
        rules=("DL301",),
        framework="tensorflow",
        facts=(Fact("gpu.compute_capability", "{cc}"), _msg("tensorflow")),
    ),
    # -- framework builds --------------------------------------------------------------------
    S(
        "torch-not-compiled-with-cuda",
        r"Torch not compiled with CUDA enabled",
        "A CPU-only PyTorch is installed: install a CUDA build (pip --index-url "
        "https://download.pytorch.org/whl/cuXXX).",
        rules=("DL401",),
        framework="torch",
        facts=(
            Fact("framework.torch.cuda_build", _F),
            Fact("framework.torch.variant", "cpu"),
            _no_gpu("torch"),
            _msg("torch"),
        ),
        source=PT_CUDA_INIT,
    ),
    S(
        "torch-deserialize-on-cpu",
        r"Attempting to deserialize object on a CUDA device but torch\.cuda\.is_available\(\) is "
        r"False",
        "PyTorch cannot use CUDA here, so a checkpoint saved on GPU cannot be loaded onto it.",
        framework="torch",
        facts=(_no_gpu("torch"), _msg("torch")),
    ),
    S(
        "torch-autocast-cuda-unavailable",
        r"User provided device_type of 'cuda', but CUDA is not available",
        "PyTorch cannot use CUDA here.",
        framework="torch",
        facts=(_no_gpu("torch"),),
    ),
    S(
        "jax-cpu-only-jaxlib",
        r"An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not "
        r"installed",
        "A CPU-only jaxlib is installed: install jax[cuda12].",
        rules=("DL401",),
        framework="jax",
        # jax prints it only when /dev/nvidia0, /dev/nvidiactl or /dev/dxg exists
        facts=(
            Fact("framework.jax.cuda_build", _F),
            Fact("framework.jax.variant", "cpu"),
            _no_gpu("jax"),
            _msg("jax"),
        ),
        source="https://github.com/jax-ml/jax/blob/main/jax/_src/xla_bridge.py",
    ),
    S(
        "jax-no-gpu",
        r"No GPU/TPU found, falling back to CPU",
        "JAX found no GPU backend.",
        framework="jax",
        facts=(_no_gpu("jax"),),
    ),
    S(
        "jax-cuda-backend-failed",
        r"Unable to initialize backend '(?:cuda|gpu)': [^\n]+|CUDA backend failed to initialize"
        r": [^\n]+",
        "JAX's CUDA plugin failed to start (see the reason in the message).",
        rules=("DL404",),
        framework="jax",
        facts=(_no_gpu("jax"), _msg("jax")),
    ),
    S(
        "jax-cudnn-mismatch",
        r"Found cuDNN version (?P<loaded>\d+), but JAX was built against version (?P<built>\d+)",
        "JAX loaded an older cuDNN than it was built with.",
        rules=("DL203",),
        framework="jax",
        facts=(
            Fact("framework.jax.cudnn_version", "{built}", "cudnn"),
            Fact("live.jax.loaded_cudnn", "{loaded}", "cudnn"),
        ),
    ),
    # -- memory and multi-GPU ----------------------------------------------------------------
    S(
        "memory-growth-after-init",
        r"Physical devices cannot be modified after being initialized",
        "set_memory_growth was called after TensorFlow had already initialised the GPU: call it "
        "first thing, or set TF_FORCE_GPU_ALLOW_GROWTH=true.",
        rules=("DL701",),
        framework="tensorflow",
        facts=(Fact("live.tensorflow.memory_growth.error", "{line}"),),
    ),
    S(
        "cuda-out-of-memory",
        r"CUDA out of memory|CUDA error: out of memory|OutOfMemoryError|CUDA_ERROR_OUT_OF_MEMORY"
        r"|OOM when allocating tensor|RESOURCE_EXHAUSTED: Out of memory",
        "The GPU ran out of memory: the model or batch is too big, or other processes (or "
        "TensorFlow's pre-allocation) hold the memory.",
        rules=("DL702", "DL701"),
        facts=(_msg(),),
    ),
    S(
        # torch >= 2.1 (2.1 spelt it "capacty"); `Process N` sentences are other processes, as
        # NVML lists them (inside a container: host PIDs, so this process can appear as one)
        "torch-oom-numbers",
        rf"Tried to allocate (?P<req>{SIZE})\.\s+GPU (?P<idx>\d+) has a total capac(?:i)?ty of "
        rf"(?P<total>{SIZE}) of which (?P<free>{SIZE}) is free\.(?P<procs>(?:\s+Process \d+ has "
        rf"{SIZE} memory in use\.)*)(?:\s+Including non-PyTorch memory, this process has "
        rf"(?P<self>{SIZE}) memory in use\.)?(?:\s+Of the allocated memory (?P<alloc>{SIZE}) is "
        r"allocated by PyTorch,(?:\s+with [^,\n]*? allocated in private pools[^,\n]*,)?\s+and "
        rf"(?P<unalloc>{SIZE}) is reserved by PyTorch but unallocated\.)?",
        "PyTorch's out-of-memory numbers: the GPU's size, what was free, and who held the rest.",
        framework="torch",
        facts=(
            Fact("live.torch.details.oom_gpu", "{idx}"),
            Fact("live.torch.details.oom_requested_mib", "{req}", "mib"),
            Fact("live.torch.details.oom_total_mib", "{total}", "mib"),
            Fact("live.torch.details.oom_free_mib", "{free}", "mib"),
            Fact("live.torch.details.oom_other_processes", "{procs}", "processes"),
            Fact("live.torch.details.oom_this_process_mib", "{self}", "mib"),
            Fact("live.torch.details.oom_pytorch_reserved_mib", "{alloc}+{unalloc}", "mib_sum"),
        ),
        report=False,
        source="https://github.com/pytorch/pytorch/blob/main/c10/cuda/CUDACachingAllocator.cpp",
    ),
    S(
        # torch < 2.1: "(GPU 0; 7.79 GiB total capacity; 6.64 GiB already allocated; 21.00 MiB
        # free; 6.80 GiB reserved in total by PyTorch)"; before 1.6 "…; 150.86 MiB cached)"
        "torch-oom-numbers-old",
        rf"Tried to allocate (?P<req>{SIZE}) \(GPU (?P<idx>\d+); (?P<total>{SIZE}) total "
        rf"capacity; (?P<alloc>{SIZE}) already allocated; (?P<free>{SIZE}) free;(?: "
        rf"(?P<reserved>{SIZE}) reserved in total by PyTorch| (?P<cached>{SIZE}) cached)",
        "PyTorch's out-of-memory numbers (before 2.1): size, free, and what PyTorch itself held.",
        framework="torch",
        facts=(
            Fact("live.torch.details.oom_gpu", "{idx}"),
            Fact("live.torch.details.oom_requested_mib", "{req}", "mib"),
            Fact("live.torch.details.oom_total_mib", "{total}", "mib"),
            Fact("live.torch.details.oom_free_mib", "{free}", "mib"),
            Fact("live.torch.details.oom_pytorch_reserved_mib", "{reserved}", "mib"),
            Fact("live.torch.details.oom_pytorch_reserved_mib", "{alloc}+{cached}", "mib_sum"),
        ),
        report=False,
        source="https://github.com/pytorch/pytorch/issues/16417",
    ),
    S(
        "nccl-error",
        r"NCCL error[^\n]*|nccl(?:UnhandledCudaError|SystemError|InternalError|InvalidUsage)",
        "NCCL (multi-GPU communication) failed: often shared memory (/dev/shm) too small in a "
        "container, peer-to-peer problems, or mismatched NCCL versions.",
        framework="torch",
        facts=(_msg("torch"),),
    ),
    S(
        "device-side-assert",
        r"device-side assert triggered",
        "A bug in the program (for example an index out of range in a loss or embedding), not "
        "in the environment.",
        framework="torch",
        facts=(_msg("torch"),),
    ),
    # -- Python environment -------------------------------------------------------------------
    S(
        "circular-import-shadowing",
        r"partially initialized module '(?P<mod>[\w.]+)'[^\n]*\(most likely due to a circular "
        r"import\)",
        "A file in the working directory (or on PYTHONPATH) has the same name as the framework "
        "and shadows it.",
        rules=("DL502",),
        facts=(Fact("shadowing", "{mod}"),),
        source="https://docs.python.org/3/library/exceptions.html#ImportError",
    ),
    S(
        "no-module-framework",
        r"No module named '(?P<mod>torch|tensorflow|keras|jax|jaxlib)'",
        "The framework is not installed in the interpreter that ran the code (often a different "
        "venv, conda env or Jupyter kernel).",
        rules=("DL403",),
        facts=(Fact("live.{mod}.status", "import-error"), Fact("live.{mod}.error", "{line}")),
    ),
    S(
        "tensorflow-keras-missing",
        r"No module named '(?P<mod>tensorflow\.keras|tensorflow\.python\.keras)'",
        "tensorflow.keras cannot be imported: a broken or partial TensorFlow, a local folder "
        "named tensorflow, or Keras/TensorFlow versions that do not match.",
        rules=("DL601", "DL603"),
        framework="tensorflow",
        facts=(
            Fact("live.tensorflow.status", "import-error"),
            Fact("live.tensorflow.error", "{line}"),
        ),
    ),
    S(
        "keras-src-missing",
        r"No module named '(?P<mod>keras\.src[\w.]*|keras\.(?:api|engine|saving|layers|models|"
        r"utils|preprocessing|backend|legacy)[\w.]*|tf_keras)'",
        "The code or saved model expects a different Keras major version (Keras 3 `keras.src` "
        "vs Keras 2), or tf-keras is not installed.",
        rules=("DL601", "DL603", "DL604"),
        framework="keras",
        facts=(_msg("keras"),),
    ),
    S(
        "docker-gpu-runtime-missing",
        r'could not select device driver "[^"\n]*" with capabilities: \[\[gpu\]\]',
        "Docker has no GPU device driver registered: the NVIDIA Container Toolkit is not "
        "installed, or not configured for this Docker daemon.",
        rules=("DL109",),
        source="https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
        "install-guide.html",
    ),
    S(
        # torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister; libcusparse.so.12:
        # undefined symbol: __nvJitLinkAddData_12_1 — an older copy of the library is loaded
        "cuda-library-undefined-symbol",
        r"(?P<lib>[\w./-]*lib\w+\.so[\w.]*): undefined symbol: (?P<sym>(?:nccl|cublas|cudnn|"
        r"cusparse|cusolver|cufft|curand|__nvJitLink|nvJitLink|cuda)\w*)",
        "A CUDA library the framework needs is an older copy (another package's, or the system's "
        "through LD_LIBRARY_PATH) that lacks a symbol the framework was built against.",
        rules=("DL208",),
        facts=(Fact("live.{fw}.details.undefined_symbol", "{sym}"),),
        source="https://github.com/pytorch/pytorch/issues/119932, "
        "https://github.com/pytorch/pytorch/issues/111469",
    ),
    S(
        "tf-legacy-keras-without-tf-keras",
        r"Your environment has TF_USE_LEGACY_KERAS set to True, but you do not have the "
        r"tf_keras package installed",
        "TF_USE_LEGACY_KERAS is set (by the user or a library such as transformers) and "
        "tf-keras is missing: TensorFlow cannot provide the legacy tf.keras.",
        rules=("DL604",),
        framework="tensorflow",
        facts=(Fact("framework.tensorflow.details.legacy_keras_missing", "{line}"),),
        # tensorflow/python/util/lazy_loader.py (KerasLazyLoader) logs it
        source="https://github.com/huggingface/transformers/pull/40391, "
        "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/util/"
        "lazy_loader.py",
    ),
    S(
        "keras3-module-missing-attribute",
        # keras._tf_keras (tf.keras under TensorFlow >= 2.16) and keras.src exist only in Keras 3
        r"module '(?P<mod>keras\.(?:_tf_keras|src)(?:\.[\w.]+)?)' has no attribute '(?P<attr>\w+)'",
        "Code written for Keras 2 (tf.keras before TensorFlow 2.16) runs under Keras 3, where "
        "the attribute is gone: install tf-keras and set TF_USE_LEGACY_KERAS=1, or port the code.",
        rules=("DL601",),
        framework="keras",
        facts=(Fact("framework.keras.details.major", "3"), _msg("keras")),
        source="https://github.com/tensorflow/tensorflow/issues/64349",
    ),
    S(
        "keras-missing-attribute",
        r"module '(?P<mod>(?:tensorflow\.)?keras(?:\.[\w.]+)?|tf\.keras[\w.]*)' has no attribute"
        r" '(?P<attr>\w+)'",
        "Keras 2 API used under Keras 3 (or the reverse): install tf-keras and set "
        "TF_USE_LEGACY_KERAS=1, or port the code.",
        rules=("DL601", "DL603"),
        framework="keras",
        facts=(_msg("keras"),),
        defer_to=("keras3-module-missing-attribute",),
    ),
    S(
        "keras3-legacy-needed",
        r"Keras 3 only supports V3 `?\.keras`? files|Your currently installed version of Keras is "
        r"Keras 3(?:, but this is not yet supported in (?P<who>Transformers))?|`?keras\.optimizers"
        r"\.legacy`? is not supported in Keras 3|Only instances of `keras\.Layer` can be added to "
        r"a Sequential model\. Received: <(?P<hub>tensorflow_hub)\.keras_layer\.KerasLayer",
        "Keras 3 is installed but the code or model needs Keras 2 (tf-keras).",
        rules=("DL601",),
        framework="keras",
        facts=(
            Fact("framework.keras.details.major", "3"),
            Fact("framework.keras.details.needed_by", "{who}", "lower"),
            Fact("framework.keras.details.needed_by", "{hub}"),
            _msg("keras"),
        ),
        # transformers' modeling_tf_utils.py / activations_tf.py raise it when tf_keras cannot be
        # imported and keras.__version__ is 3 (and set TF_USE_LEGACY_KERAS=1 themselves);
        # Keras 3's keras/optimizers/__init__.py raises the legacy-optimizer ImportError;
        # tensorflow_hub's KerasLayer is a tf-keras (Keras 2) layer
        source="https://github.com/huggingface/transformers/issues/36410, "
        "https://github.com/keras-team/keras/pull/18540, "
        "https://github.com/tensorflow/tensorflow/issues/65419",
    ),
    # -- known noise -------------------------------------------------------------------------
    S(
        "tf-factory-already-registered",
        r"Unable to register cu(?:DNN|FFT|BLAS) factory: Attempting to register factory for "
        r"plugin cu\w+ when one has already been registered",
        "Harmless TensorFlow/XLA start-up noise (the plugin is registered twice); not a cause.",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/tensorflow/tensorflow/issues/62075",
    ),
    S(
        "tf-numa-negative",
        r"successful NUMA node read from SysFS had negative value|Your kernel may have been built "
        r"without NUMA support",
        "Harmless: the kernel reports no NUMA node for the GPU (usual on desktops and WSL).",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/kr-colab/ReLERNN/issues/63",
    ),
    S(
        "tf-cpu-instructions",
        r"This TensorFlow binary is optimized (?:with [^\n]*?)?to use available CPU instructions|"
        r"Your CPU supports instructions that this TensorFlow binary was not compiled to use",
        "Harmless: information about CPU instruction sets.",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/tensorflow/tensorflow/issues/110956",
    ),
    S(
        "tf-onednn-notice",
        r"oneDNN custom operations are on",
        "Harmless: oneDNN CPU optimisations are enabled.",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/tensorflow/tensorflow/issues/110956",
    ),
    S(
        "tf-tensorrt-not-found",
        r"TF-TRT Warning: Could not find TensorRT|Could not load dynamic library "
        r"'libnvinfer(?:_plugin)?\.so[\d.]*'",
        "Harmless unless you use TensorRT: it is optional.",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/sagiodev/stablediffusion_webui/issues/9",
    ),
    S(
        "absl-log-notice",
        r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
        "Harmless logging notice.",
        harmless=True,
        framework="tensorflow",
    ),
    S(
        "xla-computation-placer",
        r"computation placer already registered",
        "Harmless XLA start-up noise.",
        harmless=True,
        framework="tensorflow",
        source="https://github.com/tensorflow/tensorflow/issues/90790",
    ),
    S(
        "wsl-libcuda-not-symlink",
        r"/usr/lib/wsl/lib/libcuda\.so\.1 is not a symbolic link",
        "Harmless ldconfig warning on WSL.",
        harmless=True,
    ),
    S(
        "torch-typed-storage",
        r"TypedStorage is deprecated",
        "Harmless deprecation warning.",
        harmless=True,
        framework="torch",
    ),
    # -- facts from interactive output ---------------------------------------------------------
    S(
        "nvrm-api-mismatch",
        r"NVRM: API mismatch: the client has the version (?P<client>\d[\w.-]*), but\s+"
        r"(?:\[[^\]\n]*\]\s*)?(?:NVRM:\s+)?this kernel module has the version "
        r"(?P<kmod>\d[\w.-]*?)\.?(?=\s)",
        "The kernel log names both sides of a driver/library mismatch: the user-space driver "
        "(client) and the loaded kernel module.",
        rules=("DL105",),
        facts=(
            Fact("driver.userspace_version", "{client}"),
            Fact("driver.kernel_module_version", "{kmod}"),
            Fact("driver.library_mismatch", _T),
            Fact("driver.installed", _T),
        ),
        source="https://github.com/NVIDIA/open-gpu-kernel-modules/blob/main/kernel-open/nvidia/nv.c",
    ),
    S(
        # a WSL 1 kernel release ("4.4.0-19041-Microsoft") or the reporter saying so
        "wsl1-stated",
        r"\b\d+\.\d+\.\d+-\d+-Microsoft\b|\b(?:using|on|in|running|with|under)\s+WSL\s*-?\s*1\b",
        "The machine is WSL 1, which has no GPU access at all (CUDA needs WSL 2).",
        facts=(Fact("host.wsl", "1", "int"), Fact("host.os", "Linux")),
        report=False,
        flags=re.IGNORECASE,
        source="https://learn.microsoft.com/en-us/windows/ai/directml/gpu-cuda-in-wsl",
    ),
    S(
        "wsl2-kernel",
        r"\b(?P<kernel>\d+\.\d+\.\d+(?:\.\d+)?-microsoft-standard-WSL2)\b",
        "The kernel is WSL2's.",
        facts=(
            Fact("host.wsl", "2", "int"),
            Fact("host.os", "Linux"),
            Fact("host.kernel", "{kernel}"),
        ),
        report=False,
    ),
    S(
        # `lspci`, `lspci -nn` and `lspci -k` lines for an NVIDIA display controller (class
        # 03xx; the GPU's HDMI audio function is class 0403 and left out, as the probe does)
        "lspci-nvidia-gpu",
        r"^[ \t]*(?:(?P<dom>[0-9a-fA-F]{4}):)?(?P<slot>[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])[ \t]+"
        r"(?P<cls>VGA compatible controller|3D controller|Display controller)(?: \[(?P<clsid>"
        r"03[0-9a-fA-F]{2})\])?:[ \t]*(?P<name>NVIDIA Corporation [^\n]*?)(?: \[10de:(?P<did>"
        r"[0-9a-fA-F]{4})\])?(?: \(rev [0-9a-fA-F]+\))?[ \t]*$(?:\n[ \t]+(?!Kernel driver in use)"
        r"[A-Z][^\n]*){0,3}(?:\n[ \t]+Kernel driver in use: (?P<drv>[\w-]+))?",
        "`lspci` lists this NVIDIA GPU on the PCI bus.",
        facts=(Fact("pci", "{slot}"),),
        report=False,
        source="https://github.com/mattshma/bigdata/issues/133",
    ),
    S(
        "nvidia-smi-list",
        r"^[ \t]*GPU (?P<idx>\d+): (?P<name>[^\n(]+?) \(UUID: (?P<uuid>(?:GPU|MIG)-[\w-]+)\)",
        "`nvidia-smi -L` lists this GPU.",
        facts=(
            Fact("gpu.name", "{name}"),
            Fact("gpu.uuid", "{uuid}"),
            Fact("driver.installed", _T),
        ),
        report=False,
    ),
    S(
        "env-cuda-visible-devices",
        r"^(?:[^\n]*?[$#>] )?(?:export |set )?CUDA_VISIBLE_DEVICES=(?P<v>[^\s;&|]*)[ \t]*$",
        "CUDA_VISIBLE_DEVICES as shown in the environment.",
        facts=(Fact("visibility.cuda_visible_devices", "{v}", "env"),),
        report=False,
    ),
    S(
        "pip-show-framework",
        r"^Name: (?P<mod>torch|tensorflow|keras|jax)[ \t]*\nVersion: (?P<v>\d[\w.+-]*)",
        "`pip show` names the installed framework.",
        facts=(Fact("framework.{mod}.version", "{v}"),),
        report=False,
    ),
    S(
        "shell-torch-version",
        r"print\(\s*torch\.__version__[^\n]*\n[ \t]*'?(?P<v>\d+\.\d+(?:\.\d+)?(?:\+[\w.]+)?)\b",
        "torch.__version__ printed by `python -c`.",
        framework="torch",
        facts=(Fact("framework.torch.version", "{v}"),),
        report=False,
    ),
    S(
        "shell-tf-version",
        # TensorFlow's start-up log (stderr) often lands between the command and its output
        r"print\(\s*tf\.__version__[^\n]*\n(?:[^\n]*\n){0,12}?[ \t]*(?P<v>\d+\.\d+\.\d+"
        r"(?:-?rc\d+)?)[ \t]*$",
        "tf.__version__ printed by `python -c`.",
        framework="tensorflow",
        facts=(Fact("framework.tensorflow.version", "{v}"),),
        report=False,
    ),
    S(
        "repl-torch-cuda-available",
        r"torch\.cuda\.is_available\(\)\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?(?P<v>True|False)\b",
        "torch.cuda.is_available() as printed.",
        framework="torch",
        facts=(Fact("live.torch.gpu_available", "{v}", "bool"),),
        report=False,
    ),
    S(
        "repl-torch-version",
        r"torch\.__version__\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?'?(?P<v>\d+\.\d+[\w.+]*)",
        "torch.__version__ as printed.",
        framework="torch",
        facts=(Fact("framework.torch.version", "{v}"),),
        report=False,
    ),
    S(
        "repl-torch-version-cuda",
        r"torch\.version\.cuda\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?'?(?P<v>\d+\.\d+)",
        "torch.version.cuda as printed.",
        framework="torch",
        facts=(
            Fact("framework.torch.cuda_version", "{v}"),
            Fact("framework.torch.cuda_build", _T),
        ),
        report=False,
    ),
    S(
        "repl-tf-gpu-list-empty",
        r"list_physical_devices\(\s*['\"]GPU['\"]\s*\)\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?\[\]"
        r"|Num GPUs Available:?\s*0\b",
        "TensorFlow listed no GPU.",
        framework="tensorflow",
        facts=(_no_gpu("tensorflow"),),
        report=False,
    ),
    S(
        "repl-tf-built-with-cuda",
        r"is_built_with_cuda\(\)\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?(?P<v>True|False)\b",
        "tf.test.is_built_with_cuda() as printed.",
        framework="tensorflow",
        facts=(Fact("framework.tensorflow.cuda_build", "{v}", "bool"),),
        report=False,
    ),
    S(
        "repl-tf-version",
        r"tf\.__version__\)?[ \t]*\r?\n(?:Out\[\d+\]:[ \t]*)?'?(?P<v>\d+\.\d+\.\d+[\w.+-]*)",
        "tf.__version__ as printed.",
        framework="tensorflow",
        facts=(Fact("framework.tensorflow.version", "{v}"),),
        report=False,
    ),
)

BY_ID: dict[str, Signature] = {s.id: s for s in SIGNATURES}

# A line that names its framework: log prefixes and tracebacks through a framework's files.
_LINE_FRAMEWORK = (
    (
        "tensorflow",
        re.compile(
            r"tensorflow|_pywrap|stream_executor|local_xla|tsl/|dso_loader|"
            r"cuda_dnn\.cc|gpu_device\.cc|keras",
            re.IGNORECASE,
        ),
    ),
    ("torch", re.compile(r"torch|c10[/\\]|caffe2", re.IGNORECASE)),
    ("jax", re.compile(r"jax", re.IGNORECASE)),
)
_MODULE_FRAMEWORK = {"_pywrap_tensorflow_internal": "tensorflow", "_C": "torch"}
_SHADOW_FILE = r'File "(?P<path>[^"\n]*?[/\\]{mod}(?:\.py|[/\\]__init__\.py))"'


def dominant_framework(text: str) -> str | None:
    """The framework a paste is mostly about, by how often it is named."""
    counts = {
        "torch": len(re.findall(r"\btorch\b", text)),
        "tensorflow": len(re.findall(r"\btensorflow\b|\btf\.", text)),
        "jax": len(re.findall(r"\bjax(?:lib)?\b", text)),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _line_at(text: str, start: int, end: int) -> str:
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    line = text[first : len(text) if last < 0 else last].strip()
    matched = text[start:end]
    # a multi-line match (the sm_XX warning) is kept whole, single lines trimmed
    return (matched if "\n" in matched else line)[:400].strip()


def _framework_for(
    sig: Signature, line: str, groups: dict[str, str], fallback: str | None
) -> str | None:
    mod = groups.get("mod")
    if mod in _MODULE_FRAMEWORK:
        return _MODULE_FRAMEWORK[mod]
    if sig.framework is not None:
        return sig.framework
    for name, pattern in _LINE_FRAMEWORK:
        if pattern.search(line):
            return name
    return fallback


def _fill(template: str, groups: dict[str, str], line: str, empty_ok: bool = False) -> str | None:
    if template == "{line}":
        return line
    try:
        value = template.format(**groups)
    except KeyError:
        return None
    return value if value.strip() or empty_ok else None


def apply_fact(
    sheet: FactSheet, fact: Fact, groups: dict[str, str], line: str, text: str, fw: str | None
) -> None:
    """Write one fact of a matched signature into the sheet."""
    path = fact.path
    if "{fw}" in path:
        if fw is None:
            return
        path = path.replace("{fw}", fw)
    if "{mod}" in path:
        path = path.replace("{mod}", groups.get("mod") or "")
    # an environment variable set to "" is a fact (CUDA_VISIBLE_DEVICES= hides every GPU)
    raw = _fill(fact.value, groups, line, empty_ok=fact.convert == "env")
    if raw is None:
        return
    value: object = raw.strip()
    if fact.convert == "env":
        pass
    elif fact.convert:
        value = CONVERTERS[fact.convert](raw)
    elif raw in (_T, _F):
        value = raw == _T
    head, _, rest = path.partition(".")
    if head == "pci":
        sheet.add_pci_device(_pci_device(groups))
    elif head == "driver" and rest == "reading":
        sheet.add_reading(DriverReading(source="nvidia-smi", error=str(value)))
    elif head == "driver":
        sheet.set_driver(rest, value)
    elif head == "host":
        sheet.set_host(rest, value)
    elif head == "visibility":
        sheet.set_visibility(rest, value)
    elif head == "framework":
        name, _, key = rest.partition(".")
        if key.startswith("details."):
            details: dict[str, str] = sheet.framework(name).setdefault("details", {})
            details.setdefault(key.removeprefix("details."), str(value))
            sheet.note(f"frameworks.{name}.{key}", value)
        else:
            sheet.set_framework(name, key, value)
    elif head == "live":
        name, _, key = rest.partition(".")
        if key == "message":
            sheet.add_live_item(name, "messages", value)
        elif key == "arch_list" and isinstance(value, list):
            for arch in value:
                sheet.add_live_item(name, "arch_list", arch)
        elif key.startswith("details."):
            sheet.set_live_map(name, "details", key.removeprefix("details."), str(value))
        elif key.startswith("memory_growth."):
            sheet.set_live_map(
                name, "memory_growth", key.removeprefix("memory_growth."), str(value)
            )
        elif key == "loaded":
            sheet.add_live_item(name, "loaded_libraries", {"name": _lib(str(value)), "path": value})
        elif key == "loaded_cudnn":
            sheet.add_live_item(
                name, "loaded_libraries", {"name": "cudnn", "path": "libcudnn", "version": value}
            )
        else:
            sheet.set_live(name, key, value)
    elif head == "library":
        sheet.missing_library(rest, str(value), groups.get("why") or line)
    elif head == "gpu":
        idx = groups.get("idx")
        # a listing with UUIDs numbers its GPUs exactly: identical names must not merge
        gpu_name = None if "uuid" in groups else groups.get("name")
        g = sheet.gpu(int(idx) if idx and idx.isdigit() else None, gpu_name)
        sheet.set_gpu(g, rest, value.strip() if isinstance(value, str) else value)
    elif head == "shadowing":
        mod = str(value)
        found = re.search(_SHADOW_FILE.format(mod=re.escape(mod.split(".")[0])), text)
        paths = [
            m.group("path")
            for m in re.finditer(_SHADOW_FILE.format(mod=re.escape(mod.split(".")[0])), text)
            if "-packages" not in m.group("path")
        ]
        path_found = paths[0] if paths else (found.group("path") if found else "unknown")
        sheet.add_shadowing(mod, path_found)


_PCI_CLASSES = {
    "VGA compatible controller": "0x030000",
    "3D controller": "0x030200",
    "Display controller": "0x038000",
}


def _pci_device(groups: dict[str, str]) -> PciDevice:
    """A PciDevice from an lspci line: lspci omits PCI domain 0000; without -nn it names no
    device id (left empty), without -k no driver."""
    slot = f"{groups.get('dom', '0000')}:{groups['slot']}".lower()
    clsid = groups.get("clsid")
    did = groups.get("did")
    return PciDevice(
        slot=slot,
        vendor_id="0x10de",  # "NVIDIA Corporation" is PCI vendor 10de
        device_id=f"0x{did.lower()}" if did else "",
        class_id=f"0x{clsid.lower()}00" if clsid else _PCI_CLASSES.get(groups.get("cls", "")),
        kernel_driver=groups.get("drv"),
        name=groups["name"].strip(),
    )


def _lib(soname: str) -> str:
    from dlenv.importers.sheet import _library_name

    return _library_name(soname)


# -- errors no signature knows -----------------------------------------------------------------
UNRECOGNISED = Signature(
    "unrecognised-error",
    # a Python exception line (a traceback's last line), "Error:"/"ERROR:" lines, CUDA's own
    # error names, a TensorFlow CHECK failure, and the shell's words for a crashed process
    r"^[ \t]*(?:(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Failed|Failure)(?::[^\n]*)?"
    r"|(?:ERROR|Error|error|FATAL|Fatal error):[^\n]*"
    r"|[^\n]*\bCUDA error: (?!no error)[^\n]*|[^\n]*\b(?:CUDA_ERROR_|cudaError)[A-Za-z_]+[^\n]*"
    r"|[^\n]*\bCheck failed:[^\n]*"
    r"|(?:[^\n]*[ \t])?(?:Segmentation fault|Aborted|Illegal instruction|Bus error|Floating point "
    r"exception)(?: \(core dumped\))?|Killed"
    # bash reporting a child that died: "/bin/bash: line 1:  1234 Killed   python train.py"
    r"|[^\n]*: line \d+: +\d+ (?:Killed|Segmentation fault|Aborted|Illegal instruction|Bus "
    r"error)[^\n]*)[ \t]*$",
    "An error dlenv has no signature for: the text alone does not say its cause.",
    rules=("DL901",),
)
MAX_UNRECOGNISED = 5  # distinct lines kept; a long log repeats the same few errors


def _unrecognised(text: str, covered: set[int], sheet: FactSheet, fallback: str | None) -> None:
    """Report error lines that no signature claimed, each distinct line once."""
    found: dict[str, ReportedError] = {}
    for m in UNRECOGNISED.regex.finditer(text):
        if m.start() in covered:
            continue
        line = m.group(0).strip()[:400]
        nxt = text.find("\n", m.end())
        if line.endswith(":") and nxt >= 0:
            # a wrapper ("Failed to import X because of the following error (look up to see
            # its traceback):") whose message continues on a line a signature already explains
            rest = text[nxt + 1 :]
            follow = nxt + 1 + (len(rest) - len(rest.lstrip("\n")))
            if follow in covered:
                continue
        have = found.get(line)
        if have is not None:
            found[line] = dataclasses.replace(have, count=have.count + 1)
        elif len(found) < MAX_UNRECOGNISED:
            fw = _framework_for(UNRECOGNISED, line, {}, fallback)
            found[line] = ReportedError(
                signature=UNRECOGNISED.id, text=line, meaning=UNRECOGNISED.meaning, framework=fw
            )
    for error in found.values():
        sheet.report_distinct(error)


def _covered_lines(text: str, start: int, end: int, into: set[int]) -> None:
    """Every line start a match spans (a multi-line message claims all its lines)."""
    pos = text.rfind("\n", 0, start) + 1
    while True:
        into.add(pos)
        nxt = text.find("\n", pos, end)
        if nxt < 0:
            return
        pos = nxt + 1


def scan(
    text: str,
    sheet: FactSheet,
    signatures: tuple[Signature, ...] = SIGNATURES,
    unrecognised: bool = True,
) -> None:
    """Find every known message in `text`; record each as a ReportedError and apply its facts.
    Then, unless `unrecognised` is False, report the error lines no signature explained."""
    fallback = dominant_framework(text)
    lines_of: dict[str, set[int]] = {}
    covered: set[int] = set()
    for sig in signatures:
        seen: set[str] = set()
        first: tuple[str, str | None] | None = None
        count = 0
        claimed = set().union(*(lines_of.get(d, set()) for d in sig.defer_to))
        mine = lines_of.setdefault(sig.id, set())
        for m in sig.regex.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if line_start in claimed:
                continue
            if line_start in mine and "\n" not in m.group(0):
                continue  # one line naming the error twice ("OutOfMemoryError: CUDA out of memory")
            mine.add(line_start)
            _covered_lines(text, m.start(), m.end(), covered)
            count += 1
            line = _line_at(text, m.start(), m.end())
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            groups.setdefault("line", line)
            fw = _framework_for(sig, line, groups, fallback)
            if first is None:
                first = (line, fw)
            key = m.group(0)
            if key in seen:
                continue
            seen.add(key)
            for fact in sig.facts:
                apply_fact(sheet, fact, groups, line, text, fw)
        if first is not None and sig.report:
            sheet.report(
                ReportedError(
                    signature=sig.id,
                    text=first[0],
                    meaning=sig.meaning,
                    harmless=sig.harmless,
                    count=count,
                    framework=first[1],
                )
            )
    if unrecognised:
        _unrecognised(text, covered, sheet, fallback)
