"""Typed questions to the knowledge base: which driver a CUDA needs, which PyTorch variant fits.

Every function answers `None` when the knowledge base does not know, so that callers can stay
silent instead of guessing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

from dlenv.kb.tables import (
    CudaArchSupport,
    CudaNewestArch,
    CudaSonames,
    GpuModel,
    JaxRelease,
    KerasRelease,
    MinorCompat,
    TensorflowRelease,
    ToolkitDriver,
    TorchRelease,
    TorchVariant,
    load,
)

_NUMERIC = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@functools.lru_cache(maxsize=4096)
def parse_version(text: str | None) -> Version | None:
    """The numeric release part of a version ("2.3.1+cu121" -> 2.3.1); None when unparsable
    (cached: the rules ask for the same few versions thousands of times)."""
    if not text:
        return None
    match = _NUMERIC.match(text)
    if not match:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:  # pragma: no cover - the regex only lets digits and dots through
        return None


def major_minor(text: str | None) -> tuple[int, int] | None:
    version = parse_version(text)
    if version is None:
        return None
    release = (*version.release, 0)
    return release[0], release[1]


def _is_windows(os_name: str | None) -> bool:
    return (os_name or "").lower().startswith("win")


@dataclass(frozen=True)
class DriverRequirement:
    """The oldest driver that runs code built with one CUDA version, and why."""

    cuda: str
    minimum: str
    minor_compat: bool  # True: the CUDA major's minor-version-compatibility floor
    toolkit_minimum: str | None  # what the toolkit release itself shipped with
    source: str


@functools.lru_cache(maxsize=512)
def toolkit_driver(cuda: str, os_name: str | None = "Linux") -> ToolkitDriver | None:
    """The driver row of a CUDA X.Y toolkit's first release (the GA row), or None (cached: the
    knowledge base is loaded once and never changes)."""
    wanted = major_minor(cuda)
    if wanted is None:
        return None
    rows = [r for r in load().toolkit_drivers if major_minor(r.cuda) == wanted]
    if _is_windows(os_name):
        rows = [r for r in rows if r.windows]
    if not rows:
        return None
    return min(rows, key=lambda r: parse_version(r.cuda) or Version("0"))


def driver_requirement(cuda: str, os_name: str | None = "Linux") -> DriverRequirement | None:
    """The minimum driver for code built with `cuda`, honouring minor-version compatibility."""
    mm = major_minor(cuda)
    if mm is None:
        return None
    windows = _is_windows(os_name)
    row = toolkit_driver(cuda, os_name)
    toolkit_min = (row.windows if windows else row.linux) if row else None
    if mm[0] >= 11:
        compat = next((c for c in load().minor_compat if c.cuda_major == mm[0]), None)
        floor = (compat.windows if windows else compat.linux) if compat else None
        if compat is None or floor is None:
            return None
        return DriverRequirement(cuda, floor, True, toolkit_min, compat.source)
    if row is None or toolkit_min is None:
        return None
    return DriverRequirement(cuda, toolkit_min, False, toolkit_min, row.source)


def driver_at_least(driver: str | None, minimum: str | None) -> bool | None:
    found, needed = parse_version(driver), parse_version(minimum)
    if found is None or needed is None:
        return None
    return found >= needed


def driver_runs_cuda(driver: str | None, cuda: str | None, os_name: str | None) -> bool | None:
    """Whether a driver runs code built with `cuda` (minor-version compatibility included)."""
    if cuda is None:
        return None
    req = driver_requirement(cuda, os_name)
    return driver_at_least(driver, req.minimum) if req else None


def max_toolkit_for_driver(driver: str | None, os_name: str | None = "Linux") -> str | None:
    """The newest CUDA X.Y whose own toolkit driver is not newer than `driver`."""
    found = parse_version(driver)
    if found is None:
        return None
    best: Version | None = None
    windows = _is_windows(os_name)
    for row in load().toolkit_drivers:
        minimum = parse_version(row.windows if windows else row.linux)
        version = parse_version(row.cuda)
        if minimum is None or version is None or minimum > found:
            continue
        if best is None or version > best:
            best = version
    return f"{best.release[0]}.{best.release[1]}" if best else None


# -- Versions beyond the tables -------------------------------------------------------------
HorizonTable = Literal["torch", "tensorflow", "cuda"]


@dataclass(frozen=True)
class Horizon:
    """A version newer than the last row of a table: checks that need the row are skipped."""

    table: HorizonTable
    version: str  # as installed: "2.17.0+cu132"
    last: str  # the table's newest row: "2.14"

    @property
    def subject(self) -> str:
        return "CUDA" if self.table == "cuda" else self.table

    @property
    def newer(self) -> str:
        """ "torch 2.17.0 is newer than dlenv's knowledge base (last row 2.14)"."""
        base = "dlenv's knowledge base"
        return f"{self.subject} {self.version} is newer than {base} (last row {self.last})"

    @property
    def message(self) -> str:
        """What a rule says instead of staying silent (an info-level note)."""
        return f"{self.newer}; checks that need the table are skipped"


def kb_last_version(table: HorizonTable) -> str:
    """The newest X.Y of a table: a torch or TensorFlow release, or a CUDA toolkit."""
    kb = load()
    versions = (
        [r.version for r in kb.torch]
        if table == "torch"
        else [r.version for r in kb.tensorflow]
        if table == "tensorflow"
        else [r.cuda for r in kb.toolkit_drivers]
    )
    newest = max((mm for v in versions if (mm := major_minor(v)) is not None), default=(0, 0))
    return f"{newest[0]}.{newest[1]}"


def newer_than_kb(table: HorizonTable, version: str | None) -> Horizon | None:
    """`Horizon` when `version` (release, nightly or rc) is newer than the table's last row.

    Rules that find no row for a version use it to say why they are silent (an info-level
    note), instead of treating the version as unknown or guessing from an older row.
    """
    found, last = major_minor(version), kb_last_version(table)
    newest = major_minor(last)
    if version is None or found is None or newest is None or found <= newest:
        return None
    return Horizon(table, version.strip(), last)


# -- PyTorch ---------------------------------------------------------------------------------
def torch_release(version: str | None) -> TorchRelease | None:
    mm = major_minor(version)
    return next((r for r in load().torch if major_minor(r.version) == mm), None)


def newest_torch_release() -> TorchRelease | None:
    """The newest PyTorch release in the knowledge base (with its variants)."""
    return max(load().torch, key=lambda r: major_minor(r.version) or (0, 0), default=None)


def torch_variant(version: str | None, variant: str | None) -> TorchVariant | None:
    release = torch_release(version)
    if release is None or not variant:
        return None
    return next((v for v in release.variants if v.name == variant), None)


def installed_torch_variant(
    version: str | None, variant: str | None, cuda: str | None, os_name: str | None
) -> tuple[TorchVariant, bool] | None:
    """The knowledge base's row for an installed torch, and whether it was inferred.

    The variant tag (`+cu121`, or the one the probe derived from torch/version.py) decides.
    Without one, an untagged Linux version is PyPI's default build of that release (`pip install
    torch==1.2.0` is the CUDA 10.0 build), when the CUDA version reported with it, if any, agrees.
    Windows and macOS wheels on PyPI are CPU-only, so nothing is inferred there.
    """
    if variant:
        row = torch_variant(version, variant)
        return (row, False) if row is not None else None
    release = torch_release(version)
    if release is None or release.default_variant is None or "+" in (version or ""):
        return None
    if (os_name or "").lower() != "linux":
        return None
    row = torch_variant(version, release.default_variant)
    if row is None or (cuda is not None and major_minor(cuda) != major_minor(row.cuda)):
        return None
    return row, True


def torch_index_url(variant: str) -> str:
    return load().torch_index_url.format(variant=variant)


def variant_for_cuda(cuda: str | None) -> str | None:
    """ "12.1" -> "cu121"."""
    mm = major_minor(cuda)
    return f"cu{mm[0]}{mm[1]}" if mm else None


ArchFit = Literal["native", "ptx", "none"]


def arch_fit(arch_list: tuple[str, ...] | list[str], cc: str | None) -> ArchFit | None:
    """How kernels in `arch_list` run on a GPU of compute capability `cc`.

    "native": a cubin for the same major and a minor not above the GPU's (PyTorch's own test,
    binary compatibility within a major); "ptx": only PTX (compute_XY) not newer than the GPU,
    JIT-compiled at start-up, and PyTorch still warns; "none": nothing runs.
    """
    mm = major_minor(cc)
    if mm is None or not arch_list:
        return None
    gpu = mm[0] * 10 + mm[1]
    ptx = False
    for arch in arch_list:
        kind, _, digits = arch.partition("_")
        if not digits.isdigit():
            continue
        code = int(digits)
        major, minor = divmod(code, 10)
        if kind == "sm" and major == mm[0] and minor <= mm[1]:
            return "native"
        if kind == "compute" and code <= gpu:
            ptx = True
    return "ptx" if ptx else "none"


def _variant_runs_on(variant: TorchVariant, cc: str, release: str | None = None) -> bool:
    if variant.arch_list is not None:
        return arch_fit(variant.arch_list, cc) == "native"
    support = cuda_arch_support(variant.cuda)
    gpu, low, high = major_minor(cc), None, None
    if support is not None:
        low, high = major_minor(support.min_cc), major_minor(support.max_cc)
    floor = _verified_floor(release) if release else None
    if low is not None and floor is not None:
        low = max(low, floor)  # torch's own builds start higher than their CUDA can
    return gpu is not None and low is not None and high is not None and low <= gpu <= high


@functools.lru_cache(maxsize=256)
def _verified_floor(version: str) -> tuple[int, int] | None:
    """The lowest architecture in any verified build of this torch release, or of the newest
    older release with one. torch has never brought back an architecture it dropped, so a build
    whose list is not verified starts no lower (torch 2.3's cu118 build has no sm_35, although
    CUDA 11.8 still compiles for it)."""
    mm = major_minor(version)
    if mm is None:
        return None
    best: tuple[tuple[int, int], tuple[int, int]] | None = None
    for r in load().torch:
        rm = major_minor(r.version)
        if rm is None or rm > mm or (best is not None and rm <= best[0]):
            continue
        lows = [
            (int(d[:-1]), int(d[-1]))
            for v in r.variants
            if v.arch_list
            for a in v.arch_list
            if a.startswith("sm_") and len(d := a[3:]) >= 2 and d.isdigit()
        ]
        if lows:
            best = (rm, min(lows))
    return best[1] if best else None


def best_torch_variant(
    torch_version: str | None,
    driver: str | None,
    os_name: str | None,
    compute_capabilities: list[str] | None = None,
    max_cuda: str | None = None,
) -> TorchVariant | None:
    """The newest CUDA variant of this PyTorch release that the driver runs and the GPUs fit
    (and, with `max_cuda`, built with a CUDA no newer than it).

    Stable variants, and the variant PyPI ships by default (what most users run, even where
    PyTorch's release matrix calls it experimental), are preferred over experimental ones.
    Where a variant's architecture list is not verified, the CUDA major's supported range of
    compute capabilities stands in for it.
    """
    release = torch_release(torch_version)
    if release is None:
        return None
    ccs = [c for c in (compute_capabilities or []) if c]
    ceiling = major_minor(max_cuda)
    fitting: list[TorchVariant] = []
    for variant in release.variants:
        if driver is not None and not driver_runs_cuda(driver, variant.cuda, os_name):
            continue
        cuda = major_minor(variant.cuda)
        if ceiling is not None and (cuda is None or cuda > ceiling):
            continue
        if ccs and not all(_variant_runs_on(variant, cc, release.version) for cc in ccs):
            continue
        fitting.append(variant)
    if not fitting:
        return None

    def preference(v: TorchVariant) -> tuple[bool, Version]:
        trusted = not v.experimental or v.name == release.default_variant
        return trusted, parse_version(v.cuda) or Version("0")

    return max(fitting, key=preference)


def default_torch_builds_running(cc: str) -> list[tuple[str, bool]]:
    """Each torch release in the knowledge base, oldest first, and whether its default CUDA
    build (the one the PyTorch site and PyPI hand out) has native code for compute capability
    `cc`."""
    out = []
    for release in sorted(load().torch, key=lambda r: major_minor(r.version) or (0, 0)):
        row = torch_variant(release.version, release.default_variant)
        if row is not None and row.arch_list is not None:
            out.append((release.version, arch_fit(row.arch_list, cc) == "native"))
    return out


def newest_torch_for(
    driver: str | None,
    os_name: str | None,
    compute_capabilities: list[str] | None = None,
    max_cuda: str | None = None,
    below: str | None = None,
) -> tuple[TorchRelease, TorchVariant] | None:
    """The newest PyTorch release (older than `below`, when given) with a variant that
    `best_torch_variant` accepts: where no build of the installed release fits, the newest one
    that does."""
    limit = major_minor(below)
    releases = sorted(load().torch, key=lambda r: major_minor(r.version) or (0, 0), reverse=True)
    for release in releases:
        mm = major_minor(release.version)
        if limit is not None and (mm is None or mm >= limit):
            continue
        variant = best_torch_variant(
            release.version, driver, os_name, compute_capabilities, max_cuda
        )
        if variant is not None:
            return release, variant
    return None


def python_in_range(python: str | None, low: str, high: str) -> bool | None:
    mm = major_minor(python)
    lo, hi = major_minor(low), major_minor(high)
    if mm is None or lo is None or hi is None:
        return None
    return lo <= mm <= hi


# -- TensorFlow ------------------------------------------------------------------------------
def tensorflow_release(version: str | None) -> TensorflowRelease | None:
    mm = major_minor(version)
    return next((r for r in load().tensorflow if major_minor(r.version) == mm), None)


def newest_tensorflow_release() -> TensorflowRelease | None:
    """The newest TensorFlow release in the knowledge base."""
    return max(load().tensorflow, key=lambda r: major_minor(r.version) or (0, 0), default=None)


def tensorflow_fact(name: str) -> str:
    return load().tensorflow_facts[name].value


def version_at_least(version: str | None, floor: str) -> bool | None:
    found, needed = major_minor(version), major_minor(floor)
    if found is None or needed is None:
        return None
    return found >= needed


# -- GPUs, cuDNN, Keras ----------------------------------------------------------------------
_GLUED_SERIES = re.compile(r"\b(rtx|gtx|gt|mx)(?=\d{2,4}\b)")  # "GTX780", "RTX3090"
# a suffix glued to the model number: "3060ti", "RTX3060TI", "1660super", "5090D" (China's
# variant of the same chip)
_GLUED_SUFFIX = re.compile(r"(?<=\d)(ti|super|d)\b")


# a data-centre Kepler/Maxwell/Pascal board's variant letter: "Tesla K40c" (active cooling),
# "K20m"/"K40m" (passive), "K20Xm": the same chip as the table's "Tesla K40", "Tesla K20X"
_BOARD_VARIANT = re.compile(r"\b([kmp]\d{2}x?)[cm]\b")


def _normalise_gpu(name: str) -> str:
    text = name.lower().replace("nvidia", " ").replace("-", " ").replace("_", " ")
    text = _GLUED_SUFFIX.sub(lambda m: f" {m.group(1) or 'super'}", text)
    text = _BOARD_VARIANT.sub(r"\1", text)
    return " ".join(_GLUED_SERIES.sub(r"\1 ", text).split())


# a GeForce 8/9 series name: a four-digit number, then its suffix (the suffix came after it
# until the GT 200 series put it first)
_SUFFIXED = re.compile(r"[89]\d00 (?:gs|gso|gt|gts|gtx|gx2|ultra)")


def _gpu_keys(model: GpuModel) -> list[str]:
    """The names a GPU is written as: its table names, and the GeForce ones as people write
    them ("RTX 5090", "GTX 1080 Ti", "GT 730", "Titan X", "GeForce 1660"), which still name one
    card."""
    keys = []
    for n in (model.name, *model.aliases):
        key = _normalise_gpu(n)
        keys.append(key)
        short = key.removeprefix("geforce ")
        if short != key and _SUFFIXED.fullmatch(short):
            keys.append(short)  # a pre-Fermi card by number and suffix: "8400 GS", "9800 GTX"
        tesla = key.removeprefix("tesla ")
        if tesla != key and re.fullmatch(r"[kmpv]\d{2,3}[a-z]?", tesla):
            keys.append(tesla)  # a data-centre board by its number: "a K80", "P100", "M40"
        if short != key and short.startswith("mx"):
            keys.append(short)  # "MX150", "MX 250": GeForce's MX line by its own name
        if short != key and short.startswith(("rtx ", "gtx ", "gt ")):
            keys.append(short)
            if short.startswith(("rtx ", "gtx ")) and short[4:5].isdigit():
                keys.append("geforce " + short[4:])  # "GeForce 1660 Super", "GeForce 3080"
            if short.startswith("gtx titan"):
                keys.append(short.removeprefix("gtx "))
    return keys


# gpu_model's lookup table (each GPU's keys, for the knowledge base loaded) and its answers
_GPU_KEYS: dict[str, Any] = {}


def gpu_model(name: str | None) -> GpuModel | None:
    """The knowledge base's entry for a GPU name ("NVIDIA GeForce RTX 4090" -> 8.9).

    Names are compared as whole words after dropping "NVIDIA" and turning "-" into spaces, so
    what nvidia-smi prints matches ("A100-SXM4-80GB", "Tesla V100-SXM2-16GB", "H100 80GB
    HBM3"); the longest matching name wins ("GeForce GTX 1080 Ti" over "GeForce GTX 1080"), and
    a name never matches inside a longer word or model number ("GeForce 210" is not in
    "GeForce 2100"; "Jetson Nano" is not "Jetson Orin Nano"). Aliases count as names, and a
    GeForce RTX/GTX name also without "GeForce" ("RTX 5090").
    """
    if not name:
        return None
    kb = load()
    if _GPU_KEYS.get("kb") is not kb:  # built once per loaded knowledge base
        _GPU_KEYS["kb"] = kb
        _GPU_KEYS["keys"] = [(f" {key} ", m) for m in kb.gpus for key in _gpu_keys(m)]
        _GPU_KEYS["names"] = {}
    names: dict[str, GpuModel | None] = _GPU_KEYS["names"]
    if name in names:
        return names[name]
    text = f" {_normalise_gpu(name)} "
    best: tuple[int, GpuModel] | None = None
    for key, model in _GPU_KEYS["keys"]:
        if key in text and (best is None or len(key) > best[0]):
            best = (len(key), model)
    found = best[1] if best else None
    if len(names) < 4096:  # names come from pastes: bounded
        names[name] = found
    return found


def gpu_compute_capability(name: str | None, reported: str | None = None) -> str | None:
    """The GPU's compute capability: as reported (NVML), else from the table by name."""
    if reported:
        return reported
    model = gpu_model(name)
    return model.compute_capability if model else None


def cuda_arch_support(cuda: str | None) -> CudaArchSupport | None:
    mm = major_minor(cuda)
    if mm is None:
        return None
    return next((a for a in load().cuda_arch_support if a.cuda_major == mm[0]), None)


def cuda_newest_arch(cuda: str | None) -> CudaNewestArch | None:
    """The newest architecture CUDA `cuda` ("10.2") can build for: the knowledge base's row at
    or below that release (None: older than every row, or not a version)."""
    mm = major_minor(cuda)
    if mm is None:
        return None
    rows = [r for r in load().cuda_newest_arch if (major_minor(r.cuda) or (99, 0)) <= mm]
    return max(rows, key=lambda r: major_minor(r.cuda) or (0, 0), default=None)


def cudnn_pip_package(cudnn_major: int, cuda_major: int) -> str | None:
    pair = next(
        (p for p in load().cudnn if p.cudnn_major == cudnn_major and p.cuda_major == cuda_major),
        None,
    )
    return pair.pip_package if pair else None


def cuda_sonames(cuda: str | None) -> CudaSonames | None:
    """The sonames of the CUDA release `cuda` ("11.2"; a bare major "12" means its newest
    row): the row of the same major at or below it."""
    mm = major_minor(cuda)
    if cuda is None or mm is None:
        return None
    rows = sorted(
        (r for r in load().sonames if (major_minor(r.cuda) or (0, 0))[0] == mm[0]),
        key=lambda r: major_minor(r.cuda) or (0, 0),
    )
    if not rows:
        return None
    if "." not in cuda.strip():
        return rows[-1]
    fitting = [r for r in rows if (major_minor(r.cuda) or (0, 0)) <= mm]
    return fitting[-1] if fitting else rows[0]


def soname_major(library: str, cuda: str | None) -> int | None:
    """The major version of `library` ("cufft") that CUDA release `cuda` ships: its soname's
    first number (libcufft.so.10 in CUDA 11, .so.11 in CUDA 12)."""
    row = cuda_sonames(cuda)
    name = row.sonames.get(library) if row else None
    if name is None:
        return None
    head = name.rsplit(".so.", 1)[-1].split(".")[0]
    return int(head) if head.isdigit() else None


def keras_backend_distributions(backend: str) -> tuple[str, ...] | None:
    entry = next((b for b in load().keras_backends if b.name == backend), None)
    return entry.distributions if entry else None


def keras_release(version: str | None) -> KerasRelease | None:
    """The Keras 3 release row for "3.13.0" or "3.13" (its X.Y.0 tag), or None."""
    mm = major_minor(version)
    return next((k for k in load().keras_releases if major_minor(k.version) == mm), None)


def jax_release(version: str | None) -> JaxRelease | None:
    """The newest recorded JAX release not newer than `version` within its X.Y ("0.9.1" ->
    0.9.0's row), or None when no release of that X.Y is recorded."""
    wanted = parse_version(version)
    mm = major_minor(version)
    rows = [
        r
        for r in load().jax
        if major_minor(r.version) == mm
        and wanted is not None
        and (parse_version(r.version) or wanted) <= wanted
    ]
    return max(rows, key=lambda r: parse_version(r.version) or Version("0"), default=None)


def legacy_keras_users() -> tuple[str, ...]:
    return tuple(u.distribution for u in load().legacy_keras_users)


# -- What a driver runs ----------------------------------------------------------------------
def is_driver_version(text: str | None) -> bool:
    """ "570.133.07", "580.88" are drivers; "12.4", "13.0.2" are CUDA versions (major < 100)."""
    version = parse_version(text)
    return version is not None and version.release[0] >= 100


def minor_compat_floor(cuda: str | None) -> MinorCompat | None:
    """The minor-version-compatibility row of `cuda`'s major (CUDA 11 and later), or None."""
    mm = major_minor(cuda)
    if mm is None:
        return None
    return next((c for c in load().minor_compat if c.cuda_major == mm[0]), None)


def cuda_majors_for_driver(driver: str | None, os_name: str | None = "Linux") -> list[int]:
    """CUDA majors whose minor-version-compatibility floor this driver meets, newest first."""
    windows = _is_windows(os_name)
    majors = []
    for compat in load().minor_compat:
        floor = compat.windows if windows else compat.linux
        if driver_at_least(driver, floor):
            majors.append(compat.cuda_major)
    return sorted(majors, reverse=True)


@dataclass(frozen=True)
class DriverFit:
    """Which builds of one framework release a driver runs."""

    framework: str  # "torch" or "tensorflow"
    version: str  # "2.9"
    builds: tuple[str, ...]  # ("cu126", "cu128") or ("CUDA 12.5",)
    refused: tuple[str, ...]  # builds that need a newer driver


def framework_builds_for_driver(driver: str, os_name: str | None = "Linux") -> list[DriverFit]:
    """For each torch and TensorFlow release in the tables, the CUDA builds `driver` runs
    (minor-version compatibility included, exactly as the rules judge it)."""
    out: list[DriverFit] = []
    for release in load().torch:
        ok = tuple(v.name for v in release.variants if driver_runs_cuda(driver, v.cuda, os_name))
        no = tuple(v.name for v in release.variants if v.name not in ok)
        out.append(DriverFit("torch", release.version, ok, no))
    for tf in load().tensorflow:
        runs = driver_runs_cuda(driver, tf.cuda, os_name)
        build = f"CUDA {tf.cuda}"
        out.append(
            DriverFit("tensorflow", tf.version, (build,) if runs else (), () if runs else (build,))
        )
    return out


def kb_date() -> str | None:
    """The date of the knowledge base: its newest dated source over every table (None: no
    table is dated), the one reading `dlenv --version` prints too."""
    from dlenv.knowledge_date import knowledge_base_date

    return knowledge_base_date()


def cudnn_supports(cudnn: str | None, cuda: str | None, cc: str | None) -> bool | None:
    """Whether NVIDIA's support matrix lists a package of cuDNN `cudnn` (X.Y.Z) built for
    `cuda` (X.Y) that supports compute capability `cc`; None when the release is not recorded."""
    version, toolkit, gpu = parse_version(cudnn), major_minor(cuda), major_minor(cc)
    if version is None or toolkit is None or gpu is None:
        return None
    rows = [r for r in load().cudnn_releases if parse_version(r.cudnn) == version]
    if not rows:
        return None
    return any(
        toolkit in {major_minor(c) for c in r.cuda}
        and gpu in {major_minor(c) for c in r.compute_capabilities}
        for r in rows
    )
