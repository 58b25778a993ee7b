from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep
from dlenv.snapshot.model import (
    DriverFacts,
    FrameworkFacts,
    HostFacts,
    LiveProbe,
    ReportedError,
    Snapshot,
)
from tests.rules.snapshots import (
    cpu_machine,
    fired,
    gpu_machine,
    only,
    pasted_codes,
    tensorflow,
    torch,
    with_live,
)


def test_dl401_cpu_torch_on_gpu_machine() -> None:
    f = only(gpu_machine(frameworks=[torch("2.5.1+cpu")]), "DL401")
    assert f.severity == "warning"
    assert f.fixes == [
        InstallPackages(
            packages=["torch==2.5.1"],
            uninstall=["torch"],
            index_url="https://download.pytorch.org/whl/cu124",
            reason="a CUDA build uses the GPU; torch 2.5.1+cu124 is built with CUDA 12.4 "
            "(reinstall torchvision/torchaudio from the same index)",
        )
    ]
    assert fired(gpu_machine(), "DL401") == []


def test_dl401_tensorflow_cpu_and_no_gpu() -> None:
    tf_cpu = tensorflow("2.17.0", None, None, distribution="tensorflow-cpu")
    f = only(gpu_machine(frameworks=[tf_cpu]), "DL401")
    assert f.fixes == [
        InstallPackages(
            packages=["tensorflow[and-cuda]==2.17.*"],
            uninstall=["tensorflow-cpu"],
            reason="a CUDA build uses the GPU",
        )
    ]
    # a CPU-only build on a machine without a GPU is not a problem
    assert fired(cpu_machine(), "DL401") == []


def _windows(s):  # type: ignore[no-untyped-def]
    return replace(s, host=replace(s.host, os="Windows"))


def test_dl402_tensorflow_on_native_windows() -> None:
    f = only(_windows(gpu_machine(frameworks=[tensorflow("2.16.1", None, None)])), "DL402")
    assert f.evidence[0].needed == "<=2.10.* on native Windows, or WSL2"
    assert (
        fired(_windows(gpu_machine(frameworks=[tensorflow("2.10.1", "11.2", "8.1")])), "DL402")
        == []
    )
    wsl = gpu_machine(frameworks=[tensorflow("2.16.1")])
    assert fired(replace(wsl, host=replace(wsl.host, wsl=2)), "DL402") == []


def test_dl402_a_pasted_template_stating_cuda_means_gpu_intent() -> None:
    """TensorFlow's issue template answers 'CUDA/cuDNN version' but may skip the GPU model."""
    from dlenv.snapshot.model import CudaFacts, CudaToolkit, VisibilityFacts

    s = _windows(gpu_machine(frameworks=[tensorflow("2.16.1", None, None)]))
    no_gpu = replace(s, gpus=[], visibility=VisibilityFacts(), driver=DriverFacts())
    cuda = CudaFacts(toolkits=[CudaToolkit(path="(stated in the report)", version="12.3")])
    pasted = replace(no_gpu, origin="tf_template", cuda=cuda)
    assert fired(pasted, "DL402") == ["DL402"]
    assert fired(replace(pasted, cuda=CudaFacts()), "DL402") == []  # nothing says GPU
    assert fired(replace(pasted, origin="probe"), "DL402") == []  # a real machine without one


def test_dl403_live_probe_crash() -> None:
    crash = LiveProbe(
        framework="tensorflow",
        status="crashed",
        returncode=-11,
        stderr_tail="Fatal Python error: Segmentation fault\n",
    )
    f = only(with_live(gpu_machine(), crash), "DL403")
    assert f.title == "import tensorflow crashed (exit status -11)"
    assert f.message == (
        "The live probe of tensorflow crashed (exit status -11) in the target "
        "interpreter: Fatal Python error: Segmentation fault"
    )
    assert f.confirmed_by == "live"
    skipped = LiveProbe(framework="jax", status="skipped")
    assert fired(with_live(gpu_machine(), skipped), "DL403") == []
    assert fired(gpu_machine(), "DL403") == []


def test_dl404_live_gpu_unavailable() -> None:
    no = LiveProbe(
        framework="torch",
        status="ok",
        gpu_available=False,
        gpu_unavailable_reason="CUDA driver initialization failed",
    )
    f = only(with_live(gpu_machine(), no), "DL404")
    assert f.message == (
        "torch 2.5.1+cu124 imported, but reported no usable GPU: CUDA driver initialization failed"
    )
    yes = replace(no, gpu_available=True)
    assert fired(with_live(gpu_machine(), yes), "DL404") == []
    # no GPU on the machine: "no GPU" is the truth
    assert fired(with_live(cpu_machine(), replace(no, framework="torch")), "DL404") == []


def _jax(cuda_build: bool = False, version: str = "0.4.23") -> FrameworkFacts:
    return FrameworkFacts(
        name="jax",
        distribution="jax",
        version=version,
        cuda_build=cuda_build,
        variant="cuda12" if cuda_build else "cpu",
        details={"jaxlib": version},
    )


JAX_SAW_GPU = ReportedError(
    signature="jax-cpu-only-jaxlib",
    text="An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not "
    "installed. Falling back to cpu.",
    meaning="A CPU-only jaxlib is installed: install jax[cuda12].",
    framework="jax",
)


def test_dl401_jaxlib_without_cuda_plugin() -> None:
    f = only(gpu_machine(frameworks=[_jax(version="0.4.35")]), "DL401")
    assert f.title == "jax 0.4.35 is a CPU-only build on a machine with a GPU"
    assert f.fixes == [
        InstallPackages(
            packages=["jax[cuda12]==0.4.35"],
            reason="jaxlib runs on the CPU only; the jax-cuda12-plugin wheels add the GPU",
        )
    ]
    # known only from jax's own warning: it saw an NVIDIA device node
    pasted = Snapshot(frameworks=[_jax()], reported_errors=[JAX_SAW_GPU])
    f = only(pasted, "DL401")
    assert f.message == (
        "jax 0.4.23 has no CUDA support, so it runs on the CPU although jax found an NVIDIA GPU "
        "device node."
    )
    assert f.fixes == [
        InstallPackages(
            packages=["jax[cuda12]"],
            uninstall=["jax", "jaxlib"],
            reason="jaxlib runs on the CPU only; the jax-cuda12-plugin wheels add the GPU",
        )
    ]


def test_dl401_jax_import_notice_alone_is_not_the_failure() -> None:
    # jax prints its CPU-fallback notice whenever anything imports it (a torch trainer whose
    # dependencies pull in jax): the notice alone shows an unused jaxlib, a warning at most
    jax_live = LiveProbe(framework="jax", status="ok", gpu_available=False)
    notice = with_live(
        Snapshot(origin="paste", frameworks=[_jax()], reported_errors=[JAX_SAW_GPU]), jax_live
    )
    assert only(notice, "DL401").severity == "warning"
    # torch is shown running on the GPU: the jaxlib beside it is not the program's framework
    torch_on_gpu = LiveProbe(framework="torch", status="ok", gpu_available=True)
    assert fired(with_live(notice, torch_on_gpu), "DL401") == []
    # bad: jax itself failed on the GPU request: then the CPU jaxlib is the failure
    failed = ReportedError(
        signature="jax-unknown-backend-gpu",
        text="RuntimeError: Unknown backend: 'gpu' requested, but no platforms that are "
        "instances of gpu are present. Platforms present are: cpu",
        meaning="JAX has no GPU backend.",
        framework="jax",
    )
    used = replace(notice, reported_errors=[JAX_SAW_GPU, failed])
    assert only(used, "DL401").severity == "error"
    assert only(with_live(used, torch_on_gpu), "DL401").severity == "error"


def test_dl401_near_misses_jax_and_torch_messages() -> None:
    assert fired(gpu_machine(frameworks=[_jax(cuda_build=True)]), "DL401") == []
    assert fired(Snapshot(frameworks=[_jax()]), "DL401") == []  # no sign of a GPU
    no_driver = Snapshot(
        driver=DriverFacts(installed=False), frameworks=[_jax()], reported_errors=[JAX_SAW_GPU]
    )
    assert fired(no_driver, "DL401") == []
    asked = ReportedError(
        signature="torch-not-compiled-with-cuda",
        text="AssertionError: Torch not compiled with CUDA enabled",
        meaning="A CPU-only PyTorch is installed.",
        framework="torch",
    )
    linux = Snapshot(frameworks=[torch("2.3.1+cpu")], reported_errors=[asked])
    f = only(linux, "DL401")
    assert f.title == "torch 2.3.1+cpu is a CPU-only build but the code uses CUDA"
    mac = replace(linux, host=HostFacts(os="Darwin"))
    assert fired(mac, "DL401") == []  # no CUDA build exists for macOS


def test_dl401_is_an_error_when_a_pasted_report_shows_the_gpu_missing() -> None:
    snap = replace(
        gpu_machine(frameworks=[torch("2.4.1+cpu", cudnn=None)]),
        origin="collect_env",
        live=[LiveProbe(framework="torch", status="ok", gpu_available=False)],
    )
    assert only(snap, "DL401").severity == "error"
    # the same facts probed on the machine itself: a CPU build may be a choice
    assert only(replace(snap, origin="probe"), "DL401").severity == "warning"


# -- DL401/DL402 from pasted text: the CPU build as package managers and reporters name it -----
def _explained(text: str) -> dict[str, str]:
    from dlenv.importers.explain import explain_text

    result = explain_text(text, "paste", probe=False)
    return {f.code: f.severity for f in result.report.findings}


def _dl401(text: str):  # type: ignore[no-untyped-def]
    from dlenv.importers.explain import explain_text

    findings = explain_text(text, "paste", probe=False).report.findings
    return next(f for f in findings if f.code == "DL401")


def test_dl401_conda_cpu_build_string_with_cudatoolkit_asked_for() -> None:
    text = (
        "conda create -n seg python=3.10 pytorch=2.0.1 cudatoolkit=11.8 -c pytorch\n"
        "$ conda list | grep torch\n"
        "pytorch                   2.0.1           py3.10_cpu_0    pytorch\n"
        "pytorch-mutex             1.0                        cpu    pytorch\n"
    )
    f = _dl401(text)
    assert f.severity == "warning"
    assert "conda install" in " ".join(c for a in f.fixes for c in getattr(a, "commands", []))
    # the CUDA build string names a CUDA build: nothing to say
    cuda = text.replace("py3.10_cpu_0", "py3.10_cuda11.8_cudnn8.7.0_0").replace(
        "1.0                        cpu", "1.0                       cuda"
    )
    assert "DL401" not in _explained(cuda)


def test_dl401_windows_pypi_wheel_is_cpu_only() -> None:
    text = (
        "Windows 11, RTX 4080, driver 552.22\n"
        "Collecting torch\n"
        "  Downloading torch-2.4.0-cp312-cp312-win_amd64.whl (198.0 MB)\n"
        "Successfully installed torch-2.4.0\n"
    )
    f = _dl401(text)
    assert f.fixes and isinstance(f.fixes[0], InstallPackages)
    assert f.fixes[0].index_url is not None and "/cu" in f.fixes[0].index_url
    # the CUDA wheel from download.pytorch.org carries its +cuXXX tag
    cuda = text.replace("torch-2.4.0-cp312", "torch-2.4.0+cu124-cp312")
    assert "DL401" not in _explained(cuda)


def test_dl401_reporter_says_the_cpu_build_got_installed() -> None:
    assert "DL401" in _explained(
        "pip install -r requirements.txt gave me a CPU-only PyTorch instead of the CUDA one, "
        "so training is slow.\n"
    )
    assert "DL401" in _explained(
        "Running the setup script uninstalled tensorflow-gpu==1.14 and installed `tensorflow` "
        "instead; my GPUs sit idle.\n"
    )
    # advice for people without a GPU is not a report of a CPU build
    assert "DL401" not in _explained(
        "Training on a laptop: If you have no GPU, install the CPU version.\n"
        "RuntimeError: CUDA error: out of memory\n"
    )


def test_dl401_llama_cpp_built_without_a_gpu_backend() -> None:
    """llama.cpp's own warning that it ignores the GPU layers asked for (and its old system_info
    "BLAS = 0"): a CPU build of llama.cpp / llama-cpp-python, rebuilt with CMAKE_ARGS; a build
    that reports BLAS = 1 is not one."""
    warning = (
        "warning: not compiled with GPU offload support, --n-gpu-layers option will be ignored\n"
    )
    f = _dl401(warning)
    assert f.subject == "llama.cpp" and f.severity == "error"
    fix = f.fixes[0]
    assert isinstance(fix, ManualStep)
    assert any('CMAKE_ARGS="-DGGML_CUDA=on"' in c for c in fix.commands)
    info = (
        "system_info: n_threads = 8 / 16 | AVX = 1 | AVX2 = 1 | FMA = 1 | BLAS = {} | SSE3 = 1 |\n"
    )
    assert "DL401" in _explained("RTX 3060, the model runs on the CPU\n" + info.format(0))
    assert "DL401" not in _explained("RTX 3060, the model runs on the CPU\n" + info.format(1))


def test_dl401_llama_cpp_flags_table_and_the_reporters_blas_0() -> None:
    """The flags table llama-cpp-python < 0.2 prints without "system_info:" says BLAS = 0: with
    GPU layers asked for (n_gpu_layers=25) that is a CPU build where the GPU was wanted (an
    error); the reporter complaining of "BLAS=0" is one too (a warning). The table alone, with
    no GPU asked for or named, and a table saying BLAS = 1, are not."""
    table = (
        "AVX = 1 | AVX2 = 1 | AVX512 = 0 | FMA = 1 | NEON = 0 | F16C = 1 | FP16_VA = 0 | "
        "WASM_SIMD = 0 | BLAS = {} | SSE3 = 1 | VSX = 0 |\n"
    )
    asked = "llm = LlamaCpp(model_path=path, n_gpu_layers=25, n_ctx=1024, verbose=True)\n"
    assert pasted_codes(asked + table.format(0)).get("DL401") == "error"
    assert "DL401" not in pasted_codes(asked + table.format(1))
    not_asked = "llm = Llama(model_path=path, n_gpu_layers=0)\n"
    assert "DL401" not in pasted_codes(not_asked + table.format(0))
    said = 'Since the update it keeps saying "BLAS=0" when starting the model.\n'
    assert pasted_codes(said).get("DL401") == "warning"
    assert "DL401" not in pasted_codes('After the rebuild it says "BLAS=1".\n')


def test_dl401_from_ultralytics_banner_and_device_check() -> None:
    """Ultralytics' banner states torch's build ("torch-2.1.0+cpu"); its device check says the
    code asked for a CUDA device: a CPU build where the GPU was wanted (ogkalu2/comic-translate).
    A CUDA build in the banner with the same check is not a CPU build."""
    check = (
        "ValueError: Invalid CUDA 'device=0' requested. Use 'device=cpu' or pass valid CUDA "
        "device(s) if available, i.e. 'device=0' or 'device=0,1,2,3' for Multi-GPU.\n"
    )
    banner = "Ultralytics YOLOv8.1.3 \U0001f680 Python-3.10.11 torch-2.1.0+cpu CPU (Intel i7)\n"
    f = _dl401(banner + check)
    assert f.severity == "error" and "Invalid CUDA 'device=0' requested" in f.message
    cuda = banner.replace("torch-2.1.0+cpu CPU (Intel i7)", "torch-2.7.1+cu126")
    assert "DL401" not in _explained(cuda + check)


def test_dl401_tensorflow_1x_package_list_is_the_cpu_package() -> None:
    text = "pip freeze:\ntensorflow==1.12.0\nnumpy==1.16.0\nNVIDIA driver 410.79, CUDA 9.0\n"
    f = _dl401(text)
    fix = f.fixes[0]
    assert isinstance(fix, InstallPackages)
    assert (fix.packages, fix.uninstall) == (["tensorflow-gpu==1.12.*"], ["tensorflow"])
    assert "DL401" not in _explained(text.replace("tensorflow==1.12.0", "tensorflow-gpu==1.12.0"))


def test_dl401_jax_falls_back_to_cpu_without_a_failing_cuda_backend() -> None:
    no_gpu = "WARNING:jax._src.xla_bridge:No GPU/TPU found, falling back to CPU.\n"
    assert "DL401" in _explained("I want to use my RTX 3090 with jax\n" + no_gpu)
    failed = (
        "CUDA backend failed to initialize: Found cuDNN version 8600, but JAX was built "
        "against version 8907, which is newer. (Set TF_CPP_MIN_LOG_LEVEL=0 and rerun for more "
        "info.)\n"
    )
    assert "DL401" not in _explained(failed + no_gpu)


def test_dl402_reported_windows_limit_and_paths() -> None:
    assert "DL402" in _explained(
        "GPU not found after upgrading. TensorFlow 2.10 was the last TensorFlow release that "
        "supported GPU on native Windows, so is there a workaround?\n"
    )
    paths = (
        "tensorflow==2.12.0\n"
        "CUDA 11.8 installed.\n"
        'File "C:\\Users\\me\\venv\\lib\\site-packages\\tensorflow\\__init__.py", line 1\n'
        ">>> tf.config.list_physical_devices('GPU')\n[]\n"
    )
    assert "DL402" in _explained(paths)
    assert "DL402" not in _explained(paths.replace("2.12.0", "2.10.1"))
    assert "DL402" not in _explained(paths.replace("C:\\Users\\me\\venv", "/home/me/venv"))
    # the limit in another word order, with the package's requirement above it
    # (ZFTurbo/segmentation_models_3D#31); the same words about Linux say nothing of Windows
    reordered = (
        "The requirement is 'tensorflow>=2.13.0, <=2.15.0'.\n"
        "However, for windows the GPU is not available for tensorflow>=2.10.0\n"
    )
    assert "DL402" in _explained(reordered)
    assert "DL402" not in _explained(reordered.replace("for windows", "on linux"))


def test_dl401_quoted_install_matrix_is_not_the_environment() -> None:
    # PyTorch's previous-versions page quoted: one conda command per variant; the cpuonly one
    # beside a CUDA one lists the choices, it is not what this environment got
    matrix = (
        "My GPU is an RTX 4090. torch 1.9.1 can only work with\n"
        "# CUDA 11.3\n"
        "conda install pytorch==1.9.1 torchvision==0.10.1 cudatoolkit=11.3 -c pytorch\n"
        "# CPU Only\n"
        "conda install pytorch==1.9.1 torchvision==0.10.1 cpuonly -c pytorch\n"
    )
    assert "DL401" not in _explained(matrix)
    # bad: the cpuonly command alone is what the reporter ran
    ran = "I have an RTX 4090\n$ conda install pytorch==1.9.1 torchvision==0.10.1 cpuonly -c pytorch\n"
    assert "DL401" in _explained(ran)


# -- DL401 from other programs' messages: an extension loader, torch._C, ONNX Runtime ---------
def test_dl401_extension_loader_names_a_cpu_torch() -> None:
    # xformers/_cpp_lib.py (https://github.com/invoke-ai/InvokeAI/issues/5065)
    text = (
        "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
        "    PyTorch 2.1.0+cu121 with CUDA 1201 (you have 2.1.0+cpu)\n"
        "    Python  3.10.11 (you have 3.10.6)\n"
    )
    f = _dl401(text)
    assert f.title == "torch 2.1.0+cpu is a CPU-only build but the GPU was wanted"
    fix = f.fixes[0]
    assert isinstance(fix, InstallPackages)
    assert fix.index_url == "https://download.pytorch.org/whl/cu121"
    # the same loader beside a CUDA torch of another version: a mismatch, not a CPU build
    other = text.replace("(you have 2.1.0+cpu)", "(you have 2.2.2+cu121)")
    assert "DL401" not in _explained(other)


def test_dl401_torch_c_lacks_its_cuda_functions() -> None:
    # https://github.com/IrisRainbowNeko/genshin_auto_fish/issues/62
    f = _dl401("AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'\n")
    assert f.severity == "error"
    assert f.title == "torch is a CPU-only build but the code uses CUDA"
    # an allocator stub a CPU build has too, or a non-CUDA attribute: no CPU build shown
    stub = "AttributeError: module 'torch._C' has no attribute '_cuda_isCurrentStreamCapturing'\n"
    assert "DL401" not in _explained(stub)


def test_dl401_onnxruntime_providers_without_cuda() -> None:
    listed = (
        ">>> ort.get_available_providers()\n['AzureExecutionProvider', 'CPUExecutionProvider']\n"
    )
    f = _dl401(listed)
    assert f.severity == "warning"
    assert f.fixes == [
        InstallPackages(
            packages=["onnxruntime-gpu"],
            uninstall=["onnxruntime", "onnxruntime-gpu"],
            reason="onnxruntime-gpu has the CUDA execution provider; with the CPU package beside "
            "it, the CPU one's files win",
        )
    ]
    # the code asked for the CUDA provider: the CPU package is the failure
    asked = (
        "UserWarning: Specified provider 'CUDAExecutionProvider' is not in available provider "
        "names.Available providers: 'AzureExecutionProvider, CPUExecutionProvider'\n"
    )
    assert _explained(asked).get("DL401") == "error"
    # onnxruntime-gpu's list names CUDA: no CPU package (the paste's GPU line keeps it readable)
    gpu = (
        "NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2\n"
        ">>> ort.get_available_providers()\n['TensorrtExecutionProvider', "
        "'CUDAExecutionProvider', 'AzureExecutionProvider', 'CPUExecutionProvider']\n"
    )
    assert "DL401" not in _explained(gpu)
    assert _explained(gpu.splitlines()[0] + "\n" + listed).get("DL401") == "warning"


def test_dl401_onnxruntimes_own_provider_list_without_cuda() -> None:
    """Naozumi520/g2pW-Cantonese#1: ONNX Runtime lists the providers it was compiled with;
    a list without CUDAExecutionProvider is the CPU package (DL401), one with it is not."""
    from dlenv.importers.explain import explain_text

    def dl401(providers: str) -> list[str]:
        text = (
            "UserWarning: Specified provider 'CUDAExecutionProvider' is not in available "
            f"provider names.Available providers: '{providers}'\n"
        )
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.message for f in found if f.code == "DL401"]

    [message] = dl401("AzureExecutionProvider, CPUExecutionProvider")
    assert "onnxruntime" in message
    assert dl401("TensorrtExecutionProvider, CUDAExecutionProvider, CPUExecutionProvider") == []


def test_dl401_torch_program_on_cpu_with_a_named_gpu_and_no_other_cause() -> None:
    # dsymbol/decipher#8: whisper's FP16 warning (its model sits on the CPU) with an RTX 3060
    found = _explained(
        "So I have a 3060 and when im using decipher im getting the error:  UserWarning: "
        "FP16 is not supported on CPU; using FP32 instead\n"
    )
    assert found == {"DL401": "warning"}
    # Lightning finding no GPU where a GeForce is named (munhouiani/Deep-Packet#4)
    assert "DL401" in _explained(
        "My card: GPU: GTX 1080 Ti\n"
        "pytorch_lightning.utilities.exceptions.MisconfigurationException: GPUs requested but "
        "none are available.\n"
    )
    # no GPU named: a laptop without one runs whisper on the CPU by design
    assert "DL401" not in _explained(
        "UserWarning: FP16 is not supported on CPU; using FP32 instead\n"
    )
    # a message naming another cause (the driver) beside it: not read as a CPU build
    assert "DL401" not in _explained(
        "I have a 3060.\nUserWarning: FP16 is not supported on CPU; using FP32 instead\n"
        "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old "
        "(found version 10010).\n"
    )


def test_dl401_torch_on_a_jetson_that_does_not_see_its_gpu() -> None:
    """Lmy0217/PyTorch-aarch64#3: "I successfully install the torch on my jetson nano (Jetpack
    4.4 [L4T 32.4.3]), but cuda.is_available() returns false": PyPI's and community aarch64
    wheels are CPU-only, NVIDIA's JetPack wheels are the fix. A Jetson whose torch sees the GPU,
    or a driver message beside it, says nothing of the build."""
    from dlenv.importers.explain import explain_text
    from tests.rules.snapshots import pasted_codes

    text = (
        "I successfully install the torch on my jetson nano(Jetpack 4.4 [L4T 32.4.3]),but "
        "cuda.is_available() returns false\n"
    )
    assert pasted_codes(text) == {"DL401": "warning"}
    f = next(
        f for f in explain_text(text, "paste", probe=False).report.findings if f.code == "DL401"
    )
    assert any("JetPack" in getattr(a, "text", "") for a in f.fixes)
    assert "DL401" not in pasted_codes("torch works on my Jetson Nano with JetPack 4.6\n")
    assert "DL401" not in pasted_codes(
        text + "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\n"
    )


def test_dl401_gpu_not_used_with_a_named_gpu_windows_or_conda() -> None:
    """ "No GPU is using ... Win10, GPU: 4070Ti" (D-Ogi/WatermarkRemover-AI#50), "I have a
    RTX3060 but I couldn't use cuda" (VoxelCubes/PanelCleaner#21), "有4080显卡，却只使用CPU"
    (QwenAudio/CosyVoice#687), conda-forge's torch without CUDA (vocalpy/vak#470): the bare
    complaint, with the GPU wanted and nothing else wrong, is probably a CPU build of torch, a
    warning whose first fix is the check that confirms it."""
    from tests.rules.snapshots import pasted_codes

    for text in (
        "No GPU is using for either GUI mode or CLI mode\n - OS: [Win10]\n - GPU: [4070Tui]\n",
        "I have a RTX3060 but I couldn't use cuda as the core text recognizer, please help.\n",
        "有4080显卡，却只使用CPU是怎么回事？GPU使用率一直是0%。\n",
        "The renderer is using my CPU instead of RTX 5090 on Windows 11.\n",
        "Installed with `conda create -n env vak -c conda-forge`\n>>> import torch\n"
        ">>> torch.cuda.is_available()\nFalse\n",
    ):
        assert pasted_codes(text) == {"DL401": "warning"}, text
    f = _dl401("I have a RTX3060 but I couldn't use cuda.\n")
    first = f.fixes[0]
    assert isinstance(first, ManualStep) and "torch.version.cuda" in first.commands[0]
    assert any(isinstance(a, InstallPackages) for a in f.fixes)


def test_dl401_gpu_not_used_needs_the_gpu_wanted_and_nothing_else_wrong() -> None:
    """The same complaint says nothing of the build where the paste gives no reason to want
    the GPU, shows torch seeing it, names a container (DL109's question), another framework, or
    a message another rule explains."""
    from tests.rules.snapshots import pasted_codes

    # no GPU, no Windows, no conda: nothing says the GPU was wanted
    assert "DL401" not in pasted_codes("For some reason it doesn't utilize my GPU.\n")
    # torch sees the GPU: the program's own choice (drorlab/atom3d#28's kind)
    assert "DL401" not in pasted_codes(
        "My RTX 3090 GPU is not used even though torch.cuda.is_available() returns True\n"
    )
    # a container: started without GPUs is the usual story
    assert "DL401" not in pasted_codes("My RTX 3090 GPU is not used inside the docker container.\n")
    # another framework named
    assert "DL401" not in pasted_codes("tensorflow doesn't use my GPU, an RTX 3060 on Linux.\n")
    # CUDA_VISIBLE_DEVICES set: which GPUs the process may see is the first question
    assert "DL401" not in pasted_codes(
        "CUDA_VISIBLE_DEVICES=2 python train.py\nMy RTX 3090 GPU is not used at all.\n"
    )
    # a driver message beside it
    assert "DL401" not in pasted_codes(
        "I have a RTX3060 but I couldn't use cuda.\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
    )


def test_dl401_the_reporter_says_the_install_brought_a_cpu_only_build() -> None:
    """deforum-art/stable-diffusion#132: "when installing pytorch it installs the cpu only
    version" beside torch's deserialize error is a CPU build (DL401); words that say the
    install brought the CUDA build instead say nothing."""
    paste = (
        "for some people when installing pytorch it installs the cpu only version, which makes "
        "people get the below error.\n"
        "RuntimeError: Attempting to deserialize object on a CUDA device but "
        "torch.cuda.is_available() is False.\n"
    )
    assert "DL401" in pasted_codes(paste)
    assert "DL401" not in pasted_codes(
        "for me installing pytorch pulls the CUDA version instead of the cpu only one.\n"
        "RuntimeError: Attempting to deserialize object on a CUDA device but "
        "torch.cuda.is_available() is False.\n"
    )


def test_dl401_the_reporter_says_the_cpu_onnxruntime_package_is_the_one_installed() -> None:
    # pythongosssss/ComfyUI-WD14-Tagger#23, dudarenok-maker/Castwright#829
    over = (
        "It seems installing `onnxruntime` on top of `onnxruntime-gpu` will strip the ability "
        "of ONNX runtime to use CUDA.\n"
    )
    f = _dl401(over)
    assert f.subject == "onnxruntime"
    assert f.severity == "warning"
    assert isinstance(f.fixes[0], InstallPackages)
    assert f.fixes[0].packages == ["onnxruntime-gpu"]
    plain = "Kokoro runs on CPU on a GPU box (venv has plain onnxruntime, not onnxruntime-gpu)\n"
    assert _explained(plain).get("DL401") == "warning"
    # the advice to install the GPU package states nothing about this environment
    advice = "pip install onnxruntime-gpu instead of onnxruntime\n"
    assert "DL401" not in _explained(advice)


def test_dl401_insightface_sessions_got_only_the_cpu_provider() -> None:
    # s0md3v/roop#128: every model's session applied the CPU provider, the reporter wants the GPU
    applied = (
        "how can I change to GPU mode instead of CPU\n"
        "Applied providers: ['CPUExecutionProvider'], with options: {'CPUExecutionProvider': {}}\n"
        "find model: C:\\Users\\me/.insightface\\models\\buffalo_l\\det_10g.onnx detection\n"
    )
    f = _dl401(applied)
    assert f.subject == "onnxruntime"
    assert "DL401" in _explained(applied)
    # onnxruntime-gpu's CUDA provider failing first: that failure is the cause, not the package
    failed = (
        "Failed to create CUDAExecutionProvider. Please reference "
        "https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html"
        "#requirements to ensure all dependencies are met.\n" + applied
    )
    found = [x for x in _findings(failed) if x.code == "DL401"]
    assert all(x.subject != "onnxruntime" for x in found)
    # the line alone, nobody asking for the GPU: nothing to report
    assert "DL401" not in _explained(applied.split("\n", 1)[1])


def test_dl401_an_install_that_took_torchs_cuda_away() -> None:
    # AIGODLIKE/ComfyUI-ToonCrafter#18: the node's install replaced torch with a build without CUDA
    said = (
        "Digs deep into torch and disables the pytorch cuda apparently, uninstalling and "
        "reinstalling everything as it goes.\n"
    )
    f = _dl401(said)
    assert f.subject == "torch"
    assert f.severity == "warning"
    driver = "NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2\n"
    assert "DL401" not in _explained(driver + "This node does not replace torch or break CUDA.\n")


def _findings(text: str):  # type: ignore[no-untyped-def]
    from dlenv.importers.explain import explain_text

    return explain_text(text, "paste", probe=False).report.findings


def test_dl401_dgls_cpu_build_asked_for_the_gpu() -> None:
    """THUDM/GraphMAE#9: DGL's "Device API gpu is not enabled. Please install the cuda version of
    dgl" is its CPU build asked for the GPU: DL401 with DGL's own wheel index, not TensorFlow's
    or torch's fix."""
    from dlenv.importers.explain import explain_text

    line = (
        "dgl._ffi.base.DGLError: [21:48:49] /opt/dgl/src/runtime/c_runtime_api.cc:88: Check "
        "failed: allow_missing: Device API gpu is not enabled. Please install the cuda version "
        "of dgl.\n"
    )
    [f] = [f for f in explain_text(line, "t", probe=False).report.findings if f.code == "DL401"]
    assert f.severity == "error" and f.title.startswith("dgl ")
    commands = [c for a in f.fixes for c in getattr(a, "commands", [])]
    assert any("data.dgl.ai/wheels" in c for c in commands)
    assert not any("tensorflow" in c for c in commands)


def test_dl401_chainer_without_cupy() -> None:
    """apple2373/chainer-simple-fast-rnn#3: `xp = cuda.cupy` fails with "'module' object has no
    attribute 'cupy'" when CuPy, Chainer's GPU backend, is not installed: DL401 for Chainer with
    CuPy's install, not torch's or TensorFlow's fix. Another missing attribute is no CPU build."""
    trace = (
        'Traceback (most recent call last):\n  File "forward.py", line 152, in <module>\n'
        "    xp = cuda.cupy\nAttributeError: 'module' object has no attribute 'cupy'\n"
    )
    f = _dl401(trace)
    assert f.title.startswith("chainer ") and f.severity == "error"
    commands = [c for a in f.fixes for c in getattr(a, "commands", [])]
    assert any("cupy-cuda" in c for c in commands)
    assert not any("torch" in c or "tensorflow" in c for c in commands)
    setup = (
        "RuntimeError: CUDA environment is not correctly set up (see "
        "https://github.com/chainer/chainer#installation).No module named 'cupy'\n"
    )
    assert _dl401(setup).title.startswith("chainer ")
    other = "I want to use the GPU.\nAttributeError: module 'numpy' has no attribute 'float'\n"
    assert "DL401" not in _explained(other + "NVIDIA-SMI 535.104.05   Driver Version: 535.104.05\n")


def test_dl401_an_install_that_pulls_tensorflow_over_tensorflow_gpu() -> None:
    """shenweichen/DeepCTR: "pip installation now installs tensorflow which overwrites
    tensorflow-gpu installation" (the package named tensorflow was the CPU build up to 2.0)."""
    said = (
        "pip installation now installs tensorflow which overwrites tensorflow-gpu installation. "
        "Please remove tensorflow from requirements.\n"
    )
    assert _dl401(said).subject == "tensorflow"
    assert "DL401" not in _explained(
        "I installed tensorflow-gpu which replaced tensorflow-gpu 1.14\n"
    )


def test_dl402_a_tensorflow_of_no_stated_version_dated_by_what_stands_beside_it() -> None:
    """rstudio/keras3: TensorFlow from R on Windows 11 lists no GPU, its version left out; the
    CUDA 12.6 and cuDNN 9 the reporter installed are what no native-Windows TensorFlow with GPU
    support uses (2.10 needs CUDA 11.2): DL402. The same paste on Linux, or with CUDA 11.2, or
    with TensorFlow seen using the GPU, is not DL402's."""
    said = (
        "tf$config$list_physical_devices('GPU') # But this returns an empty list\n\n"
        "- Windows 11\n- NVIDIA GeForce RTX 4080\n- Cuda 12.6.1 and cudnn 9.0 installed\n"
    )
    assert _explained(said).get("DL402") == "warning"
    assert "DL402" not in _explained(said.replace("Windows 11", "Ubuntu 22.04"))
    assert "DL402" not in _explained(said.replace("Cuda 12.6.1 and cudnn 9.0", "Cuda 11.2"))
    assert "DL402" not in _explained(said.replace("# But this returns an empty list", ""))


def test_dl401_a_cpu_build_by_the_version_the_reporter_quotes() -> None:
    """werner-duvaud/muzero-general: "the cuda availability check turns out to be 'False' as the
    torch version for this environment is '1.10.0cpu'": the version's cpu tag names the CPU
    build. A version with a CUDA tag, or the CPU named beside a plain version, does not."""
    said = (
        "How to train using GPU? torch.cuda.is_available() returns False, as the torch version "
        "for this environment is '1.10.0cpu'\n"
    )
    f = _dl401(said)
    assert f.subject == "torch" and "most likely" not in f.message  # stated, not inferred
    assert f.evidence[0].found == "cpu"
    assert "DL401" not in _explained(said.replace("1.10.0cpu", "1.10.0+cu113"))


def test_dl401_paddle_mxnet_xgboost_and_faiss_cpu_builds_asked_for_the_gpu() -> None:
    """Each framework's own words for its CPU build asked for the GPU: PaddlePaddle's "Cannot
    use GPU because you have installed CPU version PaddlePaddle", MXNet's "Compile with
    USE_CUDA=1 to enable GPU usage", XGBoost's "XGBoost version not compiled with GPU support",
    Faiss's GPU classes missing ("has no attribute 'StandardGpuResources'"):
    DL401 with that framework's own GPU package, not torch's."""
    lines = {
        "paddle": "E0714 16:34:40.972663 31948 pybind.cc:1277] Cannot use GPU because you have "
        "installed CPU version PaddlePaddle.\n",
        "mxnet": "mxnet.base.MXNetError: [11:28:30] src/storage/storage.cc:78: Compile with "
        "USE_CUDA=1 to enable GPU usage\n",
        "xgboost": "xgboost.core.XGBoostError: [07:02:59] /workspace/src/common/common.h:174: "
        "XGBoost version not compiled with GPU support.\n",
        # facebookresearch/deepcluster#56: faiss-cpu installed, a GPU index asked for
        "faiss": "AttributeError: 'module' object has no attribute 'StandardGpuResources'\n",
        # meta-pytorch/torchcodec#442: the default PyPI wheel of its early releases
        "torchcodec": '  File "/v/lib/python3.10/site-packages/torchcodec/decoders/_video_decoder.py"'
        ", line 96, in __init__\n    core.add_video_stream(\nRuntimeError: Unsupported device: "
        "cuda\n",
        # a +cpu torchvision beside a CUDA torch (ComfyUI-ReActor#118)
        "torchvision": "NotImplementedError: Could not run 'torchvision::nms' with arguments from "
        "the 'CUDA' backend.\n",
        # opencv/opencv-python#398: PyPI's wheels have no CUDA
        "opencv": "cv2.error: OpenCV(4.4.0) private.cuda.hpp:106: error: (-216:No CUDA support) "
        "The library is compiled without CUDA support in function 'throw_no_cuda'\n",
    }
    packages = {
        "paddle": "paddlepaddle-gpu",
        "mxnet": "mxnet-cu",
        "xgboost": "xgboost",
        "faiss": "faiss-gpu-cu12",
        "torchcodec": "torchcodec --index-url",
        "torchvision": "torch torchvision --index-url",
        "opencv": "WITH_CUDA=ON",
    }
    for name, line in lines.items():
        f = _dl401(line)
        assert f.title.startswith(f"{name} ") and f.severity == "error", name
        commands = " ".join(c for a in f.fixes for c in getattr(a, "commands", []))
        assert packages[name] in commands, name
        assert name.startswith("torch") or "install torch " not in commands, name


def test_dl401_torch_version_cuda_printed_as_none() -> None:
    """`print(torch.__version__, torch.version.cuda)` -> "2.0.1 None": the torch installed has
    no CUDA at all (DL401 with is_available() False beside it); a CUDA version printed there is
    a CUDA build (no DL401)."""
    text = (
        ">>> import torch\n>>> print(torch.__version__, torch.version.cuda)\n2.0.1 None\n"
        ">>> torch.cuda.is_available()\nFalse\n"
    )
    assert _dl401(text).subject == "torch"
    from dlenv.importers.explain import explain_text

    cuda = explain_text(text.replace("2.0.1 None", "2.0.1 11.8"), "p", probe=False).report
    assert "DL401" not in [f.code for f in cuda.findings]


def test_dl401_extension_build_parses_a_cpu_torchs_cuda_version() -> None:
    """xpandora/PhysGaussian (Windows 11): torch's extension builder says "No CUDA runtime is
    found, using CUDA_HOME=..." and its CUDA check then fails parsing torch.version.cuda (None)
    with packaging's "TypeError: expected string or bytes-like object": a CPU-only torch, with
    a toolkit installed to build CUDA kernels (the GPU was wanted)."""
    from tests.rules.snapshots import pasted_codes

    build = (
        "No CUDA runtime is found, using CUDA_HOME='C:\\Program Files\\NVIDIA GPU Computing "
        "Toolkit\\CUDA\\v11.8'\n...\n"
        '  File "C:\\env\\lib\\site-packages\\pkg_resources\\_vendor\\packaging\\version.py", line '
        "196, in __init__\n"
        "    match = self._regex.search(version)\n"
        "TypeError: expected string or bytes-like object\n"
    )
    assert pasted_codes(build).get("DL401") == "warning"
    # the CUDA_HOME line alone says only that torch saw no GPU (a `docker build`, say)
    assert "DL401" not in pasted_codes(build.split("...")[0])


def test_dl401_a_jetsons_torch_in_a_container_that_does_not_see_its_gpu() -> None:
    """NVIDIA-ISAAC-ROS/isaac_ros_common#29: torch 1.12.0 (PyPI's aarch64 wheel, CPU-only) in a
    container on an AGX Orin answers is_available() False; NVIDIA's l4t-pytorch image's torch
    (1.12.0a0+...nv22.3) sees the GPU. A Jetson's GPU is built in: the GPU was there."""
    from tests.rules.snapshots import pasted_codes

    paste = (
        "when I repeated the process on my agx orin, the container does not seem to have access "
        "to the gpu/cuda.\n>>> import torch\n>>> print(torch.__version__)\n1.12.0\n"
        ">>> torch.cuda.is_available()\nFalse\n"
    )
    assert "DL401" in pasted_codes(paste)
