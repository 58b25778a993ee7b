"""The CUDA stack's status table (dlenv/kb/data/cuda-status.json) and its reader
(dlenv.importers.statuses): complete against the headers, every printed form read, near misses
left alone, no line reported twice, and what `dlenv explain` shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dlenv.rules.catalog  # noqa: F401  (registers every rule)
from dlenv.importers.sheet import FactSheet
from dlenv.importers.signatures import BY_ID, scan
from dlenv.importers.statuses import QUIET, load_statuses, status_signatures
from dlenv.rules.registry import get_rule

HEADERS = Path("/usr/local/cuda/include")
ENUMS = {
    "cudaError_t",
    "CUresult",
    "cublasStatus_t",
    "cusolverStatus_t",
    "cufftResult",
    "curandStatus_t",
    "cusparseStatus_t",
    "cudnnStatus_t",
    "ncclResult_t",
    "nvmlReturn_t",
}


def _header_enum(path: Path, name: str) -> dict[str, int]:
    text = path.read_text("utf-8", errors="replace")
    m = re.search(r"enum (?:__device_builtin__ )?" + name + r"\s*\{(.*?)\}", text, re.S)
    assert m, f"{name} not in {path}"
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m.group(1), flags=re.S)
    return {n: int(v, 0) for n, v in re.findall(r"(\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)", body)}


@pytest.mark.parametrize(
    ("header", "enum_name", "table_enum"),
    [("driver_types.h", "cudaError", "cudaError_t"), ("cuda.h", "cudaError_enum", "CUresult")],
)
def test_table_is_complete_against_this_machines_headers(
    header: str, enum_name: str, table_enum: str
) -> None:
    path = HEADERS / header
    if not path.is_file():
        pytest.skip(f"no {path} here")
    table = {s.name: s.value for s in load_statuses() if s.enum == table_enum}
    wanted = {
        n: v for n, v in _header_enum(path, enum_name).items() if n != "cudaErrorApiFailureBase"
    }
    missing = {n: v for n, v in wanted.items() if table.get(n) != v}
    assert not missing, f"{header} has statuses the table lacks or numbers differently: {missing}"


def test_table_is_well_formed() -> None:
    statuses = load_statuses()
    assert {s.enum for s in statuses} == ENUMS
    for s in statuses:
        assert s.source.startswith("https://"), s.name
        assert all(get_rule(code) is not None for code in s.rules), s.name
        assert bool(s.rules) == bool(s.why), f"{s.name}: a cause is said with its why"
        assert not (s.rules and s.name in QUIET), s.name
    ids = [sig.id for sig in status_signatures()]
    assert len(ids) == len(set(ids))
    for sig in status_signatures():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sig.id), sig.id
        assert sig.meaning.endswith(".") and "\n" not in sig.meaning, sig.id
        assert BY_ID[sig.id] is sig


def test_environment_statuses_name_their_rules() -> None:
    by_name = {s.name: s for s in load_statuses()}
    assert by_name["cudaErrorInsufficientDriver"].rules[0] == "DL101"
    assert by_name["cudaErrorNoKernelImageForDevice"].rules[0] == "DL301"
    assert by_name["CUDA_ERROR_NO_BINARY_FOR_GPU"].rules[0] == "DL301"
    assert by_name["cudaErrorSystemDriverMismatch"].rules[0] == "DL105"
    assert by_name["NVML_ERROR_LIB_RM_VERSION_MISMATCH"].rules == ("DL105",)
    assert by_name["NVML_ERROR_DRIVER_NOT_LOADED"].rules[0] == "DL111"
    assert by_name["cudaErrorInvalidDevice"].rules == ("DL304",)
    assert by_name["cudaErrorNoDevice"].value == 100
    assert by_name["cudaErrorNoDevice"].legacy == 38
    # programming errors name no environment cause
    for name in ("cudaErrorIllegalAddress", "cudaErrorLaunchFailure", "cudaErrorInvalidValue"):
        assert by_name[name].rules == (), name


def test_the_table_agrees_with_the_catalogue_where_both_name_a_status() -> None:
    """A catalogue signature that names a status in its pattern and the table's row for it
    share a usual cause: one source of meaning for both readers."""
    shared = {
        "cuda-driver-insufficient": "cudaErrorInsufficientDriver",
        "cuda-unsupported-ptx": "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        "cuda-system-driver-mismatch": "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        "cuda-compat-not-supported": "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
        "cuda-error-unknown": "CUDA_ERROR_UNKNOWN",
        "no-cuda-capable-device": "CUDA_ERROR_NO_DEVICE",
        "cublas-handle-failed": "CUBLAS_STATUS_ALLOC_FAILED",
        "nvml-driver-not-loaded": "NVML_ERROR_DRIVER_NOT_LOADED",
    }
    by_name = {s.name: s for s in load_statuses()}
    for sig_id, name in shared.items():
        assert BY_ID[sig_id].rules[0] in by_name[name].rules, (sig_id, name)


def _reported(text: str) -> list[tuple[str, int]]:
    sheet = FactSheet()
    scan(text, sheet)
    return [(e.signature, e.count) for e in sheet.snapshot("text").reported_errors]


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        ("error: cudaErrorNoKernelImageForDevice", "status-cudaerrornokernelimagefordevice"),
        (
            "Failed to load module: CUDA_ERROR_NO_BINARY_FOR_GPU",
            "status-cuda-error-no-binary-for-gpu",
        ),
        ("RuntimeError: CURAND_STATUS_ALLOCATION_FAILED", "status-curand-status-allocation-failed"),
        ("status: NVML_ERROR_DRIVER_NOT_LOADED", "status-nvml-error-driver-not-loaded"),
        (
            'main.cu:42 code=46(cudaErrorDevicesUnavailable) "cudaMalloc(&p, n)"',
            "status-cudaerrordevicesunavailable",
        ),
        (
            "RuntimeError: cuda runtime error (46) : all CUDA-capable devices are busy or unavailable at /pytorch/aten/src/THC/THCGeneral.cpp:70",
            "cuda-devices-busy-or-unavailable",  # the catalogue's (src-torch.toml) explains it
        ),
        (
            "RuntimeError: CUDA error: CUDA-capable device(s) is/are busy or unavailable",
            "cuda-devices-busy-or-unavailable",
        ),
        ("CUDA error 34: CUDA driver is a stub library", "cuda-driver-stub-library"),
        ("CUresult 999", "status-cuda-error-unknown"),
        (
            "CUDA driver error: API call is not supported in the installed CUDA driver",
            "status-cuda-error-call-requires-newer-driver",
        ),
        ("cudaGetDeviceCount() returned 101", "status-cudaerrorinvaliddevice"),
        ("cuInit(0) failed with error 34", "status-cuda-error-stub-library"),
        ("cudaGetDeviceCount returned 38", "status-cudaerrornodevice"),
        ("E0101 cuInit(0) failed: CUDA_ERROR_STUB_LIBRARY", "cuda-driver-stub-library"),
        (
            "torch._C._cuda_setDevice(device): CUDA call failed lazily at initialization with error: device >= 0 && device < num_gpus INTERNAL ASSERT FAILED",
            "status-cudaerrorinvaliddevice",
        ),
        ("ncclCommInitRank returned 4", "status-ncclinvalidargument"),
        ("ncclGroupEnd() returned 6", "status-ncclremoteerror"),
        (
            "NVML error: The operating system has blocked the request.",
            "status-nvml-error-operating-system",
        ),
        ("Failed to initialize NVML: Unknown Error", "nvml-init-unknown-error"),
        (
            "RuntimeError: CUDA error: an illegal memory access was encountered",
            "status-cudaerrorillegaladdress",
        ),
        (
            "status = CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
            "status-cudnn-status-not-supported-arch-mismatch",
        ),
    ],
)
def test_every_printed_form_is_read(text: str, signature: str) -> None:
    assert _reported(text) == [(signature, 1)]


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        # forms the catalogue already explains stay its own, reported once
        ("RuntimeError: CUDA error: device-side assert triggered", "device-side-assert"),
        ("RuntimeError: CUBLAS_STATUS_ALLOC_FAILED", "cublas-handle-failed"),
        (
            "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
            "torch-cudnn-status-error",
        ),
        ("Failed to initialize NVML: Insufficient Permissions", "nvidia-device-permission-denied"),
        (
            "RuntimeError: CUDA error: no kernel image is available for execution on the device",
            "no-kernel-image",
        ),
        (
            "cudaGetDeviceCount returned 35\n-> CUDA driver version is insufficient for CUDA runtime version",
            "cuda-driver-insufficient",
        ),
        (
            "cudaGetDeviceCount returned 100\n-> no CUDA-capable device is detected",
            "no-cuda-capable-device",
        ),
        (
            "failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected",
            "no-cuda-capable-device",
        ),
        (
            "RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1269, unhandled system error, NCCL version 2.14.3",
            "nccl-error-generic",
        ),
    ],
)
def test_a_line_the_catalogue_explains_is_not_reported_again(text: str, signature: str) -> None:
    reported = [s for s, _ in _reported(text)]
    assert signature in reported
    assert not [s for s in reported if s.startswith("status-")]


@pytest.mark.parametrize(
    "text",
    [
        "Process exited with error 2 after reading the file",
        "the loader returned 100 rows",
        "curl returned 35",
        "cudaSuccess",
        "CUDA error: no error",
        "NCCL INFO ncclCommInitRank comm 0x5 rank 0 nranks 2 - Init COMPLETE",
        "NVML: Not Supported",
        "cuda 12.1 error 2 times",
        "cudaGetDeviceCount returned 0",
        "CUFFT_FORWARD",
    ],
)
def test_near_misses_are_not_statuses(text: str) -> None:
    assert not [s for s, _ in _reported(text) if s.startswith("status-")]


def test_one_status_repeated_is_one_finding_with_its_count() -> None:
    text = "\n".join(["RuntimeError: CUDA error: an illegal memory access was encountered"] * 3)
    assert _reported(text) == [("status-cudaerrorillegaladdress", 3)]


def test_explain_json_shows_the_status_its_facts_and_its_causes(tmp_path: Path) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_text(
        'File "/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py", line 319\n'
        "    torch._C._cuda_init()\n"
        "RuntimeError: CUDA driver error: CUDA_ERROR_DEVICE_UNAVAILABLE\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "dlenv", "explain", str(paste), "--no-probe", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr  # DL901 is a warning: the cause is not settled
    doc = json.loads(out.stdout)
    snap = doc["report"]["snapshot"]
    errors = snap["reported_errors"]
    assert [e["signature"] for e in errors] == ["status-cuda-error-device-unavailable"]
    assert [m["signature"] for m in doc["messages"]] == ["status-cuda-error-device-unavailable"]
    assert errors[0]["framework"] == "torch"
    assert "held by another process" in errors[0]["meaning"]
    torch_live = next(p for p in snap["live"] if p["framework"] == "torch")
    assert any("CUDA_ERROR_DEVICE_UNAVAILABLE" in m for m in torch_live["messages"])
    # one warning: DL901 listing the message's causes, or, where the learned reading settles on
    # one of them, that cause as "Probably: ..."
    [found] = doc["report"]["findings"]
    assert found["severity"] == "warning"
    assert found["code"] in {"DL901", *BY_ID["status-cuda-error-device-unavailable"].rules}
    assert "another process holds the GPU's memory" in found["message"]


def test_a_programming_error_names_no_environment_cause() -> None:
    sig = BY_ID["status-cudaerrorillegaladdress"]
    assert sig.rules == ()
    assert "not an environment cause" in sig.meaning


def test_a_status_beside_the_catalogues_message_of_the_same_cause_is_not_a_second_finding() -> None:
    text = "cudaGetDeviceCount returned 100\nno CUDA-capable device is detected\n"
    assert _reported(text) == [("no-cuda-capable-device", 1)]
