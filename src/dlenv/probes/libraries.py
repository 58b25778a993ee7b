"""Which cudart/cuBLAS/cuDNN/NCCL file the loader would give each framework, predicted unloaded.

Follows ld.so's order: DT_RPATH (when there is no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the
ld.so cache, the default dirs. The search paths come from the framework's real ELF dynamic section
when it can be read cheaply (a few MiB at the head of the file), else from its documented layout.
"""

from __future__ import annotations

import posixpath
import re
import struct
from dataclasses import dataclass, field

from dlenv.kb.queries import cuda_sonames, tensorflow_fact, version_at_least
from dlenv.probes.cuda import Listings, multiarch_dirs
from dlenv.probes.ldcache import LdCache, read_ld_cache
from dlenv.probes.target import TargetInterpreter
from dlenv.snapshot.model import (
    CudaFacts,
    FrameworkFacts,
    LibraryResolution,
    ResolvedLibrary,
)
from dlenv.system.base import System

ELF_READ_LIMIT = 4 << 20  # past this the dynamic section is too costly to reach: use the layout
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = (
    0,
    1,
    5,
    10,
    14,
    15,
    29,
)

# Libraries each framework needs from CUDA, in the order they are loaded.
FRAMEWORK_LIBRARIES: dict[str, tuple[str, ...]] = {
    "torch": ("cudart", "cublas", "cudnn", "nccl"),
    "tensorflow": ("cudart", "cublas", "cufft", "cusparse", "cusolver", "cudnn", "nccl"),
    "jax": ("cudart", "cublas", "cufft", "cusparse", "cusolver", "cudnn", "nccl"),
}

# The soname of each runtime/math library per CUDA release is knowledge-base data
# (kb/data/sonames.json): the math libraries version on their own (CUDA 11 ships
# libcufft.so.10, CUDA 12 libcufft.so.11), and before CUDA 11 the names carry the CUDA release.
NCCL_SONAME = "libnccl.so.2"  # NCCL 2.x for every CUDA major

# nvidia/<dir>/lib directories PyTorch's CUDA wheels put on their DT_RPATH (patchelf
# --force-rpath, "Set RPATH instead of RUNPATH ... to avoid LD_LIBRARY_PATH override"):
# https://github.com/pytorch/pytorch/blob/main/.ci/manywheel/build_cuda.sh
_TORCH_WHEEL_DIRS = (
    "cublas",
    "cuda_cupti",
    "cuda_nvrtc",
    "cuda_runtime",
    "cudnn",
    "cufft",
    "curand",
    "cusolver",
    "cusparse",
    "nccl",
    "nvjitlink",
    "nvtx",
)
# TensorFlow's and JAX's CUDA builds link with -Wl,-rpath='$ORIGIN/../../nvidia/<x>/lib' and
# '$ORIGIN/../nvidia/<x>/lib' (cuda_rpath_flags in tensorflow/xla), which Bazel's toolchain
# records as DT_RUNPATH: LD_LIBRARY_PATH wins over the wheels for them.
_TF_WHEEL_DIRS = (
    "cublas",
    "cuda_cupti",
    "cuda_nvcc",
    "cuda_nvrtc",
    "cuda_runtime",
    "cudnn",
    "cufft",
    "curand",
    "cusolver",
    "cusparse",
    "nccl",
    "nvjitlink",
)


@dataclass(frozen=True)
class ElfDynamic:
    """What an ELF file's dynamic section says about loading its dependencies."""

    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)  # raw, $ORIGIN not expanded
    runpath: list[str] = field(default_factory=list)
    soname: str | None = None


def read_elf_dynamic(system: System, path: str, limit: int = ELF_READ_LIMIT) -> ElfDynamic | None:
    """DT_NEEDED/RPATH/RUNPATH/SONAME of an ELF file; None when not ELF or too costly to reach."""
    head = system.read_bytes(path, limit=4096)
    if head is None or len(head) < 64 or head[:4] != b"\x7fELF":
        return None
    wide = head[4] == 2
    order = "<" if head[5] == 1 else ">"
    try:
        if wide:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "Q", head, 0x20)[0],
                *struct.unpack_from(order + "HH", head, 0x36),
            )
        else:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "I", head, 0x1C)[0],
                *struct.unpack_from(order + "HH", head, 0x2A),
            )
        table_end = phoff + phentsize * phnum
        if table_end > limit:
            return None
        data = head if table_end <= len(head) else system.read_bytes(path, limit=table_end)
        if data is None:
            return None
        loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        dynamic: tuple[int, int] | None = None
        for i in range(phnum):
            at = phoff + i * phentsize
            if wide:
                p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                    order + "IIQQQQ", data, at
                )
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                    order + "IIIII", data, at
                )
            if p_type == _PT_LOAD:
                loads.append((p_vaddr, p_offset, p_filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (p_offset, p_filesz)
        if dynamic is None:
            return ElfDynamic()  # statically linked
        dyn_end = dynamic[0] + dynamic[1]
        if dyn_end > limit:
            return None
        data = system.read_bytes(path, limit=dyn_end) if dyn_end > len(data) else data
        if data is None or len(data) < dyn_end:
            return None
        entry = struct.Struct(order + ("qQ" if wide else "iI"))
        tags: list[tuple[int, int]] = []
        for at in range(dynamic[0], dyn_end - entry.size + 1, entry.size):
            tag, value = entry.unpack_from(data, at)
            if tag == _DT_NULL:
                break
            tags.append((tag, value))
        strtab_vaddr = next((v for t, v in tags if t == _DT_STRTAB), None)
        strsz = next((v for t, v in tags if t == _DT_STRSZ), 0)
        if strtab_vaddr is None:
            return ElfDynamic()
        strtab = next(
            (off + strtab_vaddr - va for va, off, size in loads if va <= strtab_vaddr < va + size),
            None,
        )
        if strtab is None or strtab + strsz > limit:
            return None
        if strtab + strsz > len(data):
            data = system.read_bytes(path, limit=strtab + strsz) or b""
        strings = data[strtab : strtab + strsz]
    except struct.error:
        return None

    def text(offset: int) -> str:
        end = strings.find(b"\0", offset)
        return strings[offset : end if end >= 0 else len(strings)].decode("utf-8", "replace")

    def split(tag: int) -> list[str]:
        return [p for t, v in tags if t == tag for p in text(v).split(":") if p]

    soname = next((text(v) for t, v in tags if t == _DT_SONAME), None)
    return ElfDynamic(
        needed=[text(v) for t, v in tags if t == _DT_NEEDED],
        rpath=split(_DT_RPATH),
        runpath=split(_DT_RUNPATH),
        soname=soname,
    )


def expand_origin(entries: list[str], origin: str) -> list[str]:
    """Search dirs with $ORIGIN replaced by the directory of the object that carries them."""
    expanded = []
    for entry in entries:
        path = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
        expanded.append(posixpath.normpath(path))
    return expanded


# -- what the framework was built for --------------------------------------------------------------
def _cuda_major(fw: FrameworkFacts) -> int | None:
    if fw.cuda_version:
        head = fw.cuda_version.split(".", 1)[0]
        if head.isdigit():
            return int(head)
    match = re.match(r"^cu(\d+?)(\d)$", fw.variant or "")
    if match:
        return int(match.group(1))
    for requirement in fw.requires:
        match = re.search(r"nvidia-[a-z-]+-cu(\d+)", requirement)
        if match:
            return int(match.group(1))
    return None


def _cudnn_major(fw: FrameworkFacts, cuda: CudaFacts) -> tuple[int | None, str | None]:
    if fw.cudnn_version:
        head = fw.cudnn_version.split(".", 1)[0]
        if head.isdigit():
            return int(head), None
    for requirement in fw.requires:
        match = re.search(r"nvidia-cudnn(?:-cu\d+)?\s*(?:==|>=|~=)\s*(\d+)", requirement)
        if match:
            return int(match.group(1)), None
    wheel = next((p for p in cuda.pip_packages if p.name.startswith("nvidia-cudnn")), None)
    if wheel and wheel.version.split(".", 1)[0].isdigit():
        return int(wheel.version.split(".", 1)[0]), None
    return None, f"the cuDNN version {fw.name} was built for is unknown"


def _cuda_release(fw: FrameworkFacts) -> str | None:
    """The CUDA release the framework was built with ("11.2"), or only its major ("12")."""
    if fw.cuda_version and fw.cuda_version.split(".", 1)[0].isdigit():
        return fw.cuda_version
    match = re.match(r"^cu(\d+?)(\d)$", fw.variant or "")
    if match:
        return f"{match.group(1)}.{match.group(2)}"
    major = _cuda_major(fw)
    return str(major) if major is not None else None


def _loads_nccl(fw: FrameworkFacts) -> bool:
    """Whether the build loads libnccl.so.2 at run time. TensorFlow's release wheels built NCCL
    from source and linked it in ("TF_NCCL_VERSION: installed NCCL version or empty to build
    from source", third_party/nccl/nccl_configure.bzl) until `tensorflow[and-cuda]` (2.14)
    brought NVIDIA's wheels, nvidia-nccl-cu12 among them."""
    if fw.name != "tensorflow":
        return True
    return version_at_least(fw.version, tensorflow_fact("and_cuda_extra_since")) is not False


def sonames(fw: FrameworkFacts, cuda: CudaFacts) -> list[tuple[str, str | None, str | None]]:
    """(library, soname or None, reason when None) for each library the framework loads."""
    major = _cuda_major(fw)
    row = cuda_sonames(_cuda_release(fw))
    result: list[tuple[str, str | None, str | None]] = []
    for name in FRAMEWORK_LIBRARIES[fw.name]:
        if name == "nccl":
            if not _loads_nccl(fw):
                continue
            result.append((name, NCCL_SONAME, None))
        elif name == "cudnn":
            cudnn, why = _cudnn_major(fw, cuda)
            result.append((name, f"libcudnn.so.{cudnn}" if cudnn else None, why))
        elif row is None or name not in row.sonames:
            known = f"CUDA {major}" if major else "an unknown CUDA version"
            result.append((name, None, f"{fw.name} was built for {known}: no soname known"))
        else:
            result.append((name, row.sonames[name], None))
    return result


# -- the search path ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stage:
    label: str  # "DT_RPATH", "LD_LIBRARY_PATH", "DT_RUNPATH", "default dirs"
    dirs: tuple[str, ...]


@dataclass(frozen=True)
class _LoadingObject:
    """The framework library whose dynamic section decides the search, and where it came from."""

    path: str
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    source: str  # "ELF" or "documented layout"


def _site_of(fw: FrameworkFacts, target: TargetInterpreter) -> str | None:
    if fw.location:
        return posixpath.dirname(fw.location.rstrip("/"))
    dist = target.distribution(fw.distribution)
    return dist.location if dist else None


def _loading_object(
    system: System, fw: FrameworkFacts, target: TargetInterpreter, cuda_major: int | None
) -> _LoadingObject | None:
    site = _site_of(fw, target)
    if site is None:
        return None
    nvidia = posixpath.join(site, "nvidia")
    if fw.name == "torch":
        # libtorch_global_deps.so is tiny and patched with the same rpath as libtorch_cuda.so
        origin = posixpath.join(site, "torch", "lib")
        path = posixpath.join(origin, "libtorch_global_deps.so")
        subdirs: tuple[str, ...] = (
            ("cu13", "cudnn", "nccl", "nvshmem", "cusparselt")
            if (cuda_major or 0) >= 13
            else _TORCH_WHEEL_DIRS
        )
        layout_rpath = (*(posixpath.join(nvidia, d, "lib") for d in subdirs), origin)
        layout_runpath: tuple[str, ...] = ()
    else:
        if fw.name == "tensorflow":
            origin = posixpath.join(site, "tensorflow", "python")
            path = posixpath.join(origin, "_pywrap_tensorflow_internal.so")
        else:
            origin = posixpath.join(site, "jax_plugins", f"xla_cuda{cuda_major or 12}")
            path = posixpath.join(origin, "xla_cuda_plugin.so")
        subdirs = ("cu13", "cudnn", "nccl") if (cuda_major or 0) >= 13 else _TF_WHEEL_DIRS
        layout_rpath = ()
        wheel_dirs = (
            posixpath.normpath(posixpath.join(base, d, "lib"))
            for d in subdirs
            for base in (nvidia, posixpath.join(origin, "..", "nvidia"))
        )
        layout_runpath = (*wheel_dirs, posixpath.normpath(posixpath.join(origin, "..")), origin)
    elf = read_elf_dynamic(system, path)
    if elf is not None:
        return _LoadingObject(
            path,
            tuple(expand_origin(elf.rpath, origin)),
            tuple(expand_origin(elf.runpath, origin)),
            "ELF",
        )
    return _LoadingObject(path, layout_rpath, layout_runpath, "documented layout")


def _default_dirs(listings: Listings) -> tuple[str, ...]:
    # glibc's trusted dirs: Debian/Ubuntu build it with the multiarch dirs first
    dirs = [*multiarch_dirs(listings), "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    return tuple(d for d in dirs if listings.names(d))


def _stages(
    system: System,
    obj: _LoadingObject | None,
    python_rpath: tuple[str, ...],
    listings: Listings,
) -> list[_Stage]:
    stages = []
    if obj is not None and not obj.runpath:
        # DT_RPATH of the object, then of the objects that loaded it up to the executable
        stages.append(_Stage("DT_RPATH", obj.rpath + python_rpath))
    elif obj is None and python_rpath:
        stages.append(_Stage("DT_RPATH", python_rpath))
    ld_path = system.env.get("LD_LIBRARY_PATH", "")
    # empty entries mean the current directory to ld.so
    entries = [posixpath.normpath(e) if e else system.cwd() for e in ld_path.split(":")]
    stages.append(_Stage("LD_LIBRARY_PATH", tuple(entries) if ld_path else ()))
    if obj is not None and obj.runpath:
        stages.append(_Stage("DT_RUNPATH", obj.runpath))
    return stages


@dataclass(frozen=True)
class _Hit:
    path: str
    via: str


def resolve_libraries(
    system: System,
    target: TargetInterpreter,
    frameworks: list[FrameworkFacts],
    cuda: CudaFacts,
) -> list[LibraryResolution]:
    """For each CUDA build of torch/tensorflow/jax, the file the loader would pick per library."""
    wanted = [f for f in frameworks if f.name in FRAMEWORK_LIBRARIES and f.cuda_build]
    if not wanted or system.platform != "linux":
        return []
    listings = Listings(system)
    cache = read_ld_cache(system)
    machine = target.facts.machine
    defaults = _default_dirs(listings)
    python_rpath = _python_rpath(system, target)
    owners = _owners(cuda, listings)
    resolutions = []
    for fw in wanted:
        major = _cuda_major(fw)
        obj = _loading_object(system, fw, target, major)
        stages = _stages(system, obj, python_rpath, listings)
        libraries = []
        for name, soname, why in sonames(fw, cuda):
            if soname is None:
                libraries.append(ResolvedLibrary(name=name, soname="", reason=why))
                continue
            libraries.append(
                _resolve_one(
                    name, soname, fw, obj, stages, cache, machine, defaults, listings, owners
                )
            )
        resolutions.append(LibraryResolution(framework=fw.name, libraries=libraries))
    return resolutions


def _python_rpath(system: System, target: TargetInterpreter) -> tuple[str, ...]:
    # conda's python carries DT_RPATH $ORIGIN/../lib: the env's lib/ joins every RPATH search
    exe = target.facts.executable
    if not exe:
        return ()
    real = system.realpath(exe)
    elf = read_elf_dynamic(system, real)
    if elf is None or elf.runpath:
        return ()
    return tuple(expand_origin(elf.rpath, posixpath.dirname(real)))


def _owners(cuda: CudaFacts, listings: Listings) -> dict[str, tuple[str, str]]:
    """Real path of a library file -> (label of what provides it, its version)."""
    owners: dict[str, tuple[str, str]] = {}
    for package in cuda.pip_packages:
        for path in package.libraries:
            owners[listings.realpath(path)] = (f"pip wheel {package.name}", package.version)
    for install in cuda.cudnn:
        for path in install.libraries:
            if install.version:
                label = install.package or install.path
                owners.setdefault(listings.realpath(path), (label, install.version))
    for toolkit in cuda.toolkits:
        for path in toolkit.cudart:
            if toolkit.version:
                owners.setdefault(listings.realpath(path), (toolkit.path, toolkit.version))
    return owners


def _resolve_one(
    name: str,
    soname: str,
    fw: FrameworkFacts,
    obj: _LoadingObject | None,
    stages: list[_Stage],
    cache: LdCache,
    machine: str | None,
    defaults: tuple[str, ...],
    listings: Listings,
    owners: dict[str, tuple[str, str]],
) -> ResolvedLibrary:
    hits: list[_Hit] = []
    looked: list[str] = []
    bundled_dir = posixpath.dirname(obj.path) if obj and fw.name == "torch" else None
    for stage in stages:
        if not stage.dirs:
            looked.append(f"{stage.label} (unset)" if stage.label == "LD_LIBRARY_PATH" else "")
            continue
        looked.append(f"{stage.label} ({_describe_dirs(stage.dirs, listings)})")
        for directory in stage.dirs:
            if soname in listings.names(directory):
                path = posixpath.join(directory, soname)
                via = _via(stage.label, listings.realpath(path), directory, bundled_dir, owners)
                hits.append(_Hit(path, via))
    entries = cache.lookup(soname, machine)
    if cache.error:
        looked.append(f"ld.so.cache ({cache.error})")
    else:
        looked.append(f"ld.so.cache ({cache.source}: {len(entries)} entries for {soname})")
    for entry in entries:
        if posixpath.basename(entry.path) in listings.names(posixpath.dirname(entry.path)):
            hits.append(_Hit(entry.path, "ld.so.cache"))
    looked.append(f"default dirs ({', '.join(defaults)})")
    for directory in defaults:
        if soname in listings.names(directory):
            hits.append(_Hit(posixpath.join(directory, soname), "default dir"))
    unique: list[_Hit] = []
    seen: set[str] = set()
    for hit in hits:
        real = listings.realpath(hit.path)
        if real not in seen:
            seen.add(real)
            unique.append(hit)
    if not unique:
        where = "; ".join(x for x in looked if x)
        return ResolvedLibrary(
            name=name, soname=soname, reason=f"{soname} not found; looked in {where}"
        )
    chosen = unique[0]
    return ResolvedLibrary(
        name=name,
        soname=soname,
        path=chosen.path,
        version=_version(chosen.path, soname, listings, owners),
        via=chosen.via,
        candidates=[h.path for h in unique[1:]],
    )


def _describe_dirs(dirs: tuple[str, ...], listings: Listings) -> str:
    present = [d for d in dirs if listings.names(d)]
    missing = len(dirs) - len(present)
    text = ", ".join(present) if present else "none of them exists"
    return text + (f" and {missing} missing" if present and missing else "")


def _via(
    stage: str,
    path: str,
    directory: str,
    bundled_dir: str | None,
    owners: dict[str, tuple[str, str]],
) -> str:
    if stage == "LD_LIBRARY_PATH":
        return "LD_LIBRARY_PATH"
    if bundled_dir and directory == bundled_dir:
        return "bundled in torch/lib"
    owner = owners.get(path)
    if owner and owner[0].startswith("pip wheel"):
        return owner[0]
    return f"{stage} {directory}"


_SO_VERSION = re.compile(r"\.so\.(\d+(?:\.\d+)*)$")


def _version(
    path: str, soname: str, listings: Listings, owners: dict[str, tuple[str, str]]
) -> str | None:
    owner = owners.get(listings.realpath(path))
    if owner:
        return owner[1]
    for candidate in (listings.realpath(path), path):
        match = _SO_VERSION.search(posixpath.basename(candidate))
        if match:
            real_version = match.group(1)
            if len(real_version) > len(soname.rsplit(".so.", 1)[-1]) or candidate == path:
                return real_version
    return None
