"""torch 1.x rows and GPU names: pinned to the build scripts and NVIDIA tables they cite."""

from __future__ import annotations

import pytest

from dlenv.kb import queries as q
from dlenv.kb.tables import load


@pytest.mark.parametrize(
    ("version", "variant", "arch"),
    [
        # pytorch/builder manywheel/build.sh at 44845370 (1.2.0): "3.5;5.0+PTX" + 6.0;6.1;7.0;7.5
        ("1.2.0", "cu100", "sm_35 sm_50 sm_60 sm_61 sm_70 sm_75 compute_50"),
        # 2d91d533 "5.0+PTX -> 3.7+PTX" (1.3.1, 1.4.0)
        ("1.4.0", "cu101", "sm_37 sm_50 sm_60 sm_61 sm_70 sm_75 compute_37"),
        # 8d064bfc "Simplify cuda arch, remove PTX and 6.1" (1.6.0)
        ("1.6.0", "cu102", "sm_37 sm_50 sm_60 sm_70 sm_75"),
        # 8924a150 dropped 7.5 for CUDA 10.2: the "sm_37 sm_50 sm_60 sm_70" of RTX 30xx reports
        ("1.10.2", "cu102", "sm_37 sm_50 sm_60 sm_70"),
        ("1.13.1", "cu117", "sm_37 sm_50 sm_60 sm_70 sm_75 sm_80 sm_86"),
    ],
)
def test_torch_1x_arch_lists(version: str, variant: str, arch: str) -> None:
    row = q.torch_variant(version, variant)
    assert row is not None and " ".join(row.arch_list or ()) == arch
    assert row.arch_source and "github.com/pytorch/builder/blob/" in row.arch_source


def test_torch_1x_defaults_and_python() -> None:
    defaults = {r.version: r.default_variant for r in load().torch if r.version.startswith("1.")}
    assert defaults == {
        "1.0": None,
        "1.1": None,
        "1.2": "cu100",
        "1.3": None,
        "1.4": "cu101",
        "1.5": "cu102",
        "1.6": "cu102",
        "1.7": "cu102",
        "1.8": "cu102",
        "1.9": "cu102",
        "1.10": "cu102",
        "1.11": "cu102",
        "1.12": "cu102",
        "1.13": "cu117",
    }
    release = q.torch_release("1.2.0")
    assert release is not None and (release.python_min, release.python_max) == ("2.7", "3.7")


def test_untagged_linux_torch_is_pypi_default_build() -> None:
    found = q.installed_torch_variant("1.2.0", None, None, "Linux")
    assert found is not None and found[0].name == "cu100" and found[1] is True
    # the tag, or the CUDA the probe read, decides; Windows/macOS PyPI wheels are CPU-only
    tagged = q.installed_torch_variant("1.2.0+cu92", "cu92", "9.2", "Linux")
    assert tagged is not None and tagged[0].name == "cu92" and tagged[1] is False
    assert q.installed_torch_variant("1.2.0", None, "9.2", "Linux") is None
    assert q.installed_torch_variant("1.2.0", None, None, "Windows") is None
    assert q.installed_torch_variant("1.2.0", None, None, None) is None
    assert q.installed_torch_variant("1.1.0", None, None, "Linux") is None  # default unverified


@pytest.mark.parametrize(
    ("name", "cc"),
    [
        ("NVIDIA GeForce RTX 4090", "8.9"),
        ("H100 80GB HBM3", "9.0"),
        ("NVIDIA A100-SXM4-80GB", "8.0"),
        ("Tesla V100-SXM2-16GB", "7.0"),
        ("Tesla V100S-PCIE-32GB", "7.0"),
        ("NVIDIA GB10", "12.1"),
        ("DGX Spark", "12.1"),
        ("Jetson Nano", "5.3"),
        ("NVIDIA Jetson Orin Nano", "8.7"),
        ("GeForce 210", "1.2"),
        ("GeForce GTX 660", "3.0"),
        ("GeForce GTX 970", "5.2"),
        ("NVIDIA GeForce 940MX", "5.0"),
        ("GeForce 820M", "2.1"),
        ("Quadro K4000", "3.0"),
        ("Tesla K10", "3.0"),
        ("TITAN X (Pascal)", "6.1"),
        ("NVIDIA GeForce GTX TITAN X", "5.2"),
        ("NVIDIA T4G", "7.5"),
        ("NVIDIA L20", "8.9"),
        ("GeForce GT 730", "3.5"),  # the GK208 card; the GF108 "DDR3,128bit" one is 2.1
        ("GT 730", "3.5"),
        # as people write them: a glued suffix (alturos.yolo#162 "RTX3060TI", "2080Ti显卡"),
        # GeForce without its series ("GeForce 1660 Super", yolo34py's report)
        ("RTX3060TI", "8.6"),
        ("rtx 2080ti", "7.5"),
        ("GeForce 1660 Super", "7.5"),
        # a GeForce 8/9 card by its number and suffix, as its owner writes it
        # (HKUST-Aerial-Robotics/open_quadtree_mapping#28 "a NVidia 8400 GS")
        ("NVidia 8400 GS", "1.1"),
        ("GeForce 9500 GT", "1.1"),
        ("9800 GTX", "1.1"),
        # a data-centre board's variant letter (active "c", passive "m") and GeForce's MX line
        # by its own name
        ("Tesla K40c", "3.5"),
        ("Tesla K20m", "3.5"),
        ("Tesla K20Xm", "3.5"),
        ("MX150", "6.1"),
        ("MX 250", "6.1"),
    ],
)
def test_gpu_names_as_tools_print_them(name: str, cc: str) -> None:
    model = q.gpu_model(name)
    assert model is not None and model.compute_capability == cc, (name, model)


@pytest.mark.parametrize("name", ["Radeon 9800 Pro", "8400 MB of memory", "GS 8400", "98000 GTX"])
def test_numbers_that_are_no_geforce_8_or_9_card(name: str) -> None:
    assert q.gpu_model(name) is None, name


@pytest.mark.parametrize(
    "name", ["GeForce 2100", "GeForce GT 7300", "NVIDIA GeForce 2105M", "Quadro M2000M2", "MX1500"]
)
def test_gpu_names_never_match_inside_other_names(name: str) -> None:
    assert q.gpu_model(name) is None


def test_every_gpu_row_and_alias_is_unique_and_sourced() -> None:
    keys = [k.lower() for g in load().gpus for k in (g.name, *g.aliases)]
    assert len(keys) == len(set(keys))
    assert all(g.source.startswith("https://") for g in load().gpus)
