"""Out-of-memory errors of programs other than PyTorch/TensorFlow/JAX
(catalog/memory-programs.toml), and the contexts rules/memory.py reads beside them: the first
allocation failing (DL702), TensorFlow/JAX imported in a PyTorch program (DL701), a fix that turns
memory growth on (DL701). Each bad machine gives exactly its code with only that rule selected;
each good one gives nothing. Snapshots as data (the messages a paste would have produced), then
the same reasoning end to end through `dlenv explain`."""

from __future__ import annotations

import pytest

from dlenv.fix.actions import SetEnv
from dlenv.snapshot.model import LiveProbe, ReportedError, Snapshot
from tests.rules.snapshots import fired, only, pasted_codes


def _paste(*items: tuple[str, str], framework: str | None = None, **torch: str) -> Snapshot:
    """A paste whose scan found these (signature id, matched text); statements ("said-",
    "code-") are harmless; `torch` adds PyTorch's out-of-memory numbers."""
    errors = [
        ReportedError(
            signature=sig,
            text=text,
            meaning="",
            harmless=sig.startswith(("said-", "code-")),
            framework=None if sig.startswith(("said-", "code-")) else framework,
        )
        for sig, text in items
    ]
    live = [LiveProbe(framework="torch", status="ok", details=torch)] if torch else []
    return Snapshot(reported_errors=errors, live=live)


CT2 = ("gpu-oom-program-check", "RuntimeError: CUDA failed with error out of memory")
DARKNET = ("gpu-oom-program-check", "    0 CUDA Error: out of memory")
FIRST_LAYER = ("oom-at-first-allocation", "    0 CUDA Error: out of memory")
TORCH_OOM = ("cuda-out-of-memory", "RuntimeError: CUDA error: out of memory")
IMPORTS_TF = ("code-imports-tensorflow-or-jax", "import tensorflow as tf")
SAID_TORCH_OOM = (
    "said-gpu-out-of-memory",
    "Pytorch cuda out of memory error in cd_mmd_cifar10.ipynb",
)
CUDNN_ALLOC = ("cublas-handle-failed", "CUDNN_STATUS_ALLOC_FAILED")
GROWTH_FIX = (
    "said-memory-growth-fixes",
    "add this line in case of allocation error\nos.environ['TF_FORCE_GPU_ALLOW_GROWTH'] = 'true'",
)


# -- the message class: DL703 when nothing else is shown ------------------------------------------


def test_dl703_from_another_programs_out_of_memory_check() -> None:
    # github.com/chidiwilliams/buzz/issues/439 (CTranslate2 under faster-whisper)
    f = only(_paste(CT2), "DL703")
    assert f.severity == "warning" and "GPU 0 ran out of memory" in f.title
    assert "probably" in f.title  # nothing else shown is not proof that nothing else held it
    assert "The program ran out of GPU memory" in f.message
    assert fired(_paste(CT2), "DL702") == [] and fired(_paste(CT2), "DL701") == []
    # no message at all: nothing
    assert fired(Snapshot(), "DL703") == []


def test_dl703_cublas_that_could_not_start() -> None:
    # github.com/IBM/aihwkit/issues/479: "it is typical a memory issue ... lower batch size"
    s = _paste(("cublas-init-failed", "CUBLAS initialization failed in example 24"))
    assert only(s, "DL703").severity == "warning"
    assert fired(s, "DL701") == []


@pytest.mark.parametrize(
    "text",
    [
        "RuntimeError: CUDA failed with error out of memory",
        "darknet: ./src/cuda.c:36: check_error: Assertion `0' failed.\n  102 CUDA Error: out of memory",
        "F1028 syncedmem.cpp:56] Check failed: error == cudaSuccess (2 vs. 0)  out of memory",
        "cupy.cuda.runtime.CUDARuntimeError: cudaErrorMemoryAllocation: out of memory",
        "ResourceExhaustedError: Out of memory error on GPU 0. Cannot allocate 1.531250GB memory "
        "on GPU 0, available memory is only 416.625000MB.",
        "CUDA error 2 at /data/llama.cpp/ggml-cuda.cu:5509: out of memory",
        "RuntimeError: cublas runtime error : library not initialized at "
        "/pytorch/aten/src/THC/THCGeneral.cpp:250",
    ],
)
def test_dl703_end_to_end_for_each_program(text: str) -> None:
    assert pasted_codes(text).get("DL703") == "warning"


def test_other_failures_of_the_same_programs_are_not_out_of_memory() -> None:
    for text in (
        "CUDA Error: invalid device function",
        "CUDA error 209 at ggml-cuda.cu:6875: no kernel image is available for execution",
        "OSError: (External) CUDA error(35), CUDA driver version is insufficient for CUDA "
        "runtime version.",
    ):
        assert "DL703" not in pasted_codes(text), text


# -- DL702: the first allocation failed ----------------------------------------------------------


def test_dl702_when_the_first_allocation_fails() -> None:
    # github.com/pjreddie/darknet/issues/304: "./darknet detect ...", layer 0 fails on a 1080 Ti;
    # a reboot (freeing what held the GPU) solved it
    s = _paste(DARKNET, FIRST_LAYER)
    f = only(s, "DL702")
    assert f.severity == "warning" and "probably" in f.title
    assert "first allocation" in f.message
    assert fired(s, "DL703") == []
    # a later layer failing is the job's size
    assert (
        fired(_paste(("gpu-oom-program-check", "  102 CUDA Error: out of memory")), "DL702") == []
    )


def test_dl702_first_allocation_in_a_pytorch_traceback_end_to_end() -> None:
    # github.com/amdegroot/ssd.pytorch/issues/447: building the VGG's first conv layer failed
    paste = """Traceback (most recent call last):
  File "train.py", line 97, in train
    ssd_net = build_ssd('train', cfg['min_dim'], cfg['num_classes'])
  File "/home/u/.local/lib/python3.6/site-packages/torch/nn/modules/conv.py", line 41, in __init__
    out_channels, in_channels // groups, *kernel_size))
RuntimeError: CUDA error: out of memory
"""
    assert pasted_codes(paste) == {"DL702": "warning"}
    # the same error in a forward pass is the job's size
    forward = paste.replace("line 41, in __init__", "line 443, in forward")
    assert pasted_codes(forward) == {"DL703": "warning"}


def test_first_allocation_never_outranks_pytorchs_numbers() -> None:
    numbers = {
        "oom_total_mib": "8192",
        "oom_free_mib": "20",
        "oom_requested_mib": "512",
        "oom_this_process_mib": "7700",
    }
    s = _paste(TORCH_OOM, ("oom-at-first-allocation", "in __init__"), framework="torch", **numbers)
    assert fired(s, "DL702") == []
    assert only(s, "DL703").severity == "error"  # PyTorch's numbers prove it


def test_dl702_tensorflow_could_not_start_its_cuda_runtime_for_lack_of_memory() -> None:
    init = (
        "tf-cuda-runtime-implicit-init-failed",
        "InternalError: CUDA runtime implicit initialization on GPU:0 failed. Status: out of "
        "memory",
    )
    assert only(_paste(init, framework="tensorflow"), "DL702").severity == "error"
    other = (init[0], init[1].replace("out of memory", "all CUDA-capable devices are busy"))
    assert fired(_paste(other, framework="tensorflow"), "DL702") == []


# -- DL701: TensorFlow/JAX imported beside a PyTorch out-of-memory error -------------------------


def test_dl701_when_the_code_imports_tensorflow_and_pytorch_runs_out() -> None:
    # github.com/SeldonIO/alibi-detect/issues/432: tf.keras loads CIFAR-10, PyTorch's MMD runs out
    s = _paste(SAID_TORCH_OOM, IMPORTS_TF)
    f = only(s, "DL701")
    assert f.severity == "warning" and f.subject == "tensorflow"
    assert "other framework" in f.message
    assert fired(s, "DL703") == []
    # the import alone, or beside TensorFlow's own out-of-memory error, is no second framework
    assert fired(_paste(IMPORTS_TF), "DL701") == []
    tf_oom = ("tf-bfc-out-of-memory", "Ran out of memory trying to allocate 392.00MiB.")
    assert fired(_paste(tf_oom, IMPORTS_TF, framework="tensorflow"), "DL701") == []


def test_dl701_jax_imported_beside_a_torch_error_turns_preallocation_off() -> None:
    s = _paste(TORCH_OOM, ("code-imports-tensorflow-or-jax", "import jax"), framework="torch")
    f = only(s, "DL701")
    assert f.subject == "jax"
    assert isinstance(f.fixes[0], SetEnv) and f.fixes[0].name == "XLA_PYTHON_CLIENT_PREALLOCATE"


def test_dl701_import_never_outranks_numbers_that_blame_the_program() -> None:
    numbers = {
        "oom_total_mib": "10240",
        "oom_free_mib": "1423",
        "oom_requested_mib": "3051",
        "oom_pytorch_reserved_mib": "6871",
    }
    s = _paste(TORCH_OOM, IMPORTS_TF, framework="torch", **numbers)
    assert fired(s, "DL701") == []
    assert only(s, "DL703").severity == "error"  # PyTorch's numbers prove it


# -- DL701: the reporter's fix turns memory growth on --------------------------------------------


def test_dl701_when_the_reporters_fix_turns_memory_growth_on() -> None:
    # github.com/pythonlessons/TensorFlow-2.x-YOLOv3/issues/107
    s = _paste(CUDNN_ALLOC, GROWTH_FIX)
    f = only(s, "DL701")
    assert f.severity == "warning" and "probably" in f.title
    assert "cuDNN, cuBLAS and the rest of the job" in f.message
    assert [a.name for a in f.fixes] == ["TF_FORCE_GPU_ALLOW_GROWTH"]
    assert fired(s, "DL703") == []
    # the same error without the fix is the job's size; the fix said not to work is no answer
    assert fired(_paste(CUDNN_ALLOC), "DL701") == []
    ignored = ("said-memory-growth-setting-ignored", "allow_growth does not work")
    assert fired(_paste(CUDNN_ALLOC, GROWTH_FIX, ignored), "DL701") == []


def test_dl701_growth_fix_end_to_end() -> None:
    paste = """# CUDNN_STATUS_ALLOC_FAILED
add this line in case of allocation error by python itself
os.environ['TF_FORCE_GPU_ALLOW_GROWTH'] = 'true'
"""
    assert pasted_codes(paste) == {"DL701": "warning"}
    # the setting shown with no word that it fixed anything
    assert "DL701" not in pasted_codes(paste.replace("add this line in case of", "I got an"))
