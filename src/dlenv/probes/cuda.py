"""Every CUDA toolkit on the machine (system, conda, pip wheels) and its version; nvidia-* wheels.

Finds toolkits by every route a user or a build can take, deduplicates them by real path, and
reads versions from the cheapest file that answers; `nvcc --version` runs only as a last resort.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from dlenv.probes.target import TargetInterpreter, canonical_name
from dlenv.snapshot.model import CudaFacts, CudaToolkit, PipCudaPackage, ToolkitKind
from dlenv.system.base import System

NVCC_TIMEOUT_S = 10.0
WINDOWS_TOOLKITS = "C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA"
HOME_VARIABLES = ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")
# pip wheels that carry a CUDA toolkit root: runtime and compiler, CUDA 11/12 (-cuXX) and 13
_RUNTIME_WHEEL = re.compile(r"^nvidia-cuda-(runtime|nvcc)(?:-cu(\d+))?$")
_LIBRARY_FILE = re.compile(r"(?:^lib[^/]*\.so(?:\.\d+)*$)|(?:\.dll$)")
_CUDART_FULL = re.compile(r"^libcudart\.so\.(\d+\.\d+\.\d+)$")
_NVCC_RELEASE = re.compile(r"release (\d+\.\d+), V(\d+\.\d+\.\d+)")
_VERSION_TXT = re.compile(r"CUDA Version (\d+(?:\.\d+)*)")
_DEFINE = re.compile(r"^#define\s+(CUDA_VERSION|CUDART_VERSION)\s+(\d+)", re.MULTILINE)
_CONDA_CUDA_PACKAGES = (
    "cuda-cudart",
    "cudatoolkit",
    "cuda-runtime",
    "cuda-toolkit",
    "cuda-version",
)


class Listings:
    """Directory listings of one probe run, each read once: globbing big lib dirs is slow."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._names: dict[str, tuple[str, ...]] = {}
        self._real: dict[str, str] = {}

    def names(self, path: str) -> tuple[str, ...]:
        cached = self._names.get(path)
        if cached is None:
            cached = tuple(self.system.listdir(path))
            self._names[path] = cached
        return cached

    def realpath(self, path: str) -> str:
        cached = self._real.get(path)
        if cached is None:
            cached = self.system.realpath(path)
            self._real[path] = cached
        return cached

    def matching(self, directory: str, prefix: str) -> list[str]:
        """Paths in `directory` whose names start with `prefix`."""
        return [posixpath.join(directory, n) for n in self.names(directory) if n.startswith(prefix)]


def multiarch_dirs(listings: Listings) -> list[str]:
    """Debian/Ubuntu multiarch library dirs: /usr/lib/x86_64-linux-gnu, /lib/aarch64-linux-gnu…"""
    found = []
    for base in ("/lib", "/usr/lib"):
        found += [posixpath.join(base, n) for n in listings.names(base) if n.endswith("-linux-gnu")]
    return found


def wheel_cuda_major(name: str, version: str) -> int | None:
    """CUDA major of an nvidia-* wheel: the -cuXX suffix, or the version for CUDA 13 wheels."""
    match = re.search(r"-cu(\d+)$", name)
    if match:
        return int(match.group(1))
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() and int(head) >= 13 else None


@dataclass
class _Root:
    path: str
    real: str
    kind: ToolkitKind
    found_by: list[str] = field(default_factory=list)
    package: str | None = None
    package_version: str | None = None
    debian: bool = False


def collect_cuda(
    system: System, target: TargetInterpreter, timeout: float = NVCC_TIMEOUT_S
) -> CudaFacts:
    """All CUDA toolkits, cuDNN installs and nvidia-* wheels visible on the machine; `nvcc
    --version` (asked only where no file tells the version) gets at most `timeout` s."""
    from dlenv.probes.cudnn import collect_cudnn

    listings = Listings(system)
    unknown: dict[str, str] = {}
    pip_packages = collect_pip_packages(system, target)
    roots = _find_roots(system, target, listings, pip_packages, unknown)
    toolkits = [_describe(system, listings, root, timeout) for root in roots]
    env = system.env
    cuda_home = next((env[v] for v in HOME_VARIABLES if env.get(v)), None)
    cudnn = collect_cudnn(system, listings, toolkits, pip_packages)
    return CudaFacts(
        toolkits=toolkits,
        cudnn=cudnn,
        pip_packages=pip_packages,
        cuda_home=cuda_home,
        nvcc_on_path=system.which("nvcc"),
        unknown=unknown,
    )


# -- pip wheels ---------------------------------------------------------------------------------
def collect_pip_packages(system: System, target: TargetInterpreter) -> list[PipCudaPackage]:
    """Every installed nvidia-* distribution and the shared libraries its RECORD lists."""
    packages = []
    seen: set[str] = set()
    for dist in target.distributions:
        if not dist.name.startswith("nvidia-") or dist.name in seen:
            continue
        seen.add(dist.name)  # the first install on sys.path is the one imports would see
        packages.append(
            PipCudaPackage(
                name=dist.name,
                version=dist.version,
                location=dist.location,
                libraries=_record_libraries(system, dist.location, dist.name, dist.version),
            )
        )
    return packages


def _record_libraries(system: System, location: str, name: str, version: str) -> list[str]:
    stem = name.replace("-", "_")
    record = None
    for candidate in (stem, canonical_name(name).replace("-", "_"), name):
        dist_info = f"{candidate}-{version}.dist-info"
        record = system.read_text(posixpath.join(location, dist_info, "RECORD"))
        if record is not None:
            break
    if record is None:
        return []
    found = []
    for line in record.splitlines():
        rel = line.split(",", 1)[0]
        if _LIBRARY_FILE.search(posixpath.basename(rel)):
            found.append(posixpath.normpath(posixpath.join(location, rel)))
    return sorted(found)


# -- finding toolkit roots ------------------------------------------------------------------------
def _find_roots(
    system: System,
    target: TargetInterpreter,
    listings: Listings,
    pip_packages: list[PipCudaPackage],
    unknown: dict[str, str],
) -> list[_Root]:
    roots: dict[str, _Root] = {}
    windows = system.platform == "win32"

    def add(path: str, how: str, kind: ToolkitKind = "system", **extra: str | bool) -> _Root:
        path = path.rstrip("/") or "/"
        real = listings.realpath(path)
        root = roots.get(real)
        if root is None:
            root = roots[real] = _Root(path=path, real=real, kind=kind)
            for key, value in extra.items():
                setattr(root, key, value)
        if how not in root.found_by:
            root.found_by.append(how)
        return root

    env = system.env
    for var in HOME_VARIABLES:
        value = env.get(var)
        if not value:
            continue
        value = _native(value, windows)
        if system.is_dir(value):
            add(value, var)
        else:
            unknown[var] = f"{var}={value} is not a directory"
    if windows:
        for var in sorted(v for v in env if v.startswith("CUDA_PATH_V")):
            value = _native(env[var], windows)
            if system.is_dir(value):
                add(value, var)
            else:
                unknown[var] = f"{var}={value} is not a directory"
        for name in listings.names(WINDOWS_TOOLKITS):
            if name.startswith("v"):
                add(f"{WINDOWS_TOOLKITS}/{name}", WINDOWS_TOOLKITS)

    nvcc = system.which("nvcc")
    if nvcc:
        real_nvcc = listings.realpath(nvcc)
        if real_nvcc != "/usr/bin/nvcc":
            real_nvcc = _wrapped_nvcc(system, real_nvcc) or real_nvcc
        root_dir = posixpath.dirname(posixpath.dirname(real_nvcc))
        if root_dir in ("/usr", "/"):
            add("/usr", "PATH (nvcc)", debian=True)
        elif not _is_pip_root(root_dir, pip_packages):
            add(root_dir, "PATH (nvcc)")

    if not windows:
        for name in listings.names("/usr/local"):
            if name == "cuda" or name.startswith("cuda-"):
                path = f"/usr/local/{name}"
                if system.is_dir(path):
                    add(path, path)
        if system.is_dir("/opt/cuda"):
            add("/opt/cuda", "/opt/cuda")
        debian_libs = any(listings.matching(d, "libcudart.so") for d in multiarch_dirs(listings))
        if system.is_file("/usr/bin/nvcc") or debian_libs:
            add("/usr", "Debian package layout", debian=True)
        if system.is_dir("/usr/lib/cuda"):
            if listings.realpath("/usr") in roots:
                roots[listings.realpath("/usr")].found_by.append("/usr/lib/cuda")
            else:
                add("/usr/lib/cuda", "/usr/lib/cuda")

    for prefix, how in _conda_prefixes(system, target):
        if _conda_has_cuda(system, listings, prefix):
            add(prefix, how, kind="conda")

    for package in pip_packages:
        match = _RUNTIME_WHEEL.match(package.name)
        if not match:
            continue
        major = wheel_cuda_major(package.name, package.version)
        sub = "cu13" if major is not None and major >= 13 else f"cuda_{match.group(1)}"
        if major is not None and major > 13:
            sub = f"cu{major}"
        path = posixpath.join(package.location, "nvidia", sub)
        if system.is_dir(path):
            add(
                path,
                f"pip wheel {package.name}",
                kind="pip",
                package=f"{package.name} {package.version}",
                package_version=package.version,
            )
    return list(roots.values())


_WRAPPED_NVCC = re.compile(r"(/[^\s\"'$]+/bin/nvcc)\b")


def _wrapped_nvcc(system: System, path: str) -> str | None:
    """The real nvcc behind a small `exec /usr/local/cuda-X/bin/nvcc "$@"` wrapper script."""
    head = system.read_bytes(path, limit=4096)
    if not head or not head.startswith(b"#!"):
        return None
    match = _WRAPPED_NVCC.search(head.decode("utf-8", errors="replace"))
    if match is None or match.group(1) == path:
        return None
    wrapped = match.group(1)
    return system.realpath(wrapped) if system.exists(wrapped) else wrapped


def _native(path: str, windows: bool) -> str:
    # forward slashes work everywhere on Windows and keep one code path for joins
    return path.replace("\\", "/").rstrip("/") if windows else path


def _is_pip_root(root: str, pip_packages: list[PipCudaPackage]) -> bool:
    return any(root.startswith(posixpath.join(p.location, "nvidia") + "/") for p in pip_packages)


def _conda_prefixes(system: System, target: TargetInterpreter) -> list[tuple[str, str]]:
    found = []
    prefix = system.env.get("CONDA_PREFIX")
    if prefix:
        found.append((prefix, "CONDA_PREFIX"))
    facts = target.facts
    if facts.kind == "conda" and facts.prefix and facts.prefix != prefix:
        found.append((facts.prefix, "conda env of the target interpreter"))
    return found


def conda_meta_version(listings: Listings, prefix: str, package: str) -> str | None:
    """Version of `package` from conda-meta/<name>-<version>-<build>.json, if installed."""
    for name in listings.names(posixpath.join(prefix, "conda-meta")):
        if not name.endswith(".json"):
            continue
        parts = name[: -len(".json")].rsplit("-", 2)
        if len(parts) == 3 and parts[0] == package:
            return parts[1]
    return None


def _conda_has_cuda(system: System, listings: Listings, prefix: str) -> bool:
    if any(conda_meta_version(listings, prefix, p) for p in _CONDA_CUDA_PACKAGES[:4]):
        return True
    return any(listings.matching(d, "libcudart.so") for d in toolkit_lib_dirs(listings, prefix))


# -- describing one toolkit -----------------------------------------------------------------------
def toolkit_lib_dirs(listings: Listings, root: str, debian: bool = False) -> list[str]:
    """Directories of a toolkit root that hold its shared libraries, deduplicated by real path."""
    if debian:
        candidates = multiarch_dirs(listings)
    else:
        candidates = [posixpath.join(root, d) for d in ("lib64", "lib", "lib/x64", "bin")]
        targets = posixpath.join(root, "targets")
        candidates += [posixpath.join(targets, t, "lib") for t in listings.names(targets)]
    dirs, seen = [], set()
    for directory in candidates:
        if not listings.names(directory):
            continue
        real = listings.realpath(directory)
        if real not in seen:
            seen.add(real)
            dirs.append(directory)
    return dirs


def _cudart_files(listings: Listings, lib_dirs: list[str]) -> list[str]:
    files = []
    for directory in lib_dirs:
        files += listings.matching(directory, "libcudart.so")
        files += [f for f in listings.matching(directory, "cudart64_") if f.endswith(".dll")]
    return files


def _describe(
    system: System, listings: Listings, root: _Root, timeout: float = NVCC_TIMEOUT_S
) -> CudaToolkit:
    lib_dirs = toolkit_lib_dirs(listings, root.path, root.debian)
    cudart = _cudart_files(listings, lib_dirs)
    nvcc = None
    for name in ("nvcc", "nvcc.exe"):
        candidate = ("/usr/bin/" if root.debian else f"{root.path}/bin/") + name
        if system.is_file(candidate):
            nvcc = candidate
            break
    version, source = _cheap_version(system, listings, root, cudart)
    unknown: dict[str, str] = {}
    nvcc_version = None
    if version is None and nvcc:
        result = system.run([nvcc, "--version"], timeout=timeout)
        match = _NVCC_RELEASE.search(result.stdout) if result.ok else None
        if match:
            version = nvcc_version = match.group(2)
            source = "nvcc --version"
        else:
            unknown["nvcc_version"] = (
                result.describe_failure() if not result.ok else "unrecognised nvcc --version"
            )
    if version is None:
        unknown["version"] = (
            f"no version.json, version.txt, cuda.h or versioned libcudart under {root.path}"
            + ("" if nvcc else ", and no nvcc to ask")
        )
    return CudaToolkit(
        path=root.path,
        version=version,
        version_source=source,
        kind=root.kind,
        found_by=root.found_by,
        nvcc=nvcc,
        nvcc_version=nvcc_version,
        cudart=cudart,
        package=root.package,
        realpath=root.real if root.real != root.path else None,
        unknown=unknown,
    )


def _cheap_version(
    system: System, listings: Listings, root: _Root, cudart: list[str]
) -> tuple[str | None, str | None]:
    """The toolkit's version from files alone, most precise source first."""
    if root.kind == "pip" and root.package_version:
        name = root.package.split()[0] if root.package else "wheel"
        return root.package_version, f"dist-info ({name})"
    base = "/usr" if root.debian else root.path
    if not root.debian:
        text = system.read_text(f"{base}/version.json")
        if text is not None:
            try:
                data = json.loads(text)
                version = data["cuda"]["version"]
                if isinstance(version, str) and version:
                    return version, "version.json"
            except (ValueError, KeyError, TypeError):
                pass
        text = system.read_text(f"{base}/version.txt")
        match = _VERSION_TXT.search(text or "")
        if match:
            return match.group(1), "version.txt"
        # toolkits assembled from NVIDIA's wheels keep the wheels' dist-info next to bin/
        for name in listings.names(f"{base}/dist-info"):
            match = re.match(r"^nvidia_cuda_runtime(?:_cu\d+)?-([\w.]+)\.dist-info$", name)
            if match:
                return match.group(1), "dist-info (nvidia-cuda-runtime)"
    if root.kind == "conda":
        for package in _CONDA_CUDA_PACKAGES:
            version = conda_meta_version(listings, base, package)
            if version:
                return version, f"conda-meta ({package})"
    for path in cudart:
        match = _CUDART_FULL.match(posixpath.basename(path))
        if match:
            return match.group(1), posixpath.basename(path)
    includes = [f"{base}/include"] + [
        f"{base}/targets/{t}/include" for t in listings.names(f"{base}/targets")
    ]
    for include in includes:
        for header in ("cuda_runtime_version.h", "cuda_runtime_api.h", "cuda.h"):
            if header not in listings.names(include):
                continue
            match = _DEFINE.search(system.read_text(f"{include}/{header}", limit=256 << 10) or "")
            if match:
                number = int(match.group(2))
                return f"{number // 1000}.{number % 1000 // 10}", header
    return None, None
