from __future__ import annotations

from dlenv.fix.actions import SetEnv
from dlenv.snapshot.model import LiveProbe
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
