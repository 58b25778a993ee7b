"""Root causes for the fixture pastes, for an end-to-end test once the rules are merged.

Each row: (fixture file under data/, the rule code a maintainer's conclusion corresponds to,
why). None: a healthy report, where no error-severity finding may appear. The code is what the
cause IS, not what today's rules happen to say; rows marked "rule gap" need a rule change.
"""

from __future__ import annotations

EXPECTED_CAUSES: list[tuple[str, str | None, str]] = [
    ("collect_env_windows_cpu_build.txt", "DL401", "torch 2.1.0+cpu on a machine with an RTX 3060"),
    (
        "collect_env_driver_too_old.txt",
        "DL101",
        "torch cu121 needs driver >= 525.60.13; driver 470.223.02 (CUDA 11.4)",
    ),
    (
        "collect_env_old_quoted_crlf.txt",
        "DL404",
        "torch 1.3.1 (CUDA 10.1) says CUDA is unavailable although driver 418.87 suffices; the "
        "text shows no further cause",
    ),
    ("collect_env_wsl_healthy.txt", None, "WSL2, torch cu121, CUDA available"),
    ("nvidia_smi_new_two_gpus.txt", None, "two A100s, one busy: at most a memory warning"),
    ("nvidia_smi_old_truncated_crlf.txt", None, "driver 440.44 and an RTX 2080 (name cut)"),
    ("nvidia_smi_windows_wddm.txt", None, "Windows driver 560.94"),
    ("nvidia_smi_q.txt", None, "one RTX 3090, driver 535.154.05"),
    ("nvidia_smi_mismatch.txt", "DL105", "driver upgraded without a reboot"),
    (
        "tf_log_missing_cuda11.txt",
        "DL201",
        "TensorFlow 2.4 needs CUDA 11.0 libraries; only CUDA 10.1 is on LD_LIBRARY_PATH",
    ),
    ("tf_log_healthy_noise.txt", None, "only harmless TF start-up messages; GPU:0 created"),
    ("torch_sm120.txt", "DL301", "RTX 5090 (sm_120) with a torch build up to sm_90"),
    (
        "tf_cudnn_mismatch.txt",
        "DL206",
        "TF built with cuDNN 9.3 loaded 9.1 (another package's older cuDNN wheel wins); the text "
        "names only TensorFlow, so the cause is the mismatch itself, not DL203's conflict",
    ),
    ("torch_circular_import.txt", "DL502", "the user's own torch.py shadows torch"),
    (
        "tf_template_windows.md",
        "DL402",
        "TensorFlow 2.15 on native Windows has no GPU support (last: 2.10)",
    ),
    (
        "tf_memory_growth.txt",
        "DL701",
        "set_memory_growth called after the GPU was initialised (an ordering bug in the code; "
        "TF_FORCE_GPU_ALLOW_GROWTH=true avoids it); the text shows no GPU",
    ),
    (
        "torch_no_driver_lspci_gpu.txt",
        "DL103",
        "torch 2.3.0+cu121 finds no NVIDIA driver, nvidia-smi is not installed, and lspci lists "
        "an RTX 3070: the driver is missing",
    ),
    (
        "nvidia_smi_failed_lspci_3d_controller.txt",
        "DL103",
        "nvidia-smi cannot reach the driver, lsmod shows no nvidia module, lspci lists two NVIDIA "
        "3D controllers (github.com/mattshma/bigdata/issues/133)",
    ),
    (
        "transformers_keras3_valueerror.txt",
        "DL601",
        "transformers' TF models need Keras 2: tf-keras is not installed under Keras 3",
    ),
    (
        "transformers_keras3_runtimeerror_wrapped.txt",
        "DL601",
        "the same message wrapped in transformers' lazy-import RuntimeError "
        "(github.com/atomashevic/transforEmotion/issues/16)",
    ),
    (
        "keras3_legacy_optimizer.txt",
        "DL601",
        "Keras 3 refuses keras.optimizers.legacy; tf-keras plus TF_USE_LEGACY_KERAS=1 fixed it "
        "(github.com/deepchem/deepchem/issues/3980)",
    ),
    (
        "tensorflow_hub_keras3_sequential.txt",
        "DL601",
        "TensorFlow 2.16.1's Keras 3 Sequential refuses tensorflow_hub's tf-keras KerasLayer "
        "(github.com/tensorflow/tensorflow/issues/65419)",
    ),
    (
        "torch_oom_other_process.txt",
        "DL702",
        "a 20 MiB allocation fails because process 1234 holds 7.78 of 7.79 GiB",
    ),
    (
        "torch_oom_old_format_other_programs.txt",
        "DL702",
        "PyTorch holds 1010 MiB of a 10.76 GiB GPU with 8.81 MiB free: other programs hold the "
        "rest (the maintainer's answer, github.com/phamquiluan/ResidualMaskingNetwork/issues/15)",
    ),
    (
        "torch_oom_container_pid_is_self.txt",
        "DL703",
        "in a container NVML's 'Process 20398' is this process: PyTorch itself reserved 14.4 of "
        "14.75 GiB, so the job does not fit the GPU (github.com/FoundationVision/"
        "GenerateU/issues/10)",
    ),
    (
        "torch_illegal_memory_access.txt",
        "DL901",
        "an illegal memory access: a program or kernel bug the text cannot place "
        "(github.com/evo-design/evo/issues/136)",
    ),
    (
        "keras_src_missing.txt",
        None,
        "a model pickled under Keras 3 loaded under TensorFlow 2.15 / Keras 2: a save/load "
        "version mismatch, not an environment fault: at most DL901's warning that no rule "
        "explains it",
    ),
    (
        "jax_cpu_fallback.txt",
        "DL401",
        "CPU-only jaxlib (no jax-cuda12-plugin); jax printed it because it saw an NVIDIA device "
        "node",
    ),
    (
        "torch_cudnn_mismatch.txt",
        "DL206",
        "a system cuDNN 8.4.1 on LD_LIBRARY_PATH shadows torch's bundled 8.5.0 (PyTorch names "
        "LD_LIBRARY_PATH; DL204 needs the loader's prediction, which a paste lacks)",
    ),
    (
        "torch_driver_too_old_message.txt",
        "DL101",
        "torch 2.4.1+cu124 (CUDA 12.4) on a driver that supports CUDA 11.4 (found version "
        "11040); only the driver's CUDA version is known",
    ),
    (
        "collect_env_conda_cu113_driver450.txt",
        None,
        "conda cudatoolkit 11.3 / pytorch cu113 on driver 450.102.04: CUDA 11 minor-version "
        "compatibility (floor 450.80.02) lets it run; at most DL107 info",
    ),
    ("collect_env_healthy_4x_cuda124.txt", None, "four L40S, torch 2.5.1+cu124, driver 550"),
    ("collect_env_macos_mps_healthy.txt", None, "Apple silicon, torch 2.5.1 with MPS, no CUDA"),
    ("collect_env_cpu_laptop_healthy.txt", None, "torch 2.4.0+cpu on a laptop without NVIDIA GPU"),
    (
        "windows_pip_torch_cpu.txt",
        "DL401",
        "`pip install torch` on Windows installs the CPU-only wheel; RTX 4060 present",
    ),
    (
        "tf_windows_gpu_not_found.txt",
        "DL402",
        "TensorFlow 2.13 on native Windows: no GPU support after 2.10",
    ),
    (
        "tf212_libcudnn8_missing.txt",
        "DL201",
        "TensorFlow 2.12 needs cuDNN 8 (libcudnn.so.8), not installed; GPU present",
    ),
    (
        "cuda_visible_devices_empty.txt",
        "DL303",
        "CUDA_VISIBLE_DEVICES set to the empty string hides both GPUs",
    ),
    (
        "wsl_linux_driver_inside.txt",
        "DL108",
        "a Linux NVIDIA driver installed inside WSL2 replaces the WSL nvidia-smi and libraries",
    ),
    (
        "torch_k40_too_old.txt",
        "DL302",
        "Tesla K40c (sm_35) with torch 2.0.1+cu117, whose oldest architecture is sm_37: older "
        "than the whole build, PyTorch's own 'too old' (not a build lacking a newer GPU)",
    ),
    (
        "nvml_mismatch_after_upgrade.txt",
        "DL105",
        "driver user space upgraded to 535.183.01 while kernel module 535.171.04 is loaded",
    ),
    (
        "tf_prose_version_missing_cudnn.md",
        "DL201",
        "TensorFlow (version only in prose) cannot dlopen libcudnn.so.8; the dlopen attempt itself "
        "shows a GPU was found",
    ),
    (
        "collect_env_windows_laptop_cpu_wheel.txt",
        "DL401",
        "torch 2.4.1+cpu from PyPI on Windows with an RTX 4060 Laptop GPU; the user reports "
        "is_available() False, so the CPU wheel is the error",
    ),
]
