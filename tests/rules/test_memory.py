from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.rules import diagnose
from dlenv.snapshot.model import FrameworkFacts, LiveProbe, Snapshot
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
