"""Rules about CUDA libraries: missing or wrong-major libraries, cuDNN conflicts, stale paths.

Codes DL2xx. They read the loader predictions in `snapshot.libraries`.
"""

from __future__ import annotations

import os.path
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dlenv.fix.actions import (
    Action,
    InstallPackages,
    ManualStep,
    RemoveFromPath,
    SetEnv,
    UnsetEnv,
)
from dlenv.kb.library_majors import ProgramMajors, program_majors
from dlenv.kb.pins import StatedPins, cuda_pins, package_releases, stated_pins, wheel_component
from dlenv.kb.queries import (
    cuda_sonames,
    cudnn_pip_package,
    jax_release,
    major_minor,
    soname_major,
    tensorflow_release,
    torch_index_url,
    torch_release,
    torch_variant,
)
from dlenv.probes.cuda import HOME_VARIABLES
from dlenv.rules.derived import (
    base_version,
    cuda_build,
    cuda_major,
    label,
    live,
    nvidia_gpu_present,
)
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.fixes import tensorflow_and_cuda_fix
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import (
    FrameworkFacts,
    LoadedLibrary,
    ReportedError,
    ResolvedLibrary,
    Snapshot,
)


def _reinstall(fw: FrameworkFacts, reason: str) -> list[Action]:
    if fw.name == "tensorflow":
        fix = tensorflow_and_cuda_fix(fw, reason)
        return [fix] if fix else []
    if fw.name == "torch" and fw.variant and fw.variant.startswith("cu"):
        return [
            InstallPackages(
                packages=[f"torch=={base_version(fw.version)}"],
                uninstall=["torch"],
                index_url=torch_index_url(fw.variant),
                reason=reason,
            )
        ]
    return []


def _expected_major(fw: FrameworkFacts, lib: ResolvedLibrary) -> int | None:
    if lib.name == "cudnn":
        return cuda_major(fw.cudnn_version) or cuda_major(_kb_cudnn(fw))
    if lib.name in ("nccl", "cusparselt"):
        return None  # versioned independently of CUDA
    # the math libraries carry their own major (CUDA 12 ships libcufft.so.11): the KB's
    # sonames per CUDA release; unknown there, stay silent rather than assume the CUDA major
    return soname_major(lib.name, fw.cuda_version)


def _kb_cudnn(fw: FrameworkFacts) -> str | None:
    if fw.name == "tensorflow":
        release = tensorflow_release(fw.version)
        return release.cudnn if release else None
    if fw.name == "torch":
        variant = torch_variant(fw.version, fw.variant)
        return variant.cudnn if variant else None
    return None


def _gpu_works_live(s: Snapshot, name: str) -> bool:
    probe = live(s, name)
    return probe is not None and probe.gpu_available is True


# Messages in which a program says it could not load a CUDA library (libraries.toml and
# cudnn.toml); the soname is read back from the quoted text when no framework was named.
MISSING_LIBRARY_SIGNATURES = (
    "cuda-library-not-found",
    "import-error-missing-library",
    "windows-dll-missing",
    "windows-cuda-dll-named-missing",  # libraries.toml: "needing cublas64_13", named bare
    "cudnn-sublibrary-load-failed",
    "tf-library-not-loaded",
    "tf-old-couldnt-open-cuda-library",
    "cuda-sublibrary-unable-to-load-any",
    "torch-preload-cuda-deps-missing",
    "ctranslate2-library-not-loaded",
    "cuda-library-ldd-not-found",
    "cudarc-library-not-found",
    "taichi-library-not-found",
    "loader-cuda-library-cut",  # libraries.toml: ld.so's line cut before "cannot open"
    "jcuda-native-library-load-failed",  # jvm-bindings.toml: JCuda, ND4J/JavaCPP
    "nd4j-cuda-backend-load-failed",
    "paddle-cannot-load-library",
    "video-codec-library-not-loaded",  # libraries.toml: NVENC/NVDEC, the driver's own
    # torch's "[WinError 126/127] … Error loading "…\torch\lib\cudnn_adv_infer64_8.dll" or one of
    # its dependencies": a CUDA/cuDNN DLL (or one it needs) that Windows could not load
    "torch-windows-dll-error",
    "windows-cuda-dll-dependency-missing",
    "cudnn-loaded-without-dependencies",
    "paddle-dynamic-library-not-configured",
    "torch7-cudnn-not-found",  # tune-a.toml
)
# An import that failed on the library, not a framework trying it and falling back to the CPU.
HARD_FAILURE_SIGNATURES = ("import-error-missing-library", "torch-preload-cuda-deps-missing")
# (NVRTC's and nvJitLink's DLLs carry a build number too: nvrtc64_112_0.dll, nvJitLink_120_0.dll;
# TensorRT's libraries, which TensorRT-built extensions link, count: libnvinfer_plugin.so.8)
_LIBRARY_NAMES = (
    r"cudart|cublasLt|cublas|cufft|curand|cusolver|cusparse|cudnn\w*|nccl|nvrtc|"
    r"nvJitLink|cupti|nvinfer(?:_plugin)?|nvonnxparser|nvparsers"
)
_SONAME = re.compile(rf"\b(?:lib)?(?:{_LIBRARY_NAMES})(?:\.so(?:\.\d+)*|(?:64)?_\d+(?:_\d+)?\.dll)")
# CUDA major -> the pip wheels that ship each library (CUDA 11 and later)
_WHEELS = {
    "cudart": "nvidia-cuda-runtime-cu{m}",
    "cublas": "nvidia-cublas-cu{m}",
    "cublaslt": "nvidia-cublas-cu{m}",
    "cufft": "nvidia-cufft-cu{m}",
    "curand": "nvidia-curand-cu{m}",
    "cusolver": "nvidia-cusolver-cu{m}",
    "cusparse": "nvidia-cusparse-cu{m}",
    "nvrtc": "nvidia-cuda-nvrtc-cu{m}",
    "nvjitlink": "nvidia-nvjitlink-cu{m}",
    "cupti": "nvidia-cuda-cupti-cu{m}",
}


# Paddle and cudarc name the library, not its file: "Cannot load cudnn shared library",
# "Unable to find cuda lib under the names", "Unable to dynamically load the \"cuda\" shared"
_NAMED_LIBRARY = re.compile(
    r"Cannot load (\w+) shared library|Unable to find (\w+) lib under the names"
    r"|Unable to dynamically load the \\?\"(\w+)\\?\" shared library"
)
# the driver's own library (any libcuda.so name; nvcuda.dll on Windows, which the display
# driver installs in System32): `ldd`'s "libcuda.so.1 => not found"
_DRIVER_LIBRARY = re.compile(
    r"\b(?:libcuda\.so(?:\.\d{1,3}){0,4}|nvcuda\.dll)(?![\w.])", re.IGNORECASE
)
# the driver's video codec libraries (NVENC, NVDEC): installed with the driver, mounted into a
# container only with the `video` driver capability
_VIDEO_LIBRARY = re.compile(
    r"\b(?:libnvidia-encode\.so(?:\.\d{1,3}){0,3}|libnvcuvid\.so(?:\.\d{1,3}){0,3}"
    r"|nvEncodeAPI(?:64)?\.dll|nvcuvid\.dll)(?![\w.])",
    re.IGNORECASE,
)


# a CUDA DLL named without ".dll" ("needing cublas64_13"): windows-cuda-dll-named-missing
_BARE_DLL = re.compile(rf"\b((?:{_LIBRARY_NAMES})64_\d{{1,3}})\b", re.IGNORECASE)


def _quoted_missing(s: Snapshot) -> list[tuple[str, str, str]]:
    """(soname, signature, quoted text) of every library a pasted message failed to load."""
    out: list[tuple[str, str, str]] = []
    for e in s.reported_errors:
        if e.signature not in MISSING_LIBRARY_SIGNATURES:
            continue
        m = (
            _SONAME.search(e.text)
            or _DRIVER_LIBRARY.search(e.text)
            or _VIDEO_LIBRARY.search(e.text)
        )
        named = _NAMED_LIBRARY.search(e.text)
        lib = next((g for g in named.groups() if g), None) if named else None
        bare = _BARE_DLL.search(e.text) if m is None else None
        soname = (
            m.group(0) if m else f"{bare.group(1)}.dll" if bare else f"lib{lib}.so" if lib else None
        )
        if soname and all(soname != have for have, _, _ in out):
            out.append((soname, e.signature, e.text))
    return out


# -- a missing library whose other major the paste shows (DL202 from text) ----------------------
LISTED = "listed"  # dlenv.importers.signatures.LISTED: libraries the paste shows on disk
_PIP_LIBRARY = {  # nvidia-*-cuNN wheel -> the library it ships
    "nvidia-cuda-runtime": "cudart",
    "nvidia-cublas": "cublas",
    "nvidia-cufft": "cufft",
    "nvidia-curand": "curand",
    "nvidia-cusolver": "cusolver",
    "nvidia-cusparse": "cusparse",
    "nvidia-cudnn": "cudnn",
    "nvidia-cuda-nvrtc": "nvrtc",
    "nvidia-nvjitlink": "nvjitlink",
    "nvidia-cuda-cupti": "cupti",
}


def _soname_key(soname: str) -> tuple[str, str] | None:
    """("cublas", "10.0") for libcublas.so.10.0 or cublas64_100.dll; ("cudnn", "8") for
    libcudnn_ops_infer.so.8 or cudnn64_8.dll; None for an unversioned name (libcudnn.so)."""
    base = soname.rsplit("/", 1)[-1].removeprefix("lib")
    m = re.match(r"([A-Za-z]+)", base)
    if m is None:
        return None
    name = m.group(1).lower()
    name = "cudnn" if name.startswith("cudnn") else "cublas" if name.startswith("cublas") else name
    if ".so." in base:
        return name, base.split(".so.", 1)[1]
    dll = re.search(r"64_(\d+)(?:_\d)?\.dll$", base)  # NVRTC: nvrtc64_112_0.dll
    if dll is None:
        return None
    d = dll.group(1)
    # cudart64_110.dll is CUDA 11.0, cudart64_90.dll 9.0; cublas64_12.dll cuBLAS 12
    if len(d) == 3:
        return name, f"{d[:2]}.{d[2]}"
    return name, f"{d[0]}.{d[1]}" if len(d) == 2 and int(d) >= 20 else d


def _same(a: str, b: str) -> bool:
    """Two soname versions name the same file: from CUDA 11 the major alone (11 and 11.0
    alike), before it the whole version (libcublas.so.10.0 of CUDA 10.0 is not .so.10)."""
    ma, mb = a.split(".")[0], b.split(".")[0]
    if ma != mb:
        return False
    return (ma.isdigit() and int(ma) >= 11) or a == b


def _present_versions(s: Snapshot, name: str) -> list[tuple[str, str]]:
    """(soname version, what shows it) of every copy of library `name` the facts show: files
    a paste lists, CUDA toolkits (through the KB's sonames per release), cuDNN installs, the
    nvidia-* wheels installed, and a torch build's CUDA (its wheels ship the libraries)."""
    out: list[tuple[str, str]] = []
    for res in s.libraries:
        for lib in res.libraries:
            key = _soname_key(lib.soname) if lib.path else None
            if key and key[0] == name:
                out.append((key[1], f"{lib.soname} at {lib.path}"))
    toolkits = [(t.version, f"CUDA {t.version}{_where(t.path)}") for t in s.cuda.toolkits]
    torch = s.framework("torch")
    if torch is not None and torch.cuda_version and (torch.variant or "").startswith("cu"):
        toolkits.append((torch.cuda_version, f"{label(torch)} (CUDA {torch.cuda_version})"))
    for version, what in toolkits:
        row = cuda_sonames(version) if version else None
        so = row.sonames.get(name) if row else None
        key = _soname_key(so) if so else None
        if key:
            out.append((key[1], f"{what}: {so}"))
    if name == "cudnn":
        out += [
            (str(c.major), f"cuDNN {c.version or c.major} at {c.path}")
            for c in s.cuda.cudnn
            if c.major is not None
        ]
    for pkg in s.cuda.pip_packages:
        stem = re.sub(r"-cu\d+$", "", pkg.name)
        if _PIP_LIBRARY.get(stem) == name and pkg.version[:1].isdigit():
            major = pkg.version.split(".")[0]
            ver = "11.0" if name == "cudart" and major == "11" else major
            out.append((ver, f"{pkg.name} {pkg.version}"))
    return out


def wrong_major_from_text(s: Snapshot) -> dict[str, tuple[str, list[str]]]:
    """Every library a pasted message failed to load while the facts show the same library
    in another major (and never in the one asked for): soname -> (the framework that asked,
    or "", and what shows the other majors). A maintainer's reading of "libcublas.so.11: not
    found" beside "CUDA 12.1" or an `ldconfig -p` line of libcublas.so.12."""
    asked: dict[str, str] = {}
    for res in s.libraries:
        for lib in res.libraries:
            if lib.path is None and any(lib.soname in e.text for e in s.reported_errors):
                asked.setdefault(lib.soname, res.framework)
    for soname, _, _ in _quoted_missing(s):
        asked.setdefault(soname, "")
    out: dict[str, tuple[str, list[str]]] = {}
    gpu = nvidia_gpu_present(s)
    for soname, fw in asked.items():
        key = _soname_key(soname)
        # CPU set-ups try cudart too (DL201's warning says it is harmless there); a reporter
        # who says which CUDA they use ("Im using CUDA v10.1", an issue template's "CUDA/cuDNN
        # version: CUDA 11.1.1") wants the GPU
        said = any(
            t.version_source == "prose"
            or (t.version_source or "").startswith(("issue template", "nvcc"))
            for t in s.cuda.toolkits
        )  # `nvcc --version` pasted: a toolkit installed for the GPU
        intent = gpu or said or _hard_failure(s, soname)
        if key is None or (key[0] == "cudart" and not intent):
            continue
        present = _present_versions(s, key[0])
        # cuDNN's sonames carry its major alone (libcudnn_ops.so.9.1.0 is cuDNN 9's file)
        cudnn = key[0] == "cudnn"
        if not present or any(
            _same(v, key[1]) or (cudnn and v.split(".")[0] == key[1].split(".")[0])
            for v, _ in present
        ):
            continue  # nothing else shown, or the very major asked for: a path problem (DL201)
        out[soname] = (fw, [what for _, what in present])
    return out


# a compiled extension module being imported (catalog/libraries.toml)
_EXTENSION_IMPORT = re.compile(
    r"from\s+(?P<pkg>[\w.]+)\s+import\s+(?P<mod>\w+)|import\s+(?P<pkg2>\w+)"
)


def extension_built_for_other_cuda(s: Snapshot) -> dict[str, str]:
    """soname -> the package whose compiled extension asked for it: an import of a package's
    own extension ("from detectron2 import _C") beside an ImportError on a versioned CUDA
    library that the paste shows in no major at all. An extension links the CUDA runtime of
    the toolkit it was built with (torch brings its own), so the missing major is the one it
    was built for, not this environment's (detectron2's INSTALL.md; mmdetection#592: "The
    mmdet package is build with cuda 9.0, and if you have another version of cuda…")."""
    said = next((e for e in s.reported_errors if e.signature == "compiled-extension-import"), None)
    m = _EXTENSION_IMPORT.search(said.text) if said is not None else None
    if m is None:
        return {}
    pkg = (m.group("pkg") or m.group("pkg2") or "").split(".")[0]
    shown = wrong_major_from_text(s)
    out: dict[str, str] = {}
    for soname, _, _ in _quoted_missing(s):
        key = _soname_key(soname)
        if soname in shown or key is None or not _hard_failure(s, soname):
            continue
        if any(_same(v, key[1]) for v, _ in _present_versions(s, key[0])):
            continue  # the very release is there: a path problem (DL201)
        out[soname] = pkg
    return out


_RAISED = re.compile(r"\b(?:RuntimeError|OSError|ImportError|ModuleNotFoundError)\b")


def _hard_failure(s: Snapshot, soname: str) -> bool:
    """A quoted import/OSError on this library: the program stopped, it did not fall back (an
    exception raised on the loader's message counts: llama-cpp-python's "RuntimeError: Failed
    to load shared library '…libllama.so': libcudart.so.12: cannot open shared object file")."""
    return any(
        soname in e.text
        and (
            e.signature in HARD_FAILURE_SIGNATURES
            or (e.signature == "cuda-library-not-found" and _RAISED.search(e.text) is not None)
        )
        for e in s.reported_errors
    )


def _is_cudart(soname: str) -> bool:
    """The CUDA runtime, by its Linux or Windows name (libcudart.so.11.0, cudart64_110.dll):
    the one library CPU set-ups of TensorFlow try too."""
    return soname.lower().startswith(("libcudart", "cudart"))


def _dll_release(soname: str) -> str:
    """The release a Windows CUDA DLL's name states: cudart64_110.dll -> "11.0", cublas64_12.dll
    -> "12", cudnn64_8.dll -> "8" ("" when the name states none)."""
    m = re.search(r"64_(\d+)", soname)
    if not m:
        return ""
    digits = m.group(1)
    return f"{digits[:-1]}.{digits[-1]}" if len(digits) == 3 else digits


# TensorRT's own libraries (not a CUDA toolkit's): libnvinfer, its plugins, the parsers
_TENSORRT_LIBRARY = re.compile(r"nvinfer|nvonnxparser|nvparsers")


def _library_install_step(soname: str) -> ManualStep:
    """How to provide a library no framework was named for: its pip wheel, or conda."""
    base = soname.removeprefix("lib").split(".so")[0].split("64_")[0].lower()
    if soname.lower().endswith(".dll"):
        return _dll_install_step(soname, base)
    if _VIDEO_LIBRARY.fullmatch(soname):
        return ManualStep(
            text=f"{soname} is the NVIDIA driver's video codec library (NVENC/NVDEC), not a CUDA "
            "toolkit's: in a container, start it with the `video` driver capability (the NVIDIA "
            "runtime mounts only compute and utility by default, and the variable must be set in "
            "the image's final stage); on the host, install the driver's encode/decode package.",
            commands=[
                "docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,video,utility ...",
                "ENV NVIDIA_DRIVER_CAPABILITIES=all   # in the Dockerfile's final stage",
                "ldconfig -p | grep -E 'nvidia-encode|nvcuvid'   # on the host",
                "sudo apt install libnvidia-encode-<branch> libnvidia-decode-<branch>   # Ubuntu",
            ],
            url="https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
            "docker-specialized.html#driver-capabilities",
        )
    if _TENSORRT_LIBRARY.match(base):
        return ManualStep(
            text=f"{soname} is TensorRT's runtime: install the TensorRT release the program was "
            "built against (its major is the number after .so), or put the directory that holds "
            "it on the loader path.",
            commands=[
                f"ldconfig -p | grep {base}   # is any copy installed?",
                "export LD_LIBRARY_PATH=/path/to/TensorRT/lib:$LD_LIBRARY_PATH   # if installed",
            ],
            url="https://docs.nvidia.com/deeplearning/tensorrt/latest/installing-tensorrt/",
        )
    if base == "cuda":
        # libcuda is the driver's library, not the toolkit's: no wheel or CUDA release has it
        return ManualStep(
            text=f"{soname} comes with the NVIDIA driver, not with a CUDA toolkit: install the "
            "driver, or put the directory that holds it on the loader path (on WSL the Windows "
            "driver provides it in /usr/lib/wsl/lib).",
            commands=[
                "ldconfig -p | grep libcuda   # where the loader finds the driver's library",
                "export LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH   # on WSL",
            ],
            url="https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
        )
    name = next((k for k in ("cudnn", *_WHEELS) if base.startswith(k)), base)
    digits = re.search(r"\.so\.(\d+)|64_(\d+)", soname)
    major = (digits.group(1) or digits.group(2)[:2].rstrip("0") or "") if digits else ""
    commands = [f"ldconfig -p | grep {soname.split('.so')[0]}   # is any copy installed?"]
    if name == "cudnn" and major.isdigit() and int(major) >= 8:
        commands.append(f'pip install "nvidia-cudnn-cu12=={major}.*"   # cu11 for CUDA 11 builds')
    elif name == "cudnn" and major:
        commands.append(f"conda install -c conda-forge 'cudnn={major}.*'")
    elif name in _WHEELS and major.isdigit() and int(major) >= 11:
        commands.append(f"pip install {_WHEELS[name].format(m=major)}")
    commands.append("export LD_LIBRARY_PATH=/path/to/its/lib:$LD_LIBRARY_PATH   # if installed")
    return ManualStep(
        text=f"Install the CUDA/cuDNN release that provides {soname} (the one the program was "
        "built for), or put the directory that holds it on the loader path.",
        commands=commands,
        url="https://developer.nvidia.com/cuda-toolkit-archive",
    )


def _dll_install_step(soname: str, base: str) -> ManualStep:
    """A Windows DLL: found through PATH (and the CUDA_PATH_Vxx_y folders), not ld.so."""
    release = _dll_release(soname)
    what = (
        f"cuDNN {release}"
        if base.startswith("cudnn") and release
        else f"CUDA {release}"
        if release
        else "the CUDA/cuDNN release the program was built for"
    )
    folder = (
        rf"C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v{release}\bin"
        if release and not base.startswith("cudnn") and "." in release
        else r"<the folder that holds it>"
    )
    return ManualStep(
        text=f"Install {what}, which provides {soname} (the release the program was built "
        "for; releases install side by side), or add the folder that holds it to PATH; on "
        "Windows the loader looks only on PATH and in the program's own folder.",
        commands=[
            f"where {soname}   # cmd.exe: is any copy on PATH?",
            f'set "PATH={folder};%PATH%"',
        ],
        url="https://developer.nvidia.com/cuda-toolkit-archive",
    )


@rule("DL201", "cuda-library-not-found", "error", "cuda")
def cuda_library_not_found(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that every CUDA library a framework's GPU build loads (cudart, cublas,
    cudnn, …) would be found by the dynamic loader, on a machine with an NVIDIA GPU; in a
    pasted log, a program that could not load one ("libcudnn.so.8: cannot open shared object
    file", "Could not load dynamic library 'libcudart.so.11.0'", Paddle's "Failed to find
    dynamic library: libcudnn.so", torch's "[WinError 127] … Error loading
    "…\\cudnn_adv_infer64_8.dll"" (a warning: error 127 means another copy of a CUDA DLL came
    first on PATH)), whichever program printed it (Taichi's "libcuda.so lib not found": the
    driver's own library, whose directory on WSL is /usr/lib/wsl/lib; inside a container that
    library is DL109's to judge; Taichi falling back to the CPU under WSL2 with no other error
    is the same, as a warning); ONNX Runtime's "CUDA_PATH is
    set but CUDA wasn't able to be loaded" or "Failed to create CUDAExecutionProvider" (its CUDA
    provider could not load the CUDA/cuDNN libraries it links) when no library is named; a JVM
    binding of CUDA that could not load its native part (JCuda's 'Error while loading native
    library "JCublas2-10.2.0-linux-x86_64"', ND4J's "no jnind4jcuda in java.library.path"),
    which Java reports by the binding's name, not the CUDA library missing behind it; the
    driver's video codec libraries (FFmpeg's "Cannot load libnvidia-encode.so.1", libnvcuvid),
    which the NVIDIA runtime mounts into a container only with the `video` driver capability;
    TensorRT's runtime a program links (onnx2trt's "libnvinfer.so.5: cannot open shared object
    file"). The reporter saying the failure came from the CUDA toolkit not being installed, or
    that installing it fixed the program, is a warning (not beside torch, whose wheels bring
    their own CUDA libraries).

    Why it matters: a missing library silently turns the GPU build into a CPU one (TensorFlow:
    "Could not load dynamic library 'libcudnn.so.8'", "Skipping registering GPU devices") or
    makes the import fail (torch: "libcudnn.so.9: cannot open shared object file"). A missing
    cudart alone is a warning unless the machine has a GPU or the import failed: CPU set-ups
    of TensorFlow try it too ("Ignore above cudart dlerror if you do not have a GPU").

    Example: tensorflow 2.16.1 installed without the `and-cuda` extra and no CUDA 12 in the
    loader's path.

    Fix: `pip install "tensorflow[and-cuda]==2.16.*"` (Linux), or reinstall torch from its CUDA
    index; or install the CUDA/cuDNN release the framework was built with, or put its directory
    on LD_LIBRARY_PATH.
    """
    gpu = nvidia_gpu_present(s)
    # a library the paste shows in another major is DL202's finding
    covered: set[str] = set(wrong_major_from_text(s)) | set(extension_built_for_other_cuda(s))
    if _in_a_container(s):
        # the driver's own library missing inside a container: the container was started
        # without the NVIDIA runtime, which mounts it in (DL109's), not a library to install
        covered.update(
            lib.soname
            for res in s.libraries
            for lib in res.libraries
            if _DRIVER_LIBRARY.fullmatch(lib.soname)
        )
        covered.update(
            soname for soname, _, _ in _quoted_missing(s) if _DRIVER_LIBRARY.fullmatch(soname)
        )
    for res in s.libraries:
        missing = [lib for lib in res.libraries if lib.path is None and lib.soname not in covered]
        quoted = [
            lib
            for lib in missing
            if any(lib.soname.lower() in e.text.lower() for e in s.reported_errors)
        ]
        # only a GPU-intended CUDA build loads cuDNN/cuBLAS/cuSPARSE…; cudart is tried by CPU
        # set-ups too ("Ignore above cudart dlerror if you do not have a GPU set up")
        # (a failed load quoted in a paste, not the loader's prediction on a CPU machine)
        proves = any(not _is_cudart(lib.soname) or _hard_failure(s, lib.soname) for lib in quoted)
        fw = s.framework(res.framework)
        if fw is None and quoted:
            fw = FrameworkFacts(name=res.framework, distribution=res.framework, version="")
        if fw is None or not (gpu or quoted) or not missing:
            continue
        if not (cuda_build(fw) or quoted) or _gpu_works_live(s, fw.name):
            continue
        covered.update(lib.soname for lib in missing)
        names = ", ".join(lib.soname for lib in missing)
        yield finding(
            "DL201",
            title=f"{label(fw)} cannot find {names}",
            message=f"{label(fw)} is a CUDA{' ' + fw.cuda_version if fw.cuda_version else ''} "
            f"build, but the loader would not find {names}; it will run on the CPU or fail to "
            "import.",
            evidence=[
                Evidence(
                    fact=f"libraries.{res.framework}.{lib.name}",
                    found=None,
                    needed=lib.soname,
                    note=lib.reason,
                )
                for lib in missing
            ],
            fixes=_reinstall(fw, f"install the CUDA libraries {label(fw)} was built against")
            or [_library_install_step(missing[0].soname)],
            subject=fw.name,
            severity="error" if gpu or proves else "warning",
        )
    unattributed = list(_unattributed_missing(s, covered, gpu))
    yield from unattributed
    if not covered and not unattributed:
        yield from _provider_not_loaded(s)
        yield from _binding_not_loaded(s)
        yield from _program_fell_back_to_cpu(s)
        yield from _driver_api_fell_back_on_wsl(s)
        yield from _said_cuda_not_installed(s)


# the reporter's own account (catalog/prose-runtimes.toml): the CUDA runtime was not installed,
# or installing it fixed the program
SAID_NOT_INSTALLED = ("said-cuda-not-installed-cause", "said-cuda-install-fixed")


def _said_cuda_not_installed(s: Snapshot) -> Iterator[Finding]:
    """DL201, a warning, from the reporter's words: the failure came from the CUDA runtime not
    being installed ("Problem was that I didn't have CUDA toolkit installed"), or installing it
    fixed the program. Not beside torch (its wheels bring their own CUDA libraries), nor where
    the framework used the GPU."""
    said = next((e for e in s.reported_errors if e.signature in SAID_NOT_INSTALLED), None)
    if said is None or s.framework("torch") is not None or any(p.gpu_available for p in s.live):
        return
    yield finding(
        "DL201",
        title="Probably the CUDA runtime the program loads was not installed",
        message="The report says the program failed because the CUDA toolkit (its runtime "
        "libraries: cudart, cuBLAS, cuDNN) was not installed, or that installing it fixed the "
        "program. Programs that load the system's CUDA (llama.cpp engines, ONNX Runtime, "
        "CTranslate2, TensorFlow before its pip CUDA wheels) cannot use the GPU without it; "
        "the driver alone does not bring these libraries.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text),
                note="the reporter's words",
            )
        ],
        hint="`nvcc --version` shows an installed toolkit; nvidia-smi's 'CUDA Version' is only "
        "the newest CUDA the driver can run.",
        fixes=[
            ManualStep(
                text="Install the CUDA runtime release the program was built for (its docs or "
                "release notes name it), then restart the program.",
                commands=[
                    "nvidia-smi | head -4   # the newest CUDA this driver runs",
                    "nvcc --version         # the toolkit installed, if any",
                ],
            )
        ],
        subject="cuda",
    )


# ONNX Runtime's CUDA provider library did not load (src-onnxruntime.toml, tune-a.toml)
PROVIDER_NOT_LOADED = (
    "ort-cuda-path-set-not-loaded",
    "ort-cuda-provider-not-created",
    # LoadLibrary error 126 on onnxruntime_providers_cuda.dll without the dependency's name
    "ort-provider-dll-load-failed",
)
_ORT_REQUIRES = re.compile(r"Require cuDNN (\d+)\.\* and CUDA (\d+)\.\*")


def _provider_not_loaded(s: Snapshot) -> Iterator[Finding]:
    """ONNX Runtime says its CUDA provider library would not load ("CUDA_PATH is set but CUDA
    wasn't able to be loaded", "Failed to create CUDAExecutionProvider"): that library is
    there (onnxruntime-gpu), so what failed are the CUDA/cuDNN libraries it links, of the
    majors its release was built for. No other finding names a library: this one does not
    know which, and says where to look."""
    if wrong_major_from_text(s):
        return  # DL202 names the library and the major the paste shows instead
    said = next((e for e in s.reported_errors if e.signature in PROVIDER_NOT_LOADED), None)
    if said is None:
        return
    m = _ORT_REQUIRES.search(said.text)
    needs = (
        f"cuDNN {m.group(1)}.x and CUDA {m.group(2)}.x"
        if m
        else "the CUDA and cuDNN majors its onnxruntime-gpu release was built for"
    )
    yield _links_not_loaded(
        said,
        needs,
        title="ONNX Runtime's CUDA provider cannot load its CUDA/cuDNN libraries",
        message=f"ONNX Runtime could not load its CUDA provider: the libraries it links, {needs}, "
        "are not installed, not on the library path (PATH on Windows), or installed in another "
        "major. It stops (CUDA_PATH set) or runs on the CPU.",
        hint="ONNX Runtime's requirements table lists the CUDA and cuDNN majors of each "
        "onnxruntime-gpu release; `import torch` before onnxruntime also loads torch's copies.",
        fix=ManualStep(
            text=f"Install {needs} (or the onnxruntime-gpu release built for the CUDA you "
            "have) and put their library folders on the loader path.",
            commands=[
                "pip show onnxruntime-gpu",
                'pip install "nvidia-cudnn-cu12==9.*" "nvidia-cublas-cu12"   # CUDA 12 builds',
            ],
            url="https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html#requirements",
        ),
        subject="onnxruntime",
    )


def _links_not_loaded(
    said: ReportedError,
    needs: str,
    *,
    title: str,
    message: str,
    hint: str,
    fix: ManualStep,
    subject: str,
) -> Finding:
    """DL201 from a program's own message that the CUDA libraries it links did not load, where
    the message names the program (its provider, its binding) but not the library: what it
    needs, and where to look."""
    return finding(
        "DL201",
        title=title,
        message=message,
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                needed=needs,
            )
        ],
        hint=hint,
        fixes=[fix],
        subject=subject,
    )


def _binding_not_loaded(s: Snapshot) -> Iterator[Finding]:
    """A JVM binding of CUDA (JCuda, ND4J's CUDA backend through JavaCPP) could not load its
    native part: Java names the binding, not the CUDA library missing behind it. The binding
    is built for one CUDA release (JCuda 11.2.0 for CUDA 11.2, nd4j-cuda-10.0 for CUDA 10.0),
    whose libraries are not installed or not on PATH. Where the paste shows CUDA only in
    another major, DL202 says so instead."""
    said = next(
        (e for e in s.reported_errors if e.signature in (*JVM_BINDING_FAILURES, _ND4J_FAILED)),
        None,
    )
    if said is None:
        return
    m = _JVM_BINDING.search(said.text)
    majors = {cuda_major(t.version) for t in s.cuda.toolkits if t.version}
    if m is not None and majors and int(m["v"].split(".")[0]) not in majors:
        return  # _program_majors_in_text: the binding's major is not the one installed
    needs = (
        f"CUDA {m['v']} (the release {m['lib']} {m['v']} is built for)"
        if m
        else ("the CUDA release its artifact names (nd4j-cuda-X.Y needs CUDA X.Y)")
    )
    yield _links_not_loaded(
        said,
        needs,
        title="The Java CUDA binding cannot load the CUDA libraries it links",
        message=f"{first_line(said.text, 120)}: the binding's own native library is there, but "
        f"the CUDA libraries it links, of {needs}, are not installed or their folder is not "
        "on PATH (LD_LIBRARY_PATH on Linux).",
        hint="Java reports the binding that failed, not the library behind it: Dependency "
        "Walker (Windows) or `ldd` on the binding's native library names the missing one.",
        fix=ManualStep(
            text=f"Install {needs} and put its bin folder on PATH (lib64 on LD_LIBRARY_PATH "
            "on Linux), or use the binding release built for the CUDA that is installed; "
            "ND4J's cuda -redist artifact brings the libraries itself.",
            commands=["nvcc --version", "where cublas64_*.dll   # Windows: is it on PATH?"],
            url="https://github.com/jcuda/jcuda-main",
        ),
        subject="cuda",
    )


_ND4J_FAILED = "nd4j-cuda-backend-load-failed"  # catalog/jvm-bindings.toml


def _in_a_container(s: Snapshot) -> bool:
    """The program ran in a container: the paste shows it, or the reporter says so."""
    return s.host.container is not None or any(
        e.signature == "said-in-container" for e in s.reported_errors
    )


def _library_family(soname: str) -> str:
    """Whose release a missing library belongs to, in words: TensorRT's or CUDA/cuDNN's."""
    base = soname.lower().removeprefix("lib")
    return "TensorRT" if _TENSORRT_LIBRARY.match(base) else "CUDA/cuDNN"


def _unattributed_missing(s: Snapshot, covered: set[str], gpu: bool) -> Iterator[Finding]:
    """Libraries a pasted message could not load, printed by a program dlenv does not model
    (Paddle, onnxruntime, a CUDA extension) or without naming one."""
    for soname, signature, text in _quoted_missing(s):
        if soname in covered:
            continue
        cudart = _is_cudart(soname)
        soft = cudart and not gpu and not _hard_failure(s, soname)
        # Windows error 127 (a procedure missing), not 126 (a module missing): the DLL and
        # its dependencies were found, but one of them is another copy (an older cuDNN first
        # on PATH) without the entry point; probable, not proven
        other_copy = signature == "torch-windows-dll-error" and "WinError 126" not in text
        yield finding(
            "DL201",
            title=f"{soname} cannot be loaded",
            message=f"A program could not load {soname}: "
            + (
                "the NVIDIA driver's own library is not installed, or its directory is not on "
                "the loader's path (LD_LIBRARY_PATH, ld.so.cache; /usr/lib/wsl/lib on WSL)"
                if _DRIVER_LIBRARY.fullmatch(soname)
                else "the NVIDIA driver's video codec library is not installed, or the container "
                "was started without the `video` driver capability (NVIDIA_DRIVER_CAPABILITIES), "
                "so the NVIDIA runtime did not mount it"
                if _VIDEO_LIBRARY.fullmatch(soname)
                else f"that {_library_family(soname)} release is not installed, or its "
                "directory is not on the loader's path (LD_LIBRARY_PATH, ld.so.cache, PATH on "
                "Windows)"
            )
            + ("; without a GPU this cudart message is harmless." if soft else ".")
            + (
                " Windows found the DLL but not a procedure it needs: another copy of a "
                "CUDA/cuDNN DLL that comes first on PATH is the usual cause."
                if other_copy
                else ""
            ),
            evidence=[
                Evidence(fact=f"reported_errors.{signature}", found=first_line(text, 200)),
                Evidence(fact=f"libraries.{soname}", found=None, needed=soname),
            ],
            fixes=[_library_install_step(soname)],
            subject=soname,
            severity="warning" if soft or other_copy else "error",
        )


@rule("DL202", "cuda-library-wrong-major", "error", "cuda")
def cuda_library_wrong_major(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the CUDA and cuDNN libraries the loader would give a framework have
    the major version the framework was built with; in a paste, a library a program could not
    load (`libcublas.so.11`, `cudnn64_8.dll`, "Cannot load cudnn shared library") while the
    paste shows the same library in another major and never in the one asked for: an
    `ldconfig -p`/`ldd`/`ls` line (one-column too) or a path, the reporter saying which file is
    there ("only libcublasLt.so.12 was available"), `nvcc --version` (which also shows a
    missing cudart matters: a toolkit installed for the GPU) or a stated CUDA release (through
    the KB's sonames per release), an `nvidia-*-cuNN` wheel, a cuDNN install or the cuDNN
    the reporter says is installed ("cuDNN 9.1 installed"), torch `+cu118`; and, when no file is
    named, a failed load by a program whose release the paste states (ctranslate2 4.5 is built
    for CUDA 12 and cuDNN 9, 4.0-4.4 for cuDNN 8, 3.x for CUDA 11; onnxruntime-gpu 1.19 and
    newer for CUDA 12 and cuDNN 9: the knowledge base's library_majors.json), or ONNX Runtime's
    own "Require cuDNN 9.* and CUDA 12.*", against the CUDA or cuDNN the paste states installed
    in another major only (a warning: reasoned from stated versions); a stated fix that goes
    back to an older CTranslate2 (the cuDNN 8 line) after a failed cuDNN 9 load, with no torch
    in the paste: the installed cuDNN is the other major (a warning); a package's compiled
    extension ("from detectron2 import _C") failing to import on a versioned CUDA library that
    the paste shows nowhere: it was built for another CUDA than the environment's (a warning);
    a TensorFlow release the paste states beside a stated CUDA whose runtime is another file
    than the one that release was built for ("Tensorflow 2.4, and cuda 10.1": libcudart.so.11.0
    against .so.10.1, from the knowledge base's tested build configurations), with no other
    framework that could own the toolkit (a warning: TensorFlow runs on the CPU).

    Why it matters: a cuDNN 8 library under a build that expects cuDNN 9 (or CUDA 11 libraries
    for a CUDA 12 build) fails at the first convolution: "Loaded runtime CuDNN library: 8.9.7
    but source was compiled with: 9.3.0".

    Example: LD_LIBRARY_PATH puts /usr/local/cuda-11.8/lib64 first for tensorflow 2.18 (CUDA 12);
    faster-whisper's "Library libcublas.so.11 is not found" on a machine with CUDA 12.1 only.

    Fix: remove the stale directory from LD_LIBRARY_PATH, or install the matching libraries
    (majors install side by side), or the program's build for the major that is installed.
    """
    yield from _wrong_major_in_text(s)
    yield from _extension_for_other_cuda(s)
    yield from _program_majors_in_text(s)
    yield from _tensorflow_release_against_stated_cuda(s)
    yield from _fix_goes_back(s, "DL202")
    if not nvidia_gpu_present(s):
        return
    for res in s.libraries:
        fw = s.framework(res.framework)
        if fw is None or not cuda_build(fw) or _gpu_works_live(s, fw.name):
            continue
        for lib in res.libraries:
            expected = _expected_major(fw, lib)
            found = cuda_major(lib.version)
            if lib.path is None or expected is None or found is None or found == expected:
                continue
            fixes: list[Action] = []
            if lib.via and "LD_LIBRARY_PATH" in lib.via:
                fixes.append(
                    RemoveFromPath(
                        name="LD_LIBRARY_PATH",
                        entries=[os.path.dirname(lib.path)],
                        reason=f"it holds {lib.name} {lib.version}",
                    )
                )
            fixes += _reinstall(fw, f"{label(fw)} needs {lib.name} {expected}.x")
            yield finding(
                "DL202",
                title=f"{label(fw)} would load {lib.name} {lib.version}, built for {expected}.x",
                message=f"{label(fw)} expects {lib.name} {expected}.x but the loader would "
                f"give it {lib.path} ({lib.version}, via {lib.via or 'the default search'}).",
                evidence=[
                    Evidence(
                        fact=f"libraries.{res.framework}.{lib.name}.version",
                        found=lib.version,
                        needed=f"{expected}.x",
                        note=f"needed by {label(fw)}",
                    )
                ],
                fixes=fixes,
                subject=fw.name,
            )


def _program_majors_in_text(s: Snapshot) -> Iterator[Finding]:
    """A program that loads CUDA itself failed, and the majors its release is built for (the
    knowledge base's row for a stated ctranslate2/onnxruntime-gpu release, or ONNX Runtime's
    own "Require cuDNN 9.* and CUDA 12.*") are not the ones the paste states installed
    ("CUDA 11.8", "I installed cuDNN 9.2"): a maintainer's arithmetic when no file is named."""
    if wrong_major_from_text(s):
        return  # the failed file itself names the major: _wrong_major_in_text says it
    if not _cuda_load_failed(s):
        return
    asked: list[tuple[str, int, str, str]] = []  # (component, major, who asks, why)
    for row, stated in _stated_programs(s):
        why = f"{row.note} ({row.source})"
        asked += [("CUDA", row.cuda, stated, why), ("cuDNN", row.cudnn, stated, why)]
    for e in s.reported_errors:
        # a JVM binding named by the CUDA release it was built for: JCuda 11.2.0, nd4j-cuda-10.0
        jvm = _JVM_BINDING.search(e.text) if e.signature in JVM_BINDING_FAILURES else None
        if jvm is not None:
            who = f"{jvm['lib']} {jvm['v']}"
            asked.append(("CUDA", int(jvm["v"].split(".")[0]), who, first_line(e.text, 80)))
        said = next((e for e in s.reported_errors if e.signature in PROVIDER_NOT_LOADED), None)
    m = _ORT_REQUIRES.search(said.text) if said else None
    if m:
        asked += [
            ("cuDNN", int(m.group(1)), "ONNX Runtime", first_line(m.group(0), 80)),
            ("CUDA", int(m.group(2)), "ONNX Runtime", first_line(m.group(0), 80)),
        ]
    brought = {("CUDA", cuda_major(fw.cuda_version)) for fw in s.frameworks if cuda_build(fw)} | {
        ("cuDNN", cuda_major(_expected_cudnn_text(fw))) for fw in s.frameworks if cuda_build(fw)
    }
    installed = {
        "CUDA": {
            (cuda_major(t.version), f"CUDA {t.version}{_where(t.path)}") for t in s.cuda.toolkits
        },
        "cuDNN": {(c.major, f"cuDNN {c.version or c.major}{_where(c.path)}") for c in s.cuda.cudnn},
    }
    for component, major, who, why in asked:
        have = [(m_, what) for m_, what in installed[component] if m_ is not None]
        if not have or any(m_ == major for m_, _ in have) or (component, major) in brought:
            continue
        shown = "; ".join(sorted(what for _, what in have)[:3])
        yield finding(
            "DL202",
            title=f"{who} needs {component} {major}, the paste shows {shown}",
            message=f"{who} is built for {component} {major} and failed to load it; the paste "
            f"shows {component} only in another major ({shown}). A program loads the major it "
            "was built for: another major does not stand in for it. Reasoned from the versions "
            "the paste states.",
            severity="warning",
            evidence=[
                Evidence(
                    fact=f"needed by {who}", found=None, needed=f"{component} {major}", note=why
                ),
                *(
                    Evidence(fact=f"cuda ({component} as the paste shows it)", found=what)
                    for _, what in sorted(have)[:3]
                ),
            ],
            hint=f"Check which {component} the program finds: `ldconfig -p | grep -i "
            f"{'cudnn' if component == 'cuDNN' else 'cublas'}` (Linux) or `where "
            f"{'cudnn*' if component == 'cuDNN' else 'cublas*'}.dll` (Windows).",
            fixes=[
                ManualStep(
                    text=f"Install {component} {major} beside the other major (majors install "
                    f"side by side: pip's nvidia-* wheels, or NVIDIA's installers) and put it "
                    f"on the loader path, or install the {who.split()[0]} release built for the "
                    f"{component} that is installed.",
                    commands=[
                        f'pip install "nvidia-cudnn-cu12=={major}.*"'
                        if component == "cuDNN"
                        else f"pip install nvidia-cublas-cu{major} nvidia-cuda-runtime-cu{major}",
                    ],
                    url="https://github.com/SYSTRAN/faster-whisper#gpu",
                )
            ],
            subject=who.split()[0],
        )
        return


# frameworks that bring or name a CUDA of their own: beside one of them, a stated toolkit may
# be its, not TensorFlow's
_OTHER_CUDA_USERS = ("torch", "jax")
# TensorFlow's own lines that it loaded its CUDA libraries (catalog/tf-loading.toml): opened
# one, or compared the cuDNN it loaded with its build's
_TF_LOADED_CUDA = ("tf-library-opened", "tf-cudnn-version-mismatch")


def _tensorflow_release_against_stated_cuda(s: Snapshot) -> Iterator[Finding]:
    """A TensorFlow release the paste states ("Tensorflow 2.4") beside the CUDA it states
    installed ("cuda 10.1") whose runtime is another file than the one that release was built
    for (the knowledge base's tested build configurations and each CUDA release's sonames:
    TensorFlow 2.4 asks for libcudart.so.11.0, CUDA 10.1 gives libcudart.so.10.1): TensorFlow
    cannot load it and runs on the CPU. A warning, reasoned from stated versions, where no failed
    load is quoted (those name the file themselves), TensorFlow does not show it loaded CUDA, it
    does not run in a container (whose image brings its own) and no other framework could own
    the toolkit."""
    if wrong_major_from_text(s) or s.host.os == "Darwin" or _in_a_container(s):
        return  # a failed load names its file; an image brings its own CUDA, not the host's
    if any(e.signature in _TF_LOADED_CUDA for e in s.reported_errors):
        return
    tf = s.framework("tensorflow")
    if tf is None or cuda_build(tf) is False or any(s.framework(n) for n in _OTHER_CUDA_USERS):
        return
    if any(p.framework == "tensorflow" and p.gpu_available for p in s.live):
        return  # it uses the GPU: whatever the paste states, TensorFlow found its libraries
    release = tensorflow_release(tf.version)
    built = cuda_sonames(release.cuda) if release else None
    needed = built.sonames.get("cudart") if built else None
    if release is None or needed is None:
        return
    stated = [t for t in s.cuda.toolkits if t.version and t.kind != "pip"]
    have: list[tuple[str, str]] = []  # (cudart soname, the toolkit as the paste shows it)
    for t in stated:
        row = cuda_sonames(t.version)
        given = row.sonames.get("cudart") if row else None
        if given is None or given == needed:
            return  # a toolkit it can load, or one whose files the knowledge base cannot name
        if s.driver.cuda_version and major_minor(s.driver.cuda_version) == major_minor(t.version):
            return  # likely nvidia-smi's "CUDA Version" (the driver's), read as a toolkit
        have.append((given, f"CUDA {t.version}{_where(t.path)}"))
    if not have:
        return
    shown = "; ".join(sorted({what for _, what in have}))
    who = f"TensorFlow {tf.version}"
    yield finding(
        "DL202",
        title=f"{who} is built for CUDA {release.cuda}, the paste shows {shown}",
        message=f"{who} was built with CUDA {release.cuda} and cuDNN {release.cudnn} (its "
        f"tested build configuration) and loads {needed}; the CUDA the paste states installed "
        f"gives {have[0][0]}, another file. TensorFlow cannot load it, skips the GPU and runs on "
        "the CPU (slow, or apparently stalled). Reasoned from the versions the paste states.",
        severity="warning",
        evidence=[
            Evidence(
                fact="tensorflow.cuda (tested build configuration)",
                found=None,
                needed=f"CUDA {release.cuda} ({needed}), cuDNN {release.cudnn}",
                note=release.source,
            ),
            *(Evidence(fact="cuda (as the paste shows it)", found=what) for _, what in have[:3]),
        ],
        hint='Check what TensorFlow loads: `python -c "import tensorflow as tf; '
        "print(tf.config.list_physical_devices('GPU'))\"` prints the \"Could not load dynamic "
        'library" lines that name the missing file.',
        fixes=[
            ManualStep(
                text=f"Install the CUDA {release.cuda} and cuDNN {release.cudnn} runtime "
                f"beside the other release (they install side by side), or the TensorFlow "
                "release built for the CUDA that is installed (tensorflow.org's tested build "
                "configurations).",
                commands=[
                    f"conda install -c conda-forge cudatoolkit={release.cuda} "
                    f"cudnn={release.cudnn}",
                ],
                url="https://www.tensorflow.org/install/source#gpu",
            )
        ],
        subject="tensorflow",
    )


def _extension_for_other_cuda(s: Snapshot) -> Iterator[Finding]:
    """A package's compiled extension failed to import on a CUDA library of a major the
    paste shows nowhere: it was built for another CUDA than this environment's (a warning:
    the import line and the error are read side by side)."""
    for soname, pkg in extension_built_for_other_cuda(s).items():
        key = _soname_key(soname)
        release = "" if key is None else f"{'cuDNN' if key[0] == 'cudnn' else 'CUDA'} {key[1]}"
        yield finding(
            "DL202",
            title=f"{pkg}'s compiled extension was built for {release}",
            message=f"{pkg}'s compiled extension asks for {soname}, the {release} library it "
            "was linked against, and it cannot be loaded: the extension was probably built "
            f"(or downloaded prebuilt) for {release}, not for the CUDA this environment has "
            "(torch brings its own CUDA runtime; an extension links the toolkit it was built "
            "with). Reasoned from the import line beside the error.",
            severity="warning",
            evidence=[
                Evidence(fact=f"libraries.{soname}", found=None, needed=soname),
                Evidence(
                    fact="reported_errors.compiled-extension-import",
                    found=f"an import of {pkg}'s compiled extension",
                    note="the extension that asked for the library",
                ),
            ],
            hint="Compare the CUDA the extension was built for with torch's: "
            '`python -c "import torch; print(torch.__version__, torch.version.cuda)"`.',
            fixes=[
                ManualStep(
                    text=f"Reinstall {pkg} built for the CUDA of the installed torch (its "
                    "prebuilt wheel for that torch and CUDA), or rebuild it from source against "
                    "that toolkit after removing the old build; installing the "
                    f"{release} libraries beside the others also lets it load.",
                    commands=[
                        'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
                        f"pip uninstall -y {pkg}",
                        "rm -rf build/ && pip install -e .   # a build from a source checkout",
                    ],
                    url="https://github.com/facebookresearch/detectron2/blob/main/INSTALL.md",
                )
            ],
            subject=soname,
        )


def _where(path: str) -> str:
    """ " (/usr/local/cuda-11.8)", or " (stated in prose)" for a path that is already a note."""
    return f" {path}" if path.startswith("(") else f" ({path})"


def _wrong_major_in_text(s: Snapshot) -> Iterator[Finding]:
    """A library a pasted message failed to load while the paste shows it in another major."""
    for soname, (name, shown) in wrong_major_from_text(s).items():
        fw = s.framework(name) if name else None
        who = label(fw) if fw else name or "The program"
        others = "; ".join(shown[:3])
        fixes: list[Action] = []
        if fw is not None:
            fixes += _reinstall(fw, f"a build of {label(fw)} for the CUDA that is installed")
        fixes.append(
            ManualStep(
                text=f"Either install the build of {who if fw else 'the program'} made for the "
                f"CUDA/cuDNN major that is installed ({others}), or install the major that "
                f"provides {soname} beside it (majors install side by side) and put its "
                "directory on the loader path.",
                commands=_library_install_step(soname).commands,
                url="https://developer.nvidia.com/cuda-toolkit-archive",
            )
        )
        yield finding(
            "DL202",
            title=f"{soname} is missing, the paste shows another major",
            message=f"{who} asks for {soname}, which is not installed; the paste shows the "
            f"same library in another major ({others}). A program asks for the exact major it "
            "was built with: another major does not stand in for it.",
            evidence=[
                Evidence(fact=f"libraries.{soname}", found=None, needed=soname),
                *(Evidence(fact="cuda (as the paste shows it)", found=what) for what in shown[:3]),
            ],
            fixes=fixes,
            subject=fw.name if fw else soname,
        )


def _expected_cudnn(fw: FrameworkFacts) -> int | None:
    return cuda_major(fw.cudnn_version) or cuda_major(_kb_cudnn(fw))


_CUDNN_USERS = ("torch", "tensorflow", "jax")
CUDNN_SHARING_SIGNATURES = ("import-order-matters", "cudnn-replaced-by-other-install")


def _loaded_from_other(s: Snapshot) -> Iterator[Finding]:
    """A framework that loaded (live, or by its own message) a cuDNN its build rejects, while
    another CUDA framework shares the environment: that one's cuDNN was loaded first."""
    for fw in s.frameworks:
        lib = _live_cudnn(s, fw.name)
        others = [
            o
            for o in s.frameworks
            if o is not fw and o.name in _CUDNN_USERS and cuda_build(o) is not False
        ]
        if fw.name not in _CUDNN_USERS or lib is None or not others:
            continue
        if cudnn_compatible(fw.cudnn_version, lib.version) is not False:
            continue
        # the one whose cuDNN pin (its METADATA, or PyPI's for a stated version) is the cuDNN
        # that was loaded: torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70, JAX loaded 9.1.0
        pinned = {o.name: pin for o in others if (pin := _cudnn_pin(s, o)) is not None}
        other = next(
            (o for o in others if o.name in pinned and _same_minor(pinned[o.name][0], lib.version)),
            others[0],
        )
        pin = pinned.get(other.name)
        yield finding(
            "DL203",
            title=f"{label(fw)} runs with the cuDNN {lib.version} of another framework",
            message=f"{label(fw)} is built with cuDNN {fw.cudnn_version} but loaded cuDNN "
            f"{lib.version}, while {label(other)} shares the environment: the framework that "
            "loads cuDNN first wins, and the other one fails or falls back to the CPU.",
            evidence=[
                Evidence(
                    fact=f"live.{fw.name}.loaded_libraries.cudnn",
                    found=lib.version,
                    needed=f">={fw.cudnn_version}",
                    note=f"{label(fw)} is built with cuDNN {fw.cudnn_version}",
                ),
                Evidence(fact=f"frameworks.{other.name}", found=label(other)),
                *(
                    [Evidence(fact=f"frameworks.{other.name}.requires", found=pin[0], note=pin[1])]
                    if pin is not None and _same_minor(pin[0], lib.version)
                    else []
                ),
            ],
            hint=f"Import {fw.name} before {other.name} to confirm: then it loads its own cuDNN.",
            fixes=[
                ManualStep(
                    text=f"Give {fw.name} and {other.name} an environment each, or install "
                    f"releases built against the same cuDNN (at least {fw.cudnn_version}; a "
                    "newer minor of the same major usually suits both, see DL206); as a "
                    f"stopgap, import {fw.name} first.",
                    commands=[
                        f"python -m venv .venv-{fw.name}",
                        f"python -m venv .venv-{other.name}",
                    ],
                )
            ],
            subject=fw.name,
        )


def _cudnn_pin(s: Snapshot, fw: FrameworkFacts) -> tuple[str, str] | None:
    """(the framework's nvidia-cudnn requirement, where it was read): its METADATA, else the
    knowledge base's copy of PyPI's metadata for a version the paste states."""
    stated = None if fw.requires else _stated_pins(s, fw)
    requires = fw.requires if stated is None else list(stated.requires)
    where = "its METADATA" if stated is None else f"{stated.what} ({stated.source})"
    for text, (_, spec) in _nvidia_pins(replace(fw, requires=requires)).items():
        if text.startswith("nvidia-cudnn"):
            return f"{text}{spec}", where
    return None


def _same_minor(requirement: str, version: str | None) -> bool:
    """Whether a pin (==9.1.0.70, >=9.1) names the major.minor of a loaded cuDNN (9.1.0)."""
    m = re.search(r"(?:==|>=|~=)\s*(\d+\.\d+)", requirement)
    return bool(m and version and major_minor(m.group(1)) == major_minor(version))


TWO_PROGRAMS_CUDNN = "said-two-programs-cudnn"  # catalog/prose-cudnn.toml
_CUDNN_PROGRAM = re.compile(
    r"(?<![\w-])(pytorch|torch|jaxlib|jax|tensorflow|tf|theano|ctranslate2?|onnxruntime|"
    r"paddle|mxnet|faster-whisper|whisperx)(?![\w-])",
    re.IGNORECASE,
)
_SAME_PROGRAM = {
    "pytorch": "torch",
    "jaxlib": "jax",
    "tf": "tensorflow",
    "ctranslate": "ctranslate2",
}


def _names_two_programs(text: str) -> bool:
    """Whether a sentence names two different cuDNN users ("torch … while theano …")."""
    names = {m.group(1).lower() for m in _CUDNN_PROGRAM.finditer(text)}
    return len({_SAME_PROGRAM.get(n, n) for n in names}) >= 2


def _reported_sharing(s: Snapshot) -> Iterator[Finding]:
    """A paste that says the failure depends on import order, that one install replaced
    another's cuDNN, or (the reporter's words) that two programs it names want different
    cuDNN versions."""
    said = [
        e
        for e in s.reported_errors
        if e.signature in CUDNN_SHARING_SIGNATURES
        or (e.signature == TWO_PROGRAMS_CUDNN and _names_two_programs(e.text))
    ]
    if not said:
        return
    failing = next((e.framework for e in s.reported_errors if not e.harmless and e.framework), None)
    yield finding(
        "DL203",
        title="Two frameworks in one environment share one cuDNN",
        message="The report says the failure depends on which framework is imported first, "
        "that one install replaced another's cuDNN, or that two programs want different "
        "cuDNN versions: both load cuDNN into the same process or environment and need "
        "different versions of it.",
        severity="warning",
        evidence=[
            Evidence(fact=f"reported_errors.{e.signature}", found=first_line(e.text, 200))
            for e in said
        ],
        hint="Check the cuDNN each needs: `pip show nvidia-cudnn-cu12` and "
        "`python -c 'import torch; print(torch.backends.cudnn.version())'`.",
        fixes=[
            ManualStep(
                text="Give each framework its own environment (each then installs the cuDNN "
                "it was built with), or pick releases built against the same cuDNN.",
                commands=["python -m venv .venv-torch", "python -m venv .venv-jax"],
            )
        ],
        subject=failing or "cudnn",
    )


_CUDNN_REQUIREMENT = re.compile(r"nvidia-cudnn(?:-cu\d+)?\s*(?:==|>=|~=)\s*(\d+\.\d+)")


def _cudnn_floor(fw: FrameworkFacts) -> str | None:
    """The oldest cuDNN (major.minor) the framework's build accepts: its own stated version,
    its pin or lower bound on the cuDNN wheel (torch ==9.1.0.70, jax-cuda12-plugin >=9.8), or
    the knowledge base's row for the release."""
    if fw.cudnn_version and "." in fw.cudnn_version.strip():
        return fw.cudnn_version
    for requirement in fw.requires:
        m = _CUDNN_REQUIREMENT.search(requirement)
        if m:
            return m.group(1)
    if fw.name == "jax":
        release = jax_release(fw.version)
        m = re.search(r">=\s*(\d+\.\d+)", release.cudnn or "") if release else None
        return m.group(1) if m else None
    return _kb_cudnn(fw)


def _older_minor_conflicts(s: Snapshot) -> Iterator[Finding]:
    """Two builds that need the same cuDNN major but different minors, where the loader gives
    the one needing the newer minor the older cuDNN that the other one pins (torch 2.6 pins
    nvidia-cudnn-cu12==9.1.0.70; JAX 0.6 needs 9.8): the cuDNN of one environment is one."""
    floors = [
        (fw, floor)
        for fw in s.frameworks
        if fw.name in _CUDNN_USERS and cuda_build(fw) and (floor := _cudnn_floor(fw))
    ]
    for high, high_floor in floors:
        found = _loaded_cudnn(s, high.name)
        if found is None or found[1] or cudnn_compatible(high_floor, found[0]) is not False:
            continue  # (loaded already, live: the check above judged what it loaded)
        loaded = found[0]
        if cuda_major(loaded) != cuda_major(high_floor):
            continue  # another major: DL202/DL206, or the majors check below
        low = next(
            (
                (fw, floor)
                for fw, floor in floors
                if fw is not high
                and cuda_major(floor) == cuda_major(high_floor)
                and cudnn_compatible(floor, loaded) is not False
                and (major_minor(floor) or (0, 0)) < (major_minor(high_floor) or (0, 0))
            ),
            None,
        )
        if low is None:
            continue  # nobody else needs the older cuDNN: DL206's finding
        other, other_floor = low
        yield finding(
            "DL203",
            title=f"{label(high)} needs cuDNN {high_floor}+, but gets the cuDNN {loaded} "
            f"{label(other)} pins",
            message=f"{label(high)} is built with cuDNN {high_floor} and refuses an older minor; "
            f"{label(other)} needs cuDNN {other_floor} and the environment holds cuDNN {loaded}, "
            f"which the loader gives both: {label(high)} fails to use cuDNN.",
            evidence=[
                Evidence(
                    fact=f"libraries.{high.name}.cudnn.version",
                    found=loaded,
                    needed=f">={high_floor}",
                    note=f"needed by {label(high)}",
                ),
                Evidence(
                    fact=f"frameworks.{other.name}.cudnn",
                    found=other_floor,
                    note=f"what {label(other)} pins or was built with",
                ),
            ],
            hint=f"Check with `python -c 'import {high.name}'` first, then the other: the "
            "framework that loads cuDNN first decides which one the process uses.",
            fixes=[
                ManualStep(
                    text=f"Give {high.name} and {other.name} an environment each, or install "
                    f"a release of {other.name} built against cuDNN {high_floor} or newer.",
                    commands=[
                        f"python -m venv .venv-{high.name}",
                        f"python -m venv .venv-{other.name}",
                    ],
                )
            ],
            subject=high.name,
        )


# -- a program's cuDNN against a framework's in one process (ctranslate2 beside torch) -----------
PROGRAM_VERSION = "cuda-program-version-stated"  # catalog/cudnn.toml
PROGRAM_NAMED = "cuda-program-named"
_PROGRAM_RELEASE = re.compile(
    r"(?<![\w.-])(ctranslate2|onnxruntime[-_]gpu)(?![\w-])(?:[ \t]{1,40}|[ \t]{0,3}(?:==|=|:)"
    r"[ \t]{0,3}|[ \t]{1,3}(?:version[ \t]{1,3}|v))(\d{1,2}\.\d{1,3}(?:\.\d{1,4})?)",
    re.IGNORECASE,
)


JVM_BINDING_FAILURES = ("jcuda-native-library-load-failed",)  # catalog/jvm-bindings.toml
_JVM_BINDING = re.compile(r'"(?P<lib>J[A-Za-z]+\d?)-(?P<v>\d{1,2}\.\d{1,2})\.\d{1,3}-')


def _cuda_load_failed(s: Snapshot) -> bool:
    """A pasted message says a CUDA/cuDNN library did not load (a file, a symbol, ONNX
    Runtime's provider) or cuDNN failed: not merely that a program was named."""
    return any(
        not e.harmless
        and (
            e.signature in MISSING_LIBRARY_SIGNATURES
            or e.signature in PROVIDER_NOT_LOADED
            or "cudnn" in e.signature
        )
        for e in s.reported_errors
    )


def _stated_programs(s: Snapshot) -> list[tuple[ProgramMajors, str]]:
    """The knowledge base's rows for the programs a paste states with their release, and the
    release as stated ("ctranslate2 4.5.0")."""
    rows: list[tuple[ProgramMajors, str]] = []
    for e in s.reported_errors:
        if e.signature != PROGRAM_VERSION:
            continue
        for m in _PROGRAM_RELEASE.finditer(e.text):
            row = program_majors(m.group(1), m.group(2))
            if row is not None and all(row != have for have, _ in rows):
                rows.append((row, f"{row.package} {m.group(2)}"))
    return rows


def _asked_cudnn(s: Snapshot) -> list[tuple[int, str]]:
    """(cuDNN major, what asks for it) of every cuDNN a pasted message failed to load: the
    soname states the major (libcudnn_ops_infer.so.8, cudnn_ops64_9.dll)."""
    out: list[tuple[int, str]] = []
    for soname, _, _ in _quoted_missing(s):
        key = _soname_key(soname)
        head = key[1].split(".")[0] if key and key[0] == "cudnn" else ""
        if head.isdigit() and all(int(head) != m for m, _ in out):
            out.append((int(head), soname))
    return out


def _program_fix(row: ProgramMajors | None, cudnn: int, cuda: int | None) -> list[Action]:
    """Pin the program to the release line built for the framework's cuDNN major."""
    if row is None or row.package != "ctranslate2":
        return []
    spec = (
        "ctranslate2>=4.5"
        if cudnn >= 9
        else "ctranslate2==3.24.0"
        if cuda is not None and cuda <= 11
        else "ctranslate2==4.4.0"
    )
    return [
        InstallPackages(
            packages=[spec],
            reason=f"the CTranslate2 release built for cuDNN {cudnn} (faster-whisper's README)",
        )
    ]


def _program_beside_framework(s: Snapshot) -> Iterator[Finding]:
    """A program that loads cuDNN itself (CTranslate2 behind faster-whisper or whisperX, ONNX
    Runtime) failed on a cuDNN major, or is stated in a release built for one, while a
    framework build in the same paste brings another cuDNN major (torch 2.4+ cuDNN 9, 2.3 and
    older cuDNN 8): the maintainers' "strict version matrix between CTranslate2 and torch"."""
    stated = _stated_programs(s)
    programs = [row for row, _ in stated]
    named = programs or any(e.signature == PROGRAM_NAMED for e in s.reported_errors)
    asked = _asked_cudnn(s)
    if not named or not (asked or programs):
        return
    if not _cuda_load_failed(s):
        return
    asked += [(row.cudnn, what) for row, what in stated]
    for fw in s.frameworks:
        have = cuda_major(_expected_cudnn_text(fw)) if fw.name in _CUDNN_USERS else None
        if have is None or not cuda_build(fw):
            continue
        other = [(m, what) for m, what in asked if m != have]
        if not other:
            continue
        major, what = other[0]
        row = next((r for r in programs if r.cudnn == major), None) or next(iter(programs), None)
        who = row.package if row else "ctranslate2 (faster-whisper/whisperX) or another program"
        yield finding(
            "DL203",
            title=f"{what} asks for cuDNN {major}, {label(fw)} brings cuDNN {have}",
            message=f"A program beside {label(fw)} in this process ({who}) asks for cuDNN "
            f"{major} ({what}), while {label(fw)} is built with cuDNN {have} and brings its "
            "own: one process loads one cuDNN, and the program built for the other major "
            "fails to load or use it. Reasoned from the versions the paste states.",
            severity="warning",
            evidence=[
                Evidence(
                    fact="reported_errors (the cuDNN asked for)",
                    found=what,
                    needed=f"cuDNN {major}",
                    note=row.note if row else "the major in the library's file name",
                ),
                Evidence(
                    fact=f"frameworks.{fw.name}.cudnn",
                    found=f"cuDNN {have}",
                    note=f"what {label(fw)} is built with (knowledge base)",
                ),
            ],
            hint="Confirm with `pip list | grep -i -e ctranslate2 -e onnxruntime -e torch` and "
            f"`python -c 'import {fw.name}'` before the program: the cuDNN each was built for "
            "must be the same major.",
            fixes=[
                *_program_fix(
                    row or program_majors("ctranslate2", "4.5"), have, cuda_major(fw.cuda_version)
                ),
                ManualStep(
                    text="Install releases built for the same cuDNN major: for CTranslate2, "
                    "4.5 or newer with cuDNN 9 (torch 2.4 or newer), 4.4.0 with cuDNN 8 "
                    "(torch 2.3 or older, CUDA 12), 3.24.0 for CUDA 11; or run the program in "
                    "an environment of its own.",
                    commands=[
                        "pip list | grep -i -e ctranslate2 -e onnxruntime -e torch",
                        f"python -c 'import {fw.name}; print({fw.name}.__version__)'",
                    ],
                    url="https://github.com/SYSTRAN/faster-whisper#gpu",
                ),
            ],
            subject=fw.name,
        )
        return


_CUDNN9_SHIM = re.compile(r"Cannot load symbol cudnn\w{1,60}")


def _cudnn9_beside_unversioned_torch(s: Snapshot) -> Iterator[Finding]:
    """cuDNN 9 failed to load (its sub-library, "Could not locate cudnn_ops64_9.dll", "Unable
    to load any of {libcudnn_ops.so.9…}", then its shim's "Invalid handle. Cannot load symbol
    cudnnCreateTensorDescriptor") in an environment the reporter says runs torch (named, or a
    program that runs it: whisperX, pyannote, XTTS) whose release the paste does not state:
    CTranslate2 4.5+ (faster-whisper) asks for cuDNN 9, and a torch older than 2.4 brings cuDNN
    8 to the same process (the maintainers' `pip install "ctranslate2<4.5.0"`, or torch 2.4)."""
    if not _brings_torch(s) or any(
        fw.name == "torch" and _expected_cudnn_text(fw) for fw in s.frameworks
    ):
        return  # no torch, or its cuDNN is known: _program_beside_framework weighs that
    asked = [what for major, what in _asked_cudnn(s) if major == 9]
    shim = next((e for e in s.reported_errors if _CUDNN9_SHIM.search(e.text)), None)
    named = any(e.signature == PROGRAM_NAMED for e in s.reported_errors)
    if not asked or not (shim or named):
        return
    yield finding(
        "DL203",
        title=f"{asked[0]} (cuDNN 9) fails beside torch: probably CTranslate2 4.5+ with a "
        "torch that brings cuDNN 8",
        message="A program in this environment asks for cuDNN 9 and cannot load it, while the "
        "report says torch runs in the same environment. CTranslate2 4.5 and newer "
        "(faster-whisper, whisperX) is built for cuDNN 9; torch 2.3 and older brings cuDNN 8. "
        "One process loads one cuDNN, so the program built for the other major fails. "
        "Reasoned from context: the paste states neither release.",
        severity="warning",
        evidence=[
            Evidence(
                fact="reported_errors (the cuDNN asked for)",
                found=asked[0],
                needed="cuDNN 9",
                note=first_line(shim.text, 120) if shim else "a program that loads cuDNN named",
            ),
            Evidence(
                fact="reported_errors (torch named)",
                found="torch, or a program that runs it, in the same environment",
                note="release unstated: torch 2.4+ brings cuDNN 9, 2.3 and older cuDNN 8",
            ),
        ],
        hint="Confirm with `pip list | grep -i -e ctranslate2 -e torch`: ctranslate2 4.5+ "
        "beside torch 2.3 or older is this conflict.",
        fixes=[
            InstallPackages(
                packages=["ctranslate2==4.4.0"],
                reason="the CTranslate2 release built for cuDNN 8, the one torch 2.3 and older "
                "brings (faster-whisper's README)",
            ),
            ManualStep(
                text="Or keep CTranslate2 4.5+ and install torch 2.4 or newer (cuDNN 9), from "
                "the CUDA index that matches your driver.",
                commands=[
                    "pip list | grep -i -e ctranslate2 -e torch",
                    'pip install "torch>=2.4" --index-url https://download.pytorch.org/whl/cu124',
                ],
                url="https://github.com/SYSTRAN/faster-whisper#gpu",
            ),
        ],
        subject="torch",
    )


def _expected_cudnn_text(fw: FrameworkFacts) -> str | None:
    """The cuDNN a framework build brings: its own, the knowledge base's row for its variant,
    or, for a torch whose variant is unsaid, the one cuDNN major all the release's CUDA
    variants share (torch 2.0: 8, 2.4 and newer: 9)."""
    known = fw.cudnn_version or _kb_cudnn(fw)
    if known or fw.name != "torch":
        return known
    release = torch_release(fw.version)
    majors = {m for v in (release.variants if release else ()) if (m := cuda_major(v.cudnn))}
    return str(majors.pop()) if len(majors) == 1 else None


TORCH_NAMED = ("torch-named", "torch-program-named")  # catalog/prose-cudnn.toml


def _torch_pinning(version: str) -> list[str]:
    """The torch releases whose PyPI wheels pin exactly this cuDNN ("9.1.0" -> 2.4.0 … 2.6.0,
    nvidia-cudnn-cu12==9.1.0.70): the knowledge base's copy of PyPI's metadata."""
    out: list[str] = []
    for row in package_releases("torch"):
        for requirement in row.requires:
            m = re.match(r"nvidia-cudnn-cu\d+==(\d+\.\d+\.\d+)", requirement)
            if m and m.group(1) == version:
                out.append(row.version)
    return out


def _loaded_is_torchs_pin(s: Snapshot) -> Iterator[Finding]:
    """Another framework (JAX, TensorFlow) loaded a cuDNN its build rejects, and that cuDNN is
    exactly the release torch's PyPI wheels pin (9.1.0 for torch 2.4-2.6), while the reporter
    names torch: torch's nvidia-cudnn wheel is probably the one the environment holds (the
    maintainer's reading of "Loaded runtime CuDNN library: 9.1.0 but source was compiled with:
    9.8.0" beside "Remove torch dependency")."""
    if s.framework("torch") is not None or not any(
        e.signature in TORCH_NAMED for e in s.reported_errors
    ):
        return  # with torch's version known, the checks above weigh its own pin
    for fw in s.frameworks:
        lib = _live_cudnn(s, fw.name)
        if fw.name == "torch" or lib is None or lib.version is None:
            continue
        if cudnn_compatible(fw.cudnn_version, lib.version) is not False:
            continue
        releases = _torch_pinning(".".join(lib.version.split(".")[:3]))
        if not releases:
            continue
        span = releases[0] if len(releases) == 1 else f"{releases[0]} to {releases[-1]}"
        yield finding(
            "DL203",
            title=f"{fw.name} loaded cuDNN {lib.version}, the release torch {span} pins",
            message=f"{fw.name} is built with cuDNN {fw.cudnn_version} but loaded cuDNN "
            f"{lib.version}: exactly the cuDNN torch {span} installs (its nvidia-cudnn wheel), "
            "and the paste names torch. Probably torch shares the environment and its cuDNN "
            f"is the one {fw.name} gets. Reasoned from the versions the paste states.",
            severity="warning",
            evidence=[
                Evidence(
                    fact=f"live.{fw.name}.loaded_libraries.cudnn",
                    found=lib.version,
                    needed=f">={fw.cudnn_version}",
                    note=f"what {fw.name} is built with",
                ),
                Evidence(
                    fact="kb.cuda_pins.torch",
                    found=f"torch {span}",
                    note=f"PyPI's torch wheels pin cuDNN {lib.version} (cuda_pins.json)",
                ),
            ],
            hint="Confirm with `pip show torch nvidia-cudnn-cu12`: if torch is installed and "
            f"the wheel is {lib.version}, torch's pin is what {fw.name} loads.",
            fixes=[
                ManualStep(
                    text=f"Give torch and {fw.name} an environment each, or remove torch "
                    f"if the project does not need it, or install a torch release that pins a "
                    f"cuDNN at least {fw.cudnn_version}.",
                    commands=[
                        "pip show torch nvidia-cudnn-cu12",
                        f"python -m venv .venv-{fw.name}",
                    ],
                )
            ],
            subject=fw.name,
        )
        return


PINNED_BACK = "said-ctranslate2-pinned-back"  # catalog/prose-cudnn.toml
_PINNED_BACK = re.compile(  # the catalogue's pattern, with the comparison kept
    r"(?:(?:downgrad\w{0,4}|roll\w{0,4} back|revert\w{0,4}|older (?:version|release)|"
    r"solv\w{0,4}|fix\w{0,4})[^\n]{0,40}?\bctranslate2?\b[^\n]{0,20}?(==|<|\bto (?:version )?)|"
    r"pip install [\"']?ctranslate2[ \t]?(<))[ \t]?(\d{1,2})\.(\d{1,3})((?:\.\d{1,4})?)",
    re.IGNORECASE,
)


def _pinned_back(s: Snapshot) -> tuple[ProgramMajors, str, str] | None:
    """(the CTranslate2 row a stated fix goes back to, the fix as quoted, the cuDNN the
    failing release asked for) when the paste says an older CTranslate2 fixes a failed cuDNN
    load of the other major ("Downgrading ctranslate to version 4.4.0", "ctranslate2<4.5.0")."""
    said = next((e for e in s.reported_errors if e.signature == PINNED_BACK), None)
    m = _PINNED_BACK.search(said.text) if said else None
    if said is None or m is None or not _cuda_load_failed(s):
        return None
    major, minor = int(m.group(3)), int(m.group(4))
    if "<" in (m.group(1) or m.group(2) or ""):  # below 4.5.0: the newest line under it
        version = f"{major}.{minor - 1}" if minor > 0 else f"{major - 1}.99"
    else:
        version = f"{major}.{minor}{m.group(5)}"
    row = program_majors("ctranslate2", version)
    if row is None:
        return None
    asked = _asked_cudnn(s)
    if any(a == row.cudnn for a, _ in asked):
        return None  # the failing load asked for the very major the fix brings: not this
    failing = next((what for a, what in asked), f"a cuDNN other than {row.cudnn}")
    return row, first_line(said.text, 160), failing


def _brings_torch(s: Snapshot) -> bool:
    """torch is in the process: stated, or named, or a program that runs it named (whisperX
    runs faster-whisper and torch's pyannote/torchaudio in one process)."""
    return s.framework("torch") is not None or any(
        e.signature in TORCH_NAMED for e in s.reported_errors
    )


def _fix_goes_back(s: Snapshot, code: str) -> Iterator[Finding]:
    """DL203 when torch is in the process (its cuDNN is the environment's), DL202 otherwise
    (the installed cuDNN is the other major): both warnings, reasoned from the stated fix."""
    back = _pinned_back(s)
    if back is None or _brings_torch(s) != (code == "DL203"):
        return
    row, said, failing = back
    where = "torch's (in the same process)" if code == "DL203" else "the one installed"
    yield finding(
        code,
        title=f"Going back to CTranslate2 {row.versions} (cuDNN {row.cudnn}) fixes {failing}",
        message=f"The paste says an older CTranslate2 fixes it ({said}): that release line is "
        f"built for cuDNN {row.cudnn}, so the cuDNN in this environment is {where}, of major "
        f"{row.cudnn}, while the failing CTranslate2 asked for {failing}. Reasoned from the "
        "fix the paste states.",
        severity="warning",
        evidence=[
            Evidence(fact=f"reported_errors.{PINNED_BACK}", found=said, note=row.note),
            Evidence(fact="the cuDNN asked for", found=failing),
        ],
        hint="Check with `pip show ctranslate2 torch nvidia-cudnn-cu12`: CTranslate2 4.5 and "
        "newer need cuDNN 9, 4.0-4.4 cuDNN 8.",
        fixes=[
            InstallPackages(
                packages=[f"ctranslate2=={'4.4.0' if row.cuda >= 12 else '3.24.0'}"]
                if row.cudnn == 8
                else ["ctranslate2>=4.5"],
                reason=f"the CTranslate2 release built for cuDNN {row.cudnn} "
                "(faster-whisper's README)",
            ),
            ManualStep(
                text="Or keep the newer CTranslate2 and give it the cuDNN it was built for: "
                + (
                    "torch 2.4 or newer brings cuDNN 9."
                    if code == "DL203"
                    else "install cuDNN 9 (pip install nvidia-cudnn-cu12==9.*) and put it "
                    "on the loader path."
                ),
                commands=["pip show ctranslate2 torch nvidia-cudnn-cu12"],
                url="https://github.com/SYSTRAN/faster-whisper#gpu",
            ),
        ],
        subject="ctranslate2",
    )


@rule("DL203", "cudnn-conflict-between-frameworks", "error", "cuda")
def cudnn_conflict(s: Snapshot) -> Iterator[Finding]:
    """What it checks: two CUDA builds in one environment that need different cuDNN majors from
    the same pip wheel (nvidia-cudnn-cu12 can hold only one version), or the same major where
    the loader gives the one needing the newer minor the older cuDNN the other pins; a
    framework that loaded a cuDNN its build rejects while another CUDA framework shares the
    environment (the first to load cuDNN wins: the finding names the framework whose cuDNN pin
    is the cuDNN that was loaded, read from its METADATA or, for a version a paste only states,
    from the knowledge base's copy of PyPI's metadata); a report that the failure depends on
    import order, that one install replaced another's cuDNN, or a sentence of the reporter's
    naming two programs and the different cuDNNs they want ("torch is using cudnn 5110 while
    theano can only support 5005") (a warning: the versions are not known); a program that
    loads cuDNN itself (CTranslate2 behind faster-whisper/whisperX, ONNX Runtime), named in
    the paste, that failed on a cuDNN major (the soname says it: libcudnn_ops_infer.so.8 is
    cuDNN 8, cudnn_ops64_9.dll cuDNN 9) or is stated in a release built for one (ctranslate2
    4.5: cuDNN 9), while a framework build the paste states brings another cuDNN major (torch
    2.4 and newer: 9; 2.3 and older: 8) (a warning: reasoned from stated versions), or, when
    no torch release is stated, a cuDNN 9 that failed to load (its shim's "Cannot load symbol
    cudnnCreateTensorDescriptor", or a program that loads cuDNN named) where the report says
    torch (or whisperX, pyannote, XTTS that run it) shares the environment (a warning: probably
    CTranslate2 4.5+ beside a torch that brings cuDNN 8); another
    framework that loaded exactly the cuDNN release torch's PyPI wheels pin ("Loaded runtime
    CuDNN library: 9.1.0", torch 2.4-2.6's nvidia-cudnn-cu12==9.1.0.70) while the reporter
    names torch (a warning); a stated fix that goes back to an older CTranslate2 ("Downgrading
    ctranslate to version 4.4.0", "pip install \"ctranslate2<4.5.0\"") after a failed cuDNN
    load of the other major, with torch in the process (named, or whisperX that runs it) (a
    warning; without torch it is DL202's). Two stated
    versions whose cuDNN pins no single version satisfies, with nothing loaded yet, are
    DL209's (the install is where it shows first); DL203 is what is loaded.

    Why it matters: pip resolves to one cuDNN, and one process loads one; the other framework
    then fails: TensorFlow logs "Loaded runtime CuDNN library: 9.1.0 but source was compiled
    with: 8.9.4", JAX "Found cuDNN version 8700, but JAX was built against version 8800" and
    falls back to the CPU, or torch cannot load libcudnn.so.9.

    Example: torch 2.4.1 (cuDNN 9) and tensorflow 2.15.1 (cuDNN 8.9) in one virtualenv; torch
    2.1.2 (cuDNN 8.7) imported before jax 0.4.23 (built with 8.8); faster-whisper's
    "Could not load library libcudnn_ops_infer.so.8" beside torch 2.4.0+cu121.

    Fix: give each framework its own environment, or pick releases that agree on cuDNN
    (tensorflow >= 2.18 uses cuDNN 9; ctranslate2 >= 4.5 with torch >= 2.4, ctranslate2 4.4.0
    with torch <= 2.3); as a stopgap, import the framework that needs the newer cuDNN first.
    """
    yield from _loaded_from_other(s)
    yield from _reported_sharing(s)
    yield from _older_minor_conflicts(s)
    yield from _program_beside_framework(s)
    yield from _cudnn9_beside_unversioned_torch(s)
    yield from _loaded_is_torchs_pin(s)
    yield from _fix_goes_back(s, "DL203")
    builds = [
        (fw, _expected_cudnn(fw), cuda_major(fw.cuda_version))
        for fw in s.frameworks
        if fw.name in ("torch", "tensorflow", "jax") and cuda_build(fw)
    ]
    known = [(fw, cudnn, cuda) for fw, cudnn, cuda in builds if cudnn and cuda]
    for i, (a, a_cudnn, a_cuda) in enumerate(known):
        for b, b_cudnn, b_cuda in known[i + 1 :]:
            if a_cuda != b_cuda or a_cudnn == b_cudnn:
                continue
            wheel = f"nvidia-cudnn-cu{a_cuda}"
            installed = next((p for p in s.cuda.pip_packages if p.name == wheel), None)
            loser = b
            if installed is not None and cuda_major(installed.version) == b_cudnn:
                loser = a
            yield finding(
                "DL203",
                title=f"{label(a)} and {label(b)} need different cuDNN majors",
                message=f"{label(a)} needs cuDNN {a_cudnn}.x and {label(b)} needs cuDNN "
                f"{b_cudnn}.x, both from {wheel}; only one can be installed"
                + (f" (installed: {installed.version})" if installed else "")
                + f", so {label(loser)} will fail to use cuDNN.",
                evidence=[
                    Evidence(
                        fact=f"frameworks.{a.name}.cudnn_version",
                        found=f"{a_cudnn}.x",
                        note=label(a),
                    ),
                    Evidence(
                        fact=f"frameworks.{b.name}.cudnn_version",
                        found=f"{b_cudnn}.x",
                        note=label(b),
                    ),
                ]
                + (
                    [
                        Evidence(
                            fact=f"cuda.pip_packages.{wheel}",
                            found=installed.version,
                            needed=f"{a_cudnn if loser is a else b_cudnn}.x",
                            note=f"needed by {label(loser)}",
                        )
                    ]
                    if installed
                    else []
                ),
                hint="Keep TensorFlow and PyTorch GPU builds in separate environments.",
                fixes=[
                    ManualStep(
                        text=f"Create a separate environment for {loser.name}, or upgrade to "
                        "releases built with the same cuDNN major.",
                        commands=[f"python -m venv .venv-{loser.name}"],
                    )
                ],
                subject=loser.name,
            )


@rule("DL204", "ld-library-path-shadows-wheel", "warning", "cuda")
def ld_library_path_shadows(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a directory in LD_LIBRARY_PATH that supplies a CUDA library which the
    framework's own pip wheels (site-packages/nvidia/...) would otherwise provide.

    Why it matters: LD_LIBRARY_PATH is searched before the wheel's RPATH-less lookups, so an
    old system CUDA quietly replaces the tested libraries: "undefined symbol" errors, cuDNN
    version errors, or subtle slowdowns.

    Example: LD_LIBRARY_PATH=/usr/local/cuda-11.8/lib64 with torch 2.5.1+cu124's nvidia wheels.

    Fix: drop the directory from LD_LIBRARY_PATH (often set in ~/.bashrc by an old CUDA install).
    """
    for res in s.libraries:
        fw = s.framework(res.framework)
        if fw is None or not cuda_build(fw):
            continue
        shadowing = [
            lib
            for lib in res.libraries
            if lib.path
            and lib.via
            and "LD_LIBRARY_PATH" in lib.via
            and any(f"{os.sep}nvidia{os.sep}" in c for c in lib.candidates)
        ]
        if not shadowing:
            continue
        dirs = sorted({os.path.dirname(lib.path or "") for lib in shadowing})
        yield finding(
            "DL204",
            title=f"LD_LIBRARY_PATH shadows {label(fw)}'s CUDA wheels",
            message=f"{', '.join(lib.soname for lib in shadowing)} would come from "
            f"{', '.join(dirs)} (LD_LIBRARY_PATH) instead of the nvidia pip wheels installed "
            f"for {label(fw)}.",
            evidence=[
                Evidence(
                    fact=f"libraries.{res.framework}.{lib.name}",
                    found=lib.path,
                    needed=next(c for c in lib.candidates if f"{os.sep}nvidia{os.sep}" in c),
                    note=f"via {lib.via}",
                )
                for lib in shadowing
            ],
            fixes=[
                RemoveFromPath(
                    name="LD_LIBRARY_PATH",
                    entries=dirs,
                    reason="let the framework load the CUDA libraries it was tested with",
                )
            ],
            subject=fw.name,
        )


@rule("DL205", "cuda-home-mismatch", "warning", "cuda")
def cuda_home_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the toolkit CUDA_HOME/CUDA_PATH points at has the same CUDA major
    as the installed torch CUDA build.

    Why it matters: building extensions (torch.utils.cpp_extension, flash-attn, apex, …) fails
    with "The detected CUDA version (11.8) mismatches the version that was used to compile
    PyTorch (12.1). Please make sure to use the same CUDA versions."

    Also when a pasted build log quotes that message (torch.utils.cpp_extension's own check
    of the toolkit it found against torch's CUDA), or DeepSpeed's op builder's ("Installed CUDA
    version 11.8 does not match the version torch was compiled with 12.1").

    Example: CUDA_HOME=/usr/local/cuda-11.8 with torch 2.3.1+cu121.

    Fix: point CUDA_HOME at a toolkit of the same major (or install one).
    """
    torch = s.framework("torch")
    home = s.cuda.cuda_home
    if torch is None or not cuda_build(torch) or not torch.cuda_version or not home:
        yield from _extension_cuda_mismatch_reported(s)
        return
    tk = next((t for t in s.cuda.toolkits if t.path.rstrip("/") == home.rstrip("/")), None)
    if tk is None or cuda_major(tk.version) is None:
        return
    want = cuda_major(torch.cuda_version)
    if cuda_major(tk.version) == want:
        return
    good = next((t for t in s.cuda.toolkits if cuda_major(t.version) == want and t.nvcc), None)
    fixes: list[Action]
    if good is not None:
        fixes = [SetEnv(name="CUDA_HOME", value=good.path, reason=f"CUDA {good.version}")]
    else:
        mm = major_minor(torch.cuda_version)
        fixes = [
            ManualStep(
                text=f"Install a CUDA {mm[0] if mm else want}.x toolkit and point CUDA_HOME at it.",
                url="https://developer.nvidia.com/cuda-toolkit-archive",
            )
        ]
    yield finding(
        "DL205",
        title=f"CUDA_HOME is CUDA {tk.version}, torch is built with CUDA {torch.cuda_version}",
        message=f"CUDA_HOME={home} holds CUDA {tk.version}, but {label(torch)} was built with "
        f"CUDA {torch.cuda_version}; compiling CUDA extensions will fail.",
        evidence=[
            Evidence(
                fact="cuda.cuda_home",
                found=f"{home} (CUDA {tk.version})",
                needed=f"CUDA {want}.x",
                note=f"needed by {label(torch)} to build extensions",
            )
        ],
        fixes=fixes,
        subject=home,
    )


# torch.utils.cpp_extension's CUDA_MISMATCH_MESSAGE (catalog/src-torch.toml) and DeepSpeed's op
# builder's CUDAMismatchException (catalog/src-downstream-torch-ext.toml): who found the toolkit
EXTENSION_CUDA_MISMATCH = "torch-extension-cuda-mismatch"
_EXTENSION_BUILDERS = {
    EXTENSION_CUDA_MISMATCH: "torch.utils.cpp_extension",
    "deepspeed-cuda-mismatch": "DeepSpeed's op builder",
}
_MISMATCH_VERSIONS = re.compile(
    r"CUDA version \((?P<tk>\d+\.\d+)\) mismatches[^(]{0,80}\((?P<torch>\d+\.\d+)\)"
    r"|Installed CUDA version (?P<tk2>\d+\.\d+) does not match the version torch was compiled"
    r" with (?P<torch2>\d+\.\d+)"
)


def _extension_cuda_mismatch_reported(s: Snapshot) -> Iterator[Finding]:
    """DL205 from a pasted build log: torch's extension builder said the toolkit it found
    has another CUDA major than torch's build."""
    err = next((e for e in s.reported_errors if e.signature in _EXTENSION_BUILDERS), None)
    m = _MISMATCH_VERSIONS.search(err.text) if err is not None else None
    if err is None or m is None:
        return
    tk, built = m.group("tk") or m.group("tk2"), m.group("torch") or m.group("torch2")
    builder = _EXTENSION_BUILDERS[err.signature]
    yield finding(
        "DL205",
        title=f"The CUDA toolkit building the extension is CUDA {tk}, torch is built with "
        f"CUDA {built}",
        message=f"{builder} found a CUDA {tk} toolkit (CUDA_HOME, or nvcc on "
        f"PATH), but torch was built with CUDA {built}; the extension cannot be compiled.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{err.signature}",
                found=f"CUDA {tk} toolkit",
                needed=f"CUDA {cuda_major(built)}.x",
                note=first_line(err.text),
            )
        ],
        fixes=[
            ManualStep(
                text=f"Point CUDA_HOME (and PATH) at a CUDA {cuda_major(built)}.x toolkit, or "
                f"install a torch build for CUDA {tk}.",
                url="https://developer.nvidia.com/cuda-toolkit-archive",
            )
        ],
        subject="CUDA_HOME",
    )


# Both frameworks check the same thing when they first use cuDNN: the major must match and, from
# cuDNN 7 on, the loaded minor must be at least the compiled one (older cuDNN: the same minor).
# TensorFlow: IsSourceCompatibleWithCudnnLibrary,
# https://github.com/tensorflow/tensorflow/blob/v2.4.0/tensorflow/stream_executor/cuda/cudnn_version.cc
# PyTorch: _init() in https://github.com/pytorch/pytorch/blob/main/torch/backends/cudnn/__init__.py
# JAX refuses a loaded cuDNN older than its build ("Found cuDNN version X, but JAX was built
# against version Y, which is newer").
def cudnn_compatible(built: str | None, loaded: str | None) -> bool | None:
    """Whether code built against cuDNN `built` runs with the loaded `loaded`; None: unknown."""
    b, got = major_minor(built), major_minor(loaded)
    if b is None or got is None:
        return None
    if got[0] != b[0]:
        return False
    if built is None or "." not in built.strip():
        return True  # only the built major is known, and it matches
    return got[1] >= b[1] if got[0] >= 7 else got[1] == b[1]


def _built_cudnn(fw: FrameworkFacts) -> str | None:
    """The cuDNN the framework was built with, as precisely as known: TensorFlow's build_info
    says only the major ("8"), its tested build configuration the minor ("8.1" for 2.5-2.11),
    and the minor decides whether an older cuDNN of the same major is refused."""
    own = fw.cudnn_version
    if own and "." in own.strip():
        return own
    kb = _kb_cudnn(fw)
    if kb and (own is None or cuda_major(kb) == cuda_major(own)):
        return kb if own else None  # the KB's minor refines a stated major only
    return own


def _older(version: str, floor: str) -> bool:
    """Whether `version` ("8.9.7") is below `floor` ("9.1.0"); False when either is unknown."""
    a = [int(x) for x in re.findall(r"\d+", version)]
    b = [int(x) for x in re.findall(r"\d+", floor)]
    return bool(a) and bool(b) and a < b


def _live_cudnn(s: Snapshot, name: str) -> LoadedLibrary | None:
    """The cuDNN (with a version) a framework's live probe or own message says it loaded."""
    probe = s.live_probe(name)
    if probe is None:
        return None
    return next((x for x in probe.loaded_libraries if x.name == "cudnn" and x.version), None)


def _loaded_cudnn(s: Snapshot, name: str) -> tuple[str, bool, str | None] | None:
    """(version, loaded already, LD_LIBRARY_PATH directory) of the cuDNN a framework loaded
    (live probe, or the framework's own message) or would load (the loader's prediction)."""
    lib = _live_cudnn(s, name)
    if lib is not None and lib.version:
        return lib.version, True, None
    res = next((r for r in s.libraries if r.framework == name), None)
    lib2 = next((x for x in res.libraries if x.name == "cudnn"), None) if res else None
    if lib2 is not None and lib2.path and lib2.version:
        via_ld = bool(lib2.via and "LD_LIBRARY_PATH" in lib2.via)
        return lib2.version, False, os.path.dirname(lib2.path) if via_ld else None
    return None


def _cudnn_via_ld_library_path(s: Snapshot, name: str, folder: str | None) -> list[str] | None:
    """LD_LIBRARY_PATH entries to drop, when the wrong cuDNN comes from there; None: not known."""
    probe = s.live_probe(name)
    said = probe is not None and probe.details.get("cudnn_source") == "LD_LIBRARY_PATH"
    if folder is None and not said:
        return None
    if folder is not None:
        return [folder]
    value = s.env_value("LD_LIBRARY_PATH") or ""
    return [p for p in value.split(":") if "cuda" in p or "cudnn" in p]


def _dnn_library_not_found(s: Snapshot) -> Iterator[Finding]:
    """TensorFlow said "DNN library is not found" without naming a library it could not load."""
    said = next((e for e in s.reported_errors if e.signature == "dnn-library-not-found"), None)
    tf = s.framework("tensorflow")
    res = next((r for r in s.libraries if r.framework == "tensorflow"), None)
    if said is None or (res is not None and any(x.path is None for x in res.libraries)):
        return
    probe = s.live_probe("tensorflow")
    if probe is not None and any(x.name == "cudnn" for x in probe.loaded_libraries):
        return  # the loaded version is known: the main check judges it
    built = (tf.cudnn_version or _kb_cudnn(tf)) if tf is not None else None
    who = label(tf) if tf is not None and tf.version else "TensorFlow"
    yield finding(
        "DL206",
        title=f"{who} found no cuDNN it can use",
        message=f'{who} says "DNN library is not found" without naming a missing library: '
        "the cuDNN the loader gives it does not match its build"
        + (f" (cuDNN {built})" if built else "")
        + ", or none is on the loader's path.",
        severity="warning",
        evidence=[
            Evidence(
                fact="reported_errors.dnn-library-not-found",
                found=first_line(said.text, 200),
                needed=f"cuDNN {built}" if built else None,
                note="the cuDNN this TensorFlow release was built with" if built else None,
            )
        ],
        hint="Find which libcudnn is loaded: `ldconfig -p | grep cudnn` and "
        "`echo $LD_LIBRARY_PATH`.",
        fixes=[
            ManualStep(
                text="Make the cuDNN TensorFlow was built with the one it loads: remove other "
                "cuDNN directories from LD_LIBRARY_PATH, or install TensorFlow with its own "
                "CUDA libraries.",
                commands=[
                    "ldconfig -p | grep libcudnn",
                    "echo $LD_LIBRARY_PATH",
                    'pip install "tensorflow[and-cuda]"   # TensorFlow >= 2.14 on Linux',
                ],
                url="https://www.tensorflow.org/install/source#gpu",
            )
        ],
        subject="tensorflow",
    )


# cuDNN could not start or refused a call (catalog/cudnn.toml)
_CUDNN_START_FAILED = (
    "tf-conv-algorithm-cudnn-init",
    "tf-fail-to-find-dnn-implementation",
    "torch-cudnn-status-error",
)


def _stated_cudnn_older_than_build(s: Snapshot) -> Iterator[Finding]:
    """cuDNN failed to start ("Failed to get convolution algorithm", "Fail to find the dnn
    implementation", CUDNN_STATUS_…) and the reporter states a cuDNN of the TensorFlow
    build's major but an older minor than the release's tested build configuration (TensorFlow
    2.5-2.11 need 8.1, "cuDNN 8.0.5" stated): TensorFlow loads the system cuDNN and refuses an
    older minor. A warning: the stated cuDNN may not be the one loaded."""
    said = next((e for e in s.reported_errors if e.signature in _CUDNN_START_FAILED), None)
    tf = s.framework("tensorflow")
    if said is None or tf is None or not tf.version or cuda_build(tf) is False:
        return
    built = tf.cudnn_version if tf.cudnn_version and "." in tf.cudnn_version else _kb_cudnn(tf)
    stated = [c for c in s.cuda.cudnn if c.version_source == "prose" and c.version]
    if not built or "." not in built or not stated:
        return
    old = next(
        (
            c.version
            for c in stated
            if c.version
            and cuda_major(c.version) == cuda_major(built)
            and _older(".".join(c.version.split(".")[:2]), built)
        ),
        None,
    )
    if old is None:
        return
    yield finding(
        "DL206",
        title=f"{label(tf)} is built with cuDNN {built}, the report states cuDNN {old}",
        message=f"cuDNN failed to start in {label(tf)}, and the cuDNN the report states ({old}) "
        f"is older than the {built} this release was built and tested with: TensorFlow "
        "refuses an older minor of its cuDNN major, and the first convolution or RNN fails. "
        "Reasoned from the stated versions: the cuDNN loaded may be another.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
            ),
            Evidence(
                fact="cuda.cudnn (stated in prose)",
                found=f"cuDNN {old}",
                needed=f"cuDNN {built} or newer {cuda_major(built)}.x",
                note=f"{label(tf)}'s tested build configuration (knowledge base)",
            ),
        ],
        hint='Confirm which cuDNN loads: the log line "Loaded cuDNN version" (TF 2.x), or '
        "`ldconfig -p | grep libcudnn` / `where cudnn64_*.dll`.",
        fixes=[
            ManualStep(
                text=f"Install cuDNN {built} (or a newer {cuda_major(built)}.x for the same CUDA) "
                "and remove the older copy from the loader path, or install the TensorFlow "
                f"release built for cuDNN {old}.",
                commands=[
                    "ldconfig -p | grep libcudnn   # Linux",
                    "where cudnn64_*.dll   # Windows cmd.exe",
                ],
                url="https://www.tensorflow.org/install/source#gpu",
            )
        ],
        subject="tensorflow",
    )


# programs dlenv does not model that state both cuDNNs (catalog/cudnn.toml): who, and how the
# built and loaded versions are read from the message
_OTHER_PROGRAM_MISMATCH = {
    "paddle-cudnn-version-mismatch": (
        "PaddlePaddle",
        re.compile(
            r"compiled with CUDNN (?P<built>[\d.]+), but CUDNN version in your machine "
            r"is (?P<loaded>[\d.]+)"
        ),
        "paddlepaddle-gpu",
    ),
    "mxnet-cudnn-lib-mismatch": (
        "MXNet",
        re.compile(
            r"linked-against version (?P<loaded>\d+) != compiled-against version "
            r"(?P<built>\d+)"
        ),
        "mxnet-cuXXX",
    ),
}


def _cudnn_text(v: str) -> str:
    """A cuDNN version as a message prints it ("7.6", "7605", "90100") as major.minor[.patch]."""
    if not v.isdigit():
        return v.rstrip(".")
    n = int(v)
    major, rest = (n // 10000, n % 10000) if n >= 10000 else (n // 1000, n % 1000)
    return f"{major}.{rest // 100}.{rest % 100}"


def _said_by_other_programs(s: Snapshot) -> Iterator[Finding]:
    """PaddlePaddle's and MXNet's own checks: the message names the cuDNN the build was compiled
    with and the one on the machine, and is the verdict."""
    for e in s.reported_errors:
        known = _OTHER_PROGRAM_MISMATCH.get(e.signature)
        m = known[1].search(e.text) if known else None
        if known is None or m is None:
            continue
        who, _, package = known
        built, loaded = _cudnn_text(m.group("built")), _cudnn_text(m.group("loaded"))
        yield finding(
            "DL206",
            title=f"{who} is built with cuDNN {built} but finds cuDNN {loaded}",
            message=f"{who} was compiled with cuDNN {built}, and the cuDNN it loads on this "
            f"machine is {loaded}: its cuDNN calls can fail (CUDNN_STATUS_BAD_PARAM, "
            "crashes) or give wrong results.",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{e.signature}",
                    found=loaded,
                    needed=built,
                    note=first_line(e.text, 200),
                )
            ],
            hint="Several cuDNN copies may be installed: the one found first (PATH on Windows, "
            "LD_LIBRARY_PATH on Linux) is the one loaded.",
            fixes=[
                ManualStep(
                    text=f"Install cuDNN {built} (same major.minor) for your CUDA and make it "
                    f"the one found first, or install the {package} build made for cuDNN "
                    f"{loaded}.",
                    url="https://developer.nvidia.com/rdp/cudnn-archive",
                )
            ],
            subject=who.lower(),
        )


# a cuDNN version as a reporter writes it after the word: "cudnn安装了7.6", "cudnn是5.0"
_SAID_CUDNN = re.compile(
    r"cudnn[^\d\n]{0,12}?v?(?P<ver>[1-9]\.\d{1,2}(?:\.\d{1,3})?)(?![\d.])", re.IGNORECASE
)


def _said_installed_but_found(s: Snapshot) -> Iterator[Finding]:
    """The reporter installed one cuDNN and the program reports another ("cudnn安装了7.6，但是
    说我的cudnn是5.0"): a leftover copy is found first on the loader path (a warning: read from
    the reporter's sentence)."""
    said = next(
        (e for e in s.reported_errors if e.signature == "said-cudnn-installed-but-found"), None
    )
    if said is None:
        return
    versions = list(dict.fromkeys(m.group("ver") for m in _SAID_CUDNN.finditer(said.text)))
    if len(versions) != 2:
        return
    installed, found = sorted(versions, key=lambda v: Version(v), reverse=True)
    yield finding(
        "DL206",
        title=f"cuDNN {installed} is installed, the program finds cuDNN {found}",
        message=f"The report says cuDNN {installed} is installed while the program reports "
        f"cuDNN {found}: an older cuDNN copy (a leftover install, another CUDA folder, a "
        "conda or pip copy) is found first on the loader path and is the one loaded, so the "
        "build's cuDNN checks or calls fail. Read from the reporter's sentence.",
        severity="warning",
        evidence=[
            Evidence(
                fact="reported_errors.said-cudnn-installed-but-found",
                found=f"cuDNN {found}",
                needed=f"cuDNN {installed}",
                note=first_line(said.text, 200),
            )
        ],
        hint="Find every cuDNN copy and which one is first: `ldconfig -p | grep libcudnn` and "
        "`echo $LD_LIBRARY_PATH` (Linux), `where cudnn64_*.dll` (Windows).",
        fixes=[
            ManualStep(
                text=f"Remove the cuDNN {found} copy (or its folder from PATH / LD_LIBRARY_PATH) "
                f"so that cuDNN {installed} is the one found first.",
                commands=[
                    "ldconfig -p | grep libcudnn   # Linux",
                    "echo $LD_LIBRARY_PATH",
                    "where cudnn64_*.dll   # Windows cmd.exe",
                ],
                url="https://docs.nvidia.com/deeplearning/cudnn/installation/latest/",
            )
        ],
        subject="cudnn",
    )


@rule("DL206", "cudnn-version-mismatch", "error", "cuda")
def cudnn_version_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the cuDNN a framework loads (live, or as the loader would resolve
    it) is compatible with the cuDNN it was built with: the same major and, from cuDNN 7 on, a
    minor at least as new (the check TensorFlow, PyTorch and JAX make when they first use
    cuDNN). Where the build states only the major (TensorFlow's build_info says "8"), the
    release's tested build configuration gives the minor (8.1 for TensorFlow 2.5-2.11).

    Why it matters: the framework imports, then fails at the first convolution or RNN:
    TensorFlow logs "Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.3.0"
    and "DNN library initialization failed"; PyTorch raises "cuDNN version incompatibility:
    PyTorch was compiled against (8, 5, 0) but found runtime version (8, 4, 1)".

    Example: tensorflow 2.18 (built with cuDNN 9.3) in an environment where torch pinned
    nvidia-cudnn-cu12 9.1; or a system cuDNN 8.4 on LD_LIBRARY_PATH ahead of torch's own 8.5.

    Older PyTorch ("cuDNN version mismatch: … compiled against 7102 but linked against 7600")
    and TensorFlow 1.x demanded the very version they were built with: their message is the
    verdict; so are the checks of Caffe2 ("cuDNN compiled (7102) and runtime (7005) versions
    mismatch"), PaddlePaddle ("The installed Paddle is compiled with CUDNN 8.2, but CUDNN
    version in your machine is 8.1") and MXNet ("cuDNN lib mismatch: linked-against version
    7605 != compiled-against version 7501"). TensorFlow's bare "DNN library is not found", with no
    missing library named, is a warning: a cuDNN that does not match the build is the usual cause.
    So is cuDNN failing to start ("Failed to get convolution algorithm", "Fail to find the dnn
    implementation", CUDNN_STATUS_…) beside a stated cuDNN of TensorFlow's major but an older
    minor than the release's tested build configuration (a warning: reasoned from the paste);
    and a reporter's sentence that states two cuDNN versions, one installed and another the
    program reports ("cudnn安装了7.6，但是说我的cudnn是5.0"): an older copy is found first (a
    warning).

    Fix: drop the directory holding the other cuDNN from LD_LIBRARY_PATH, or install a cuDNN
    at least as new as the build (`pip install "nvidia-cudnn-cu12>=9.3"`); where another
    framework pins an older cuDNN, give each framework its own environment.
    """
    yield from _dnn_library_not_found(s)
    yield from _stated_cudnn_older_than_build(s)
    yield from _said_by_other_programs(s)
    yield from _said_installed_but_found(s)
    for fw in s.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax") or cuda_build(fw) is False:
            continue
        built = _built_cudnn(fw)
        found = _loaded_cudnn(s, fw.name)
        if not built or found is None:
            continue
        loaded, already, folder = found
        # TensorFlow 1.x's own check: equal "compatibility versions" (major.minor) — stricter
        # than today's rule, and its message is the verdict
        probe = s.live_probe(fw.name)
        compat = probe.details.get("cudnn_compat", "") if probe is not None else ""
        strict = "/" in compat and len(set(compat.split("/"))) == 2
        # older PyTorch ("cuDNN version mismatch: … compiled against 7003 but linked against
        # 7300") and TF 1.x required the very version: their message is the verdict
        said = probe is not None and probe.details.get("cudnn_verdict") == "mismatch"
        strict = strict or (said and cudnn_compatible(built, loaded) is not False)
        # JAX's own floor ("Minimum supported: 9100"), which can be above what it was built
        # against: its message is printed only when the installed cuDNN is below it
        floor = probe.details.get("cudnn_minimum", "") if probe is not None else ""
        below_floor = _older(loaded, floor)
        if floor and not below_floor:
            continue  # JAX's own check passed it, whatever it was built against
        if cudnn_compatible(built, loaded) is not False and not strict and not below_floor:
            continue
        if below_floor:
            built = floor
        major_differs = cuda_major(built) != cuda_major(loaded)
        if major_differs and not already:
            continue  # a predicted wrong major is DL202's finding
        fixes: list[Action] = []
        drop = _cudnn_via_ld_library_path(s, fw.name, folder)
        if drop:
            fixes.append(
                RemoveFromPath(
                    name="LD_LIBRARY_PATH",
                    entries=drop,
                    reason=f"it supplies cuDNN {loaded} ahead of the one {fw.name} ships with",
                )
            )
        elif drop is not None:
            fixes.append(
                ManualStep(
                    text="Remove the CUDA/cuDNN directories from LD_LIBRARY_PATH (often set in "
                    "~/.bashrc by a system CUDA install), so that the framework finds the cuDNN "
                    "it ships with.",
                    commands=["echo $LD_LIBRARY_PATH", "unset LD_LIBRARY_PATH"],
                )
            )
        mm = major_minor(built)
        if mm is None:
            continue  # cudnn_compatible parsed it; this only narrows the type
        cuda = cuda_major(fw.cuda_version)
        if drop is None and strict:
            fixes.append(
                ManualStep(
                    text=f"Install cuDNN {mm[0]}.{mm[1]}.x (the minor {label(fw)} was built "
                    f"with) and make it the one that is loaded, or upgrade {fw.name} to a "
                    f"release built against cuDNN {loaded}.",
                    url="https://developer.nvidia.com/rdp/cudnn-archive",
                )
            )
        elif drop is None:
            wheel = cudnn_pip_package(mm[0], cuda) if cuda else None
            if wheel:
                fixes.append(
                    InstallPackages(
                        packages=[f"{wheel}>={mm[0]}.{mm[1]}"],
                        reason=f"{label(fw)} needs cuDNN {mm[0]}.{mm[1]} or newer",
                    )
                )
            else:
                fixes.append(
                    ManualStep(
                        text=f"Install cuDNN {mm[0]}.{mm[1]} or newer (still {mm[0]}.x) for "
                        "the framework's CUDA major, and make it the one that is loaded.",
                        commands=[
                            f'pip install -U "nvidia-cudnn-cu12>={mm[0]}.{mm[1]}"  '
                            "# CUDA 12 builds; cu11/cu13 for the others"
                        ],
                    )
                )
        need = (
            f">={built}"
            if below_floor
            else f"{mm[0]}.x"
            if major_differs
            else f"{mm[0]}.{mm[1]}.x (this {fw.name} release requires the same minor)"
            if strict
            else f">={mm[0]}.{mm[1]}, <{mm[0] + 1}"
        )
        others = [o.name for o in s.frameworks if o is not fw and o.name in ("torch", "jax")]
        hint = (
            f"{' and '.join(others)} in the same environment may pin the older cuDNN wheel; "
            "keep the frameworks in separate environments."
            if others and drop is None
            else "PyTorch says LD_LIBRARY_PATH holds a CUDA/cuDNN directory."
            if drop is not None and folder is None
            else None
        )
        verb = "loads" if already else "would load"
        against = f"requires at least cuDNN {built}" if below_floor else "is built with cuDNN"
        against += "" if below_floor else f" {built}"
        yield finding(
            "DL206",
            title=f"{label(fw)} {against} but {verb} cuDNN {loaded}",
            message=(
                f"{label(fw)} requires at least cuDNN {built} (its own version check) but "
                f"{verb} cuDNN {loaded}, so it does not start its CUDA backend."
                if below_floor
                else f"{label(fw)} was compiled against cuDNN {built} but {verb} cuDNN "
                f"{loaded}; it needs {need}, so cuDNN fails to start at the first convolution."
            )
            + (f" That cuDNN comes from {folder} (LD_LIBRARY_PATH)." if folder else ""),
            evidence=[
                Evidence(
                    fact=f"live.{fw.name}.loaded_libraries.cudnn"
                    if already
                    else f"libraries.{fw.name}.cudnn.version",
                    found=loaded,
                    needed=need,
                    note=f"{label(fw)} is built with cuDNN {built}",
                )
            ],
            hint=hint,
            fixes=fixes,
            subject=fw.name,
        )


@rule("DL207", "cuda-home-not-a-toolkit", "warning", "cuda")
def cuda_home_not_a_toolkit(s: Snapshot) -> Iterator[Finding]:
    """What it checks: CUDA_HOME, CUDA_PATH or CUDA_ROOT set to a directory that does not
    exist, or that holds no CUDA toolkit (no nvcc, no version file).

    Why it matters: torch.utils.cpp_extension, CuPy, Numba and build scripts (flash-attn,
    apex, …) take the variable as it is, so a stale value — typically left behind when a
    toolkit was removed or upgraded — makes them fail with "No such file or directory:
    '/usr/local/cuda-11.8/bin/nvcc'" or "CUDA_HOME does not exist". A warning with a CUDA build
    of torch installed (it compiles extensions against CUDA_HOME), information otherwise.

    Example: CUDA_HOME=/usr/local/cuda-11.8 after the 11.8 toolkit was replaced by 12.4.

    Fix: point the variable at an installed toolkit (the one with torch's CUDA major when there
    is one), or unset it — pip-installed frameworks bring their own CUDA libraries.
    """
    torch = s.framework("torch")
    builds = torch is not None and cuda_build(torch)
    for var in HOME_VARIABLES:
        value = s.env_value(var)
        if not value:
            continue
        missing = var in s.cuda.unknown
        tk = next((t for t in s.cuda.toolkits if t.path.rstrip("/") == value.rstrip("/")), None)
        if not missing and (tk is None or tk.version or tk.nvcc):
            continue
        problem = "does not exist" if missing else "holds no CUDA toolkit (no nvcc, no version)"
        want = cuda_major(torch.cuda_version) if builds and torch is not None else None
        usable = [t for t in s.cuda.toolkits if t.nvcc and t.version and t.path != value]
        good = next((t for t in usable if cuda_major(t.version) == want), None) or next(
            iter(sorted(usable, key=lambda t: major_minor(t.version) or (0, 0), reverse=True)),
            None,
        )
        fix: Action = (
            SetEnv(name=var, value=good.path, reason=f"CUDA {good.version}")
            if good is not None
            else UnsetEnv(name=var, reason=f"{value} {problem}")
        )
        yield finding(
            "DL207",
            title=f"{var} points at {value}, which {problem}",
            message=f"{var}={value} {problem}; tools that compile CUDA code with it "
            "(torch.utils.cpp_extension, CuPy, Numba, flash-attn builds) will fail.",
            evidence=[
                Evidence(
                    fact=f"env.{var}",
                    found=f"{value} ({problem})",
                    needed="an installed CUDA toolkit",
                    note=f"used by {label(torch)} to build extensions"
                    if builds and torch is not None
                    else None,
                )
            ],
            fixes=[fix],
            severity="warning" if builds else "info",
            subject=var,
        )


_SYMBOL_LIBRARY = (
    ("nccl", "libnccl", "nvidia-nccl"),
    ("cublas", "libcublas", "nvidia-cublas"),
    ("cudnn", "libcudnn", "nvidia-cudnn"),
    ("cusparse", "libcusparse", "nvidia-cusparse"),
    ("cusolver", "libcusolver", "nvidia-cusolver"),
    ("cufft", "libcufft", "nvidia-cufft"),
    ("curand", "libcurand", "nvidia-curand"),
    ("__nvjitlink", "libnvJitLink", "nvidia-nvjitlink"),
    ("nvjitlink", "libnvJitLink", "nvidia-nvjitlink"),
)


_FRAMEWORK_NAMES = ("torch", "tensorflow", "jax")
# library-conflicts.toml: a CUDA symbol missing, or a CUDA library's sub-library missing one
UNDEFINED_SYMBOL_SIGNATURES = ("cuda-library-undefined-symbol", "cuda-sublibrary-undefined-symbol")
_LIBRARY_IN_TEXT = re.compile(r"\blib(nccl|cublas|cudnn|cusparse|cusolver|cufft|curand|nvJitLink)")


def _library_quoted(s: Snapshot, symbol: str) -> tuple[str, str] | None:
    """(library, wheel) of the CUDA library whose pasted load error names `symbol`."""
    for e in s.reported_errors:
        if e.signature in UNDEFINED_SYMBOL_SIGNATURES and symbol in e.text:
            m = _LIBRARY_IN_TEXT.search(e.text)
            if m is not None:
                key = m.group(1).lower()
                return next(((lib, w) for p, lib, w in _SYMBOL_LIBRARY if p == key), None)
    return None


_UNDEFINED = re.compile(r'undefined symbol:? ?"?(?P<sym>[A-Za-z_]\w*)')


def undefined_cuda_symbols(s: Snapshot) -> dict[str, str]:
    """framework (or "the program", when the paste names none) -> the CUDA symbol its import
    could not resolve (a pasted or live error)."""
    out = {
        p.framework: p.details["undefined_symbol"]
        for p in s.live
        if p.details.get("undefined_symbol")
    }
    for e in s.reported_errors:
        m = _UNDEFINED.search(e.text)
        if e.signature in UNDEFINED_SYMBOL_SIGNATURES and m and not out:
            out[e.framework or "the program"] = m.group("sym")
    return out


@rule("DL208", "cuda-library-too-old-symbol", "error", "cuda")
def cuda_library_undefined_symbol(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a framework failing to load with "undefined symbol: ncclCommRegister"
    (or a cuBLAS/cuDNN/cuSPARSE/nvJitLink symbol).

    Why it matters: the framework was built against a newer NCCL/cuBLAS/… than the copy the
    loader found first — another package's wheel (an older nvidia-nccl-cu12 pinned by a second
    framework), a system library on LD_LIBRARY_PATH, or a JetPack library on Jetson. The import
    fails before any GPU check.

    Example: `torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister` with torch 2.2 and
    an older libnccl from another package; `libcusparse.so.12: undefined symbol:
    __nvJitLinkAddData_12_1` with a CUDA 12.1 toolkit on LD_LIBRARY_PATH.

    Fix: make the framework load its own copy: drop system CUDA directories from
    LD_LIBRARY_PATH, and reinstall the framework so that its pinned nvidia-* wheels match.
    """
    for name, symbol in undefined_cuda_symbols(s).items():
        low = symbol.lower()
        lib, wheel = next(
            ((lib, wheel) for prefix, lib, wheel in _SYMBOL_LIBRARY if low.startswith(prefix)),
            _library_quoted(s, symbol) or ("the CUDA library", "nvidia-"),
        )
        fw = s.framework(name)
        who = label(fw) if fw is not None else name
        yield finding(
            "DL208",
            title=f"{who} loads an older {lib} that lacks {symbol}",
            message=f"{who} was built against a newer {lib} than the one the loader found first "
            f"(undefined symbol {symbol}): another package's {wheel} wheel or a system copy on "
            "LD_LIBRARY_PATH shadows the one it needs, so the import fails.",
            evidence=[
                Evidence(
                    fact=f"live.{name}.details.undefined_symbol"
                    if name in _FRAMEWORK_NAMES
                    else "reported_errors.cuda-library-undefined-symbol",
                    found=symbol,
                    needed=f"a {lib} that defines it",
                )
            ],
            hint="If two frameworks pin different nvidia-* wheels, give each its own environment.",
            fixes=[
                ManualStep(
                    text=f"Find which {lib} is loaded and make the framework load its own: drop "
                    "system CUDA directories from LD_LIBRARY_PATH, then reinstall the framework "
                    "so its nvidia-* wheels match.",
                    commands=[
                        "echo $LD_LIBRARY_PATH",
                        f"ldconfig -p | grep {lib}   # every copy the loader can find",
                        f"python -m pip list 2>/dev/null | grep -i {wheel}",
                    ]
                    + (
                        [
                            f"python -m pip install --force-reinstall {name}"
                            + ("==" + base_version(fw.version) if fw and fw.version else "")
                        ]
                        if name in _FRAMEWORK_NAMES
                        else []
                    ),
                )
            ],
            subject=name,
        )


# -- DL209 -------------------------------------------------------------------------------------
def _nvidia_pins(fw: FrameworkFacts) -> dict[str, tuple[str, SpecifierSet]]:
    """nvidia-* wheel -> (the requirement as written, its specifier) for one framework."""
    out: dict[str, tuple[str, SpecifierSet]] = {}
    for text in fw.requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        if name.startswith("nvidia-") and str(req.specifier):
            out[name] = (f"{name}{req.specifier}", req.specifier)
    return out


def _candidates(*specs: SpecifierSet) -> list[Version]:
    """Every version a specifier names (1.2.* as 1.2): if none satisfies both sides, no
    version does, as far as the requirements let anyone tell."""
    out: list[Version] = []
    for spec in specs:
        for one in spec:
            try:
                out.append(Version(one.version.removesuffix(".*")))
            except InvalidVersion:
                continue
    return out


def _compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    versions = _candidates(a, b)
    return not versions or any(
        a.contains(v, prereleases=True) and b.contains(v, prereleases=True) for v in versions
    )


_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _installed_extras_only(s: Snapshot, requires: list[str]) -> list[str]:
    """A framework's requirements without those of an extra that was not installed. The probe
    reads an extra's lines too (tensorflow's `and-cuda`), but pip records no extras: an extra
    counts as installed when every package it requires is installed. Without a list of
    installed distributions (a paste) nothing is dropped."""
    if not s.python.distributions and not s.cuda.pip_packages:
        return requires
    groups: dict[str, list[str]] = {}
    for text in requires:
        m = _EXTRA_MARKER.search(text.partition(";")[2])
        if m:
            groups.setdefault(m.group(1), []).append(text)
    missing = {
        extra
        for extra, lines in groups.items()
        if any(_installed_wheel(s, _requirement_name(t)) is None for t in lines)
    }
    return [
        t
        for t in requires
        if not ((m := _EXTRA_MARKER.search(t.partition(";")[2])) and m.group(1) in missing)
    ]


def _requirement_name(text: str) -> str:
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return canonicalize_name(re.split(r"[\s<>=!~\[(;@]", text.strip(), maxsplit=1)[0])


def _installed_wheel(s: Snapshot, name: str) -> str | None:
    pkg = next((p for p in s.cuda.pip_packages if canonicalize_name(p.name) == name), None)
    if pkg is not None:
        return pkg.version
    dist = next((d for d in s.python.distributions if canonicalize_name(d.name) == name), None)
    return dist.version if dist is not None else None


def _satisfied(spec: SpecifierSet, version: str | None) -> bool | None:
    try:
        return spec.contains(Version(version), prereleases=True) if version else None
    except InvalidVersion:
        return None


def _separate_environments(a: FrameworkFacts, b: FrameworkFacts) -> ManualStep:
    def install(fw: FrameworkFacts) -> str:
        pin = f"=={base_version(fw.version)}" if fw.version else ""
        extra = "[and-cuda]" if fw.name == "tensorflow" else ""
        env = f".venv-{fw.name}"
        return f"python -m venv {env} && {env}/bin/pip install {fw.distribution}{extra}{pin}"

    return ManualStep(
        text=f"Give {a.name} and {b.name} an environment each (each then gets the CUDA wheels "
        "it was built with), or pick releases of the two that pin the same nvidia-* versions.",
        commands=[install(a), install(b)],
    )


USER_PINS = "requirements"  # the importer's name for "The user requested …" pins


def _relax_own_pin(wheel: str, a: FrameworkFacts, b: FrameworkFacts) -> Action | None:
    """When one side is the user's own requirements (pip's "The user requested …"), the fix is
    the user's pin, not a second environment."""
    if USER_PINS not in (a.name, b.name):
        return None
    other = b if a.name == USER_PINS else a
    wanted = _nvidia_pins(other).get(wheel)
    return ManualStep(
        text=f"Drop your own pin of {wheel} from the requirements file or environment.yml, or "
        f"change it to what {label(other)} requires ({wanted[0] if wanted else wheel}): "
        f"{label(other)} brings the {wheel} it was built with.",
        commands=[f"grep -rn {wheel} requirements*.txt environment*.yml"],
    )


def _stated_pins(s: Snapshot, fw: FrameworkFacts) -> StatedPins | None:
    """The knowledge base's pins for a framework the paste states only by version (no METADATA
    read): PyPI's metadata of that release, on Linux x86_64 only."""
    if any(canonicalize_name(r.split(";", 1)[0]).startswith("nvidia-") for r in fw.requires):
        return None
    if fw.build_source != "pasted report" and "requires" not in fw.unknown:
        return None
    if s.host.os is not None and s.host.os != "Linux":
        return None
    if s.host.arch is not None and s.host.arch not in ("x86_64", "AMD64", "amd64"):
        return None
    extras = tuple(e for e in fw.details.get("extras", "").split(",") if e)
    pins = stated_pins(fw.name, fw.distribution, fw.version, extras, fw.variant)
    if pins is None and fw.name == "tensorflow" and fw.version:
        # no [and-cuda] stated, but the paste lists the very nvidia-* wheels it pins
        with_extra = stated_pins(fw.name, fw.distribution, fw.version, ("and-cuda",), None)
        shown = [
            r
            for r in (with_extra.requires if with_extra else ())
            if "==" in r and _installed_wheel(s, r.split("==", 1)[0]) == r.split("==", 1)[1]
        ]
        said = any(e.signature == SAID_CONFLICT for e in s.reported_errors)
        pins = with_extra if shown or said else None
    return pins


SAID_CONFLICT = "said-frameworks-conflict"  # catalog/prose-cudnn.toml


def _assumed_extra(s: Snapshot, fw: FrameworkFacts) -> bool:
    """Whether a stated tensorflow's CUDA wheels were taken on the reporter's word that it
    conflicts with another framework ([and-cuda] assumed), not read from the paste."""
    if fw.name != "tensorflow" or "and-cuda" in fw.details.get("extras", ""):
        return False
    with_extra = stated_pins(fw.name, fw.distribution, fw.version, ("and-cuda",), None)
    return not any(
        "==" in r and _installed_wheel(s, r.split("==", 1)[0]) == r.split("==", 1)[1]
        for r in (with_extra.requires if with_extra else ())
    )


def _nvidia_wheels(requires: list[str] | tuple[str, ...]) -> dict[str, str]:
    """nvidia-* wheel -> the requirement as written, with or without a version."""
    out: dict[str, str] = {}
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        if name.startswith("nvidia-"):
            out[name] = f"{name}{req.specifier}"
    return out


def _component_clash(a: dict[str, str], b: dict[str, str]) -> tuple[str, str] | None:
    """The same library in wheels for two CUDA majors (nvidia-nccl-cu12 and nvidia-nccl-cu13)
    where its soname carries no CUDA major: both install, one process loads one of them."""
    same = cuda_pins().same_soname
    for wa in sorted(a):
        ca = wheel_component(wa)
        for wb in sorted(b):
            cb = wheel_component(wb)
            if ca and cb and ca[0] == cb[0] and ca[0] in same and ca[1] != cb[1]:
                return a[wa], b[wb]
    return None


@rule("DL209", "framework-cuda-pins-conflict", "error", "cuda")
def framework_cuda_pins_conflict(s: Snapshot) -> Iterator[Finding]:
    """What it checks: two frameworks in one environment whose requirements pin the same nvidia-*
    CUDA wheel (nvidia-cudnn-cu12, nvidia-nccl-cu12, nvidia-cuda-runtime-cu12…) to versions no
    release satisfies together, read from their METADATA (an extra's lines, such as tensorflow's
    `and-cuda`, only when every wheel of that extra is installed: pip records no extras) or from the
    resolver's conflict lines in a paste (pip's "depends on", poetry's and uv's "Because …", pip's
    "requires …, but you have … which is incompatible", and the user's own pin, pip's "The user
    requested …"); or that pin the same library for two CUDA majors where its soname carries no
    major (nvidia-nccl-cu12 and nvidia-nccl-cu13, nvidia-cudnn-cu12 and -cu13: both install, one
    process loads one); and a framework whose pinned wheel was replaced by an incompatible version.
    Where a paste (or a machine whose METADATA is unreadable) states only the versions, the pins
    come from the knowledge base's copy of PyPI's metadata (cuda_pins.json, Linux x86_64): torch as
    PyPI's build (or the pytorch.org build of PyPI's default variant; another +cuXYZ variant only by
    the cuDNN wheel the release table names), tensorflow only with [and-cuda] or its nvidia-* wheels
    shown (without the extra it pins none), jax only with a cuda12/cuda13 extra or plugin; when
    the reporter says torch and another framework conflict ("you have requested conflicting
    versions of PyTorch and TensorFlow"), tensorflow's GPU wheels ([and-cuda]) are assumed (a
    warning, saying so).

    Why it matters: pip can install only one version of each wheel. Either the install fails
    (ResolutionImpossible), or the framework installed last replaces the other's CUDA
    libraries, and the first then fails at import ("undefined symbol"), at the first
    convolution (cuDNN version mismatch) or in NCCL.

    Example: torch 2.5.1 pins nvidia-cuda-runtime-cu12==12.4.127 and paddlepaddle-gpu 3.1.0
    pins ==12.3.101; tensorflow[and-cuda] 2.15 pins nvidia-nccl-cu12==2.16.5 while
    jax[cuda12] 0.4.23 needs >=2.18.3; tensorflow[and-cuda] 2.20 pins nvidia-nccl-cu12 while
    torch 2.11 pins nvidia-nccl-cu13.

    Fix: one environment per framework (`python -m venv .venv-torch && .venv-torch/bin/pip
    install torch==2.5.1`, the same for the other), or releases of both built for the same
    CUDA libraries.
    """
    own = [fw for fw in s.frameworks if fw.requires]
    stated = {fw.name: p for fw in s.frameworks if (p := _stated_pins(s, fw)) is not None}
    fws = [fw for fw in s.frameworks if fw.requires or fw.name in stated]
    requires = {
        fw.name: list(stated[fw.name].requires)
        if fw.name in stated
        else _installed_extras_only(s, fw.requires)
        for fw in fws
    }
    pins = {fw.name: _nvidia_pins(replace(fw, requires=requires[fw.name])) for fw in fws}

    def side(fw: FrameworkFacts, requirement: str) -> Evidence:
        kb = stated.get(fw.name)
        if kb is None:
            return Evidence(
                fact=f"frameworks.{fw.name}.requires", found=requirement, note=label(fw)
            )
        return Evidence(
            fact=f"kb.cuda_pins.{fw.name}",
            found=requirement,
            note=f"{label(fw)}: {kb.what} ({kb.source})",
        )

    reported: set[str] = set()
    for i, a in enumerate(fws):
        for b in fws[i + 1 :]:
            clashes = [
                (wheel, pins[a.name][wheel], pins[b.name][wheel])
                for wheel in sorted(set(pins[a.name]) & set(pins[b.name]))
                if not _compatible(pins[a.name][wheel][1], pins[b.name][wheel][1])
            ]
            if not clashes:
                cross = _component_clash(
                    _nvidia_wheels(requires[a.name]), _nvidia_wheels(requires[b.name])
                )
                if cross is not None:
                    reported.update((a.name, b.name))
                    yield _cross_major(a, b, cross, side)
                continue
            reported.update((a.name, b.name))
            wheel, (a_req, _), (b_req, _) = clashes[0]
            assumed = any(
                fw.name in stated
                and SAID_CONFLICT in {e.signature for e in s.reported_errors}
                and _assumed_extra(s, fw)
                for fw in (a, b)
            )
            evidence = []
            for w, (ar, _), (br, _) in clashes:
                have = _installed_wheel(s, w)
                evidence.append(side(a, ar))
                evidence.append(side(b, br))
                if have:
                    evidence.append(Evidence(fact=f"cuda.pip_packages.{w}", found=have))
            yield finding(
                "DL209",
                title=f"{label(a)} and {label(b)} pin different {wheel} versions",
                message=f"{label(a)} requires {a_req} and {label(b)} requires {b_req}"
                + (
                    f" (and {len(clashes) - 1} more nvidia-* wheels clash)"
                    if len(clashes) > 1
                    else ""
                )
                + "; one environment can hold only one version, so the install fails or one "
                "framework runs with CUDA libraries it was not built with.",
                evidence=evidence,
                hint="Frameworks that bring their own CUDA wheels are safest in separate "
                "environments."
                + (
                    " The reporter says the two conflict; TensorFlow's GPU wheels "
                    "([and-cuda]) were assumed: check with `pip install --dry-run`."
                    if assumed
                    else ""
                ),
                fixes=[_relax_own_pin(wheel, a, b) or _separate_environments(a, b)],
                subject=b.name,
                severity="warning" if assumed else "error",
            )
    yield from _replaced_wheels(s, own, pins, reported)


def _cross_major(
    a: FrameworkFacts,
    b: FrameworkFacts,
    cross: tuple[str, str],
    side: Callable[[FrameworkFacts, str], Evidence],
) -> Finding:
    a_req, b_req = cross
    component = (wheel_component(canonicalize_name(Requirement(a_req).name)) or ("cuda",))[0]
    return finding(
        "DL209",
        title=f"{label(a)} and {label(b)} bring {component} for different CUDA majors",
        message=f"{label(a)} requires {a_req} and {label(b)} requires {b_req}: pip installs "
        f"both, but they ship the same {component} library (one soname for both CUDA majors), "
        "so one process loads only one of them and the other framework runs with a "
        f"{component} built for another CUDA.",
        evidence=[side(a, a_req), side(b, b_req)],
        hint="Pick releases of the two built for the same CUDA major (for example a torch "
        "release whose PyPI wheels still use the -cu12 wheels), or separate environments.",
        fixes=[_separate_environments(a, b)],
        subject=b.name,
    )


def _replaced_wheels(
    s: Snapshot,
    fws: list[FrameworkFacts],
    pins: dict[str, dict[str, tuple[str, SpecifierSet]]],
    reported: set[str],
) -> Iterator[Finding]:
    """A framework whose pinned nvidia-* wheel is installed in a version it does not accept."""
    for fw in fws:
        if fw.name in reported:
            continue
        for wheel, (req, spec) in sorted(pins[fw.name].items()):
            have = _installed_wheel(s, wheel)
            if _satisfied(spec, have) is not False:
                continue
            other = next(
                (
                    o
                    for o in fws
                    if o is not fw
                    and _satisfied(pins[o.name].get(wheel, (None, spec))[1], have)
                    and wheel in pins[o.name]
                ),
                None,
            )
            yield finding(
                "DL209",
                title=f"{label(fw)} needs {req} but {wheel} {have} is installed",
                message=f"{label(fw)} was built with {req}, but {wheel} {have} is installed"
                + (f" (the version {label(other)} requires)" if other else "")
                + f"; {fw.name} now loads CUDA libraries it was not built with.",
                evidence=[
                    Evidence(
                        fact=f"cuda.pip_packages.{wheel}",
                        found=have,
                        needed=str(spec),
                        note=f"required by {label(fw)}",
                    )
                ],
                hint="Another package installed after it (often a second framework) replaced "
                "the wheel.",
                fixes=[_separate_environments(fw, other)]
                if other
                else [
                    InstallPackages(
                        packages=[req],
                        reason=f"the {wheel} version {label(fw)} was built with",
                    )
                ],
                severity="error" if other else "warning",
                subject=fw.name,
            )
            break


# -- a GPU runtime said to run on the CPU, its release stated, no message quoted ------------------
# the reporter's words (prose-statements.toml, prose-runtimes.toml)
_SAID_ON_CPU = ("said-gpu-not-used", "said-ort-on-cpu")


# Taichi's "Arch=[<Arch.cuda: 5>] is not supported, falling back to CPU" (libraries.toml)
_DRIVER_API_FALLBACK = "taichi-cuda-fallback"


def _driver_api_fell_back_on_wsl(s: Snapshot) -> Iterator[Finding]:
    """Under WSL2 a program that opens the CUDA driver API itself by its unversioned name
    (Taichi's libcuda.so) and falls back to the CPU, with no other error: the driver's library
    lives in /usr/lib/wsl/lib, which such a dlopen often misses (taichi-dev/taichi#2460).
    Reasoned from the host and the fallback: a warning, with the check that confirms it."""
    said = next((e for e in s.reported_errors if e.signature == _DRIVER_API_FALLBACK), None)
    if said is None or s.host.wsl != 2 or _cuda_load_failed(s):
        return
    yield finding(
        "DL201",
        title="Taichi probably cannot load libcuda.so under WSL, so it runs on the CPU",
        message="Taichi fell back to the CPU on WSL2. It opens the CUDA driver library by the "
        "name libcuda.so, which WSL provides in /usr/lib/wsl/lib from the Windows driver; when "
        "that directory is not on the loader's path the CUDA backend is unavailable. Reasoned "
        "from the host and the fallback.",
        severity="warning",
        evidence=[
            Evidence(fact=f"reported_errors.{said.signature}", found=first_line(said.text, 200)),
            Evidence(fact="host.wsl", found="2", note="the driver's libraries: /usr/lib/wsl/lib"),
        ],
        hint="Confirm it: `ls /usr/lib/wsl/lib/libcuda.so*` lists the library, and "
        "`ldconfig -p | grep libcuda` shows whether the loader finds it.",
        fixes=[_library_install_step("libcuda.so")],
        subject="taichi",
    )


def _program_fell_back_to_cpu(s: Snapshot) -> Iterator[Finding]:
    """A pasted report says the GPU is not used ("silently falls back to CPUExecutionProvider")
    and states the release of a GPU runtime that loads CUDA itself (onnxruntime-gpu 1.26,
    ctranslate2 4.5), and quotes no error: onnxruntime-gpu goes on on the CPU when its CUDA
    provider cannot load the libraries of the majors its release was built for (the knowledge
    base's library_majors.json), so those are probably missing. Reasoned from context: a
    warning, with the check that confirms it; a paste that shows another major only is DL202's
    question, one that shows both majors present is not this."""
    if s.origin == "probe" or _cuda_load_failed(s):
        return
    from dlenv.rules.derived import in_prose

    said = next((e for e in s.reported_errors if e.signature in _SAID_ON_CPU), None)
    if said is None or any(not e.harmless and not in_prose(e.signature) for e in s.reported_errors):
        return
    for row, stated in _stated_programs(s):
        cuda_shown = {cuda_major(t.version) for t in s.cuda.toolkits} - {None}
        cudnn_shown = {c.major for c in s.cuda.cudnn} - {None}
        if (cuda_shown and row.cuda not in cuda_shown) or (
            cudnn_shown and row.cudnn not in cudnn_shown
        ):
            continue  # another major shown: not a missing library of this major
        if row.cuda in cuda_shown and row.cudnn in cudnn_shown:
            continue  # both shown present: the libraries are there
        majors = (("cuDNN", row.cudnn, cudnn_shown), ("CUDA", row.cuda, cuda_shown))
        missing = [f"{what} {major}" for what, major, shown in majors if major not in shown]
        needs = " and ".join(missing)
        yield finding(
            "DL201",
            title=f"{stated} probably cannot load {needs}, so it runs on the CPU",
            message=f"The report says {row.package} runs on the CPU with no error quoted. "
            f"{stated} is built for CUDA {row.cuda} and cuDNN {row.cudnn}; its CUDA provider "
            f"falls back to the CPU when it cannot load them, and the paste shows no {needs}. "
            "Reasoned from the stated release and the reporter's words.",
            severity="warning",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{said.signature}",
                    found=first_line(said.text, 160),
                    note="what was read: the reporter's words",
                ),
                Evidence(
                    fact=f"needed by {stated}",
                    found=None,
                    needed=f"CUDA {row.cuda} and cuDNN {row.cudnn}",
                    note=f"{row.note} ({row.source})",
                ),
            ],
            hint="Confirm it: create the session with log_severity_level=0 (onnxruntime) or "
            "run with CT2_VERBOSE=1 (ctranslate2) and read which library failed to load.",
            fixes=[
                ManualStep(
                    text=f"Install {needs} for {stated} and put them on the loader path (pip's "
                    "nvidia-* wheels: onnxruntime-gpu's [cuda,cudnn] extras, or NVIDIA's "
                    "installers), or install the release built for the CUDA/cuDNN you have.",
                    commands=[
                        'python -c "import onnxruntime as ort; ort.set_default_logger_severity(0);'
                        " ort.InferenceSession('model.onnx', "
                        "providers=['CUDAExecutionProvider'])\"",
                        f'pip install "nvidia-cudnn-cu{row.cuda}=={row.cudnn}.*" '
                        f"nvidia-cublas-cu{row.cuda}",
                    ],
                    url="https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html#requirements",
                )
            ],
            subject=row.package,
        )
        return
