"""The knowledge base's tables as typed, frozen rows, loaded once from the JSON files in data/.

Every row carries the URL of the primary source it was taken from; `None` in a row means "not
verified", and the rules treat it as unknown (they stay silent rather than guess).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from dlenv.errors import DlenvError


@dataclass(frozen=True)
class ToolkitDriver:
    cuda: str  # "12.4.1"
    release: str  # "CUDA 12.4 Update 1"
    linux: str | None  # minimum Linux x86_64 driver; None: unknown (Table 3 not readable, 13.4+)
    windows: str | None
    source: str
    note: str | None = None


@dataclass(frozen=True)
class OtherFloor:
    """A floor another primary source gives where the sources disagree (shown, not enforced)."""

    windows: str
    source: str


@dataclass(frozen=True)
class MinorCompat:
    cuda_major: int
    linux: str
    windows: str | None
    note: str
    source: str
    windows_source: str | None = None  # where the Windows floor comes from, if not `source`
    windows_other: OtherFloor | None = None


@dataclass(frozen=True)
class AsOf:
    """The newest source a table was checked against; `date` None: its date is not recorded."""

    date: str | None
    source: str
    what: str


@dataclass(frozen=True)
class AnnouncedTorch:
    """A PyTorch release announced but not yet in RELEASE.md: its CUDA variants only."""

    version: str
    variants: tuple[tuple[str, str], ...]  # (name, cuda)
    default_variant: str | None
    dropped: tuple[str, ...]
    note: str
    source: str
    date: str


@dataclass(frozen=True)
class UnknownTorchVariant:
    """A CUDA variant of a PyTorch release that may or may not have been published: shown as
    unknown, never used by the rules."""

    version: str
    name: str
    cuda: str
    note: str
    source: str


@dataclass(frozen=True)
class TensorflowRelease:
    version: str  # "2.16"
    python_min: str
    python_max: str
    cuda: str
    cudnn: str
    keras: str  # "2" or "3": the Keras that `pip install tensorflow` brings
    source: str
    note: str | None = None


@dataclass(frozen=True)
class TorchVariant:
    name: str  # "cu121"
    cuda: str  # "12.1"
    cudnn: str | None
    arch_list: tuple[str, ...] | None  # ("sm_50", …, "compute_90"); None: not verified
    experimental: bool
    arch_source: str | None = None
    source: str | None = None  # where the variant itself is sourced, when not its release's


@dataclass(frozen=True)
class TorchRelease:
    version: str  # "2.3"
    python_min: str
    python_max: str
    default_variant: str | None  # what `pip install torch` gets from PyPI on Linux
    variants: tuple[TorchVariant, ...]
    source: str
    default_source: str | None = None


@dataclass(frozen=True)
class GpuModel:
    name: str
    compute_capability: str
    architecture: str
    source: str
    aliases: tuple[str, ...] = ()  # other names users type or tools print ("DGX Spark")
    note: str | None = None


@dataclass(frozen=True)
class CudaArchSupport:
    cuda_major: int
    min_cc: str
    max_cc: str
    note: str
    source: str


@dataclass(frozen=True)
class CudaNewestArch:
    """The newest compute capability CUDA `cuda` (X.Y) and later releases can build for."""

    cuda: str
    max_cc: str
    note: str
    source: str


@dataclass(frozen=True)
class CudnnPair:
    cudnn_major: int
    cuda_major: int
    pip_package: str | None
    source: str


@dataclass(frozen=True)
class CudnnRelease:
    """One cuDNN package of one release, as NVIDIA's support matrix lists it."""

    cudnn: str  # "9.10.2"
    cuda_major: int
    cuda: tuple[str, ...]  # the CUDA toolkits it is built for / supports
    linux: str  # minimum Linux driver
    windows: str | None  # None: "N/A" in the matrix
    compute_capabilities: tuple[str, ...]
    note: str | None
    source: str


@dataclass(frozen=True)
class CudaSonames:
    """The sonames one CUDA release gives its runtime and math libraries (until the next row)."""

    cuda: str  # "11.1"
    sonames: dict[str, str]  # {"cufft": "libcufft.so.10", ...}
    source: str
    note: str | None = None


@dataclass(frozen=True)
class KerasBackend:
    name: str
    distributions: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class KerasRelease:
    version: str  # "3.15.0"
    date: str  # the tag's commit date
    python_min: str
    backend_min: dict[str, str] | None  # {"tensorflow": "2.16.1", …}; None: not published
    source: str
    backend_source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class JaxRelease:
    version: str  # "0.9.2"
    date: str
    python_min: str
    plugins: tuple[str, ...]  # ("jax-cuda12-plugin", "jax-cuda13-plugin")
    cudnn: str | None  # the plugin's nvidia-cudnn pin (">=9.8,<10.0"); None: set at build time
    min_compute_capability: dict[str, str]  # {"cuda12": "5.2", "cuda13": "7.5"}
    source: str
    plugin_source: str
    docs_source: str
    note: str | None = None


@dataclass(frozen=True)
class LegacyKerasUser:
    distribution: str
    note: str
    source: str


@dataclass(frozen=True)
class Fact:
    value: str
    note: str
    source: str


@dataclass(frozen=True)
class KnowledgeBase:
    toolkit_drivers: tuple[ToolkitDriver, ...]
    minor_compat: tuple[MinorCompat, ...]
    tensorflow: tuple[TensorflowRelease, ...]
    tensorflow_facts: dict[str, Fact]
    torch: tuple[TorchRelease, ...]
    torch_index_url: str
    gpus: tuple[GpuModel, ...]
    cuda_arch_support: tuple[CudaArchSupport, ...]
    cudnn: tuple[CudnnPair, ...]
    keras_backends: tuple[KerasBackend, ...]
    legacy_keras_users: tuple[LegacyKerasUser, ...]
    torch_announced: tuple[AnnouncedTorch, ...] = ()
    torch_unknown: tuple[UnknownTorchVariant, ...] = ()
    cudnn_releases: tuple[CudnnRelease, ...] = ()
    keras_releases: tuple[KerasRelease, ...] = ()
    jax: tuple[JaxRelease, ...] = ()
    sonames: tuple[CudaSonames, ...] = ()
    cuda_newest_arch: tuple[CudaNewestArch, ...] = ()
    as_of: dict[str, AsOf] = field(default_factory=dict)  # per data file ("torch", "driver", …)


TABLE_FILES = ("driver", "tensorflow", "torch", "gpus", "cudnn", "keras", "jax", "sonames")


def read_text(filename: str) -> str:
    """The text of the knowledge-base file data/<filename> (OSError when it cannot be read)."""
    return resources.files("dlenv.kb").joinpath("data").joinpath(filename).read_text("utf-8")


def read_data(name: str) -> Any:
    """The parsed JSON of the knowledge-base file data/<name>.json; unreadable is a DlenvError."""
    try:
        return json.loads(read_text(f"{name}.json"))
    except (OSError, ValueError) as exc:
        raise DlenvError(f"knowledge base file {name}.json is unreadable: {exc}") from None


def _variant(row: dict[str, Any]) -> TorchVariant:
    arch = row.get("arch_list")
    return TorchVariant(
        name=row["name"],
        cuda=row["cuda"],
        cudnn=row.get("cudnn"),
        arch_list=tuple(arch) if arch is not None else None,
        experimental=bool(row.get("experimental", False)),
        arch_source=row.get("arch_source"),
        source=row.get("source"),
    )


def _minor_compat(row: dict[str, Any]) -> MinorCompat:
    other = row.get("windows_other")
    return MinorCompat(**{**row, "windows_other": OtherFloor(**other) if other else None})


def _as_of(files: dict[str, Any]) -> dict[str, AsOf]:
    return {name: AsOf(**data["as_of"]) for name, data in files.items() if "as_of" in data}


@cache
def load() -> KnowledgeBase:
    """The whole knowledge base, parsed once per process (about a millisecond)."""
    files = {n: read_data(n) for n in TABLE_FILES}
    driver, tf, torch, gpus, cudnn, keras, jax, sonames = (files[n] for n in TABLE_FILES)
    return KnowledgeBase(
        toolkit_drivers=tuple(ToolkitDriver(**r) for r in driver["toolkits"]),
        minor_compat=tuple(_minor_compat(r) for r in driver["minor_version_compatibility"]),
        tensorflow=tuple(TensorflowRelease(**r) for r in tf["releases"]),
        tensorflow_facts={k: Fact(**v) for k, v in tf["facts"].items()},
        torch=tuple(
            TorchRelease(
                version=r["version"],
                python_min=r["python_min"],
                python_max=r["python_max"],
                default_variant=r.get("default_variant"),
                variants=tuple(_variant(v) for v in r["variants"]),
                source=r["source"],
                default_source=r.get("default_source"),
            )
            for r in torch["releases"]
        ),
        torch_index_url=torch["index_url"],
        gpus=tuple(GpuModel(**{**r, "aliases": tuple(r.get("aliases", ()))}) for r in gpus["gpus"]),
        cuda_arch_support=tuple(CudaArchSupport(**r) for r in gpus["cuda_arch_support"]),
        cuda_newest_arch=tuple(CudaNewestArch(**r) for r in gpus.get("cuda_newest_arch", ())),
        cudnn=tuple(CudnnPair(**r) for r in cudnn["pairs"]),
        keras_backends=tuple(
            KerasBackend(r["name"], tuple(r["distributions"]), r["source"])
            for r in keras["backends"]
        ),
        legacy_keras_users=tuple(LegacyKerasUser(**r) for r in keras["legacy_keras_users"]),
        torch_announced=tuple(
            AnnouncedTorch(
                version=r["version"],
                variants=tuple((v["name"], v["cuda"]) for v in r["variants"]),
                default_variant=r.get("default_variant"),
                dropped=tuple(r.get("dropped", ())),
                note=r["note"],
                source=r["source"],
                date=r["date"],
            )
            for r in torch.get("announced", ())
        ),
        torch_unknown=tuple(UnknownTorchVariant(**r) for r in torch.get("unknown_variants", ())),
        cudnn_releases=tuple(
            CudnnRelease(
                **{
                    **r,
                    "cuda": tuple(r["cuda"]),
                    "compute_capabilities": tuple(r["compute_capabilities"]),
                }
            )
            for r in cudnn.get("releases", ())
        ),
        keras_releases=tuple(KerasRelease(**r) for r in keras.get("releases", ())),
        jax=tuple(
            JaxRelease(**{**r, "plugins": tuple(r["plugins"])}) for r in jax.get("releases", ())
        ),
        sonames=tuple(CudaSonames(**r) for r in sonames["releases"]),
        as_of=_as_of(files),
    )
