from __future__ import annotations

from packaging.version import Version

from dlenv.kb import queries as q
from dlenv.kb.tables import load


def test_every_row_has_a_source_and_parses() -> None:
    kb = load()
    rows = [
        *kb.toolkit_drivers,
        *kb.minor_compat,
        *kb.tensorflow,
        *kb.torch,
        *kb.gpus,
        *kb.cuda_arch_support,
        *kb.cudnn,
        *kb.keras_backends,
        *kb.legacy_keras_users,
    ]
    assert all(r.source.startswith("https://") for r in rows)
    for t in kb.toolkit_drivers:
        Version(t.cuda), Version(t.linux)
    for g in kb.gpus:
        assert q.major_minor(g.compute_capability) is not None


def test_driver_minimums_grow_with_cuda() -> None:
    rows = sorted(load().toolkit_drivers, key=lambda r: Version(r.cuda))
    mins = [Version(r.linux) for r in rows]
    assert mins == sorted(mins)


def test_no_duplicate_or_overlapping_release_rows() -> None:
    kb = load()
    for versions in (
        [r.version for r in kb.torch],
        [r.version for r in kb.tensorflow],
        [g.name for g in kb.gpus],
        [t.cuda for t in kb.toolkit_drivers],
    ):
        assert len(versions) == len(set(versions))
    for r in [*kb.torch, *kb.tensorflow]:
        assert q.major_minor(r.python_min) <= q.major_minor(r.python_max)  # type: ignore[operator]


def test_every_torch_variant_has_a_driver_row_and_sane_arch_list() -> None:
    for release in load().torch:
        names = [v.name for v in release.variants]
        assert len(names) == len(set(names))
        assert release.default_variant in (None, *names)
        for v in release.variants:
            assert v.name == q.variant_for_cuda(v.cuda)
            assert q.toolkit_driver(v.cuda) is not None, v
            assert q.driver_requirement(v.cuda) is not None
            for arch in v.arch_list or ():
                kind, _, digits = arch.partition("_")
                assert kind in ("sm", "compute") and digits.isdigit()
    for release in load().tensorflow:
        assert q.toolkit_driver(release.cuda) is not None


def test_minor_version_compatibility_floors() -> None:
    assert [(c.cuda_major, c.linux) for c in load().minor_compat] == [
        (13, "580.65.06"),
        (12, "525.60.13"),
        (11, "450.80.02"),
    ]


def test_queries() -> None:
    assert q.driver_requirement("12.4").minimum == "525.60.13"  # type: ignore[union-attr]
    assert q.driver_requirement("10.2", "Windows").minimum == "441.22"  # type: ignore[union-attr]
    assert q.driver_runs_cuda("470.239.06", "12.1", "Linux") is False
    assert q.driver_runs_cuda("470.239.06", "11.8", "Linux") is True
    assert q.driver_runs_cuda(None, "11.8", "Linux") is None
    assert q.max_toolkit_for_driver("535.104.05") == "12.2"
    assert q.gpu_compute_capability("NVIDIA A100-SXM4-80GB") == "8.0"
    assert q.gpu_compute_capability("NVIDIA A10G") == "8.6"
    assert q.gpu_compute_capability("NVIDIA H100 80GB HBM3") == "9.0"
    assert q.gpu_compute_capability("Tesla T4") == "7.5"
    assert q.gpu_compute_capability("Some Unknown GPU") is None
    assert q.arch_fit(("sm_80", "sm_86"), "8.9") == "native"
    assert q.arch_fit(("sm_90", "compute_90"), "12.0") == "ptx"
    assert q.arch_fit(("sm_90",), "12.0") == "none"
    best = q.best_torch_variant("2.8.0", "550.54.14", "Linux", ["8.6"])
    assert best is not None and best.name == "cu128"
    assert q.best_torch_variant("2.8.0", "470.239.06", "Linux", ["8.6"]) is None
    assert q.tensorflow_release("2.16.1").cuda == "12.3"  # type: ignore[union-attr]
    assert q.tensorflow_fact("last_native_windows_gpu") == "2.10"
    assert q.cudnn_pip_package(9, 12) == "nvidia-cudnn-cu12"
