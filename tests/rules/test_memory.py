from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.importers.explain import explain_text
from dlenv.rules import diagnose
from dlenv.snapshot.model import FrameworkFacts, GpuProcess, LiveProbe, ReportedError, Snapshot
from tests.rules.snapshots import (
    cpu_machine,
    fired,
    gpu,
    gpu_machine,
    only,
    tensorflow,
    torch,
    with_env,
    with_live,
)


def test_dl701_memory_growth_off() -> None:
    alone = gpu_machine(frameworks=[tensorflow()])
    f = only(alone, "DL701")
    assert f.severity == "info"
    assert f.fixes == [
        SetEnv(
            name="TF_FORCE_GPU_ALLOW_GROWTH", value="true", reason="allocate GPU memory as needed"
        )
    ]
    shared = gpu_machine(gpus=[gpu(processes=2)], frameworks=[tensorflow()])
    assert only(shared, "DL701").severity == "warning"
    assert only(gpu_machine(frameworks=[tensorflow(), torch()]), "DL701").severity == "warning"
    assert fired(with_env(alone, TF_FORCE_GPU_ALLOW_GROWTH="true"), "DL701") == []
    assert fired(cpu_machine(), "DL701") == []


@pytest.mark.parametrize("value", ["True", "1", "yes"])
def test_dl701_a_value_tensorflow_ignores_is_named(value: str) -> None:
    """TensorFlow strcmp()s the variable against "true"/"false" and ignores anything else."""
    alone = with_env(gpu_machine(frameworks=[tensorflow()]), TF_FORCE_GPU_ALLOW_GROWTH=value)
    f = only(alone, "DL701")
    assert f.message.endswith(
        f"any second process on the GPU will run out of memory; "
        f"TF_FORCE_GPU_ALLOW_GROWTH={value!r} is ignored: TensorFlow accepts only exactly "
        '"true" or "false".'
    )
    assert (f.evidence[0].found, f.evidence[0].needed) == (value, "true")


def test_dl701_live_memory_growth_wins() -> None:
    alone = with_env(gpu_machine(frameworks=[tensorflow()]), TF_FORCE_GPU_ALLOW_GROWTH="true")
    off = LiveProbe(framework="tensorflow", status="ok", memory_growth={"GPU:0": "False"})
    assert only(with_live(alone, off), "DL701").confirmed_by == "live"
    on = LiveProbe(framework="tensorflow", status="ok", memory_growth={"GPU:0": "True"})
    assert fired(with_live(gpu_machine(frameworks=[tensorflow()]), on), "DL701") == []


def test_dl702_gpu_memory_nearly_full() -> None:
    f = only(gpu_machine(gpus=[gpu(used=23000, processes=1)]), "DL702")
    assert f.title == "GPU 0 memory is 93% used"
    assert fired(gpu_machine(gpus=[gpu(used=20000)]), "DL702") == []


def test_dl701_memory_growth_set_after_initialisation() -> None:
    error = "RuntimeError: Physical devices cannot be modified after being initialized"
    probe = LiveProbe(framework="tensorflow", status="ok", memory_growth={"error": error})
    # known only from the traceback: no GPU, TensorFlow's version unknown
    from_text = Snapshot(
        frameworks=[FrameworkFacts(name="tensorflow", distribution="tensorflow", version="")],
        live=[probe],
    )
    f = only(from_text, "DL701")
    assert f.severity == "error"
    assert f.title == "set_memory_growth was called after TensorFlow initialised the GPU"
    assert f.message.startswith(
        'tensorflow raised "Physical devices cannot be modified after being initialized"'
    )
    assert f.fixes == [
        SetEnv(
            name="TF_FORCE_GPU_ALLOW_GROWTH",
            value="true",
            reason="memory growth from the start, whatever the program's order",
        )
    ]
    assert f.hint is not None and "right after `import tensorflow`" in f.hint
    # on a GPU machine it replaces the growth-off finding rather than adding to it
    on_gpu = with_live(gpu_machine(frameworks=[tensorflow()]), probe)
    assert [x.title for x in diagnose(on_gpu, select=["DL701"])] == [f.title]
    # near miss: another memory_growth error is not this ordering problem
    other = LiveProbe(framework="tensorflow", status="ok", memory_growth={"error": "boom"})
    assert fired(replace(from_text, live=[other]), "DL701") == []


def _oom(**details: str) -> Snapshot:
    """A pasted PyTorch out-of-memory error, as the importer records its numbers."""
    probe = LiveProbe(framework="torch", status="ok", gpu_available=True, details=details)
    torch_fw = FrameworkFacts(name="torch", distribution="torch", version="")
    return Snapshot(frameworks=[torch_fw], live=[probe])


def test_dl702_out_of_memory_because_another_process_holds_the_gpu() -> None:
    s = _oom(
        oom_gpu="0",
        oom_requested_mib="20.00",
        oom_total_mib="7976.96",
        oom_free_mib="3.94",
        oom_other_processes="1234=7966.72",
    )
    f = only(s, "DL702")
    assert (f.severity, f.title, f.subject) == (
        "error",
        "GPU 0 memory is held by another process",
        "gpu0",
    )
    assert f.message == (
        "PyTorch asked for 20.00 MiB on GPU 0 (7.79 GiB) and only 3.94 MiB was free: process "
        "1234 holds 7.78 GiB. The program's own size is not the cause: the memory was already "
        "taken."
    )
    assert [(e.fact, e.found, e.needed) for e in f.evidence] == [
        ("live.torch.details.oom_total_mib", "7.79 GiB", None),
        ("live.torch.details.oom_free_mib", "3.94 MiB", ">=20.00 MiB"),
        ("live.torch.details.oom_other_processes", "PID 1234: 7.78 GiB", None),
    ]
    assert f.fixes == [
        ManualStep(
            text="Find the processes that hold GPU 0's memory and stop the ones you do not need, "
            "or run on a free GPU (CUDA_VISIBLE_DEVICES).",
            commands=[
                "nvidia-smi --query-compute-apps=pid,used_memory --format=csv",
                "ps -o pid,user,etime,args -p 1234",
                "kill 1234  # once you know it is safe to stop",
            ],
        )
    ]


def test_dl702_out_of_memory_numbers_that_blame_the_program_itself() -> None:
    # before torch 2.1: PyTorch reserved 1010 MiB of 10.76 GiB, 8.81 MiB free -> others
    old = _oom(oom_total_mib="11018.24", oom_free_mib="8.81", oom_pytorch_reserved_mib="1010.00")
    assert only(old, "DL702").message == (
        "PyTorch ran out of memory on GPU 0 (10.76 GiB) and only 8.81 MiB was free: 9.77 GiB is "
        "held outside this program's PyTorch allocator. The program's own size is not the "
        "cause: the memory was already taken."
    )
    # in a container NVML's "Process 20398" is this process: PyTorch reserved nearly all of it
    self_in_container = _oom(
        oom_total_mib="15104.00",
        oom_free_mib="235.06",
        oom_other_processes="20398=14868.48",
        oom_pytorch_reserved_mib="14727.86",
    )
    assert fired(self_in_container, "DL702") == []
    # "this process" holds more than the others: a batch-size problem, not DL702's
    busy = _oom(
        oom_total_mib="81080.32",
        oom_free_mib="23592.96",
        oom_other_processes="7478=4177.92",
        oom_this_process_mib="53268.48",
    )
    assert fired(busy, "DL702") == []
    # Windows' shared GPU memory lets PyTorch reserve more than the GPU has: nothing to blame
    wddm = _oom(oom_total_mib="8192.00", oom_free_mib="0.00", oom_pytorch_reserved_mib="19609.60")
    assert fired(wddm, "DL702") == []


def _pasted(*said: tuple[str, str | None], **tf_details: str) -> Snapshot:
    """A paste that quoted these messages (signature id, framework that printed it)."""
    errors = [
        ReportedError(signature=sig, text=f"<{sig}>", meaning="", framework=fw) for sig, fw in said
    ]
    live = (
        [LiveProbe(framework="tensorflow", status="ok", details=tf_details)] if tf_details else []
    )
    return Snapshot(reported_errors=errors, live=live)


def _explain(text: str) -> list[tuple[str, str]]:
    findings = explain_text(text, "paste.txt", probe=False).report.findings
    return [(f.code, f.severity) for f in findings]


def test_dl703_the_job_itself_does_not_fit() -> None:
    # torch < 2.1 (github.com/chnsh/DCRNN_PyTorch/issues/6): PyTorch holds 4.63 of 5.80 GiB
    s = _oom(
        oom_gpu="0",
        oom_requested_mib="20.00",
        oom_total_mib="5939.20",
        oom_free_mib="6.69",
        oom_pytorch_reserved_mib="4741.12",
        oom_allocated_mib="4464.64",
    )
    f = only(s, "DL703")
    assert (f.severity, f.title, f.subject) == (
        "error",
        "GPU 0 ran out of memory: the job does not fit",
        "gpu0",
    )
    assert f.message.endswith(
        "PyTorch itself held 4.63 GiB of the GPU's 5.80 GiB and asked for 20.00 MiB more."
    )
    assert [type(a) for a in f.fixes] == [ManualStep]
    assert "smaller batch size" in f.fixes[0].text  # type: ignore[union-attr]
    assert fired(s, "DL702") == []
    # the good machine: no out-of-memory error at all
    assert fired(gpu_machine(frameworks=[torch()]), "DL703") == []


def test_dl703_a_fragmented_cache_gets_expandable_segments() -> None:
    s = _oom(
        oom_requested_mib="1024.00",
        oom_total_mib="24576.00",
        oom_free_mib="512.00",
        oom_pytorch_reserved_mib="23552.00",
        oom_unallocated_mib="3072.00",
    )
    f = only(s, "DL703")
    assert f.fixes[0] == SetEnv(
        name="PYTORCH_CUDA_ALLOC_CONF",
        value="expandable_segments:True",
        reason="the cache held enough free memory, in pieces too small for the request",
    )
    assert f.evidence[-1].note == "reserved by PyTorch but unallocated: a fragmented cache"
    # little reserved-but-unallocated: not fragmentation, no allocator setting
    tidy = _oom(
        oom_requested_mib="1024.00",
        oom_total_mib="24576.00",
        oom_free_mib="512.00",
        oom_pytorch_reserved_mib="23552.00",
        oom_unallocated_mib="20.00",
    )
    assert [type(a) for a in only(tidy, "DL703").fixes] == [ManualStep]


def test_dl703_a_request_larger_than_the_gpu_is_never_blamed_on_others() -> None:
    s = _oom(
        oom_requested_mib="40960.00",
        oom_total_mib="8192.00",
        oom_free_mib="10.00",
        oom_other_processes="99=7000.00",
    )
    assert "more than the whole GPU (8.00 GiB)" in only(s, "DL703").message
    assert fired(s, "DL702") == []


def test_dl701_from_a_tensorflow_handle_failure() -> None:
    # github.com/tony-framework/TonY/pull/486: TF 2.3.1 "Could not create cudnn handle"
    s = _pasted(("cudnn-handle-failed", "tensorflow"))
    f = only(s, "DL701")
    assert (f.severity, f.title) == (
        "error",
        "TensorFlow ran out of GPU memory because memory growth is off",
    )
    assert f.fixes == [
        SetEnv(
            name="TF_FORCE_GPU_ALLOW_GROWTH",
            value="true",
            reason="allocate GPU memory as needed instead of all of it at start-up",
        )
    ]
    assert fired(s, "DL703") == []
    # beside TensorFlow's cuDNN version mismatch the handle failure is that mismatch
    mismatch = _pasted(("cudnn-handle-failed", "tensorflow"), ("tf-cudnn-version-mismatch", None))
    assert fired(mismatch, "DL701") == []
    # the same cuBLAS failure in PyTorch is the job's size (github.com/QwenLM/Qwen3/issues/873)
    assert fired(_pasted(("cublas-handle-failed", "torch")), "DL703") == ["DL703"]


def test_dl701_from_tensorflows_start_up_grab() -> None:
    grab = _pasted(("tf-failed-to-allocate-from-device", "tensorflow"), oom_requested_mib="6070.79")
    assert "the 5.93 GiB region TensorFlow asks for at start-up" in only(grab, "DL701").message
    # a small region failing mid-run (its pool ran out too: memory growth on) is not the
    # start-up grab
    small = _pasted(
        ("tf-failed-to-allocate-from-device", "tensorflow"),
        ("tf-bfc-out-of-memory", "tensorflow"),
        oom_requested_mib="392",
    )
    assert fired(small, "DL701") == []
    assert fired(small, "DL703") == ["DL703"]


def test_dl702_when_tensorflows_start_up_region_is_small() -> None:
    # without growth TensorFlow sizes its start-up region from the free memory: 106.88 MiB free
    # (github.com/BichenWuUCB/squeezeDet/issues/77: someone else's job held the GPU)
    line = (
        "E tensorflow/stream_executor/cuda/cuda_driver.cc:924] failed to allocate 106.88M "
        "(112066560 bytes) from device: CUDA_ERROR_OUT_OF_MEMORY\n"
    )
    assert _explain(line) == [("DL702", "error")]
    f = explain_text(line, "paste.txt", probe=False).report.findings[0]
    assert "106.88 MiB" in f.message and "nearly full before the program began" in f.message
    # TensorFlow backing off from a large region: the first (largest) failure decides
    backoff = line.replace("106.88M (112066560", "5.93G (6365773824") + line
    assert _explain(backoff)[0][0] == "DL701"
    # growth on: the region grew with the job, so the job's size is the answer
    growth = (
        "TF_FORCE_GPU_ALLOW_GROWTH=true\n"
        + line
        + "Ran out of memory trying to allocate 392.00MiB\n"
    )
    assert "DL702" not in {c for c, _ in _explain(growth)}


def test_dl702_when_the_paste_shows_memory_held_before_the_program_started() -> None:
    # TensorFlow 1.x: "totalMemory: 23.88GiB freeMemory: 2.10GiB" at start-up
    s = _pasted(
        ("cublas-handle-failed", "tensorflow"), start_total_mib="24453.12", start_free_mib="2150.4"
    )
    f = only(s, "DL702")
    assert f.message.startswith(
        "TensorFlow ran out of GPU memory, and only 2.10 GiB of 23.88 GiB was free when "
        "TensorFlow started"
    )
    assert fired(s, "DL701") == [] and fired(s, "DL703") == []
    # the reporter says so (github.com/Jhsmit/PyHDX/issues/95)
    stated = _pasted(("cublas-handle-failed", "tensorflow"), ("gpu-memory-held-stated", None))
    assert "the report says other processes held it" in only(stated, "DL702").message
    # an nvidia-smi table in the paste with processes holding most of the GPU
    table = replace(
        _pasted(("cuda-out-of-memory", "torch")),
        gpus=[gpu(used=20000, processes=2)],
        driver=gpu_machine().driver,
    )
    assert fired(table, "DL702") == ["DL702"]
    assert fired(table, "DL703") == []


def test_memory_family_end_to_end() -> None:
    assert _explain(
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1030] Creating TensorFlow device "
        "(/gpu:0) -> (device: 0, name: GeForce GTX 1060 6GB, pci bus id: 0000:01:00.0)\n"
        "E tensorflow/stream_executor/cuda/cuda_driver.cc:924] failed to allocate 5.93G "
        "(6365773824 bytes) from device: CUDA_ERROR_OUT_OF_MEMORY\n"
    ) == [("DL701", "error")]
    assert _explain(
        "RuntimeError: CUDA out of memory. Tried to allocate 60.00 MiB (GPU 0; 6.00 GiB total "
        "capacity; 4.11 GiB already allocated; 34.82 MiB free; 4.42 GiB reserved in total by "
        "PyTorch)\n"
    ) == [("DL703", "error")]
    held = _explain(
        "E tensorflow/stream_executor/cuda/cuda_blas.cc:238] failed to create cublas handle: "
        "CUBLAS_STATUS_ALLOC_FAILED\nthe GPU memory was not released by the last run\n"
    )
    assert held == [("DL702", "error")]


def test_dl702_names_the_compute_processes_nvml_lists() -> None:
    held = replace(
        gpu(used=23000, processes=2),
        compute_processes=[
            GpuProcess(pid=4242, used_memory_mib=20480, name="python"),
            GpuProcess(pid=77, used_memory_mib=2048, name=None),
        ],
    )
    f = only(gpu_machine(gpus=[held]), "DL702")
    assert f.message == (
        "NVIDIA GeForce RTX 4090 has 23000 of 24564 MiB in use by 2 process(es): PID 4242 "
        "(python) 20.00 GiB, PID 77 2.00 GiB; new CUDA programs there will run out of memory."
    )
    assert [(e.fact, e.found, e.note) for e in f.evidence[1:]] == [
        ("gpus.0.compute_processes", "PID 4242: 20.00 GiB", "python"),
        ("gpus.0.compute_processes", "PID 77: 2.00 GiB", None),
    ]
    assert f.fixes[0].commands == [  # type: ignore[union-attr]
        "nvidia-smi --query-compute-apps=pid,used_memory --format=csv",
        "ps -o pid,user,etime,args -p 4242",
        "ps -o pid,user,etime,args -p 77",
    ]
    # a pasted out-of-memory error on that GPU is blamed on them, once
    pasted = replace(
        gpu_machine(gpus=[replace(held, memory_used_mib=12000)]),
        reported_errors=[
            ReportedError(signature="cuda-out-of-memory", text="x", meaning="", framework="torch")
        ],
    )
    assert fired(pasted, "DL702") == ["DL702"] and fired(pasted, "DL703") == []


def _paste_codes(text: str) -> dict[str, str]:
    found = explain_text(text, "paste.txt", probe=False).report.findings
    return {f.code: f.severity for f in found if f.severity in ("error", "warning")}


@pytest.mark.parametrize(
    "text",
    [
        # aten/src/ATen/native/cudnn/Conv_v7.cpp: no algorithm's workspace fitted
        "RuntimeError: Unable to find a valid cuDNN algorithm to run convolution",
        # aten/src/ATen/cudnn/Exceptions.h
        "RuntimeError: cuDNN error: CUDNN_STATUS_ALLOC_FAILED",
        # torch < 1.0 (THCCachingAllocator)
        "RuntimeError: cuda runtime error (2) : out of memory at "
        "/pytorch/aten/src/THC/THCCachingAllocator.cpp:510",
        # XLA's PJRT client (JAX)
        "XlaRuntimeError: RESOURCE_EXHAUSTED: Failed to allocate request for 4.00GiB "
        "(4294967296B) on device ordinal 0",
        # tensorflow/core/kernels/fused_batch_norm_op.cc
        "tensorflow.python.framework.errors_impl.InternalError: cuDNN launch failure : input "
        "shape ([1,64,64,3])",
    ],
)
def test_dl703_out_of_memory_in_the_words_of_each_program(text: str) -> None:
    # nothing beside the message shows whose memory it was: the job's size, probably
    assert _paste_codes(text).get("DL703") == "warning"


def test_dl701_tensorflow_conv_algorithm_failure_is_the_memory_growth_answer() -> None:
    text = (
        "tensorflow.python.framework.errors_impl.UnknownError: Failed to get convolution "
        "algorithm. This is probably because cuDNN failed to initialize, so try looking to see "
        "if a warning log message was printed above."
    )
    codes = _paste_codes(text)
    assert "DL701" in codes and "DL703" not in codes
    # beside a cuDNN version mismatch the same failure is that mismatch, not memory
    mismatch = (
        "E tensorflow/stream_executor/cuda/cuda_dnn.cc:82] Loaded runtime CuDNN library: 7.1.4 "
        "but source was compiled with: 7.2.1.\n" + text
    )
    both = _paste_codes(mismatch)
    assert "DL206" in both and "DL701" not in both and "DL703" not in both


def test_dl703_jax_out_of_memory_first_turns_preallocation_off() -> None:
    for text in (
        "jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED: Out of memory while trying "
        "to allocate 17179869184 bytes.",
        "jaxlib.xla_extension.XlaRuntimeError: UNKNOWN: Failed to determine best cudnn "
        "convolution algorithm for:",
    ):
        found = explain_text(text, "paste.txt", probe=False).report.findings
        f = next(x for x in found if x.code == "DL703")
        assert isinstance(f.fixes[0], SetEnv)
        assert (f.fixes[0].name, f.fixes[0].value) == ("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    torch_oom = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB."
    found = explain_text(torch_oom, "paste.txt", probe=False).report.findings
    f = next(x for x in found if x.code == "DL703")
    assert not any(isinstance(a, SetEnv) and a.name.startswith("XLA_") for a in f.fixes)


def test_tensorflow_workspace_warning_is_not_an_out_of_memory_error() -> None:
    warning = (
        "W tensorflow/core/common_runtime/bfc_allocator.cc:246] Allocator (GPU_0_bfc) ran out of "
        "memory trying to allocate 2.27GiB with freed_by_count=0. The caller indicates that this "
        "is not a failure, but may mean that there could be performance gains if more memory were "
        "available.\n"
    )
    assert _paste_codes(warning) == {}
    failure = (
        "W tensorflow/core/common_runtime/bfc_allocator.cc:457] Allocator (GPU_0_bfc) ran out of "
        "memory trying to allocate 1.00GiB (rounded to 1073741824)requested by op MatMul\n"
    )
    assert _paste_codes(warning + failure).get("DL703") == "warning"


def test_dl702_when_the_report_says_memory_stays_taken_without_an_oom_line() -> None:
    """ "The GPU memory was not properly released … a zombie process" is the cause to chase even
    before the next run's out-of-memory error is pasted; a report that says memory was released
    gives nothing."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity in ("error", "warning")}

    assert codes(
        "When I finish training, the GPU memory was not properly released; a zombie process "
        "keeps it.\nRuntimeError: CUDA error: out of memory\n"
    ) >= {"DL702"}
    assert "DL702" in codes("torch 2.5.1+cu124\nThe GPU memory remains occupied after the run.\n")
    assert "DL702" not in codes("torch 2.5.1+cu124\nthe memory was released after the run\n")


def test_dl701_when_growth_was_set_but_all_memory_was_still_taken_or_set_too_late() -> None:
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> set[str]:
        report = explain_text(text, "t", probe=False).report
        return {f.code for f in report.findings if f.severity == "error"}

    ignored = (
        "config = tf.ConfigProto()\nconfig.gpu_options.allow_growth = True\n"
        "But it still occupies all of the GPU memory of all GPUs.\n"
    )
    assert codes(ignored) == {"DL701"}
    assert codes("RuntimeError: Virtual devices cannot be modified after being initialized\n") == {
        "DL701"
    }
    assert "DL701" not in codes(
        "config.gpu_options.allow_growth = True\nNow it only takes what it needs.\n"
        "RuntimeError: CUDA error: boom\n"
    )


def test_dl702_when_even_the_cuda_context_cannot_be_created() -> None:
    # nothing of the program was allocated yet: another process held the GPU, not the model
    for text in (
        "E tensorflow/stream_executor/cuda/cuda_gpu_executor.cc] failed initializing "
        "StreamExecutor for CUDA device ordinal 0: Internal: failed call to "
        "cuDevicePrimaryCtxRetain: CUDA_ERROR_OUT_OF_MEMORY: out of memory; total memory "
        "reported: 11523260416",
        "jcuda.CudaException: CUDA_ERROR_OUT_OF_MEMORY\n"
        "    at jcuda.driver.JCudaDriver.checkResult(JCudaDriver.java:337)\n"
        "    at jcuda.driver.JCudaDriver.cuCtxCreate(JCudaDriver.java:1514)\n",
    ):
        found = explain_text(text, "paste.txt", probe=False).report.findings
        codes = {f.code for f in found if f.severity in ("error", "warning")}
        assert "DL702" in codes and "DL703" not in codes, text
    # an allocation of the model's failing is still the model's size
    late = "RuntimeError: CUDA error: out of memory\nduring loss.backward()"
    found = explain_text(late, "paste.txt", probe=False).report.findings
    assert "DL702" not in {f.code for f in found}


def test_dl702_a_stated_failure_beside_a_process_table_without_header() -> None:
    # ai4d-iasc/trixie#92: the reporter's words and a process table pasted without the header
    text = """each time I submit a job on cn119 I get an CUDA error about failing to allocate memory.

+-----------------------------------------------------------------------------+
| Processes:                                                                  |
|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |
|        ID   ID                                                   Usage      |
|=============================================================================|
|    0   N/A  N/A      1395      C   python                          25081MiB |
+-----------------------------------------------------------------------------+
"""
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [f.code for f in found if f.severity in ("error", "warning")] == ["DL702"]
    f = found[0]
    assert f.message == (
        "The program ran out of GPU memory, and process 1395 (python) held 25081 MiB of it: the "
        "memory was already taken, so the program's own size is not the cause."
    )
    assert f.fixes[0].commands == [
        "nvidia-smi --query-compute-apps=pid,used_memory --format=csv",
        "ps -o pid,user,etime,args -p 1395",
        "kill 1395  # once you know it is safe to stop",
    ]


def test_dl702_out_of_memory_on_a_gpu_an_unheaded_table_shows_full() -> None:
    # yangjianxin1/GPT2-chitchat#19: GPU rows without nvidia-smi's header; GPU 0 is full
    text = """python3 train.py --device 0
|===============================+======================+======================|
|   0  Tesla V100-SXM2...  On   | 00000000:00:08.0 Off |                    0 |
| N/A   54C    P0   246W / 300W |  15514MiB / 16130MiB |    100%      Default |
+-------------------------------+----------------------+----------------------+
|   1  Tesla V100-SXM2...  On   | 00000000:00:09.0 Off |                    0 |
| N/A   38C    P0    39W / 300W |      0MiB / 16130MiB |      0%      Default |
+-------------------------------+----------------------+----------------------+
RuntimeError: CUDA error: out of memory
"""
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [(f.code, f.subject) for f in found if f.severity == "error"] == [("DL702", "gpu0")]
    assert "DL703" not in [f.code for f in found]


def test_no_held_memory_from_a_table_of_small_desktop_processes() -> None:
    text = """I get an error about failing to allocate memory.
| Processes:                                                                  |
|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |
|=============================================================================|
|    0   N/A  N/A      1211      G   /usr/lib/xorg/Xorg                  4MiB |
"""
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [f.code for f in found if f.severity in ("error", "warning")] == []


def test_dl702_memory_in_use_while_the_process_table_lists_no_process() -> None:
    """wencolani/CrossE#2: 12.8 of 16 GB in use, an empty process table (the holder runs in
    another container or did not exit), and the reporter's out-of-memory trouble. Without the
    out-of-memory context, or with little memory in use, nothing is said."""
    table = """+-----------------------------------------------------------------------------+
| NVIDIA-SMI 410.48                 Driver Version: 410.48                    |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|===============================+======================+======================|
|   0  Tesla P100-SXM2...  Off  | 00000000:05:00.0 Off |                    0 |
| N/A   36C    P0    41W / 300W |  {used}MiB / 16280MiB |      0%      Default |
+-------------------------------+----------------------+----------------------+

+-----------------------------------------------------------------------------+
| Processes:                                                       GPU Memory |
|  GPU       PID   Type   Process name                             Usage      |
|=============================================================================|
+-----------------------------------------------------------------------------+
"""

    def codes(text: str) -> list[str]:
        found = explain_text(text, "paste.txt", probe=False).report.findings
        return [f.code for f in found if f.severity in ("error", "warning")]

    said = "I think I have found the cause of my OOM issues.\n"
    assert codes(said + table.format(used="12799")) == ["DL702"]
    assert codes(said + table.format(used=" 1210")) == []
    assert codes("My GPU while training:\n" + table.format(used="12799")) == []


def test_dl701_cudnn_handle_in_words_beside_the_reporters_growth_fix(no_priors: None) -> None:
    """ "Could not create cuDNN handle" without a CUDNN_STATUS is a cause only beside the
    reporter's fix that turns memory growth on (TensorFlow's start-up grab left cuDNN no
    workspace); alone it names no memory cause."""
    said = "I kept getting the tensorflow error of: Could not create cuDNN handle\n\n"
    fix = (
        "This was a fix I added to get it to work..\n\nJust initialize the class with:\n\n"
        "```\ntextgen = textgenrnn(allow_growth=True)\n```\n"
    )
    assert ("DL701", "warning") in _explain(said + fix)
    assert all(code not in ("DL701", "DL703") for code, _ in _explain(said))


def test_dl703_tensorflows_eager_failed_to_allocate_and_a_question_is_no_statement() -> None:
    """SciSharp/TensorFlow.NET#904: TensorFlow's eager kernels say "RESOURCE_EXHAUSTED: failed to
    allocate memory" on a 2 GB GTX 1050 whose owner already turned memory growth on: the job does
    not fit (DL703), a recognised out-of-memory error. BaberMuyu/2020CCF-NER#6: the reporter
    asking whether "something might be keeping the GPU memory from being released"
    (可能导致显存不释放) states no other process holding it: DL703, not DL702."""
    from dlenv.importers.explain import explain_text

    def codes(text: str) -> list[str]:
        return [f.code for f in explain_text(text, "p", probe=False).report.findings]

    tf = (
        "NVIDIA GPU 1050(2 GB)\n2022-01-08 20:21:27.378152: W tensorflow/core/framework/"
        "op_kernel.cc:1733] RESOURCE_EXHAUSTED: failed to allocate memory\n"
        "I already tried tf.config.experimental.set_memory_growth(gpu, True)\n"
    )
    assert codes(tf)[0] == "DL703"
    oom = (
        "RuntimeError: CUDA out of memory. Tried to allocate 294.00 MiB (GPU 0; 7.79 GiB total "
        "capacity; 6.27 GiB already allocated; 61.62 MiB free; 617.88 MiB cached)\n"
    )
    assert codes(oom + "是batch_size设置太大了吗，还是哪里可能导致显存不释放\n")[0] == "DL703"
    assert "DL702" in codes(oom + "训练结束后显存不释放，被其他进程占用\n")
