"""Finished reports to render: a healthy GPU workstation and a broken one."""

from __future__ import annotations

from dlenv.fix.actions import InstallPackages, ManualStep
from dlenv.report.model import Report, make_report
from dlenv.rules.findings import Evidence, Finding
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    CudnnInstall,
    DriverFacts,
    DriverReading,
    EnvVar,
    FrameworkFacts,
    GpuFacts,
    HostFacts,
    LibraryResolution,
    PathEntry,
    PythonFacts,
    ResolvedLibrary,
    Snapshot,
)


def workstation(driver: str = "550.54.15", cuda: str = "12.4") -> Snapshot:
    return Snapshot(
        dlenv_version="0.1.0",
        created_at="2026-11-23T00:00:00+00:00",
        host=HostFacts(
            os="Linux",
            distro="Ubuntu",
            distro_version="22.04",
            kernel="6.5.0-41-generic",
            arch="x86_64",
            cpu_model="AMD Ryzen 9 7950X",
            cpu_cores_physical=16,
            cpu_cores_logical=32,
            ram_total_bytes=64 << 30,
            hostname="gpubox",
            user="alice",
        ),
        driver=DriverFacts(
            installed=True,
            version=driver,
            cuda_version=cuda,
            kernel_module_version=driver,
            userspace_version=driver,
            readings=[
                DriverReading(source="nvml", version=driver, cuda_version=cuda),
                DriverReading(source="sysfs", version=driver),
            ],
        ),
        gpus=[
            GpuFacts(
                index=0,
                name="NVIDIA GeForce RTX 4090",
                uuid="GPU-5a1b",
                memory_total_mib=24564,
                memory_used_mib=1024,
                compute_capability="8.9",
                visible=True,
            )
        ],
        cuda=CudaFacts(
            toolkits=[
                CudaToolkit(
                    path="/usr/local/cuda-12.4",
                    version="12.4.131",
                    kind="system",
                    found_by=["/usr/local/cuda", "PATH (nvcc)"],
                )
            ],
            cudnn=[
                CudnnInstall(
                    path="/home/alice/.venv/lib/python3.11/site-packages/nvidia/cudnn/lib",
                    version="9.1.0",
                    major=9,
                    kind="pip",
                    package="nvidia-cudnn-cu12 9.1.0.70",
                )
            ],
        ),
        python=PythonFacts(
            executable="/home/alice/.venv/bin/python",
            version="3.11.9",
            implementation="cpython",
            kind="venv",
            prefix="/home/alice/.venv",
            distribution_count=143,
            pythonpath=[PathEntry(path="/home/alice/src", exists=True, origin="PYTHONPATH")],
        ),
        frameworks=[
            FrameworkFacts(
                name="torch",
                distribution="torch",
                version="2.5.1+cu124",
                cuda_build=True,
                cuda_version="12.4",
                cudnn_version="9.1",
                variant="cu124",
            )
        ],
        libraries=[
            LibraryResolution(
                framework="torch",
                libraries=[
                    ResolvedLibrary(
                        name="cudart",
                        soname="libcudart.so.12",
                        path="/home/alice/.venv/lib/python3.11/site-packages/nvidia/"
                        "cuda_runtime/lib/libcudart.so.12",
                        version="12.4.127",
                        via="pip wheel nvidia-cuda-runtime-cu12",
                    )
                ],
            )
        ],
        env=[
            EnvVar(name="CUDA_HOME", value="/usr/local/cuda-12.4"),
            EnvVar(name="HF_TOKEN", value="<redacted>", redacted=True),
        ],
        timings={"total": 0.12},
    )


def healthy_report() -> Report:
    return make_report(workstation(), [])


def broken_report() -> Report:
    snap = workstation(driver="470.239.06", cuda="11.4")
    finding = Finding(
        code="DL101",
        name="driver-too-old-for-cuda-runtime",
        severity="error",
        title="NVIDIA driver too old for the CUDA runtime torch was built with",
        message="torch 2.5.1+cu124 needs CUDA 12.4, which needs driver >= 525.60.13; "
        "this machine has 470.239.06.",
        evidence=[
            Evidence(
                fact="driver.version",
                found="470.239.06",
                needed=">=525.60.13",
                note="needed by torch 2.5.1+cu124",
            )
        ],
        fixes=[
            ManualStep(
                text="Install NVIDIA driver 550 or newer",
                commands=["sudo ubuntu-drivers install nvidia:550"],
            ),
            InstallPackages(
                packages=["torch==2.5.1"],
                index_url="https://download.pytorch.org/whl/cu118",
            ),
        ],
        subject="torch",
    )
    return make_report(snap, [finding])
