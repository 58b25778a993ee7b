"""The real NVML path: `query_nvml()` through pynvml's ctypes calls into a fake libnvidia-ml.

A tiny `libnvidia-ml.so.545.23.06` is compiled with gcc during the test and found through
LD_LIBRARY_PATH, so the symbol names, struct layouts and error codes pynvml uses are exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from dlenv.system.nvml import NvmlDevice, NvmlLink, NvmlProcess, NvmlReport

SRC = Path(__file__).resolve().parents[2] / "src"

# Implements what dlenv asks for, except nvmlDeviceGetMigMode, nvmlDeviceGetEnforcedPowerLimit
# and nvmlDeviceGetRetiredPages (absent: pynvml raises "Function Not Found"). GPU 1 is "lost" for
# its memory query, and ECC is "Not Supported" (a GeForce card). The two GPUs meet at the host
# bridge, P2P reads work, writes are refused by the chipset, and NVLink is "Not Supported".
# GPU 0 runs two processes, one whose memory NVML cannot tell (NVML_VALUE_NOT_AVAILABLE).
FAKE_NVML = r"""
#include <string.h>

typedef int nvmlReturn_t;
typedef struct { int index; } device_t;
typedef device_t *nvmlDevice_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

static device_t devices[2] = {{0}, {1}};
static int initialised = 0;

static nvmlReturn_t copy(char *dst, unsigned int length, const char *src) {
    if (strlen(src) + 1 > length) return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
    strcpy(dst, src);
    return 0;
}

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
#ifdef MISMATCH
    return 18; /* NVML_ERROR_LIB_RM_VERSION_MISMATCH */
#else
    initialised = 1;
    return 0;
#endif
}
nvmlReturn_t nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
nvmlReturn_t nvmlShutdown(void) { initialised = 0; return 0; }
const char *nvmlErrorString(nvmlReturn_t result) { return "fake NVML error"; }

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return copy(version, length, "545.23.06");
}
nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version) { *version = 12030; return 0; }
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) { *version = 12030; return 0; }
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) { *count = 2; return 0; }
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (index > 1) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *device = &devices[index];
    return 0;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int length) {
    return copy(name, length, d->index ? "NVIDIA GeForce RTX 3090" : "NVIDIA GeForce RTX 4090");
}
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int length) {
    return copy(uuid, length, d->index ? "GPU-11111111-2222-3333-4444-555555555555"
                                       : "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
}
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *memory) {
    if (d->index == 1) return 15; /* NVML_ERROR_GPU_IS_LOST */
    memory->total = 25757220864ULL;
    memory->used = 1073741824ULL;
    memory->free = 24683479040ULL;
    return 0;
}
nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor) {
    *major = 8;
    *minor = d->index ? 6 : 9;
    return 0;
}
nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t *pci) {
    memset(pci, 0, sizeof *pci);
    strcpy(pci->busId, d->index ? "00000000:02:00.0" : "00000000:01:00.0");
    pci->bus = d->index + 1;
    return 0;
}
nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t d, int *mode) { *mode = 1; return 0; }
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *temp) {
    *temp = 41 + d->index;
    return 0;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *milliwatts) {
    *milliwatts = 31250;
    return 0;
}
nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t d, int type, int counter,
                                         unsigned long long *count) {
    return 3; /* NVML_ERROR_NOT_SUPPORTED */
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
                                                     nvmlProcessInfo_t *infos) {
    unsigned int running = d->index ? 0 : 2;
    if (infos == 0) {
        *count = running;
        return running ? 7 : 0; /* NVML_ERROR_INSUFFICIENT_SIZE asks for a buffer */
    }
    for (unsigned int i = 0; i < running; i++) {
        infos[i].pid = 1000 + i;
        infos[i].usedGpuMemory = i ? 0xFFFFFFFFFFFFFFFFULL : 1 << 20;
    }
    *count = running;
    return 0;
}
nvmlReturn_t nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t a, nvmlDevice_t b, int *level) {
    *level = a == b ? 0 : 30; /* NVML_TOPOLOGY_HOSTBRIDGE */
    return 0;
}
nvmlReturn_t nvmlDeviceGetP2PStatus(nvmlDevice_t a, nvmlDevice_t b, int index, int *status) {
    if (index == 2) return 3; /* NVLink: NVML_ERROR_NOT_SUPPORTED */
    *status = index == 0 ? 0 : 1; /* read: OK; write: NVML_P2P_STATUS_CHIPSET_NOT_SUPPORTED */
    return 0;
}
"""

PROBE = """
import dataclasses, json, sys
from dlenv.system.nvml import query_nvml
print(json.dumps(dataclasses.asdict(query_nvml())))
"""


def build_fake_nvml(directory: Path, *defines: str) -> Path:
    """libnvidia-ml.so.545.23.06 plus the .so.1 link the loader looks for, as the driver has."""
    source = directory / "fake_nvml.c"
    source.write_text(FAKE_NVML)
    library = directory / "libnvidia-ml.so.545.23.06"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O0", *defines, "-o", str(library), str(source)],
        check=True,
        capture_output=True,
    )
    (directory / "libnvidia-ml.so.1").symlink_to(library.name)
    return library


def query_in_subprocess(library_dir: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": str(library_dir),
        "PYTHONPATH": str(SRC),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def as_json(report: NvmlReport) -> dict[str, object]:
    data: dict[str, object] = json.loads(json.dumps(asdict(report)))
    return data


def test_query_nvml_through_pynvml_and_ctypes(tmp_path: Path) -> None:
    library = build_fake_nvml(tmp_path)
    not_found = "Function Not Found (NVML_ERROR_FUNCTION_NOT_FOUND)"
    expected = NvmlReport(
        library_found=True,
        driver_version="545.23.06",
        cuda_driver_version=12030,
        library_path=str(library),
        devices=(
            NvmlDevice(
                index=0,
                name="NVIDIA GeForce RTX 4090",
                uuid="GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                pci_bus_id="00000000:01:00.0",
                memory_total_bytes=25757220864,
                memory_used_bytes=1073741824,
                memory_free_bytes=24683479040,
                compute_capability="8.9",
                persistence_mode=True,
                temperature_c=41,
                power_w=31.25,
                processes=2,
                compute_processes=(NvmlProcess(1000, 1 << 20), NvmlProcess(1001, None)),
                errors={
                    "mig_mode": not_found,
                    "power_limit_w": not_found,
                    "ecc_uncorrectable": "Not Supported (NVML_ERROR_NOT_SUPPORTED)",
                    "retired_pages": not_found,
                },
            ),
            NvmlDevice(
                index=1,
                name="NVIDIA GeForce RTX 3090",
                uuid="GPU-11111111-2222-3333-4444-555555555555",
                pci_bus_id="00000000:02:00.0",
                compute_capability="8.6",
                persistence_mode=True,
                temperature_c=42,
                power_w=31.25,
                processes=0,
                errors={
                    "memory": "GPU is lost (NVML_ERROR_GPU_IS_LOST)",
                    "mig_mode": not_found,
                    "power_limit_w": not_found,
                    "ecc_uncorrectable": "Not Supported (NVML_ERROR_NOT_SUPPORTED)",
                    "retired_pages": not_found,
                },
            ),
        ),
        links=(
            NvmlLink(
                gpu_a=0,
                gpu_b=1,
                topology=30,
                p2p_read=0,
                p2p_write=1,
                errors={"p2p_nvlink": "Not Supported (NVML_ERROR_NOT_SUPPORTED)"},
            ),
        ),
    )
    assert query_in_subprocess(tmp_path) == as_json(expected)


def test_query_nvml_reports_a_driver_library_mismatch_from_nvml_init(tmp_path: Path) -> None:
    library = build_fake_nvml(tmp_path, "-DMISMATCH")
    expected = NvmlReport(
        library_found=True,
        error="NVML_ERROR_LIB_RM_VERSION_MISMATCH",
        error_message="RM has detected an NVML/RM version mismatch.",
        library_path=str(library),
    )
    assert query_in_subprocess(tmp_path) == as_json(expected)


def test_query_nvml_without_the_library(tmp_path: Path) -> None:
    expected = NvmlReport(
        library_found=False,
        error="NVML_ERROR_LIBRARY_NOT_FOUND",
        error_message="NVML Shared Library Not Found",
    )
    assert query_in_subprocess(tmp_path) == as_json(expected)


def test_collect_nvidia_on_the_real_system_reads_the_loaded_library(tmp_path: Path) -> None:
    """End to end: RealSystem's NVML thread, the loaded file's name as the user-space version."""
    library = build_fake_nvml(tmp_path)
    probe = (
        "import json\n"
        "from dlenv.probes.nvidia import collect_nvidia\n"
        "from dlenv.snapshot.serde import to_data\n"
        "from dlenv.system.real import RealSystem\n"
        "facts = collect_nvidia(RealSystem(), 5.0)\n"
        "print(json.dumps({'driver': to_data(facts.driver), 'gpus': to_data(facts.gpus),"
        " 'links': to_data(facts.links)}))\n"
    )
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": str(tmp_path),
        "PYTHONPATH": str(SRC),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    driver = data["driver"]
    assert driver["installed"] is True
    assert driver["version"] == "545.23.06"  # no kernel module here: NVML's answer is the best
    assert driver["cuda_version"] == "12.3"
    assert driver["userspace_version"] == "545.23.06"
    assert driver["readings"][0] == {
        "source": "nvml",
        "version": "545.23.06",
        "cuda_version": "12.3",
        "error": None,
        "detail": str(library),
    }
    assert driver["readings"][-1] == {
        "source": "libnvidia-ml",
        "version": "545.23.06",
        "cuda_version": None,
        "error": None,
        "detail": str(library),
    }
    assert [(g["name"], g["memory_total_mib"], g["processes"]) for g in data["gpus"]] == [
        ("NVIDIA GeForce RTX 4090", 24564, 2),
        ("NVIDIA GeForce RTX 3090", None, 0),
    ]
    processes = data["gpus"][0]["compute_processes"]
    assert [(p["pid"], p["used_memory_mib"]) for p in processes] == [(1000, 1), (1001, None)]
    assert data["links"] == [
        {
            "gpu_a": 0,
            "gpu_b": 1,
            "path": "PHB",
            "p2p_read": "ok",
            "p2p_write": "chipset-not-supported",
            "p2p_nvlink": None,
            "unknown": {"p2p_nvlink": "Not Supported (NVML_ERROR_NOT_SUPPORTED)"},
        }
    ]
