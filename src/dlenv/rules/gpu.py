"""Rules about the GPUs themselves: architectures a build lacks, GPUs too old for a CUDA major,
and CUDA_VISIBLE_DEVICES hiding them. Codes DL3xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Literal, NamedTuple

from dlenv.fix.actions import Action, ManualStep, SetEnv, UnsetEnv
from dlenv.kb.queries import (
    arch_fit,
    cuda_arch_support,
    cuda_newest_arch,
    default_torch_builds_running,
    gpu_compute_capability,
    installed_torch_variant,
    major_minor,
    newest_tensorflow_release,
    newest_torch_release,
    tensorflow_release,
    torch_release,
    torch_variant,
)
from dlenv.kb.tables import TorchRelease, TorchVariant
from dlenv.kb.tables import load as load_kb
from dlenv.rules.derived import (
    LIVE_WINS,
    cuda_build,
    in_prose,
    label,
    live,
    os_name,
    usable_gpus,
    verdict,
)
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.fixes import build_for_newer_gpu, build_for_old_gpu, torch_variant_fix
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import FrameworkFacts, GpuFacts, ReportedError, Snapshot


def _sm(cc: str) -> str:
    mm = major_minor(cc)
    return f"sm_{mm[0]}{mm[1]}" if mm else cc


def _capabilities(s: Snapshot) -> list[tuple[GpuFacts, str]]:
    out = []
    for gpu in usable_gpus(s):
        cc = gpu_compute_capability(gpu.name, gpu.compute_capability)
        if cc:
            out.append((gpu, cc))
    return out


def _kb_torch(s: Snapshot, torch: FrameworkFacts) -> tuple[TorchVariant, bool] | None:
    """The knowledge base's row for the installed torch (inferred: PyPI's default build)."""
    return installed_torch_variant(torch.version, torch.variant, torch.cuda_version, os_name(s))


def _x86_wheels(s: Snapshot) -> bool:
    """Whether the knowledge base's torch arch lists (those of the x86_64 wheels) apply."""
    return (s.host.arch or "x86_64").lower() in ("x86_64", "amd64")


@rule("DL301", "gpu-arch-not-in-build", "error", "gpu")
def gpu_arch_not_in_build(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the installed torch CUDA build contains kernels for each GPU's
    compute capability (its arch list, from the live probe or the knowledge base; the
    knowledge base's lists are those of the x86_64 wheels, so on ARM hosts only the live probe
    decides). Binary compatibility within a major counts: sm_86 code runs on an sm_89 GPU, but
    not on sm_90; a list with only PTX for it (compute_XY, JIT-compiled at start-up) is a warning.
    A GPU older than the list's lowest architecture is DL302's (too old, not too new).
    A pasted "no kernel image" with torch's version unstated is a warning when the GPU is newer
    than the default builds of older torch releases (an RTX 5090 before torch 2.7); so is a
    reporter missing support for such a GPU ("Add support for RTX 50 series GPUs"), or saying
    it cannot be used at all ("I can't use CUDA with my RTX 5080": only for a GPU most torch
    releases predate), when the paste names no framework build. A torch release stated with
    neither its variant nor the OS, beside such a failure, is read as the release's default
    build (a warning); a `conda install … cpuonly` line quoted beside CUDA ones (PyTorch's
    install matrix) lists choices, it does not make the build a CPU one. NVRTC's "invalid value
    for --gpu-architecture" (CUDA's runtime compiler, used by torch's JIT fuser, CuPy, OpenMM)
    weighs the GPU against the CUDA that compiles at run time (torch's, else a stated toolkit
    such as a conda cudatoolkit): newer than every target of that CUDA major is an error (an
    RTX 3090 with cudatoolkit 10.2), anything less certain a warning. Arithmetic on stated
    versions: a GPU newer than the newest architecture the stated CUDA release can build for
    (torch's own CUDA, else the newest toolkit stated: CUDA 10.2 builds up to sm_75, an RTX
    3060 Ti is sm_86), beside a cuDNN failure, "no kernel image" or the reporter saying the GPU
    does not work, is a warning ("probably") with the check. With no GPU in the paste, a torch
    build whose newest architecture predates Ampere (torch 1.4, 1.5.1+cu101, a CUDA 9/10
    build) beside a cuDNN execution failure or torch's own THC "invalid device function" is a
    warning: a GPU of the last generations is the likeliest reason ("very likely you are using
    CUDA 10 on an RTX 3090"). cuDNN's lost status ("cuDNN error: CUDNN_STATUS_SUCCESS") on a
    named GPU newer than the oldest builds' CUDA is a warning too. So is a reporter saying the
    program ran on the previous card ("worked flawlessly when I had an RTX 40 series GPU",
    "之前用4070的时候能正常跑，换成5090就不行了") when the new one is a GPU most torch releases
    predate. torch's own "… with CUDA capability sm_86 is not compatible with the current
    PyTorch installation" quoted without its arch list is an error when the GPU is one that no
    torch build has dropped (the default builds run it from some release on): the installed
    build is older than the GPU. TensorFlow's own "not built with CUDA kernel binaries
    compatible with compute capability 8.0 … jit-compiled from PTX" is a warning: it runs after
    minutes of compiling, or fails where the PTX cannot target the GPU. A program that states
    the compute capability it was compiled for beside the GPU's (text-embeddings-inference's
    "Runtime compute cap 75 is not compatible with compile time compute cap 80") is an error;
    so is OpenCV's DNN CUDA backend refusing the GPU ("OpenCV was not built to work with the
    selected device"). cuFFT's CUFFT_INTERNAL_ERROR on an Ada GPU or newer with no CUDA 11.8
    or newer stated is a warning (the cuFFT of older CUDA releases fails there). A TensorFlow
    release whose CUDA (the KB's tested configuration) is a generation older than the GPU,
    beside a cuBLAS/cuDNN or kernel failure, is a warning (TensorFlow 2.3, CUDA 10.1, on an RTX
    3090: "CUBLAS_STATUS_NOT_SUPPORTED"). A native program (nothing in the paste runs it from
    Python, no framework in it) whose own CUDA check reports an arch failure ("invalid device
    function launching kernel …", "invalid device symbol", "no kernel image … 209") is DL301 with
    DL305's reasoning: its own build (a Makefile's -gencode, CMake's architectures) lacks the GPU.

    Why it matters: PyTorch warns "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not
    compatible with the current PyTorch installation" and kernels fail with "CUDA error: no
    kernel image is available for execution on the device".

    Example: torch 2.6.0+cu124 (sm_50 … sm_90) on an RTX 5090 (sm_120).

    Fix: install a variant compiled for the GPU: `pip install torch==2.8.0 --index-url
    https://download.pytorch.org/whl/cu128`.
    """
    torch = s.framework("torch")
    native = _said(s, *NATIVE_FAILURES)
    if native is not None and _said(s, OTHERS_WORK) is None:
        program = _native_verdict(s, native, "DL301")
        if program is not None:  # a native program's own build (not run from Python)
            yield program
            return
    yield from _tensorflow_jit_from_ptx(s)
    yield from _runtime_compiler_too_old(s, torch)
    yield from _program_built_for_other_cap(s)
    yield from _tensorflow_cuda_older_than_gpu(s)
    yield from _opencv_build_lacks_gpu(s)
    yield from _cufft_older_than_gpu(s)
    old_builds = list(_newer_than_old_builds(s, torch)) if not (torch and torch.version) else []
    yield from old_builds
    found = _torch_arch_list(s, torch) if torch is not None else None
    if found is None and not old_builds and _said(s, NVRTC_ARCH) is None:
        yield from _stated_cuda_older_than_gpu(s, torch)
    if not s.gpus and not old_builds and _said(s, NVRTC_ARCH) is None:
        yield from _build_older_than_recent_gpus(s, torch, found)
    elif found is None and not old_builds:
        yield from _lost_cudnn_status(s)
    if torch is None or found is None:
        return
    arch, source, built = found
    for gpu, cc in _capabilities(s):
        fit = arch_fit(arch, cc)
        if fit in (None, "native") or _below_cuda_floor(torch, cc) or _below_build(arch, cc):
            continue  # older than its CUDA major or than the whole build: DL302's finding
        fixes: list[Action] = []
        fix = torch_variant_fix(s, torch, f"{gpu.name or 'the GPU'} is {_sm(cc)}")
        if fix is None:
            fix = build_for_newer_gpu(s, cc)  # no variant of this release has code for it
        if fix is not None:
            fixes.append(fix)
        supported = " ".join(a for a in arch if a.startswith("sm_"))
        message = (
            f"{gpu.name or f'GPU {gpu.index}'} with CUDA capability {_sm(cc)} is not compatible "
            f"with the current PyTorch installation ({label(torch)}). The current PyTorch "
            f"install supports CUDA capabilities {supported}."
        )
        if fit == "ptx":
            message += " Only PTX can be JIT-compiled for it: slow start-up, some kernels fail."
        if source == GUESSED:
            message = (
                f"Probably: {message} (The paste states neither the build nor the OS: this is "
                "the release's default build, the one `pip install` gives on Linux.)"
            )
        yield finding(
            "DL301",
            title=f"{label(torch)} has no kernels for {gpu.name or 'GPU'} ({_sm(cc)})",
            message=message,
            severity="warning" if fit == "ptx" or source == GUESSED else "error",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"one of {supported}",
                    note=built,
                )
            ],
            fixes=fixes,
            subject=f"gpu{gpu.index}",
            confirmed_by=None if source == GUESSED else source,
        )


def _torch_arch_list(
    s: Snapshot, torch: FrameworkFacts
) -> tuple[tuple[str, ...], str | None, str] | None:
    """The installed torch build's arch list, where it came from (the live probe or None: the
    knowledge base) and what it is, for the evidence."""
    if cuda_build(torch) is False and not _choices_quoted(s, torch):
        return None
    probe = live(s, "torch")
    built = f"the arch list of {label(torch)}"
    if probe is not None and probe.arch_list:
        return tuple(probe.arch_list), LIVE_WINS, built
    if _choices_quoted(s, torch):
        # the paste quotes PyTorch's install matrix (CUDA 10.2 / CUDA 11.3 / CPU Only): which
        # build this environment got is unknown, read as the release's default one
        torch = replace(torch, variant="", cuda_build=None)
    # cuda_build unknown: only an untagged Linux version, read as PyPI's default build
    found = _kb_torch(s, torch)
    if found is None and os_name(s) is None and not torch.variant and _failed_on_gpu(s):
        # the OS unstated too, beside a GPU failure: the release's default build, as a guess
        release = torch_release(torch.version)
        row = torch_variant(torch.version, release.default_variant) if release else None
        if row is not None and row.arch_list is not None and _x86_wheels(s):
            return (
                tuple(row.arch_list),
                GUESSED,
                f"{built} (probably: the release's default build, {row.name}, CUDA {row.cuda}; "
                "the paste states neither the variant nor the OS)",
            )
    if found is None or found[0].arch_list is None or (not found[1] and not cuda_build(torch)):
        return None
    if not _x86_wheels(s):
        return None  # the KB's lists are the x86_64 wheels'; ARM builds (GH200, Jetson) differ
    variant, inferred = found
    if inferred:
        built += f" (assumed: PyPI's default build, {variant.name}, CUDA {variant.cuda})"
    return tuple(variant.arch_list or ()), None, built


# the one command that settles whether a torch build has code for the GPU
ARCH_LIST_CHECK = (
    'Check `python -c "import torch; print(torch.__version__, torch.version.cuda, '
    "torch.cuda.get_arch_list())\"`: the GPU's sm_XY must be in the list."
)
SUPPORT_MISSING = "said-gpu-support-missing"  # catalog/prose-gpu.toml
GPU_UNUSABLE = "said-gpu-unusable"  # catalog/prose-gpu.toml: "I can't use CUDA with my RTX 5080"
# catalog/prose-gpu-arch.toml: "The program worked flawlessly when I had an RTX 40 series GPU"
WORKED_BEFORE = ("said-worked-on-previous-gpu", "said-worked-on-previous-gpu-cjk")
# failures a GPU newer than the CUDA build gives (besides "no kernel image"): cuDNN and
# cuBLAS calls that fail outright, kernels missing for the device, the reporter's own words
_ARCH_FAILURES = (
    "torch-cudnn-status-error",
    "status-cudnn-status-execution-failed",
    "status-cudnn-status-arch-mismatch",
    "status-cudnn-status-not-supported-arch-mismatch",
    "status-cudaerrorinvaliddevicefunction",
    "status-cudaerrornokernelimagefordevice",
    "status-cuda-error-no-binary-for-gpu",
    "no-kernel-image",
    SUPPORT_MISSING,
    GPU_UNUSABLE,
)


def _stated_cuda_older_than_gpu(s: Snapshot, torch: FrameworkFacts | None) -> Iterator[Finding]:
    """DL301 from arithmetic on stated versions: the CUDA the paste states (torch's own, else
    the newest toolkit stated) is a release older than the GPU's architecture (the knowledge
    base's `cuda_newest_arch`: CUDA 10.2 builds up to sm_75, an RTX 3060 Ti is sm_86), beside
    a failure such a build gives on it or the reporter saying the GPU does not work. From
    context only: a warning naming what was read and the check."""
    said = next(
        (
            (e.signature, e.text.splitlines()[0][:200])
            for e in s.reported_errors
            if e.signature in _ARCH_FAILURES
        ),
        None,
    )
    if said is None:
        return
    cuda, whose = None, "the CUDA toolkit the paste states"
    if torch is not None and cuda_build(torch) and torch.cuda_version:
        cuda, whose = torch.cuda_version, f"{label(torch)}'s CUDA"
    elif s.cuda.toolkits:
        stated = [t.version for t in s.cuda.toolkits if major_minor(t.version)]
        cuda = max(stated, key=lambda v: major_minor(v) or (0, 0), default=None)
    newest = cuda_newest_arch(cuda)
    if cuda is None or newest is None:
        return
    top = major_minor(newest.max_cc)
    for gpu, cc in _capabilities(s):
        mm = major_minor(cc)
        if mm is None or top is None or mm <= top:
            continue
        name = gpu.name or "the GPU"
        first = next(
            (
                r.cuda
                for r in sorted(
                    load_kb().cuda_newest_arch, key=lambda r: major_minor(r.cuda) or (0, 0)
                )
                if (major_minor(r.max_cc) or (0, 0)) >= mm
            ),
            None,
        )
        yield finding(
            "DL301",
            title=f"Probably CUDA {cuda} is older than {name} ({_sm(cc)})",
            message=f"Probably the build in use cannot run on {name}: it is {_sm(cc)}, and CUDA "
            f"{cuda} ({whose}) builds code for compute capability {newest.max_cc} at the newest"
            + (f"; {_sm(cc)} needs CUDA {first} or newer." if first else ".")
            + " Code built with it has no kernels for this GPU (cuDNN and cuBLAS calls fail, "
            "or 'no kernel image is available').",
            severity="warning",
            evidence=[
                verdict(
                    f"reported_errors.{said[0]}",
                    said[1],
                    "the reporter's words"
                    if said[0] in (SUPPORT_MISSING, GPU_UNUSABLE)
                    else "the error",
                ),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"sm_{newest.max_cc.replace('.', '')} or older (the newest CUDA "
                    f"{cuda} targets)",
                    note=f"read from the paste: {whose} {cuda}, the GPU's name; {newest.note}",
                ),
            ],
            hint="Check the CUDA the program was built with and the GPU's architecture: "
            "`nvidia-smi --query-gpu=name,compute_cap --format=csv`, `nvcc --version`, and for "
            'torch `python -c "import torch; print(torch.version.cuda, '
            'torch.cuda.get_arch_list())"`.',
            fixes=[
                ManualStep(
                    text=f"Use CUDA {first or 'a release that knows this GPU'} or newer for "
                    f"{name}: install that toolkit (and a cuDNN made for it), then rebuild the "
                    "program against it, or install a framework build made with it.",
                    commands=["nvidia-smi --query-gpu=name,compute_cap --format=csv"],
                )
            ],
            subject=f"gpu{gpu.index}",
        )
        return


CUDNN_LOST_STATUS = "torch-cudnn-status-success"  # catalog/gpu-arch.toml
# failures that a torch build older than the GPU gives, read beside a build that predates
# Ampere: cuDNN calls that fail outright or lose their status, torch's own THC kernels missing
# ("no kernel image" alone is as often an extension's: DL305)
_OLD_BUILD_FAILURES = re.compile(
    r"CUDNN_STATUS_(?:EXECUTION_FAILED|SUCCESS|ARCH_MISMATCH)|THC\S{0,200} invalid device function"
)
_AMPERE = 80  # sm_80: CUDA 11.0's first new architecture; every GPU sold since 2020 is newer


def _build_older_than_recent_gpus(
    s: Snapshot, torch: FrameworkFacts | None, found: tuple[tuple[str, ...], str | None, str] | None
) -> Iterator[Finding]:
    """DL301 as a maintainer reads a cuDNN or kernel failure from a torch build older than
    Ampere when the paste names no GPU ("very likely you are using cuda10 on an RTX 3090"): the
    build's newest architecture (its arch list; else every CUDA build of the stated release, of
    its stated CUDA; else the newest the stated CUDA targets) is below sm_80, so no GPU of the
    last generations has code in it, and such a GPU is the likeliest reason for the failure. A
    warning that names what was read and the check."""
    said = next(
        (
            e
            for e in s.reported_errors
            if e.framework in (None, "torch")
            and e.signature in (*_ARCH_FAILURES, CUDNN_LOST_STATUS)
            and _OLD_BUILD_FAILURES.search(e.text)
        ),
        None,
    )
    if said is None or (torch is not None and cuda_build(torch) is False):
        return
    if _said(s, OTHERS_WORK) is not None:
        return  # other code runs on this GPU: the build has kernels for it (DL305's reading)
    top, built = _newest_build_arch(s, torch, found)
    if top is None or top >= _AMPERE:
        return
    line = said.text.splitlines()[0][:200]
    fixes: list[Action] = [fix] if (fix := build_for_newer_gpu(s, "8.6")) else []
    yield finding(
        "DL301",
        title=f"Probably the GPU is newer than {built} (sm_{top} at most)",
        message=f"Probably the GPU is newer than the build in use: {built} has kernels up to "
        f"sm_{top}, older than Ampere, so an RTX 30xx (sm_86) or any later GPU has no code in "
        "it, and its cuDNN predates them too: cuDNN calls fail (CUDNN_STATUS_EXECUTION_FAILED) "
        "or kernels are missing. The paste does not name the GPU.",
        severity="warning",
        evidence=[
            verdict(f"reported_errors.{said.signature}", line, "the error"),
            Evidence(
                fact="gpus",
                found="not stated",
                needed=f"a GPU of sm_{top} or older, for {built}",
                note=f"read from the paste: {built}; the GPU is not named",
            ),
        ],
        hint="Check the GPU against the build: `nvidia-smi --query-gpu=name,compute_cap "
        '--format=csv` and `python -c "import torch; print(torch.__version__, '
        "torch.version.cuda, torch.cuda.get_arch_list())\"`: the GPU's sm_XY must be listed.",
        fixes=[
            *fixes,
            ManualStep(
                text="If the GPU is an RTX 30xx or newer, install a torch built with CUDA 11.1 "
                "or newer for it (CUDA 11.8+ for an RTX 40xx, 12.8+ for an RTX 50xx), and the "
                "project's other pins with it.",
                commands=["nvidia-smi --query-gpu=name,compute_cap --format=csv"],
            ),
        ],
        subject="gpu",
    )


# what TensorFlow prints when its CUDA libraries cannot serve the GPU: cuBLAS/cuDNN refusing
# the device, kernels missing, PTX the driver cannot use
_TF_ARCH_FAILURES = re.compile(
    r"CUBLAS_STATUS_(?:NOT_SUPPORTED|EXECUTION_FAILED|ARCH_MISMATCH|INTERNAL_ERROR)"
    r"|Blas (?:x?GEMM|SGEMM|GEMV) launch failed|CUDNN_STATUS_(?:EXECUTION_FAILED|ARCH_MISMATCH"
    r"|NOT_SUPPORTED|INTERNAL_ERROR)|no kernel image is available|CUDA_ERROR_(?:INVALID_PTX"
    r"|NO_BINARY_FOR_GPU)"
)


OPENCV_ARCH = "opencv-cuda-build-lacks-device"  # catalog/gpu-arch.toml
CUFFT_INTERNAL = "status-cufft-internal-error"  # dlenv.importers.statuses
_ADA = (8, 9)  # sm_89: CUDA 11.8 is the first release whose libraries (cuFFT) know it


def _cufft_older_than_gpu(s: Snapshot) -> Iterator[Finding]:
    """DL301, a warning: cuFFT's "CUFFT_INTERNAL_ERROR" on an Ada GPU or newer (an RTX 40xx),
    with no CUDA 11.8 or newer stated for the framework: its cuFFT comes from an older CUDA
    release, which has no code for the GPU (Piper's pinned torch on an RTX 4080/4090; the fix
    is a torch built with CUDA 11.8 or newer)."""
    said = _said(s, CUFFT_INTERNAL)
    if said is None:
        return
    torch = s.framework("torch")
    cuda = major_minor(torch.cuda_version) if torch is not None else None
    if cuda is not None and cuda >= (11, 8):
        return
    for gpu, cc in _capabilities(s):
        mm = major_minor(cc)
        if mm is None or mm < _ADA:
            continue
        name = gpu.name or "the GPU"
        yield finding(
            "DL301",
            title=f"Probably the CUDA of the build in use is older than {name} ({_sm(cc)})",
            message=f"Probably the framework build in use is older than {name}: cuFFT failed "
            "with CUFFT_INTERNAL_ERROR, as the cuFFT of CUDA releases before 11.8 does on "
            f"GPUs of {_sm(cc)}"
            + (
                f"; the build's CUDA is {torch.cuda_version}."
                if cuda is not None and torch
                else ", and the paste states no CUDA 11.8 or newer."
            ),
            severity="warning",
            evidence=[
                verdict(f"reported_errors.{CUFFT_INTERNAL}", said, "the error"),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed="a build with CUDA 11.8 or newer",
                ),
            ],
            hint=ARCH_LIST_CHECK,
            fixes=[
                ManualStep(
                    text="Install a torch built with CUDA 11.8 or newer (replace the one a "
                    "project or image pins), then check what it was built with.",
                    commands=[
                        "pip install torch torchaudio --index-url "
                        "https://download.pytorch.org/whl/cu118",
                        'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
                    ],
                    url="https://pytorch.org/get-started/previous-versions/",
                )
            ],
            subject=f"gpu{gpu.index}",
        )
        return


def _opencv_build_lacks_gpu(s: Snapshot) -> Iterator[Finding]:
    """DL301 from OpenCV's DNN CUDA backend refusing the GPU ("OpenCV was not built to work with
    the selected device"): its build's CUDA_ARCH_BIN/CUDA_ARCH_PTX has no code for the GPU; a
    GPU older than every architecture the newest CUDA targets also needs an older CUDA."""
    said = _said(s, OPENCV_ARCH)
    if said is None:
        return
    gpus = _capabilities(s)
    gpu, cc = gpus[0] if gpus else (None, None)
    name = (gpu.name if gpu is not None else None) or "the GPU"
    arch = cc or "<the GPU's compute capability>"
    floor = None
    if cc is not None:
        newest = max(load_kb().cuda_arch_support, key=lambda a: a.cuda_major, default=None)
        low = major_minor(newest.min_cc) if newest is not None else None
        mm = major_minor(cc)
        if newest is not None and low is not None and mm is not None and mm < low:
            older = next(
                (
                    a.cuda_major
                    for a in sorted(
                        load_kb().cuda_arch_support, key=lambda a: a.cuda_major, reverse=True
                    )
                    if (m := major_minor(a.min_cc)) is not None and m <= mm
                ),
                None,
            )
            floor = (newest.cuda_major, older)
    yield finding(
        "DL301",
        title=f"OpenCV's CUDA build has no code for {name}" + (f" ({_sm(cc)})" if cc else ""),
        message=f"OpenCV's CUDA build was compiled for other GPU architectures than {name}'s "
        "(its CUDA_ARCH_BIN / CUDA_ARCH_PTX), so its DNN CUDA backend refuses the GPU."
        + (
            f" The GPU ({_sm(cc)}) is older than every architecture CUDA {floor[0]} targets: "
            "building for it needs "
            + (f"CUDA {floor[1]} or older" if floor[1] else "an older CUDA")
            + ", and an OpenCV release that still builds with it."
            if floor and cc
            else ""
        ),
        evidence=[
            verdict(f"reported_errors.{OPENCV_ARCH}", first_line(said, 200), "OpenCV"),
            *(
                [Evidence(fact=f"gpus.{gpu.index}.compute_capability", found=_sm(cc))]
                if gpu is not None and cc is not None
                else []
            ),
        ],
        fixes=[
            ManualStep(
                text="Rebuild OpenCV with the GPU's compute capability in CUDA_ARCH_BIN (and a "
                "CUDA that targets it), or run the DNN on the CPU backend.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    f"cmake -DWITH_CUDA=ON -DOPENCV_DNN_CUDA=ON -DCUDA_ARCH_BIN={arch} ...",
                ],
                url="https://docs.opencv.org/4.x/d2/de6/tutorial_py_setup_in_ubuntu.html",
            )
        ],
        subject="opencv",
    )


def _tensorflow_cuda_older_than_gpu(s: Snapshot) -> Iterator[Finding]:
    """DL301, a warning: the TensorFlow release the paste states is built with a CUDA (the
    knowledge base's tested configurations) whose newest architecture is of an older generation
    than the GPU's, beside a cuBLAS/cuDNN or kernel failure: its libraries have no code for the
    GPU (an RTX 3090, sm_86, under TensorFlow 2.3's CUDA 10.1: "failed to run cuBLAS routine:
    CUBLAS_STATUS_NOT_SUPPORTED"; TensorFlow 2.4 with CUDA 11.0 is the first for Ampere)."""
    tf = s.framework("tensorflow")
    release = tensorflow_release(tf.version) if tf is not None and tf.version else None
    support = cuda_arch_support(release.cuda) if release is not None else None
    top = major_minor(support.max_cc) if support is not None else None
    said = next(
        (e for e in s.reported_errors if not e.harmless and _TF_ARCH_FAILURES.search(e.text)),
        None,
    )
    if release is None or support is None or top is None or said is None:
        return
    for gpu, cc in _capabilities(s):
        mm = major_minor(cc)
        if mm is None or mm[0] <= top[0]:
            continue  # the same generation: its code (or PTX) runs there
        name = gpu.name or "the GPU"
        newer = next(
            (
                r.version
                for r in sorted(
                    load_kb().tensorflow, key=lambda r: tuple(int(p) for p in r.version.split("."))
                )
                if (a := cuda_arch_support(r.cuda)) is not None
                and (t := major_minor(a.max_cc)) is not None
                and t[0] >= mm[0]
            ),
            None,
        )
        yield finding(
            "DL301",
            title=f"Probably TensorFlow {release.version}'s CUDA {release.cuda} is older than "
            f"{name} ({_sm(cc)})",
            message=f"Probably TensorFlow {release.version} cannot run on {name}: it is built "
            f"with CUDA {release.cuda}, whose newest architecture is {_sm(support.max_cc)}, a "
            f"generation older than the GPU ({_sm(cc)}); its cuBLAS and cuDNN have no code for "
            "the GPU, so their calls fail.",
            severity="warning",
            evidence=[
                verdict(
                    f"reported_errors.{said.signature}", first_line(said.text, 200), "the error"
                ),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"{_sm(support.max_cc)} or an older generation",
                    note=f"TensorFlow {release.version} is built with CUDA {release.cuda} "
                    f"({release.source})",
                ),
            ],
            fixes=[
                ManualStep(
                    text=f"Install a TensorFlow built with a CUDA that knows {_sm(cc)}"
                    + (f" (TensorFlow {newer} or newer)" if newer else "")
                    + ", with the Python and code changes it needs; TensorFlow 1.x code can run "
                    "on NVIDIA's nvidia-tensorflow 1.15 builds for newer GPUs.",
                    commands=["nvidia-smi --query-gpu=name,compute_cap --format=csv"]
                    + ([f'pip install "tensorflow>={newer}"'] if newer else []),
                    url="https://www.tensorflow.org/install/source#gpu",
                )
            ],
            subject=f"gpu{gpu.index}",
        )
        return


def _lost_cudnn_status(s: Snapshot) -> Iterator[Finding]:
    """DL301 from torch's "cuDNN error: CUDNN_STATUS_SUCCESS" (a cuDNN call failed and lost
    its status, the known sign of a cuDNN/CUDA build older than the GPU) on a named GPU that the
    oldest torch builds have no code for (Turing and newer): a warning, the build unknown."""
    said = _said(s, CUDNN_LOST_STATUS)
    if said is None:
        return
    # the oldest CUDA that torch builds in the knowledge base were made with, and its newest arch
    oldest = min(
        (v.cuda for r in load_kb().torch for v in r.variants if major_minor(v.cuda)),
        key=lambda c: major_minor(c) or (0, 0),
        default=None,
    )
    floor = cuda_newest_arch(oldest)
    for gpu, cc in _capabilities(s):
        runs = default_torch_builds_running(cc)
        first = next((version for version, ok in runs if ok), None)
        mm, top = major_minor(cc), major_minor(floor.max_cc) if floor else None
        if first is None or mm is None or top is None or mm <= top:
            continue  # every build runs it (or none): the lost status says nothing of its age
        name = gpu.name or "the GPU"
        yield finding(
            "DL301",
            title=f"Probably the cuDNN/CUDA build in use is older than {name} ({_sm(cc)})",
            message=f"Probably the torch build in use is older than {name}: a cuDNN call failed "
            "and lost its status (CUDNN_STATUS_SUCCESS as an error), the known sign of a "
            f"cuDNN/CUDA build made before the GPU ({_sm(cc)}; builds made with CUDA {oldest} "
            "and other CUDA releases older than the GPU have no code for it).",
            severity="warning",
            evidence=[
                verdict(f"reported_errors.{CUDNN_LOST_STATUS}", said, "the error"),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"a torch build with {_sm(cc)}",
                    note="read from the paste: the GPU's name; the build in use is not settled",
                ),
            ],
            hint=ARCH_LIST_CHECK,
            fixes=[fix] if (fix := build_for_newer_gpu(s, cc)) else [],
            subject=f"gpu{gpu.index}",
        )
        return


def _newest_build_arch(
    s: Snapshot, torch: FrameworkFacts | None, found: tuple[tuple[str, ...], str | None, str] | None
) -> tuple[int | None, str]:
    """The newest sm_XY (as XY) the torch build in use has code for, and what it is: its own
    arch list; else the newest over every CUDA build of the stated release (of its stated CUDA);
    else the newest architecture the stated CUDA (torch's, else the newest toolkit) targets."""

    def top(arch: tuple[str, ...] | list[str]) -> int | None:
        codes = [int(d) for a in arch if a.startswith("sm_") and (d := a[3:]).isdigit()]
        return max(codes) if codes else None

    if found is not None and torch is not None and (found[1] == LIVE_WINS or torch.variant):
        return top(found[0]), label(torch)  # the build's own list, not a guess at it
    release = torch_release(torch.version) if torch is not None else None
    if torch is not None and release is not None:
        cuda = major_minor(torch.cuda_version)
        builds = [
            v.arch_list
            for v in release.variants
            if v.name.startswith("cu") and (cuda is None or major_minor(v.cuda) == cuda)
        ]
        if builds and all(b is not None for b in builds):
            tops = [top(b) for b in builds if b is not None]
            if all(t is not None for t in tops):
                return max(t for t in tops if t is not None), f"torch {torch.version}"
        return None, ""
    version = torch.cuda_version if torch is not None and torch.cuda_version else None
    whose = f"torch's CUDA {version}" if version else ""
    if version is None and s.cuda.toolkits:
        stated = [t.version for t in s.cuda.toolkits if major_minor(t.version)]
        version = max(stated, key=lambda v: major_minor(v) or (0, 0), default=None)
        whose = f"CUDA {version}"
    newest = cuda_newest_arch(version)
    mm = major_minor(newest.max_cc) if newest else None
    return (mm[0] * 10 + mm[1], f"a build made with {whose}") if mm else (None, "")


GUESSED = "guessed"  # _torch_arch_list: the release's default build, the OS unstated


def _failed_on_gpu(s: Snapshot) -> bool:
    """Whether the paste reports the GPU failing: "no kernel image", or the reporter missing
    support for it."""
    return _no_kernel_image(s) is not None or _said(s, SUPPORT_MISSING) is not None


def _choices_quoted(s: Snapshot, torch: FrameworkFacts) -> bool:
    """The CPU variant is known only from a `conda install … cpuonly` command quoted beside a
    CUDA one (PyTorch's "previous versions" matrix): the paste lists the choices, not the
    build this environment got."""
    if "+cpu" in torch.version:
        return False
    said = {e.signature: e.text for e in s.reported_errors}
    cpuonly = [e.text for e in s.reported_errors if e.signature == "conda-pytorch-cpuonly"]
    return (
        bool(cpuonly)
        and all("conda install" in text for text in cpuonly)
        and "conda-pytorch-cuda-install-command" in said
    )


def _lowest_arch(arch: tuple[str, ...] | list[str]) -> int | None:
    """The lowest architecture (sm_XY or compute_XY, as XY) a build carries code for."""
    codes = [int(d) for a in arch if (d := a.partition("_")[2]).isdigit()]
    return min(codes) if codes else None


def _below_build(arch: tuple[str, ...] | list[str], cc: str) -> bool:
    """Whether the GPU is older than every architecture in the build's list. PyTorch's own
    `_check_capability` splits it so: `current_arch < min_arch` is "PyTorch no longer supports
    this GPU because it is too old"; a GPU the list misses above that is "not compatible"."""
    low, mm = _lowest_arch(arch), major_minor(cc)
    return low is not None and mm is not None and mm[0] * 10 + mm[1] < low


def _below_cuda_floor(fw: FrameworkFacts, cc: str) -> bool:
    """Whether the GPU is older than every architecture the build's CUDA major compiles for
    (the knowledge base's `cuda_arch_support`: CUDA 11 dropped sm_30, CUDA 12 sm_35/sm_37)."""
    support = cuda_arch_support(fw.cuda_version)
    floor = major_minor(support.min_cc) if support else None
    mm = major_minor(cc)
    return floor is not None and mm is not None and mm < floor


NVRTC_ARCH = "nvrtc-invalid-gpu-architecture"  # catalog/gpu-arch.toml
COMPUTE_CAP_MISMATCH = "program-compute-cap-mismatch"  # catalog/gpu-arch.toml
_CAPS = re.compile(r"compute cap (\d{2,3})\D+compute cap (\d{2,3})")


def _program_built_for_other_cap(s: Snapshot) -> Iterator[Finding]:
    """DL301 from a program that states the compute capability it was compiled for beside the
    GPU's (text-embeddings-inference's "Runtime compute cap 75 is not compatible with compile
    time compute cap 80"): its build has no code for this GPU; an error, the program says so."""
    e = next((e for e in s.reported_errors if e.signature == COMPUTE_CAP_MISMATCH), None)
    m = _CAPS.search(e.text) if e is not None else None
    if e is None or m is None:
        return
    run, built = (f"{v[:-1]}.{v[-1]}" for v in m.groups())
    yield finding(
        "DL301",
        title=f"The program was built for compute capability {built}, the GPU is {run}",
        message=f"The program was compiled for GPUs of compute capability {built} only ("
        f"{_sm(built)}) and refuses this GPU ({_sm(run)}): its build has no code for this GPU's "
        "architecture.",
        evidence=[
            verdict(
                f"reported_errors.{COMPUTE_CAP_MISMATCH}", first_line(e.text, 200), "the error"
            ),
            Evidence(
                fact="gpus.compute_capability", found=run, needed=built, note="the program's build"
            ),
        ],
        fixes=[
            ManualStep(
                text=f"Use the program's build (image tag, wheel) made for {_sm(run)}, or build it "
                f"for this GPU: text-embeddings-inference publishes one image per architecture "
                "(turing-*, 86-*, 89-*, hopper-*) and builds with CUDA_COMPUTE_CAP.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    "docker build . -f Dockerfile-cuda --build-arg "
                    f"CUDA_COMPUTE_CAP={run.replace('.', '')}",
                ],
                url="https://github.com/huggingface/text-embeddings-inference#docker-images",
            )
        ],
        subject="gpu",
    )


def _runtime_compiler_too_old(s: Snapshot, torch: FrameworkFacts | None) -> Iterator[Finding]:
    """DL301 from NVRTC's "invalid value for --gpu-architecture" (or ptxas/nvcc's "Value 'sm_89'
    is not defined"): the CUDA whose compiler runs (torch's own CUDA, else the toolkit the paste
    states: a conda cudatoolkit) is weighed against the GPU. Newer than every architecture that
    CUDA major targets: an error; the GPU or the CUDA unknown, or a minor release that may
    predate it: a warning."""
    said = _said(s, NVRTC_ARCH)
    if said is None:
        return
    cuda, whose = None, ""
    if torch is not None and cuda_build(torch) and torch.cuda_version:
        cuda, whose = torch.cuda_version, f" ({label(torch)}'s)"
    elif s.cuda.toolkits and s.cuda.toolkits[0].version:
        cuda = s.cuda.toolkits[0].version
    support = cuda_arch_support(cuda)
    gpus = _capabilities(s)
    gpu, cc = gpus[0] if gpus else (None, None)
    mm, top = major_minor(cc), major_minor(support.max_cc) if support else None
    name = (gpu.name if gpu is not None else None) or "the GPU"
    proven = mm is not None and top is not None and mm > top
    newer = next(
        (
            a.cuda_major
            for a in sorted(load_kb().cuda_arch_support, key=lambda a: a.cuda_major)
            if mm is not None and (major_minor(a.max_cc) or (0, 0)) >= mm
        ),
        None,
    )
    if proven and support is not None and cc is not None:
        message = (
            f"CUDA {cuda}{whose} targets compute capability {support.min_cc} to "
            f"{support.max_cc}; {name} is {_sm(cc)}, so its compilers (NVRTC, ptxas, nvcc) "
            "cannot build code for it."
        )
    else:
        message = (
            "Probably the CUDA release whose compiler (NVRTC, ptxas, nvcc) runs here is older "
            f"than {name}: CUDA's compilers reject an architecture their release does not know"
            + (f" (CUDA {cuda}{whose}; {name} is {_sm(cc)})." if cuda and cc else ".")
        )
    target = f"CUDA {newer} or newer" if newer is not None else "a CUDA release that knows it"
    yield finding(
        "DL301",
        title=f"The CUDA in use is older than {name}" + (f" ({_sm(cc)})" if cc else ""),
        message=message,
        severity="error" if proven else "warning",
        evidence=[
            verdict(f"reported_errors.{NVRTC_ARCH}", said, "the error"),
            *(
                [
                    Evidence(
                        fact=f"gpus.{gpu.index}.compute_capability",
                        found=_sm(cc),
                        needed=f"sm_{support.max_cc.replace('.', '')} or older (the newest "
                        f"CUDA {support.cuda_major} targets)"
                        if support
                        else "an architecture the CUDA in use knows",
                        note=f"CUDA {cuda}{whose}" if cuda else "the CUDA in use is not stated",
                    )
                ]
                if gpu is not None and cc is not None
                else []
            ),
        ],
        hint="Check which CUDA the program compiles with at run time "
        '(`conda list cudatoolkit`, `python -c "import torch; print(torch.version.cuda)"`) '
        "and the GPU's compute capability (`nvidia-smi --query-gpu=name,compute_cap "
        "--format=csv`).",
        fixes=[
            ManualStep(
                text=f"Use {target} for this GPU: in a conda environment install a newer "
                "cudatoolkit (or cuda-nvrtc), with a torch build made for it where torch is the "
                "program.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    "conda install -c conda-forge cudatoolkit=11.8   # or newer, for the GPU",
                ],
            )
        ],
        subject=f"gpu{gpu.index}" if gpu is not None else "gpu",
    )


NOT_COMPATIBLE = "torch-arch-not-supported"  # catalog/gpu-arch.toml


def _build_older_than_gpu(
    s: Snapshot, gpu: GpuFacts, cc: str, said: str, first: str, fixes: list[Action]
) -> Finding:
    """DL301 from torch's own "… is not compatible" for a GPU no torch build has dropped."""
    return finding(
        "DL301",
        title=f"The torch build is older than {gpu.name or 'the GPU'} ({_sm(cc)})",
        message=f"torch says {gpu.name or 'the GPU'} ({_sm(cc)}) is not compatible with the "
        f"installed build, which therefore has no kernels for it. No torch build has dropped "
        f"{_sm(cc)}: the default CUDA builds run it from torch {first} on, so the installed "
        "build is older than the GPU (a CUDA too old for it).",
        evidence=[
            verdict(f"reported_errors.{NOT_COMPATIBLE}", said, "torch's warning"),
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=_sm(cc),
                needed=f"a torch build with {_sm(cc)} (torch {first} or newer)",
                note="the knowledge base's default builds of every torch release",
            ),
        ],
        hint=ARCH_LIST_CHECK,
        fixes=fixes,
        subject=f"gpu{gpu.index}",
    )


def _older_than_newest_builds(s: Snapshot) -> Iterator[Finding]:
    """DL302 from torch's own "GPU with CUDA capability sm_XY is not compatible with the
    current PyTorch installation" without the arch list that follows it, for a GPU the newest
    default builds no longer run (a K80, a GTX 680): the build's CUDA is newer than the GPU
    supports. A GPU the newest builds run is DL301's (`_newer_than_old_builds`); one every
    release runs says nothing either way (a custom build) and stays DL901's."""
    said = _said(s, NOT_COMPATIBLE)
    probe = live(s, "torch")
    if said is None or (probe is not None and probe.arch_list):
        return
    torch = s.framework("torch")
    for gpu, cc in _capabilities(s):
        runs = default_torch_builds_running(cc)
        if not runs or runs[-1][1]:
            continue
        last = next((v for v, ok in reversed(runs) if ok), None)
        since = (
            f"the default CUDA builds stopped running it after torch {last}"
            if last is not None
            else "no torch release's default CUDA build runs it"
        )
        old_fix = build_for_old_gpu(s, torch, cc) if torch is not None else None
        yield finding(
            "DL302",
            title=f"{gpu.name or 'The GPU'} ({_sm(cc)}) is older than the torch build",
            message=f"torch says {gpu.name or 'the GPU'} ({_sm(cc)}) is not compatible with "
            f"the installed build; {since} (torch {runs[-1][0]} is the newest known), so the "
            "build's CUDA is newer than the GPU supports.",
            evidence=[
                verdict(f"reported_errors.{NOT_COMPATIBLE}", said, "torch's warning"),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"a torch build with {_sm(cc)}"
                    + (f" (torch {last} or older)" if last else ""),
                    note="the knowledge base's default builds of every torch release",
                ),
            ],
            hint="Use an older torch release (or CUDA variant) built for this architecture "
            "(`dlenv kb gpu` and `dlenv kb torch` show which), or build torch from source.",
            fixes=[old_fix] if old_fix else [],
            subject=f"gpu{gpu.index}",
        )
        return


def _newer_than_old_builds(s: Snapshot, torch: FrameworkFacts | None) -> Iterator[Finding]:
    """DL301 as a maintainer reads "no kernel image" when the torch in use is not stated but
    the GPU is: a GPU newer than the default builds of older torch releases (an RTX 50xx,
    sm_120, before torch 2.7) has no kernels in them, and torch itself is the likeliest build
    that lacks it (an extension named in the paste is DL305's)."""
    said, what = _no_kernel_image(s), NO_KERNEL_IMAGE
    if said is None:
        # torch's own "… is not compatible with the current PyTorch installation" without its
        # arch list: the build has no kernels for the GPU, and no build dropped a GPU newer
        # than the old builds, so the installed one is older than it (an error)
        said, what = _said(s, NOT_COMPATIBLE), NOT_COMPATIBLE
    shown = what
    if said is None and not s.frameworks:
        # the reporter misses support for the GPU ("Add support for RTX 50 series") and names
        # no framework build at all: the same reading, from the reporter's words
        said, what = _said(s, SUPPORT_MISSING), SUPPORT_MISSING
        if said is None:  # or cannot use it at all ("I can't use CUDA with my RTX 5080")
            said, what = _said(s, GPU_UNUSABLE), GPU_UNUSABLE
        if said is None:  # or it ran on the previous card ("worked when I had an RTX 40")
            said, what = _said(s, *WORKED_BEFORE), GPU_UNUSABLE
            shown = next(
                (e.signature for e in s.reported_errors if e.signature in WORKED_BEFORE), what
            )
    probe = live(s, "torch")
    if said is None or (probe is not None and (probe.arch_list or probe.details)):
        return
    if torch is not None and torch.variant:
        return
    for gpu, cc in _capabilities(s):
        runs = default_torch_builds_running(cc)
        first = next((version for version, ok in runs if ok), None)
        if first is None or runs[0][1] or not runs[-1][1]:
            continue  # not newer than the old builds: every build, none, or only old ones
        if what == GPU_UNUSABLE and 3 * [ok for _, ok in runs].index(True) < 2 * len(runs):
            continue  # "can't use it" says less: only a GPU most releases predate (Blackwell)
        fixes: list[Action] = [fix] if (fix := build_for_newer_gpu(s, cc)) else []
        if what == NOT_COMPATIBLE:
            yield _build_older_than_gpu(s, gpu, cc, said, first, fixes)
            return
        yield finding(
            "DL301",
            title=f"{gpu.name or 'The GPU'} ({_sm(cc)}) has no kernels in older torch builds",
            message=f"{gpu.name or 'The GPU'} is {_sm(cc)}; the default CUDA builds of torch "
            f"have kernels for it only from torch {first}. The paste does not say which torch "
            "is installed, and a build older than that "
            + (
                "fails with this error."
                if what == NO_KERNEL_IMAGE
                else "cannot run on it, nor can an extension built against it."
            ),
            severity="warning",
            evidence=[
                verdict(
                    f"reported_errors.{shown if what == GPU_UNUSABLE else what}",
                    said,
                    "the error" if what == NO_KERNEL_IMAGE else "the reporter's words",
                ),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"a torch build with {_sm(cc)} (torch {first} or newer)",
                    note="torch's version is not stated",
                ),
            ],
            hint=ARCH_LIST_CHECK,
            fixes=fixes,
            subject=f"gpu{gpu.index}",
        )
        return


@rule("DL302", "gpu-too-old-for-cuda", "error", "gpu")
def gpu_too_old_for_cuda(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that each GPU's compute capability is still supported by the CUDA major a
    framework was built with (the knowledge base's table: CUDA 9 dropped Fermi sm_20, CUDA 11
    Kepler sm_30, CUDA 12 Kepler sm_35/sm_37; CUDA 13 Maxwell, Pascal and Volta, sm_50 to
    sm_70). A torch whose arch list lacks the GPU is DL301's unless the GPU is older than
    anything its CUDA major builds for, or older than the lowest architecture of the list
    itself (PyTorch's own `_check_capability` calls that "too old"). A torch release stated
    without its CUDA build (an issue template's "PyTorch Version: 1.12.1") is judged by every
    CUDA build of it in the knowledge base: a GPU below all of them is too old whichever one is
    installed. A report that only says the framework does not support the GPU counts when the
    knowledge base agrees: the named GPU is older than the oldest architecture of the newest
    release. With no framework build in the paste, a stated CUDA toolkit the GPU is older than
    (a Quadro FX 1800M, 1.2, with CUDA 9.1) is a warning: programs built with it cannot use it.
    torch's "… is not compatible with the current PyTorch installation" quoted without its arch
    list, for a GPU the newest torch builds no longer run (a K80, a GTX 680), is this rule's.
    So is a package's own check that the GPU is below its floor, the GPU named or not:
    flash-attn's "FlashAttention only supports Ampere GPUs or newer", torch.compile's "too old
    to be supported by the triton GPU compiler", vLLM's bfloat16 check (compute capability 8.0),
    DeepSpeed's "Unable to load ragged_device_ops op due to no compute capabilities remaining
    after filtering" (DeepSpeed-MII's inference v2 ops need 8.0).

    Why it matters: the framework sees the GPU but has no code for it: "no kernel image is
    available for execution on the device", or TensorFlow ignores the device ("Ignoring visible
    gpu device ... with Cuda compute capability 3.7").

    Example: a Tesla K80 (3.7) with tensorflow 2.16 (CUDA 12.3).

    Fix: install an older framework release built with a CUDA that still supports the GPU.
    """
    found = (
        list(_too_old_for_cuda(s))
        or list(_below_a_package_floor(s))
        or list(_says_too_old(s))
        or list(_older_than_every_torch_build(s))
        or list(_older_than_its_build(s))
        or list(_older_than_newest_builds(s))
    )
    yield from found
    if not found:
        yield from _said_unsupported(s)


_WHO = {"torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}
MIN_CAPABILITY_SAID = "no-device-with-min-capability"
# a program's own floor (gpu-age.toml): "No CUDA device found with minimum required compute
# capability 3.5", "Device 0 does not have CUDA compute capability 5.0 or greater"
MIN_CAPABILITY_SIGNATURES = (MIN_CAPABILITY_SAID, "program-requires-min-capability")
_FLOOR = re.compile(r"capability\D{0,12}?([1-9]\.\d)|([1-9]\.\d) (?:compute )?capability", re.I)


def _says_too_old(s: Snapshot) -> Iterator[Finding]:
    """DL302 on a framework's own verdict (PyTorch's "no longer supports this GPU because it is
    too old", TensorFlow's "Ignoring visible gpu device ... The minimum required Cuda
    capability is 3.5") or a program's "No CUDA device found with minimum required compute
    capability", when the CUDA build that would prove it is unknown (a pasted message)."""
    gpus = _capabilities(s)
    if not gpus:
        return
    for probe in s.live:
        said = probe.details.get("gpu_too_old")
        if not said:
            continue
        who = _WHO.get(probe.framework, probe.framework)
        yield _too_old_finding(
            s,
            gpus,
            probe.details.get("min_cuda_capability"),
            verdict(f"live.{probe.framework}.details.gpu_too_old", said, f"{who}'s own verdict"),
            who,
            probe.framework,
        )
        return
    e = next((e for e in s.reported_errors if e.signature in MIN_CAPABILITY_SIGNATURES), None)
    m = _FLOOR.search(e.text) if e is not None else None
    if e is None or m is None:
        return
    floor = major_minor(m.group(1) or m.group(2))
    old = [(g, cc) for g, cc in gpus if floor and (mm := major_minor(cc)) and mm < floor]
    if old:
        quoted = Evidence(fact=f"reported_errors.{e.signature}", found=e.text[:200])
        yield _too_old_finding(s, old, m.group(1) or m.group(2), quoted, "The program")


class _Floor(NamedTuple):
    who: str  # what refuses the GPU
    floor: str | None  # its compute capability floor, where the message does not state it
    route: str  # what runs on the older GPU instead
    commands: tuple[str, ...]


# a package's own check that the GPU is below the compute capability its kernels need, in its
# words: the verdict itself (no GPU need be named), with what runs on an older GPU instead
_PACKAGE_FLOORS = {
    # flash-attn's flash_api.cpp: TORCH_CHECK(is_sm8x_min, ...) (src-downstream-torch-ext.toml)
    "flash-attn-ampere-only": _Floor(
        "flash-attn",
        "8.0",
        'Use PyTorch\'s own attention instead: most projects take attn_implementation="sdpa" '
        '(or "eager"), or a switch that turns flash-attention off; xformers also runs on '
        "older GPUs.",
        (
            "pip uninstall -y flash-attn  # projects fall back to SDPA when it is absent",
            'python -c "import torch; print(torch.cuda.get_device_capability())"',
        ),
    ),
    # torch/_inductor/exc.py GPUTooOldForTriton (src-downstream-torch-ext.toml)
    "triton-gpu-too-old": _Floor(
        "torch.compile's triton backend",
        None,
        "Run without torch.compile on this GPU (remove the torch.compile call, or compile with "
        'backend="eager"/"aot_eager"), which needs no triton kernels.',
        ('python -c "import torch; print(torch.cuda.get_device_capability())"',),
    ),
    # DeepSpeed's op builder filtered every compute capability out (src-downstream-torch-ext.toml)
    "deepspeed-op-no-compute-capability": _Floor(
        "a DeepSpeed op",
        None,
        "Run on a GPU the op supports (DeepSpeed-MII's inference v2 needs compute capability "
        "8.0, Ampere or newer), or use an inference path without that op on this GPU (MII's "
        "legacy pipeline, plain transformers, vLLM in float16).",
        ('python -c "import torch; print(torch.cuda.get_device_capability())"',),
    ),
    # transformers/training_args.py: bf16/tf32 asked for where the GPU has none
    # (src-downstream-llm.toml)
    "transformers-bf16-needs-ampere": _Floor(
        "transformers' bf16/tf32 training",
        "8.0",
        "Train in float16 on this GPU: fp16=True instead of bf16=True (TrainingArguments, the "
        "DeepSpeed config's bf16 block off and fp16 on), or run on an Ampere or newer GPU.",
        ('python -c "import torch; print(torch.cuda.is_bf16_supported())"',),
    ),
    # vllm/platforms/cuda.py check_if_supports_dtype (src-downstream-llm.toml)
    "vllm-bf16-needs-ampere": _Floor(
        "vLLM's bfloat16",
        "8.0",
        "Run in float16 on this GPU: `--dtype=half` (vLLM), torch_dtype=torch.float16 elsewhere.",
        ("vllm serve <model> --dtype=half",),
    ),
}


def _below_a_package_floor(s: Snapshot) -> Iterator[Finding]:
    """DL302 from a package's own check that the GPU is older than its kernels need: flash-attn's
    "FlashAttention only supports Ampere GPUs or newer", torch.compile's "Found Tesla P100 which
    is too old to be supported by the triton GPU compiler ... CUDA Capability >= 7.0", vLLM's
    "Bfloat16 is only supported on GPUs with compute capability of at least 8.0". The message is
    the verdict: an error whether or not the paste names the GPU."""
    e = next((e for e in s.reported_errors if e.signature in _PACKAGE_FLOORS), None)
    if e is None:
        return
    known = _PACKAGE_FLOORS[e.signature]
    m = _FLOOR.search(e.text)
    floor = known.floor or (m.group(1) or m.group(2) if m else None)
    gpus = sorted(_capabilities(s), key=lambda g: g[0].name is None)  # a named one first
    low = major_minor(floor) if floor else None
    if low and gpus and all((major_minor(cc) or (0, 0)) >= low for _, cc in gpus):
        return  # the GPUs meet the floor: something else failed the check (the torch build)
    gpu, cc = gpus[0] if gpus else (None, None)
    name = (gpu.name if gpu is not None else None) or "this GPU"
    evidence = [verdict(f"reported_errors.{e.signature}", e.text, f"{known.who}'s own check")]
    if gpu is not None and cc:
        evidence.append(
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=cc,
                needed=f">={floor}" if floor else None,
            )
        )
    yield finding(
        "DL302",
        title=f"{name}" + (f" ({_sm(cc)})" if cc else "") + f" is too old for {known.who}",
        message=f"{known.who} needs a GPU of compute capability {floor or 'its kernels need'} or "
        f"newer, and {name}"
        + (f" is {cc}" if cc else " is older")
        + ": its kernels cannot run here, whatever the driver and CUDA.",
        evidence=evidence,
        fixes=[ManualStep(text=known.route, commands=list(known.commands))],
        subject=f"gpu{gpu.index}" if gpu is not None else known.who,
    )


def _older_than_every_torch_build(s: Snapshot) -> Iterator[Finding]:
    """DL302 for a torch release stated without its CUDA build ("PyTorch 1.12.1", a template
    field): when every CUDA build of that release in the knowledge base starts above the GPU's
    architecture, whichever one is installed has no kernel for it."""
    torch = s.framework("torch")
    if torch is None or not torch.version or "+" in torch.version or cuda_build(torch):
        return
    if not _x86_wheels(s):
        return
    release = torch_release(torch.version)
    lowest = _lowest_release_arch(release)
    if release is None or lowest is None:
        return
    for gpu, cc in _capabilities(s):
        mm = major_minor(cc)
        if mm is None or mm[0] * 10 + mm[1] >= lowest:
            continue
        floor = f"{lowest // 10}.{lowest % 10}"
        yield finding(
            "DL302",
            title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is older than every CUDA build of "
            f"torch {torch.version}",
            message=f"Every CUDA build of torch {release.version} "
            f"starts at compute capability {floor}; {gpu.name or 'the GPU'} is {cc}, so the "
            "installed one has no kernel for it, whichever CUDA variant it is.",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=cc,
                    needed=f">={floor}",
                    note=f"the CUDA builds of torch {torch.version} in the knowledge base",
                )
            ],
            hint="Use an older torch release built for this architecture (`dlenv kb gpu` and "
            "`dlenv kb torch` show which), or build torch from source for it.",
            fixes=[fix] if (fix := build_for_old_gpu(s, torch, cc)) else [],
            subject=f"gpu{gpu.index}",
        )
        return


def _older_than_its_build(s: Snapshot) -> Iterator[Finding]:
    """DL302 for a GPU older than the lowest architecture in the installed torch build's arch
    list (the live probe's, as in PyTorch's "... is not compatible ... supports CUDA
    capabilities sm_37 sm_50 ...", or the knowledge base's for a known variant): no cubin and no
    PTX of the build can run on it. PyTorch's `_check_capability` calls this "too old"
    (`current_arch < min_arch`); a GPU the list misses above its lowest entry is DL301's."""
    torch = s.framework("torch")
    found = _torch_arch_list(s, torch) if torch is not None else None
    if torch is None or found is None:
        return
    arch, source, built = found
    low = _lowest_arch(arch)
    if low is None:
        return
    floor = f"{low // 10}.{low % 10}"
    for gpu, cc in _capabilities(s):
        if not _below_build(arch, cc):
            continue
        supported = " ".join(a for a in arch if a.startswith("sm_"))
        yield finding(
            "DL302",
            title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is older than every architecture of "
            f"{label(torch)}",
            message=f"{label(torch)} has code for {supported} (compute capability {floor} and "
            f"newer); {gpu.name or 'the GPU'} is {cc}, older than all of them, so no kernel of "
            "this build runs on it.",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=cc,
                    needed=f">={floor}",
                    note=built,
                )
            ],
            hint="Use an older torch release built for this architecture (`dlenv kb gpu` and "
            "`dlenv kb torch` show which), or build torch from source for it.",
            fixes=[fix] if (fix := build_for_old_gpu(s, torch, cc)) else [],
            subject=f"gpu{gpu.index}",
            confirmed_by=source,
        )
        return


# prose-statements.toml: "pytorch no longer supports my GPU", "Keine Unterstützung mehr für GTX780"
SAID_UNSUPPORTED = "said-gpu-unsupported"


def _said_unsupported(s: Snapshot) -> Iterator[Finding]:
    """DL302 when the reporter says the framework does not support the GPU and the knowledge
    base confirms it: the named GPU is older than the oldest architecture of the newest release
    (every CUDA build of it, for PyTorch; its CUDA major's floor, for TensorFlow). A stated torch
    release is judged by `_older_than_every_torch_build` instead: if that release runs the GPU,
    the statement is not taken. torch's own "no kernel image is available" (or CUDA's older
    "invalid device function") on such a GPU, with no release stated, says the same in the
    program's words (a warning: an old release would have run it)."""
    said = next((e for e in s.reported_errors if e.signature == SAID_UNSUPPORTED), None)
    error = None if said is not None else _no_kernel_image(s)
    if said is None and error is None:
        return
    torch, tf = s.framework("torch"), s.framework("tensorflow")
    if (torch is not None and torch.version) or (tf is not None and tf.version):
        return  # a stated release: judged by its own builds, not by the newest one
    framework = said.framework if said is not None else "torch"
    floor = _newest_floor("tensorflow" if framework == "tensorflow" else "torch")
    if floor is None:
        return
    lowest, what = floor
    for gpu, cc in _capabilities(s):
        mm = major_minor(cc)
        if mm is None or mm >= lowest:
            continue
        need = f"{lowest[0]}.{lowest[1]}"
        yield finding(
            "DL302",
            title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is older than current framework builds",
            message=(
                f"The report says the framework does not support {gpu.name or 'the GPU'}, "
                if said is not None
                else f'torch has no kernel for {gpu.name or "the GPU"} ("no kernel image is '
                'available"), '
            )
            + f"and the knowledge base agrees: it is compute capability {cc}, and {what} starts "
            f"at {need}.",
            severity="error" if said is not None else "warning",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{SAID_UNSUPPORTED if said else NO_KERNEL_IMAGE}",
                    found=(said.text if said else error or "")[:200],
                    note="the reporter's words" if said else "the error",
                ),
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=cc,
                    needed=f">={need}",
                    note=what,
                ),
            ],
            hint="Use an older framework release built for this architecture (`dlenv kb gpu "
            f"{cc}` and `dlenv kb torch` show which), build it from source for compute "
            f"capability {cc}, or use a newer GPU.",
            fixes=[
                ManualStep(
                    text=f"Install a release built for compute capability {cc} or build from "
                    "source for it; `dlenv kb gpu` shows the newest CUDA that supports it.",
                    commands=[f"dlenv kb gpu {cc}"],
                )
            ],
            subject=f"gpu{gpu.index}",
        )
        return


def _newest_floor(framework: str) -> tuple[tuple[int, int], str] | None:
    """The oldest compute capability the newest release in the knowledge base runs on, and
    where that comes from."""
    if framework == "tensorflow":
        tf = newest_tensorflow_release()
        support = cuda_arch_support(tf.cuda) if tf else None
        floor = major_minor(support.min_cc) if support else None
        if tf is None or support is None or floor is None:
            return None
        return floor, f"TensorFlow {tf.version} is built with CUDA {tf.cuda}, which"
    release = newest_torch_release()
    low = _lowest_release_arch(release)
    if release is None or low is None:
        return None
    return (low // 10, low % 10), f"every CUDA build of torch {release.version}"


def _lowest_release_arch(release: TorchRelease | None) -> int | None:
    """The lowest architecture of any CUDA build of a torch release: a GPU below it has no
    cubin and no PTX in any of them."""
    variants = release.variants if release else ()
    return _lowest_arch([a for v in variants for a in v.arch_list or ()])


def _too_old_finding(
    s: Snapshot,
    gpus: list[tuple[GpuFacts, str]],
    minimum: str | None,
    said: Evidence,
    who: str,
    name: str | None = None,
) -> Finding:
    gpu, cc = gpus[0]
    builder = "this PyTorch" if who == "PyTorch" else f"this {who}" if who in _WHO.values() else ""
    return finding(
        "DL302",
        title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is too old for {builder or 'this program'}",
        message=f"{who} reports that {gpu.name or 'the GPU'} (compute capability {cc}) is "
        "older than the oldest architecture it was built for"
        + (f" ({minimum})" if minimum else "")
        + "; it cannot run kernels on it"
        + (" and falls back to the CPU." if who == "TensorFlow" else "."),
        evidence=[
            said,
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=cc,
                needed=f">={minimum}" if minimum else None,
            ),
        ],
        hint="Use a newer GPU, or an older framework release built for this GPU's "
        "architecture (`dlenv kb gpu` and `dlenv kb torch` show which); building from source "
        "with the GPU's compute capability also works.",
        fixes=[fix]
        if name and (fix := _old_gpu_fix(s, name, cc))
        else [
            ManualStep(
                text=f"Run it on a GPU of compute capability {minimum or 'the build needs'} or "
                f"newer, or build it from source for compute capability {cc} (where its CUDA "
                "still supports it; `dlenv kb gpu` shows which CUDA does).",
                commands=[f"dlenv kb gpu {cc}"],
            )
        ],
        subject=f"gpu{gpu.index}",
    )


def _old_gpu_fix(s: Snapshot, name: str, cc: str) -> Action | None:
    fw = s.framework(name)
    return build_for_old_gpu(s, fw, cc) if fw is not None else None


def _too_old_for_cuda(s: Snapshot) -> Iterator[Finding]:
    gpus = _capabilities(s)
    if not gpus:
        return
    for fw in s.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax") or not cuda_build(fw):
            continue
        support = cuda_arch_support(fw.cuda_version)
        floor = major_minor(support.min_cc) if support else None
        if support is None or floor is None:
            continue
        for gpu, cc in gpus:
            mm = major_minor(cc)
            if mm is None or mm >= floor:
                continue
            yield finding(
                "DL302",
                title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is too old for CUDA "
                f"{fw.cuda_version} ({label(fw)})",
                message=f"{label(fw)} is built with CUDA {fw.cuda_version}, which supports "
                f"compute capability {support.min_cc} and newer; {gpu.name or 'the GPU'} is "
                f"{cc}.",
                evidence=[
                    Evidence(
                        fact=f"gpus.{gpu.index}.compute_capability",
                        found=cc,
                        needed=f">={support.min_cc}",
                        note=f"needed by CUDA {fw.cuda_version} ({label(fw)})",
                    )
                ],
                hint="Use a release of the framework built with an older CUDA major.",
                fixes=[fix] if (fix := build_for_old_gpu(s, fw, cc)) else [],
                subject=f"gpu{gpu.index}",
            )
    if not any(cuda_build(fw) for fw in s.frameworks):
        yield from _too_old_for_toolkit(s, gpus)


def _too_old_for_toolkit(s: Snapshot, gpus: list[tuple[GpuFacts, str]]) -> Iterator[Finding]:
    """DL302 (a warning) for a program with no framework in the paste and a stated CUDA toolkit
    the GPU is older than ("Quadro FX 1800M" with "cuda_9.1.85_windows", fireice-uk/xmr-stak
    #823): CUDA programs built with that toolkit cannot run on it, whatever the driver."""
    toolkit = next((t for t in s.cuda.toolkits if t.version), None)
    support = cuda_arch_support(toolkit.version) if toolkit is not None else None
    floor = major_minor(support.min_cc) if support is not None else None
    if toolkit is None or support is None or floor is None:
        return
    for gpu, cc in gpus:
        mm = major_minor(cc)
        if mm is None or mm >= floor:
            continue
        older = [
            a.cuda_major
            for a in load_kb().cuda_arch_support
            if (major_minor(a.min_cc) or (99, 0)) <= mm
        ]
        last = (
            f"the last CUDA for it is {max(older)}.x"
            if older
            else "no CUDA release still offered supports it"
        )
        yield finding(
            "DL302",
            title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is too old for CUDA {toolkit.version}",
            message=f"Probably: CUDA {toolkit.version} supports compute capability "
            f"{support.min_cc} and newer; {gpu.name or 'the GPU'} is {cc}, so a program built "
            f"with it cannot use the GPU ({last}). No driver update changes that.",
            severity="warning",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=cc,
                    needed=f">={support.min_cc}",
                    note=f"needed by CUDA {toolkit.version} (the toolkit the paste states)",
                )
            ],
            hint="A GPU this old needs a build of the program made with an older CUDA, and the "
            "legacy driver branch NVIDIA lists for it; or a newer GPU.",
            fixes=[
                ManualStep(
                    text=f"Check the GPU against CUDA's supported compute capabilities; for "
                    f"{gpu.name or 'this GPU'} use a release of the program built with an older "
                    "CUDA (and the legacy driver NVIDIA lists for the GPU), or use a newer GPU.",
                    commands=["nvidia-smi --query-gpu=name,compute_cap --format=csv"],
                    url="https://developer.nvidia.com/cuda-legacy-gpus",
                )
            ],
            subject=f"gpu{gpu.index}",
        )


@rule("DL303", "cuda-visible-devices-hides-gpus", "error", "gpu", machine_wide=True)
def cuda_visible_devices_hides(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether CUDA_VISIBLE_DEVICES hides every GPU: empty, "-1", or naming
    indices/UUIDs that do not exist.

    Why it matters: every framework then reports no GPU ("CUDA_ERROR_NO_DEVICE: no CUDA-capable
    device is detected") although nvidia-smi shows them. An empty or -1 value is usually a
    leftover from a CPU-only job; an unknown index is usually a typo.

    In a paste, a value naming a GPU beyond the first is weighed against the failure CUDA
    reported: "no CUDA-capable device", or TensorFlow's diagnostics after cuInit failed with a
    driver that matches ("kernel version seems to match DSO"), or the reporter saying the GPU is
    not used ("torch.cuda.is_available() returns False", "the GPU is not detected"); an error
    when the paste also states how many GPUs there are ("I only have one GPU"). With no value
    in the paste, "no CUDA-capable device" while the reporter says the framework sees the GPU
    when imported by hand (outside WSL) is a warning: the script probably sets the variable. So
    is a bare "no CUDA-capable device" (cuInit's CUDA_ERROR_NO_DEVICE) with nothing else in the
    paste: no container, no WSL, no driver or library message, no statement of an update.

    Example: CUDA_VISIBLE_DEVICES=2 on a machine with GPUs 0 and 1.

    An index beyond the GPUs a paste only names in passing (prose, an lspci line, a message),
    with no table of them (nvidia-smi, collect_env), is a warning: the reporter may have named
    the one GPU that drives the display.

    NVIDIA_VISIBLE_DEVICES set to void/none in a pasted Dockerfile, init script or compose file
    hides every GPU from the container (a warning; an error beside CUDA seeing no GPU).

    Fix: unset CUDA_VISIBLE_DEVICES or set it to existing GPU indices.
    """
    if _said(s, RUNTIME_VOID) is not None:
        yield from _runtime_hides(s)
        return
    raw = s.visibility.cuda_visible_devices
    if not s.gpus:
        yield from _reported_hidden(s)
        return
    if raw is None:
        yield from _reported_hidden(s)
        return
    value = raw.strip()
    deliberate = value in ("", "-1")
    if not deliberate:
        first = value.split(",")[0].strip()
        indices = {str(g.index) for g in s.gpus}
        uuids = [g.uuid for g in s.gpus if g.uuid]
        # the driver stops at the first invalid entry, so the first entry decides
        if first.isdigit():
            if first in indices:
                return
        elif first.startswith(("GPU-", "MIG-")):
            if any(u.startswith(first) for u in uuids) or not uuids:
                return
        else:
            # no index or UUID ("$0", "bash", "cuda:0"): judged when CUDA then saw no GPU
            yield from _reported_hidden(s)
            return
    existing = ",".join(str(g.index) for g in s.gpus)
    fixes: list[Action] = [UnsetEnv(name="CUDA_VISIBLE_DEVICES", reason="show every GPU")]
    if not deliberate:
        fixes.append(
            SetEnv(name="CUDA_VISIBLE_DEVICES", value=existing, reason="name GPUs that exist")
        )
    # "CUDA_VISIBLE_DEVICES=1" beside "GeForce GTX TITAN Black" may pick the second of two:
    # only a table of the machine's GPUs shows that the index is missing
    counted = _counted(s)
    message = (
        f"CUDA_VISIBLE_DEVICES is {raw!r}, so CUDA programs see no GPU although "
        f"{len(s.gpus)} exist (indices {existing})."
        if counted or deliberate
        else f"CUDA_VISIBLE_DEVICES is {raw!r}, but the paste names only {len(s.gpus)} GPU "
        f"(indices {existing}) and no table of them: unless the machine has more than it "
        "names, CUDA programs see no GPU."
    )
    yield finding(
        "DL303",
        title=f"CUDA_VISIBLE_DEVICES={raw!r} hides every GPU"
        if counted or deliberate
        else f"CUDA_VISIBLE_DEVICES={raw!r} may hide every GPU",
        message=message,
        severity="warning" if deliberate or not counted else "error",
        evidence=[
            Evidence(
                fact="visibility.cuda_visible_devices",
                found=repr(raw),
                needed=f"unset, or indices among {existing}",
                note=None if counted else "the GPUs the paste names, not a table of them",
            )
        ],
        hint="An empty or -1 value is often left over from a CPU-only job."
        if deliberate
        else "GPU indices start at 0; the first invalid entry hides all that follow.",
        fixes=fixes,
    )


# what a pasted message says about CUDA seeing no GPU, and what the paste states of the machine
NO_GPU_SIGNATURES = (
    "torch-no-cuda-gpus",
    "no-cuda-capable-device",
    # the reporter's words: "No GPU found", "is_available() returned FALSE", and the workaround
    # "after I changed CUDA_VISIBLE_DEVICES=0 it worked"
    "said-visible-devices-changed-works",
    "said-gpu-not-used",
    # "torch.cuda.is_available() returns False" in prose: weighed only beside a
    # CUDA_VISIBLE_DEVICES value the paste sets ("I exported CUDA_VISIBLE_DEVICES=1 and now …")
    "torch-cuda-unavailable-stated",
    # TensorFlow's diagnostics after cuInit failed with a driver that matches (tune-b.toml)
    "cuinit-failed-driver-matches",
)
INVALID_ORDINAL = "invalid-device-ordinal"
# prose-driver.toml: "if I import tensorflow in python it sees my gpu fine" (the driver works)
SEEN_BY_HAND = "said-gpu-seen-in-plain-python"
NO_DEVICE = ("no-cuda-capable-device", "torch-no-cuda-gpus")
# prose-memory.toml: "to overcome this, add os.environ['CUDA_VISIBLE_DEVICES'] = '0'"
VISIBLE_SET_FIXES = "said-visible-devices-set-fixes"
_SET_TO = re.compile(r"CUDA_VISIBLE_DEVICES\W{1,8}([\w,-]{1,40})")


TF_NO_KERNELS = "tf-no-kernel-binaries"  # gpu-arch.toml: TensorFlow's own verdict


def _tensorflow_jit_from_ptx(s: Snapshot) -> Iterator[Finding]:
    """DL301, a warning, on TensorFlow's own verdict: "TensorFlow was not built with CUDA kernel
    binaries compatible with compute capability 8.0. CUDA kernels will be jit-compiled from
    PTX": the build has no code for the GPU and compiles it at start-up (minutes, and a failure
    where the PTX is older than the GPU's major can run). The fix is a TensorFlow release
    built for the GPU."""
    said = next((e for e in s.reported_errors if e.signature == TF_NO_KERNELS), None)
    if said is None:
        return
    m = re.search(r"compute capability (\d+\.\d+)", said.text)
    cc = m.group(1) if m else None
    tf = s.framework("tensorflow")
    yield finding(
        "DL301",
        title=f"{label(tf) if tf is not None and tf.version else 'TensorFlow'} has no kernels "
        f"for this GPU" + (f" ({_sm(cc)})" if cc else ""),
        message="TensorFlow says its build has no CUDA kernels for the GPU"
        + (f" (compute capability {cc})" if cc else "")
        + ": it JIT-compiles them from PTX at start-up, which takes minutes each run and "
        "fails outright where the PTX cannot target the GPU.",
        severity="warning",
        evidence=[
            verdict(f"reported_errors.{TF_NO_KERNELS}", first_line(said.text, 200), "TensorFlow")
        ],
        hint="TensorFlow's tested build configurations list the CUDA of each release; a "
        "release built with a CUDA that targets the GPU has its kernels.",
        fixes=[
            ManualStep(
                text="Install a TensorFlow release built for this GPU (a newer one), or keep "
                "the JIT cache between runs (CUDA_CACHE_MAXSIZE) so it compiles once.",
                commands=[
                    'pip install -U "tensorflow[and-cuda]"',
                    "export CUDA_CACHE_MAXSIZE=4294967296",
                ],
                url="https://www.tensorflow.org/install/source#gpu",
            )
        ],
        subject="tensorflow",
    )


def _said(s: Snapshot, *signatures: str) -> str | None:
    e = next((e for e in s.reported_errors if e.signature in signatures), None)
    return e.text.splitlines()[0][:200] if e is not None else None


def _stated(s: Snapshot, key: str) -> int | None:
    """A number a paste states (`live.<fw>.details.<key>`: gpu_count, nproc_per_node,
    device_index), the largest when several frameworks carry it."""
    values = [p.details.get(key) for p in s.live]
    numbers = [int(v) for v in values if v is not None and v.isdigit()]
    return max(numbers) if numbers else None


def _counted(s: Snapshot) -> bool:
    """Whether the snapshot's GPUs are the machine's: probed, or listed by a pasted table
    (nvidia-smi, collect_env). A GPU a paste only names in passing (prose, an lspci line, a
    message) says nothing of how many there are: the reporter may name the one that drives the
    display."""
    return bool(s.gpus) and all(g.source != "mentioned" for g in s.gpus)


def _gpu_count(s: Snapshot) -> tuple[int, str] | None:
    """How many GPUs the machine has, and where that is known from."""
    if _counted(s):
        return len(s.gpus), "gpus"
    stated = _stated(s, "gpu_count")
    return (stated, "the reporter") if stated else None


RUNTIME_VOID = "nvidia-visible-devices-void"  # catalog/device-index.toml


def _runtime_hides(s: Snapshot) -> Iterator[Finding]:
    """DL303 from NVIDIA_VISIBLE_DEVICES=void/none in the paste (an image's ENV, an init
    script, a compose file): the NVIDIA container runtime then exposes no GPU, whatever
    `--gpus all` asked for. An error when the paste also shows CUDA finding no GPU."""
    said = _said(s, RUNTIME_VOID)
    if said is None:
        return
    value = "none" if re.search(r"\bnone\b", said) else "void"
    seen = _said(s, *NO_GPU_SIGNATURES)
    yield finding(
        "DL303",
        title=f"NVIDIA_VISIBLE_DEVICES={value} hides every GPU from the container",
        message=f"The paste sets NVIDIA_VISIBLE_DEVICES to {value!r}: the NVIDIA container "
        "runtime then exposes "
        + ("no GPU (the driver libraries only)" if value == "none" else "no GPU and no driver")
        + " to the container, whatever `--gpus all` asked for; whoever sets it (the image's "
        "ENV, an entrypoint or init script, a compose file) overrides the runtime's value.",
        severity="error" if seen else "warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{RUNTIME_VOID}",
                found=said,
                needed="NVIDIA_VISIBLE_DEVICES=all (or GPU indices/UUIDs)",
                note="the paste",
            ),
            *(
                [Evidence(fact="reported_errors.no-gpu", found=seen, note="CUDA saw no GPU")]
                if seen
                else []
            ),
        ],
        hint="Inside the container, `echo $NVIDIA_VISIBLE_DEVICES` and `nvidia-smi -L` show it.",
        fixes=[
            ManualStep(
                text="Find what sets NVIDIA_VISIBLE_DEVICES to void/none (Dockerfile ENV, "
                "entrypoint or init script, compose `environment:`) and make it keep the "
                "runtime's value, or set it to all.",
                commands=[
                    "docker run --rm --gpus all -e NVIDIA_VISIBLE_DEVICES=all IMAGE nvidia-smi -L",
                    "grep -rn NVIDIA_VISIBLE_DEVICES Dockerfile* *.sh *.bash docker-compose*.y*ml",
                ],
            )
        ],
        subject="container",
    )


_IN_CONTAINER = "said-in-container"  # a container without the GPU is DL109's question


def _bare_no_device(s: Snapshot) -> bool:
    """CUDA's "no CUDA-capable device" (cuInit's CUDA_ERROR_NO_DEVICE) is all the paste shows:
    no container, no WSL, no driver missing, and no other message or statement that names a
    cause. A driver that is absent or not loaded fails cuInit otherwise (libcuda not found,
    CUDA_ERROR_UNKNOWN, "NVIDIA driver ... not loaded") and reporters say so; what is left is,
    in the maintainers' answers, a CUDA_VISIBLE_DEVICES that the script or its launcher sets
    ("os.environ['CUDA_VISIBLE_DEVICES'] = '1'" on a one-GPU machine)."""
    from dlenv.importers.signatures import BY_ID  # loaded only when a paste quoted something

    if not any(e.signature == "no-cuda-capable-device" for e in s.reported_errors):
        return False
    if s.host.container or s.host.wsl is not None or s.driver.installed is False:
        return False
    for e in s.reported_errors:
        if e.signature in NO_GPU_SIGNATURES or e.signature == _IN_CONTAINER:
            if e.signature == _IN_CONTAINER:
                return False
            continue
        known = BY_ID.get(e.signature)
        if known is None or e.signature == "unrecognised-error":
            return False  # an error no signature explains: its cause is unknown
        if known.statement or (in_prose(e.signature) and e.signature != "said-gpu-model"):
            return False  # the reporter states something (an update, a reboot): weighed elsewhere
        if e.harmless and not known.rules:
            continue  # start-up noise that names no cause
        if set(known.rules) - {"DL303"}:
            return False  # a message or statement that names another cause
    return True


def _reported_hidden(s: Snapshot) -> Iterator[Finding]:
    """DL303 on a pasted "No CUDA GPUs are available" / "no CUDA-capable device": the driver
    answered but enumerated nothing. Proven when the paste sets CUDA_VISIBLE_DEVICES to a value
    that names no existing GPU; a warning when it only shows PyTorch's own message."""
    said = _said(s, *NO_GPU_SIGNATURES)
    if said is None or s.host.wsl == 1:
        return  # WSL 1 has no GPU at all: DL110's
    raw = s.visibility.cuda_visible_devices
    fix = _said(s, VISIBLE_SET_FIXES)
    fixed_to = _SET_TO.search(fix) if fix else None
    if raw is not None and fixed_to is not None and fixed_to.group(1) == raw.strip():
        raw = None  # the value the paste gives is the reporter's fix, not the one that failed
    count = _gpu_count(s)
    existing = f"0..{count[0] - 1}" if count else "0 (the first GPU)"
    sig = next(e.signature for e in s.reported_errors if e.signature in NO_GPU_SIGNATURES)
    evidence = [Evidence(fact=f"reported_errors.{sig}", found=said, note="CUDA enumerated no GPU")]
    severity: Literal["error", "warning"] = "error"
    if raw is not None:
        value = raw.strip()
        first = value.split(",")[0].strip()
        if first.isdigit():
            index = int(first)
            if count and index < count[0]:
                return  # names a GPU that exists: something else hides it
            if not count and index == 0:
                return
            why = (
                f"names GPU {index}, but the machine has {count[0]} (from {count[1]})"
                if count
                else f"names GPU {index}; on a machine with fewer than {index + 1} GPUs that "
                "hides them all"
            )
            severity = "error" if count else "warning"
        elif first.startswith(("GPU-", "MIG-")):
            why = "names a GPU UUID; a typo in it hides every GPU"
            severity = "warning"
        else:
            why = (
                "is a shell variable, expanded to whatever it holds ($0 is the shell's or "
                "script's name), not a GPU index"
                if first.startswith("$")
                else "is no GPU index or UUID (an unexpanded or empty variable?)"
            )
        evidence.insert(
            0,
            Evidence(
                fact="visibility.cuda_visible_devices",
                found=repr(raw),
                needed=f"indices among {existing}",
            ),
        )
        message = f"The paste sets CUDA_VISIBLE_DEVICES to {raw!r}, which {why}: CUDA then sees "
        message += "no GPU although the driver works."
        title = f"CUDA_VISIBLE_DEVICES={raw!r} hides every GPU"
    else:
        # PyTorch's "No CUDA GPUs are available" (the driver answered), or CUDA's "no
        # CUDA-capable device" while the reporter says the same framework sees the GPU when
        # imported by hand: only this run's environment differs
        seen_by_hand = _said(s, SEEN_BY_HAND) is not None and s.host.wsl is None
        bare = not seen_by_hand and _bare_no_device(s)
        if not (_said(s, "torch-no-cuda-gpus") or (seen_by_hand and sig in NO_DEVICE) or bare):
            return
        if seen_by_hand:
            evidence.append(
                Evidence(
                    fact=f"reported_errors.{SEEN_BY_HAND}",
                    found=_said(s, SEEN_BY_HAND),
                    note="the reporter: the framework sees the GPU when imported by hand",
                )
            )
        severity = "warning"
        message = (
            "PyTorch found the NVIDIA driver but no GPU: the usual cause is CUDA_VISIBLE_DEVICES, "
            "set in the shell, a launch script or the code (os.environ), naming a GPU index this "
            "machine does not have."
        )
        if bare and not _said(s, "torch-no-cuda-gpus"):
            message = (
                "CUDA found no device, and the paste shows nothing else wrong (no container, no "
                "WSL, no driver or library message): this is read from context, and the usual "
                "cause is CUDA_VISIBLE_DEVICES, set in the shell, a launch script or the code "
                "(os.environ), naming a GPU index this machine does not have (or empty, -1). "
                "nvidia-smi -L and echo $CUDA_VISIBLE_DEVICES confirm it."
            )
        if seen_by_hand:
            message = (
                "The framework sees the GPU when imported by hand, but this run finds no CUDA "
                "device: the script or its launcher probably sets CUDA_VISIBLE_DEVICES (often "
                "os.environ['CUDA_VISIBLE_DEVICES'] near the top of the code) to a GPU index "
                "this machine does not have."
            )
        title = "CUDA_VISIBLE_DEVICES probably hides the GPU"
    yield finding(
        "DL303",
        title=title,
        message=message,
        severity=severity,
        evidence=evidence,
        hint="GPU indices start at 0; with one GPU the only valid value is 0.",
        fixes=[
            ManualStep(
                text="Find where CUDA_VISIBLE_DEVICES is set (shell, launch scripts, the code) and "
                "make it name GPUs that exist, or remove it.",
                commands=[
                    "nvidia-smi -L",
                    'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"',
                    "grep -rn CUDA_VISIBLE_DEVICES --include='*.py' --include='*.sh' .",
                ],
            ),
            UnsetEnv(name="CUDA_VISIBLE_DEVICES", reason="show every GPU"),
        ],
    )


@rule("DL304", "device-index-out-of-range", "error", "gpu")
def device_index_out_of_range(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a program asking for a GPU index beyond the visible GPUs: "invalid device
    ordinal" (cudaErrorInvalidDevice, error 10 or 101), with what the paste states: the index in
    the code (`cuda:1`, `.cuda(1)`, `set_device(3)`, `device_ids=[0,1]`), torchrun's
    `--nproc_per_node`, CUDA_VISIBLE_DEVICES, and the GPU count (an nvidia-smi table, or the
    reporter saying "a single GPU").

    Why it matters: code written on a multi-GPU machine names GPUs by number; on a machine with
    fewer GPUs (or fewer left visible by CUDA_VISIBLE_DEVICES) the first use of a missing index
    fails. torchrun gives each of its `--nproc_per_node` processes the GPU numbered by its local
    rank, so more processes than GPUs fail the same way.

    Example: `torchrun --nproc_per_node=8 train.py` on a 2-GPU machine: "RuntimeError: CUDA
    error: invalid device ordinal".

    The number of GPUs comes from a table of them (nvidia-smi, collect_env, the probes) or the
    reporter's statement ("I only have one GPU"), never from a GPU named in passing.

    Fix: set `--nproc_per_node` to the number of visible GPUs, replace hard-coded `cuda:N` with
    `cuda:0` (or choose the GPU with CUDA_VISIBLE_DEVICES), and keep CUDA_VISIBLE_DEVICES and the
    process count consistent.
    """
    said = _said(s, INVALID_ORDINAL)
    if said is None:
        return
    count = _gpu_count(s)
    raw = s.visibility.cuda_visible_devices
    visible = len([v for v in raw.split(",") if v.strip()]) if raw and raw.strip() != "-1" else None
    if visible is not None and count and visible > count[0]:
        visible = count[0]
    have = visible if visible is not None else (count[0] if count else None)
    nproc = _stated(s, "nproc_per_node")
    index = _stated(s, "device_index")
    evidence = [Evidence(fact=f"reported_errors.{INVALID_ORDINAL}", found=said)]
    where = (
        f"CUDA_VISIBLE_DEVICES={raw}"
        if visible is not None
        else f"from {count[1]}"
        if count
        else "unknown"
    )
    if nproc is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.nproc_per_node",
                found=str(nproc),
                needed=f"<={have}" if have else "<= the number of visible GPUs",
                note=f"visible GPUs: {have if have is not None else 'unknown'} ({where})",
            )
        )
    if index is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.device_index",
                found=str(index),
                needed=f"<={have - 1}" if have else "< the number of visible GPUs",
            )
        )
    if count and nproc is None and index is None:
        evidence.append(
            Evidence(fact="gpus", found=str(count[0]), note=f"GPU count, from {count[1]}")
        )
    if have is not None and nproc is not None and nproc > have:
        why = f"--nproc_per_node={nproc} starts {nproc} processes, one per GPU, but {have} "
        why += "GPU(s) are visible"
    elif index is not None:
        why = f"the code asks for GPU {index}" + (
            f", but {have} GPU(s) are visible (indices 0..{have - 1})" if have else ""
        )
    elif nproc is not None:
        why = f"--nproc_per_node={nproc} needs {nproc} visible GPUs"
    else:
        why = "the program asks for a GPU index that is not among the visible GPUs"
    commands = ["nvidia-smi -L", 'python -c "import torch; print(torch.cuda.device_count())"']
    if nproc is not None:
        commands.append(f"torchrun --nproc_per_node={have or '<number of visible GPUs>'} …")
    commands.append("grep -rnE 'cuda:[1-9]|set_device|device_ids|gpu_ids|nproc_per_node' .")
    yield finding(
        "DL304",
        title="A GPU index beyond the visible GPUs (invalid device ordinal)",
        message=f"CUDA reports an invalid device ordinal: {why}.",
        evidence=evidence,
        hint="Code written for a multi-GPU machine often hard-codes GPU numbers or a process "
        "count; CUDA_VISIBLE_DEVICES renumbers the visible GPUs from 0.",
        fixes=[
            ManualStep(
                text="Use only GPUs that exist: set --nproc_per_node (and any world-size or "
                "GPU-list option) to the number of visible GPUs, and replace hard-coded cuda:N "
                "with cuda:0 or choose the GPU with CUDA_VISIBLE_DEVICES.",
                commands=commands,
            )
        ],
        subject="device-index",
    )


NO_KERNEL_IMAGE = "no-kernel-image"  # dlenv.importers.signatures: "no kernel image is available"
NO_KERNEL_TEXT = "no kernel image is available"


def _native_arch(arch: tuple[str, ...] | list[str], cc: str) -> str | None:
    """The entry of `arch` whose code runs on `cc` natively: same major, the highest minor not
    above the GPU's (binary compatibility within a major)."""
    mm = major_minor(cc)
    if mm is None:
        return None
    best: tuple[int, int] | None = None
    for entry in arch:
        kind, _, digits = entry.partition("_")
        if kind != "sm" or not digits.isdigit():
            continue
        major, minor = divmod(int(digits), 10)
        if major == mm[0] and minor <= mm[1] and (best is None or minor > best[1]):
            best = (major, minor)
    return f"{best[0]}.{best[1]}" if best else None


# CUDA's older words for the same thing: no code for this GPU's architecture (before CUDA 9.0,
# and from a kernel launched without a matching cubin or PTX): cudaErrorInvalidDeviceFunction
INVALID_DEVICE_FUNCTION = "status-cudaerrorinvaliddevicefunction"


# gpu-arch.toml: an extension's kernel with no code for the device, "named symbol not found" at
# its .cu file
SYMBOL_NOT_FOUND = "extension-kernel-symbol-not-found"


def _no_kernel_image(s: Snapshot) -> str | None:
    """The "no kernel image" error as the paste or torch's live probe quoted it (or CUDA's older
    "invalid device function", or an extension's "named symbol not found" at its .cu file, which
    say the same)."""
    for e in s.reported_errors:
        if e.signature == NO_KERNEL_IMAGE and e.framework in (None, "torch"):
            return e.text
    for e in s.reported_errors:
        if e.signature in (INVALID_DEVICE_FUNCTION, SYMBOL_NOT_FOUND) and e.framework in (
            None,
            "torch",
        ):
            return e.text
    probe = live(s, "torch")
    if probe is not None:
        for text in (probe.error, *probe.messages):
            if text and NO_KERNEL_TEXT in text:
                return text
    return None


@rule("DL305", "extension-arch-not-in-build", "error", "gpu")
def extension_arch_not_in_build(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a "no kernel image is available for execution on the device" error on a GPU
    that the installed torch build does run on: its arch list has code for the GPU (the same major,
    a minor not above the GPU's: sm_86 runs on sm_89, not on sm_90). The kernel that failed is then
    not torch's but an extension's (a package with its own CUDA code, built for other
    architectures). Also when the paste names the failing code itself: an extension's kernel ("error
    in modulated_deformable_col2im_cuda: …", "CUDA error (…/flash_fwd_launch_template.h:175): …", a
    non-ATen source file after the message, an extension's 'CUDA error: "named symbol not found" at
    run_fmha.cu:160' (its kernel has no code for the device), mmcv's "…_impl: implementation for
    device cuda:0 not found") or an extension's arch flags that miss the GPU (detectron2's
    collect_env "arch flags"). With the GPU unknown, a reporter saying other code runs on it ("Other
    scripts could successfully be executed") makes it a warning; so does a program that checks CUDA
    itself ("Error: no kernel image is available for execution on the device 209") run from Python
    (a python command line, a traceback: the project's compiled layer) with no framework and no GPU
    in the paste: its own build (CMake, nvcc -gencode) left the GPU's architecture out; a native
    program with no Python in sight is DL301's. A prebuilt extension's own check ("your gpu arch (8,
    9) isn't compiled in prebuilt", spconv/cumm) is a warning, an error with a failure after it; one
    refusing the GPU outright (SageAttention's "Unsupported CUDA architecture: sm75") is an error. A
    program's own check counts as its arch failure in CUDA's other words too ("Error: invalid device
    function", "cudaCheckError() failed : invalid device function", "… failed with error invalid
    device symbol" from cudaMemcpyToSymbol); its build flags quoted beside it (a Makefile's
    -gencode, CMake's NVCC target flags or CMAKE_CUDA_ARCHITECTURES, -arch=sm_XY) are weighed
    against the GPU: none able to run on the named GPU is an error, the GPU unnamed a warning.
    tiny-cuda-nn's bindings, one module per compute capability, missing the GPU's ("Could not find
    compatible tinycudann extension for compute capability 86") is an error, the GPU's module
    failing to load a warning. With the GPU unnamed and a torch build that runs on every GPU from
    Maxwell to Ada, a PyG extension installed by a plain `pip install torch-scatter` (compiled from
    source, for the GPU or none visible at build time) beside "no kernel image" is a warning.

    Why it matters: "the build has no GPU code for this GPU" sends people to reinstall torch,
    which changes nothing; the extension has to be found and rebuilt for the GPU.

    Example: torch 2.0.1+cu117 (sm_37 … sm_86) on an RTX 4090 (sm_89), whose script fails with
    "CUDA error: no kernel image is available for execution on the device".

    Fix: rerun with `CUDA_LAUNCH_BLOCKING=1` so the traceback stops in the extension that
    failed; rebuild it with `TORCH_CUDA_ARCH_LIST` naming the architecture torch's CUDA can
    target for this GPU (8.6 with CUDA 11.7, which cannot target 8.9), or move to a torch with a
    CUDA that targets the GPU itself (CUDA 11.8 or newer for sm_89) and rebuild it there.
    """
    torch = s.framework("torch")
    prebuilt = _said(s, PREBUILT_ARCH)
    if prebuilt is not None:
        yield _prebuilt_lacks_arch(s, prebuilt)
        return
    tcnn = next((e for e in s.reported_errors if e.signature in TCNN_ARCH), None)
    if tcnn is not None:
        yield _tcnn_lacks_arch(s, tcnn)
        return
    refused = _said(s, EXT_REFUSES_ARCH)
    if refused is not None:
        yield _extension_refuses_arch(refused)
        return
    said = _no_kernel_image(s) or _said(s, "mmcv-no-cuda-implementation")
    if said is None:
        # a program's own check alone ("cudaCheckError() failed : invalid device function",
        # "invalid device symbol"): only the program's own build is weighed
        native = _said(s, *NATIVE_FAILURES)
        verdict_ = _native_verdict(s, native, "DL305") if native is not None else None
        if verdict_ is not None:
            yield verdict_
        return
    named = _extension_named(s)
    if named is not None:
        yield named
        return
    others = _said(s, OTHERS_WORK)
    if others is not None and not _capabilities(s):
        yield _dl305(
            "the reporter says other code runs on this GPU (or the same code on another "
            "machine), so the framework has kernels for it; the one that fails is a project's "
            "own compiled extension, built for other GPUs",
            Evidence(fact=f"reported_errors.{OTHERS_WORK}", found=others, note="the reporter"),
            None,
            severity="warning",
        )
        return
    native = _said(s, *NATIVE_FAILURES)
    program = _native_verdict(s, native, "DL305") if native is not None else None
    if program is not None:
        yield program
        return
    # a CUDA error from torch's own process: a CPU build could not have printed it
    if torch is None or cuda_build(torch) is False:
        return
    probe = live(s, "torch")
    gpus = _capabilities(s)
    whose = "its arch list has"
    if probe is not None and probe.arch_list:
        arch, source = tuple(probe.arch_list), LIVE_WINS
    else:
        known = _kb_torch(s, torch) if cuda_build(torch) else None
        if known is not None and known[0].arch_list is not None and _x86_wheels(s):
            arch, source = known[0].arch_list, None
        elif (every := _every_build_runs(s, torch, gpus)) is not None:
            arch, source = every, None  # whichever CUDA build of the release it is
            whose = "the arch list of each of its CUDA builds has"
        else:
            return  # without torch's arch list, whose kernel failed cannot be told
    if not gpus:
        built = next((e for e in s.reported_errors if e.signature == PYG_SOURCE_BUILD), None)
        if built is not None and _covers_maxwell_to_ampere(arch):
            yield _source_built_extension(s, torch, said, built)
        return
    if any(arch_fit(arch, cc) != "native" for _, cc in gpus):
        return  # torch itself lacks code for a GPU: DL301's verdict, not this one
    gpu, cc = gpus[0]
    target = _native_arch(arch, cc) or cc
    covered = f"sm_{target.replace('.', '')}"
    mm = major_minor(cc)
    if mm and any(_arch_major(a) > mm[0] for a in arch):
        # a CUDA that emits code for a later generation targets every minor of this one
        target = f"{mm[0]}.{mm[1]}"
    exact = target == ".".join(str(n) for n in major_minor(cc) or ())
    why = (
        ""
        if exact
        else f" ({label(torch)} carries no {_sm(cc)}: its CUDA targets {covered} for this GPU, "
        f"which runs there)"
    )
    yield finding(
        "DL305",
        title=f"A CUDA extension has no kernels for {gpu.name or 'the GPU'} ({_sm(cc)}); "
        f"{label(torch)} itself does",
        message=f"{label(torch)} runs on {gpu.name or 'this GPU'}: {whose} {covered}, "
        f"and {covered} code runs on {_sm(cc)} (binary compatibility within a major). The "
        "kernel that failed comes from an extension built for other architectures.",
        evidence=[
            verdict(f"reported_errors.{NO_KERNEL_IMAGE}", said, "the error"),
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=_sm(cc),
                needed=f"code for sm_{cc.replace('.', '')[0]}x up to {_sm(cc)}",
                note=f"{label(torch)} has {covered}",
            ),
        ],
        hint="Reinstalling torch changes nothing: find the extension and rebuild it for the GPU.",
        fixes=[
            ManualStep(
                text="Find the extension whose kernel fails: rerun with CUDA_LAUNCH_BLOCKING=1, "
                "and the traceback stops in the call that failed.",
                commands=["CUDA_LAUNCH_BLOCKING=1 python your_script.py"],
            ),
            ManualStep(
                text=f"Rebuild that extension from source with TORCH_CUDA_ARCH_LIST={target}"
                + (
                    f"{why}; or move to a torch whose CUDA targets {_sm(cc)} and rebuild it there."
                    if why
                    else ", in the same environment as torch."
                ),
                commands=[
                    f"export TORCH_CUDA_ARCH_LIST={target}",
                    "python -m pip install --no-build-isolation --no-cache-dir --force-reinstall "
                    "--no-binary :all: EXTENSION  # the package the traceback names",
                ],
            ),
        ],
        subject=f"gpu{gpu.index}",
        confirmed_by=source,
    )


PREBUILT_ARCH = "extension-prebuilt-arch-missing"  # catalog/gpu-arch.toml (spconv, cumm)
EXT_REFUSES_ARCH = "extension-unsupported-cuda-arch"  # catalog/gpu-arch.toml (SageAttention)
_REFUSED_SM = re.compile(r"\bsm_?(\d{2,3})\b")


def _extension_refuses_arch(said: str) -> Finding:
    """DL305 from an extension's own check that refuses the GPU's architecture (SageAttention's
    "Unsupported CUDA architecture: sm75"): torch runs the GPU, the extension has no kernels."""
    m = _REFUSED_SM.search(said)
    sm = f"sm_{m.group(1)}" if m else "this GPU's architecture"
    return finding(
        "DL305",
        title=f"A CUDA extension has no kernels for {sm}",
        message=f"The extension's own check refuses {sm}: the installed release was built "
        "without this GPU's architecture (SageAttention 2.x starts at sm_80, its 1.0.x "
        "releases run on older GPUs). Reinstalling torch or CUDA changes nothing.",
        evidence=[
            Evidence(
                fact=f"reported_errors.{EXT_REFUSES_ARCH}",
                found=said,
                needed=f"kernels for {sm}",
                note="the extension's check",
            )
        ],
        hint="Use a release of the extension built for this GPU, or turn the extension off "
        "(another attention backend) in the program's settings.",
        fixes=[
            ManualStep(
                text="Install a release of the extension that supports this GPU (SageAttention "
                "1.0.6 for GPUs older than Ampere), or build it from source for the GPU's "
                "architecture; else choose another attention mode (sdpa) in the program.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    'python -m pip install "sageattention==1.0.6"   # pre-Ampere GPUs',
                ],
            )
        ],
        subject="extension",
    )


_PREBUILT = re.compile(r"arch \((\d{1,2}), ?(\d)\)")
_AVAILABLE = re.compile(r"available: \{([^}]{0,200})\}")


def _prebuilt_lacks_arch(s: Snapshot, said: str) -> Finding:
    """DL305 from a prebuilt extension's own check (spconv/cumm): it names the GPU's arch and
    the ones compiled in. An error when a failure follows it in the paste, else a warning (the
    warning says "may cause")."""
    m = _PREBUILT.search(said)
    cc = f"{m.group(1)}.{m.group(2)}" if m else None
    listed = _AVAILABLE.search(said)
    pairs = re.findall(r"\((\d{1,2}), ?(\d)\)", listed.group(1)) if listed else []
    has = ", ".join(f"sm_{a}{b}" for a, b in sorted(pairs, key=lambda p: (int(p[0]), int(p[1]))))
    failed = any(not e.harmless and e.signature != PREBUILT_ARCH for e in s.reported_errors)
    gpu = f"this GPU ({_sm(cc)})" if cc else "this GPU"
    return finding(
        "DL305",
        title=f"A prebuilt CUDA extension has no kernels for {gpu}",
        message=f"The extension's own check says it: its prebuilt kernels do not include {gpu}"
        + (f" (it has {has})" if has else "")
        + (
            ", and the paste shows a failure after it."
            if failed
            else "; kernels that lack it fail with 'invalid device function'."
        ),
        severity="error" if failed else "warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{PREBUILT_ARCH}",
                found=f"compiled in: {has}" if has else said,
                needed=f"code for {_sm(cc)}" if cc else "code for the GPU's architecture",
                note="the extension's warning",
            )
        ],
        hint="Reinstalling torch changes nothing: install the extension's build for a newer "
        "CUDA (spconv-cu118 or newer for sm_89), or build it for the GPU.",
        fixes=[
            ManualStep(
                text="Install the extension's wheel for a CUDA that targets this GPU (spconv: the "
                "spconv-cuXXX package matching a CUDA that knows the GPU, e.g. spconv-cu118 "
                "for an RTX 40xx), or build it from source for the GPU's architecture.",
                commands=[
                    "python -m pip uninstall -y spconv spconv-cu102 spconv-cu113 spconv-cu116 "
                    "spconv-cu117",
                    "python -m pip install spconv-cu118 cumm-cu118",
                    f"export CUMM_CUDA_ARCH_LIST={cc or '8.6'}  # to build from source instead",
                ],
            )
        ],
        subject="extension",
    )


PYG_SOURCE_BUILD = "pyg-extension-built-from-source"  # catalog/src-downstream-torch-ext.toml


def _covers_maxwell_to_ampere(arch: tuple[str, ...] | list[str]) -> bool:
    """Whether a torch arch list runs every GPU from Maxwell (5.0) to Ada (8.9) natively: the
    build itself then runs on nearly any GPU a report comes from."""
    return all(arch_fit(arch, cc) == "native" for cc in ("5.0", "6.0", "7.0", "7.5", "8.6", "8.9"))


def _source_built_extension(
    s: Snapshot, torch: FrameworkFacts, said: str, built: ReportedError
) -> Finding:
    """DL305 (a warning) for "no kernel image" with a torch build that runs on nearly every
    GPU and a PyG extension installed by a plain `pip install` (compiled from source, for the GPU
    or none visible at build time): the extension is the likeliest build without the GPU."""
    pkg = re.search(r"torch[-_](?:scatter|sparse|cluster|spline[-_]conv)|pyg[-_]lib", built.text)
    name = pkg.group(0).replace("_", "-") if pkg else "the extension"
    version = torch.version.split("+")[0]
    cuda = torch.cuda_version
    variant = torch.variant or (f"cu{cuda.replace('.', '')}" if cuda else "")
    index = f"https://data.pyg.org/whl/torch-{version}+{variant}.html" if variant else None
    return finding(
        "DL305",
        title=f"Probably {name} was compiled without this GPU's architecture",
        message=f"Probably {name} has no kernels for the GPU: {label(torch)} runs on every GPU "
        f"from Maxwell to Ada, but {name} was installed with a plain `pip install`, which "
        "compiles it from source for the GPU visible at build time (none in a `docker build`). "
        "PyG's prebuilt wheels carry every architecture of the torch build.",
        severity="warning",
        evidence=[
            verdict(f"reported_errors.{NO_KERNEL_IMAGE}", said, "the error"),
            Evidence(
                fact=f"reported_errors.{PYG_SOURCE_BUILD}",
                found=built.text.splitlines()[0][:200],
                needed=f"{name} from PyG's wheel index for {label(torch)}",
                note="read from the paste: how the extension was installed",
            ),
        ],
        hint="Reinstalling torch changes nothing: install the extension's prebuilt wheel for "
        "this torch build.",
        fixes=[
            ManualStep(
                text=f"Reinstall {name} from PyG's wheel index for the installed torch build"
                + (f" ({index})." if index else "."),
                commands=[
                    f"python -m pip install --force-reinstall --no-cache-dir {name} -f "
                    + (index or "https://data.pyg.org/whl/torch-${TORCH}+${CUDA}.html")
                ],
            )
        ],
        subject="extension",
    )


# catalog/src-downstream-torch-ext.toml: tiny-cuda-nn's one module per compute capability
TCNN_ARCH = ("tcnn-no-extension-for-capability", "tcnn-arch-module-failed")
_TCNN_CC = re.compile(r"(?:capability |_)(\d)(\d{1,2})(?:_C\b|\b)")


def _tcnn_lacks_arch(s: Snapshot, said: ReportedError) -> Finding:
    """DL305 from tiny-cuda-nn's bindings, which build one module per compute capability
    (`tinycudann_bindings._86_C`) and import the GPU's: none compatible, or the GPU's missing,
    is an error; the GPU's failing to load on Windows (a DLL it needs, or a build for other
    capabilities) a warning."""
    m = _TCNN_CC.search(said.text)
    cc = f"{m.group(1)}.{m.group(2)}" if m else None
    xy = f"{m.group(1)}{m.group(2)}" if m else "XY"
    loads = "DLL load failed" in said.text
    line = said.text.splitlines()[0][:200]
    return finding(
        "DL305",
        title="tiny-cuda-nn's torch bindings have no working module for this GPU"
        + (f" ({_sm(cc)})" if cc else ""),
        message=(
            "Probably tiny-cuda-nn's bindings were not built (or not built whole) for this GPU: "
            "they load one module per compute capability, and the one for "
            f"{_sm(cc) if cc else 'it'} does not load."
            if loads
            else "tiny-cuda-nn's torch bindings were built for other GPUs: they hold one module "
            "per compute capability they were built for (TCNN_CUDA_ARCHITECTURES, else the GPU "
            f"found at build time), and none for {_sm(cc) if cc else 'this GPU'}."
        ),
        severity="warning" if loads else "error",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=line,
                needed=f"tinycudann_bindings._{xy}_C",
                note="tiny-cuda-nn's loader",
            )
        ],
        hint="Rebuild the bindings for the GPU's compute capability, in the environment that "
        "runs them.",
        fixes=[
            ManualStep(
                text=f"Rebuild tiny-cuda-nn's torch bindings with TCNN_CUDA_ARCHITECTURES set to "
                f"the GPU's compute capability ({xy}; several may be listed: 86,89).",
                commands=[
                    f"export TCNN_CUDA_ARCHITECTURES={xy}   # set TCNN_CUDA_ARCHITECTURES={xy} "
                    "on Windows",
                    "python -m pip install --no-cache-dir --force-reinstall "
                    "git+https://github.com/NVlabs/tiny-cuda-nn/#subdirectory=bindings/torch",
                ],
            )
        ],
        subject="extension",
    )


def _arch_major(entry: str) -> int:
    digits = entry.partition("_")[2]
    return int(digits) // 10 if digits.isdigit() else 0


def _every_build_runs(
    s: Snapshot, torch: FrameworkFacts, gpus: list[tuple[GpuFacts, str]]
) -> tuple[str, ...] | None:
    """The arch list of torch's build when only its release is known (no variant tag, no OS):
    if every CUDA build of that release (those of its stated CUDA, when one is stated) has
    native code for every GPU, whichever was installed runs on them, and the arch list of the
    one with the least is returned; None when one build lacks a GPU or a list is unknown."""
    if torch.variant or not gpus or not _x86_wheels(s):
        return None
    release = torch_release(torch.version)
    if release is None:
        return None
    cuda = major_minor(torch.cuda_version)
    builds = [
        v
        for v in release.variants
        if v.name.startswith("cu") and (cuda is None or major_minor(v.cuda) == cuda)
    ]
    if not builds or any(v.arch_list is None for v in builds):
        return None
    lists = [v.arch_list for v in builds if v.arch_list is not None]
    if any(arch_fit(arch, cc) != "native" for arch in lists for _, cc in gpus):
        return None
    return min(lists, key=len)


def _extension_named(s: Snapshot) -> Finding | None:
    """DL305 when the paste itself names the extension: the failing kernel's own source or
    name ("error in modulated_deformable_im2col_cuda", "CUDA error (…/flash_fwd….h:175)"), or
    an extension's arch flags (detectron2's) that miss the GPU."""
    probe = live(s, "torch")
    details = probe.details if probe is not None else {}
    kernel = details.get("failing_kernel")
    flags = details.get("extension_archs")
    gpus = _capabilities(s)
    gpu_cc = gpus[0] if gpus else None
    if flags and gpu_cc is not None:
        name, _, listed = flags.partition(" ")
        archs = _flag_archs(listed)
        note = f"{name}'s arch flags"
        if name == "TORCH_CUDA_ARCH_LIST":
            name, note = f"the extension built with {name}={listed}", f"{name}={listed}"
        if archs and arch_fit(archs, gpu_cc[1]) not in ("native", "ptx"):
            gpu, cc = gpu_cc
            return _dl305(
                f"{name} was built for {', '.join(archs)}, which has no code for "
                f"{gpu.name or 'this GPU'} ({_sm(cc)})",
                Evidence(
                    fact="live.torch.details.extension_archs",
                    found=", ".join(archs),
                    needed=f"code for {_sm(cc)}",
                    note=note,
                ),
                cc,
            )
    if kernel and not _torch_own(kernel):
        return _dl305(
            f"the kernel that failed, {kernel}, is an extension's own CUDA code",
            Evidence(fact="live.torch.details.failing_kernel", found=kernel, note="the error"),
            gpu_cc[1] if gpu_cc is not None else None,
        )
    return None


def _flag_archs(listed: str) -> tuple[str, ...]:
    """sm_/compute_ entries from arch flags ("sm_70", "7.0, 7.5", "8.0;8.6+PTX": "+PTX" adds
    the PTX, compute_86, that the driver can JIT for a newer GPU)."""
    out: list[str] = []
    for a in re.split(r"[\s,;]+", listed.strip()):
        ptx = a.endswith("+PTX")
        a = a.removesuffix("+PTX")
        if not a:
            continue
        sm = a if a.startswith(("sm_", "compute_")) else f"sm_{a.replace('.', '')}"
        out.append(sm)
        if ptx and sm.startswith("sm_"):
            out.append(f"compute_{sm[3:]}")
    return tuple(out)


_TORCH_SOURCES = re.compile(r"(?:^|[/\\])(?:aten|ATen|THC|THCUNN|c10|caffe2)[/\\]")


def _torch_own(kernel: str) -> bool:
    """Whether a failing kernel's source is torch's own (ATen, THC, c10), not an extension's."""
    return bool(_TORCH_SOURCES.search(kernel))


OTHERS_WORK = "said-other-code-works"  # catalog/prose-gpu.toml


NATIVE_NO_KERNEL = "native-program-no-kernel-image"  # catalog/gpu-arch.toml
# catalog/gpu-arch.toml: the same from a project's own .cu file or error-check macro
NATIVE_CHECK = "native-program-check-no-kernel"


# catalog/gpu-arch.toml: "invalid device symbol" from a program's own cudaMemcpyToSymbol
NATIVE_SYMBOL = "native-program-invalid-device-symbol"
NATIVE_FAILURES = (NATIVE_NO_KERNEL, NATIVE_CHECK, NATIVE_SYMBOL)
# the CUDA status a program's own check names beside it (statuses.py): cudaErrorSymbolNotFound
STATUS_SYMBOL_NOT_FOUND = "status-cudaerrorsymbolnotfound"


def _native_code(s: Snapshot) -> Literal["DL301", "DL305"]:
    """Whose build a program's own CUDA check blames: a program run from Python (its command
    line, a traceback) fails in the project's compiled layer, an extension (DL305); with no
    Python in sight the program is a native one, and its own build is what lacks the GPU's
    architecture (DL301: the build, not an extension beside a framework that has the code).
    PyTorch's own lines in the same paste (its THC start-up noise) put the program in a torch
    process too."""
    in_python = s.python.run_line is not None or any(
        e.framework == "torch" for e in s.reported_errors
    )
    return "DL305" if in_python else "DL301"


BUILD_FLAGS = "cuda-build-arch-flags"  # catalog/gpu-arch.toml: -gencode, CMAKE_CUDA_ARCHITECTURES


def _only_no_kernel(s: Snapshot) -> bool:
    """Whether "no kernel image" is the only error the paste reports (statements and known
    noise aside): beside another error, the program's build is not the likeliest cause."""
    return all(
        e.harmless
        or e.signature
        in (NO_KERNEL_IMAGE, INVALID_DEVICE_FUNCTION, STATUS_SYMBOL_NOT_FOUND, *NATIVE_FAILURES)
        for e in s.reported_errors
    )


_FLAG_SM = re.compile(r"\bsm_(\d{2,3})[a-z]?\b")
# PTX a build embeds: `code=compute_XY` (also inside `code=[sm_XY,compute_XY]`), nvcc's
# `-arch=sm_XY` shorthand (SASS and PTX of XY), a bare `-arch=compute_XY`
_FLAG_PTX = re.compile(
    r"code=\[?(?:sm_\d{2,3}[a-z]?,[ ]?){0,8}compute_(\d{2,3})|"
    r"-arch[ =]{1,2}(?:sm|compute)_(\d{2,3})"
)
_FLAG_LIST = re.compile(
    r"\b(CMAKE_CUDA_ARCHITECTURES|CUDA_ARCH_BIN|TCNN_CUDA_ARCHITECTURES)\b[ \t\"=:]{1,6}"
    r"([\d.;, \t]{1,80})"
)


def _gencode_archs(line: str) -> list[str]:
    """The sm_XY (and compute_XY, PTX) entries a build-flags line compiles for: -gencode
    pairs, -arch=sm_XY, CMAKE_CUDA_ARCHITECTURES 75;86 (SASS and PTX of each), CUDA_ARCH_BIN 3.0
    5.0, TCNN_CUDA_ARCHITECTURES=86,89."""
    out = [f"sm_{d}" for d in _FLAG_SM.findall(line)]
    out += [f"compute_{a or b}" for a, b in _FLAG_PTX.findall(line)]
    for name, listed in _FLAG_LIST.findall(line):
        for value in re.findall(r"\d{1,2}\.\d|\d{2,3}", listed):
            xy = value.replace(".", "")
            out.append(f"sm_{xy}")
            if name == "CMAKE_CUDA_ARCHITECTURES":
                out.append(f"compute_{xy}")
    return out


def _native_verdict(s: Snapshot, native: str, code: Literal["DL301", "DL305"]) -> Finding | None:
    """`code` (see _native_code) for a program's own CUDA check reporting an arch failure with
    no framework in the paste and no other error, when it is that code's to give: its quoted
    build flags against the GPU, else the program's build as the likeliest cause (for a GPU
    every current CUDA targets)."""
    if s.frameworks or not _only_no_kernel(s) or _native_code(s) != code:
        return None
    flagged = _build_flags_miss(s, native, code)
    if flagged is not None:
        return flagged
    return _native_program(native, _capabilities(s), code) if _native_gpus_fit(s) else None


def _build_flags_miss(s: Snapshot, native: str, code: Literal["DL301", "DL305"]) -> Finding | None:
    """DL305 from a program's own build flags quoted beside its arch failure (a Makefile's
    -gencode, CMake's NVCC target flags or CMAKE_CUDA_ARCHITECTURES): with the GPU named and
    none of them able to run on it, the paste proves it (an error); with the GPU unknown, the
    GPU is probably not one of the few the build targets (a warning). Flags that cover the named
    GPU settle nothing here."""
    lines = [e.text for e in s.reported_errors if e.signature == BUILD_FLAGS]
    archs = tuple(dict.fromkeys(a for line in lines for a in _gencode_archs(line)))
    if not archs:
        return None
    targets = ", ".join(a for a in archs if a.startswith("sm_")) or ", ".join(archs)
    gpus = _capabilities(s)
    fits = [(gpu, cc) for gpu, cc in gpus if arch_fit(archs, cc) not in ("native", "ptx")]
    if gpus and not fits:
        return None
    gpu, cc = fits[0] if fits else (None, None)
    xy = cc.replace(".", "") if cc else "XY"
    name = (gpu.name if gpu is not None else None) or "the GPU"
    flags = next((line for line in lines if _gencode_archs(line)), lines[0])[:200]
    return finding(
        code,
        title=f"The program is built for {targets}, not for {name}"
        + (f" ({_sm(cc)})" if cc else ""),
        message=(
            f"The build flags in the paste compile the program's CUDA code for {targets} only; "
            f"{name} is {_sm(cc)}, so none of its kernels runs there and every launch fails "
            '("invalid device function", "no kernel image", "invalid device symbol").'
            if cc
            else f"Probably the GPU is not one this build targets: its flags compile the CUDA "
            f"code for {targets} only, and kernels built for another architecture fail like "
            "this. The paste does not name the GPU: compare its compute capability."
        ),
        severity="error" if cc else "warning",
        evidence=[
            verdict(f"reported_errors.{NATIVE_NO_KERNEL}", native, "the program's error check"),
            Evidence(
                fact=f"reported_errors.{BUILD_FLAGS}",
                found=targets,
                needed=f"code for {_sm(cc)}" if cc else "the GPU's architecture",
                note=f"read from the paste: {flags}",
            ),
        ],
        hint="Rebuild the program for the GPU's compute capability "
        "(`nvidia-smi --query-gpu=name,compute_cap --format=csv`; 7.5 -> 75).",
        fixes=[
            ManualStep(
                text=f"Add the GPU's architecture ({xy}) to the build's flags and rebuild from "
                "clean: the -gencode line of the Makefile, CMAKE_CUDA_ARCHITECTURES (or "
                "CUDA_NVCC_FLAGS) in CMake.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    f"nvcc -gencode arch=compute_{xy},code=sm_{xy} ...   # in the Makefile",
                    f"cmake -DCMAKE_CUDA_ARCHITECTURES={xy} ..   # or in CMake",
                ],
            )
        ],
        subject=f"gpu{gpu.index}" if gpu is not None else "extension",
    )


def _native_gpus_fit(s: Snapshot) -> bool:
    """Whether the GPUs the paste names (none counts) are ones every current CUDA targets
    (Maxwell, 5.0, and newer), or ones every CUDA the paste states can still build for (a Fermi
    GeForce 820M beside CUDA 7.5: the build left it out): otherwise the age rules' (DL302)."""
    stated = [cuda_arch_support(t.version) for t in s.cuda.toolkits if t.version]
    for gpu in s.gpus:
        mm = major_minor(gpu_compute_capability(gpu.name, gpu.compute_capability))
        if mm is None:
            return False
        if mm < (5, 0) and not (
            stated
            and all(a is not None and (major_minor(a.min_cc) or (99, 0)) <= mm for a in stated)
        ):
            return False
    return True


def _native_program(
    said: str, gpus: list[tuple[GpuFacts, str]], code: Literal["DL301", "DL305"]
) -> Finding:
    """DL305 (a warning) for a program that checks CUDA itself ("Error: no kernel image … 209",
    "[yolo_decode.cu:122]:launch failed: …", a cudaCheckError() macro) with no framework in the
    paste: its own build (CMake, nvcc -gencode, a Makefile's ARCH) is what lacks the GPU's
    architecture; a GPU the paste names gives the architecture to build for."""
    xy = "75"
    if gpus:
        mm = major_minor(gpus[0][1])
        xy = f"{mm[0]}{mm[1]}" if mm else xy
    return finding(
        code,
        title="A program's own CUDA code has no kernels for this GPU",
        message="Probably the program that printed this was compiled for other GPU "
        "architectures: it checks CUDA errors itself (no framework is involved), so its own "
        "build (CMake CUDA_ARCHITECTURES, nvcc -gencode, a Makefile's ARCH) left out this GPU's. "
        "Reinstalling CUDA or a framework changes nothing.",
        severity="warning",
        evidence=[
            verdict(f"reported_errors.{NATIVE_NO_KERNEL}", said, "the program's error check"),
        ],
        hint="Rebuild the program for the GPU's compute capability "
        "(`nvidia-smi --query-gpu=name,compute_cap --format=csv`).",
        fixes=[
            ManualStep(
                text="Rebuild the program with the GPU's architecture (compute capability X.Y "
                "becomes XY: 7.5 -> 75): in CMake set CMAKE_CUDA_ARCHITECTURES (or the -gencode "
                "flags in CUDA_NVCC_FLAGS), in a Makefile the ARCH/-gencode line.",
                commands=[
                    "nvidia-smi --query-gpu=name,compute_cap --format=csv",
                    f"cmake -DCMAKE_CUDA_ARCHITECTURES={xy} ..   # your GPU's XY",
                    f"nvcc -gencode arch=compute_{xy},code=sm_{xy} ...   # the same, for nvcc",
                ],
            )
        ],
        subject="extension",
    )


def _dl305(
    why: str, evidence: Evidence, cc: str | None, severity: Literal["error", "warning"] = "error"
) -> Finding:
    # without the GPU in the paste, the machine itself says which architecture to build for
    target = cc or (
        '"$(python -c \'import torch; print("%d.%d" % torch.cuda.get_device_capability())\')"'
    )
    return finding(
        "DL305",
        title="A CUDA extension has no kernels for this GPU",
        message=f"The paste names the failing code: {why}. The extension was built for other "
        "GPU architectures; reinstalling torch changes nothing."
        if severity == "error"
        else f"Probably {why}. Reinstalling torch would change nothing.",
        severity=severity,
        evidence=[evidence],
        hint="Rebuild the extension for the GPU (or install a build of it made for the GPU).",
        fixes=[
            ManualStep(
                text=f"Rebuild the extension from source with TORCH_CUDA_ARCH_LIST={target}, in "
                "the same environment as torch.",
                commands=[
                    f"export TORCH_CUDA_ARCH_LIST={target}",
                    "python -m pip install --no-build-isolation --no-cache-dir --force-reinstall "
                    "--no-binary :all: EXTENSION  # the package that failed",
                ],
            ),
        ],
        subject="extension",
    )
