"""The CUDA wheel pins table (data/cuda_pins.json): its shape, its sources, and the queries."""

from __future__ import annotations

import datetime
import json
from importlib import resources

from packaging.requirements import Requirement
from packaging.version import Version

from dlenv.kb.pins import cuda_pins, pinned_releases, stated_pins, wheel_component

CUDA_PREFIXES = ("nvidia-", "cuda-toolkit", "cuda-bindings", "cuda-python", "tensorrt")


def test_every_row_is_sourced_from_its_pypi_release_page() -> None:
    pins = cuda_pins()
    assert len(pins.releases) > 100
    seen = set()
    for row in pins.releases:
        assert row.source == f"https://pypi.org/project/{row.package}/{row.version}/"
        assert row.wheel.endswith(".whl") and row.version in row.wheel, row
        assert "x86_64" in row.wheel or "none-any" in row.wheel, row
        assert (row.package, row.version) not in seen, row
        seen.add((row.package, row.version))
        for text in row.requires:
            req = Requirement(text)
            assert req.name.startswith(CUDA_PREFIXES), text
            assert req.marker is None, text  # markers evaluated by the generator


def test_the_table_has_its_date_and_platform() -> None:
    pins = cuda_pins()
    assert pins.as_of.date is not None
    datetime.date.fromisoformat(pins.as_of.date)
    assert pins.as_of.source == "https://pypi.org/"
    assert pins.platform.startswith("Linux x86_64")
    assert {"cudnn", "nccl"} <= pins.same_soname
    assert pins.same_soname_source.startswith("https://")
    raw = json.loads(
        resources.files("dlenv.kb").joinpath("data").joinpath("cuda_pins.json").read_text("utf-8")
    )
    assert raw["about"] and "gen_cuda_pins.py" in raw["about"]


def test_the_releases_the_table_covers() -> None:
    def versions(package: str) -> list[Version]:
        return [Version(r.version) for r in cuda_pins().releases if r.package == package]

    torch = versions("torch")
    assert min(torch) == Version("2.1.0") and Version("2.15.0") in torch
    tensorflow = versions("tensorflow")
    assert min(tensorflow) == Version("2.14.0") and Version("2.21.0") in tensorflow
    assert min(versions("jax-cuda12-plugin")) == Version("0.4.26")
    assert versions("jax-cuda13-plugin")
    # PyPI's default torch moved to CUDA 13 wheels with 2.11
    (t210,) = pinned_releases("torch", "2.10.0")
    (t211,) = pinned_releases("torch", "2.11.0")
    assert "nvidia-nccl-cu12==2.27.5" in t210.requires
    assert any(r.startswith("nvidia-nccl-cu13==") for r in t211.requires)


def test_pinned_releases_by_partial_version() -> None:
    assert [r.version for r in pinned_releases("torch", "2.5")] == ["2.5.0", "2.5.1"]
    assert [r.version for r in pinned_releases("torch", "2.5.1+cu124")] == ["2.5.1"]
    assert pinned_releases("torch", "1.13.1") == ()
    assert pinned_releases("torch", "not a version") == ()


def test_stated_pins_follow_the_extras_and_variants() -> None:
    t = stated_pins("torch", "torch", "2.5.1", (), None)
    assert t is not None and "nvidia-cudnn-cu12==9.1.0.70" in t.requires
    assert "https://pypi.org/project/torch/2.5.1/" in t.source
    # tensorflow pins nothing without [and-cuda]
    assert stated_pins("tensorflow", "tensorflow", "2.15.0", (), None) is None
    tf = stated_pins("tensorflow", "tensorflow", "2.15.0", ("and-cuda",), None)
    assert tf is not None and "nvidia-cudnn-cu12==8.9.4.25" in tf.requires
    # another pytorch.org variant: only the cuDNN wheel the release table names
    cu121 = stated_pins("torch", "torch", "2.5.1+cu121", (), "cu121")
    assert cu121 is not None and cu121.requires == ("nvidia-cudnn-cu12==9.1.0.70",)
    assert stated_pins("torch", "torch", "2.5.1+cpu", (), "cpu") is None
    jax = stated_pins("jax", "jax", "0.6.0", ("cuda12",), None)
    assert jax is not None and "nvidia-cudnn-cu12<10.0,>=9.8" in jax.requires
    assert stated_pins("jax", "jax", "0.6.0", ("cuda12-local",), None) is None
    assert stated_pins("jax", "jax", "0.6.0", (), None) is None


def test_wheel_component() -> None:
    assert wheel_component("nvidia-nccl-cu13") == ("nccl", 13)
    assert wheel_component("nvidia-cuda-runtime-cu12") == ("cuda-runtime", 12)
    assert wheel_component("nvidia-cublas") is None
