"""GPU runtimes beyond torch/TensorFlow read from pasted reports: ONNX Runtime builds without the
CUDA provider (native APIs, bundled libraries), CuPy's NVRTC of its wheel's CUDA major, the GPU
asked for on a command line beside a CPU torch, llama.cpp's BLAS = 0 in the reporter's words."""

from __future__ import annotations

from dlenv.errors import DlenvError
from dlenv.fix.actions import ManualStep
from dlenv.importers.explain import explain_text
from dlenv.rules.findings import Finding


def _findings(text: str) -> list[Finding]:
    """The findings on a paste; a paste in which nothing is recognised has none."""
    try:
        return list(explain_text(text, "paste", probe=False).report.findings)
    except DlenvError as e:
        assert "nothing recognised" in str(e)
        return []


def _codes(text: str) -> dict[str, str]:
    return {f.code: f.severity for f in _findings(text)}


def test_dl401_an_ort_library_built_without_the_cuda_provider() -> None:
    text = (
        "WARN apply_execution_providers: ort::execution_providers: An error occurred when "
        "attempting to register `CUDAExecutionProvider`: CUDA execution provider is not enabled "
        "in this build.\n"
        "WARN apply_execution_providers: No execution providers registered successfully. "
        "Falling back to CPU.\n"
    )
    found = next(f for f in _findings(text) if f.code == "DL401")
    assert found.severity == "error"  # the code asked for CUDA and the library lacks it
    assert found.subject == "onnxruntime"
    steps = [a for a in found.fixes if isinstance(a, ManualStep)]
    assert steps and any("Microsoft.ML.OnnxRuntime.Gpu" in c for c in steps[0].commands)


def test_dl401_an_application_that_bundles_a_cpu_only_ort() -> None:
    text = (
        "/project/sherpa-onnx/csrc/session.cc:GetSessionOptionsImpl:167\n"
        "Please compile with -DSHERPA_ONNX_ENABLE_GPU=ON. Available providers: "
        "CPUExecutionProvider, .\nFallback to cpu!\n"
    )
    assert _codes(text).get("DL401") == "error"


def test_dl401_not_for_other_providers_or_a_gpu_package_that_failed_to_load() -> None:
    # DirectML missing from a build, TensorRT missing from a CUDA build: not a CPU build
    assert "DL401" not in _codes(
        "Please compile with -DSHERPA_ONNX_ENABLE_DIRECTML=ON. Available providers: "
        "CPUExecutionProvider, .\n"
    )
    assert "DL401" not in _codes("TensorRT execution provider is not enabled in this build.\n")
    # onnxruntime-gpu whose provider library did not load: its libraries, not its build
    codes = _codes(
        "[W:onnxruntime:Default, onnxruntime_pybind_state.cc:965 CreateExecutionProviderInstance]"
        " Failed to create CUDAExecutionProvider. Require cuDNN 9.* and CUDA 12.*. Please install"
        " all dependencies as mentioned in the GPU requirements page.\n"
    )
    assert "DL401" not in codes and "DL201" in codes


_YOLO = (
    "track: yolo_weights=[WindowsPath('yolov8x.pt')], source=0, imgsz=[640, 640], "
    "device={device}, show_vid=False\n"
    "Ultralytics YOLOv8.0.88  Python-3.9.16 torch-2.0.0+cpu\n"
)


def test_dl401_a_cuda_device_on_the_command_line_beside_a_cpu_torch() -> None:
    bad = _codes(_YOLO.format(device="0"))
    assert bad.get("DL401") == "warning"  # reasoned from the config: a likelihood
    assert "DL401" in _codes(
        "python train.py --device cuda:0\nUltralytics YOLOv8.0.88  Python-3.9.16 torch-2.0.0+cpu\n"
    )


def test_dl401_not_when_the_cpu_was_asked_for_or_torch_is_a_cuda_build() -> None:
    assert "DL401" not in _codes(_YOLO.format(device="cpu"))
    cuda_torch = _YOLO.format(device="0").replace("torch-2.0.0+cpu", "torch-2.0.0+cu118")
    assert "DL401" not in _codes(cuda_torch)


def test_dl201_cupy_cannot_load_the_nvrtc_of_its_wheels_cuda_major() -> None:
    for text, dll in (
        (
            "CuPy failed to load nvrtc64_112_0.dll: FileNotFoundError: Could not find module "
            "'nvrtc64_112_0.dll' (or one of its dependencies). Try using the full path with "
            "constructor syntax.\n",
            "nvrtc64_112_0.dll",
        ),
        (
            "RuntimeError: CuPy failed to load libnvrtc.so.12: OSError: libnvrtc.so.12: cannot "
            "open shared object file: No such file or directory\n",
            "libnvrtc.so.12",
        ),
    ):
        found = [f for f in _findings(text) if f.code == "DL201"]
        assert found and dll in found[0].title, text
        assert "DL901" not in _codes(text)


def test_cupy_healthy_lines_give_no_finding() -> None:
    text = "CuPy Version                 : 13.0.0\nCUDA Root                    : /usr/local/cuda\n"
    assert not any(sev == "error" for sev in _codes(text).values())


def test_dl401_llama_cpp_blas_0_in_the_reporters_words() -> None:
    text = (
        "GPU not utilized with standard llama-cpp-python\n"
        "When using loading the llava models, you can see that BLAS = 0 in the information "
        "printed in the console.\n"
    )
    assert "DL401" in _codes(text)
    assert "DL401" not in _codes("After the rebuild you can see that BLAS = 1 in the console.\n")


_SILENT = (
    "`install-ort.mjs` runs `pip install --force-reinstall --no-deps onnxruntime-gpu==1.26.0`.\n"
    "The provider appears available to `onnxruntime.get_available_providers()` but session "
    "construction silently falls back to `CPUExecutionProvider`, with no error.\n"
)


def test_dl201_a_stated_gpu_runtime_said_to_run_on_the_cpu() -> None:
    found = [f for f in _findings(_SILENT) if f.code == "DL201"]
    assert found and found[0].severity == "warning"  # reasoned from context
    assert "cuDNN 9" in found[0].title
    assert found[0].hint and "log" in found[0].hint  # the check that confirms it


def test_dl201_not_when_the_paste_shows_the_majors_present_or_another_one() -> None:
    both = _SILENT + "CUDA 12.4 and cuDNN 9.1 are installed.\n"
    assert "DL201" not in _codes(both)
    # without the reporter saying it runs on the CPU: a release stated is no failure
    assert "DL201" not in _codes("pip install onnxruntime-gpu==1.26.0\n")


def test_dl202_cupy_for_cuda_11_on_a_machine_with_cuda_12_only() -> None:
    # cupy-cuda11x asks for CUDA 11.2+'s NVRTC (one soname for 11.2-11.8, the KB's sonames);
    # the reporter has CUDA 12 only: the wheel of the other major, not a path problem
    for missing in (
        "RuntimeError: CuPy failed to load libnvrtc.so.11.2: OSError: libnvrtc.so.11.2: cannot "
        "open shared object file: No such file or directory\n",
        "CuPy failed to load nvrtc64_112_0.dll: FileNotFoundError: Could not find module "
        "'nvrtc64_112_0.dll' (or one of its dependencies).\n",
    ):
        codes = _codes(missing + "I have CUDA 12.1 installed.\n")
        assert "DL202" in codes and "DL201" not in codes, missing
        # the same major shown: a path problem, DL201
        same = _codes(missing + "I have CUDA 11.8 installed.\n")
        assert "DL201" in same and "DL202" not in same, missing
