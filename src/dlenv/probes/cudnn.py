"""Every cuDNN on the machine: pip wheels, conda, CUDA toolkit dirs and distribution packages.

One `CudnnInstall` per library directory and major version (cuDNN 8 and 9 side by side in
/usr/lib/x86_64-linux-gnu are two installs); versions from the package, the header, or file names.
"""

from __future__ import annotations

import posixpath
import re

from dlenv.probes.cuda import Listings, conda_meta_version, multiarch_dirs, toolkit_lib_dirs
from dlenv.probes.cuda import wheel_cuda_major as _wheel_cuda_major
from dlenv.snapshot.model import CudaToolkit, CudnnInstall, PipCudaPackage, ToolkitKind
from dlenv.system.base import System

_CUDNN_LIB = re.compile(r"^libcudnn(?:_[a-z_]+)?\.so(?:\.(\d+)((?:\.\d+)*))?$")
_CUDNN_MAIN = re.compile(r"^libcudnn\.so\.(\d+)((?:\.\d+)*)$")
_DEFINE = re.compile(r"^#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)", re.MULTILINE)
# Debian/Ubuntu cudnn packages ship per-major headers behind an alternatives symlink
_DEBIAN_HEADER = re.compile(r"^cudnn_version_v(\d+)\.h$")


def collect_cudnn(
    system: System,
    listings: Listings,
    toolkits: list[CudaToolkit],
    pip_packages: list[PipCudaPackage],
) -> list[CudnnInstall]:
    """cuDNN installs, wheels first (what frameworks usually load), then conda, then system."""
    installs: list[CudnnInstall] = []
    seen: set[str] = set()  # real library dirs already described

    for package in pip_packages:
        if not re.match(r"^nvidia-cudnn(?:-cu\d+)?$", package.name):
            continue
        libs = [p for p in package.libraries if _CUDNN_LIB.match(posixpath.basename(p))]
        directory = posixpath.dirname(libs[0]) if libs else _wheel_dir(package)
        seen.add(listings.realpath(directory))
        header = _first_header(system, listings, [posixpath.join(directory, "../include")])
        installs.append(
            CudnnInstall(
                path=directory,
                version=package.version,
                major=_major(package.version),
                kind="pip",
                header=header[0] if header else None,
                libraries=libs,
                package=f"{package.name} {package.version}",
                cuda_major=_wheel_cuda_major(package.name, package.version),
                version_source="dist-info",
            )
        )

    for toolkit in toolkits:
        if toolkit.kind == "pip":
            continue
        debian = "Debian package layout" in toolkit.found_by or "PATH (nvcc)" in toolkit.found_by
        debian = debian and toolkit.path == "/usr"
        if debian:
            continue  # the system pass below covers /usr
        conda_version = None
        if toolkit.kind == "conda":
            conda_version = conda_meta_version(listings, toolkit.path, "cudnn")
        includes = [posixpath.join(toolkit.path, "include")] + [
            posixpath.join(toolkit.path, "targets", t, "include")
            for t in listings.names(posixpath.join(toolkit.path, "targets"))
        ]
        cuda_major = _major(toolkit.version) if toolkit.kind == "system" else None
        installs += _scan(
            system,
            listings,
            toolkit_lib_dirs(listings, toolkit.path),
            includes,
            toolkit.kind,
            seen,
            conda_version=conda_version,
            cuda_major=cuda_major,
        )

    system_libs = [*multiarch_dirs(listings), "/usr/lib64", "/usr/lib", "/usr/local/lib"]
    system_includes = ["/usr/include"] + [
        posixpath.join("/usr/include", n)
        for n in listings.names("/usr/include")
        if n.endswith("-linux-gnu")
    ]
    installs += _scan(system, listings, system_libs, system_includes, "system", seen)
    return installs


def _wheel_dir(package: PipCudaPackage) -> str:
    return posixpath.join(package.location, "nvidia", "cudnn", "lib")


def _major(version: str | None) -> int | None:
    head = (version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _scan(
    system: System,
    listings: Listings,
    lib_dirs: list[str],
    include_dirs: list[str],
    kind: ToolkitKind,
    seen: set[str],
    conda_version: str | None = None,
    cuda_major: int | None = None,
) -> list[CudnnInstall]:
    headers = _headers(system, listings, include_dirs)
    found: list[CudnnInstall] = []
    majors_with_libs: set[int] = set()
    for directory in lib_dirs:
        names = [n for n in listings.names(directory) if _CUDNN_LIB.match(n)]
        if not names:
            continue
        real = listings.realpath(directory)
        if real in seen:
            continue
        seen.add(real)
        by_major: dict[int, list[str]] = {}
        for name in names:
            major = _file_major(listings, directory, name)
            if major is not None:
                by_major.setdefault(major, []).append(posixpath.join(directory, name))
        for major, libraries in sorted(by_major.items()):
            majors_with_libs.add(major)
            version, source = None, None
            if conda_version and _major(conda_version) == major:
                version, source = conda_version, "conda-meta (cudnn)"
            header = headers.get(major)
            if version is None and header and header[1]:
                version, source = header[1], posixpath.basename(header[0])
            if version is None:
                version, source = _file_version(libraries, major)
            found.append(
                CudnnInstall(
                    path=directory,
                    version=version,
                    major=major,
                    kind=kind,
                    header=header[0] if header else None,
                    libraries=libraries,
                    cuda_major=cuda_major,
                    version_source=source,
                )
            )
    for major, (header_path, version) in sorted(headers.items()):
        if major in majors_with_libs:
            continue
        # a header without a library: worth recording, builds find it and then fail to link
        found.append(
            CudnnInstall(
                path=posixpath.dirname(header_path),
                version=version,
                major=major,
                kind=kind,
                header=header_path,
                version_source=posixpath.basename(header_path),
            )
        )
    return found


def _file_major(listings: Listings, directory: str, name: str) -> int | None:
    match = _CUDNN_LIB.match(name)
    if match and match.group(1):
        return int(match.group(1))
    # unversioned libcudnn.so: a dev symlink; its target names the major
    real = posixpath.basename(listings.realpath(posixpath.join(directory, name)))
    match = _CUDNN_LIB.match(real)
    return int(match.group(1)) if match and match.group(1) else None


def _file_version(libraries: list[str], major: int) -> tuple[str, str]:
    best = str(major)
    source = "file name"
    for path in libraries:
        match = _CUDNN_MAIN.match(posixpath.basename(path))
        if match and match.group(2) and len(match.group(1) + match.group(2)) > len(best):
            best = match.group(1) + match.group(2)
    return best, source


def _headers(
    system: System, listings: Listings, include_dirs: list[str]
) -> dict[int, tuple[str, str | None]]:
    """major -> (header path, version) for each cuDNN header found."""
    found: dict[int, tuple[str, str | None]] = {}
    for path, version, major in _all_headers(system, listings, include_dirs):
        found.setdefault(major, (path, version))
    return found


def _first_header(
    system: System, listings: Listings, include_dirs: list[str]
) -> tuple[str, str | None] | None:
    found = _all_headers(system, listings, include_dirs)
    return (found[0][0], found[0][1]) if found else None


def _all_headers(
    system: System, listings: Listings, include_dirs: list[str]
) -> list[tuple[str, str | None, int]]:
    found: list[tuple[str, str | None, int]] = []
    for include in include_dirs:
        include = posixpath.normpath(include)
        names = listings.names(include)
        candidates = [n for n in names if n == "cudnn_version.h" or _DEBIAN_HEADER.match(n)]
        if not candidates and "cudnn.h" in names:
            candidates = ["cudnn.h"]  # cuDNN < 8 kept the version macros in cudnn.h
        for name in candidates:
            path = posixpath.join(include, name)
            parsed = _parse_header(system.read_text(path, limit=64 << 10) or "")
            if parsed:
                found.append((path, parsed[0], parsed[1]))
    return found


def _parse_header(text: str) -> tuple[str, int] | None:
    values = {k: v for k, v in _DEFINE.findall(text)}
    if "MAJOR" not in values:
        return None
    parts = [values["MAJOR"], values.get("MINOR"), values.get("PATCHLEVEL")]
    return ".".join(p for p in parts if p is not None), int(values["MAJOR"])
