from __future__ import annotations

import pytest

from dlenv.fix.actions import InstallPackages, SetEnv
from dlenv.report.json import dump_report, parse_report
from dlenv.report.model import make_report
from dlenv.rules.findings import Evidence, Finding
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    DriverFacts,
    DriverReading,
    FrameworkFacts,
    GpuFacts,
    Snapshot,
)
from dlenv.snapshot.serde import from_data, to_data


def sample_snapshot() -> Snapshot:
    return Snapshot(
        dlenv_version="0.1.0",
        created_at="2026-11-23T00:00:00+00:00",
        driver=DriverFacts(
            installed=True,
            version="535.104.05",
            cuda_version="12.2",
            readings=[DriverReading(source="nvml", version="535.104.05", cuda_version="12.2")],
        ),
        gpus=[GpuFacts(index=0, name="NVIDIA GeForce RTX 3090", compute_capability="8.6")],
        cuda=CudaFacts(toolkits=[CudaToolkit(path="/usr/local/cuda-12.2", version="12.2.140")]),
        frameworks=[FrameworkFacts(name="torch", distribution="torch", version="2.3.1+cu121")],
        timings={"total": 0.1},
    )


def test_snapshot_round_trips_through_plain_data() -> None:
    snap = sample_snapshot()
    assert from_data(Snapshot, to_data(snap)) == snap


def test_report_with_typed_actions_round_trips_through_json() -> None:
    finding = Finding(
        code="DL101",
        name="driver-too-old-for-cuda-runtime",
        severity="error",
        title="t",
        message="m",
        evidence=[Evidence(fact="driver.version", found="470.1", needed=">=525.60.13")],
        fixes=[
            InstallPackages(packages=["torch==2.3.1"], index_url="https://x/cu118"),
            SetEnv(name="TF_FORCE_GPU_ALLOW_GROWTH", value="true"),
        ],
    )
    report = make_report(sample_snapshot(), [finding])
    back = parse_report(dump_report(report))
    assert back == report
    assert isinstance(back.findings[0].fixes[1], SetEnv)
    assert report.summary.errors == 1


def test_wrong_types_are_rejected_with_the_path() -> None:
    data = to_data(sample_snapshot())
    data["gpus"][0]["index"] = "zero"
    with pytest.raises(ValueError, match=r"\$\.gpus\[0\]\.index"):
        from_data(Snapshot, data)
