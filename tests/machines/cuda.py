"""Machine fixtures for CUDA: toolkits, cuDNN, nvidia-* wheels, ld.so.cache and ELF files as data.

Each builder adds files to a FakeSystem the way the real installer lays them out, so a test can
say "CUDA 12.2 in /usr/local, torch cu121 with its wheels" in a few lines.
"""

from __future__ import annotations

import json
import struct

from dlenv.probes.target import TargetInterpreter
from dlenv.snapshot.model import Distribution, PythonFacts
from dlenv.system.fake import FakeSystem

SITE = "/venv/lib/python3.11/site-packages"


def system_toolkit(
    fs: FakeSystem,
    root: str,
    version: str,
    *,
    source: str = "json",
    cudart_file: str | None = None,
    nvcc: bool = True,
) -> FakeSystem:
    """A runfile/deb-style toolkit at `root`; `source` picks the one file that tells its version."""
    major, minor = (int(p) for p in version.split(".")[:2])
    soname_suffix = "11.0" if major == 11 else str(major)
    real = cudart_file or f"libcudart.so.{version if source == 'filename' else soname_suffix}"
    lib = f"{root}/targets/x86_64-linux/lib"
    fs.add_file(f"{lib}/{real}", b"\x7fELF")
    if real != f"libcudart.so.{soname_suffix}":
        fs.add_symlink(f"{lib}/libcudart.so.{soname_suffix}", real)
    fs.add_symlink(f"{root}/lib64", "targets/x86_64-linux/lib")
    fs.add_symlink(f"{root}/include", "targets/x86_64-linux/include")
    if source == "json":
        fs.add_file(f"{root}/version.json", json.dumps({"cuda": {"version": version}}))
    elif source == "txt":
        fs.add_file(f"{root}/version.txt", f"CUDA Version {version}\n")
    elif source == "header":
        number = major * 1000 + minor * 10
        fs.add_file(
            f"{root}/targets/x86_64-linux/include/cuda.h", f"#define CUDA_VERSION {number}\n"
        )
    if nvcc:
        fs.add_executable(f"{root}/bin/nvcc")
    return fs


def add_libs(fs: FakeSystem, directory: str, *names: str) -> FakeSystem:
    for name in names:
        fs.add_file(f"{directory}/{name}", b"\x7fELF")
    return fs


def cudnn_header(major: int, minor: int, patch: int) -> str:
    return (
        f"#define CUDNN_MAJOR {major}\n#define CUDNN_MINOR {minor}\n"
        f"#define CUDNN_PATCHLEVEL {patch}\n"
        "#define CUDNN_VERSION (CUDNN_MAJOR * 10000 + CUDNN_MINOR * 100 + CUDNN_PATCHLEVEL)\n"
    )


def pip_wheel(
    fs: FakeSystem,
    name: str,
    version: str,
    files: list[str],
    site: str = SITE,
) -> Distribution:
    """An installed wheel: its files under site-packages and a RECORD listing them."""
    for rel in files:
        fs.add_file(f"{site}/{rel}", b"\x7fELF")
    dist_info = f"{site}/{name.replace('-', '_')}-{version}.dist-info"
    record = (
        "".join(f"{rel},sha256=x,1\n" for rel in files) + f"{dist_info[len(site) + 1 :]}/RECORD,,\n"
    )
    fs.add_file(f"{dist_info}/RECORD", record)
    fs.add_file(f"{dist_info}/METADATA", f"Name: {name}\nVersion: {version}\n")
    return Distribution(name=name, version=version, location=site, installer="pip")


# what torch 2.1.2+cu121 pulls in (pip resolution for torch==2.1.2 from the cu121 index)
TORCH_CU121_WHEELS: dict[str, tuple[str, list[str]]] = {
    "nvidia-cuda-runtime-cu12": ("12.1.105", ["nvidia/cuda_runtime/lib/libcudart.so.12"]),
    "nvidia-cublas-cu12": (
        "12.1.3.1",
        ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublasLt.so.12"],
    ),
    "nvidia-cudnn-cu12": (
        "8.9.2.26",
        [
            "nvidia/cudnn/lib/libcudnn.so.8",
            "nvidia/cudnn/lib/libcudnn_ops_infer.so.8",
            "nvidia/cudnn/lib/libcudnn_cnn_infer.so.8",
        ],
    ),
    "nvidia-nccl-cu12": ("2.18.1", ["nvidia/nccl/lib/libnccl.so.2"]),
}


def pip_cuda_wheels(
    fs: FakeSystem,
    wheels: dict[str, tuple[str, list[str]]] = TORCH_CU121_WHEELS,
    site: str = SITE,
) -> list[Distribution]:
    return [pip_wheel(fs, name, v, files, site) for name, (v, files) in wheels.items()]


def conda_cuda(
    fs: FakeSystem,
    prefix: str,
    version: str,
    *,
    cudnn: str | None = None,
) -> FakeSystem:
    """A conda env with cudatoolkit (CUDA 11 packaging: libs straight in lib/) and maybe cudnn."""
    fs.add_file(f"{prefix}/conda-meta/cudatoolkit-{version}-h6a678d5_11.json", "{}")
    fs.add_file(f"{prefix}/conda-meta/python-3.10.13-h955ad1f_0.json", "{}")
    major, minor = version.split(".")[:2]
    fs.add_file(f"{prefix}/lib/libcudart.so.{major}.{minor}.89", b"\x7fELF")
    fs.add_symlink(f"{prefix}/lib/libcudart.so.11.0", f"libcudart.so.{major}.{minor}.89")
    if cudnn:
        fs.add_file(f"{prefix}/conda-meta/cudnn-{cudnn}-hcdd5f01_0.json", "{}")
        major = cudnn.split(".")[0]
        fs.add_file(f"{prefix}/lib/libcudnn.so.{cudnn.rsplit('.', 1)[0]}", b"\x7fELF")
        fs.add_symlink(
            f"{prefix}/lib/libcudnn.so.{major}", f"libcudnn.so.{cudnn.rsplit('.', 1)[0]}"
        )
        fs.add_file(f"{prefix}/lib/libcudnn_ops_infer.so.{major}", b"\x7fELF")
        parts = [int(p) for p in cudnn.split(".")[:3]]
        fs.add_file(f"{prefix}/include/cudnn_version.h", cudnn_header(*parts))
    return fs


def target(
    *distributions: Distribution,
    site: str = SITE,
    machine: str = "x86_64",
    kind: str = "venv",
    prefix: str = "/venv",
    executable: str | None = None,
) -> TargetInterpreter:
    facts = PythonFacts(
        executable=executable or f"{prefix}/bin/python",
        site_packages=[site],
        machine=machine,
        kind=kind,
        prefix=prefix,
    )
    return TargetInterpreter(facts=facts, distributions=tuple(distributions))


# -- binary formats -------------------------------------------------------------------------------
def ld_so_cache(entries: list[tuple[str, str]], flags: int = 0x0303) -> bytes:
    """A glibc-ld.so.cache1.1 file mapping soname -> path (libc6,x86-64 by default)."""
    header_size, entry_size = 48, 24
    strings = bytearray()
    offsets = []
    base = header_size + entry_size * len(entries)
    for soname, path in entries:
        key = base + len(strings)
        strings += soname.encode() + b"\0"
        value = base + len(strings)
        strings += path.encode() + b"\0"
        offsets.append((key, value))
    out = bytearray(b"glibc-ld.so.cache1.1")
    out += struct.pack("<IIB3xI12x", len(entries), len(strings), 2, 0)
    for key, value in offsets:
        out += struct.pack("<iIIIQ", flags, key, value, 0, 0)
    return bytes(out + strings)


def elf_with_dynamic(
    *, rpath: str | None = None, runpath: str | None = None, needed: tuple[str, ...] = ()
) -> bytes:
    """A minimal little-endian ELF64 shared object: one PT_LOAD, one PT_DYNAMIC, a string table."""
    strtab = bytearray(b"\0")

    def intern(text: str) -> int:
        offset = len(strtab)
        strtab.extend(text.encode() + b"\0")
        return offset

    dynamic = [(1, intern(n)) for n in needed]
    if rpath is not None:
        dynamic.append((15, intern(rpath)))
    if runpath is not None:
        dynamic.append((29, intern(runpath)))
    ehdr, phdr = 64, 56
    strtab_off = ehdr + 2 * phdr
    dyn_off = strtab_off + len(strtab) + (-(strtab_off + len(strtab)) % 8)
    dynamic += [(5, strtab_off), (10, len(strtab)), (0, 0)]  # vaddr == offset in this file
    dyn_bytes = b"".join(struct.pack("<qQ", t, v) for t, v in dynamic)
    total = dyn_off + len(dyn_bytes)
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, ehdr, 0, 0, ehdr, phdr, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, total, total, 0x1000)
    dyn = struct.pack(
        "<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, len(dyn_bytes), len(dyn_bytes), 8
    )
    body = header + load + dyn + bytes(strtab)
    body += bytes(dyn_off - len(body))
    return body + dyn_bytes
