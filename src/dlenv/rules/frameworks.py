"""Rules about framework builds: CPU-only builds on GPU machines, TensorFlow on native Windows,
and what the live probes said (crashes, GPU unavailable). Codes DL4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

from packaging.version import Version

from dlenv.fix.actions import Action, InstallPackages, ManualStep
from dlenv.fix.render import format_argv
from dlenv.kb.queries import (
    major_minor,
    newest_torch_for,
    parse_version,
    tensorflow_fact,
    tensorflow_release,
    torch_index_url,
    version_at_least,
)
from dlenv.rules.derived import (
    LIVE_WINS,
    base_version,
    cpu_only_build,
    cuda_build,
    distribution,
    driver_version,
    gpu_seen_in_messages,
    in_prose,
    label,
    live,
    native_windows,
    nvidia_gpu_present,
    os_name,
    reported,
    usable_gpus,
    windows_gpu_list_ends,
)
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.fixes import gpu_capabilities, tensorflow_and_cuda_fix, torch_variant_fix
from dlenv.rules.registry import ANY, finding, rule
from dlenv.snapshot.model import FrameworkFacts, InstallFailure, Snapshot


def _jax_cuda_fix(s: Snapshot, jax: FrameworkFacts) -> Action:
    if native_windows(s) or os_name(s) == "Darwin":
        return ManualStep(
            text="JAX's CUDA support is for Linux (and WSL2): install it there.",
            commands=['pip install -U "jax[cuda12]"  # inside WSL2 or on Linux'],
            url="https://docs.jax.dev/en/latest/installation.html",
        )
    # since jaxlib 0.4.30 CUDA comes only as a plugin: `pip install jax[cuda12]`
    # (https://github.com/jax-ml/jax/releases/tag/jax-v0.4.29)
    found = parse_version(jax.version)
    pinned = found is not None and found >= Version("0.4.30") and jax.distribution == "jax"
    return InstallPackages(
        packages=[f"jax[cuda12]=={base_version(jax.version)}" if pinned else "jax[cuda12]"],
        uninstall=[] if pinned else ["jax", "jaxlib"],
        reason="jaxlib runs on the CPU only; the jax-cuda12-plugin wheels add the GPU",
    )


# Messages and statements in a paste that say a CPU-only build is the one installed, where the
# reporter wanted the GPU (framework-builds.toml).
_CPU_BUILD_STATED = {
    "cpu-build-stated": "the report says a CPU-only build was installed",
    "tensorflow-gpu-replaced-by-cpu-package": "tensorflow-gpu was replaced by the CPU package",
    "conda-pytorch-cpuonly": "conda resolved the cpuonly variant",
    "pytorch-cpu-index": "pip was pointed at the CPU wheel index",
    "said-cpu-build": "the report says a CPU-only build was installed",
    "said-cuda-wheel-fixed": "reinstalling from a CUDA wheel index fixed it",
    "said-cuda-torch-workaround": "installing a CUDA build of torch worked around it",
    "said-llama-blas-off": "the report complains of llama.cpp's BLAS = 0",
    "said-install-broke-torch-cuda": "the report says an install took torch's CUDA away",
    "ort-cpu-package-over-gpu-stated": "the report says the CPU onnxruntime package is the one "
    "installed",
}


# Messages in which the code looked for a GPU and found none (a collect_env's "Is CUDA
# available: False" is not one: every report has that line, also from a laptop without a GPU).
# DL402's two ways out of native Windows' missing GPU support (TensorFlow's install guide)
_WSL2_TENSORFLOW = ManualStep(
    text="Use WSL2 and install TensorFlow with its CUDA libraries there.",
    commands=["wsl --install", 'pip install "tensorflow[and-cuda]"'],
    url="https://www.tensorflow.org/install/pip#windows-wsl2",
)
_LAST_WINDOWS_GPU_RELEASE = (
    "the last native-Windows GPU release (needs CUDA 11.2, cuDNN 8.1: "
    "conda install -c conda-forge cudatoolkit=11.2 cudnn=8.1.0; Python 3.10 at most)"
)
_GPU_LOOKED_FOR = {
    "torch-cuda-unavailable-stated": "torch",
    "jax-no-gpu": "jax",
    "torch-program-on-cpu": "torch",  # whisper's FP16 warning, Lightning's "none are available"
}

# Messages in which the code itself asked a framework for CUDA, which a CPU-only build lacks
# (framework-builds.toml, tune-b.toml, src-onnxruntime.toml): framework, and what it shows.
_CUDA_ASKED = {
    "torch-not-compiled-with-cuda": (
        "torch",
        'the code asked for CUDA ("Torch not compiled with CUDA enabled")',
    ),
    "ultralytics-invalid-cuda-device": (
        "torch",
        "the code asked for a CUDA device (Ultralytics' \"Invalid CUDA 'device=0' requested\")",
    ),
    "llama-cpp-no-gpu-offload": (
        "llama.cpp",
        "GPU layers were asked for (this llama.cpp build ignores them)",
    ),
    "llama-gpu-layers-asked": (
        "llama.cpp",
        "GPU layers were asked for (n_gpu_layers / -ngl)",
    ),
    "torch-c-cuda-function-missing": (
        "torch",
        "the code asked for CUDA (it called a torch._C._cuda_* function only CUDA builds have)",
    ),
    # tune-a.toml: the warning whose provider list (what the package was compiled with) has no
    # CUDA provider; without the list (src-onnxruntime.toml) onnxruntime-gpu lacking only
    # TensorRT is possible too, so that one stays a DL901 candidate
    "ort-providers-without-cuda": (
        "onnxruntime",
        "the code asked for CUDAExecutionProvider, and the package's own list of providers has "
        "no CUDA provider",
    ),
}
# Messages in which another program shows the GPU was wanted beside a CPU-only build: an
# extension built for a CUDA torch, a list of ONNX Runtime's providers read for CUDA
_GPU_WANTED_BY = {
    # torch's extension builder found a CUDA toolkit (CUDA_HOME) to build CUDA kernels with
    "cuda-version-parsed-none": (
        "torch",
        "torch's extension builder found a CUDA toolkit (CUDA_HOME) to build CUDA kernels with",
    ),
    "extension-found-cpu-torch": (
        "torch",
        "xFormers (an extension built for a CUDA torch) was loaded with it",
    ),
    "ort-available-providers-cpu-package": (
        "onnxruntime",
        "the report lists ONNX Runtime's providers without CUDA",
    ),
    "repl-torch-version-cuda-none": (
        "torch",
        "the reporter printed torch.version.cuda (None), checking for the CUDA build",
    ),
}
# ONNX Runtime's signs of the CPU package (it has no framework facts of its own)
_ORT_CPU_PACKAGE = (
    "ort-providers-without-cuda",
    "ort-available-providers-cpu-package",
    "ort-cpu-package-over-gpu-stated",  # the reporter: plain onnxruntime over onnxruntime-gpu
)
# insightface's "Applied providers: ['CPUExecutionProvider']": the CPU package, unless the paste
# shows onnxruntime-gpu's CUDA provider failing to start (then that failure is the cause)
_ORT_APPLIED_CPU = "ort-applied-providers-cpu-only"
_ORT_CUDA_FAILED = (
    "ort-cuda-provider-not-created",
    "ort-provider-dll-load-failed",
    "ort-cuda-path-set-not-loaded",
    "ort-tensorrt-provider-not-created",
    "cuda-library-not-found",
)
LLAMA_CPU = "llama-cpp-no-gpu-offload"  # src-downstream-llm.toml
# DGL's CUDA builds come from its own wheel index, one per torch and CUDA pair (PyPI's `dgl` is
# the CPU build)
_DGL_GPU_FIX = ManualStep(
    text="Install the DGL build for the torch and CUDA of this environment from DGL's wheel "
    "index (the plain `pip install dgl` is the CPU build).",
    commands=[
        'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
        "pip uninstall -y dgl && pip install dgl -f "
        "https://data.dgl.ai/wheels/torch-<torch major.minor>/cu<cuda>/repo.html",
    ],
    url="https://www.dgl.ai/pages/start.html",
)
# Chainer's GPU backend is CuPy, a separate wheel built for one CUDA major
_CHAINER_GPU_FIX = ManualStep(
    text="Install CuPy for the CUDA on this machine (Chainer's GPU backend; `pip install "
    "chainer` alone runs on the CPU), then check that Chainer sees it.",
    commands=[
        "nvidia-smi",
        "pip install cupy-cuda12x  # cupy-cuda11x for CUDA 11",
        'python -c "import chainer; chainer.print_runtime_info()"',
    ],
    url="https://docs.chainer.org/en/stable/install.html",
)
# PaddlePaddle's GPU build is another package (paddlepaddle-gpu), installed beside or over the
# CPU one; MXNet's is mxnet-cuXXX; XGBoost's PyPI wheels for Linux x86_64 and Windows carry CUDA
_PADDLE_GPU_FIX = ManualStep(
    text="Uninstall the CPU package and install paddlepaddle-gpu for the CUDA on this machine "
    "(both installed side by side: the CPU one may be the one imported).",
    commands=[
        "pip uninstall -y paddlepaddle paddlepaddle-gpu",
        "pip install paddlepaddle-gpu  # the CUDA variant from PaddlePaddle's install page",
        'python -c "import paddle; print(paddle.device.is_compiled_with_cuda())"',
    ],
    url="https://www.paddlepaddle.org.cn/en/install/quick",
)
_MXNET_GPU_FIX = ManualStep(
    text="Replace the CPU package with MXNet's build for the CUDA on this machine.",
    commands=["pip uninstall -y mxnet", "pip install mxnet-cu112  # the cuXXX of your CUDA"],
    url="https://mxnet.apache.org/versions/1.9.1/get_started",
)
_XGBOOST_GPU_FIX = ManualStep(
    text="Install an XGBoost with CUDA: PyPI's wheel for Linux x86_64 or Windows (not a source "
    "build without -DUSE_CUDA=ON, nor conda's CPU py-xgboost).",
    commands=[
        "pip install -U xgboost",
        'conda install -c conda-forge "py-xgboost=*=cuda*"  # with conda',
    ],
    url="https://xgboost.readthedocs.io/en/stable/install.html",
)
# Faiss's GPU build is another package: faiss-gpu-cu12/-cu11 on PyPI (the faiss-wheels project),
# faiss-gpu on conda; a faiss-cpu left installed beside it is the one imported
_FAISS_GPU_FIX = ManualStep(
    text="Remove the CPU package of Faiss and install its GPU build for the CUDA major of this "
    "machine (PyPI's faiss-gpu-cu12 / faiss-gpu-cu11, or conda's faiss-gpu); only one of the two "
    "may be installed.",
    commands=[
        "pip uninstall -y faiss-cpu faiss",
        "pip install faiss-gpu-cu12   # faiss-gpu-cu11 for CUDA 11",
        "conda install -c pytorch -c nvidia faiss-gpu   # with conda",
        'python -c "import faiss; print(faiss.get_num_gpus())"',
    ],
    url="https://github.com/facebookresearch/faiss/blob/main/INSTALL.md",
)
# TorchCodec's CUDA builds come from PyTorch's CUDA index URLs (its early PyPI wheels are CPU-only)
_TORCHCODEC_GPU_FIX = ManualStep(
    text="Install TorchCodec's CUDA build from PyTorch's index URL for the CUDA of the torch "
    "installed (the default PyPI wheel of its early releases has no CUDA decoding).",
    commands=[
        'python -c "import torch; print(torch.__version__, torch.version.cuda)"',
        "pip install --force-reinstall torchcodec --index-url https://download.pytorch.org/whl/cu126"
        "   # the cuXXX of your torch",
    ],
    url="https://github.com/meta-pytorch/torchcodec#installing-cuda-enabled-torchcodec",
)
# torchvision's CUDA builds come from the same PyTorch index as torch's, in the matching version
_TORCHVISION_GPU_FIX = ManualStep(
    text="Reinstall torchvision from the same CUDA index as torch, in the version that goes with "
    "that torch (a +cpu torchvision beside a CUDA torch has its ops for the CPU only).",
    commands=[
        'python -c "import torch, torchvision; print(torch.__version__, torchvision.__version__)"',
        "pip install --force-reinstall torch torchvision --index-url "
        "https://download.pytorch.org/whl/cu126   # the cuXXX of your torch",
    ],
    url="https://pytorch.org/get-started/previous-versions/",
)
# OpenCV's PyPI wheels have no CUDA ("Pre-built wheels with CUDA support will not be added
# PyPI"): a CUDA build is compiled from source (or a distribution's CUDA package)
_OPENCV_GPU_FIX = ManualStep(
    text="Build OpenCV with CUDA (opencv-python's wheels on PyPI never have it): compile it with "
    "WITH_CUDA, the CUDA DNN backend and the GPU's compute capability, or install a "
    "distribution's CUDA build; then uninstall the PyPI wheels so they do not shadow it.",
    commands=[
        'python -c "import cv2; print(cv2.cuda.getCudaEnabledDeviceCount())"   # 0: no CUDA',
        "pip uninstall -y opencv-python opencv-contrib-python",
        'CMAKE_ARGS="-DWITH_CUDA=ON -DWITH_CUDNN=ON -DOPENCV_DNN_CUDA=ON -DCUDA_ARCH_BIN=8.6" '
        "pip install --no-binary opencv-contrib-python opencv-contrib-python",
    ],
    url="https://github.com/opencv/opencv-python#manual-builds",
)


class _CpuBuildSaid(NamedTuple):
    """A framework's own message that its build has no GPU backend, where dlenv reads no facts
    of that framework otherwise: the framework, what installs its GPU build, and what the
    message shows the code asked for."""

    name: str
    fix: ManualStep
    asked: str


_SAYS_CPU_BUILD = {
    "dgl-cuda-not-enabled": _CpuBuildSaid(
        "dgl",
        _DGL_GPU_FIX,
        'the code asked DGL for the GPU ("Device API gpu is not enabled. Please install the cuda '
        'version of dgl")',
    ),
    "chainer-without-cupy": _CpuBuildSaid(
        "chainer",
        _CHAINER_GPU_FIX,
        'the code asked Chainer for the GPU (its CUDA backend has no CuPy: "has no attribute '
        '\'cupy\'", "CUDA environment is not correctly set up")',
    ),
    "paddle-cpu-build-asked-for-gpu": _CpuBuildSaid(
        "paddle",
        _PADDLE_GPU_FIX,
        'the code asked PaddlePaddle for the GPU ("Cannot use GPU because you have installed CPU '
        'version PaddlePaddle")',
    ),
    "mxnet-cpu-build-asked-for-gpu": _CpuBuildSaid(
        "mxnet",
        _MXNET_GPU_FIX,
        'the code asked MXNet for a GPU context ("Compile with USE_CUDA=1 to enable GPU usage")',
    ),
    "xgboost-cpu-build-asked-for-gpu": _CpuBuildSaid(
        "xgboost",
        _XGBOOST_GPU_FIX,
        'the code asked XGBoost for the GPU ("XGBoost version not compiled with GPU support")',
    ),
    "faiss-cpu-build-asked-for-gpu": _CpuBuildSaid(
        "faiss",
        _FAISS_GPU_FIX,
        "the code asked Faiss for a GPU index (its GPU classes, such as StandardGpuResources, "
        "are missing)",
    ),
    "torchcodec-cpu-build-asked-for-cuda": _CpuBuildSaid(
        "torchcodec",
        _TORCHCODEC_GPU_FIX,
        'the code asked TorchCodec to decode on the GPU ("Unsupported device: cuda")',
    ),
    "torchvision-cpu-build-asked-for-cuda": _CpuBuildSaid(
        "torchvision",
        _TORCHVISION_GPU_FIX,
        "the code ran a torchvision op on CUDA tensors (\"Could not run 'torchvision::nms' with "
        "arguments from the 'CUDA' backend\")",
    ),
    "opencv-cpu-build-asked-for-cuda": _CpuBuildSaid(
        "opencv",
        _OPENCV_GPU_FIX,
        'the code asked OpenCV for CUDA ("The library is compiled without CUDA support", "DNN '
        'module was not built with CUDA backend")',
    ),
}
# each is also what shows the code asked that framework for CUDA
_CUDA_ASKED.update({sig: (said.name, said.asked) for sig, said in _SAYS_CPU_BUILD.items()})
LLAMA_BLAS_OFF = ("llama-cpp-blas-off", "said-llama-blas-off")  # "BLAS = 0": table, reporter
# llama-cpp-python builds llama.cpp from source at install: CMAKE_ARGS picks the backend
_LLAMA_GPU_FIX = ManualStep(
    text="Rebuild llama-cpp-python with its CUDA backend (it compiles llama.cpp when installed; "
    "CMAKE_ARGS picks the backend, and a cached CPU wheel must not be reused), or install a "
    "prebuilt CUDA wheel of it; a llama.cpp binary: a CUDA release build, or `cmake -B build "
    "-DGGML_CUDA=ON`.",
    commands=[
        'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir '
        "llama-cpp-python   # older releases: -DLLAMA_CUBLAS=on",
    ],
    url="https://github.com/abetlen/llama-cpp-python#installation-configuration",
)


def _cuda_asked(s: Snapshot, fw: FrameworkFacts) -> str | None:
    """What shows the code asked this framework for CUDA, when a quoted message does."""
    return next(
        (
            _CUDA_ASKED[e.signature][1]
            for e in s.reported_errors
            if _CUDA_ASKED.get(e.signature, ("", ""))[0] == fw.name
        ),
        None,
    )


def _pasted(s: Snapshot) -> bool:
    return s.origin != "probe"


def _gpu_evidence(s: Snapshot, fw: FrameworkFacts) -> tuple[str, bool] | None:
    """(what shows a GPU is wanted or present, whether a GPU is known to be present)."""
    if usable_gpus(s) and s.driver.installed is True:
        return f"{len(usable_gpus(s))} usable GPU(s)", True
    if s.driver.installed is False:
        return None
    seen = gpu_seen_in_messages(s)
    if seen and fw.name == "jax":
        return seen, True
    if os_name(s) == "Darwin":
        return None  # no CUDA build exists for macOS
    asked = _cuda_asked(s, fw)
    if asked is not None:
        return asked, False
    if not _pasted(s):
        return None
    wanted = next(
        (
            _GPU_WANTED_BY[e.signature][1]
            for e in s.reported_errors
            if _GPU_WANTED_BY.get(e.signature, ("", ""))[0] == fw.name
        ),
        None,
    )
    if wanted is not None:
        return f"{wanted} where the GPU was wanted", False
    # a pasted report: the reporter expects the GPU where the paste names one, states a CUDA
    # or driver version, shows the framework looking for a GPU, or complains of the CPU build
    if fw.name == "torch" and _jetson_torch_without_gpu(s):
        return "the report is from a Jetson, whose GPU is built in", True
    if s.gpus or nvidia_gpu_present(s):
        return "the report shows an NVIDIA GPU", True
    if fw.name in ("llama.cpp", "onnxruntime") and reported(s, "said-gpu-not-used"):
        # llama.cpp names its own build (BLAS = 0), ONNX Runtime its providers (CPU only); the
        # reporter says the GPU is not used
        return "the report says the GPU is not used", False
    if fw.name == "torch":
        unused = _gpu_unused_unexplained(s)
        if unused is not None:
            return unused, False
    stated = [e.signature for e in s.reported_errors if e.signature in _CPU_BUILD_STATED]
    if stated:
        return f"{_CPU_BUILD_STATED[stated[0]]} where the GPU was wanted", False
    looked = [e.signature for e in s.reported_errors if e.signature in _GPU_LOOKED_FOR]
    if looked and _GPU_LOOKED_FOR[looked[0]] == fw.name:
        return f"{fw.name} looked for a GPU and found none", False
    if s.driver.version:
        return f"the report states NVIDIA driver {s.driver.version}", False
    if s.cuda.toolkits and s.cuda.toolkits[0].version:
        return f"the report states CUDA {s.cuda.toolkits[0].version}", False
    return None


def said_no_gpu(s: Snapshot, framework: str) -> bool:
    """The reporter says this framework does not use or find the GPU (prose-statements)."""
    return any(
        e.signature == "said-gpu-not-used" and e.framework == framework for e in s.reported_errors
    )


def _inferred_cpu_build(s: Snapshot, fw: FrameworkFacts) -> str | None:
    """Why a pasted report's framework, whose build it does not state, is the CPU build."""
    if not _pasted(s) or fw.cuda_build is not None or fw.variant or fw.rocm_build:
        return None
    if (
        fw.name == "jax"
        and reported(s, "jax-no-gpu")
        and not reported(s, "jax-cuda-backend-failed")
    ):
        # jax says "No GPU/TPU found" without any CUDA backend failing to start: none was there
        return 'jax fell back to the CPU ("No GPU/TPU found") without a CUDA backend failing'
    if fw.name == "torch" and native_windows(s):
        dist = distribution(s, "torch")
        listed = dist is not None and "+" not in dist.version
        if listed or reported(s, "torch-cuda-unavailable-stated") or said_no_gpu(s, "torch"):
            # download.pytorch.org's CUDA wheels carry "+cuXXX"; PyPI's Windows wheel is CPU-only
            return "torch on Windows without a +cuXXX tag: PyPI's Windows wheel is CPU-only"
    if fw.name == "torch" and _jetson_torch_without_gpu(s):
        return (
            "torch on a Jetson that does not see its GPU: PyPI's and community aarch64 torch "
            "wheels are CPU-only; only NVIDIA's wheels for the JetPack release (or a source "
            "build) use the Jetson's GPU"
        )
    if fw.name == "torch" and fw.cuda_build is None and _gpu_unused_unexplained(s):
        # "the GPU is not used", an NVIDIA GPU / Windows / conda, and nothing else wrong: the
        # maintainers' first question is the build (torch.version.cuda is None)
        return str(_gpu_unused_unexplained(s))
    if fw.name == "torch" and _found_no_gpu_unexplained(s):
        # the maintainers' reading: torch saw no GPU, the report names one, and nothing points
        # at the driver or CUDA: the build in the environment is the CPU one
        return (
            "torch found no GPU although the report names an NVIDIA GPU and shows no driver or "
            "CUDA error"
        )
    # a package list naming tensorflow (prose names every build so); no CUDA library loaded
    listed = distribution(s, "tensorflow") is not None and distribution(s, "tensorflow-gpu") is None
    probe = s.live_probe("tensorflow")
    if fw.name == "tensorflow" and listed and not (probe and probe.loaded_libraries):
        since = tensorflow_fact("gpu_in_tensorflow_package_since")
        if version_at_least(fw.version, since) is False:
            return (
                f"the package tensorflow is CPU-only before {since} (the GPU one is tensorflow-gpu)"
            )
    return None


def _jetson_torch_without_gpu(s: Snapshot) -> bool:
    """A pasted report from a Jetson (its name, JetPack, L4T) in which torch does not see the
    GPU, with no message that names another cause (a driver, a library): on a Jetson the
    driver comes with JetPack, and a torch without CUDA is the usual reason."""
    if not _pasted(s) or not reported(s, "jetson-stated"):
        return False
    probe = s.live_probe("torch")
    unseen = probe is not None and probe.gpu_available is False  # is_available() False pasted
    if not (unseen or reported(s, "torch-cuda-unavailable-stated") or said_no_gpu(s, "torch")):
        return False
    return not any(
        not e.harmless and not in_prose(e.signature) and e.signature not in _GPU_LOOKED_FOR
        for e in s.reported_errors
    )


def _found_no_gpu_unexplained(s: Snapshot) -> bool:
    """A pasted report in which torch (or a program on it) found no GPU, that names an NVIDIA
    GPU, and quotes no message a rule other than DL401 explains (a driver, CUDA, library)."""
    from dlenv.importers.signatures import BY_ID  # loaded only when a paste quoted something

    if not (s.gpus or nvidia_gpu_present(s)) or s.driver.installed is False:
        return False
    looked = [e for e in s.reported_errors if _GPU_LOOKED_FOR.get(e.signature) == "torch"]
    if not looked:
        return False
    for e in s.reported_errors:
        if e.harmless or e.signature in _GPU_LOOKED_FOR or in_prose(e.signature):
            continue
        known = BY_ID.get(e.signature)
        if known is None or e.signature == "unrecognised-error" or set(known.rules) - {"DL401"}:
            return False  # an unrecognised error, or one that names another cause
    return True


# "the GPU is not used / not found" in the reporter's words (prose-statements.toml) or torch's
# own answer stated in prose (framework-builds.toml); a REPL's False is the live probe's
_GPU_UNUSED_SAID = ("said-gpu-not-used", "torch-cuda-unavailable-stated")
_TORCH_SEES_GPU = "torch-cuda-available-stated"  # the reporter: is_available() is True
_CONDA_TORCH = "torch-from-conda-stated"
_IN_CONTAINER = "said-in-container"  # prose-distributed.toml: a container is DL109's question
# frameworks whose GPU story is told by their own signs, not torch's
_OTHER_STACKS = ("tensorflow", "jax", "keras", "onnxruntime", "llama.cpp", "paddle", "mxnet")


def _gpu_unused_unexplained(s: Snapshot) -> str | None:
    """What was read, when a pasted report says the GPU is not used or not found (the
    reporter's words, or torch's is_available() False) with nothing else wrong: no other
    framework named, no message or statement that another rule explains, not in a container
    (DL109's question), no sign that torch does see the GPU; and where the GPU was wanted: the
    report names an NVIDIA GPU, runs native Windows (PyPI's torch wheel is CPU-only there), or
    installed torch with conda (which resolves a CPU build when it finds no CUDA one). The
    maintainers' reading of "I have an RTX 3060 but it runs on the CPU": a CPU build of torch.
    """
    if not _pasted(s) or s.driver.installed is False:
        return None
    from dlenv.importers.signatures import BY_ID  # loaded only when a paste quoted something

    said = [
        e
        for e in s.reported_errors
        if e.signature in _GPU_UNUSED_SAID and e.framework in (None, "torch")
    ]
    probe = s.live_probe("torch")
    if (probe is not None and probe.gpu_available is True) or reported(s, _TORCH_SEES_GPU):
        return None
    if not said and not (probe is not None and probe.gpu_available is False):
        return None
    if s.host.container or reported(s, _IN_CONTAINER):
        return None
    if s.visibility.cuda_visible_devices is not None:
        return None  # CUDA_VISIBLE_DEVICES set: DL303's question first
    if any(fw.name in _OTHER_STACKS for fw in s.frameworks) or any(
        e.framework in _OTHER_STACKS
        or e.signature in _ORT_CPU_PACKAGE
        or e.signature == _ORT_APPLIED_CPU
        for e in s.reported_errors
    ):
        return None  # ONNX Runtime's own CPU-only providers: its story, not torch's
    for e in s.reported_errors:
        if e.harmless and not in_prose(e.signature):
            continue
        known = BY_ID.get(e.signature)
        if e.signature == "unrecognised-error" or known is None:
            return None  # an error no signature explains: its cause is unknown
        if set(known.rules) - {"DL401"}:
            return None  # a message or statement that names another cause
    gpu = s.gpus[0].name if s.gpus else None
    if gpu or nvidia_gpu_present(s):
        where = f"the report names an NVIDIA GPU{f' ({gpu})' if gpu else ''}"
    elif native_windows(s):
        where = "on native Windows, where PyPI's torch wheel is CPU-only"
    elif reported(s, _CONDA_TORCH):
        where = "torch came from conda, which resolves a CPU build when it finds no CUDA one"
    else:
        return None
    what = "torch does not see the GPU" if not said else "the report says the GPU is not used"
    return f"{what}, {where}, and no driver, CUDA or library message is quoted"


# the check that confirms a CPU build inferred from context: torch.version.cuda is None
_TORCH_BUILD_CHECK = ManualStep(
    text="Confirm it first, with the Python that runs the program: a CPU build prints None for "
    "torch.version.cuda (and a version ending in +cpu, or no +cuXXX on Windows); nvidia-smi "
    "shows the driver works.",
    commands=[
        'python -c "import torch; print(torch.__version__, torch.version.cuda, '
        'torch.cuda.is_available())"',
        "nvidia-smi",
    ],
)


_JETSON_TORCH_FIX = ManualStep(
    text="On a Jetson, install the torch wheel NVIDIA builds for this JetPack release (PyPI's "
    "aarch64 wheels and download.pytorch.org's have no CUDA for the Jetson's integrated GPU), "
    "or run NVIDIA's L4T PyTorch container; check with "
    "`python3 -c 'import torch; print(torch.cuda.is_available())'`.",
    commands=[
        "cat /etc/nv_tegra_release   # the L4T release, which names the JetPack",
        "python3 -m pip uninstall -y torch",
        "python3 -m pip install --no-cache <the torch wheel for your JetPack, from NVIDIA's page>",
    ],
    url="https://docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform/index.html",
)


def _torch_cuda_fix(s: Snapshot, fw: FrameworkFacts) -> list[Action]:
    if _jetson_torch_without_gpu(s):
        return [_JETSON_TORCH_FIX]
    reason = "a CUDA build uses the GPU"
    fixes: list[Action] = []
    fix = torch_variant_fix(s, fw, reason) if fw.version else None
    if fix is not None:
        fixes.append(fix)
    else:
        newest = newest_torch_for(driver_version(s), os_name(s), gpu_capabilities(s))
        if newest is not None:
            release, variant = newest
            fixes.append(
                InstallPackages(
                    packages=["torch"],
                    uninstall=["torch"],
                    index_url=torch_index_url(variant.name),
                    reason=f"{reason}: the {variant.name} index has no CPU wheel, so pip cannot "
                    f"pick one (torch {release.version}+{variant.name}; reinstall torchvision/"
                    "torchaudio from the same index)",
                )
            )
    if (
        fw.distribution == "pytorch"
        or reported(s, "conda-pytorch-cpuonly")
        or reported(s, _CONDA_TORCH)
    ):
        pin = f"pytorch={base_version(fw.version)}" if fw.version else "pytorch"
        fixes.append(
            ManualStep(
                text="conda: find what pulls the CPU variant (cpuonly, pytorch-mutex=*=cpu, or a "
                "package that requires it), remove it, and ask for a CUDA build by its build "
                "string.",
                commands=[
                    "conda list | grep -E 'cpuonly|pytorch-mutex|pytorch'",
                    "conda remove cpuonly",
                    f'conda install "{pin}=*cuda*" -c pytorch -c nvidia',
                ],
                url="https://pytorch.org/get-started/previous-versions/",
            )
        )
    return fixes


def _tensorflow_gpu_fix(fw: FrameworkFacts) -> Action | None:
    reason = "a CUDA build uses the GPU"
    fix = tensorflow_and_cuda_fix(fw, reason)
    if fix is not None:
        return fix
    mm = major_minor(fw.version)
    since = major_minor(tensorflow_fact("gpu_in_tensorflow_package_since"))
    if mm is None or since is None:
        return ManualStep(
            text="Install TensorFlow's GPU build: tensorflow-gpu for TensorFlow 1.x/2.0, the "
            "package tensorflow (with CUDA and cuDNN) from 2.1 on.",
            commands=['pip install "tensorflow[and-cuda]"  # TensorFlow >= 2.14 on Linux'],
            url="https://www.tensorflow.org/install/pip",
        )
    release = tensorflow_release(fw.version)
    needs = f" (needs CUDA {release.cuda} and cuDNN {release.cudnn})" if release else ""
    if mm < since:
        return InstallPackages(
            packages=[f"tensorflow-gpu=={mm[0]}.{mm[1]}.*"],
            uninstall=[fw.distribution],
            reason=f"up to TensorFlow 2.0 the GPU build is the package tensorflow-gpu{needs}",
        )
    return InstallPackages(
        packages=[f"tensorflow=={mm[0]}.{mm[1]}.*"],
        uninstall=[fw.distribution] if fw.distribution != "tensorflow" else [],
        reason=f"the package tensorflow includes GPU support{needs}",
    )


def _install_choices_quoted(s: Snapshot, fw: FrameworkFacts) -> bool:
    """The cpuonly variant is known only from a `conda install ... cpuonly` command quoted beside
    a CUDA one (PyTorch's install matrix: "# CUDA 11.3 ... # CPU Only ..."): the paste lists
    the choices, it does not show which one this environment got."""
    if fw.name != "torch" or "+cpu" in fw.version:
        return False
    cpuonly = [e.text for e in s.reported_errors if e.signature == "conda-pytorch-cpuonly"]
    return (
        bool(cpuonly)
        and all("conda install" in text for text in cpuonly)
        and reported(s, "conda-pytorch-cuda-install-command")
    )


# pip keeps both packages' files in one `onnxruntime` folder: the GPU one must be reinstalled
# alone (https://onnxruntime.ai/docs/install/)
_ORT_GPU_FIX = InstallPackages(
    packages=["onnxruntime-gpu"],
    uninstall=["onnxruntime", "onnxruntime-gpu"],
    reason="onnxruntime-gpu has the CUDA execution provider; with the CPU package beside it, "
    "the CPU one's files win",
)


# torch.utils.cpp_extension: a toolkit found, torch.cuda.is_available() False (src-torch.toml),
# and its CUDA check parsing torch.version.cuda as None
_EXTENSION_NO_CUDA = "torch-extension-no-cuda-runtime"
_CUDA_VERSION_NONE = "cuda-version-parsed-none"


def _cpu_builds(s: Snapshot) -> Iterator[tuple[FrameworkFacts, str | None]]:
    """Frameworks known to be CPU-only builds, with the reason when it is inferred."""
    names = {fw.name for fw in s.frameworks}
    frameworks = list(s.frameworks)
    if "jax" not in names and reported(s, "jax-no-gpu"):
        frameworks.append(FrameworkFacts(name="jax", distribution="jaxlib", version=""))
    if any(reported(s, sig) for sig in _ORT_CPU_PACKAGE) or (
        reported(s, _ORT_APPLIED_CPU) and not any(reported(s, sig) for sig in _ORT_CUDA_FAILED)
    ):
        # ONNX Runtime's own list of providers lacks CUDA: the CPU package is the one imported
        frameworks.append(
            FrameworkFacts(
                name="onnxruntime",
                distribution="onnxruntime",
                version="",
                variant="cpu",
                cuda_build=False,
            )
        )
    if "torch" not in names and _jetson_torch_without_gpu(s):
        # "I installed torch on my Jetson Nano, but cuda.is_available() returns False"
        frameworks.append(FrameworkFacts(name="torch", distribution="torch", version=""))
    if reported(s, _EXTENSION_NO_CUDA) and reported(s, _CUDA_VERSION_NONE):
        # torch's extension builder found a toolkit (CUDA_HOME) but no CUDA in torch, and its
        # check then parsed torch.version.cuda as None: a CPU-only torch
        cpu = FrameworkFacts(
            name="torch", distribution="torch", version="", variant="cpu", cuda_build=False
        )
        frameworks = [
            replace(fw, variant="cpu", cuda_build=False)
            if fw.name == "torch" and fw.cuda_build is not True and not fw.variant
            else fw
            for fw in frameworks
        ] + ([cpu] if "torch" not in names else [])
    elif not names and _gpu_unused_unexplained(s):
        # "No GPU is used ... Win10, RTX 4070 Ti": no framework named; a program that runs on
        # the GPU from Python is, far most often, a torch program
        frameworks.append(FrameworkFacts(name="torch", distribution="torch", version=""))
    if reported(s, LLAMA_CPU) or any(reported(s, sig) for sig in LLAMA_BLAS_OFF):
        # llama.cpp says it was built without a GPU backend while GPU layers were asked for
        frameworks.append(
            FrameworkFacts(
                name="llama.cpp",
                distribution="llama-cpp-python",
                version="",
                variant="cpu",
                cuda_build=False,
            )
        )
    for sig, (name, _, _) in _SAYS_CPU_BUILD.items():
        if reported(s, sig) and name not in names:
            # DGL says its build has no CUDA device API, Chainer that it has no CuPy, while the
            # code asked for the GPU
            frameworks.append(
                FrameworkFacts(
                    name=name, distribution=name, version="", variant="cpu", cuda_build=False
                )
            )
    known = ("torch", "tensorflow", "jax", "onnxruntime", "llama.cpp")
    for fw in frameworks:
        if fw.name not in known and fw.name not in {said.name for said in _SAYS_CPU_BUILD.values()}:
            continue
        if _install_choices_quoted(s, fw):
            continue
        if cpu_only_build(fw):
            yield fw, None
            continue
        inferred = _inferred_cpu_build(s, fw)
        if inferred is not None:
            yield fw, inferred


@rule("DL401", "cpu-only-build-with-gpu", "warning", "frameworks")
def cpu_only_build_with_gpu(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a CPU-only framework build (torch "+cpu", a conda build string with
    "cpu" or the cpuonly/pytorch-mutex=*=cpu variant, PyPI's Windows torch wheel,
    tensorflow-cpu, TensorFlow up to 2.0 installed as `tensorflow` instead of tensorflow-gpu, a
    TensorFlow without CUDA, jaxlib without a jax-cuda plugin, the CPU package of ONNX Runtime
    whose providers lack CUDA, llama.cpp built without a GPU backend (its "not compiled with GPU
    offload support, --gpu-layers option will be ignored", "BLAS = 0" in its system_info or
    flags table, with GPU layers asked for or the reporter complaining of it), DGL's CPU build
    asked for the GPU ("Device API gpu is not enabled. Please install the cuda version of
    dgl"), Chainer without CuPy, its GPU backend ("'module' object has no attribute 'cupy'",
    "CUDA environment is not correctly set up … No module named 'cupy'"), PaddlePaddle's,
    MXNet's and XGBoost's CPU builds asked for the GPU ("Cannot use GPU because you have
    installed CPU version PaddlePaddle", "Compile with USE_CUDA=1 to enable GPU usage",
    "XGBoost version not compiled with GPU support"), Faiss's CPU package asked for a GPU index
    ("module 'faiss' has no attribute 'StandardGpuResources'"), TorchCodec's CPU wheel asked to
    decode on the GPU ("Unsupported device: cuda"), torchvision's ops registered for the CPU
    only beside a CUDA torch ("Could not run 'torchvision::nms' with arguments from the 'CUDA'
    backend"), OpenCV without CUDA asked for it ("The library is compiled without CUDA
    support"), a
    torch that an extension loader names "+cpu" (xFormers' "you
    have 2.1.0+cpu") or whose torch._C lacks its _cuda_* functions) on a machine whose NVIDIA GPU
    and driver work, or where the framework itself says it saw a GPU ("An NVIDIA GPU may be
    present on this machine, but a CUDA-enabled jaxlib is not installed"), or the code asked
    for CUDA ("Torch not compiled with CUDA enabled", "module 'torch._C' has no attribute
    '_cuda_setDevice'", ONNX Runtime's "Specified provider 'CUDAExecutionProvider' is not in
    available provider names"). In a pasted report, a stated driver or
    CUDA version, the framework finding no GPU, or the reporter saying a CPU build got
    installed also show the GPU was wanted. ONNX Runtime's own list ("Specified provider
    'CPUExecutionProvider'") without a CUDA provider shows the CPU package `onnxruntime`; so
    do the reporter saying the plain `onnxruntime` is installed instead of or over
    `onnxruntime-gpu`, and insightface's "Applied providers: ['CPUExecutionProvider']" where the
    GPU was wanted and no CUDA provider failed to start. The reporter saying an install (a node,
    an extension, a requirements file) took torch's CUDA away ("disables the pytorch cuda") is
    read as a CPU build of torch.
    A program on torch that found no GPU (whisper's "FP16 is not supported on CPU", Lightning's
    "GPUs requested but none are available", Unsloth's "No NVIDIA GPU found") in a paste that
    names an NVIDIA GPU and quotes no driver, CUDA or library message is probably a CPU build;
    so is a torch that does not see the GPU of a Jetson (its name, JetPack, L4T), where only
    NVIDIA's wheels for the JetPack release have CUDA. The bare complaint, "the GPU is not
    used" in the reporter's words (English, Chinese and other languages; "Chosen device: cpu";
    "GPU usage 0%") or torch's is_available() False, in a paste that names no other framework,
    quotes no message or statement another rule explains, is not a container, and says the
    GPU was wanted (an NVIDIA GPU named, native Windows, torch installed with conda), is
    probably a CPU build of torch too (the framework unstated: torch, the stack of most such
    programs); its fixes begin with the check that confirms it (torch.version.cuda is None).

    Why it matters: everything runs, slowly, on the CPU: `torch.cuda.is_available()` is False,
    `tf.config.list_physical_devices('GPU')` is empty, `jax.devices()` lists only a CpuDevice.
    A CPU-only build on a machine without a GPU is fine and not reported; so is one on macOS,
    where no CUDA build exists. It is a warning (a CPU build may be a choice, and a build
    inferred from a paste is a likelihood), and an error when the code asked for CUDA ("Torch
    not compiled with CUDA enabled") or a pasted report shows the framework finding no GPU:
    then it is the failure being reported.

    Example: torch 2.3.1+cpu (the default `pip install torch` on Windows) on a machine with an
    RTX 3090; `pytorch 1.11.0 py3.8_cpu_0` in `conda list`; jax 0.4.23 with a plain jaxlib.

    Fix: `pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121`
    (`--index-url`, not `--extra-index-url`, so that PyPI's CPU wheel cannot win),
    `pip install "tensorflow[and-cuda]==2.16.*"`, `pip install tensorflow-gpu==1.15.*` for
    TensorFlow 1.x, or `pip install -U "jax[cuda12]"`.
    """
    for fw, inferred in _cpu_builds(s):
        if fw.name == "tensorflow" and native_windows(s) and version_at_least(fw.version, "2.11"):
            continue  # DL402 explains that case
        evidence = _gpu_evidence(s, fw)
        if evidence is None:
            continue
        if fw.name == "jax" and not _jax_does_the_work(s) and _other_framework_on_gpu(s, fw):
            continue  # an unused jaxlib's import notice beside a program that runs on the GPU
        why, gpu_known = evidence
        fixes: list[Action] = []
        if fw.name == "torch":
            if inferred is not None and _gpu_unused_unexplained(s) is not None:
                fixes.append(_TORCH_BUILD_CHECK)  # reasoned from context: the check first
            fixes.extend(_torch_cuda_fix(s, fw))
        elif fw.name == "jax":
            fixes.append(_jax_cuda_fix(s, fw))
        elif fw.name == "onnxruntime":
            fixes.extend(_ort_gpu_fixes(s))
        elif fw.name == "llama.cpp":
            fixes.append(_LLAMA_GPU_FIX)
        elif fw.name in (says := {said.name: said.fix for said in _SAYS_CPU_BUILD.values()}):
            fixes.append(says[fw.name])
        else:
            tf_fix = _tensorflow_gpu_fix(fw)
            if tf_fix is not None:
                fixes.append(tf_fix)
        what = (
            f"{label(fw)} has no CUDA support"
            if inferred is None
            else (f"{label(fw)} is most likely a CPU-only build ({inferred})")
        )
        message = (
            f"{what}, so it ignores the {len(usable_gpus(s))} NVIDIA GPU(s) on this machine."
            if gpu_known and usable_gpus(s)
            else f"{what}, so it runs on the CPU although {why}."
            if gpu_known
            else f"{what}, but {why}; if this machine has an NVIDIA GPU, install a CUDA build."
        )
        yield finding(
            "DL401",
            severity="error" if inferred is None and _gpu_was_asked_for(s, fw) else "warning",
            title=f"{label(fw)} is a CPU-only build on a machine with a GPU"
            if gpu_known
            else f"{label(fw)} is a CPU-only build but the code uses CUDA"
            if why.startswith("the code asked for CUDA")
            else f"{label(fw)} is a CPU-only build but the GPU was wanted",
            message=message,
            evidence=[
                Evidence(
                    fact=f"frameworks.{fw.name}.variant",
                    found=fw.variant
                    or inferred
                    or ("jaxlib without a CUDA plugin" if fw.name == "jax" else fw.distribution),
                    needed="a CUDA build",
                    note=why,
                )
            ],
            fixes=fixes,
            subject=fw.name,
        )


# What jax prints about its own build whenever anything imports it: a library that merely has
# jax installed (diffusers, transformers, a trainer) prints it in a torch program too.
_JAX_IMPORT_NOTICES = frozenset({"jax-cpu-only-jaxlib", "jax-no-gpu"})


def _jax_does_the_work(s: Snapshot) -> bool:
    """The paste shows jax running the program: a message of jax's own beyond the notices it
    prints on import (an XlaRuntimeError, an unknown backend requested, a device it lists)."""
    return any(
        e.framework == "jax"
        and e.signature not in _JAX_IMPORT_NOTICES
        and not e.harmless
        and not in_prose(e.signature)  # the reporter's words, not jax's
        for e in s.reported_errors
    )


def _other_framework_on_gpu(s: Snapshot, fw: FrameworkFacts) -> bool:
    """Another framework in the paste is shown using the GPU (its probe found one)."""
    return any(
        p.gpu_available is True
        for other in ("torch", "tensorflow", "jax")
        if other != fw.name and (p := s.live_probe(other)) is not None
    )


def _gpu_was_asked_for(s: Snapshot, fw: FrameworkFacts) -> bool:
    """The CPU build is not a choice but the failure: code asked for CUDA and got an error, or
    a pasted report (someone asking for help) shows the framework finding no GPU. jax's import
    notice alone is not that: it shows jaxlib installed, not that jax runs the program."""
    if _cuda_asked(s, fw) is not None:
        return True
    if any(e.signature in _CUDA_ASKED for e in s.reported_errors):
        return False  # the code asked another framework for CUDA
    if fw.name == "onnxruntime":
        return False  # a list of providers shows the package, not a failure
    if fw.name == "jax" and not _jax_does_the_work(s):
        return False
    probe = s.live_probe(fw.name)
    return s.origin != "probe" and probe is not None and probe.gpu_available is False


@rule("DL402", "tensorflow-gpu-native-windows", "warning", "frameworks")
def tensorflow_native_windows(s: Snapshot) -> Iterator[Finding]:
    """What it checks: TensorFlow 2.11 or newer on native Windows with an NVIDIA GPU (or, in a
    pasted report, a stated CUDA/cuDNN version or TensorFlow listing no GPU: the user expects
    the GPU), or a report that names the limit itself ("TensorFlow 2.10 was the last release
    that supported GPU on native Windows"), or pip's own list: tensorflow-gpu asked at 2.11 or
    newer, offered only up to 2.10.x (the list shows a native Windows interpreter). A
    TensorFlow whose version the report leaves out, seen not to use the GPU (an empty
    `list_physical_devices('GPU')`, in Python's or R's syntax), is dated by what stands beside
    it: Keras 3 (TensorFlow 2.16 or newer), or the CUDA 12 / cuDNN 9 it is meant to use (2.10
    was built for CUDA 11.2 and cuDNN 8.1).

    Why it matters: TensorFlow 2.10 was the last release with GPU support on native Windows;
    newer ones run on the CPU only there, whatever CUDA and cuDNN are installed.

    Example: tensorflow 2.16.1 on Windows 11 with an RTX 4070; TensorFlow v2.11.0 from
    C:/Miniconda listing only `/physical_device:CPU:0` after an upgrade.

    Fix: run TensorFlow in WSL2 (`pip install tensorflow[and-cuda]` inside it), or pin
    tensorflow 2.10 (Python 3.10 at most) with CUDA 11.2 and cuDNN 8.1
    (`pip install "tensorflow<2.11"`, `conda install -c conda-forge cudatoolkit=11.2
    cudnn=8.1.0`), or the DirectML plugin (`pip install tensorflow-cpu==2.10.*
    tensorflow-directml-plugin`).
    """
    tf = s.framework("tensorflow")
    last = tensorflow_fact("last_native_windows_gpu")
    gone = next((f for f in s.python.install_failures if windows_gpu_list_ends(f)), None)
    if gone is not None:
        yield _windows_gpu_list_finding(gone, last)
        return
    # the limit named by the report, in TensorFlow's wording or the reporter's own
    said = (
        reported(s, "tf-windows-gpu-ended-stated")
        or reported(s, "said-tf-windows-gpu-ended")
        or reported(s, "said-tf-windows-gpu-ended-any-order")
    )
    if not native_windows(s) or (tf is None and not said):
        return
    # a pasted report that states a CUDA/cuDNN version, or shows TensorFlow finding no GPU,
    # means the user wants the GPU, even when it leaves the GPU model out
    probe = s.live_probe("tensorflow")
    wanted = _pasted(s) and (
        bool(s.cuda.toolkits or s.cuda.cudnn)
        or (probe is not None and probe.gpu_available is False)
        or said
        or reported(s, "said-gpu-not-used")  # the reporter: "the GPU is not used"
    )
    if not (nvidia_gpu_present(s) or wanted):
        return
    newer = version_at_least(tf.version, "2.11") if tf is not None else None
    # a version left out, dated by what stands beside it, where TensorFlow is seen not to use
    # the GPU (not merely a CUDA stated beside a different failure)
    unseen = (probe is not None and probe.gpu_available is False) or reported(
        s, "said-gpu-not-used"
    )
    era = _past_windows_limit(s) if newer is None and _pasted(s) and unseen else None
    # the reporter naming the 2.10 limit: prose may have read "2.10" from that very sentence
    if (
        newer is not True
        and era is None
        and not (said and version_at_least(tf.version if tf else None, last) is not False)
    ):
        return
    name = label(tf) if tf is not None and newer else "TensorFlow newer than 2.10"
    yield finding(
        "DL402",
        title=f"{name} has no GPU support on native Windows",
        message=f"TensorFlow {last} was the last release that used the GPU on native Windows; "
        f"{name} runs on the CPU here, whatever CUDA and cuDNN are installed.",
        evidence=[
            Evidence(
                fact="frameworks.tensorflow.version",
                found=(tf.version if tf is not None and tf.version else "not stated")
                + ", native Windows",
                needed=f"<={last}.* on native Windows, or WSL2",
                note="the report names the 2.10 limit" if said else era,
            )
        ],
        fixes=[
            _WSL2_TENSORFLOW,
            InstallPackages(
                packages=["tensorflow<2.11"],
                uninstall=[tf.distribution if tf is not None else "tensorflow"],
                reason=_LAST_WINDOWS_GPU_RELEASE,
            ),
            ManualStep(
                text="Or keep native Windows and use the GPU through DirectML (any DirectX 12 "
                "GPU; TensorFlow 2.10 CPU build plus Microsoft's plugin).",
                commands=['pip install "tensorflow-cpu==2.10.*" tensorflow-directml-plugin'],
                url="https://learn.microsoft.com/windows/ai/directml/gpu-tensorflow-plugin",
            ),
        ],
        subject="tensorflow",
    )


def _past_windows_limit(s: Snapshot) -> str | None:
    """Why a TensorFlow whose version the report leaves out is newer than the last one with GPU
    support on native Windows: Keras 3 beside it (it needs TensorFlow 2.16 or newer), or the CUDA
    12 / cuDNN 9 it is meant to use (TensorFlow 2.10 was built for CUDA 11.2 and cuDNN 8.1;
    only the Linux builds of later releases use CUDA 12 and cuDNN 9). None where nothing
    dates it."""
    keras = s.framework("keras")
    if keras is not None and version_at_least(keras.version, "3"):
        return f"Keras {keras.version} needs TensorFlow 2.16 or newer"
    cuda = next((t.version for t in s.cuda.toolkits if version_at_least(t.version, "12")), None)
    if cuda:
        return (
            f"the report's CUDA {cuda}: no TensorFlow with GPU support on native Windows uses "
            "CUDA 12 (2.10 needs CUDA 11.2)"
        )
    cudnn = next((c.version for c in s.cuda.cudnn if c.major is not None and c.major >= 9), None)
    if cudnn:
        return (
            f"the report's cuDNN {cudnn}: no TensorFlow with GPU support on native Windows uses "
            "cuDNN 9 (2.10 needs cuDNN 8.1)"
        )
    return None


def _windows_gpu_list_finding(f: InstallFailure, last: str) -> Finding:
    """DL402 read from pip's own list: tensorflow-gpu asked at >= 2.11, offered up to 2.10.x."""
    offered = ", ".join((f.available or [])[-2:])
    return finding(
        "DL402",
        title=f"tensorflow-gpu {f.requested} does not exist for native Windows",
        message=f"pip offers tensorflow-gpu only up to {last}.x (... {offered}): {last} was the "
        "last TensorFlow release with GPU support on native Windows, so this is a native Windows "
        f"Python, where no tensorflow-gpu {f.requested} and no newer GPU build exists.",
        evidence=[
            Evidence(
                fact="python.install_failures",
                found=f"tensorflow-gpu=={f.requested}; newest offered "
                + (f.available[-1] if f.available else "?"),
                needed=f"<={last}.* on native Windows, or WSL2",
            )
        ],
        fixes=[
            _WSL2_TENSORFLOW,
            InstallPackages(
                packages=[f"tensorflow-gpu=={last}.*"],
                reason=_LAST_WINDOWS_GPU_RELEASE,
            ),
        ],
        subject="tensorflow",
    )


@rule(
    "DL403",
    "live-probe-failed",
    "error",
    "frameworks",
    # the missing, wrong-major or older CUDA library that made the import fail is the cause; a Keras
    # backend or library whose framework is not installed (DL602, about that framework); a CPU
    # without the instructions the build needs (DL508: it died with SIGILL)
    explained_by=("DL201", "DL202", "DL208", "DL508", "DL602"),
    symptom=True,
)
def live_probe_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether importing a framework in the target interpreter (the live probe)
    crashed, hung, or raised.

    Why it matters: that is what the user's own `import torch` will do: a segfault from a
    broken CUDA library, a hang in driver initialisation, an ImportError from a missing shared
    library.

    Example: `import tensorflow` killed by signal 11, or "ImportError: libcudnn.so.9: cannot
    open shared object file".

    Fix: read the error; the other findings usually name the cause (missing library, driver).
    """
    for probe in s.live:
        if probe.status in ("ok", "skipped"):
            continue
        what = {
            "crashed": f"crashed (exit status {probe.returncode})",
            "timeout": f"did not finish in time ({probe.total_s or '?'} s)",
            "import-error": "failed to import",
            "error": "raised an error",
        }[probe.status]
        detail = probe.error or (probe.stderr_tail or "").strip().splitlines()[-1:] or None
        detail_text = detail if isinstance(detail, str) else (detail[0] if detail else None)
        py = s.python.executable or "python"
        run = format_argv([py, "-X", "faulthandler", "-c", f"import {probe.framework}"], "bash")
        yield finding(
            "DL403",
            fixes=[
                ManualStep(
                    text=f"See the whole error where it happens: import {probe.framework} by "
                    "hand (faulthandler prints the stack of a crash), then follow the library "
                    "or driver it names; `dlenv doctor --verbose` lists what each one loads.",
                    commands=[run],
                )
            ],
            title=f"import {probe.framework} {what}",
            message=f"The live probe of {probe.framework} {what} in the target interpreter"
            + (f": {detail_text}" if detail_text else "."),
            evidence=[
                Evidence(
                    fact=f"live.{probe.framework}.status",
                    found=probe.status,
                    needed="ok",
                    note=detail_text,
                )
            ],
            subject=probe.framework,
            confirmed_by=LIVE_WINS,
        )


_INIT_CHECK = {
    "torch": "import torch; torch.cuda.init(); print(torch.cuda.get_device_name(0))",
    "tensorflow": "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))",
    "jax": "import jax; print(jax.devices('gpu'))",
}


@rule("DL404", "gpu-unavailable-live", "error", "frameworks", explained_by=(ANY,), symptom=True)
def gpu_unavailable_live(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a CUDA build whose live probe imported fine but found no GPU, on a machine
    where the driver lists NVIDIA GPUs.

    Why it matters: this is the "CUDA is not available" report itself, confirmed by running the
    framework; the reason it gave is quoted, and other findings usually explain it.

    Example: torch 2.5.1+cu124 says `torch.cuda.is_available()` is False: "CUDA driver
    initialization failed, you might not have a CUDA gpu."

    Fix: follow the other findings; the message quotes the framework's own reason.
    """
    if not usable_gpus(s):
        return
    for fw in s.frameworks:
        probe = live(s, fw.name)
        if probe is None or probe.gpu_available is not False or not cuda_build(fw):
            continue
        reason = probe.gpu_unavailable_reason or "no reason given"
        # the last resort: no rule knows this reason, so say what would let one judge it
        py = s.python.executable or "python"
        collect = ManualStep(
            text=f"Collect what {fw.name} and the driver say, and attach it to a report: the "
            f"framework's own CUDA start-up error, nvidia-smi, and dlenv's JSON report.",
            commands=[
                format_argv([py, "-c", _INIT_CHECK.get(fw.name, f"import {fw.name}")], "bash"),
                "nvidia-smi",
                "dlenv doctor --format json > dlenv-report.json",
            ],
        )
        yield finding(
            "DL404",
            fixes=[collect],
            title=f"{label(fw)} sees no GPU",
            message=f"{label(fw)} imported, but reported no usable GPU: {reason}",
            evidence=[
                Evidence(
                    fact=f"live.{fw.name}.gpu_available",
                    found="false",
                    needed="true",
                    note=reason,
                )
            ],
            subject=fw.name,
            confirmed_by=LIVE_WINS,
        )


# -- ONNX Runtime built without its CUDA provider, and the GPU asked for on a command line -------
# (src-onnxruntime.toml, gpu-wanted.toml): added to the tables above from here, so that those
# stay as they are. A native API's or an application's own build: the GPU package of that API.
_CUDA_ASKED.update(
    {
        "ort-cuda-ep-not-in-build": (
            "onnxruntime",
            'the code asked for the CUDA provider ("CUDA execution provider is not enabled in '
            'this build")',
        ),
        "ort-app-built-without-gpu": (
            "onnxruntime",
            "the GPU provider was asked for and the program says its build lacks it",
        ),
    }
)
_GPU_WANTED_BY.update(
    {
        "cuda-device-requested": (
            "torch",
            "the command line or its printed config asks for a CUDA device (device=0, "
            "--device cuda:0, --gpu)",
        ),
    }
)
_ORT_NATIVE = ("ort-cuda-ep-not-in-build", "ort-app-built-without-gpu")
_ORT_NATIVE_GPU_FIX = ManualStep(
    text="Use an ONNX Runtime build with the CUDA execution provider: the GPU package of the API "
    "the program uses (NuGet Microsoft.ML.OnnxRuntime.Gpu or Microsoft.ML.OnnxRuntimeGenAI.Cuda "
    "instead of the CPU package, the Rust crate ort with its `cuda` feature, pip onnxruntime-gpu), "
    "or the GPU release of the application's shared libraries (sherpa-onnx's *-gpu archives) in "
    "place of the CPU-only ones it bundles; a static or prebuilt CPU library must be rebuilt with "
    "--use_cuda. The CUDA and cuDNN majors of that release must be installed.",
    commands=[
        "dotnet add package Microsoft.ML.OnnxRuntime.Gpu   # C#; GenAI: "
        "Microsoft.ML.OnnxRuntimeGenAI.Cuda",
        "./build.sh --config Release --use_cuda --cuda_home /usr/local/cuda "
        "--cudnn_home /usr/local/cuda   # a library built from source",
    ],
    url="https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html",
)


def _ort_gpu_fixes(s: Snapshot) -> list[Action]:
    """The GPU build of ONNX Runtime for the way the program loads it: a native API or an
    application's bundled library (its own message says so), else the pip package."""
    if any(reported(s, sig) for sig in _ORT_NATIVE):
        return [_ORT_NATIVE_GPU_FIX, _ORT_GPU_FIX]
    return [_ORT_GPU_FIX]
