"""The facts a fleet compares, read off one node's Snapshot as short display values.

Facts only: nothing here decides that a value is wrong. A fact that could not be read is
"unknown"; one that is known to be absent says so ("not installed", "none").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from dlenv.snapshot.model import FrameworkFacts, LiveProbe, Snapshot

UNKNOWN = "unknown"
NOT_INSTALLED = "not installed"  # a framework some other node has
NOT_PROBED = "not probed"  # a live probe some other node ran

# fact key -> title, in the order the drift table shows them (frameworks.* and live.* follow)
TITLES: dict[str, str] = {
    "dlenv": "dlenv version",
    "os": "OS",
    "kernel": "kernel",
    "python": "Python",
    "driver": "NVIDIA driver",
    "driver_cuda": "CUDA supported by the driver",
    "gpu_models": "GPU models",
    "gpu_count": "GPUs",
    "gpu_memory": "GPU memory",
    "gpu_health": "GPU health (ECC, retired pages)",
    "container_toolkit": "container toolkit",
    "cuda": "CUDA toolkit",
    "cudnn": "cuDNN",
}


def title_of(key: str) -> str:
    if key in TITLES:
        return TITLES[key]
    kind, _, name = key.partition(".")
    return f"{name} build" if kind == "frameworks" else f"{name} on the GPU (live)"


def missing_value(key: str) -> str:
    """What a node that lacks a per-framework fact other nodes have shows for it."""
    if key.startswith("frameworks."):
        return NOT_INSTALLED
    if key.startswith("live."):
        return NOT_PROBED
    return UNKNOWN


def _or_unknown(value: str | None) -> str:
    return value if value else UNKNOWN


def _versions(values: list[str | None], none: str = "none") -> str:
    known = sorted({v for v in values if v})
    if not values:
        return none
    return ", ".join(known) if known else UNKNOWN


def _gib(mib: int) -> str:
    return f"{round(mib / 1024, 1):g} GiB"


def _driver(s: Snapshot, value: str | None) -> str:
    if value:
        return value
    return NOT_INSTALLED if s.driver.installed is False else UNKNOWN


def _gpu_count(s: Snapshot) -> str:
    if s.gpus or s.driver.installed is False or s.driver.installed:
        return str(len(s.gpus))
    return UNKNOWN


def _gpu_models(s: Snapshot) -> str:
    if not s.gpus:
        return "none" if _gpu_count(s) == "0" else UNKNOWN
    counts = Counter(g.name or UNKNOWN for g in s.gpus)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{n}× {name}" for name, n in sorted(counts.items()))


def _gpu_memory(s: Snapshot) -> str:
    if not s.gpus:
        return "none" if _gpu_count(s) == "0" else UNKNOWN
    sizes = sorted({g.memory_total_mib for g in s.gpus if g.memory_total_mib is not None})
    return ", ".join(_gib(m) for m in sizes) if sizes else UNKNOWN


def _gpu_health(s: Snapshot) -> str:
    if not s.gpus:
        return "no GPU" if _gpu_count(s) == "0" else UNKNOWN
    troubles: list[str] = []
    known = False
    for g in s.gpus:
        if g.ecc_uncorrectable is not None or g.retired_pages is not None:
            known = True
        if g.ecc_uncorrectable:
            troubles.append(f"GPU {g.index}: {g.ecc_uncorrectable} uncorrectable ECC errors")
        if g.retired_pages:
            troubles.append(f"GPU {g.index}: {g.retired_pages} retired pages")
    if troubles:
        return "; ".join(troubles)
    return "ok" if known else UNKNOWN


def _container_toolkit(s: Snapshot) -> str:
    if any(e.signature == "docker-gpu-runtime-missing" for e in s.reported_errors):
        return "missing (Docker has no NVIDIA runtime)"
    if s.host.container is None:
        return "not in a container"
    if s.visibility.container_driver_mounts:
        return "NVIDIA driver mounted"
    return "no NVIDIA driver mounts"


def _os(s: Snapshot) -> str:
    parts = [p for p in (s.host.distro or s.host.os, s.host.distro_version) if p]
    return " ".join(parts) if parts else UNKNOWN


def framework_value(fw: FrameworkFacts) -> str:
    """`2.3.1+cu121`, `2.16.1 (CUDA 12.3, cuDNN 8)`, `2.16.1 (CPU)`, `3.3.3 (backend jax)`."""
    parts: list[str] = []
    if fw.cuda_build and fw.cuda_version and "+cu" not in fw.version:
        parts.append(f"CUDA {fw.cuda_version}")
        if fw.cudnn_version:
            parts.append(f"cuDNN {fw.cudnn_version}")
    elif fw.rocm_build:
        parts.append(fw.variant or "ROCm")
    elif fw.cuda_build is False and "+cpu" not in fw.version:
        parts.append("CPU")
    if fw.backend:
        parts.append(f"backend {fw.backend}")
    return fw.version + (f" ({', '.join(parts)})" if parts else "")


def live_value(probe: LiveProbe) -> str:
    if probe.status != "ok":
        return probe.status
    if probe.gpu_available is False:
        return "no GPU"
    if probe.compute_ok is False:
        return "GPU computation failed"
    if probe.gpu_available is None:
        return UNKNOWN
    return "uses the GPU"


FACTS: dict[str, Callable[[Snapshot], str]] = {
    "os": _os,
    "kernel": lambda s: _or_unknown(s.host.kernel),
    "python": lambda s: _or_unknown(s.python.version),
    "driver": lambda s: _driver(s, s.driver.version),
    "driver_cuda": lambda s: _driver(s, s.driver.cuda_version),
    "gpu_models": _gpu_models,
    "gpu_count": _gpu_count,
    "gpu_memory": _gpu_memory,
    "gpu_health": _gpu_health,
    "container_toolkit": _container_toolkit,
    "cuda": lambda s: _versions([t.version for t in s.cuda.toolkits]),
    "cudnn": lambda s: _versions([c.version for c in s.cuda.cudnn]),
}


def node_facts(s: Snapshot, dlenv_version: str) -> dict[str, str]:
    """Every fact of one node as a display value, in TITLES order, then frameworks and live."""
    facts = {"dlenv": _or_unknown(dlenv_version)}
    facts.update((key, read(s)) for key, read in FACTS.items())
    for fw in sorted(s.frameworks, key=lambda f: f.name):
        facts[f"frameworks.{fw.name}"] = framework_value(fw)
    for probe in sorted(s.live, key=lambda p: p.framework):
        if probe.status != "skipped":
            facts[f"live.{probe.framework}"] = live_value(probe)
    return facts


def gpu_total(s: Snapshot) -> int | None:
    count = _gpu_count(s)
    return None if count == UNKNOWN else int(count)
