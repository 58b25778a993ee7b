"""Live probes of the REAL framework venv (TensorFlow, PyTorch, Keras CPU builds), run once per
module through `attach_live`, as `dlenv doctor` does after the static probes."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from dlenv.errors import DlenvError
from dlenv.live import LiveOptions, attach_live, parse_framework_list, selected_frameworks
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.snapshot.model import FrameworkFacts, LiveProbe, PythonFacts, Snapshot
from dlenv.snapshot.serde import from_data, to_data


def _static(python: str) -> Snapshot:
    """What the static probes say about the framework venv (the facts `attach_live` uses)."""
    return Snapshot(
        python=PythonFacts(executable=python),
        frameworks=[
            FrameworkFacts(name="tensorflow", distribution="tensorflow-cpu", version="2.21.0"),
            FrameworkFacts(name="torch", distribution="torch", version="2.13.0+cpu"),
            FrameworkFacts(name="keras", distribution="keras", version="3.15.1"),
        ],
    )


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Snapshot, list[str]]]:
    python = os.environ.get("DLENV_TEST_FRAMEWORK_PYTHON")
    if not python or not os.path.exists(python):
        pytest.fail("DLENV_TEST_FRAMEWORK_PYTHON is not set: run ./scripts/test.sh")
    events: list[str] = []
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))  # importing Keras would write ~/.keras/keras.json
        mp.delenv("KERAS_HOME", raising=False)
        mp.delenv("KERAS_BACKEND", raising=False)
        snapshot = attach_live(
            _static(python),
            LiveOptions(timeout=120),
            on_update=lambda fw, state, elapsed: events.append(f"{fw}:{state}"),
        )
    assert sorted(str(p) for p in home.rglob("*")) == []  # the user's home is left alone
    yield snapshot, events


def _dist_versions(python: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in "
        "('torch', 'tensorflow-cpu', 'keras')}))"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def test_torch_cpu_build(live_run: tuple[Snapshot, list[str]], framework_python: str) -> None:
    torch = live_run[0].live_probe("torch")
    assert torch is not None
    assert (torch.status, torch.version) == ("ok", _dist_versions(framework_python)["torch"])
    assert torch.gpu_available is False
    assert torch.gpu_unavailable_reason == (
        f"torch {torch.version} is a CPU-only build (torch.version.cuda is None)"
    )
    assert (torch.cuda_version, torch.cudnn_version, torch.arch_list) == (None, None, [])
    assert (torch.devices, torch.compute_ok, torch.loaded_libraries) == ([], None, [])
    assert torch.details == {
        "cpu_compute_ok": "true",
        "distributed_backends": "gloo",
        "mps_available": "false",
    }
    assert torch.import_s is not None and 0 < torch.import_s <= (torch.total_s or 0)
    assert (torch.returncode, torch.stderr_tail, torch.error) == (0, None, None)


def test_tensorflow_cpu_build(live_run: tuple[Snapshot, list[str]], framework_python: str) -> None:
    tf = live_run[0].live_probe("tensorflow")
    assert tf is not None
    assert (tf.status, tf.version) == ("ok", _dist_versions(framework_python)["tensorflow-cpu"])
    assert tf.gpu_available is False
    assert tf.gpu_unavailable_reason == "tensorflow 2.21.0 is built without CUDA (CPU-only build)"
    assert tf.memory_growth == {}
    assert tf.messages == []
    assert tf.details == {
        "memory_growth.env": "unset",
        "memory_growth.check": "no GPU: nothing to set memory growth on",
        "cpu_compute_ok": "true",
        "physical_devices": "CPU:/physical_device:CPU:0",
        "build.is_cuda_build": "false",
        "build.is_rocm_build": "false",
        "build.is_tensorrt_build": "false",
    }


def test_keras_runs_one_step_in_the_tensorflow_process(
    live_run: tuple[Snapshot, list[str]], framework_python: str
) -> None:
    keras = live_run[0].live_probe("keras")
    assert keras is not None
    assert (keras.status, keras.version) == ("ok", _dist_versions(framework_python)["keras"])
    assert keras.compute_ok is True
    details = dict(keras.details)
    loss = details.pop("train_step.loss")
    assert float(loss) > 0
    assert details == {
        "backend": "tensorflow",
        "backend_version": "2.21.0",
        "tf.keras": "Keras 3 (3.15.1)",
        "train_step": "ok",
        "train_step.device": "/job:localhost/replica:0/task:0/device:CPU:0",
        "process": "shared with tensorflow (imported once)",
    }
    assert (keras.gpu_available, keras.gpu_unavailable_reason) == (
        False,
        "the training step ran on device:CPU:0",
    )


def test_probes_run_in_parallel_and_are_timed(live_run: tuple[Snapshot, list[str]]) -> None:
    snapshot, events = live_run
    assert [p.framework for p in snapshot.live] == ["torch", "tensorflow", "keras"]
    first_done = min(events.index("torch:ok"), events.index("tensorflow:ok"))
    assert events.index("torch:importing") < first_done
    assert events.index("tensorflow:importing") < first_done
    assert set(snapshot.timings) == {"live", "live.torch", "live.tensorflow", "live.keras"}
    assert snapshot.timings["live"] >= max(p.total_s or 0 for p in snapshot.live)


def test_json_report_includes_live(live_run: tuple[Snapshot, list[str]]) -> None:
    snapshot = live_run[0]
    document = json.loads(dump_report(make_report(snapshot, [])))
    assert document["snapshot"]["live"] == to_data(snapshot.live)
    assert from_data(Snapshot, to_data(snapshot)) == snapshot


def test_selection_only_skip_and_not_installed() -> None:
    snapshot = _static("/usr/bin/python3")
    assert selected_frameworks(snapshot, LiveOptions()) == (["torch", "tensorflow", "keras"], [])
    assert selected_frameworks(snapshot, LiveOptions(only=("torch", "jax"))) == (["torch"], [])
    assert selected_frameworks(snapshot, LiveOptions(skip=("keras",))) == (
        ["torch", "tensorflow"],
        ["keras"],
    )


def test_skipped_and_nothing_to_run() -> None:
    snapshot = _static("/usr/bin/python3")
    only_keras_skipped = attach_live(snapshot, LiveOptions(only=("keras",), skip=("keras",)))
    assert only_keras_skipped.live == [
        LiveProbe(framework="keras", status="skipped", error="skipped on request")
    ]
    none = attach_live(Snapshot(frameworks=snapshot.frameworks), LiveOptions())
    assert none.live == []
    assert none.unknown == {"live": "no target interpreter was found to run the frameworks in"}


def test_parse_framework_list() -> None:
    assert parse_framework_list("torch, TF,pytorch keras", "--only") == (
        "torch",
        "tensorflow",
        "keras",
    )
    assert parse_framework_list(None, "--only") == ()
    with pytest.raises(DlenvError) as caught:
        parse_framework_list("torch,caffe", "--skip")
    assert caught.value.message == (
        "--skip: unknown framework 'caffe' (choose from torch, tensorflow, keras, jax)"
    )
