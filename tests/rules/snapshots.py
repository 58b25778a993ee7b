"""Machines as data for the rule tests: a healthy GPU box, this CPU-only box, and variations.

Each builder returns a plain Snapshot; tests change one fact with `dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import replace

from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    DeviceNode,
    Distribution,
    DriverFacts,
    EnvVar,
    FrameworkFacts,
    GpuFacts,
    HostFacts,
    LibraryResolution,
    LiveProbe,
    PciDevice,
    PipCudaPackage,
    PythonFacts,
    ResolvedLibrary,
    Snapshot,
    VisibilityFacts,
)

SITE = "/venv/lib/python3.11/site-packages"


def torch(version: str = "2.5.1+cu124", cudnn: str | None = "9.1") -> FrameworkFacts:
    local = version.split("+")[1] if "+" in version else None
    cuda = None
    if local and local.startswith("cu"):
        cuda = f"{local[2:-1]}.{local[-1]}"
    return FrameworkFacts(
        name="torch",
        distribution="torch",
        version=version,
        location=f"{SITE}/torch",
        cuda_build=cuda is not None,
        cuda_version=cuda,
        cudnn_version=cudnn if cuda else None,
        variant=local,
        build_source="torch/version.py",
    )


def tensorflow(
    version: str = "2.18.0",
    cuda: str | None = "12.5.1",
    cudnn: str | None = "9",
    distribution: str = "tensorflow",
) -> FrameworkFacts:
    return FrameworkFacts(
        name="tensorflow",
        distribution=distribution,
        version=version,
        location=f"{SITE}/tensorflow",
        cuda_build=cuda is not None,
        cuda_version=cuda,
        cudnn_version=cudnn if cuda else None,
        build_source="build_info.py",
    )


def keras(
    version: str = "3.6.0", backend: str = "tensorflow", source: str = "default"
) -> FrameworkFacts:
    return FrameworkFacts(
        name="keras",
        distribution="keras",
        version=version,
        backend=backend,
        backend_source=source,
    )


def dist(name: str, version: str, location: str = SITE) -> Distribution:
    return Distribution(name=name, version=version, location=location, installer="pip")


def gpu(
    index: int = 0,
    name: str = "NVIDIA GeForce RTX 4090",
    cc: str | None = "8.9",
    used: int = 500,
    total: int = 24564,
    processes: int = 0,
) -> GpuFacts:
    return GpuFacts(
        index=index,
        name=name,
        uuid=f"GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd",
        memory_total_mib=total,
        memory_used_mib=used,
        memory_free_mib=total - used,
        compute_capability=cc,
        processes=processes,
    )


def nodes(readable: bool = True, writable: bool = True) -> list[DeviceNode]:
    return [
        DeviceNode(path=p, readable=readable, writable=writable)
        for p in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia-uvm")
    ]


def pip_libs(framework: str, cuda_major: int = 12, cudnn_major: int = 9) -> LibraryResolution:
    base = f"{SITE}/nvidia"
    # the cuDNN wheel each default build pins: torch 2.5 nvidia-cudnn-cu12 9.1, and
    # tensorflow[and-cuda] 2.18 9.3 (TensorFlow refuses an older minor than its build's)
    cudnn_minor = 3 if framework == "tensorflow" else 1
    return LibraryResolution(
        framework=framework,
        libraries=[
            ResolvedLibrary(
                name="cudart",
                soname=f"libcudart.so.{cuda_major}",
                path=f"{base}/cuda_runtime/lib/libcudart.so.{cuda_major}",
                version=f"{cuda_major}.4.127",
                via=f"pip wheel nvidia-cuda-runtime-cu{cuda_major}",
            ),
            ResolvedLibrary(
                name="cudnn",
                soname=f"libcudnn.so.{cudnn_major}",
                path=f"{base}/cudnn/lib/libcudnn.so.{cudnn_major}",
                version=f"{cudnn_major}.{cudnn_minor}.0",
                via=f"pip wheel nvidia-cudnn-cu{cuda_major}",
            ),
        ],
    )


def gpu_machine(
    driver: str = "550.54.14",
    gpus: list[GpuFacts] | None = None,
    frameworks: list[FrameworkFacts] | None = None,
    python: str = "3.11.7",
) -> Snapshot:
    """A healthy Linux box: driver 550 (CUDA 12.4), one RTX 4090, torch 2.5.1+cu124."""
    fws = frameworks if frameworks is not None else [torch()]
    return Snapshot(
        dlenv_version="0.1.0",
        created_at="2026-11-23T00:00:00+00:00",
        host=HostFacts(os="Linux", distro="Ubuntu", distro_version="22.04", arch="x86_64"),
        driver=DriverFacts(
            installed=True,
            version=driver,
            cuda_version="12.4",
            kernel_module_version=driver,
            userspace_version=driver,
        ),
        visibility=VisibilityFacts(
            nvidia_pci_devices=[
                PciDevice(
                    slot="0000:01:00.0",
                    vendor_id="0x10de",
                    device_id="0x2684",
                    class_id="0x030000",
                    kernel_driver="nvidia",
                )
            ],
            nouveau_loaded=False,
            nvidia_module_loaded=True,
            device_nodes=nodes(),
        ),
        gpus=gpus if gpus is not None else [gpu()],
        python=PythonFacts(
            executable="/venv/bin/python",
            version=python,
            implementation="cpython",
            kind="venv",
            platform="linux",
            site_packages=[SITE],
            distributions=[dist(f.distribution, f.version) for f in fws],
        ),
        frameworks=fws,
        libraries=[pip_libs(f.name) for f in fws if f.cuda_build],
    )


def cpu_machine() -> Snapshot:
    """This development machine: no GPU, no driver, CPU builds of torch, TensorFlow and Keras."""
    fws = [
        torch("2.13.0+cpu"),
        tensorflow("2.21.0", cuda=None, cudnn=None, distribution="tensorflow-cpu"),
        keras("3.15.1"),
    ]
    return Snapshot(
        host=HostFacts(os="Linux", arch="x86_64"),
        driver=DriverFacts(installed=False, unknown={"version": "no NVIDIA driver"}),
        visibility=VisibilityFacts(nouveau_loaded=False, nvidia_module_loaded=False),
        cuda=CudaFacts(
            toolkits=[
                CudaToolkit(
                    path="/usr/local/cuda",
                    version="13.0.88",
                    kind="system",
                    nvcc="/usr/local/cuda/bin/nvcc",
                )
            ],
        ),
        python=PythonFacts(
            executable="/tmp/fwvenv/bin/python",
            version="3.11.7",
            platform="linux",
            distributions=[dist(f.distribution, f.version) for f in fws],
        ),
        frameworks=fws,
    )


def with_env(s: Snapshot, **values: str) -> Snapshot:
    return replace(s, env=[*s.env, *(EnvVar(name=k, value=v) for k, v in values.items())])


def with_dists(s: Snapshot, *dists: Distribution) -> Snapshot:
    return replace(s, python=replace(s.python, distributions=[*s.python.distributions, *dists]))


def with_live(s: Snapshot, *probes: LiveProbe) -> Snapshot:
    return replace(s, live=[*s.live, *probes])


def with_pip_cudnn(s: Snapshot, version: str) -> Snapshot:
    pkg = PipCudaPackage(name="nvidia-cudnn-cu12", version=version, location=SITE)
    return replace(s, cuda=replace(s.cuda, pip_packages=[pkg]))


def fired(s: Snapshot, code: str) -> list[str]:
    """The codes of the findings when only rule `code` runs."""
    from dlenv.rules import diagnose

    return [f.code for f in diagnose(s, select=[code])]


def only(s: Snapshot, code: str):  # type: ignore[no-untyped-def]
    """The single finding of rule `code` (fails unless exactly one)."""
    from dlenv.rules import diagnose

    found = diagnose(s, select=[code])
    assert [f.code for f in found] == [code], found
    return found[0]


def pasted_codes(text: str) -> dict[str, str]:
    """What `dlenv explain` finds in a paste: code -> severity of the errors and warnings ({}
    where it recognises nothing at all)."""
    from dlenv.errors import DlenvError
    from dlenv.importers.explain import explain_text

    try:
        found = explain_text(text, "paste.txt", probe=False).report.findings
    except DlenvError:  # nothing recognised at all
        return {}
    return {f.code: f.severity for f in found if f.severity in ("error", "warning")}
