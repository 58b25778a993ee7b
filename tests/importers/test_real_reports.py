"""Real reports from public issue trackers (tests/importers/data/real/) through `dlenv explain`'s
pipeline, text alone: the rule codes the thread's resolution calls for must be found.

Each file starts with `# source: URL` and `# resolution: ...`. A code "new:NAME" names a rule
dlenv does not have yet. xfail rows are known misses; the reason says what is missing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import pytest

from dlenv.errors import DlenvError
from dlenv.importers import decode
from dlenv.importers.explain import explain_text
from dlenv.rules import get_rule

REAL = Path(__file__).parent / "data" / "real"


class Case(NamedTuple):
    file: str
    expected: frozenset[str]  # must all be among the error/warning findings
    forbidden: frozenset[str] = frozenset()  # must not be among them
    exact: bool = True  # the error/warning codes are exactly `expected`


def _c(file: str, *codes: str, forbidden: tuple[str, ...] = (), exact: bool = True) -> Case:
    return Case(file, frozenset(codes), frozenset(forbidden), exact)


CASES: list[object] = [
    # -- cuDNN version mismatch (TensorFlow's "Loaded runtime CuDNN library") -----------------
    _c("tf_cudnn_870_vs_894.txt", "DL206"),
    _c("tf_cudnn_900_vs_930_kaggle.txt", "DL206"),
    _c("tf_cudnn_5103_vs_4007.txt", "DL206"),
    _c("tf_cudnn_7005_vs_7101_javacpp.txt", "DL206"),
    _c("tf_cudnn_7301_vs_7003.txt", "DL206"),
    _c("tf_cudnn_7201_vs_7004.txt", "DL206"),
    # -- driver too old for the CUDA runtime ---------------------------------------------------
    _c("torch_driver_too_old_9000.txt", "DL101"),
    _c("torch_driver_too_old_6050.txt", "DL101"),
    _c("torch_driver_too_old_11040_smi.txt", "DL101"),
    _c("torch_driver_too_old_11000_container.txt", "DL101"),
    # the failing program is unknown and nothing shows it was compiled here: its own runtime
    _c("tf_driver_insufficient_368_windows.txt", "DL101"),
    _c("tf_driver_insufficient_388_conda_cuda10.txt", "DL101"),
    # -- missing CUDA libraries ----------------------------------------------------------------
    _c("tf_cusolver_cudnn_missing_ros.txt", "DL201"),
    _c("tf_cusolver_needs_nvjitlink.txt", "DL201"),
    _c("tf_windows_cudart64_110_missing.txt", "DL201"),
    # cuDNN 8 installed, TF 2.3 asks for libcudnn.so.7: another major (the resolution says so)
    _c("tf23_cudnn7_missing_have_cudnn8.txt", "DL202"),
    _c("tf24_cusparse11_cudnn8_missing.txt", "DL201"),
    _c("torch201_import_libcudnn8_missing.txt", "DL201"),
    # -- GPU architecture not in the build / GPU too old ---------------------------------------
    _c("torch_sm86_rtx3060_laptop.txt", "DL301"),
    _c("torch_sm120_rtx5060ti_windows.txt", "DL301"),
    _c("torch_sm80_a100_torch16.txt", "DL301"),
    _c("torch_sm86_a6000_conda.txt", "DL301"),
    _c("torch_sm86_a2_prose.txt", "DL301"),
    # torch 1.2.0 untagged on Linux: PyPI's default cu100 build (max sm_75, compute_50 PTX)
    _c("torch12_rtx3070_laptop_no_kernel_image.txt", "DL301"),
    _c("torch_cc21_geforce820m.txt", "DL302"),
    # GeForce 210 = compute capability 1.2 by name; CUDA 10 builds for 3.0 and newer; the
    # CUDA 10.0 nvcc collect_env found on PATH needs driver >= 411.31 too (DL102, a warning)
    _c("collect_env_geforce210_win7.txt", "DL302", "DL101", "DL102"),
    # -- driver / library mismatch, nouveau ----------------------------------------------------
    _c("nvml_mismatch_ci_550.txt", "DL105"),
    _c("nvml_mismatch_unattended_upgrade.txt", "DL105"),
    _c("nvml_mismatch_open_modules_570.txt", "DL105"),
    _c("nouveau_dmesg_nvrm_probe.txt", "DL104"),
    # -- CPU-only build, TensorFlow on native Windows ------------------------------------------
    _c("collect_env_windows_torch222_cpu_rtx4080.txt", "DL401"),
    _c("tf212_windows_native_template.md", "DL402"),
    _c("tf217_windows11_nvidia_smi.md", "DL402"),
    _c("tf218_windows11_rtx4080.md", "DL402"),
    _c("tf216_windows_native_template.md", "DL402"),
    # -- memory growth, Keras ------------------------------------------------------------------
    _c("tf_memory_growth_after_init_yolov4.txt", "DL701"),
    _c("keras3_layers_experimental_missing.txt", "DL601"),
    _c("tf215_legacy_keras_flag_without_tf_keras.txt", "DL604"),
    # -- containers, WSL, NCCL: no rule yet ----------------------------------------------------
    _c("docker_could_not_select_device_driver.txt", "DL109"),
    _c("wsl1_found_no_nvidia_driver.txt", "DL110"),
    _c("torch_nccl_undefined_symbol_jetson.txt", "DL208"),
]


def _case(param: object) -> Case:
    return param if isinstance(param, Case) else param.values[0]  # type: ignore[attr-defined]


def _paste(name: str) -> str:
    """The report as it was pasted: without the `# source:` / `# resolution:` header, which
    states the answer."""
    lines = decode((REAL / name).read_bytes(), name).split("\n")
    return "\n".join(lines[2:] if lines[1].startswith("# resolution:") else lines)


def _codes(name: str) -> set[str]:
    text = _paste(name)
    try:
        result = explain_text(text, name, probe=False)
    except DlenvError:
        return set()  # "nothing recognised": silent, but never a traceback
    return {f.code for f in result.report.findings if f.severity in ("error", "warning")}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file if isinstance(c, Case) else None)
def test_real_report(case: Case) -> None:
    codes = _codes(case.file)
    assert case.expected <= codes, sorted(codes)
    assert not (case.forbidden & codes), sorted(codes)
    if case.exact:
        assert codes == case.expected, sorted(codes)


def test_every_file_is_in_the_table_with_its_source() -> None:
    names = [_case(p).file for p in CASES]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(p.name for p in REAL.iterdir())
    for p in REAL.iterdir():
        first, second = p.read_text(encoding="utf-8").splitlines()[:2]
        assert first.startswith("# source: https://"), p.name
        assert second.startswith("# resolution: ") and len(second) > 30, p.name


def test_codes_name_real_rules() -> None:
    for p in CASES:
        for code in _case(p).expected | _case(p).forbidden:
            assert code.startswith("new:") or get_rule(code) is not None, code


def test_no_report_tracebacks_and_parsing_is_fast() -> None:
    start = time.perf_counter()
    for p in sorted(REAL.iterdir()):
        text = _paste(p.name)
        try:
            explain_text(text, p.name, probe=False)
        except DlenvError as exc:  # the one allowed failure: a one-line "nothing recognised"
            assert "nothing recognised" in str(exc), (p.name, str(exc))
    per_report = (time.perf_counter() - start) / len(list(REAL.iterdir()))
    assert per_report < 0.25, per_report
