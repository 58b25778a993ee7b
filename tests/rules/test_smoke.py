"""Rules DL410-DL414: what `dlenv smoke` saw, as data (GPU cases included: no GPU here)."""

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.snapshot.model import SmokeCheck, SmokeFacts, Snapshot
from tests.rules.snapshots import cpu_machine, fired, gpu_machine, only


def with_smoke(s: Snapshot, *checks: SmokeCheck) -> Snapshot:
    devices = sorted({c.device for c in checks})
    return replace(
        s, smoke=SmokeFacts(python="/venv/bin/python", devices=devices, checks=list(checks))
    )


def passed(check: str, framework: str = "torch", device: str = "cpu", **kw: object) -> SmokeCheck:
    return SmokeCheck(check=check, framework=framework, device=device, status="passed", **kw)  # type: ignore[arg-type]


def test_no_smoke_section_no_finding() -> None:
    for code in ("DL410", "DL411", "DL412", "DL413", "DL414"):
        assert fired(cpu_machine(), code) == []


def test_dl410_training_that_raises_names_cudnn() -> None:
    bad = with_smoke(
        gpu_machine(),
        SmokeCheck(
            check="train",
            framework="torch",
            device="cuda:0",
            status="failed",
            error="RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED",
        ),
    )
    f = only(bad, "DL410")
    assert f.title == "torch on cuda:0 cannot train"
    assert "Likely cause: cuDNN failed at the first convolution" in f.message
    assert f.evidence[0].fact == "smoke.torch.cuda:0.train"
    assert "dlenv smoke --only torch --device cuda:0 --checks train" in f.fixes[-1].commands  # type: ignore[union-attr]
    good = with_smoke(gpu_machine(), passed("train", device="cuda:0"))
    assert fired(good, "DL410") == []


def test_dl410_hang_and_skips() -> None:
    hung = with_smoke(
        cpu_machine(),
        SmokeCheck(check="train", framework="keras", backend="torch", device="cpu",
                   status="timeout", error="no answer after 5 s"),
    )  # fmt: skip
    f = only(hung, "DL410")
    assert (
        f.message
        == "Training LeNet-5 with keras (torch backend) on cpu failed: it hung: no answer after 5 s"
    )
    skipped = with_smoke(
        cpu_machine(),
        SmokeCheck(check="train", framework="torch", device="cuda:0", status="skipped",
                   reason="torch 2.13.0+cpu is a CPU-only build"),
    )  # fmt: skip
    assert fired(skipped, "DL410") == []


def test_dl411_h5_names_the_format_and_what_to_use_instead() -> None:
    bad = with_smoke(
        cpu_machine(),
        SmokeCheck(
            check="save_load",
            framework="keras",
            backend="tensorflow",
            device="cpu",
            status="failed",
            variant="h5",
            details={"step": "load"},
            error="ValueError: could not be deserialized",
        ),
        passed("save_load", "keras", variant="keras", backend="tensorflow"),
    )
    f = only(bad, "DL411")
    assert f.title == "keras (tensorflow backend) on cpu: h5 does not round-trip"
    assert "(load failed)" in f.message
    assert f.hint is not None and "model.save('model.keras')" in f.hint
    assert isinstance(f.fixes[0], ManualStep) and f.fixes[0].text.startswith("Instead:")
    good = with_smoke(cpu_machine(), passed("save_load", "keras", variant="h5"))
    assert fired(good, "DL411") == []


def test_dl412_tensorboard_failed_but_not_when_absent() -> None:
    bad = with_smoke(
        cpu_machine(),
        SmokeCheck(check="tensorboard", framework="torch", device="cpu", status="failed",
                   error="AttributeError: module 'tensorboard' has no attribute 'x'"),
    )  # fmt: skip
    assert fired(bad, "DL412") == ["DL412"]
    absent = with_smoke(
        cpu_machine(),
        SmokeCheck(check="tensorboard", framework="torch", device="cpu", status="skipped",
                   reason="TensorBoard is not installed (pip install tensorboard)"),
    )  # fmt: skip
    assert fired(absent, "DL412") == []


def test_dl413_hang_shows_settings_and_fixes() -> None:
    bad = with_smoke(
        gpu_machine(),
        SmokeCheck(
            check="allreduce",
            framework="torch",
            device="cuda:0,1",
            status="timeout",
            variant="nccl",
            error="no answer after 60 s; the process group was killed",
            details={"NCCL_P2P_LEVEL": "NVL", "NCCL_DEBUG": "WARN"},
        ),
    )
    f = only(bad, "DL413")
    assert f.title == "all-reduce with nccl on cuda:0,1 hangs"
    assert f.message.endswith("Settings in force: NCCL_P2P_LEVEL=NVL, NCCL_DEBUG=WARN")
    names = [a.name for a in f.fixes if isinstance(a, SetEnv)]
    assert names == ["NCCL_DEBUG", "NCCL_P2P_DISABLE"]
    gloo = with_smoke(
        cpu_machine(),
        SmokeCheck(check="allreduce", framework="torch", device="cpu", status="failed",
                   variant="gloo", error="wrong result: expected 3.0, got 1.0"),
    )  # fmt: skip
    g = only(gloo, "DL413")
    assert [a.name for a in g.fixes if isinstance(a, SetEnv)] == [
        "TORCH_DISTRIBUTED_DEBUG",
        "GLOO_SOCKET_IFNAME",
    ]
    good = with_smoke(cpu_machine(), passed("allreduce", variant="gloo"))
    assert fired(good, "DL413") == []


def test_dl414_memory_growth_not_in_effect() -> None:
    bad = with_smoke(
        gpu_machine(),
        SmokeCheck(check="memory", framework="tensorflow", device="cuda:0", status="failed",
                   error="a 4 MiB tensor took 78.5 GiB of 80.0 GiB"),
    )  # fmt: skip
    f = only(bad, "DL414")
    assert isinstance(f.fixes[0], SetEnv) and f.fixes[0].name == "TF_FORCE_GPU_ALLOW_GROWTH"
    cpu = with_smoke(
        cpu_machine(),
        SmokeCheck(check="memory", framework="tensorflow", device="cpu",
                   status="not-applicable", reason="GPU memory: this run is on the CPU"),
    )  # fmt: skip
    assert fired(cpu, "DL414") == []


def test_dl413_tensorflow_collectives_get_grpc_fixes_not_torch_ones() -> None:
    bad = with_smoke(
        cpu_machine(),
        SmokeCheck(check="allreduce", framework="tensorflow", device="cpu", status="timeout",
                   variant="collective", error="no answer after 60 s; the process group was killed",
                   details={"strategy": "MultiWorkerMirroredStrategy", "collectives": "RING",
                            "GRPC_VERBOSITY": "ERROR"}),
    )  # fmt: skip
    f = only(bad, "DL413")
    assert f.title == "TensorFlow's multi-worker all-reduce on cpu hangs"
    assert f.subject == "tensorflow"
    assert f.message.startswith("MultiWorkerMirroredStrategy (RING) on cpu: it hung")
    assert f.message.endswith("Settings in force: GRPC_VERBOSITY=ERROR")
    assert [a.name for a in f.fixes if isinstance(a, SetEnv)] == [
        "no_proxy",
        "TF_CPP_MIN_LOG_LEVEL",
    ]
    good = with_smoke(
        cpu_machine(), passed("allreduce", framework="tensorflow", variant="collective")
    )
    assert fired(good, "DL413") == []
