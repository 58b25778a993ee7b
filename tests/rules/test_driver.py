from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep
from dlenv.rules.findings import Evidence
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    DeviceNode,
    DriverFacts,
    FrameworkFacts,
    HostFacts,
    LiveProbe,
    PciDevice,
    ReportedError,
    Snapshot,
    VisibilityFacts,
)
from tests.rules.snapshots import (
    cpu_machine,
    fired,
    gpu,
    gpu_machine,
    only,
    tensorflow,
    torch,
    with_live,
)


# -- DL101 ---------------------------------------------------------------------------------
def test_dl101_driver_470_with_torch_cu121() -> None:
    bad = gpu_machine(driver="470.239.06", frameworks=[torch("2.3.1+cu121")])
    f = only(bad, "DL101")
    assert f.severity == "error"
    assert f.title == "NVIDIA driver 470.239.06 is too old for torch 2.3.1+cu121 (CUDA 12.1)"
    assert f.evidence[0] == Evidence(
        fact="driver.version",
        found="470.239.06",
        needed=">=525.60.13",
        note="needed by torch 2.3.1+cu121",
    )
    assert "supports CUDA up to 11.4" in f.message
    assert f.fixes[0] == InstallPackages(
        packages=["torch==2.3.1"],
        uninstall=["torch"],
        index_url="https://download.pytorch.org/whl/cu118",
        reason="driver 470.239.06 runs CUDA up to 11.4; torch 2.3.1+cu118 is built with CUDA "
        "11.8 (reinstall torchvision/torchaudio from the same index)",
    )
    assert isinstance(f.fixes[1], ManualStep)
    assert f.docs_url == "https://dlenv.github.io/dlenv/rules/dl101/"


def test_dl101_good_minor_version_compatibility_is_enough() -> None:
    # 525.60.13 is below the CUDA 12.4 toolkit driver but at the 12.x compatibility floor
    assert fired(gpu_machine(driver="525.60.13", frameworks=[torch("2.5.1+cu124")]), "DL101") == []


def test_dl101_tensorflow_and_cuda13() -> None:
    bad = gpu_machine(driver="575.51.03", frameworks=[torch("2.13.0+cu130")])
    f = only(bad, "DL101")
    assert f.evidence[0].needed == ">=580.65.06"
    assert only(gpu_machine(driver="520.61.05", frameworks=[tensorflow()]), "DL101").subject == (
        "tensorflow"
    )


def test_dl101_near_misses() -> None:
    # cpu build, unknown driver, unknown CUDA: silent
    assert fired(gpu_machine(driver="470.82.01", frameworks=[torch("2.3.1+cpu")]), "DL101") == []
    unknown = gpu_machine(frameworks=[torch("2.3.1+cu121")])
    unknown = replace(
        unknown,
        driver=replace(
            unknown.driver, version=None, userspace_version=None, kernel_module_version=None
        ),
    )
    assert fired(unknown, "DL101") == []
    assert fired(cpu_machine(), "DL101") == []


def test_dl101_live_result_wins() -> None:
    bad = gpu_machine(driver="470.239.06", frameworks=[torch("2.3.1+cu121")])
    works = with_live(bad, LiveProbe(framework="torch", status="ok", gpu_available=True))
    assert fired(works, "DL101") == []
    fails = with_live(
        bad,
        LiveProbe(
            framework="torch",
            status="ok",
            gpu_available=False,
            gpu_unavailable_reason="The NVIDIA driver on your system "
            "is too old (found version 11040).",
        ),
    )
    f = only(fails, "DL101")
    assert f.confirmed_by == "live"
    assert f.message.endswith(
        "The live probe confirms: The NVIDIA driver on your system is "
        "too old (found version 11040)."
    )


# -- DL102 ---------------------------------------------------------------------------------
def _toolkit(s, version: str):  # type: ignore[no-untyped-def]
    tk = CudaToolkit(
        path=f"/usr/local/cuda-{version}",
        version=version,
        kind="system",
        nvcc=f"/usr/local/cuda-{version}/bin/nvcc",
    )
    return replace(s, cuda=CudaFacts(toolkits=[tk], cuda_home=tk.path))


def test_dl102_toolkit_newer_than_driver() -> None:
    f = only(_toolkit(gpu_machine(driver="470.239.06"), "12.4.131"), "DL102")
    assert f.severity == "warning"
    assert f.evidence[0].needed == ">=525.60.13"
    assert fired(_toolkit(gpu_machine(driver="550.54.14"), "12.6.77"), "DL102") == []
    # a toolkit nobody selects (no CUDA_HOME, nvcc not on PATH) is not "in use"
    s = _toolkit(gpu_machine(driver="470.239.06"), "12.4.131")
    assert fired(replace(s, cuda=replace(s.cuda, cuda_home=None)), "DL102") == []


# -- DL103 / DL104 -------------------------------------------------------------------------
def _no_driver(kernel_driver: str | None = None, nouveau: bool = False):  # type: ignore[no-untyped-def]
    s = cpu_machine()
    pci = PciDevice(
        slot="0000:01:00.0", vendor_id="0x10de", device_id="0x2684", kernel_driver=kernel_driver
    )
    return replace(
        s, visibility=replace(s.visibility, nvidia_pci_devices=[pci], nouveau_loaded=nouveau)
    )


def test_dl103_gpu_without_driver() -> None:
    f = only(_no_driver(), "DL103")
    assert f.title == "NVIDIA GPU present but no NVIDIA driver is loaded"
    assert fired(gpu_machine(), "DL103") == []
    assert fired(cpu_machine(), "DL103") == []
    assert fired(_no_driver("vfio-pci"), "DL103") == []  # passed through to a VM
    assert fired(_no_driver("nouveau", nouveau=True), "DL103") == []  # DL104's case


def test_dl104_nouveau() -> None:
    f = only(_no_driver("nouveau", nouveau=True), "DL104")
    assert f.evidence[1].found == "nouveau (0000:01:00.0)"
    assert fired(_no_driver(), "DL104") == []
    assert fired(gpu_machine(), "DL104") == []


# -- DL105 / DL106 / DL107 -----------------------------------------------------------------
def test_dl105_library_mismatch() -> None:
    s = gpu_machine()
    bad = replace(
        s,
        driver=replace(
            s.driver,
            library_mismatch=True,
            kernel_module_version="535.104.05",
            userspace_version="535.129.03",
        ),
    )
    f = only(bad, "DL105")
    assert f.evidence[0] == Evidence(
        fact="driver.userspace_version",
        found="535.129.03",
        needed="535.104.05",
        note="must equal the loaded kernel module's version",
    )
    assert fired(s, "DL105") == []


def test_dl106_device_nodes() -> None:
    s = gpu_machine()
    bad = replace(
        s,
        visibility=replace(
            s.visibility,
            device_nodes=[
                DeviceNode("/dev/nvidiactl", True, True),
                DeviceNode("/dev/nvidia0", False, False),
            ],
        ),
    )
    f = only(bad, "DL106")
    assert f.subject == "/dev/nvidia0"
    assert f.evidence[0].found == "/dev/nvidia0 --"
    assert fired(s, "DL106") == []
    # inaccessible nodes without any NVIDIA GPU are nobody's business
    cpu = cpu_machine()
    assert (
        fired(
            replace(
                cpu,
                visibility=replace(
                    cpu.visibility, device_nodes=[DeviceNode("/dev/nvidia0", False, False)]
                ),
            ),
            "DL106",
        )
        == []
    )


def test_dl107_minor_version_compat_is_info() -> None:
    f = only(gpu_machine(driver="535.104.05", frameworks=[torch("2.7.1+cu126")]), "DL107")
    assert f.severity == "info"
    assert f.evidence[0].needed == ">=560.28.03"
    assert fired(gpu_machine(driver="560.35.03", frameworks=[torch("2.7.1+cu126")]), "DL107") == []
    assert (
        fired(gpu_machine(driver="470.239.06", frameworks=[torch("2.7.1+cu126")]), "DL107") == []
    )  # too old altogether: DL101
    assert fired(gpu_machine(gpus=[gpu()]), "DL107") == []


def _driver_cuda_only(cuda: str, fw: FrameworkFacts) -> Snapshot:
    """What PyTorch's "driver on your system is too old (found version NNNNN)" tells."""
    return Snapshot(driver=DriverFacts(installed=True, cuda_version=cuda), frameworks=[fw])


def test_dl101_only_the_drivers_cuda_version_is_known() -> None:
    f = only(_driver_cuda_only("11.4", torch("2.4.1+cu124")), "DL101")
    assert f.title == "The NVIDIA driver (CUDA 11.4) is too old for torch 2.4.1+cu124 (CUDA 12.4)"
    assert f.evidence[0] == Evidence(
        fact="driver.cuda_version",
        found="11.4",
        needed=">=12.0 (driver >=525.60.13)",
        note="needed by torch 2.4.1+cu124",
    )
    # the driver is at least 11.4's toolkit driver, so a CUDA 11.8 build of this release runs
    assert isinstance(f.fixes[0], InstallPackages)
    assert f.fixes[0].index_url == "https://download.pytorch.org/whl/cu118"
    # before CUDA 11 there was no minor-version compatibility: 10.1 does not run 10.2
    assert fired(_driver_cuda_only("10.1", torch("1.10.0+cu102")), "DL101") == ["DL101"]


def test_dl101_driver_cuda_version_near_misses() -> None:
    # same major: minor-version compatibility
    assert fired(_driver_cuda_only("12.2", torch("2.5.1+cu124")), "DL101") == []
    assert fired(_driver_cuda_only("12.4", torch("2.5.1+cpu")), "DL101") == []
    # a framework whose version is known only from an error message: no crash, no fix guessed
    unknown = FrameworkFacts(
        name="torch", distribution="torch", version="", cuda_build=True, cuda_version="12.1"
    )
    f = only(_driver_cuda_only("11.4", unknown), "DL101")
    assert f.title == "The NVIDIA driver (CUDA 11.4) is too old for torch (CUDA 12.1)"
    assert [type(x) for x in f.fixes] == [ManualStep]


# -- DL108 ---------------------------------------------------------------------------------
SMI_NO_DRIVER = ReportedError(
    signature="nvidia-smi-no-driver",
    text="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
    "that the latest NVIDIA driver is installed and running.",
    meaning="nvidia-smi cannot reach the kernel driver.",
)


def test_dl108_linux_driver_inside_wsl2() -> None:
    wsl = Snapshot(host=HostFacts(os="Linux", wsl=2), reported_errors=[SMI_NO_DRIVER])
    f = only(wsl, "DL108")
    assert f.severity == "error"
    assert f.evidence[1] == Evidence(
        fact="reported_errors.nvidia-smi-no-driver",
        found=SMI_NO_DRIVER.text[:120],
        needed="/usr/lib/wsl/lib/nvidia-smi (the Windows driver's)",
    )
    assert isinstance(f.fixes[0], ManualStep)
    assert f.fixes[0].url == "https://docs.nvidia.com/cuda/wsl-user-guide/index.html"
    module = Snapshot(
        host=HostFacts(os="Linux", wsl=2),
        driver=DriverFacts(installed=True, kernel_module_version="535.104.05"),
    )
    assert "nvidia kernel module (535.104.05)" in only(module, "DL108").message


def test_dl108_near_misses() -> None:
    # the same nvidia-smi failure on bare Linux is DL103's business
    linux = Snapshot(host=HostFacts(os="Linux"), reported_errors=[SMI_NO_DRIVER])
    assert fired(linux, "DL108") == []
    # a healthy WSL2: the Windows driver's nvidia-smi works, no kernel module
    healthy = replace(gpu_machine(), host=HostFacts(os="Linux", wsl=2))
    healthy = replace(healthy, visibility=replace(healthy.visibility, nvidia_module_loaded=False))
    healthy = replace(healthy, driver=replace(healthy.driver, kernel_module_version=None))
    assert fired(healthy, "DL108") == []


def test_dl103_from_a_paste_names_the_gpu_and_the_missing_driver() -> None:
    """A pasted `lspci` line is a PCI-device fact; "Found no NVIDIA driver" says the driver is
    not installed (the paste does not say whether a module is loaded)."""
    lspci = PciDevice(
        slot="0000:01:00.0",
        vendor_id="0x10de",
        device_id="",
        class_id="0x030000",
        name="NVIDIA Corporation GA104 [GeForce RTX 3070]",
    )
    pasted = Snapshot(
        driver=DriverFacts(installed=False), visibility=VisibilityFacts(nvidia_pci_devices=[lspci])
    )
    f = only(pasted, "DL103")
    assert f.message == (
        "1 NVIDIA PCI device(s) (0000:01:00.0 (NVIDIA Corporation GA104 [GeForce RTX 3070])) are "
        "present but no NVIDIA driver is installed or loaded."
    )
    assert [(e.fact, e.found, e.needed) for e in f.evidence] == [
        (
            "visibility.nvidia_pci_devices",
            "0000:01:00.0 (NVIDIA Corporation GA104 [GeForce RTX 3070])",
            None,
        ),
        ("driver.installed", "false", "true"),
    ]
    # the GPU alone, with nothing said about the driver, is not enough
    assert fired(replace(pasted, driver=DriverFacts()), "DL103") == []


# -- DL101 on the framework's own verdict ----------------------------------------------------
TOO_OLD = (
    "The NVIDIA driver on your system is too old (found version 11040). Please update your GPU "
    "driver"
)


def _verdict(s, said: str | None = TOO_OLD, available: bool = False):  # type: ignore[no-untyped-def]
    details = {"driver_too_old": said} if said else {}
    probe = LiveProbe(framework="torch", status="ok", gpu_available=available, details=details)
    return with_live(s, probe)


def test_dl101_from_the_frameworks_own_verdict_with_versions_unknown() -> None:
    s = gpu_machine(frameworks=[replace(torch(), cuda_version=None, variant=None)])
    s = replace(s, driver=DriverFacts(installed=True))
    f = only(_verdict(s), "DL101")
    assert f.title == "PyTorch reports the NVIDIA driver is too old for its CUDA runtime"
    assert f.message == (
        "PyTorch reports that the installed driver is older than the CUDA runtime it was built "
        "with (an unstated CUDA version): it cannot initialise CUDA and runs on the CPU. Not "
        "known here: the driver's version and PyTorch's CUDA build."
    )
    assert f.evidence[0] == Evidence(
        fact="live.torch.details.driver_too_old", found=TOO_OLD, note="PyTorch's own verdict"
    )
    assert [type(x) for x in f.fixes] == [ManualStep]


def test_dl101_verdict_near_misses() -> None:
    s = replace(gpu_machine(), driver=DriverFacts(installed=True))
    assert fired(_verdict(s, available=True), "DL101") == []  # the GPU works after all
    assert fired(_verdict(s, said=None), "DL101") == []
    # versions known and too old: the usual DL101, once, not a second one from the verdict
    old = _verdict(gpu_machine(driver="470.239.06"))
    assert fired(old, "DL101") == ["DL101"]


# -- DL109 -----------------------------------------------------------------------------------
def test_dl109_docker_without_the_nvidia_runtime() -> None:
    line = 'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].'
    err = ReportedError(signature="docker-gpu-runtime-missing", text=line, meaning="no runtime")
    f = only(replace(gpu_machine(), reported_errors=[err]), "DL109")
    assert f.severity == "error"
    assert f.evidence == [Evidence(fact="reported_errors.docker-gpu-runtime-missing", found=line)]
    [step] = f.fixes
    assert isinstance(step, ManualStep)
    assert step.commands[1:] == [
        "sudo nvidia-ctk runtime configure --runtime=docker",
        "sudo systemctl restart docker",
    ]
    assert fired(gpu_machine(), "DL109") == []


# -- DL110 -----------------------------------------------------------------------------------
def test_dl110_wsl1_with_a_cuda_build() -> None:
    s = gpu_machine()
    wsl1 = replace(s, host=replace(s.host, wsl=1))
    f = only(wsl1, "DL110")
    assert f.message == (
        "This Linux runs under WSL 1, which cannot reach the GPU at all; torch will run on the "
        "CPU until the distribution is converted to WSL 2."
    )
    assert f.evidence == [Evidence(fact="host.wsl", found="1", needed="2")]
    assert isinstance(f.fixes[0], ManualStep)
    assert f.fixes[0].commands == ["wsl --set-version <distro> 2", "wsl --set-default-version 2"]


def test_dl110_near_misses() -> None:
    s = gpu_machine()
    assert fired(replace(s, host=replace(s.host, wsl=2)), "DL110") == []
    assert fired(s, "DL110") == []
    cpu = cpu_machine()  # WSL 1 with CPU builds only and nothing pasted: nothing to say
    assert fired(replace(cpu, host=replace(cpu.host, wsl=1)), "DL110") == []
