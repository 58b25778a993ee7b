"""Raw facts from a live-probe child -> LiveProbe, including GPU-machine shapes this CPU-only
test machine cannot produce for real. Log lines are quoted from public reports (URLs inline)."""

from __future__ import annotations

from dlenv.live.interpret import (
    LATE_GROWTH,
    MissingLibrary,
    import_error_details,
    jax_probe,
    keras_probe,
    loaded_libraries,
    parse_tf_log,
    tensorflow_probe,
    tf_memory_growth,
    to_probe,
    torch_probe,
    torch_unavailable_reason,
)
from dlenv.snapshot.model import LiveDevice, LiveProbe, LoadedLibrary

# https://github.com/JdeRobot/BehaviorMetrics/issues/385
TF_MISSING_LOG = """\
2022-07-10 15:08:09.276131: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/nvidia/lib64
2022-07-10 15:08:09.276917: W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above are installed properly if you would like to use GPU. Follow the guide at https://www.tensorflow.org/install/gpu for how to download and setup the required libraries for your platform.
Skipping registering GPU devices...
"""
# https://github.com/NVIDIA/tensorflow/issues/110
TF_OPENED_LOG = """\
2024-06-19 16:06:44.995157: I tensorflow/stream_executor/platform/default/dso_loader.cc:49] Successfully opened dynamic library libcudart.so.11.0
2024-06-19 16:06:44.996032: W tensorflow/stream_executor/platform/default/dso_loader.cc:60] Could not load dynamic library 'libcusolver.so.11'; dlerror: libnvJitLink.so.12: cannot open shared object file: No such file or directory
"""


def test_parse_tf_log_missing_libraries_and_dlopen() -> None:
    log = parse_tf_log(TF_MISSING_LOG)
    assert log.missing == [
        MissingLibrary(
            file="libcudnn.so.8",
            library="cudnn",
            version="8",
            reason="libcudnn.so.8: cannot open shared object file: No such file or directory",
            ld_library_path="/usr/local/nvidia/lib64",
        )
    ]
    assert log.cannot_dlopen is True
    assert log.messages == [
        "Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open "
        "shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/nvidia/lib64",
        "Cannot dlopen some GPU libraries; skipping registering GPU devices",
    ]


def test_parse_tf_log_dependency_of_a_library_and_successes() -> None:
    log = parse_tf_log(TF_OPENED_LOG)
    assert log.opened == ["libcudart.so.11.0"]
    assert [(m.file, m.version, m.reason) for m in log.missing] == [
        (
            "libcusolver.so.11",
            "11",
            "libnvJitLink.so.12: cannot open shared object file: No such file or directory",
        )
    ]
    assert log.cannot_dlopen is False


def test_parse_tf_log_driver_cuinit_and_cudnn_mismatch() -> None:
    log = parse_tf_log(
        "I0000 00:00:1.0 123 cuda_executor.cc:1015] Could not find cuda drivers on your machine, "
        "GPU will not be used.\n"
        "E external/local_xla/xla/stream_executor/cuda/cuda_driver.cc:282] failed call to cuInit:"
        " CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
        # https://github.com/tensorflow/tensorflow/issues/60913
        "E0000 00:00:1738697930.202924    7665 cuda_dnn.cc:522] Loaded runtime CuDNN library: "
        "9.1.0 but source was compiled with: 9.3.0.  CuDNN library needs to have matching major "
        "version and equal or higher minor version.\n"
        "I0000 port.cc:153] oneDNN custom operations are on.\n"
    )
    assert log.no_cuda_driver is True
    assert log.cuinit_error == "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected"
    assert log.cudnn_mismatch == ("9.1.0", "9.3.0")
    assert len(log.messages) == 3


def test_parse_tf_log_cudnn_mismatch_tf1_wording() -> None:
    # https://github.com/tensorflow/tensorflow/issues/3922
    log = parse_tf_log(
        "E tensorflow/stream_executor/cuda/cuda_dnn.cc:347] Loaded runtime CuDNN library: 5103 "
        "(compatibility version 5100) but source was compiled with 4007 (compatibility version "
        "4000).  If using a binary install, upgrade your CuDNN library to match."
    )
    assert log.cudnn_mismatch == ("5103", "4007")


def test_parse_tf_log_of_a_cpu_build_is_empty() -> None:
    log = parse_tf_log(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795400777.067640    8825 port.cc:153] oneDNN custom operations are on.\n"
    )
    assert (log.missing, log.messages, log.cannot_dlopen, log.no_cuda_driver) == (
        [],
        [],
        False,
        False,
    )


def test_loaded_libraries_names_and_versions() -> None:
    paths = [
        "/usr/local/cuda-12.4/lib64/libcudart.so.12.4.127",
        "/venv/lib/python3.11/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
        "/venv/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12",
        "/venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
        "/venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn_ops.so.9",
        "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
        "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15",
        "/venv/lib/python3.11/site-packages/nvidia/nccl/lib/libnccl.so.2",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    ]
    assert loaded_libraries(paths) == [
        LoadedLibrary("cudart", paths[0], "12.4.127"),
        LoadedLibrary("cublasLt", paths[1], "12"),
        LoadedLibrary("cublas", paths[2], "12"),
        LoadedLibrary("cudnn", paths[3], "9"),
        LoadedLibrary("cudnn_ops", paths[4], "9"),
        LoadedLibrary("cuda", paths[5], "550.54.15"),
        LoadedLibrary("nvidia-ml", paths[6], "550.54.15"),
        LoadedLibrary("nccl", paths[7], "2"),
    ]


def test_import_error_details() -> None:
    assert import_error_details(
        "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory"
    ) == {"missing_library": "libcudnn.so.9"}
    assert import_error_details(
        "ImportError: /venv/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister"
    ) == {"undefined_symbol": "ncclCommRegister"}
    assert import_error_details("ModuleNotFoundError: No module named 'torch'") == {}


# -- torch ---------------------------------------------------------------------------------
TOO_OLD = (
    "CUDA initialization: The NVIDIA driver on your system is too old (found version 11000). "
    "Please update your GPU driver by downloading and installing a new version from the URL: "
    "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to "
    "install a PyTorch version that has been compiled with your version of the CUDA driver. "
    "(Triggered internally at ../c10/cuda/CUDAFunctions.cpp:108.)"
)


def test_torch_reason_cpu_build() -> None:
    raw = {"version": "2.13.0+cpu", "cuda_built": False, "is_available": False}
    assert torch_unavailable_reason(raw, {}) == (
        "torch 2.13.0+cpu is a CPU-only build (torch.version.cuda is None)"
    )


def test_torch_reason_is_the_runtime_warning() -> None:
    raw = {"version": "2.5.1+cu124", "cuda_built": True, "is_available": False}
    reason = torch_unavailable_reason(raw, {"warnings": [TOO_OLD]})
    assert reason == TOO_OLD.removeprefix("CUDA initialization: ").removesuffix(
        " (Triggered internally at ../c10/cuda/CUDAFunctions.cpp:108.)"
    )


def test_torch_reason_from_explicit_init_error() -> None:
    raw = {"version": "2.5.1+cu124", "cuda_built": True, "is_available": False}
    result = {
        "errors": {
            "init": "RuntimeError: Found no NVIDIA driver on your system. Please check that you "
            "have an NVIDIA GPU and installed a driver from "
            "http://www.nvidia.com/Download/index.aspx"
        }
    }
    assert torch_unavailable_reason(raw, result) == (
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and "
        "installed a driver from http://www.nvidia.com/Download/index.aspx"
    )


def test_torch_probe_on_a_gpu_machine() -> None:
    result = {
        "status": "ok",
        "import_s": 1.2,
        "total_s": 2.5,
        "raw": {
            "version": "2.5.1+cu124",
            "cuda_version": "12.4",
            "cuda_built": True,
            "is_available": True,
            "device_count": 2,
            "cudnn_version": 90100,
            "arch_list": ["sm_80", "sm_90"],
            "nccl_version": "2.21.5",
            "distributed": {"nccl": True, "gloo": True, "mpi": False},
            "env": {"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"},
            "cpu_compute_ok": True,
            "allocator_backend": "native",
            "devices": [
                {
                    "index": 0,
                    "name": "NVIDIA A100",
                    "capability": "8.0",
                    "memory": 42949672960,
                    "compute_ok": True,
                },
                {
                    "index": 1,
                    "name": "NVIDIA A100",
                    "capability": "8.0",
                    "memory": 42949672960,
                    "compute_ok": False,
                },
            ],
        },
        "libraries": ["/venv/nvidia/cudnn/lib/libcudnn.so.9"],
    }
    assert torch_probe(result) == LiveProbe(
        framework="torch",
        status="ok",
        version="2.5.1+cu124",
        gpu_available=True,
        devices=[
            LiveDevice(0, "NVIDIA A100", "gpu", "8.0", 42949672960),
            LiveDevice(1, "NVIDIA A100", "gpu", "8.0", 42949672960),
        ],
        cuda_version="12.4",
        cudnn_version="9.1.0",
        arch_list=["sm_80", "sm_90"],
        compute_ok=False,
        loaded_libraries=[LoadedLibrary("cudnn", "/venv/nvidia/cudnn/lib/libcudnn.so.9", "9")],
        details={
            "cpu_compute_ok": "true",
            "nccl_version": "2.21.5",
            "distributed_backends": "nccl,gloo",
            "allocator_backend": "native",
            "env.PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        },
        import_s=1.2,
        total_s=2.5,
    )


def test_torch_cudnn_v8_number() -> None:
    probe = torch_probe({"status": "ok", "raw": {"cudnn_version": 8902, "cuda_built": True}})
    assert probe.cudnn_version == "8.9.2"


# -- tensorflow ----------------------------------------------------------------------------
def test_memory_growth_no_gpu() -> None:
    assert tf_memory_growth({}, None) == (
        {},
        {
            "memory_growth.env": "unset",
            "memory_growth.check": "no GPU: nothing to set memory growth on",
        },
        [],
    )


def test_memory_growth_settable_before_and_refused_after() -> None:
    growth = {
        "GPU:0": {
            "configured": False,
            "set_before_init": "ok",
            "set_after_init": f"RuntimeError: {LATE_GROWTH}",
        }
    }
    assert tf_memory_growth(growth, None) == (
        {"GPU:0": "false"},
        {
            "memory_growth.env": "unset",
            "memory_growth.GPU:0.before_init": "settable",
            "memory_growth.GPU:0.after_init": "refused (as expected)",
        },
        [],
    )
    assert tf_memory_growth(growth, "true")[0] == {"GPU:0": "true"}
    # "false" overrides what code configured; only the exact words count
    assert tf_memory_growth({"GPU:0": {**growth["GPU:0"], "configured": True}}, "false")[0] == {
        "GPU:0": "false"
    }
    memory, _, messages = tf_memory_growth(growth, "True")
    assert memory == {"GPU:0": "false"}
    assert messages == [
        "TF_FORCE_GPU_ALLOW_GROWTH='True' is ignored: TensorFlow accepts only 'true' or 'false'"
    ]


def test_memory_growth_refused_before_init_is_reported_clearly() -> None:
    growth = {
        "GPU:0": {
            "configured": False,
            "set_before_init": f"RuntimeError: {LATE_GROWTH}",
            "set_after_init": f"RuntimeError: {LATE_GROWTH}",
        }
    }
    memory, details, messages = tf_memory_growth(growth, None)
    assert memory == {"GPU:0": "false"}
    assert details["memory_growth.GPU:0.before_init"] == f"refused: RuntimeError: {LATE_GROWTH}"
    assert messages == [
        f"GPU:0: set_memory_growth refused before any computation: '{LATE_GROWTH}' - something "
        "initialised the GPU already"
    ]


def test_tensorflow_probe_gpu_skipped_for_missing_library() -> None:
    result = {
        "status": "ok",
        "raw": {
            "version": "2.15.0",
            "built_with_cuda": True,
            "build_info": {
                "is_cuda_build": True,
                "cuda_version": "12.2",
                "cudnn_version": "8",
                "cuda_compute_capabilities": ["sm_50", "sm_80", "compute_90"],
            },
            "env": {"TF_FORCE_GPU_ALLOW_GROWTH": None, "TF_CPP_MIN_LOG_LEVEL": "3"},
            "physical_devices": ["CPU:/physical_device:CPU:0"],
            "cpu_compute_ok": True,
            "devices": [],
            "memory_growth": {},
        },
    }
    probe = tensorflow_probe(result, TF_MISSING_LOG)
    assert probe.gpu_available is False
    assert probe.gpu_unavailable_reason == (
        "cannot load GPU libraries: libcudnn.so.8; skipping registering GPU devices"
    )
    assert probe.cuda_version == "12.2"
    assert probe.arch_list == ["sm_50", "sm_80", "compute_90"]
    assert probe.details["missing_library.cudnn"] == "libcudnn.so.8"
    assert probe.details["env.TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert (
        probe.messages[-1] == "Cannot dlopen some GPU libraries; skipping registering GPU devices"
    )


def test_tensorflow_probe_with_gpus() -> None:
    result = {
        "status": "ok",
        "raw": {
            "version": "2.16.1",
            "built_with_cuda": True,
            "build_info": {"cuda_version": "12.3"},
            "env": {"TF_FORCE_GPU_ALLOW_GROWTH": "true"},
            "physical_devices": ["CPU:/physical_device:CPU:0", "GPU:/physical_device:GPU:0"],
            "devices": [{"index": 0, "name": "NVIDIA L4", "capability": "8.9", "compute_ok": True}],
            "memory_growth": {
                "GPU:0": {
                    "configured": False,
                    "set_before_init": "ok",
                    "set_after_init": f"RuntimeError: {LATE_GROWTH}",
                }
            },
        },
    }
    probe = tensorflow_probe(result, "")
    assert (probe.gpu_available, probe.gpu_unavailable_reason, probe.compute_ok) == (
        True,
        None,
        True,
    )
    assert probe.devices == [LiveDevice(0, "NVIDIA L4", "gpu", "8.9")]
    assert probe.memory_growth == {"GPU:0": "true"}


# -- keras, jax, failures ------------------------------------------------------------------
def test_keras_probe_tf_keras_and_side_effects() -> None:
    result = {
        "status": "ok",
        "process": ["tensorflow", "keras"],
        "raw": {
            "version": "3.3.3",
            "backend": "jax",
            "backend_version": "0.4.28",
            "env_changed": {"TF_FORCE_GPU_ALLOW_GROWTH": "true"},
            "tf_keras": {
                "module": "tf_keras.src.engine.training",
                "version": "2.16.0",
                "package": "tf_keras",
            },
            "train_step": {"loss": 0.5, "finite": True, "device": "cuda:0"},
        },
    }
    probe = keras_probe(result)
    assert probe.details == {
        "backend": "jax",
        "backend_version": "0.4.28",
        "tf.keras": "Keras 2 (tf-keras 2.16.0)",
        "train_step": "ok",
        "train_step.loss": "0.5",
        "train_step.device": "cuda:0",
        "process": "shared with tensorflow (imported once)",
        "sets_env.TF_FORCE_GPU_ALLOW_GROWTH": "true",
    }
    assert (probe.gpu_available, probe.compute_ok) == (True, True)


def test_jax_probe_defaults_and_gpu() -> None:
    result = {
        "status": "ok",
        "raw": {
            "version": "0.4.30",
            "backend": "gpu",
            "env": {"XLA_PYTHON_CLIENT_PREALLOCATE": None},
            "devices": [{"index": 0, "platform": "gpu", "name": "NVIDIA H100", "compute_ok": True}],
        },
    }
    probe = jax_probe(result)
    assert probe.devices == [LiveDevice(0, "NVIDIA H100", "gpu")]
    assert probe.details == {
        "backend": "gpu",
        "memory.preallocate": "true",
        "memory.fraction": "0.75",
    }
    cpu = jax_probe(
        {
            "status": "ok",
            "raw": {
                "backend": "cpu",
                "devices": [{"index": 0, "platform": "cpu", "name": "cpu", "compute_ok": True}],
                "gpu_backend_error": "Unknown backend: 'gpu' requested, but no platforms that are "
                "instances of gpu are present.",
            },
        }
    )
    assert (cpu.gpu_available, cpu.gpu_unavailable_reason) == (
        False,
        "Unknown backend: 'gpu' requested, but no platforms that are instances of gpu are present.",
    )


def test_import_error_result() -> None:
    probe = to_probe(
        "torch",
        {
            "status": "import-error",
            "import_s": 0.3,
            "total_s": 0.31,
            "error": "ImportError: libcudnn.so.9: cannot open shared object file: No such file or "
            "directory",
            "raw": {},
        },
        "",
    )
    assert probe == LiveProbe(
        framework="torch",
        status="import-error",
        error="ImportError: libcudnn.so.9: cannot open shared object file: No such file or "
        "directory",
        details={"missing_library": "libcudnn.so.9"},
        import_s=0.3,
        total_s=0.31,
    )
