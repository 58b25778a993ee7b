"""`dlenv smoke` for real, in the framework venv (TensorFlow, PyTorch, JAX, Keras on CPU): the whole
smoke once (session-scoped), asserted over; then faults planted in the same interpreter (a
training step that raises, a Keras that cannot load .h5, a crash, a hanging all-reduce,
TensorBoard absent), each caught and judged. GPU paths are exercised through data only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.report.json import read_report_file
from dlenv.rules import diagnose
from dlenv.smoke import SmokeOptions, run_smoke
from dlenv.smoke.plan import parse_devices, plan_smoke
from dlenv.snapshot.model import FrameworkFacts, PythonFacts, SmokeCheck, SmokeFacts, Snapshot
from tests.rules.snapshots import cpu_machine, gpu_machine
from tests.smoke.plants import alive, planted_python

pytestmark = pytest.mark.integration


def _framework_python() -> str:
    path = os.environ.get("DLENV_TEST_FRAMEWORK_PYTHON")
    if not path or not os.path.exists(path):
        pytest.fail("DLENV_TEST_FRAMEWORK_PYTHON is not set: run the suite with ./scripts/test.sh")
    return path


@pytest.fixture(scope="session")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict, Path, Path]]:  # type: ignore[type-arg]
    """`dlenv smoke --format json` on the healthy framework venv, with a fresh HOME and TMPDIR
    (to prove that nothing is left in either)."""
    base = tmp_path_factory.mktemp("smoke")
    home, tmp, out = base / "home", base / "tmp", base / "smoke.json"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLENV_")}
    env.update({"HOME": str(home), "TMPDIR": str(tmp), "NO_COLOR": "1", "COLUMNS": "120"})
    done = subprocess.run(
        [sys.executable, "-m", "dlenv", "smoke", "--python", _framework_python(),
         "--format", "json", "--output", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    yield done.returncode, data, home, tmp


def _checks(data: dict) -> list[dict]:  # type: ignore[type-arg]
    return list(data["snapshot"]["smoke"]["checks"])


def test_healthy_env_passes_every_check(healthy: tuple[int, dict, Path, Path]) -> None:  # type: ignore[type-arg]
    code, data, _, _ = healthy
    assert code == 0, data
    rows = {
        (c["framework"], c["backend"], c["device"], c["check"], c["variant"]): c["status"]
        for c in _checks(data)
    }
    assert rows == {
        ("tensorflow", None, "cpu", "train", None): "passed",
        ("tensorflow", None, "cpu", "save_load", "savedmodel"): "passed",
        ("tensorflow", None, "cpu", "tensorboard", "tf.summary"): "passed",
        ("tensorflow", None, "cpu", "memory", None): "not-applicable",
        ("torch", None, "cpu", "train", None): "passed",
        ("torch", None, "cpu", "save_load", "state_dict"): "passed",
        ("torch", None, "cpu", "save_load", "export"): "passed",
        ("torch", None, "cpu", "train", "bfloat16"): "passed",
        ("torch", None, "cpu", "tensorboard", "torch.utils.tensorboard"): "passed",
        ("torch", None, "cpu", "allreduce", "gloo"): "passed",
        ("tensorflow", None, "cpu", "allreduce", "collective"): "passed",
        ("torch", None, "cpu", "memory", None): "not-applicable",
        ("keras", "tensorflow", "cpu", "train", None): "passed",
        ("keras", "tensorflow", "cpu", "save_load", "keras"): "passed",
        ("keras", "tensorflow", "cpu", "save_load", "h5"): "passed",
        ("keras", "tensorflow", "cpu", "save_load", "export"): "passed",
        ("keras", "torch", "cpu", "train", None): "passed",
        ("keras", "torch", "cpu", "save_load", "keras"): "passed",
        ("keras", "torch", "cpu", "save_load", "h5"): "passed",
        ("jax", None, "cpu", "train", None): "passed",
        ("jax", None, "cpu", "save_load", "npz"): "passed",
        ("jax", None, "cpu", "memory", None): "not-applicable",
        ("keras", "jax", "cpu", "train", None): "passed",
        ("keras", "jax", "cpu", "save_load", "keras"): "passed",
        ("keras", "jax", "cpu", "save_load", "h5"): "passed",
    }
    assert data["findings"] == []


def test_healthy_figures(healthy: tuple[int, dict, Path, Path]) -> None:  # type: ignore[type-arg]
    _, data, _, _ = healthy
    for c in _checks(data):
        m = c["metrics"]
        if c["check"] == "train" and c["variant"] in ("bfloat16", "float16"):
            assert m["loss"] > 0 and c["details"]["autocast"] == "torch.autocast('cpu', bfloat16)"
        elif c["check"] == "train":
            assert m["steps"] == 200 and m["batch"] == 32
            assert m["loss_last"] < 0.7 * m["loss_first"]
            assert m["steps_per_s"] > 0 and m["images_per_s"] == pytest.approx(32 * m["steps_per_s"])
            assert "peak_memory_bytes" not in m  # GPU only
        if c["check"] == "save_load":
            assert m["max_abs_diff"] <= m["atol"]
        if c["check"] == "tensorboard":  # written, then read back with TensorBoard's reader
            assert m["scalars"] == 5
            assert c["details"]["reader"] == "tensorboard EventAccumulator"
        if c["check"] == "allreduce":
            assert m["world_size"] == 2 and m["bytes"] == 1 << 20 and m["seconds"] > 0
        if c["check"] == "allreduce" and c["framework"] == "torch":
            assert c["details"]["init"].startswith("tcp://127.0.0.1:")
        if c["check"] == "allreduce" and c["framework"] == "tensorflow":
            assert c["details"]["strategy"] == "MultiWorkerMirroredStrategy"
            assert c["details"]["collectives"] == "RING"
    smoke = data["snapshot"]["smoke"]
    assert smoke["devices"] == ["cpu"]
    assert smoke["python"] == _framework_python()


def test_healthy_writes_nothing_outside_its_temp_dir(healthy: tuple[int, dict, Path, Path]) -> None:  # type: ignore[type-arg]
    _, _, home, tmp = healthy
    assert list(home.iterdir()) == []  # no ~/.keras, no cache
    assert list(tmp.iterdir()) == []  # dlenv's own temporary directory is gone


def test_saved_smoke_report_is_judged_again(healthy: tuple[int, dict, Path, Path], tmp_path: Path) -> None:  # type: ignore[type-arg]
    _, data, _, _ = healthy
    path = tmp_path / "smoke.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    snapshot = read_report_file(str(path)).snapshot
    assert snapshot.smoke is not None and len(snapshot.smoke.checks) == 25
    assert [f.code for f in diagnose(snapshot, select=["DL41"])] == []


def _snapshot(python: Path, *names: str) -> Snapshot:
    frameworks = {
        "torch": FrameworkFacts(name="torch", distribution="torch", version="2.13.0+cpu",
                                cuda_build=False),
        "tensorflow": FrameworkFacts(name="tensorflow", distribution="tensorflow-cpu",
                                     version="2.21.0", cuda_build=False),
        "keras": FrameworkFacts(name="keras", distribution="keras", version="3.15.1"),
    }  # fmt: skip
    return Snapshot(
        python=PythonFacts(executable=str(python)), frameworks=[frameworks[n] for n in names]
    )


PLANTS = {
    # a training step that raises (the optimizer step), and an all-reduce that never returns
    "torch": (
        "def _raise(self, *a, **k):\n"
        "    raise RuntimeError('CUDA error: an illegal memory access was encountered')\n"
        "module.optim.Adam.step = _raise\n"
        "import time\n"
        "module.distributed.all_reduce = lambda *a, **k: time.sleep(3600)\n"
    ),
    # Keras that cannot load .h5, and whose fit() crashes the process
    "keras": (
        "import os, signal\n"
        "_load = module.models.load_model\n"
        "def _load_h5(path, *a, **k):\n"
        "    if str(path).endswith('.h5'):\n"
        "        raise ValueError('planted: cannot load ' + os.path.basename(str(path)))\n"
        "    return _load(path, *a, **k)\n"
        "module.models.load_model = _load_h5\n"
        "module.saving.load_model = _load_h5\n"
        "def _crash(self, *a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        "module.Model.fit = _crash\n"
    ),
}


# Each import and each check gets this deadline: long enough for `import torch` and Keras on a
# busy 2-core machine, short enough that the planted hang costs little.
PLANTED_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[SmokeFacts, Path]:
    where = tmp_path_factory.mktemp("planted")
    python = planted_python(where, _framework_python(), patch=PLANTS, hide=("tensorboard",))
    mp = pytest.MonkeyPatch()
    mp.setenv("NCCL_DEBUG", "WARN")
    mp.setenv("GLOO_SOCKET_IFNAME", "lo")
    try:
        facts = run_smoke(
            _snapshot(python, "torch", "keras"),
            SmokeOptions(timeout=PLANTED_TIMEOUT, checks=("train", "save_load", "tensorboard", "allreduce")),
        )
    finally:
        mp.undo()
    return facts, where


def _row(facts: SmokeFacts, framework: str, check: str, variant: str | None = None) -> SmokeCheck:
    (row,) = [
        c for c in facts.checks
        if c.framework == framework and c.check == check and (variant is None or c.variant == variant)
    ]  # fmt: skip
    return row


def test_planted_training_step_that_raises(planted: tuple[SmokeFacts, Path]) -> None:
    facts, _ = planted
    row = _row(facts, "torch", "train")
    assert row.status == "failed"
    assert row.error == "RuntimeError: CUDA error: an illegal memory access was encountered"
    assert any("_raise" in line for line in row.traceback)
    f = [f for f in diagnose(Snapshot(smoke=facts), select=["DL410"]) if f.subject == "torch"]
    assert f[0].title == "torch on cpu cannot train"
    # the same process went on with the next checks
    assert _row(facts, "torch", "save_load", "state_dict").status == "passed"


def test_planted_tensorboard_absent_is_skipped(planted: tuple[SmokeFacts, Path]) -> None:
    facts, _ = planted
    row = _row(facts, "torch", "tensorboard")
    assert (row.status, row.reason) == (
        "skipped",
        "TensorBoard is not installed (pip install tensorboard)",
    )
    assert diagnose(Snapshot(smoke=facts), select=["DL412"]) == []


def test_planted_hanging_allreduce_is_cut_and_leaves_no_process(
    planted: tuple[SmokeFacts, Path],
) -> None:
    facts, where = planted
    row = _row(facts, "torch", "allreduce")
    assert row.status == "timeout"
    assert row.error == f"no answer after {PLANTED_TIMEOUT:g} s; the process group was killed"
    assert row.details == {"GLOO_SOCKET_IFNAME": "lo", "NCCL_DEBUG": "WARN"}
    # faulthandler's stack, just before the deadline: where it hung
    assert row.stderr_tail is not None and "in check_allreduce" in row.stderr_tail
    assert alive(where) == []
    (f,) = diagnose(Snapshot(smoke=facts), select=["DL413"])
    assert f.title == "all-reduce with gloo on cpu hangs"
    assert "GLOO_SOCKET_IFNAME=lo, NCCL_DEBUG=WARN" in f.message


def test_planted_crash_then_the_next_check_goes_on(planted: tuple[SmokeFacts, Path]) -> None:
    facts, _ = planted
    row = _row(facts, "keras", "train")
    assert (row.status, row.error, row.returncode) == (
        "crashed",
        "killed by SIGSEGV (signal 11)",
        -11,
    )
    assert row.backend == "torch"
    assert _row(facts, "keras", "save_load", "keras").status == "passed"


def test_planted_keras_that_cannot_load_h5(planted: tuple[SmokeFacts, Path]) -> None:
    facts, _ = planted
    row = _row(facts, "keras", "save_load", "h5")
    assert row.status == "failed"
    assert row.error == "ValueError: planted: cannot load lenet.h5"
    assert row.details["step"] == "load"
    (f,) = diagnose(Snapshot(smoke=facts), select=["DL411"])
    assert f.title == "keras (torch backend) on cpu: h5 does not round-trip"
    assert f.hint is not None and "model.save('model.keras')" in f.hint


def test_missing_interpreter_is_an_error_per_check(tmp_path: Path) -> None:
    facts = run_smoke(
        _snapshot(tmp_path / "nope", "torch"), SmokeOptions(timeout=5.0, checks=("train",))
    )
    (row,) = facts.checks
    assert row.status == "error" and row.error is not None
    assert row.error.startswith(f"cannot run {tmp_path / 'nope'}")


# -- planning, devices and the command line (no framework runs) -------------------------------
def test_plan_on_a_two_gpu_machine() -> None:
    from tests.rules.snapshots import gpu

    s = gpu_machine(gpus=[gpu(), gpu()])
    s = s.__class__(**{**s.__dict__, "frameworks": _snapshot(Path("/p"), "torch", "keras").frameworks})
    torch = FrameworkFacts(name="torch", distribution="torch", version="2.7.1+cu126", cuda_build=True)
    s = s.__class__(**{**s.__dict__, "frameworks": [torch, s.frameworks[1]]})
    devices = parse_devices(None, 2)
    assert devices == ["cpu", "cuda:0", "cuda:1"]
    plan = plan_smoke(s, devices, ("train", "allreduce", "memory"))
    jobs = [(j.device, j.env.get("CUDA_VISIBLE_DEVICES"), [f"{x.framework}:{x.check}" for x in j.steps]) for j in plan.jobs]
    assert jobs == [
        ("cpu", "", ["torch:train", "torch:allreduce", "keras:train"]),
        ("cuda:0", "0", ["torch:memory", "torch:train", "keras:train"]),
        ("cuda:1", "1", ["torch:memory", "torch:train", "keras:train"]),
        ("cuda:0,1", "0,1", ["torch:allreduce"]),
    ]
    assert [(c.check, c.status) for c in plan.answered] == [("memory", "not-applicable")]


def test_plan_tensorflow_allreduce_runs_in_the_cpu_run_only() -> None:
    s = gpu_machine()
    tf = FrameworkFacts(name="tensorflow", distribution="tensorflow", version="2.21.0", cuda_build=True)
    s = s.__class__(**{**s.__dict__, "frameworks": [tf]})
    plan = plan_smoke(s, ["cpu", "cuda:0"], ("allreduce",))
    assert [(j.device, [f"{x.framework}:{x.check}" for x in j.steps]) for j in plan.jobs] == [
        ("cpu", ["tensorflow:allreduce"])
    ]
    [answer] = plan.answered
    assert (answer.device, answer.status) == ("cuda:0", "not-applicable")
    assert answer.reason is not None and "checked in the CPU run" in answer.reason


def test_plan_cpu_only_build_on_gpu_is_skipped_and_visible_devices_kept() -> None:
    s = gpu_machine()
    s = s.__class__(
        **{**s.__dict__, "frameworks": _snapshot(Path("/p"), "torch").frameworks,
           "visibility": s.visibility.__class__(cuda_visible_devices="GPU-abc")}
    )  # fmt: skip
    plan = plan_smoke(s, ["cuda:0"], ("train",))
    assert plan.jobs == []
    assert [(c.framework, c.status, c.reason) for c in plan.answered] == [
        ("torch", "skipped", "torch 2.13.0+cpu is a CPU-only build")
    ]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "cuda:3"], "dlenv: error: --device cuda:3: there is no such GPU (no GPU visible)\n"),
        (["--device", "tpu"], "dlenv: error: --device: unknown device 'tpu' (cpu, cuda or cuda:N, comma-separated)\n"),
        (["--checks", "fly"], "dlenv: error: --checks: unknown check 'fly' (choose from train, save_load, tensorboard, allreduce, memory)\n"),
        (["--only", "mxnet"], "dlenv: error: --only: unknown framework 'mxnet' (choose from torch, tensorflow, keras, jax)\n"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["smoke", "--python", _framework_python(), *argv], capsys)
    assert (code, out, err) == (2, "", message)


def test_console_and_exit_1_on_a_failed_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console table and the exit code, over smoke facts given as data (no framework)."""
    import dlenv.smoke.report as report

    failed = SmokeFacts(
        python="/venv/bin/python", devices=["cpu"], requested=["train"], timeout_s=120.0, wall_s=3.5,
        checks=[SmokeCheck(check="train", framework="torch", device="cpu", status="failed",
                           seconds=1.25, error="RuntimeError: boom")],
    )  # fmt: skip
    monkeypatch.setattr(
        report, "attach_smoke", lambda s, o, c=None: s.__class__(**{**s.__dict__, "smoke": failed})
    )
    code, out, _ = run(["smoke", "--python", _framework_python(), "--checks", "train"], capsys)
    assert code == 1
    assert "Smoke checks (3.5 s, each check at most 120 s)" in out
    assert " torch      cpu     train  failed  1.2 s  RuntimeError: boom" in out
    assert "DL410" in out and "torch on cpu cannot train" in out
    # a Keras backend in square brackets is text, not Rich markup
    on_jax = SmokeFacts(
        python="/venv/bin/python", devices=["cpu"], requested=["train"], timeout_s=120.0, wall_s=2.0,
        checks=[SmokeCheck(check="train", framework="keras", backend="jax", device="cpu",
                           status="failed", seconds=1.0, error="ValueError: [bold] not markup")],
    )  # fmt: skip
    monkeypatch.setattr(
        report, "attach_smoke", lambda s, o, c=None: s.__class__(**{**s.__dict__, "smoke": on_jax})
    )
    code, out, _ = run(["smoke", "--python", _framework_python(), "--checks", "train"], capsys)
    assert code == 1
    assert " keras[jax]  cpu     train  failed  1.0 s  ValueError: [bold] not markup" in out
    monkeypatch.setattr(
        report, "attach_smoke", lambda s, o, c=None: s.__class__(**{**s.__dict__, "smoke": SmokeFacts(checks=[])})
    )
    code, out, _ = run(["smoke", "--python", _framework_python()], capsys)
    assert code == 0 and "Every check that ran passed." in out


def test_cpu_machine_fixture_is_untouched() -> None:
    assert cpu_machine().smoke is None
