from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.fix.actions import SetEnv
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
