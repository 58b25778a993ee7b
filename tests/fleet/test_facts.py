"""The facts a fleet compares, read off one Snapshot: values as the drift table shows them."""

from __future__ import annotations

from dataclasses import replace

from dlenv.fleet.facts import framework_value, live_value, node_facts
from dlenv.fleet.render import render_console
from dlenv.snapshot.model import (
    DriverFacts,
    FrameworkFacts,
    GpuFacts,
    HostFacts,
    LiveProbe,
    Snapshot,
)


def fw(**changes: object) -> FrameworkFacts:
    base = FrameworkFacts(name="tensorflow", distribution="tensorflow", version="2.16.1")
    return replace(base, **changes)  # type: ignore[arg-type]


def test_framework_builds() -> None:
    assert framework_value(fw(cuda_build=True, cuda_version="12.3", cudnn_version="8")) == (
        "2.16.1 (CUDA 12.3, cuDNN 8)"
    )
    assert framework_value(fw(cuda_build=False)) == "2.16.1 (CPU)"
    assert framework_value(fw(version="2.3.1+cpu", cuda_build=False)) == "2.3.1+cpu"
    assert framework_value(fw(version="2.3.1+cu121", cuda_build=True, cuda_version="12.1")) == (
        "2.3.1+cu121"
    )
    assert framework_value(fw(rocm_build=True, variant="rocm6.0")) == "2.16.1 (rocm6.0)"
    assert framework_value(fw(name="keras", version="3.3.3", backend="jax")) == (
        "3.3.3 (backend jax)"
    )


def test_live_values() -> None:
    assert live_value(LiveProbe(framework="torch", status="timeout")) == "timeout"
    assert live_value(LiveProbe(framework="torch", status="ok", gpu_available=False)) == "no GPU"
    probe = LiveProbe(framework="torch", status="ok", gpu_available=True, compute_ok=False)
    assert live_value(probe) == "GPU computation failed"


def test_a_node_without_a_driver_and_one_that_could_not_tell() -> None:
    none = node_facts(Snapshot(driver=DriverFacts(installed=False)), "0.1.0")
    assert [none[k] for k in ("driver", "gpu_count", "gpu_models", "gpu_health")] == [
        "not installed",
        "0",
        "none",
        "no GPU",
    ]
    blind = node_facts(Snapshot(), "")
    assert [blind[k] for k in ("dlenv", "driver", "gpu_count", "gpu_models", "os")] == [
        "unknown"
    ] * 5
    mixed = Snapshot(
        driver=DriverFacts(installed=True),
        gpus=[
            GpuFacts(index=0, name="A"),
            GpuFacts(index=1, name="B"),
            GpuFacts(index=2, name="B"),
        ],
        host=HostFacts(container="docker"),
    )
    facts = node_facts(mixed, "0.1.0")
    assert (facts["gpu_models"], facts["gpu_health"], facts["container_toolkit"]) == (
        "1× A, 2× B",
        "unknown",
        "no NVIDIA driver mounts",
    )


def test_many_values_are_cut_on_the_console() -> None:
    from dlenv.fleet.merge import fact_drift
    from dlenv.fleet.model import Fleet, Node

    nodes = [
        Node(name=f"n{i:02d}", source="x", facts={"kernel": f"6.1.{i}" if i > 20 else "6.1.0"})
        for i in range(40)
    ]
    text = render_console(Fleet(nodes=nodes, drift=fact_drift(nodes)))
    assert "  kernel" in text and "6.1.0 on 21 of 40" in text
    assert "… 9 more values on 9 nodes (--verbose)" in text
    assert len(render_console(Fleet(nodes=nodes, drift=fact_drift(nodes)), verbose=True)) > len(
        text
    )
