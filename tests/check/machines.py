"""Machines as data for the check tests: a healthy 2×A100 CI runner and a CPU-only box."""

from __future__ import annotations

from dlenv.report.model import Report, make_report
from dlenv.rules.findings import Evidence, Finding
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    CudnnInstall,
    DriverFacts,
    EnvVar,
    FrameworkFacts,
    GpuFacts,
    HostFacts,
    LiveDevice,
    LiveProbe,
    PythonFacts,
    Snapshot,
)


def a100(index: int, **changes: object) -> GpuFacts:
    facts: dict[str, object] = {
        "index": index,
        "name": "NVIDIA A100-SXM4-80GB",
        "memory_total_mib": 81920,
        "compute_capability": "8.0",
        "temperature_c": 41,
        "ecc_uncorrectable": 0,
        "retired_pages": 0,
        "processes": 0,
        "visible": True,
    }
    facts.update(changes)
    return GpuFacts(**facts)  # type: ignore[arg-type]


def torch_live(**changes: object) -> LiveProbe:
    facts: dict[str, object] = {
        "framework": "torch",
        "status": "ok",
        "version": "2.3.1+cu121",
        "gpu_available": True,
        "devices": [LiveDevice(index=0), LiveDevice(index=1)],
        "compute_ok": True,
    }
    facts.update(changes)
    return LiveProbe(**facts)  # type: ignore[arg-type]


def runner(**changes: object) -> Snapshot:
    facts: dict[str, object] = {
        "created_at": "2026-11-23T10:00:00+00:00",
        "host": HostFacts(os="Linux", hostname="gpu-runner-7"),
        "driver": DriverFacts(installed=True, version="535.104.05", cuda_version="12.2"),
        "gpus": [a100(0), a100(1)],
        "cuda": CudaFacts(
            toolkits=[CudaToolkit(path="/usr/local/cuda-12.1", version="12.1.105", kind="system")],
            cudnn=[CudnnInstall(path="/usr/lib/x86_64-linux-gnu", version="8.9.7")],
        ),
        "python": PythonFacts(version="3.11.7"),
        "frameworks": [
            FrameworkFacts(name="torch", distribution="torch", version="2.3.1+cu121"),
            FrameworkFacts(name="tensorflow", distribution="tensorflow", version="2.16.1"),
        ],
        "env": [EnvVar(name="TF_FORCE_GPU_ALLOW_GROWTH", value="true")],
        "live": [
            torch_live(),
            LiveProbe(
                framework="tensorflow",
                status="ok",
                gpu_available=True,
                compute_ok=True,
                memory_growth={"GPU:0": "true", "GPU:1": "true"},
            ),
        ],
    }
    facts.update(changes)
    return Snapshot(**facts)  # type: ignore[arg-type]


def cpu_box() -> Snapshot:
    return Snapshot(
        created_at="2026-11-23T10:00:00+00:00",
        host=HostFacts(os="Linux", hostname="laptop"),
        driver=DriverFacts(installed=False),
        python=PythonFacts(version="3.11.7"),
    )


def finding(code: str, severity: str, title: str = "something is off") -> Finding:
    return Finding(
        code=code,
        name=f"rule-{code.lower()}",
        severity=severity,  # type: ignore[arg-type]
        title=title,
        message=f"{title}, in detail.",
        evidence=[Evidence(fact="driver.version", found="470.239.06", needed=">=525.60.13")],
        hint="upgrade the driver",
    )


def report(snapshot: Snapshot, findings: list[Finding] | None = None) -> Report:
    return make_report(snapshot, findings or [])
