"""Requirements against machines as data: pass, fail and could-not-check for every kind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dlenv.check.evaluate import evaluate, exit_code, parse_version
from dlenv.check.model import FindingResult, PolicyCounts, PolicyResult, RequirementResult
from dlenv.check.policy import parse_policy
from dlenv.errors import ExitCode
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    DriverFacts,
    EnvVar,
    FrameworkFacts,
    LiveProbe,
    PythonFacts,
    Snapshot,
)
from tests.check.machines import a100, cpu_box, finding, report, runner, torch_live


def judge(
    policy: dict[str, Any], snapshot: Snapshot, **kwargs: Any
) -> list[tuple[str, str, str, str | None]]:
    result = evaluate(parse_policy(policy, "p.toml"), report(snapshot), **kwargs)
    return [(r.key, r.outcome, r.found, r.detail) for r in result.requirements]


def one(policy: dict[str, Any], snapshot: Snapshot, **kwargs: Any) -> tuple[str, str, str | None]:
    (result,) = judge(policy, snapshot, **kwargs)
    return result[1:]


def test_a_healthy_runner_passes_everything() -> None:
    policy = parse_policy(
        {
            "min_gpus": 2,
            "gpu_name": "*A100*",
            "min_gpu_memory_gib": 80,
            "min_compute_capability": "8.0",
            "driver": ">=535",
            "driver_cuda": ">=12.2",
            "cuda": ">=12.1",
            "cudnn": ">=8.9",
            "python": ">=3.10",
            "frameworks": {"torch": ">=2.3", "tensorflow": ">=2.16"},
            "gpu_frameworks": ["torch", "tensorflow"],
            "tensorflow_memory_growth": True,
            "health": {
                "max_temperature_c": 85,
                "max_ecc_uncorrectable": 0,
                "max_retired_pages": 0,
                "max_processes": 0,
            },
        },
        "ci/dlenv.toml",
    )
    result = evaluate(policy, report(runner()))
    gpus = "GPU 0: {0}; GPU 1: {0}"
    assert result == PolicyResult(
        source="ci/dlenv.toml",
        passed=True,
        requirements=[
            RequirementResult(
                key="min_gpus",
                title="GPUs",
                outcome="pass",
                needed="at least 2",
                found="2 (NVIDIA A100-SXM4-80GB)",
            ),
            RequirementResult(
                key="gpu_name",
                title="GPU name",
                outcome="pass",
                needed="matches '*A100*'",
                found=gpus.format("NVIDIA A100-SXM4-80GB"),
            ),
            RequirementResult(
                key="min_gpu_memory_gib",
                title="GPU memory",
                outcome="pass",
                needed="at least 80 GiB",
                found=gpus.format("80.0 GiB"),
            ),
            RequirementResult(
                key="min_compute_capability",
                title="compute capability",
                outcome="pass",
                needed="at least 8.0",
                found=gpus.format("8.0"),
            ),
            RequirementResult(
                key="health.max_temperature_c",
                title="GPU temperature",
                outcome="pass",
                needed="at most 85 °C",
                found=gpus.format("41 °C"),
            ),
            RequirementResult(
                key="health.max_ecc_uncorrectable",
                title="uncorrectable ECC errors",
                outcome="pass",
                needed="at most 0",
                found=gpus.format("0"),
            ),
            RequirementResult(
                key="health.max_retired_pages",
                title="retired pages",
                outcome="pass",
                needed="at most 0",
                found=gpus.format("0"),
            ),
            RequirementResult(
                key="health.max_processes",
                title="processes on the GPU",
                outcome="pass",
                needed="at most 0",
                found=gpus.format("0"),
            ),
            RequirementResult(
                key="driver",
                title="NVIDIA driver",
                outcome="pass",
                needed=">=535",
                found="535.104.05",
            ),
            RequirementResult(
                key="driver_cuda",
                title="CUDA supported by the driver",
                outcome="pass",
                needed=">=12.2",
                found="12.2",
            ),
            RequirementResult(
                key="cuda",
                title="CUDA toolkit",
                outcome="pass",
                needed=">=12.1",
                found="12.1.105 (/usr/local/cuda-12.1)",
            ),
            RequirementResult(
                key="cudnn",
                title="cuDNN",
                outcome="pass",
                needed=">=8.9",
                found="8.9.7 (/usr/lib/x86_64-linux-gnu)",
            ),
            RequirementResult(
                key="python", title="Python", outcome="pass", needed=">=3.10", found="3.11.7"
            ),
            RequirementResult(
                key="frameworks.torch",
                title="torch version",
                outcome="pass",
                needed=">=2.3",
                found="2.3.1+cu121",
            ),
            RequirementResult(
                key="frameworks.tensorflow",
                title="tensorflow version",
                outcome="pass",
                needed=">=2.16",
                found="2.16.1",
            ),
            RequirementResult(
                key="gpu_frameworks.torch",
                title="torch uses the GPU",
                outcome="pass",
                needed="sees a GPU and computes",
                found="sees 2 GPUs, computation matched the CPU",
            ),
            RequirementResult(
                key="gpu_frameworks.tensorflow",
                title="tensorflow uses the GPU",
                outcome="pass",
                needed="sees a GPU and computes",
                found="sees a GPU, computation matched the CPU",
            ),
            RequirementResult(
                key="tensorflow_memory_growth",
                title="TensorFlow memory growth",
                outcome="pass",
                needed="on",
                found="on (live probe)",
            ),
        ],
        counts=PolicyCounts(passed=18),
    )
    assert exit_code(result) == ExitCode.OK


# -- GPUs -------------------------------------------------------------------------------------
def test_gpu_count() -> None:
    assert one({"min_gpus": 4}, runner()) == ("fail", "2 (NVIDIA A100-SXM4-80GB)", None)
    assert one({"min_gpus": 1}, cpu_box()) == ("fail", "0", "no NVIDIA driver")
    hidden = runner(gpus=[a100(0, visible=False), a100(1)])
    assert one({"min_gpus": 2}, hidden) == ("fail", "1 (NVIDIA A100-SXM4-80GB)", None)
    broken = Snapshot(driver=DriverFacts(installed=None, unknown={"version": "NVML timed out"}))
    assert one({"min_gpus": 1}, broken) == (
        "fail",
        "0",
        "the driver could not be queried: NVML timed out",
    )


def test_gpu_name() -> None:
    mixed = runner(gpus=[a100(0), a100(1, name="Tesla T4")])
    assert one({"gpu_name": "*a100*"}, mixed) == ("fail", "GPU 1: Tesla T4", None)
    assert one({"gpu_name": ["*A100*", "re:T4$"]}, mixed)[0] == "pass"
    nameless = runner(gpus=[a100(0, name=None, unknown={"name": "NVML_ERROR_UNKNOWN"})])
    assert one({"gpu_name": "*"}, nameless) == (
        "unchecked",
        "GPU 0: name unknown",
        "NVML_ERROR_UNKNOWN",
    )
    # a driver known to be absent is a fact: no GPU can match, so the requirement fails
    assert one({"gpu_name": "*"}, cpu_box()) == ("fail", "no GPU", "no NVIDIA driver")
    # only a driver that could not be asked leaves it open
    unasked = replace(cpu_box(), driver=DriverFacts(installed=None))
    assert one({"gpu_name": "*"}, unasked) == ("unchecked", "no GPU", "there is no GPU to check")


def test_memory_and_compute_capability() -> None:
    small = runner(gpus=[a100(0, memory_total_mib=40960, compute_capability="7.5")])
    assert one({"min_gpu_memory_gib": 79.5}, small) == ("fail", "GPU 0: 40.0 GiB", None)
    assert one({"min_compute_capability": "8.0"}, small) == ("fail", "GPU 0: 7.5", None)
    # 10.0 is newer than 8.9: compared as numbers, not text
    assert (
        one({"min_compute_capability": "8.9"}, runner(gpus=[a100(0, compute_capability="10.0")]))[0]
        == "pass"
    )
    unknown = runner(gpus=[a100(0, memory_total_mib=None, compute_capability=None)])
    assert one({"min_gpu_memory_gib": 1}, unknown) == (
        "unchecked",
        "GPU 0: memory unknown",
        "NVML did not report it",
    )
    assert one({"min_compute_capability": "8.0"}, unknown) == (
        "unchecked",
        "GPU 0: unknown",
        "NVML did not report it",
    )


def test_health_limits() -> None:
    sick = runner(
        gpus=[
            a100(0, temperature_c=92, ecc_uncorrectable=3, retired_pages=2, processes=1),
            a100(1, temperature_c=None, unknown={"temperature_c": "Not Supported"}),
        ]
    )
    assert judge(
        {
            "health": {
                "max_temperature_c": 85,
                "max_ecc_uncorrectable": 0,
                "max_retired_pages": 0,
                "max_processes": 0,
            }
        },
        sick,
    ) == [
        ("health.max_temperature_c", "fail", "GPU 0: 92 °C", None),
        ("health.max_ecc_uncorrectable", "fail", "GPU 0: 3", None),
        ("health.max_retired_pages", "fail", "GPU 0: 2", None),
        ("health.max_processes", "fail", "GPU 0: 1", None),
    ]
    warm = runner(
        gpus=[a100(0), a100(1, temperature_c=None, unknown={"temperature_c": "Not Supported"})]
    )
    assert one({"health": {"max_temperature_c": 85}}, warm) == (
        "unchecked",
        "GPU 1: unknown",
        "Not Supported",
    )


# -- versions ---------------------------------------------------------------------------------
def test_driver_versions_compare_as_numbers() -> None:
    assert parse_version("535.104.05") == parse_version("535.104.5")
    old = runner(driver=DriverFacts(installed=True, version="535.54.03", cuda_version="12.2"))
    assert one({"driver": ">=535.104.05"}, old) == ("fail", "535.54.03", None)
    assert one({"driver": "==535.*"}, old)[0] == "pass"
    # the runner: a driver known to be absent does not meet >=550
    assert one({"driver": ">=550"}, cpu_box()) == ("fail", "not installed", "no NVIDIA driver")
    assert one({"driver_cuda": ">=12"}, cpu_box()) == ("fail", "not installed", "no NVIDIA driver")
    unasked = replace(cpu_box(), driver=DriverFacts(installed=None))
    assert one({"driver": ">=550"}, unasked)[0] == "unchecked"
    odd = runner(driver=DriverFacts(installed=True, version="r535 beta"))
    assert one({"driver": ">=535"}, odd) == (
        "unchecked",
        "r535 beta",
        "not a PEP 440 version: 'r535 beta'",
    )
    assert one({"driver_cuda": ">=12.4"}, runner()) == ("fail", "12.2", None)


def test_toolkits_cudnn_python() -> None:
    two = runner(
        cuda=CudaFacts(
            toolkits=[
                CudaToolkit(path="/usr/local/cuda-11.8", version="11.8.89"),
                CudaToolkit(path="/opt/cuda", version=None),
                CudaToolkit(path="/usr/local/cuda-12.4", version="12.4.131"),
            ]
        )
    )
    # any toolkit that satisfies the requirement will do
    assert one({"cuda": ">=12"}, two) == (
        "pass",
        "11.8.89 (/usr/local/cuda-11.8), 12.4.131 (/usr/local/cuda-12.4)",
        None,
    )
    assert one({"cuda": ">=13"}, two)[0] == "fail"
    assert one({"cuda": ">=12"}, cpu_box()) == ("unchecked", "unknown", "no CUDA toolkit found")
    assert one({"cudnn": ">=9"}, runner()) == ("fail", "8.9.7 (/usr/lib/x86_64-linux-gnu)", None)
    assert one({"cudnn": ">=9"}, cpu_box()) == ("unchecked", "unknown", "no cuDNN found")
    assert one({"python": ">=3.12"}, runner()) == ("fail", "3.11.7", None)
    nopy = Snapshot(python=PythonFacts(unknown={"version": "/opt/py/bin/python: not found"}))
    assert one({"python": ">=3.10"}, nopy) == (
        "unchecked",
        "unknown",
        "/opt/py/bin/python: not found",
    )


def test_framework_versions() -> None:
    assert one({"frameworks": {"torch": ">=2.4"}}, runner()) == ("fail", "2.3.1+cu121", None)
    assert one({"frameworks": {"jax": ">=0.4"}}, runner()) == (
        "fail",
        "not installed",
        "jax is not installed",
    )
    nightly = runner(
        frameworks=[
            FrameworkFacts(name="torch", distribution="torch", version="2.5.0.dev20240801+cu121")
        ]
    )
    assert one({"frameworks": {"torch": ">=2.3"}}, nightly)[0] == "pass"


# -- live -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (
            [],
            (
                "unchecked",
                "no live probe",
                "no live probe result for torch, as with --quick or a report saved with it; run "
                "`dlenv check` on the runner itself, without --quick, so the live probe runs",
            ),
        ),
        (
            [torch_live(status="skipped", error="--no-live")],
            ("unchecked", "skipped", "--no-live"),
        ),
        (
            [torch_live(status="crashed", error="killed by signal 11 (SIGSEGV)")],
            ("fail", "crashed", "killed by signal 11 (SIGSEGV)"),
        ),
        (
            [
                torch_live(
                    gpu_available=False,
                    gpu_unavailable_reason="CUDA driver version is insufficient",
                )
            ],
            ("fail", "no GPU", "CUDA driver version is insufficient"),
        ),
        ([torch_live(gpu_available=None)], ("unchecked", "unknown", "torch did not say")),
        (
            [torch_live(compute_ok=False, error="CUDA error: no kernel image is available")],
            ("fail", "sees 2 GPUs, computation failed", "CUDA error: no kernel image is available"),
        ),
        (
            [torch_live(compute_ok=None)],
            (
                "unchecked",
                "sees 2 GPUs",
                "no computation was tried on the GPU; run `dlenv check` on the runner itself, "
                "without --quick, so the live probe runs",
            ),
        ),
    ],
)
def test_framework_uses_the_gpu(live: list[LiveProbe], expected: tuple[str, str, str]) -> None:
    assert one({"gpu_frameworks": ["torch"]}, runner(live=live)) == expected


def test_framework_uses_the_gpu_but_is_not_installed_or_a_cpu_build() -> None:
    cpu = runner(
        live=[],
        frameworks=[
            FrameworkFacts(
                name="torch", distribution="torch", version="2.13.0+cpu", cuda_build=False
            )
        ],
    )
    assert one({"gpu_frameworks": ["torch"]}, cpu) == (
        "fail",
        "2.13.0+cpu is a CPU-only build",
        "install a CUDA build of torch",
    )
    assert one({"gpu_frameworks": ["jax"]}, runner()) == (
        "fail",
        "not installed",
        "jax is not installed",
    )


def test_tensorflow_memory_growth() -> None:
    policy = {"tensorflow_memory_growth": True}
    off = LiveProbe(
        framework="tensorflow", status="ok", memory_growth={"GPU:0": "true", "GPU:1": "false"}
    )
    assert one(policy, runner(live=[off])) == ("fail", "off on GPU:1", "the live probe says so")
    assert one(policy, runner(live=[])) == ("pass", "TF_FORCE_GPU_ALLOW_GROWTH=true", None)
    unset = runner(live=[], env=[EnvVar(name="TF_FORCE_GPU_ALLOW_GROWTH", value="0")])
    assert one(policy, unset) == (
        "fail",
        "TF_FORCE_GPU_ALLOW_GROWTH=0",
        "export TF_FORCE_GPU_ALLOW_GROWTH=true on this runner",
    )
    assert one(policy, runner(live=[], env=[]))[1] == "TF_FORCE_GPU_ALLOW_GROWTH unset"
    capital = runner(live=[], env=[EnvVar(name="TF_FORCE_GPU_ALLOW_GROWTH", value="True")])
    assert one(policy, capital)[:2] == ("fail", "TF_FORCE_GPU_ALLOW_GROWTH=True")  # TF ignores it
    assert one(policy, cpu_box()) == ("unchecked", "unknown", "tensorflow is not installed")


def test_only_limits_framework_requirements() -> None:
    policy = {
        "python": ">=3",
        "frameworks": {"torch": ">=2", "tensorflow": ">=2"},
        "gpu_frameworks": ["torch", "tensorflow"],
        "tensorflow_memory_growth": True,
    }
    keys = [k for k, *_ in judge(policy, runner(), only=["torch"])]
    assert keys == ["python", "frameworks.torch", "gpu_frameworks.torch"]


# -- findings, strictness, exit codes ---------------------------------------------------------
def test_findings_errors_fail_warnings_only_when_asked() -> None:
    findings = [
        finding("DL101", "error", "driver too old"),
        finding("DL301", "error", "cuDNN missing"),
        finding("DL701", "warning", "memory growth off"),
        finding("DL702", "warning", "GPU nearly full"),
        finding("DL900", "info", "fyi"),
    ]
    policy = parse_policy({"ignore": ["DL301"], "fail_on_warnings": ["DL702"]}, "p.toml")
    result = evaluate(policy, report(runner(), findings))
    assert [(f.code, f.outcome) for f in result.findings] == [
        ("DL101", "fail"),
        ("DL301", "ignored"),
        ("DL701", "pass"),
        ("DL702", "fail"),
        ("DL900", "pass"),
    ]
    assert result.findings[0] == FindingResult(
        code="DL101",
        name="rule-dl101",
        severity="error",
        title="driver too old",
        message="driver too old, in detail.",
        outcome="fail",
    )
    assert (result.passed, result.counts) == (
        False,
        PolicyCounts(findings_failed=2, findings_ignored=1),
    )
    every = evaluate(parse_policy({"fail_on_warnings": True}), report(runner(), findings[2:]))
    assert [f.outcome for f in every.findings] == ["fail", "fail", "pass"]
    assert exit_code(every) == ExitCode.FINDINGS


def test_could_not_check_fails_unless_allowed() -> None:
    policy = parse_policy({"python": ">=3.10", "gpu_frameworks": ["torch"]}, "p.toml")
    default = evaluate(policy, report(runner(live=[])))
    lenient = evaluate(policy, report(runner(live=[])), strict=False)
    assert (default.passed, exit_code(default)) == (False, ExitCode.FINDINGS)
    assert (lenient.passed, exit_code(lenient)) == (True, ExitCode.OK)
    assert default == replace(lenient, passed=False, strict=True)
    assert lenient.counts == PolicyCounts(passed=1, unchecked=1)
