"""The planner on machines described as data: the build chosen for each, and its sources."""

from __future__ import annotations

import json
import time

import pytest

from dlenv.errors import DlenvError
from dlenv.setup.model import SetupPlan
from dlenv.setup.plan import Interpreter, parse_requests, plan
from tests.setup import machines as m


def one_env(p: SetupPlan) -> dict[str, tuple[str, str, str]]:
    assert len(p.environments) == 1, p.notes
    return {c.name: (c.version, c.build, c.requirement) for c in p.environments[0].frameworks}


def test_pascal_with_a_cuda13_driver_gets_cu126() -> None:
    p = plan(m.pascal_new_driver(), ["torch"], pythons=m.PYTHONS)
    torch = p.environments[0].frameworks[0]
    assert (torch.version, torch.build, torch.gpu) == ("2.14", "cu126", True)
    assert torch.index_url == "https://download.pytorch.org/whl/cu126"
    assert torch.requirement == "torch==2.14.*"
    why = "\n".join(r.text for r in torch.why)
    assert "cu130 has no kernels for compute capability 6.1" in why
    assert all(r.source and r.source.startswith("https://") for r in torch.why)
    # PyTorch 2.15 drops cu126: the plan says so, with the announcement as its source
    assert any("2.15" in n.text and "cu126" in n.text and n.source for n in p.notes)


def test_blackwell_gets_cuda_12_8_or_newer() -> None:
    p = plan(m.rtx5090_driver580(), ["torch"], pythons=m.PYTHONS)
    torch = p.environments[0].frameworks[0]
    assert torch.gpu and torch.build.startswith("cu")
    assert int(torch.build[2:]) >= 128
    assert torch.build == "cu132" and torch.version == "2.14"


def test_driver_470_gets_cuda_11_8_or_older() -> None:
    p = plan(m.gtx1080_driver470(), ["torch"], pythons=m.PYTHONS)
    torch = p.environments[0].frameworks[0]
    assert torch.gpu and torch.build.startswith("cu11")
    assert (torch.version, torch.build) == ("2.7", "cu118")
    assert any(
        "needs driver >= 525.60.13; driver 470.239.06 is below it" in r.text for r in torch.why
    )


def test_driver_470_torch_and_tensorflow_get_an_environment_each() -> None:
    p = plan(m.gtx1080_driver470(), ["torch", "tensorflow"], pythons=m.PYTHONS)
    assert [e.label for e in p.environments] == ["torch", "tensorflow"]
    assert [e.path for e in p.environments] == [".venv-torch", ".venv-tensorflow"]
    tf = p.environments[1].frameworks[0]
    assert (tf.version, tf.build, tf.requirement) == (
        "2.14",
        "and-cuda",
        "tensorflow[and-cuda]==2.14.*",
    )
    assert any("cannot share one environment" in n.text for n in p.notes)


def test_no_gpu_gets_cpu_builds_and_says_so() -> None:
    p = plan(m.no_gpu(), ["torch", "tensorflow", "keras"], pythons=m.PYTHONS)
    assert one_env(p) == {
        "torch": ("2.14", "cpu", "torch==2.14.*"),
        "tensorflow": ("2.21", "cpu", "tensorflow-cpu==2.21.*"),
        "keras": ("3.15.0", "tensorflow", "keras==3.15.*"),
    }
    assert p.environments[0].frameworks[0].index_url == "https://download.pytorch.org/whl/cpu"
    assert p.notes[0].text.startswith("CPU builds only: no NVIDIA GPU or driver was found")
    assert not any(c.gpu for c in p.environments[0].frameworks)


def test_windows_native_tensorflow_is_cpu_with_a_wsl2_note() -> None:
    p = plan(m.windows_rtx3060(), ["tensorflow"], pythons=m.PYTHONS)
    assert one_env(p) == {"tensorflow": ("2.21", "cpu", "tensorflow==2.21.*")}
    note = next(n for n in p.notes if "WSL2" in n.text)
    assert note.source == "https://www.tensorflow.org/install/pip#windows-native"


def test_wsl2_rtx4090_torch_and_tensorflow_share_cuda_12() -> None:
    p = plan(m.rtx4090_wsl2(), ["torch", "tensorflow"], pythons=m.PYTHONS)
    assert one_env(p) == {
        "torch": ("2.14", "cu126", "torch==2.14.*"),
        "tensorflow": ("2.21", "and-cuda", "tensorflow[and-cuda]==2.21.*"),
    }
    assert p.machine.os == "Linux (WSL2)"


def test_5090_torch_moves_to_cuda_12_to_share_with_tensorflow() -> None:
    p = plan(m.rtx5090_driver580(), ["torch", "tensorflow"], pythons=m.PYTHONS)
    env = one_env(p)
    assert env["torch"][:2] == ("2.13", "cu129")
    assert any("torch 2.14 cu132 -> 2.13 cu129" in n.text for n in p.notes)


def test_v100_driver535_three_frameworks_share_cuda_12() -> None:
    p = plan(m.v100_driver535(), ["torch", "tensorflow", "jax"], pythons=m.PYTHONS)
    env = one_env(p)
    assert env["torch"][1] == "cu126"
    assert env["tensorflow"][1] == "and-cuda"
    assert env["jax"] == ("0.9.2", "cuda12", "jax[cuda12]==0.9.*")


def test_mixed_h100_and_p100_needs_kernels_for_both() -> None:
    p = plan(m.h100_p100_mixed(), ["torch", "jax"], pythons=m.PYTHONS)
    env = one_env(p)
    assert env["torch"][:2] == ("2.14", "cu126")  # cu130 has no sm_60
    assert env["jax"][1] == "cuda12"  # jax[cuda13] needs compute capability 7.5


def test_macos_arm64_uses_pypi_and_mps() -> None:
    p = plan(m.macos_arm64(), ["torch", "keras-jax"], pythons=m.PYTHONS)
    env = one_env(p)
    assert env["torch"][1] == "mps"
    assert env["jax"][1] == "cpu"
    assert env["keras"][1] == "jax"
    assert p.environments[0].frameworks[0].index_url is None
    assert p.environments[0].env == {"KERAS_BACKEND": "jax"}


def test_a_pinned_release_that_cannot_use_the_gpu_is_refused_unless_forced() -> None:
    p = plan(m.rtx5090_driver580(), ["torch==2.3"], pythons=m.PYTHONS)
    assert p.refused == [
        "torch: PyTorch 2.3 has no CUDA build that driver 580.65.06 runs on compute capability 12.0"
    ]
    forced = plan(m.rtx5090_driver580(), ["torch==2.3"], pythons=m.PYTHONS, force=True)
    torch = forced.environments[0].frameworks[0]
    assert not forced.refused and torch.version == "2.3" and not torch.gpu


def test_python_is_chosen_within_every_release_range() -> None:
    p = plan(m.no_gpu(), ["tensorflow", "keras"], pythons=m.PYTHONS)
    assert p.environments[0].python == "3.12"
    assert p.environments[0].python_path == "/usr/bin/python3.12"
    # only Python 3.9 here: the newest releases that still support it
    old = plan(m.no_gpu(), ["tensorflow"], pythons=[Interpreter("3.9", "/usr/bin/python3.9")])
    assert old.environments[0].frameworks[0].version == "2.20"
    assert old.environments[0].python == "3.9"
    # nothing known (another machine's report): a Python to install, said plainly
    none = plan(m.no_gpu(), ["torch"], pythons=[])
    assert none.environments[0].python_path is None
    assert "install Python 3.12 first" in none.environments[0].why[0].text


def test_the_plan_is_json_and_fast() -> None:
    machines = [m.pascal_new_driver(), m.gtx1080_driver470(), m.h100_p100_mixed(), m.no_gpu()]
    start = time.perf_counter()
    for s in machines:
        p = plan(s, ["torch", "tensorflow", "keras", "jax"], pythons=m.PYTHONS)
        json.dumps(p.to_json())
    assert (time.perf_counter() - start) / len(machines) < 0.5


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "name at least one framework"),
        (["caffe"], "unknown framework 'caffe'"),
        (["keras-mxnet"], "unknown Keras backend"),
        (["torch>=2"], "not a framework request"),
    ],
)
def test_bad_requests_are_usage_errors(items: list[str], message: str) -> None:
    with pytest.raises(DlenvError, match=message):
        parse_requests(items)


def test_keras_brings_its_backend() -> None:
    assert [(r.framework, r.backend) for r in parse_requests(["keras-torch"])] == [
        ("torch", None),
        ("keras", "torch"),
    ]
    assert parse_requests(["tf==2.20"])[0].pinned == "2.20"
