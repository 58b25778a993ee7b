"""What NVML said, as plain data, and how to ask the real NVML through `nvidia-ml-py`.

The real query runs in a worker thread with a deadline: `nvmlInit` can block for seconds on a
GPU without persistence mode, and a driver in a bad state can hang it altogether.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NvmlProcess:
    """One entry of nvmlDeviceGetComputeRunningProcesses."""

    pid: int
    used_memory_bytes: int | None = None  # None: NVML_VALUE_NOT_AVAILABLE


@dataclass(frozen=True)
class NvmlLink:
    """What NVML says about one pair of GPUs: their common PCI ancestor and P2P status.

    `topology` is an nvmlGpuTopologyLevel_t (0 internal … 50 system); the `p2p_*` values are
    nvmlGpuP2PStatus_t (0 ok … 6 unknown). Raw codes here: the probe names them.
    """

    gpu_a: int
    gpu_b: int
    topology: int | None = None
    p2p_read: int | None = None
    p2p_write: int | None = None
    p2p_nvlink: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field -> why it could not be read


@dataclass(frozen=True)
class NvmlDevice:
    index: int
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    memory_free_bytes: int | None = None
    compute_capability: str | None = None  # "8.6"
    mig_mode: bool | None = None
    persistence_mode: bool | None = None
    temperature_c: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    ecc_uncorrectable: int | None = None
    retired_pages: int | None = None
    processes: int | None = None
    compute_processes: tuple[NvmlProcess, ...] = ()  # the processes `processes` counts
    errors: dict[str, str] = field(default_factory=dict)  # field -> why it could not be read


@dataclass(frozen=True)
class NvmlReport:
    """NVML's answers. `error` is set (and the rest empty) when NVML could not be used at all."""

    library_found: bool
    driver_version: str | None = None
    cuda_driver_version: int | None = None  # e.g. 12040 for 12.4
    devices: tuple[NvmlDevice, ...] = ()
    error: str | None = None  # e.g. "NVML_ERROR_LIB_RM_VERSION_MISMATCH"
    error_message: str | None = None  # NVML's own text
    library_path: str | None = None  # the libnvidia-ml file the loader really opened
    errors: dict[str, str] = field(default_factory=dict)  # system-level field -> why unread
    links: tuple[NvmlLink, ...] = ()  # one per pair of GPUs, when there are two or more


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _query_device(pynvml: Any, index: int) -> NvmlDevice:
    errors: dict[str, str] = {}
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)

    def ask(name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(handle, *args)
        except _binding_errors(pynvml) as exc:
            errors[name] = _describe(pynvml, exc)
            return None

    mem = ask("memory", pynvml.nvmlDeviceGetMemoryInfo)
    cc = ask("compute_capability", pynvml.nvmlDeviceGetCudaComputeCapability)
    pci = ask("pci_bus_id", pynvml.nvmlDeviceGetPciInfo)
    mig = ask("mig_mode", pynvml.nvmlDeviceGetMigMode)
    persistence = ask("persistence_mode", pynvml.nvmlDeviceGetPersistenceMode)
    temp = ask("temperature_c", pynvml.nvmlDeviceGetTemperature, 0)  # NVML_TEMPERATURE_GPU
    power = ask("power_w", pynvml.nvmlDeviceGetPowerUsage)
    limit = ask("power_limit_w", pynvml.nvmlDeviceGetEnforcedPowerLimit)
    ecc = ask(
        "ecc_uncorrectable",
        pynvml.nvmlDeviceGetTotalEccErrors,
        1,  # NVML_MEMORY_ERROR_TYPE_UNCORRECTED
        1,  # NVML_AGGREGATE_ECC
    )
    procs = ask("processes", pynvml.nvmlDeviceGetComputeRunningProcesses)
    retired = _retired_pages(pynvml, handle, errors)
    name = ask("name", pynvml.nvmlDeviceGetName)
    uuid = ask("uuid", pynvml.nvmlDeviceGetUUID)
    return NvmlDevice(
        index=index,
        name=_decode(name) if name is not None else None,
        uuid=_decode(uuid) if uuid is not None else None,
        pci_bus_id=_decode(pci.busId) if pci is not None else None,
        memory_total_bytes=int(mem.total) if mem is not None else None,
        memory_used_bytes=int(mem.used) if mem is not None else None,
        memory_free_bytes=int(mem.free) if mem is not None else None,
        compute_capability=f"{cc[0]}.{cc[1]}" if cc is not None else None,
        mig_mode=bool(mig[0]) if mig is not None else None,
        persistence_mode=bool(persistence) if persistence is not None else None,
        temperature_c=int(temp) if temp is not None else None,
        power_w=power / 1000.0 if power is not None else None,
        power_limit_w=limit / 1000.0 if limit is not None else None,
        ecc_uncorrectable=int(ecc) if ecc is not None else None,
        retired_pages=retired,
        processes=len(procs) if procs is not None else None,
        compute_processes=tuple(_process(p) for p in procs or ()),
        errors=errors,
    )


def _process(info: Any) -> NvmlProcess:
    used = getattr(info, "usedGpuMemory", None)  # pynvml turns "not available" into None
    return NvmlProcess(pid=int(info.pid), used_memory_bytes=None if used is None else int(used))


# Pairs are asked for up to this many GPUs (120 pairs, four calls each), and for at most
# LINKS_BUDGET_S in all: each call is a driver round trip, and the static doctor must stay fast.
MAX_LINK_GPUS = 16
LINKS_BUDGET_S = 0.02
# nvmlGpuP2PCapsIndex_t (pynvml's own NVML_P2P_CAPS_INDEX_READ is a tuple, by a stray comma)
_P2P_READ, _P2P_WRITE, _P2P_NVLINK = 0, 1, 2


def _ask_pair(
    pynvml: Any, errors: dict[str, str], name: str, fn: Any, pair: tuple[Any, Any], *args: Any
) -> int | None:
    try:
        return int(fn(*pair, *args))
    except _binding_errors(pynvml) as exc:
        errors[name] = _describe(pynvml, exc)
        return None


_LINK_FIELDS = ("topology", "p2p_read", "p2p_write", "p2p_nvlink")


def _query_links(
    pynvml: Any, count: int, budget_s: float = LINKS_BUDGET_S
) -> tuple[NvmlLink, ...]:
    """Common ancestor and P2P read/write/NVLink status for every pair of GPUs; pairs left
    when `budget_s` is spent are listed with that reason."""
    if count < 2 or count > MAX_LINK_GPUS:
        return ()
    deadline = time.perf_counter() + budget_s
    handles: dict[int, Any] = {}
    for index in range(count):
        with contextlib.suppress(*_binding_errors(pynvml)):
            handles[index] = pynvml.nvmlDeviceGetHandleByIndex(index)
    links: list[NvmlLink] = []
    for a in range(count):
        for b in range(a + 1, count):
            errors: dict[str, str] = {}
            why = None
            if a not in handles or b not in handles:
                why = f"no NVML handle for GPU {a if a not in handles else b}"
            elif time.perf_counter() > deadline:
                why = f"not asked: the {budget_s * 1000:.0f} ms for GPU pairs were spent"
            if why is not None:
                links.append(NvmlLink(gpu_a=a, gpu_b=b, errors=dict.fromkeys(_LINK_FIELDS, why)))
                continue
            pair = (handles[a], handles[b])
            ancestor = pynvml.nvmlDeviceGetTopologyCommonAncestor
            p2p = pynvml.nvmlDeviceGetP2PStatus
            links.append(
                NvmlLink(
                    gpu_a=a,
                    gpu_b=b,
                    topology=_ask_pair(pynvml, errors, "topology", ancestor, pair),
                    p2p_read=_ask_pair(pynvml, errors, "p2p_read", p2p, pair, _P2P_READ),
                    p2p_write=_ask_pair(pynvml, errors, "p2p_write", p2p, pair, _P2P_WRITE),
                    p2p_nvlink=_ask_pair(pynvml, errors, "p2p_nvlink", p2p, pair, _P2P_NVLINK),
                    errors=errors,
                )
            )
    return tuple(links)


def _binding_errors(pynvml: Any) -> tuple[type[BaseException], ...]:
    """NVML errors, and the binding's own "function missing in this libnvidia-ml" error."""
    mismatch = getattr(pynvml, "NVMLLibraryMismatchError", None)
    return (pynvml.NVMLError, mismatch) if isinstance(mismatch, type) else (pynvml.NVMLError,)


def _describe(pynvml: Any, exc: BaseException) -> str:
    """NVML's text plus its error name: "Not Supported (NVML_ERROR_NOT_SUPPORTED)"."""
    if isinstance(exc, pynvml.NVMLError):
        return f"{exc} ({_error_name(pynvml, exc)})"
    return f"{exc} (NVML_ERROR_FUNCTION_NOT_FOUND)"


def _retired_pages(pynvml: Any, handle: Any, errors: dict[str, str]) -> int | None:
    """Pages retired for single- and double-bit ECC errors (pre-Ampere page retirement)."""
    total = 0
    for cause in (0, 1):  # NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS, _DOUBLE_BIT_
        try:
            total += len(pynvml.nvmlDeviceGetRetiredPages(handle, cause))
        except _binding_errors(pynvml) as exc:
            errors["retired_pages"] = _describe(pynvml, exc)
            return None
    return total


def _loaded_library_path(maps_file: str = "/proc/self/maps") -> str | None:
    """Which libnvidia-ml file the dynamic loader mapped into this process (Linux only)."""
    try:
        with open(maps_file, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                path = line.rstrip("\n").split(None, 5)[-1]
                if "/libnvidia-ml.so" in path:
                    return path
    except OSError:
        return None
    return None


def query_nvml() -> NvmlReport:
    """Ask the real NVML (through `pynvml`) in this process."""
    try:
        import pynvml
    except ImportError:  # pragma: no cover - nvidia-ml-py is a dependency
        return NvmlReport(library_found=False, error="PYNVML_MISSING", error_message="pynvml")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        code = _error_name(pynvml, exc)
        found = code != "NVML_ERROR_LIBRARY_NOT_FOUND"
        return NvmlReport(
            library_found=found,
            error=code,
            error_message=str(exc),
            library_path=_loaded_library_path() if found else None,
        )
    try:
        errors: dict[str, str] = {}
        driver = _decode(pynvml.nvmlSystemGetDriverVersion())
        cuda: int | None = None
        for getter in ("nvmlSystemGetCudaDriverVersion", "nvmlSystemGetCudaDriverVersion_v2"):
            try:
                cuda = int(getattr(pynvml, getter)())
                errors.pop("cuda_driver_version", None)
                break
            except _binding_errors(pynvml) as exc:
                errors["cuda_driver_version"] = _describe(pynvml, exc)
        count = pynvml.nvmlDeviceGetCount()
        devices = tuple(_query_device(pynvml, i) for i in range(count))
        return NvmlReport(
            library_found=True,
            driver_version=driver,
            cuda_driver_version=cuda,
            devices=devices,
            library_path=_loaded_library_path(),
            errors=errors,
            links=_query_links(pynvml, count),
        )
    except pynvml.NVMLError as exc:
        return NvmlReport(
            library_found=True,
            error=_error_name(pynvml, exc),
            error_message=str(exc),
            library_path=_loaded_library_path(),
        )
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def _error_name(pynvml: Any, exc: Exception) -> str:
    value = getattr(exc, "value", None)
    name = _error_names(pynvml).get(value) if isinstance(value, int) else None
    return name or f"NVML_ERROR_{value}"


@functools.cache
def _error_names(pynvml: Any) -> dict[int, str]:
    """pynvml's NVML_ERROR_* constants by value, built once: scanning the module's few
    thousand names cost ~0.4 ms per error, and a PCIe box answers "not supported" per pair."""
    names: dict[int, str] = {}
    for name in dir(pynvml):
        value = getattr(pynvml, name) if name.startswith("NVML_ERROR_") else None
        if isinstance(value, int) and not isinstance(value, bool):
            names.setdefault(value, name)
    return names


def query_nvml_with_deadline(timeout: float) -> NvmlReport:
    """`query_nvml` in a daemon thread; a hang becomes an answer after `timeout` seconds."""
    box: list[NvmlReport] = []

    def work() -> None:
        try:
            box.append(query_nvml())
        except Exception as exc:  # a broken binding must not take dlenv down
            box.append(NvmlReport(library_found=True, error="EXCEPTION", error_message=repr(exc)))

    thread = threading.Thread(target=work, name="dlenv-nvml", daemon=True)
    thread.start()
    thread.join(timeout)
    if not box:
        return NvmlReport(
            library_found=True,
            error="TIMEOUT",
            error_message=f"NVML did not answer within {timeout:.0f} s",
        )
    return box[0]
