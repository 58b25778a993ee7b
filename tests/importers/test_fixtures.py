"""Every fixture paste -> the exact facts, parts and known messages it yields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlenv.importers import decode, import_text
from tests.importers.facts import flat_facts

DATA = Path(__file__).parent / "data"

EXPECTED: dict[str, dict[str, Any]] = {
    "collect_env_driver_too_old.txt": {
        "origin": "collect_env+text",
        "parts": [("collect_env", 12, 49), ("messages", 1, 51)],
        "messages": [("torch-driver-too-old", 1, False, "torch")],
        "facts": {
            "python.run_line": "/home/ana/venv/lib/python3.10/site-packages/torch/cuda/__init__.py:138: UserWarning",
            "host.os": "Linux",
            "host.distro": "Ubuntu",
            "host.distro_version": "20.04.6",
            "host.kernel": "5.4.0-169-generic",
            "host.arch": "x86_64",
            "host.cpu_model": "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz",
            "host.glibc_version": "2.31",
            "driver.installed": True,
            "driver.version": "470.223.02",
            "driver.cuda_version": "11.4",
            "driver.userspace_version": "470.223.02",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "470.223.02",
            "gpus[0].index": 0,
            "gpus[0].name": "Tesla V100-SXM2-32GB",
            "gpus[1].index": 1,
            "gpus[1].name": "Tesla V100-SXM2-32GB",
            "cuda.toolkits[0].path": "(nvcc on PATH)",
            "cuda.toolkits[0].version": "11.4.152",
            "cuda.toolkits[0].version_source": "collect_env (nvcc --version)",
            "cuda.toolkits[0].kind": "system",
            "cuda.toolkits[0].found_by": ["PATH (nvcc)"],
            "cuda.toolkits[0].nvcc_version": "11.4.152",
            "cuda.pip_packages[0].name": "nvidia-cudnn-cu12",
            "cuda.pip_packages[0].version": "8.9.2.26",
            "cuda.pip_packages[0].location": "(pasted report)",
            "python.version": "3.10.13",
            "python.platform": "linux",
            "python.distributions[0].name": "numpy",
            "python.distributions[0].version": "1.26.3",
            "python.distributions[0].location": "(pasted report)",
            "python.distributions[0].installer": "pip",
            "python.distributions[1].name": "nvidia-cudnn-cu12",
            "python.distributions[1].version": "8.9.2.26",
            "python.distributions[1].location": "(pasted report)",
            "python.distributions[1].installer": "pip",
            "python.distributions[2].name": "torch",
            "python.distributions[2].version": "2.1.2",
            "python.distributions[2].location": "(pasted report)",
            "python.distributions[2].installer": "pip",
            "python.distributions[3].name": "triton",
            "python.distributions[3].version": "2.1.0",
            "python.distributions[3].location": "(pasted report)",
            "python.distributions[3].installer": "pip",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "2.1.2+cu121",
            "frameworks[0].cuda_build": True,
            "frameworks[0].cuda_version": "12.1",
            "frameworks[0].variant": "cu121",
            "frameworks[0].build_source": "collect_env",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].version": "2.1.2+cu121",
            "live[0].gpu_available": False,
            "live[0].cuda_version": "12.1",
            "live[0].messages": [
                "/home/ana/venv/lib/python3.10/site-packages/torch/cuda/__init__.py:138: "
                "UserWarning: CUDA initialization: The NVIDIA driver on your "
                "system is too old (found version 11040). Please update your GPU "
                "driver by downloading and installing a new version from the "
                "URL: http://www.nvidia.com/Download/index.aspx Alternatively, "
                "go to: https://pytorch.org to install a PyTorch version that "
                "has been compiled wit"
            ],
            "live[0].details.driver_too_old": "/home/ana/venv/lib/python3.10/site-packages/"
            "torch/cuda/__init__.py:138: UserWarning: CUDA initialization: The NVIDIA driver on "
            "your system is too old (found version 11040). Please update your GPU driver by "
            "downloading and installing a new version from the URL: "
            "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org "
            "to install a PyTorch version that has been compiled wit",
        },
    },
    "collect_env_old_quoted_crlf.txt": {
        "origin": "collect_env",
        "parts": [("collect_env", 1, 21)],
        "messages": [],
        "facts": {
            "host.os": "Linux",
            "host.distro": "Ubuntu",
            "host.distro_version": "18.04.4",
            "driver.installed": True,
            "driver.version": "418.87.00",
            "driver.userspace_version": "418.87.00",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "418.87.00",
            "gpus[0].index": 0,
            "gpus[0].name": "GeForce RTX 2080 Ti",
            "cuda.toolkits[0].path": "(nvcc on PATH)",
            "cuda.toolkits[0].version": "10.1.105",
            "cuda.toolkits[0].version_source": "collect_env (nvcc --version)",
            "cuda.toolkits[0].kind": "system",
            "cuda.toolkits[0].found_by": ["PATH (nvcc)"],
            "cuda.toolkits[0].nvcc_version": "10.1.105",
            "cuda.cudnn[0].path": "/usr/lib/x86_64-linux-gnu",
            "cuda.cudnn[0].version": "7.6.5",
            "cuda.cudnn[0].major": 7,
            "cuda.cudnn[0].kind": "system",
            "cuda.cudnn[0].libraries": ["libcudnn.so.7.6.5"],
            "cuda.cudnn[0].version_source": "file name",
            "cuda.cudnn[1].path": "/usr/local/cuda-10.1/targets/x86_64-linux/lib",
            "cuda.cudnn[1].version": "7.6.5",
            "cuda.cudnn[1].major": 7,
            "cuda.cudnn[1].kind": "system",
            "cuda.cudnn[1].libraries": ["libcudnn.so.7.6.5"],
            "cuda.cudnn[1].version_source": "file name",
            "python.version": "3.7",
            "python.distributions[0].name": "numpy",
            "python.distributions[0].version": "1.19.1",
            "python.distributions[0].location": "(pasted report)",
            "python.distributions[0].installer": "pip",
            "python.distributions[1].name": "torch",
            "python.distributions[1].version": "1.3.1",
            "python.distributions[1].location": "(pasted report)",
            "python.distributions[1].installer": "pip",
            "python.distributions[2].name": "torchvision",
            "python.distributions[2].version": "0.4.2",
            "python.distributions[2].location": "(pasted report)",
            "python.distributions[2].installer": "pip",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "1.3.1",
            "frameworks[0].cuda_build": True,
            "frameworks[0].cuda_version": "10.1",
            "frameworks[0].build_source": "collect_env",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].version": "1.3.1",
            "live[0].gpu_available": False,
            "live[0].cuda_version": "10.1.243",
        },
    },
    "collect_env_windows_cpu_build.txt": {
        "origin": "collect_env+text",
        "parts": [("collect_env", 4, 42), ("messages", 1, 43)],
        "messages": [("torch-cuda-unavailable-stated", 1, False, "torch")],
        "facts": {
            "host.os": "Windows",
            "host.distro": "Microsoft Windows 11 Home",
            "host.cpu_model": "11th Gen Intel(R) Core(TM) i7-11800H @ 2.30GHz",
            "driver.installed": True,
            "driver.version": "537.58",
            "driver.userspace_version": "537.58",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "537.58",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 3060 Laptop GPU",
            "cuda.toolkits[0].path": "(nvcc on PATH)",
            "cuda.toolkits[0].version": "12.1.105",
            "cuda.toolkits[0].version_source": "collect_env (nvcc --version)",
            "cuda.toolkits[0].kind": "system",
            "cuda.toolkits[0].found_by": ["PATH (nvcc)"],
            "cuda.toolkits[0].nvcc_version": "12.1.105",
            "python.version": "3.11.5",
            "python.kind": "conda",
            "python.platform": "win32",
            "python.distributions[0].name": "numpy",
            "python.distributions[0].version": "1.26.0",
            "python.distributions[0].location": "(pasted report)",
            "python.distributions[0].installer": "pip",
            "python.distributions[1].name": "torch",
            "python.distributions[1].version": "2.1.0",
            "python.distributions[1].location": "(pasted report)",
            "python.distributions[1].installer": "pip",
            "python.distributions[2].name": "torchvision",
            "python.distributions[2].version": "0.16.0",
            "python.distributions[2].location": "(pasted report)",
            "python.distributions[2].installer": "pip",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "2.1.0+cpu",
            "frameworks[0].cuda_build": False,
            "frameworks[0].variant": "cpu",
            "frameworks[0].build_source": "collect_env",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].version": "2.1.0+cpu",
            "live[0].gpu_available": False,
        },
    },
    "collect_env_wsl_healthy.txt": {
        "origin": "collect_env",
        "parts": [("collect_env", 1, 22)],
        "messages": [],
        "facts": {
            "host.os": "Linux",
            "host.distro": "Ubuntu",
            "host.distro_version": "22.04.4",
            "host.kernel": "5.15.153.1-microsoft-standard-WSL2",
            "host.arch": "x86_64",
            "host.wsl": 2,
            "host.glibc_version": "2.35",
            "driver.installed": True,
            "driver.version": "552.22",
            "driver.userspace_version": "552.22",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "552.22",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 4070 Ti",
            "python.version": "3.10.12",
            "python.platform": "linux",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "2.3.1+cu121",
            "frameworks[0].cuda_build": True,
            "frameworks[0].cuda_version": "12.1",
            "frameworks[0].variant": "cu121",
            "frameworks[0].build_source": "collect_env",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].version": "2.3.1+cu121",
            "live[0].gpu_available": True,
            "live[0].cuda_version": "12.1",
            "live[0].details.CUDA_MODULE_LOADING": "LAZY",
        },
    },
    "jax_cpu_fallback.txt": {
        "origin": "text",
        "parts": [("package-list", 2, 3), ("messages", 1, 6)],
        "messages": [("jax-cpu-only-jaxlib", 1, False, "jax")],
        "facts": {
            "python.distributions[0].name": "jax",
            "python.distributions[0].version": "0.4.23",
            "python.distributions[0].location": "(pasted report)",
            "python.distributions[1].name": "jaxlib",
            "python.distributions[1].version": "0.4.23",
            "python.distributions[1].location": "(pasted report)",
            "frameworks[0].name": "jax",
            "frameworks[0].distribution": "jax",
            "frameworks[0].version": "0.4.23",
            "frameworks[0].cuda_build": False,
            "frameworks[0].variant": "cpu",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].details.jaxlib": "0.4.23",
            "live[0].framework": "jax",
            "live[0].status": "ok",
            "live[0].gpu_available": False,
            "live[0].messages": [
                "An NVIDIA GPU may be present on this machine, but a "
                "CUDA-enabled jaxlib is not installed. Falling back to cpu."
            ],
        },
    },
    "keras_src_missing.txt": {
        "origin": "text",
        "parts": [("messages", 1, 7)],
        "messages": [
            ("keras-src-missing", 1, False, "keras"),
            ("code-imports-tensorflow-or-jax", 1, True, "tensorflow"),
        ],
        "facts": {
            "frameworks[0].name": "keras",
            "frameworks[0].distribution": "keras",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "frameworks[1].name": "tensorflow",
            "frameworks[1].distribution": "tensorflow",
            "frameworks[1].version": "2.15.0",
            "frameworks[1].build_source": "pasted report",
            "live[0].framework": "keras",
            "live[0].status": "ok",
            "live[0].messages": ["ModuleNotFoundError: No module named 'keras.src.models'"],
        },
    },
    "nvidia_smi_mismatch.txt": {
        "origin": "text",
        "parts": [("messages", 1, 5)],
        "messages": [("nvml-driver-library-mismatch", 1, False, None)],
        "facts": {
            "driver.installed": True,
            "driver.userspace_version": "535.171",
            "driver.library_mismatch": True,
        },
    },
    "nvidia_smi_new_two_gpus.txt": {
        "origin": "nvidia-smi",
        "parts": [("nvidia-smi", 2, 25)],
        "messages": [],
        "facts": {
            "driver.installed": True,
            "driver.version": "545.23.08",
            "driver.cuda_version": "12.3",
            "driver.userspace_version": "545.23.08",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "545.23.08",
            "driver.readings[0].cuda_version": "12.3",
            "driver.nvidia_smi_path": "nvidia-smi",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA A100-SXM4-80GB",
            "gpus[0].pci_bus_id": "00000000:07:00.0",
            "gpus[0].memory_total_mib": 81920,
            "gpus[0].memory_used_mib": 71234,
            "gpus[0].memory_free_mib": 10686,
            "gpus[0].mig_mode": False,
            "gpus[0].persistence_mode": True,
            "gpus[0].temperature_c": 33,
            "gpus[0].power_w": 62.0,
            "gpus[0].power_limit_w": 400.0,
            "gpus[0].ecc_uncorrectable": 0,
            "gpus[0].processes": 1,
            "gpus[0].compute_processes[0].pid": 2304417,
            "gpus[0].compute_processes[0].name": "python",
            "gpus[0].compute_processes[0].used_memory_mib": 71220,
            "gpus[1].index": 1,
            "gpus[1].name": "NVIDIA A100-SXM4-80GB",
            "gpus[1].pci_bus_id": "00000000:0F:00.0",
            "gpus[1].memory_total_mib": 81920,
            "gpus[1].memory_used_mib": 4,
            "gpus[1].memory_free_mib": 81916,
            "gpus[1].mig_mode": False,
            "gpus[1].persistence_mode": True,
            "gpus[1].temperature_c": 31,
            "gpus[1].power_w": 60.0,
            "gpus[1].power_limit_w": 400.0,
            "gpus[1].ecc_uncorrectable": 0,
            "gpus[1].processes": 0,
        },
    },
    "nvidia_smi_old_truncated_crlf.txt": {
        "origin": "nvidia-smi",
        "parts": [("nvidia-smi", 2, 11)],
        "messages": [],
        "facts": {
            "driver.installed": True,
            "driver.version": "440.44",
            "driver.cuda_version": "10.2",
            "driver.userspace_version": "440.44",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "440.44",
            "driver.readings[0].cuda_version": "10.2",
            "driver.nvidia_smi_path": "nvidia-smi",
            "gpus[0].index": 0,
            "gpus[0].name": "GeForce RTX 208...",
            "gpus[0].pci_bus_id": "00000000:02:00.0",
            "gpus[0].memory_total_mib": 11019,
            "gpus[0].memory_used_mib": 1107,
            "gpus[0].memory_free_mib": 9912,
            "gpus[0].persistence_mode": False,
            "gpus[0].temperature_c": 47,
            "gpus[0].power_w": 20.0,
            "gpus[0].power_limit_w": 260.0,
        },
    },
    "nvidia_smi_q.txt": {
        "origin": "nvidia-smi -q",
        "parts": [("nvidia-smi -q", 2, 28)],
        "messages": [],
        "facts": {
            "driver.installed": True,
            "driver.version": "535.154.05",
            "driver.cuda_version": "12.2",
            "driver.userspace_version": "535.154.05",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "535.154.05",
            "driver.readings[0].cuda_version": "12.2",
            "driver.nvidia_smi_path": "nvidia-smi",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 3090",
            "gpus[0].uuid": "GPU-5f0b1c52-7a39-2f4e-6d1e-0a3c1b7d9e21",
            "gpus[0].pci_bus_id": "00000000:01:00.0",
            "gpus[0].memory_total_mib": 24576,
            "gpus[0].memory_used_mib": 2,
            "gpus[0].memory_free_mib": 24268,
            "gpus[0].persistence_mode": True,
            "gpus[0].temperature_c": 31,
            "gpus[0].power_w": 21.34,
            "gpus[0].power_limit_w": 350.0,
        },
    },
    "nvidia_smi_windows_wddm.txt": {
        "origin": "nvidia-smi+text",
        "parts": [("nvidia-smi", 2, 12), ("messages", 1, 12)],
        "messages": [],
        "facts": {
            "python.platform": "win32",
            "host.os": "Windows",
            "driver.installed": True,
            "driver.version": "560.94",
            "driver.cuda_version": "12.6",
            "driver.userspace_version": "560.94",
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].version": "560.94",
            "driver.readings[0].cuda_version": "12.6",
            "driver.nvidia_smi_path": "nvidia-smi",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 4070 ...",
            "gpus[0].pci_bus_id": "00000000:01:00.0",
            "gpus[0].memory_total_mib": 12282,
            "gpus[0].memory_used_mib": 1024,
            "gpus[0].memory_free_mib": 11258,
            "gpus[0].temperature_c": 38,
            "gpus[0].power_w": 9.0,
            "gpus[0].power_limit_w": 200.0,
        },
    },
    "tf_cudnn_mismatch.txt": {
        "origin": "text",
        "parts": [("messages", 1, 3)],
        "messages": [
            ("tf-cudnn-version-mismatch", 2, False, "tensorflow"),
            ("dnn-library-init-failed", 1, False, "tensorflow"),
        ],
        "facts": {
            "frameworks[0].name": "tensorflow",
            "frameworks[0].distribution": "tensorflow",
            "frameworks[0].cudnn_version": "9.3.0",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "tensorflow",
            "live[0].status": "ok",
            "live[0].details.cudnn_verdict": "mismatch",
            "live[0].loaded_libraries[0].name": "cudnn",
            "live[0].loaded_libraries[0].path": "libcudnn",
            "live[0].loaded_libraries[0].version": "9.1.0",
            "live[0].messages": [
                "E0000 00:00:1738697930.202924    7665 cuda_dnn.cc:522] Loaded "
                "runtime CuDNN library: 9.1.0 but source was compiled with: "
                "9.3.0.  CuDNN library needs to have matching major version and "
                "equal or higher minor version. If using a binary install, "
                "upgrade your CuDNN library.  If building from sources, make "
                "sure the library loaded at runtime is compatible with the "
                "version specified during compile configu",
                "2025-02-04 20:38:50.230519: W "
                "tensorflow/core/framework/op_kernel.cc:1841] OP_REQUIRES failed "
                "at xla_ops.cc:577 : FAILED_PRECONDITION: DNN library "
                "initialization failed. Look at the errors above for more "
                "details.",
            ],
        },
    },
    "tf_log_healthy_noise.txt": {
        "origin": "text",
        "parts": [("messages", 1, 9)],
        "messages": [
            ("tf-gpu-device-created", 1, True, "tensorflow"),
            ("tf-loaded-cudnn", 1, True, "tensorflow"),
            ("tf-factory-already-registered", 3, True, "tensorflow"),
            ("tf-numa-negative", 1, True, "tensorflow"),
            ("tf-cpu-instructions", 1, True, "tensorflow"),
            ("tf-tensorrt-not-found", 1, True, "tensorflow"),
        ],
        "facts": {
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 3090",
            "gpus[0].pci_bus_id": "0000:01:00.0",
            "gpus[0].compute_capability": "8.6",
            "frameworks[0].name": "tensorflow",
            "frameworks[0].distribution": "tensorflow",
            "frameworks[0].cuda_build": True,
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "tensorflow",
            "live[0].status": "ok",
            "live[0].gpu_available": True,
            "live[0].loaded_libraries[0].name": "cudnn",
            "live[0].loaded_libraries[0].path": "libcudnn",
            "live[0].loaded_libraries[0].version": "8.9.4",
            # the memory TensorFlow found free when it created its device (DL702 weighs it)
            "live[0].details.device_mib": "21770",
        },
    },
    "tf_log_missing_cuda11.txt": {
        "origin": "text",
        "parts": [("messages", 1, 13), ("prose", 1, 1)],
        "messages": [
            ("tf-library-not-loaded", 3, False, "tensorflow"),
            ("tf-library-opened", 2, True, "tensorflow"),
            ("tf-cannot-dlopen-gpu-libraries", 1, False, "tensorflow"),
            ("tf-skipping-gpu-devices", 1, False, "tensorflow"),
            ("tf-found-device", 1, True, "tensorflow"),
            ("tf-numa-negative", 1, True, "tensorflow"),
        ],
        "facts": {
            "cuda.toolkits[0].found_by": ["prose"],
            "cuda.toolkits[0].kind": "system",
            "cuda.toolkits[0].path": "(stated in prose)",
            "cuda.toolkits[0].version": "11.2",
            "cuda.toolkits[0].version_source": "prose",
            "frameworks[0].version": "2.4.1",
            "host.distro": "Ubuntu",
            "host.distro_version": "20.04",
            "host.os": "Linux",
            "python.version": "3.8.10",
            "gpus[0].index": 0,
            "gpus[0].name": "GeForce RTX 3070",
            "gpus[0].pci_bus_id": "0000:01:00.0",
            "gpus[0].compute_capability": "8.6",
            "frameworks[0].name": "tensorflow",
            "frameworks[0].distribution": "tensorflow",
            "frameworks[0].cuda_build": True,
            "frameworks[0].build_source": "pasted report",
            "libraries[0].framework": "tensorflow",
            "libraries[0].libraries[0].name": "cudart",
            "libraries[0].libraries[0].soname": "libcudart.so.11.0",
            "libraries[0].libraries[0].reason": "libcudart.so.11.0: cannot open shared object "
            "file: No such file or directory",
            "libraries[0].libraries[1].name": "cublas",
            "libraries[0].libraries[1].soname": "libcublas.so.11",
            "libraries[0].libraries[1].reason": "libcublas.so.11: cannot open shared object file: "
            "No such file or directory",
            "libraries[0].libraries[2].name": "cudnn",
            "libraries[0].libraries[2].soname": "libcudnn.so.8",
            "libraries[0].libraries[2].reason": "libcudnn.so.8: cannot open shared object file: "
            "No such file or directory",
            "live[0].framework": "tensorflow",
            "live[0].status": "ok",
            "live[0].gpu_available": False,
            "live[0].loaded_libraries[0].name": "cuda",
            "live[0].loaded_libraries[0].path": "libcuda.so.1",
            "live[0].loaded_libraries[1].name": "cufft",
            "live[0].loaded_libraries[1].path": "libcufft.so.10",
            "live[0].messages": [
                "2021-03-02 14:10:51.150359: W "
                "tensorflow/stream_executor/platform/default/dso_loader.cc:60] "
                "Could not load dynamic library 'libcudart.so.11.0'; dlerror: "
                "libcudart.so.11.0: cannot open shared object file: No such file "
                "or directory; LD_LIBRARY_PATH: /usr/local/cuda-10.1/lib64",
                "2021-03-02 14:10:51.150410: W "
                "tensorflow/stream_executor/platform/default/dso_loader.cc:60] "
                "Could not load dynamic library 'libcublas.so.11'; dlerror: "
                "libcublas.so.11: cannot open shared object file: No such file "
                "or directory; LD_LIBRARY_PATH: /usr/local/cuda-10.1/lib64",
                "2021-03-02 14:10:51.151590: W "
                "tensorflow/stream_executor/platform/default/dso_loader.cc:60] "
                "Could not load dynamic library 'libcudnn.so.8'; dlerror: "
                "libcudnn.so.8: cannot open shared object file: No such file or "
                "directory; LD_LIBRARY_PATH: /usr/local/cuda-10.1/lib64",
                "2021-03-02 14:10:51.151602: W "
                "tensorflow/core/common_runtime/gpu/gpu_device.cc:1757] Cannot "
                "dlopen some GPU libraries. Please make sure the missing "
                "libraries mentioned above are installed properly if you would "
                "like to use GPU. Follow the guide at "
                "https://www.tensorflow.org/install/gpu for how to download and "
                "setup the required libraries for your platform.",
            ],
        },
    },
    "tf_memory_growth.txt": {
        "origin": "text",
        "parts": [("messages", 1, 8), ("prose", 4, 4)],
        "messages": [
            ("memory-growth-after-init", 1, False, "tensorflow"),
            # the reporter's code sets memory growth (prose-memory.toml): kept for the rules
            ("said-memory-setting-code", 2, True, "tensorflow"),
        ],
        "facts": {
            "python.run_line": 'File "train.py", line 21',
            "python.version": "3.10",
            "frameworks[0].name": "tensorflow",
            "frameworks[0].distribution": "tensorflow",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "tensorflow",
            "live[0].status": "ok",
            "live[0].memory_growth.error": "RuntimeError: Physical devices cannot be modified "
            "after being initialized",
        },
    },
    "tf_template_windows.md": {
        # the template's reproduction code imports TensorFlow: a statement the memory rules read
        "origin": "issue-template+text",
        "parts": [("issue-template", 15, 47), ("messages", 1, 64)],
        "messages": [("code-imports-tensorflow-or-jax", 1, True, "tensorflow")],
        "facts": {
            "host.os": "Windows",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 3080",
            "gpus[0].memory_total_mib": 10240,
            "cuda.toolkits[0].path": "(stated in the report)",
            "cuda.toolkits[0].version": "12.2",
            "cuda.toolkits[0].version_source": "issue template (as stated)",
            "cuda.toolkits[0].kind": "unknown",
            "cuda.cudnn[0].path": "(stated in the report)",
            "cuda.cudnn[0].version": "8.9",
            "cuda.cudnn[0].major": 8,
            "cuda.cudnn[0].kind": "unknown",
            "cuda.cudnn[0].version_source": "issue template (as stated)",
            "python.version": "3.11",
            "frameworks[0].name": "tensorflow",
            "frameworks[0].distribution": "tensorflow",
            "frameworks[0].version": "2.15.0",
            "frameworks[0].build_source": "issue template (as stated)",
            # "`tf.config.list_physical_devices('GPU')` returns an empty list"
            "live[0].framework": "tensorflow",
            "live[0].gpu_available": False,
            "live[0].status": "ok",
        },
    },
    "torch_circular_import.txt": {
        "origin": "text",
        "parts": [("messages", 1, 7)],
        "messages": [
            ("circular-import-shadowing", 1, False, "torch"),
            ("script-imports-itself", 1, False, "torch"),
            ("traceback-through-shadowing-file", 2, False, "torch"),
        ],
        "facts": {
            "python.run_line": "python torch.py",
            "python.shadowing[0].module": "torch",
            "python.shadowing[0].path": "C:\\Users\\li\\Desktop\\learn\\torch.py",
            "python.platform": "win32",
        },
    },
    "torch_cudnn_mismatch.txt": {
        "origin": "text",
        "parts": [("messages", 1, 11), ("prose", 7, 7)],
        "messages": [("torch-cudnn-version-mismatch", 1, False, "torch")],
        "facts": {
            "python.run_line": 'File "/opt/conda/envs/server/lib/python3.8/site-packages/torch/backends/cudnn/__init__.py", line 68',
            "python.version": "3.8",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "1.13.0+cu117",
            "frameworks[0].cuda_build": True,
            "frameworks[0].cuda_version": "11.7",
            "frameworks[0].cudnn_version": "8.5.0",
            "frameworks[0].variant": "cu117",
            "frameworks[0].build_source": "pasted report",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].details.cudnn_source": "LD_LIBRARY_PATH",
            "live[0].details.cudnn_verdict": "mismatch",
            "live[0].loaded_libraries[0].name": "cudnn",
            "live[0].loaded_libraries[0].path": "libcudnn",
            "live[0].loaded_libraries[0].version": "8.4.1",
            "live[0].messages": [
                "RuntimeError: cuDNN version incompatibility: PyTorch was "
                "compiled  against (8, 5, 0) but found runtime version (8, 4, "
                "1). PyTorch already comes bundled with cuDNN. One option to "
                "resolving this error is to ensure PyTorch can find the bundled "
                "cuDNN.Looks like your LD_LIBRARY_PATH contains incompatible "
                "version of cudnnPlease either remove it from the path or "
                "install cudnn (8, 5, 0)"
            ],
        },
    },
    "torch_sm120.txt": {
        "origin": "text",
        "parts": [("messages", 1, 12), ("prose", 1, 1)],
        "messages": [
            ("torch-arch-not-supported", 1, False, "torch"),
            ("no-kernel-image", 1, False, "torch"),
            ("cuda-device-requested", 1, True, "torch"),  # device="cuda": the GPU was wanted
        ],
        "facts": {
            "python.run_line": "/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py:287: UserWarning",
            "python.version": "3.11",
            "gpus[0].index": 0,
            "gpus[0].name": "NVIDIA GeForce RTX 5090",
            "gpus[0].compute_capability": "12.0",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].cuda_build": True,
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].arch_list": ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"],
            "live[0].compute_ok": False,
            "live[0].messages": [
                "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not "
                "compatible with the current PyTorch installation.\n"
                "The current PyTorch install supports CUDA capabilities sm_50 "
                "sm_60 sm_70 sm_75 sm_80 sm_86 sm_90",
                "RuntimeError: CUDA error: no kernel image is available for "
                "execution on the device",
            ],
        },
    },
    "torch_no_driver_lspci_gpu.txt": {
        "origin": "text",
        "parts": [("messages", 1, 10), ("prose", 3, 3)],
        "messages": [
            ("nvidia-smi-not-found", 1, False, "torch"),
            ("torch-no-nvidia-driver", 1, False, "torch"),
        ],
        "facts": {
            "python.run_line": "/home/bob/.local/lib/python3.10/site-packages/torch/cuda/__init__.py:118: UserWarning",
            "python.version": "3.10",
            "driver.installed": False,
            # the lspci line is a PCI-device fact, as the probe reads /sys/bus/pci
            "visibility.nvidia_pci_devices[0].slot": "0000:01:00.0",
            "visibility.nvidia_pci_devices[0].vendor_id": "0x10de",
            "visibility.nvidia_pci_devices[0].class_id": "0x030000",
            "visibility.nvidia_pci_devices[0].name": "NVIDIA Corporation GA104 [GeForce RTX 3070]",
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].version": "2.3.0+cu121",
            "frameworks[0].cuda_build": True,
            "frameworks[0].cuda_version": "12.1",
            "frameworks[0].variant": "cu121",
            "frameworks[0].build_source": "pasted report",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].gpu_available": False,
            "live[0].messages": [
                "/home/bob/.local/lib/python3.10/site-packages/torch/cuda/__init__.py:118: "
                "UserWarning: CUDA initialization: Found no NVIDIA driver on your system. "
                "Please check that you have an NVIDIA GPU and installed a driver from "
                "http://www.nvidia.com/Download/index.aspx (Triggered internally at "
                "../c10/cuda/CUDAFunctions.cpp:108.)"
            ],
        },
    },
    "nvidia_smi_failed_lspci_3d_controller.txt": {
        "origin": "text",
        "parts": [("messages", 1, 11)],
        # the header's "driver package installed, module not loaded": the reporter's symptom
        "messages": [
            ("nvidia-smi-no-driver", 1, False, None),
            ("said-driver-stopped-working", 1, False, None),
        ],
        "facts": {
            "driver.readings[0].source": "nvidia-smi",
            "driver.readings[0].error": "NVIDIA-SMI has failed because it couldn't communicate "
            "with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and "
            "running.",
            "visibility.nvidia_pci_devices[0].slot": "0000:5a:00.0",
            "visibility.nvidia_pci_devices[0].vendor_id": "0x10de",
            "visibility.nvidia_pci_devices[0].class_id": "0x030200",
            "visibility.nvidia_pci_devices[0].name": "NVIDIA Corporation Device 1db6",
            "visibility.nvidia_pci_devices[1].slot": "0000:5e:00.0",
            "visibility.nvidia_pci_devices[1].vendor_id": "0x10de",
            "visibility.nvidia_pci_devices[1].class_id": "0x030200",
            "visibility.nvidia_pci_devices[1].name": "NVIDIA Corporation Device 1db6",
            "visibility.nvidia_module_loaded": False,
        },
    },
    "transformers_keras3_valueerror.txt": {
        "origin": "text",
        "parts": [("messages", 1, 6), ("prose", 4, 4)],
        "messages": [("keras3-legacy-needed", 1, False, "keras")],
        "facts": {
            "python.run_line": 'File "/content/app.py", line 3',
            "python.version": "3.10",
            "frameworks[0].name": "keras",
            "frameworks[0].distribution": "keras",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].details.major": "3",
            "frameworks[0].details.needed_by": "transformers",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "keras",
            "live[0].status": "ok",
            "live[0].messages": [
                "ValueError: Your currently installed version of Keras is Keras 3, but this is "
                "not yet supported in Transformers. Please install the backwards-compatible "
                "tf-keras package with `pip install tf-keras`."
            ],
        },
    },
    "torch_oom_other_process.txt": {
        "origin": "text",
        "parts": [("messages", 1, 7)],
        # one line naming the error twice ("OutOfMemoryError: CUDA out of memory") counts once
        "messages": [("cuda-out-of-memory", 1, False, "torch")],
        "facts": {
            "frameworks[0].name": "torch",
            "frameworks[0].distribution": "torch",
            "frameworks[0].build_source": "pasted report",
            "frameworks[0].unknown.version": "not stated in the pasted report",
            "live[0].framework": "torch",
            "live[0].status": "ok",
            "live[0].gpu_available": True,
            "live[0].messages": [
                "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 "
                "has a total capacity of 7.79 GiB of which 3.94 MiB is free. Process 1234 has "
                "7.78 GiB memory in use."
            ],
            "live[0].details.oom_gpu": "0",
            "live[0].details.oom_requested_mib": "20.00",
            "live[0].details.oom_total_mib": "7976.96",
            "live[0].details.oom_free_mib": "3.94",
            "live[0].details.oom_other_processes": "1234=7966.72",
        },
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_facts(name: str) -> None:
    imported = import_text(decode((DATA / name).read_bytes(), name), name)
    expected = EXPECTED[name]
    assert imported.snapshot.origin == expected["origin"]
    assert [(p.kind, p.first_line, p.last_line) for p in imported.parts] == expected["parts"]
    assert [
        (e.signature, e.count, e.harmless, e.framework) for e in imported.snapshot.reported_errors
    ] == expected["messages"]
    assert flat_facts(imported.snapshot) == expected["facts"]
