from __future__ import annotations

from typing import Any

from packaging.version import Version

from dlenv.kb import queries as q
from dlenv.kb.tables import load


def test_every_row_has_a_source_and_parses() -> None:
    kb = load()
    rows: list[Any] = [
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
        Version(t.cuda)
        if t.linux is None:  # CUDA 13.4+: NVIDIA's toolkit-driver row unknown, said so
            assert t.note and "unknown" in t.note, t
        else:
            Version(t.linux)
    for g in kb.gpus:
        assert q.major_minor(g.compute_capability) is not None


def test_driver_minimums_grow_with_cuda() -> None:
    rows = sorted(load().toolkit_drivers, key=lambda r: Version(r.cuda))
    mins = [Version(r.linux) for r in rows if r.linux]
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
    ranges: list[Any] = [*kb.torch, *kb.tensorflow]
    for r in ranges:
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
    for tf_release in load().tensorflow:
        assert q.toolkit_driver(tf_release.cuda) is not None


def test_minor_version_compatibility_floors() -> None:
    assert [(c.cuda_major, c.linux, c.windows) for c in load().minor_compat] == [
        (13, "580.65.06", "580.88"),
        (12, "525.60.13", "528.33"),
        (11, "450.80.02", "452.39"),
    ]


def test_cuda_12_windows_floor_keeps_both_sources() -> None:
    # cuda-bindings 12.9's install docs (and the CUDA 12.0 Update 1 row) give 528.33; the cuDNN 9
    # support matrix gives 527.41. The stricter floor is enforced, the other one is shown.
    c12 = q.minor_compat_floor("12.4")
    assert c12 is not None and c12.windows == "528.33"
    assert c12.windows_source == (
        "https://nvidia.github.io/cuda-python/cuda-bindings/12.9.11/install.html"
    )
    assert c12.windows_other is not None and c12.windows_other.windows == "527.41"
    assert "cudnn" in c12.windows_other.source


def test_cuda_13_windows_drivers_are_checked() -> None:
    # cuda-bindings 13.x: "Driver: Linux (580.65.06 or later) Windows (580.88 or later)"
    req = q.driver_requirement("13.0", "Windows")
    assert req is not None and (req.minimum, req.minor_compat) == ("580.88", True)
    assert q.driver_runs_cuda("576.57", "13.0", "Windows") is False
    assert q.driver_runs_cuda("581.15", "13.2", "Windows") is True


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


def _arch_codes(arch_list: tuple[str, ...], kind: str) -> list[int]:
    return [int(a.partition("_")[2]) for a in arch_list if a.startswith(f"{kind}_")]


def test_arch_lists_sorted_and_within_the_cuda_majors_range() -> None:
    # A wheel cannot hold cubins nvcc of its CUDA major refuses to build (sm_37 on CUDA 12,
    # sm_70 on CUDA 13); a list that does is a typo or a row copied to the wrong variant.
    for release in load().torch:
        for v in release.variants:
            if v.arch_list is None:
                assert v.arch_source is None, v
                continue
            assert v.arch_source and v.arch_source.startswith("https://"), v
            sm, ptx = _arch_codes(v.arch_list, "sm"), _arch_codes(v.arch_list, "compute")
            assert sm == sorted(set(sm)), v
            assert list(v.arch_list) == [f"sm_{c}" for c in sm] + [f"compute_{c}" for c in ptx]
            support = q.cuda_arch_support(v.cuda)
            assert support is not None, v
            low, high = q.major_minor(support.min_cc), q.major_minor(support.max_cc)
            for code in sm + ptx:
                assert low <= divmod(code, 10) <= high, (release.version, v.name, code)  # type: ignore[operator]
            assert all(c in sm for c in ptx), v  # PTX only alongside its own cubin


def test_known_dropped_architectures() -> None:
    def arch(version: str, variant: str) -> tuple[str, ...]:
        v = q.torch_variant(version, variant)
        assert v is not None and v.arch_list is not None
        return v.arch_list

    # Kepler lived only in the CUDA 11 builds; Volta left cu128 in 2.11; Blackwell arrived
    # with CUDA 12.8 and never reached cu126.
    assert "sm_37" in arch("2.6.0", "cu118") and "sm_37" not in arch("2.6.0", "cu124")
    assert "sm_70" in arch("2.10.0", "cu128") and "sm_70" not in arch("2.11.0", "cu128")
    for version in ("2.7.0", "2.8.0", "2.9.0", "2.10.0", "2.11.0", "2.12.0", "2.13.0"):
        assert "sm_120" not in arch(version, "cu126")
        assert "sm_50" in arch(version, "cu126")
    for version, variant in (("2.7", "cu128"), ("2.9", "cu130"), ("2.14", "cu132")):
        assert {"sm_100", "sm_120"} <= set(arch(version, variant))
        assert not {"sm_50", "sm_60", "sm_70"} & set(arch(version, variant))
    # release wheels are stripped of +PTX where the release process says so
    # 2.4 and 2.5 cu124 carry no PTX: builder #1932 (+PTX for 12.4) landed after the release/2.4
    # cut and was reverted on release/2.5 (fa48aaf5), so an sm_120 GPU finds no kernel image
    assert "compute_90" not in arch("2.4.0", "cu124") and "compute_90" not in arch("2.5.0", "cu124")
    assert q.arch_fit(arch("2.5.1", "cu124"), "12.0") == "none"
    assert not any(a.startswith("compute_") for a in arch("2.12.0", "cu130"))


# Compute capabilities that no PyTorch Linux x86_64 wheel in the table carries code for: Tesla
# (1.x), Fermi (2.x) and the first Kepler (3.0) predate torch 1.0's sm_35 floor; sm_110 (Jetson
# Thor, an aarch64 board) is in no x86_64 arch list.
UNSUPPORTED_BY_TORCH_WHEELS = {"1.0", "1.1", "1.2", "1.3", "2.0", "2.1", "3.0", "11.0"}


def test_every_listed_gpu_is_served_by_some_torch_wheel_or_marked() -> None:
    variants = [v for r in load().torch for v in r.variants if v.arch_list is not None]
    for g in load().gpus:
        served = any(
            q.arch_fit(v.arch_list or (), g.compute_capability) == "native" for v in variants
        )
        assert served != (g.compute_capability in UNSUPPORTED_BY_TORCH_WHEELS), g


def test_gpu_ccs_within_what_some_cuda_major_builds() -> None:
    support = load().cuda_arch_support
    for g in load().gpus:
        cc = q.major_minor(g.compute_capability)
        if g.architecture == "Tesla":  # compute capability 1.x: CUDA 6.5 was the last for it
            assert cc is not None and cc < (2, 0) and min(s.min_cc for s in support) == "2.0"
            continue
        assert any(
            q.major_minor(s.min_cc) <= cc <= q.major_minor(s.max_cc)  # type: ignore[operator]
            for s in support
        ), g


def test_minor_compat_floor_is_the_first_drivers_of_the_major() -> None:
    kb = load()
    ga = {t.cuda: t for t in kb.toolkit_drivers}
    floors = {c.cuda_major: c for c in kb.minor_compat}
    assert floors[13].linux == ga["13.0.0"].linux
    assert floors[12].linux == ga["12.0.0"].linux
    assert [s.min_cc for s in sorted(kb.cuda_arch_support, key=lambda s: s.cuda_major)] == [
        "2.0",  # CUDA 7: Fermi through Maxwell
        "2.0",
        "3.0",
        "3.0",
        "3.5",
        "5.0",
        "7.5",
    ]


def test_defaults_and_tensorflow_rows_are_sourced() -> None:
    kb = load()
    for r in kb.torch:
        if r.default_variant is not None:
            assert r.default_source and r.default_source.startswith("https://"), r.version
    assert [(q.torch_release(v).default_variant) for v in ("2.0", "2.4", "2.6", "2.7", "2.11")] == [  # type: ignore[union-attr]
        "cu117",
        "cu121",
        "cu124",
        "cu126",
        "cu130",
    ]
    tf = {r.version: (r.python_min, r.python_max, r.cuda, r.cudnn) for r in kb.tensorflow}
    assert tf["2.19"] == ("3.9", "3.12", "12.5", "9.3")
    assert tf["2.20"] == ("3.9", "3.13", "12.5", "9.3")


def test_rows_current_as_of_2026_11() -> None:
    # CUDA 13.3 (GA and Update 1) ship driver 610.43.02; 13.4 and 13.5 have rows whose
    # toolkit driver is not recorded (no driver bundled on Linux from 13.4).
    assert q.toolkit_driver("13.3").linux == "610.43.02"  # type: ignore[union-attr]
    assert q.toolkit_driver("13.3", "Windows") is None  # no Windows driver bundled since 13.1
    row = q.toolkit_driver("13.4")
    assert row is not None and (row.cuda, row.linux) == ("13.4.1", None)
    assert q.max_toolkit_for_driver("999.0") == "13.3"  # no row claims a floor it does not know
    assert q.max_toolkit_for_driver("610.43.02") == "13.3"
    assert q.max_toolkit_for_driver("595.71.05") == "13.2"
    # PyTorch 2.14.0: CUDA 13.0 stays the PyPI default
    release = q.torch_release("2.14.0")
    assert release is not None and release.default_variant == "cu130"
    assert release.default_source == "https://github.com/googlecolab/colabtools/issues/6093"
    names = {
        "NVIDIA RTX PRO 6000 Blackwell Server Edition": "12.0",
        "NVIDIA RTX PRO 4500 Blackwell": "12.0",
        "NVIDIA RTX PRO 4000 Blackwell SFF Edition": "12.0",
        "NVIDIA GeForce RTX 5050": "12.0",
        "NVIDIA GB10": "12.1",
        "NVIDIA Jetson T5000": "11.0",
        "NVIDIA RTX 4000 SFF Ada Generation": "8.9",
        "NVIDIA RTX 2000 Ada Generation": "8.9",
        "NVIDIA RTX A2000 12GB": "8.6",
    }
    assert {n: q.gpu_compute_capability(n) for n in names} == names


def test_torch_2_13_cu129_serves_blackwell_on_a_575_driver() -> None:
    # CUDA 12.9 wheels (release/2.13 build matrix) are the only 2.13 build with sm_120 that a
    # 575 driver (CUDA 12.9) runs: cu126 lacks Blackwell, cu130/cu132 need >= 580.
    best = q.best_torch_variant("2.13.0", "575.57.08", "Linux", ["12.0"])
    assert best is not None and (best.name, best.experimental) == ("cu129", True)
    best = q.best_torch_variant("2.13.0", "580.65.06", "Linux", ["12.0"])
    assert best is not None and best.name == "cu130"


def test_driver_versions_answer_what_they_run() -> None:
    assert q.is_driver_version("570.133.07") and q.is_driver_version("580.88")
    assert not q.is_driver_version("12.4") and not q.is_driver_version("13.0.2")
    assert q.max_toolkit_for_driver("570.133.07") == "12.8"
    assert q.cuda_majors_for_driver("570.133.07") == [12, 11]
    assert q.cuda_majors_for_driver("580.95.05") == [13, 12, 11]
    fits = {(f.framework, f.version): f for f in q.framework_builds_for_driver("570.133.07")}
    assert fits["torch", "2.9"].builds == ("cu126", "cu128", "cu129")  # cu129: off-matrix
    assert fits["torch", "2.9"].refused == ("cu130",)
    assert fits["tensorflow", "2.21"].builds == ("CUDA 12.5",)


def test_tables_are_dated_and_the_kb_date_is_the_newest() -> None:
    kb = load()
    assert kb.as_of["torch"].date == "2026-09-04"
    # every table `dlenv kb` shows carries the date of its newest dated source
    dates = {n: kb.as_of[n].date for n in ("driver", "cudnn", "tensorflow", "gpus", "keras", "jax")}
    assert dates == {
        "driver": "2026-09-09",  # CUDA 13.4 GA
        "cudnn": "2026-01-21",  # cuDNN 9.17.0 public by then
        "tensorflow": "2026-03-10",  # TensorFlow 2.21.0 on PyPI by then
        "gpus": "2026-09-10",  # H20 measured
        "keras": "2026-06-24",
        "jax": "2026-03-18",
    }
    from dlenv.kb.pins import cuda_pins

    newest = max([a.date for a in kb.as_of.values() if a.date] + [cuda_pins().as_of.date])
    assert newest == "2026-12-06"  # the pins table, read from PyPI that day
    # every data file counts: the causes of recognised messages were counted the day after
    assert q.kb_date() == "2026-12-07"
    assert all(a.source.startswith("https://") for a in kb.as_of.values())


def test_torch_2_15_is_announced_without_cuda_12_6() -> None:
    (announced,) = load().torch_announced
    assert announced.version == "2.15" and announced.dropped == ("cu126",)
    assert [name for name, _ in announced.variants] == ["cu130", "cu132"]
    assert announced.default_variant == "cu132"
    assert q.torch_release("2.15.0") is None  # no Python range or arch list published yet


def test_cudnn_releases_per_cuda_major_and_architecture() -> None:
    # cuDNN 9.17.0 lists no CUDA 11 package and no Maxwell, Pascal or Volta
    rows = [r for r in load().cudnn_releases if r.cudnn == "9.17.0"]
    assert sorted(r.cuda_major for r in rows) == [12, 13]
    assert all(not {"5.0", "6.0", "6.1", "7.0"} & set(r.compute_capabilities) for r in rows)
    assert q.cudnn_supports("9.17.0", "12.4", "7.0") is False
    assert q.cudnn_supports("9.17.0", "13.0", "12.0") is True
    # Blackwell needs the cuDNN package built with CUDA >= 12.8 (9.10.2: only that row has 12.0)
    assert q.cudnn_supports("9.10.2", "12.8", "12.0") is True
    assert q.cudnn_supports("9.10.2", "12.6", "12.0") is False
    assert q.cudnn_supports("9.10.2", "11.8", "6.1") is True
    assert q.cudnn_supports("9.3.0", "12.4", "8.6") is None  # not recorded
    c13 = next(r for r in rows if r.cuda_major == 13)
    assert (c13.linux, c13.windows) == ("580.65.06", None)


def test_keras_3_releases() -> None:
    versions = [k.version for k in load().keras_releases]
    assert versions == [f"3.{n}.0" for n in range(16)]
    assert [q.keras_release(v).python_min for v in ("3.0", "3.10.2", "3.11", "3.13")] == [  # type: ignore[union-attr]
        "3.9",
        "3.9",
        "3.10",
        "3.11",
    ]
    k315 = q.keras_release("3.15.1")
    assert k315 is not None and k315.backend_min == {
        "tensorflow": "2.16.1",
        "jax": "0.4.20",
        "torch": "2.1.0",
        "openvino": "2025.3.0",
    }
    early = q.keras_release("3.5")
    assert early is not None and early.backend_min is None and early.note
    # Keras 2 vs 3 with TensorFlow: the tensorflow table's 'keras' column
    assert (q.tensorflow_release("2.15").keras, q.tensorflow_release("2.16").keras) == ("2", "3")  # type: ignore[union-attr]


def test_jax_releases() -> None:
    assert [r.version for r in load().jax] == ["0.5.0", "0.6.0", "0.7.0", "0.8.0", "0.9.0", "0.9.2"]
    r = q.jax_release("0.9.1")
    assert r is not None and r.version == "0.9.0"
    assert q.jax_release("0.5.3").cudnn == ">=9.1,<10.0"  # type: ignore[union-attr]
    assert q.jax_release("0.4.30") is None
    newest = q.jax_release("0.9.2")
    assert newest is not None and newest.min_compute_capability == {
        "cuda12": "5.2",
        "cuda13": "7.5",
    }
    assert all(r.source.startswith("https://github.com/jax-ml/jax/blob/jax-v") for r in load().jax)


def _variant(version: str, name: str) -> Any:
    row = q.torch_variant(version, name)
    assert row is not None, (version, name)
    return row


def test_torch_ptx_claims_and_their_sources() -> None:
    # 2.8 cu129: the 2.8-matrix build_cuda.sh builds 12.9 with 12.0+PTX (12.8 without)
    cu129 = _variant("2.8", "cu129")
    assert cu129.arch_list is not None and cu129.arch_list[-2:] == ("sm_120", "compute_120")
    assert cu129.arch_source == (
        "https://github.com/pytorch/pytorch/blob/00c7a380b8369d08e02dd400aa76dc6c0738b589/"
        ".ci/manywheel/build_cuda.sh"
    )
    assert "compute_120" not in (_variant("2.8", "cu128").arch_list or ())
    # 2.9 and 2.10 cu130: RELEASE.md says 12.0+PTX on Linux; removal began with 2.11 (#175567)
    for version in ("2.9", "2.10"):
        row = _variant(version, "cu130")
        assert row.arch_list is not None and row.arch_list[-1] == "compute_120"
        assert row.arch_source in (  # RELEASE.md's matrix: added in #164471, diffed in #175253
            "https://github.com/pytorch/pytorch/pull/164471",
            "https://github.com/pytorch/pytorch/pull/175253",
        )
    assert "compute_120" not in (_variant("2.11", "cu130").arch_list or ())
    assert "compute_120" not in (_variant("2.12", "cu130").arch_list or ())
    # a Rubin-class GPU newer than every cubin gets the PTX verdict only where PTX is claimed
    assert q.arch_fit(_variant("2.10", "cu130").arch_list or (), "13.0") == "ptx"
    assert q.arch_fit(_variant("2.11", "cu130").arch_list or (), "13.0") == "none"


def test_off_matrix_cu129_wheels_of_2_9_to_2_12() -> None:
    for version, source in (
        ("2.9", "https://github.com/huggingface/kernels/pull/332"),
        ("2.10", "https://github.com/rapidsai/rmm/pull/2541"),
    ):
        row = _variant(version, "cu129")
        assert (row.cuda, row.experimental, row.arch_list, row.cudnn) == ("12.9", True, None, None)
        assert row.source == source and row.arch_source is None
    # 2.11 and 2.12: no primary source either way, so no variant the rules could use
    assert q.torch_variant("2.11", "cu129") is None and q.torch_variant("2.12", "cu129") is None
    unknown = {(u.version, u.name) for u in load().torch_unknown}
    assert unknown == {("2.11", "cu129"), ("2.12", "cu129")}
    assert all(u.source.startswith("https://") for u in load().torch_unknown)


def test_h20_is_hopper_and_not_an_h200() -> None:
    model = q.gpu_model("NVIDIA H20")
    assert model is not None and (model.name, model.compute_capability) == ("H20", "9.0")
    assert model.source == "https://github.com/RightNow-AI/AutoMegaKernel/pull/3"
    h200 = q.gpu_model("NVIDIA H200")
    assert h200 is not None and h200.name == "H200"


def test_torch_2_1_to_2_3_arch_lists_from_their_release_scripts() -> None:
    """pytorch/builder's release/2.1, 2.2 and 2.3 build_cuda.sh: 5.0;6.0;7.0;7.5;8.0;8.6, with
    11.8 adding 3.7 and 9.0, 12.1 adding 9.0 (no PTX). A Kepler GTX 770 (3.0) is below every
    CUDA build of those releases; a K80 (3.7) runs only the cu118 one."""
    for version in ("2.1.2", "2.2.2", "2.3.1"):
        release = q.torch_release(version)
        assert release is not None
        lists = {v.name: v.arch_list for v in release.variants}
        assert lists["cu118"] == ("sm_37", "sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")
        assert lists["cu121"] == ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")
        assert all(v.arch_source and "pytorch/builder/blob/" in v.arch_source for v in release.variants)
