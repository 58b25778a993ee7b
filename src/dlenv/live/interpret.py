"""Turn what a live-probe child sent (raw facts, its stderr) into `LiveProbe`s.

Pure functions, no process and no framework: every decision here is unit-tested with raw data
shaped like a GPU machine's, which the CPU-only test machine cannot produce for real.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dlenv.snapshot.model import LiveDevice, LiveProbe, LoadedLibrary

# Library file names in /proc/self/maps -> the short name dlenv reports. Longest prefix first:
# libcublasLt before libcublas, libcudnn_ops before libcudnn.
_LIBRARY_NAMES = (
    ("libcudart", "cudart"),
    ("libcublasLt", "cublasLt"),
    ("libcublas", "cublas"),
    ("libcudnn_", "cudnn-sub"),
    ("libcudnn", "cudnn"),
    ("libnccl", "nccl"),
    ("libcuda.", "cuda"),
    ("libnvidia-ml", "nvidia-ml"),
    ("libcufft", "cufft"),
    ("libcurand", "curand"),
    ("libcusolver", "cusolver"),
    ("libcusparse", "cusparse"),
    ("libnvrtc", "nvrtc"),
    ("libnvJitLink", "nvJitLink"),
    ("libcupti", "cupti"),
    ("libamdhip64", "hip"),
)
_SO_VERSION = re.compile(r"\.so\.(\d+(?:\.\d+)*)$")
_WHEEL_VERSION = re.compile(r"/nvidia_([a-z_]+)_cu(\d+)-(\d+(?:\.\d+)*)\.dist-info")


def loaded_libraries(paths: list[str]) -> list[LoadedLibrary]:
    """The CUDA-stack files a process had mapped, named, with the version their file name gives.

    `libcudart.so.12.4.127` -> 12.4.127; `libcuda.so.550.54.15` -> 550.54.15 (the driver);
    `libcudnn.so.9` -> 9 (a pip wheel's file names carry only the major version).
    """
    out: list[LoadedLibrary] = []
    for path in paths:
        base = os.path.basename(path)
        name = next((short for prefix, short in _LIBRARY_NAMES if base.startswith(prefix)), None)
        if name is None:
            continue
        if name == "cudnn-sub":
            name = base.split(".so")[0].removeprefix("lib")  # cudnn_ops, cudnn_cnn…
        match = _SO_VERSION.search(base)
        out.append(LoadedLibrary(name=name, path=path, version=match.group(1) if match else None))
    return out


# -- TensorFlow's log ------------------------------------------------------------------------
# Line shapes, as TensorFlow prints them (tensorflow/tsl dso_loader.cc and gpu_device.cc):
# https://github.com/tensorflow/tensorflow/issues/45200
# https://github.com/tensorflow/tensorflow/issues/60854
# https://github.com/JdeRobot/BehaviorMetrics/issues/385 ("Cannot dlopen some GPU libraries")
_TF_MISSING = re.compile(
    r"Could not load dynamic library '(?P<file>[^']+)'; dlerror: (?P<why>.*?)"
    r"(?:; LD_LIBRARY_PATH: (?P<ldpath>.*))?$"
)
_TF_OPENED = re.compile(r"Successfully opened dynamic library (?P<file>\S+)")
# https://github.com/tensorflow/tensorflow/issues/60913 (TF 2.12+: "…: 9.1.0 but source was
# compiled with: 9.3.0."), https://github.com/tensorflow/tensorflow/issues/3922 (TF 1.x:
# "…: 5103 (compatibility version 5100) but source was compiled with 4007 …")
_TF_CUDNN_MISMATCH = re.compile(
    r"Loaded runtime CuDNN library: (?P<runtime>\d+(?:\.\d+)*)(?: \(compatibility version \d+\))?"
    r" but source was compiled with:? (?P<compiled>\d+(?:\.\d+)*)"
)
_TF_CUINIT = re.compile(r"failed call to cuInit: (?P<error>.+?)\s*$")
_TF_LINE = re.compile(r"^(?:\S+ \S+: )?[IWEF]\d{0,4}[\s\d:.]*\s*\S*\.cc:\d+\]\s*(?P<text>.*)$")


@dataclass(frozen=True)
class MissingLibrary:
    file: str  # "libcudnn.so.8"
    library: str  # "cudnn"
    version: str | None  # "8"
    reason: str  # dlerror's text
    ld_library_path: str | None = None


@dataclass(frozen=True)
class TfLog:
    missing: list[MissingLibrary] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    cannot_dlopen: bool = False  # "Cannot dlopen some GPU libraries… Skipping registering GPU"
    no_cuda_driver: bool = False  # "Could not find cuda drivers on your machine"
    cuinit_error: str | None = None
    cudnn_mismatch: tuple[str, str] | None = None  # (loaded at run time, compiled with)
    messages: list[str] = field(default_factory=list)  # the lines above, as TF wrote them


def _library_of(file: str) -> tuple[str, str | None]:
    base = os.path.basename(file)
    name = base.split(".so")[0].removeprefix("lib")
    match = _SO_VERSION.search(base)
    return name, match.group(1) if match else None


def parse_tf_log(stderr: str) -> TfLog:
    """The facts in TensorFlow's stderr about GPU libraries and the driver."""
    missing: list[MissingLibrary] = []
    opened: list[str] = []
    messages: list[str] = []
    flags = {"dlopen": False, "driver": False}
    cuinit: str | None = None
    mismatch: tuple[str, str] | None = None
    for raw in stderr.splitlines():
        line = raw.strip()
        m = _TF_LINE.match(line)
        text = m.group("text") if m else line
        if found := _TF_MISSING.search(text):
            library, version = _library_of(found["file"])
            missing.append(
                MissingLibrary(
                    file=found["file"],
                    library=library,
                    version=version,
                    reason=found["why"].strip(),
                    ld_library_path=found["ldpath"],
                )
            )
        elif found := _TF_OPENED.search(text):
            opened.append(found["file"])
            continue  # routine success: not worth a message
        elif "Cannot dlopen some GPU libraries" in text:
            flags["dlopen"] = True
            text = "Cannot dlopen some GPU libraries; skipping registering GPU devices"
        elif "Could not find cuda drivers on your machine" in text:
            flags["driver"] = True
        elif found := _TF_CUINIT.search(text):
            cuinit = found["error"]
        elif found := _TF_CUDNN_MISMATCH.search(text):
            mismatch = (found["runtime"], found["compiled"])
        else:
            continue
        if text not in messages:
            messages.append(text)
    return TfLog(
        missing=missing,
        opened=opened,
        cannot_dlopen=flags["dlopen"],
        no_cuda_driver=flags["driver"],
        cuinit_error=cuinit,
        cudnn_mismatch=mismatch,
        messages=messages,
    )


# -- common --------------------------------------------------------------------------------
def _base(framework: str, result: Mapping[str, Any]) -> dict[str, Any]:
    raw = result.get("raw") or {}
    return {
        "framework": framework,
        "status": result.get("status", "error"),
        "version": raw.get("version"),
        "import_s": result.get("import_s"),
        "total_s": result.get("total_s"),
        "error": result.get("error"),
        "loaded_libraries": loaded_libraries(list(result.get("libraries") or [])),
    }


def _env_details(env: Mapping[str, str | None] | None) -> dict[str, str]:
    return {f"env.{k}": v for k, v in (env or {}).items() if v is not None}


def _check_errors(result: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    errors: Mapping[str, str] = result.get("errors") or {}
    return [f"{name}: {text}" for name, text in errors.items() if not name.startswith(skip)]


def _flag(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


# -- PyTorch -------------------------------------------------------------------------------
# c10's TORCH_WARN appends where it was raised: "(Triggered internally at …/CUDAFunctions.cpp:108.)"
_TRIGGERED = re.compile(r"\s*\(Triggered internally at [^)]*\)\.?")


def torch_unavailable_reason(raw: Mapping[str, Any], result: Mapping[str, Any]) -> str | None:
    """Why torch.cuda.is_available() said False, in the runtime's own words where it gave any."""
    if raw.get("is_available"):
        return None
    if not raw.get("cuda_built"):
        if raw.get("hip_version"):
            return f"ROCm build (HIP {raw['hip_version']}): no usable AMD GPU"
        return f"torch {raw.get('version') or ''} is a CPU-only build (torch.version.cuda is None)"
    said = [
        *(result.get("warnings") or []),
        (result.get("errors") or {}).get("init") or "",
    ]
    for text in said:
        text = text.removeprefix("RuntimeError: ").removeprefix("AssertionError: ")
        text = text.removeprefix("CUDA initialization: ").strip()
        text = _TRIGGERED.sub("", text)
        if text:
            return " ".join(text.split())  # TORCH_WARN wraps its lines
    return "torch.cuda.is_available() returned False and gave no reason"


def torch_probe(result: Mapping[str, Any]) -> LiveProbe:
    base = _base("torch", result)
    raw: Mapping[str, Any] = result.get("raw") or {}
    if base["status"] != "ok":
        return LiveProbe(**base)
    devices = [
        LiveDevice(
            index=d["index"],
            name=d.get("name"),
            kind="gpu",
            compute_capability=d.get("capability"),
            memory_total_bytes=d.get("memory"),
        )
        for d in raw.get("devices") or []
    ]
    gpu_ok = [d.get("compute_ok") for d in raw.get("devices") or []]
    if raw.get("mps_available"):
        devices.append(LiveDevice(index=0, name="Apple MPS", kind="mps"))
        gpu_ok.append(raw.get("mps_compute_ok"))
    details = {"cpu_compute_ok": _flag(raw.get("cpu_compute_ok"))}
    if raw.get("nccl_version"):
        details["nccl_version"] = str(raw["nccl_version"])
    if raw.get("hip_version"):
        details["hip_version"] = str(raw["hip_version"])
    dist = raw.get("distributed") or {}
    if dist:
        details["distributed_backends"] = ",".join(k for k, v in dist.items() if v) or "none"
    if raw.get("mps_built") is not None:
        details["mps_available"] = _flag(raw.get("mps_available"))
    if raw.get("allocator_backend"):
        details["allocator_backend"] = str(raw["allocator_backend"])
    details.update(_env_details(raw.get("env")))
    available = bool(raw.get("is_available")) or bool(raw.get("mps_available"))
    cudnn = raw.get("cudnn_version")
    return LiveProbe(
        **base,
        gpu_available=available,
        gpu_unavailable_reason=torch_unavailable_reason(raw, result),
        devices=devices,
        cuda_version=raw.get("cuda_version"),
        cudnn_version=_torch_cudnn(cudnn),
        arch_list=list(raw.get("arch_list") or []),
        compute_ok=all(v is True for v in gpu_ok) if gpu_ok else None,
        messages=_messages(result, skip=("init",)),
        details=details,
    )


def _torch_cudnn(value: Any) -> str | None:
    """torch.backends.cudnn.version() is an int: 8902 -> 8.9.2, 90100 -> 9.1.0."""
    if not isinstance(value, int) or value <= 0:
        return None
    if value >= 90000:
        return f"{value // 10000}.{value % 10000 // 100}.{value % 100}"
    return f"{value // 1000}.{value % 1000 // 100}.{value % 100}"


def _messages(result: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    seen: list[str] = []
    for text in [*(result.get("warnings") or []), *_check_errors(result, skip)]:
        text = " ".join(text.split())
        if text and text not in seen:
            seen.append(text)
    return seen


# -- TensorFlow ----------------------------------------------------------------------------
LATE_GROWTH = "Physical devices cannot be modified after being initialized"


def tf_memory_growth(
    growth: Mapping[str, Mapping[str, Any]], allow_growth_env: str | None
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Memory growth per GPU as the user's program would get it, and what the probe learnt.

    Returns (memory_growth: "GPU:0" -> "true"/"false", details, messages). TensorFlow compares
    TF_FORCE_GPU_ALLOW_GROWTH with strcmp: exactly "true" forces growth on, exactly "false"
    forces it off (overriding the code), anything else is logged as unparsable and ignored
    (GPUBFCAllocator::GetAllowGrowthValue, tensorflow/core/common_runtime/gpu/
    gpu_bfc_allocator.cc). Setting growth from code works only before the GPUs are
    initialised; the probe checks both sides of that line.
    """
    env = allow_growth_env
    memory: dict[str, str] = {}
    details: dict[str, str] = {
        "memory_growth.env": allow_growth_env if allow_growth_env is not None else "unset"
    }
    messages: list[str] = []
    if not growth:
        details["memory_growth.check"] = "no GPU: nothing to set memory growth on"
        return memory, details, messages
    for gpu, facts in growth.items():
        if env in ("true", "false"):
            memory[gpu] = env
        else:
            memory[gpu] = "true" if facts.get("configured") is True else "false"
        before = str(facts.get("set_before_init", "ok"))
        after = str(facts.get("set_after_init", "ok"))
        details[f"memory_growth.{gpu}.before_init"] = (
            "settable" if before == "ok" else f"refused: {before}"
        )
        if LATE_GROWTH in after:
            details[f"memory_growth.{gpu}.after_init"] = "refused (as expected)"
        else:
            details[f"memory_growth.{gpu}.after_init"] = (
                "accepted" if after == "ok" else f"refused: {after}"
            )
        if before != "ok":
            if LATE_GROWTH in before:
                messages.append(
                    f"{gpu}: set_memory_growth refused before any computation: "
                    f"'{LATE_GROWTH}' - something initialised the GPU already"
                )
            else:
                messages.append(f"{gpu}: set_memory_growth failed: {before}")
    if env is not None and env not in ("true", "false"):
        messages.append(
            f"TF_FORCE_GPU_ALLOW_GROWTH={allow_growth_env!r} is ignored: TensorFlow accepts only "
            "'true' or 'false'"
        )
    return memory, details, messages


def tf_unavailable_reason(raw: Mapping[str, Any], log: TfLog) -> str | None:
    gpus = [d for d in raw.get("physical_devices") or [] if d.startswith("GPU:")]
    if gpus:
        return None
    if raw.get("built_with_cuda") is False:
        return f"tensorflow {raw.get('version') or ''} is built without CUDA (CPU-only build)"
    if log.missing:
        files = ", ".join(m.file for m in log.missing)
        return f"cannot load GPU libraries: {files}; skipping registering GPU devices"
    if log.no_cuda_driver:
        return "Could not find cuda drivers on your machine, GPU will not be used"
    if log.cuinit_error:
        return f"failed call to cuInit: {log.cuinit_error}"
    if log.cannot_dlopen:
        return "Cannot dlopen some GPU libraries; skipping registering GPU devices"
    return "tf.config.list_physical_devices('GPU') is empty and TensorFlow logged no reason"


def tensorflow_probe(result: Mapping[str, Any], stderr: str) -> LiveProbe:
    base = _base("tensorflow", result)
    log = parse_tf_log(stderr)
    raw: Mapping[str, Any] = result.get("raw") or {}
    if base["status"] != "ok":
        return LiveProbe(**base, messages=log.messages)
    build = raw.get("build_info") or {}
    env: Mapping[str, str | None] = raw.get("env") or {}
    memory, details, messages = tf_memory_growth(
        raw.get("memory_growth") or {}, env.get("TF_FORCE_GPU_ALLOW_GROWTH")
    )
    details["cpu_compute_ok"] = _flag(raw.get("cpu_compute_ok"))
    details["physical_devices"] = ",".join(raw.get("physical_devices") or []) or "none"
    for key in ("is_cuda_build", "is_rocm_build", "is_tensorrt_build"):
        if key in build:
            details[f"build.{key}"] = _flag(build[key])
    for missing in log.missing:
        details[f"missing_library.{missing.library}"] = missing.file
    if log.cudnn_mismatch:
        details["cudnn_runtime"], details["cudnn_compiled"] = log.cudnn_mismatch
    details.update(_env_details(env))
    devices = [
        LiveDevice(index=d["index"], name=d.get("name"), compute_capability=d.get("capability"))
        for d in raw.get("devices") or []
    ]
    oks = [d.get("compute_ok") for d in raw.get("devices") or []]
    return LiveProbe(
        **base,
        gpu_available=bool(devices),
        gpu_unavailable_reason=tf_unavailable_reason(raw, log),
        devices=devices,
        cuda_version=build.get("cuda_version"),
        cudnn_version=build.get("cudnn_version"),
        arch_list=list(build.get("cuda_compute_capabilities") or []),
        compute_ok=all(v is True for v in oks) if oks else None,
        memory_growth=memory,
        messages=[*log.messages, *messages, *_messages(result)],
        details=details,
    )


# -- Keras ---------------------------------------------------------------------------------
def keras_probe(result: Mapping[str, Any]) -> LiveProbe:
    base = _base("keras", result)
    raw: Mapping[str, Any] = result.get("raw") or {}
    if base["status"] != "ok":
        return LiveProbe(**base)
    details: dict[str, str] = {}
    if raw.get("backend"):
        details["backend"] = str(raw["backend"])
    if raw.get("backend_version"):
        details["backend_version"] = str(raw["backend_version"])
    tf_keras = raw.get("tf_keras")
    if isinstance(tf_keras, Mapping):
        details["tf.keras"] = _tf_keras_kind(tf_keras)
    step = raw.get("train_step")
    step_ok = isinstance(step, Mapping) and step.get("finite") is True
    details["train_step"] = "ok" if step_ok else "failed"
    if isinstance(step, Mapping):
        details["train_step.loss"] = f"{step.get('loss'):.6g}" if step.get("loss") else "?"
        if step.get("device"):
            details["train_step.device"] = str(step["device"])
    process = [p for p in result.get("process") or [] if p != "keras"]
    if process:
        details["process"] = f"shared with {', '.join(process)} (imported once)"
    device = str(step.get("device") or "") if isinstance(step, Mapping) else ""
    on_gpu = any(k in device.lower() for k in ("gpu", "cuda", "mps"))
    for name, value in (raw.get("env_changed") or {}).items():
        details[f"sets_env.{name}"] = str(value)
    details.update(_env_details(raw.get("env")))
    return LiveProbe(
        **base,
        gpu_available=on_gpu if device else None,
        gpu_unavailable_reason=None
        if on_gpu or not device
        else f"the training step ran on {device.rsplit('/', 1)[-1]}",
        compute_ok=step_ok,
        messages=_messages(result),
        details=details,
    )


def _tf_keras_kind(info: Mapping[str, Any]) -> str:
    """`tf.keras` is Keras 3 (keras.src…), Keras 2 from tf-keras, or the old keras 2 package."""
    package = info.get("package")
    version = info.get("version") or "?"
    if package == "tf_keras":
        return f"Keras 2 (tf-keras {version})"
    if str(version).startswith("3") or str(info.get("module", "")).startswith("keras.src"):
        return f"Keras 3 ({version})"
    return f"Keras 2 ({package} {version})"


# -- JAX -----------------------------------------------------------------------------------
JAX_DEFAULT_FRACTION = "0.75"  # https://docs.jax.dev/en/latest/gpu_memory_allocation.html


def jax_probe(result: Mapping[str, Any]) -> LiveProbe:
    base = _base("jax", result)
    raw: Mapping[str, Any] = result.get("raw") or {}
    if base["status"] != "ok":
        return LiveProbe(**base)
    accelerators = [d for d in raw.get("devices") or [] if d.get("platform") not in ("cpu", "")]
    devices = [
        LiveDevice(
            index=d["index"],
            name=d.get("name"),
            kind="tpu" if d.get("platform") == "tpu" else "gpu",
        )
        for d in accelerators
    ]
    env: Mapping[str, str | None] = raw.get("env") or {}
    details = {"backend": str(raw.get("backend") or "?")}
    if raw.get("jaxlib_version"):
        details["jaxlib_version"] = str(raw["jaxlib_version"])
    prealloc = (env.get("XLA_PYTHON_CLIENT_PREALLOCATE") or "").lower()
    details["memory.preallocate"] = "false" if prealloc in ("false", "0") else "true"
    details["memory.fraction"] = env.get("XLA_PYTHON_CLIENT_MEM_FRACTION") or JAX_DEFAULT_FRACTION
    details.update(_env_details(env))
    oks = [d.get("compute_ok") for d in accelerators]
    return LiveProbe(
        **base,
        gpu_available=bool(devices),
        gpu_unavailable_reason=None
        if devices
        else raw.get("gpu_backend_error") or f"jax default backend is {raw.get('backend')}",
        devices=devices,
        compute_ok=all(v is True for v in oks) if oks else None,
        messages=_messages(result),
        details=details,
    )


_MISSING_SO = re.compile(r"(?P<file>lib[\w.+-]+\.so[\w.]*): cannot open shared object file")
_UNDEFINED = re.compile(r"undefined symbol: (?P<symbol>\S+)")


def import_error_details(error: str | None) -> dict[str, str]:
    """Facts in an import error: the shared library the loader could not find, or the symbol
    it could not resolve (a library of the wrong version was found first)."""
    details: dict[str, str] = {}
    if not error:
        return details
    if found := _MISSING_SO.search(error):
        details["missing_library"] = found["file"]
    if found := _UNDEFINED.search(error):
        details["undefined_symbol"] = found["symbol"]
    return details


def to_probe(framework: str, result: Mapping[str, Any], stderr: str) -> LiveProbe:
    """The LiveProbe for one framework's raw result."""
    if framework == "torch":
        probe = torch_probe(result)
    elif framework == "tensorflow":
        probe = tensorflow_probe(result, stderr)
    elif framework == "keras":
        probe = keras_probe(result)
    elif framework == "jax":
        probe = jax_probe(result)
    else:
        probe = LiveProbe(**_base(framework, result))
    if probe.status == "import-error":
        probe = replace(probe, details={**probe.details, **import_error_details(probe.error)})
    if probe.gpu_available is False and probe.gpu_unavailable_reason:
        said = reason_details(framework, probe.gpu_unavailable_reason)
        probe = replace(probe, details={**said, **probe.details})
    return probe


def reason_details(framework: str, reason: str) -> dict[str, str]:
    """What the message catalogue reads in a framework's own reason for seeing no GPU: the same
    `live.FW.details` facts `dlenv explain` extracts from the same words in a paste, so one
    message gives one verdict ("The NVIDIA driver on your system is too old" is DL101 in both).

    Only the framework's own details are taken: the probe's other facts (driver, GPUs) come
    from the machine, which outranks a number quoted in a message.
    """
    from dlenv.importers.sheet import FactSheet
    from dlenv.importers.signatures import scan

    sheet = FactSheet()
    scan(reason, sheet, unrecognised=False)
    details = sheet.live.get(framework, {}).get("details") or {}
    return {str(k): str(v) for k, v in details.items()}
