from __future__ import annotations

import contextlib
from dataclasses import replace

from dlenv.fix.actions import InstallPackages, ManualStep
from dlenv.importers.explain import explain_text
from dlenv.rules.findings import Evidence
from dlenv.rules.fixes import driver_install_step
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    DeviceNode,
    DriverFacts,
    FrameworkFacts,
    GpuFacts,
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
    pasted_codes,
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
    assert fired(_toolkit(gpu_machine(driver="550.54.14"), "12.4.131"), "DL102") == []
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
    # the reporter naming the card ("my RTX 3070") is no driver that answered for it
    named = replace(pasted, gpus=[GpuFacts(index=0, name="GeForce RTX 3070")])
    assert only(named, "DL103").severity == "error"
    answered = replace(pasted, gpus=[GpuFacts(index=0, name="GeForce RTX 3070", uuid="GPU-1")])
    assert fired(answered, "DL103") == []
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


# -- DL111 / DL112: the kernel modules, from pasted messages ------------------------------
def _pasted(text: str) -> Snapshot:
    from dlenv.importers import import_text

    return import_text(text).snapshot


def _commands(f) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]


def test_dl111_module_not_built_for_the_running_kernel() -> None:
    """github.com/Witko/nvidia-xrun/issues/144: nvidia installed for another kernel than zen."""
    bad = _pasted(
        "I am on arch.\nmodprobe: ERROR: could not find module by name 'nvidia'\n"
        "modprobe: FATAL: nvidia_drm not found in directory /lib/modules/5.5.9-zen1-2-zen\n"
    )
    f = only(bad, "DL111")
    assert f.severity == "error"
    assert "no module built for the running kernel 5.5.9-zen1-2-zen" in f.message
    assert f.evidence[0].fact == "reported_errors.modprobe-nvidia-not-found"
    assert any("dkms autoinstall" in c for c in _commands(f))
    # good: the module loads and nvidia-smi lists the GPU
    assert fired(gpu_machine(), "DL111") == []


def test_dl111_secure_boot_fix_is_the_mok_enrolment() -> None:
    bad = _pasted("modprobe: ERROR: could not insert 'nvidia': Key was rejected by service\n")
    f = only(bad, "DL111")
    assert "Secure Boot refused" in f.message
    assert "sudo mokutil --import /var/lib/shim-signed/mok/MOK.der" in _commands(f)[1]
    assert not any("dkms" in c for c in _commands(f))


def test_dl111_headers_by_distribution() -> None:
    text = "Error! Your kernel headers for kernel 6.5.0-14-generic cannot be found.\n"
    ubuntu = only(_pasted("Ubuntu 22.04\n" + text), "DL111")
    assert "sudo apt install linux-headers-$(uname -r)" in _commands(ubuntu)
    fedora = only(_pasted("Fedora 39\n" + text), "DL111")
    assert 'sudo dnf install "kernel-devel-$(uname -r)"' in _commands(fedora)


def test_dl111_nvidia_smi_failed_outside_wsl_and_nouveau() -> None:
    smi = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "
        "sure that the latest NVIDIA driver is installed and running.\n"
    )
    f = only(_pasted(smi), "DL111")
    assert {"mokutil --sb-state", "dkms status; uname -r"} <= set(_commands(f))
    # under WSL2 it is DL108's Linux driver inside WSL; with nouveau it is DL104's
    assert fired(_pasted(smi + "Linux 5.15.153.1-microsoft-standard-WSL2\n"), "DL111") == []
    nvrm = "NVRM: The NVIDIA probe routine was not called for 1 device(s).\n"
    assert fired(_pasted(smi + nvrm), "DL111") == []
    # beside a GPU that lspci shows with no driver bound: DL103's "no driver"
    lspci = "01:00.0 VGA compatible controller: NVIDIA Corporation GA104 [GeForce RTX 3070]\n"
    both = diagnose_codes(_pasted(smi + lspci))
    assert "DL103" in both and "DL111" not in both


def test_dl111_kernel_update_named_in_prose() -> None:
    f = only(_pasted("no CUDA-capable device is detected after a kernel update\n"), "DL111")
    assert f.fixes[0] == ManualStep(
        text="Reboot if the update is still pending; if the new kernel is running, rebuild the "
        "module for it.",
        commands=["sudo reboot"],
    )


def test_dl112_uvm_not_loaded() -> None:
    """github.com/Bumblebee-Project/Bumblebee/issues/623."""
    bad = _pasted(
        "pycuda._driver.Error: cuInit failed: unknown\nmodprobe: FATAL: Module nvidia-uvm not "
        "found.\n"
    )
    f = only(bad, "DL112")
    assert "not loaded or /dev/nvidia-uvm is missing" in f.message
    assert _commands(f)[:2] == [
        "sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm",
        "sudo nvidia-modprobe -u -c=0  # loads nvidia_uvm and creates /dev/nvidia-uvm",
    ]
    assert fired(gpu_machine(), "DL112") == []


def test_dl112_after_suspend_and_unknown_error() -> None:
    f = only(
        _pasted("after gentoo linux sleep, ollama only use cpu\ncudaSetDevice err: 999\n"), "DL112"
    )
    assert "breaks on suspend and resume" in f.message
    assert any("NVreg_PreserveVideoMemoryAllocations=1" in c for c in _commands(f))
    torch_unknown = (
        "UserWarning: CUDA initialization: CUDA unknown error - this may be due to an "
        "incorrectly set up environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after "
        "program start. Setting the available devices to be zero.\n"
    )
    assert fired(_pasted(torch_unknown), "DL112") == ["DL112"]
    # "resume" in the training sense says nothing about suspend
    assert (
        fired(_pasted("torch 2.3.1\nresume training from epoch 10 after sleep(5)\n"), "DL112") == []
    )
    # a driver/library mismatch is DL105's, whatever CUDA says
    mismatch = "Failed to initialize NVML: Driver/library version mismatch\n"
    assert fired(_pasted(mismatch + "cudaGetDeviceCount returned 30\n"), "DL112") == []


def diagnose_codes(s: Snapshot) -> list[str]:
    from dlenv.rules import diagnose

    return [f.code for f in diagnose(s)]


# -- DL111 / DL112 from the probes: machines as data ---------------------------------------
def _probed(fs) -> Snapshot:  # type: ignore[no-untyped-def]
    from dlenv.probes.host import collect_host
    from dlenv.probes.nvidia import collect_nvidia

    nv = collect_nvidia(fs, 5.0)
    return Snapshot(
        host=collect_host(fs, None), driver=nv.driver, visibility=nv.visibility, gpus=nv.gpus
    )


def _installed_not_loaded(secure_boot: bool = False, built_for: str | None = None):  # type: ignore[no-untyped-def]
    """Driver 550 installed (library, nvidia-smi), the GPU on the bus, no module loaded; DKMS
    built it for `built_for` (None: for the running kernel 5.15.0-105-generic)."""
    from tests.machines.gpu import add_dkms_module, add_pci_gpu, add_userspace, linux_host

    fs = linux_host(secure_boot=secure_boot)
    add_pci_gpu(fs, "0000:01:00.0", kernel_driver=None)
    add_userspace(fs, "550.54.14")
    add_dkms_module(fs, "550.54.14", built_for or "5.15.0-105-generic")
    return fs


def test_dl111_probed_secure_boot_refuses_the_built_module() -> None:
    f = only(_probed(_installed_not_loaded(secure_boot=True)), "DL111")
    assert "Secure Boot is on" in f.message
    assert Evidence(fact="host.secure_boot", found="true") in f.evidence
    assert "sudo mokutil --import /var/lib/shim-signed/mok/MOK.der" in _commands(f)[1]
    assert fired(_probed(_installed_not_loaded(secure_boot=True)), "DL103") == []


def test_dl111_probed_dkms_built_for_the_previous_kernel() -> None:
    s = _probed(_installed_not_loaded(built_for="5.15.0-101-generic"))
    f = only(s, "DL111")
    assert f.message.startswith(
        "The NVIDIA kernel module is not loaded: there is no nvidia module for the running "
        "kernel 5.15.0-105-generic; DKMS built it only for 5.15.0-101-generic."
    )
    assert "sudo apt install linux-headers-$(uname -r)" in _commands(f)
    assert f.fixes[-1].text.startswith("Or reboot into a kernel the module was built for")
    assert fired(s, "DL103") == []  # the driver is installed: not DL103's "no driver"


def test_dl111_probed_good_and_no_driver_machines() -> None:
    from tests.machines.gpu import gpu_without_driver, healthy_gpu_box

    assert fired(_probed(healthy_gpu_box()), "DL111") == []
    # nothing installed at all: DL103, not DL111
    nothing = _probed(gpu_without_driver())
    assert fired(nothing, "DL111") == []
    assert fired(nothing, "DL103") == ["DL103"]


def test_dl112_probed_uvm_not_loaded_and_a_framework_without_gpu() -> None:
    from tests.machines.gpu import healthy_gpu_box

    fs = healthy_gpu_box()
    fs.add_file("/proc/modules", "nvidia 56717312 0 - Live 0x0000000000000000 (POE)\n")
    s = _probed(fs)
    assert s.visibility.nvidia_uvm_loaded is False
    # not loaded on its own is normal: libcuda loads it on first use
    assert fired(s, "DL112") == []
    probe = LiveProbe(
        framework="torch",
        status="ok",
        gpu_available=False,
        gpu_unavailable_reason="CUDA unknown error",
    )
    f = only(with_live(s, probe), "DL112")
    assert f.evidence[0] == Evidence(
        fact="visibility.nvidia_uvm_loaded", found="false", needed="true"
    )
    assert "sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm" in _commands(f)
    assert fired(_probed(healthy_gpu_box()), "DL112") == []


# -- DL102 through a wrapper or a symlink, and on pasted failures -------------------------
def _toolkit_probed(fs) -> CudaFacts:  # type: ignore[no-untyped-def]
    from dlenv.probes.cuda import collect_cuda
    from tests.machines.cuda import target

    return collect_cuda(fs, target())


def test_dl102_toolkit_behind_an_nvcc_wrapper_or_symlink() -> None:
    from dlenv.system.fake import FakeSystem
    from tests.machines.cuda import system_toolkit

    wrapped = FakeSystem(env_vars={"PATH": "/usr/local/bin:/usr/bin"})
    system_toolkit(wrapped, "/usr/local/cuda-13.0", "13.0.96")
    wrapped.add_file("/usr/local/bin/nvcc", '#!/bin/sh\nexec /usr/local/cuda-13.0/bin/nvcc "$@"\n')
    s = replace(gpu_machine(driver="550.54.14"), cuda=_toolkit_probed(wrapped))
    f = only(s, "DL102")
    assert f.evidence[0].needed == ">=580.65.06"
    assert f.subject == "/usr/local/cuda-13.0"
    # /usr/local/cuda/bin on PATH, /usr/local/cuda a link to the versioned toolkit
    linked = FakeSystem(env_vars={"PATH": "/usr/local/cuda/bin:/usr/bin"})
    system_toolkit(linked, "/usr/local/cuda-12.4", "12.4.131")
    linked.add_symlink("/usr/local/cuda", "/usr/local/cuda-12.4")
    s = replace(gpu_machine(driver="470.239.06"), cuda=_toolkit_probed(linked))
    assert fired(s, "DL102") == ["DL102"]
    # good: a driver that runs it
    assert fired(replace(s, driver=gpu_machine(driver="550.54.14").driver), "DL102") == []


def test_dl102_newer_minor_runs_but_its_ptx_cannot_be_jit_compiled() -> None:
    """github.com/GoogleCloudPlatform/compute-gpu-installation/issues/42: the CUDA 12.5
    toolkit on driver 550 (CUDA 12.4); minor-version compatibility does not cover PTX JIT."""
    bad = _toolkit(gpu_machine(driver="550.54.14"), "12.5.82")
    f = only(bad, "DL102")
    assert f.severity == "warning"  # nothing failed yet: only programs that JIT their PTX
    assert f.evidence[0].needed == ">=12.5" and f.evidence[0].found == "12.4 (driver 550.54.14)"
    assert f.fixes[0] == driver_install_step("555.42.02")
    assert "PTX" in f.message
    # the PTX failure quoted: an error
    said = replace(
        bad,
        reported_errors=[
            ReportedError(
                signature="cuda-unsupported-ptx",
                text="CUDA error: the provided PTX was compiled with an unsupported toolchain.",
                meaning="the driver cannot JIT-compile this PTX",
            )
        ],
    )
    assert only(said, "DL102").severity == "error"
    # the driver's own CUDA minor, or an older toolkit: nothing to JIT past
    assert fired(_toolkit(gpu_machine(driver="550.54.14"), "12.4.131"), "DL102") == []
    assert fired(_toolkit(gpu_machine(driver="550.54.14"), "12.2.140"), "DL102") == []


def test_dl102_pasted_ptx_error_with_nvcc_newer_than_the_driver() -> None:
    """github.com/NVlabs/PWC-Net: driver 470 (CUDA 11.4) with a CUDA 11.8 toolkit."""
    bad = _pasted(
        "CUDA error: the provided PTX was compiled with an unsupported toolchain.\n"
        "My Driver Version is 470.223.02, cuda version is 11.8\n"
    )
    f = only(bad, "DL102")
    assert f.severity == "error"
    assert "built with CUDA 11.8, newer than the CUDA 11.4 this driver supports" in f.message
    assert f.fixes[0] == driver_install_step("520.61.05")
    # a newer minor is enough for PTX (no minor-version compatibility for JIT)
    minor = _pasted(
        "[cudaErrorUnsupportedPtxVersion] the provided PTX was compiled with an unsupported "
        "toolchain.\nCUDA Driver Version: 13000\nnvcc: NVIDIA (R) Cuda compiler driver\n"
        "Cuda compilation tools, release 13.2, V13.2.51\n"
    )
    assert fired(minor, "DL102") == ["DL102"]
    # a toolkit the driver runs: the PTX error has another cause
    older = _pasted(
        "CUDA error: the provided PTX was compiled with an unsupported toolchain.\n"
        "Driver Version: 550.54.14, cuda version is 11.8\n"
    )
    assert fired(older, "DL102") == []
    # openmm/openmm#3585: a toolkit stated in prose (an image tag) at the driver's own CUDA
    # does not refute the error: another toolkit (conda's cudatoolkit) built the PTX
    edge = _pasted(
        "CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)\n"
        "Getting same error use this docker image `FROM nvidia/cuda:11.6.2-devel-ubuntu20.04`\n"
        "| NVIDIA-SMI 510.47.03    Driver Version: 510.47.03    CUDA Version: 11.6     |\n"
    )
    f = only(edge, "DL102")
    assert "not the CUDA 11.6 the report states" in f.message
    # the same toolkit read from nvcc is the one in use: it refutes the driver as the cause
    nvcc = _pasted(
        "CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)\n"
        "| NVIDIA-SMI 510.47.03    Driver Version: 510.47.03    CUDA Version: 11.6     |\n"
        "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 11.6, V11.6.124\n"
    )
    assert fired(nvcc, "DL102") == []


def test_dl102_insufficient_driver_from_a_compiled_program_not_a_wheel() -> None:
    lc0 = _pasted(
        "Exception: CUDA error: CUDA driver version is insufficient for CUDA runtime version\n"
        "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 10.1, "
        "V10.1.168\n"
    )
    assert "compiled with CUDA 10.1.168" in only(lc0, "DL102").message
    # a framework's wheel carries its own runtime: DL101's, not DL102's
    torch_says = _pasted(
        'File "/usr/lib/python3/dist-packages/torch/cuda/__init__.py", line 298\n'
        "RuntimeError: CUDA driver version is insufficient for CUDA runtime version\n"
    )
    assert fired(torch_says, "DL102") == []
    paddle = _pasted(
        "OSError: (External) CUDA error(35), CUDA driver version is insufficient for CUDA "
        "runtime version.\n"
    )
    assert fired(paddle, "DL102") == []


def test_dl104_nouveau_from_lsmod_prose_and_nova_core() -> None:
    """github.com/negativo17/nvidia-driver/issues/73: nouveau was not disabled."""
    f = only(_pasted("The logs indicate that Nouveau wasn't disabled.\n"), "DL104")
    assert f.evidence[1].fact == "reported_errors.nouveau-loaded-stated"
    assert only(_pasted("nouveau              2433024  3\n"), "DL104").fixes
    nova = (
        "01:00.0 VGA compatible controller: NVIDIA Corporation AD102 [GeForce RTX 4090]\n"
        "\tKernel driver in use: nova_core\n"
    )
    f = only(_pasted(nova), "DL104")
    assert f.title == "The nova_core driver is loaded instead of the NVIDIA driver"
    assert "bound to 0000:01:00.0" in f.message
    # the instructions alone say nothing about this machine
    text = "echo 'blacklist nouveau' | sudo tee /etc/modprobe.d/blacklist-nouveau.conf\n"
    assert fired(_pasted("torch 2.3.1\n" + text), "DL104") == []


def test_dl105_older_drivers_capitalised_library() -> None:
    bad = _pasted("Failed to initialize NVML: Driver/Library version mismatch\n")
    assert fired(bad, "DL105") == ["DL105"]


def test_dl108_wsl2_cuda_without_device_is_a_likely_linux_driver() -> None:
    """github.com/rapidsai/cuml (nvidia/cuml): cuInit finds no device in WSL2; the maintainer
    suspected a Linux driver installed inside WSL2."""
    bad = _pasted(
        "Linux 5.15.153.1-microsoft-standard-WSL2 x86_64\n"
        "numba.cuda.cudadrv.error.CudaSupportError: Error at driver init: Call to cuInit results "
        "in CUDA_ERROR_NO_DEVICE (100)\n"
    )
    f = only(bad, "DL108")
    assert f.severity == "warning"
    assert "ldconfig -p | grep libcuda.so.1  # /usr/lib/wsl/lib must come first" in _commands(f)
    # the same message on plain Linux is not DL108's
    plain = _pasted("CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\nUbuntu 22.04\n")
    assert fired(plain, "DL108") == []


def test_dl111_a_kernel_update_with_nothing_failing_is_not_a_finding() -> None:
    healthy = _pasted("torch 2.3.1\nI updated the kernel last week and training runs fine.\n")
    assert fired(healthy, "DL111") == []


# -- wordings from the programs that print them, judged end to end ---------------------------
def _explained(text: str) -> list[str]:
    from dlenv.importers.explain import explain_text

    report = explain_text(text, "paste.txt", probe=False).report
    return sorted({f.code for f in report.findings if f.severity in ("error", "warning")})


def test_dl104_from_nvidia_installer_and_nouveau_log_lines() -> None:
    installer = (
        "ERROR: The Nouveau kernel driver is currently in use by your system.  This driver is "
        "incompatible with the NVIDIA driver, and must be disabled before proceeding."
    )
    assert _explained(installer) == ["DL104"]
    log = "[    2.834512] [drm] Initialized nouveau 1.3.1 20120801 for 0000:01:00.0 on minor 0\n"
    smi = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
    assert _explained(log + smi) == ["DL104"]  # not DL111: nouveau holds the GPU
    assert "DL104" not in _explained("\tKernel modules: nvidiafb, nouveau\n" + smi)


def test_dl111_from_installer_insmod_and_nvml_wordings() -> None:
    for text in (
        "modprobe: ERROR: could not insert 'nvidia': Exec format error",
        "insmod: ERROR: could not insert module nvidia.ko: Key was rejected by service",
        "ERROR: The kernel module failed to load. Secure boot is enabled on this system, so this "
        "is likely because it was not signed by a key that is trusted by the kernel.",
        "ERROR: Unable to find the kernel source tree for the currently running kernel.",
        "ERROR: Unable to load the 'nvidia-drm' kernel module.",
        "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown",
    ):
        assert _explained(text) == ["DL111"], text
    # the installer could not replace modules in use: loaded, not DL111's
    in_use = (
        "ERROR: An NVIDIA kernel module 'nvidia-drm' appears to already be loaded in your kernel."
    )
    assert "DL111" not in _explained(in_use + "\nERROR: Installation has failed.")


def test_dl105_from_xla_nvrm_nvml_and_cuda_803() -> None:
    for text in (
        "E tensorflow/stream_executor/cuda/cuda_diagnostics.cc:306] kernel version 460.56.0 does "
        "not match DSO version 470.57.2 -- cannot find working devices in this configuration",
        "NVRM: API mismatch: the client 'nvidia-smi' (pid 4242)\nNVRM: has the version "
        "550.127.05, but this kernel module has\nNVRM: the version 550.120.  Please make sure",
        "pynvml.nvml.NVMLError_LibRmVersionMismatch: RM has detected an NVML/RM version mismatch.",
        "RuntimeError: CUDA error: system has unsupported display driver / cuda driver combination",
    ):
        assert _explained(text) == ["DL105"], text


def test_dl101_from_container_images_and_wheels_with_their_own_cuda() -> None:
    f = only(
        _import(
            "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.8, please "
            "update your driver to a newer version, or use an earlier cuda container: unknown"
        ),
        "DL101",
    )
    assert f.evidence[1].needed == ">=570.26"  # CUDA 12.8's own driver: the check is exact
    assert f.subject == "container"
    ngc = (
        "ERROR: This container was built for NVIDIA Driver Release 460.32 or later, but\n"
        "       version 430.26 was detected and compatibility mode is UNAVAILABLE."
    )
    f = only(_import(ngc), "DL101")
    assert (f.evidence[1].found, f.evidence[1].needed) == ("430.26", ">=460.32")
    paddle = "OSError: (External) CUDA error(35), CUDA driver version is insufficient for CUDA runtime version."
    assert _explained(paddle) == ["DL101"]
    # a program the user compiled (its toolkit in the paste) is DL102's, not a wheel's
    nvcc = "Cuda compilation tools, release 12.4, V12.4.131\n"
    assert "DL101" not in _explained(nvcc + "cudaGetDeviceCount returned 35")


def test_dl109_warning_when_a_framework_finds_no_cuda_inside_a_stated_container() -> None:
    """TIBHannover/TIBAVA: "User provided device_type of 'cuda', but CUDA is not available"
    from a Docker install: the container was probably started without the GPU (a warning);
    the same line with no container in the story says nothing of Docker."""
    line = (
        "/usr/local/lib/python3.10/site-packages/torch/amp/autocast_mode.py:250: UserWarning: "
        "User provided device_type of 'cuda', but CUDA is not available. Disabling\n"
    )
    from dlenv.rules import diagnose

    pasted = _import("I run it with docker compose.\n" + line)
    assert {f.code: f.severity for f in diagnose(pasted)}.get("DL109") == "warning"
    assert "DL109" not in _explained(line)


def test_dl109_when_the_gpu_does_not_reach_the_container() -> None:
    for text in (
        "WARNING: The NVIDIA Driver was not detected.  GPU functionality will not be available.",
        "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: "
        "cannot open shared object file: no such file or directory: unknown.",
        "Error: crun: unresolvable CDI devices nvidia.com/gpu=all",
    ):
        assert "DL109" in _explained(text), text


def _import(text: str) -> Snapshot:
    from dlenv.importers.detect import import_text

    return import_text(text, "paste.txt").snapshot


def test_dl101_insufficient_driver_inside_a_container_is_the_images_runtime() -> None:
    # alexjc/neural-enhance#144: the runtime came with the GPU container image
    inside = (
        "when using the gpu container, I get the error:\n"
        '"CUDA driver version is insufficient for CUDA runtime version"\nmy version: 378.13'
    )
    f = only(_import(inside), "DL101")
    assert f.subject == "container"
    assert "DL102" not in _explained(inside)
    # the same words from a program compiled on the host (its nvcc shown) stay DL102's; with
    # nothing showing a toolkit the program's own runtime is the likelier story (prebuilt
    # binaries, wheels and images far outnumber programs compiled by hand): DL101
    nvcc = "Cuda compilation tools, release 12.4, V12.4.131\n"
    assert _explained(nvcc + "cudaGetDeviceCount returned 35") == ["DL102"]
    assert _explained("cudaGetDeviceCount returned 35") == ["DL101"]


def test_dl102_ptx_wordings_including_the_complied_typo() -> None:
    for text in (
        "gpu_burn-drv.cpp 239 the provided PTX was complied with an unsupported toolchain",
        "CUDA Runtime Error: the provided PTX was compiled with an unsupported toolchain.",
    ):
        assert _explained(text) == ["DL102"], text


def test_dl106_from_nvml_insufficient_permissions_and_a_refused_device_file() -> None:
    for text in (
        "nvidia-smi in the image results in `Failed to initialize NVML: Insufficient Permissions`",
        "pynvml.nvml.NVMLError_NoPermission: Insufficient Permissions",
        'open("/dev/nvidiactl", O_RDWR) = -1 EACCES (Permission denied)',
    ):
        assert _explained(text) == ["DL106"], text
    f = only(
        _import("docker run -it img\nFailed to initialize NVML: Insufficient Permissions"), "DL106"
    )
    assert "--group-add" in f.fixes[0].commands[0]  # the container's user
    # a permission error elsewhere is not the device files'
    assert "DL106" not in _explained("PermissionError: [Errno 13] Permission denied: '/data/x'")


def test_dl110_not_dl111_on_wsl1s_first_kernel() -> None:
    # jcjohnson/neural-style#335: Ubuntu 14.04 on Windows 10, WSL 1's kernel "3.4.0+"
    text = (
        "modprobe: ERROR: ../libkmod/libkmod.c:556 kmod_search_moddep() could not open moddep "
        "file '/lib/modules/3.4.0+/modules.dep.bin'\n"
        "modprobe: ERROR: could not insert 'nvidia_367': Function not implemented\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
        "that the latest NVIDIA driver is installed and running."
    )
    assert _explained(text) == ["DL110"]
    native = text.replace("3.4.0+", "4.15.0-45-generic")
    assert "DL110" not in _explained(native)


def test_dl111_no_device_on_a_machine_nothing_was_changed_on() -> None:
    """nitishsrivastava/deepnet#28 ("We haven't changed our hardware or anything related to
    CUDA" + "no CUDA-capable device is detected"; the kernel had been updated, no reboot):
    libcuda answered and found no device, CUDA_VISIBLE_DEVICES is not set, no container: the
    module is probably not loaded. A warning: the reporter's word, not a probe."""
    said = "We haven't changed anything, but now: no CUDA-capable device is detected\n"
    f = only(_pasted(said), "DL111")
    assert f.severity == "warning"
    assert "sudo reboot" in _commands(f)
    assert [e.fact for e in f.evidence] == [
        "reported_errors.no-cuda-capable-device",
        "reported_errors.broke-without-change-stated",
    ]
    # the error alone, or the statement alone, settles nothing
    assert fired(_pasted("no CUDA-capable device is detected\n"), "DL111") == []
    assert fired(_pasted("It was working fine yesterday.\n"), "DL111") == []
    # CUDA_VISIBLE_DEVICES set, or a container: those questions come first (DL303, DL109)
    hidden = "CUDA_VISIBLE_DEVICES=1 python train.py\n" + said
    assert fired(_pasted(hidden), "DL111") == []


def test_dl101_insufficient_driver_from_a_package_named_elsewhere_in_the_paste(
    no_priors: None,
) -> None:
    """NVIDIA/cutlass#2866: the title says "cudaErrorInsufficientDriver", the body names the
    CuTe DSL (a package with its own CUDA runtime) and states "CUDA version is 12.9.41", "CUDA
    driver is 570.133.20": the runtime's verdict and the versions agree (570 runs CUDA up to
    12.8), so the driver is too old for the package's runtime (DL101), not for a toolkit."""
    paste = (
        "[QST] cudaErrorInsufficientDriver\n\n"
        "When I run examples/python/CuTeDSL/blackwell/dense_gemm.py, I find the error CUDAError "
        "InsufficientDriver. My CUDA version is 12.9.41 and my CUDA driver is 570.133.20.\n"
    )
    assert _explained(paste) == ["DL101"]
    f = only(_pasted(paste), "DL101")
    assert "needs CUDA 12.9" in f.message
    assert any(e.fact == "driver.version" and e.needed == ">=575.51.03" for e in f.evidence)
    # with no such package named, the same verdict stays with the toolkit (DL102's question)
    plain = paste.replace("examples/python/CuTeDSL/blackwell/dense_gemm.py", "my program")
    assert "DL101" not in _explained(plain)


def test_statements_cover_no_line_so_an_error_beside_them_is_still_judged() -> None:
    """A statement signature (a package named, "nothing changed") is kept for the rules but
    covers no line: an error line that also names CuPy is still an error of its own."""
    from dlenv.importers import import_text

    line = "cupy.cuda.runtime.CUDARuntimeError: cudaErrorIllegalAddress: an illegal memory access\n"
    got = {e.signature for e in import_text(line).snapshot.reported_errors}
    assert "cuda-runtime-package-named" in got
    assert got - {"cuda-runtime-package-named"}, "the error itself must still be reported"


def test_dl109_the_drivers_own_library_fails_in_a_container_started_without_gpu() -> None:
    """milvus-io/milvus#1094: "libnvidia-ml.so.1: file too short" from a GPU image started with
    a plain `docker run`: the image carries an empty placeholder that the NVIDIA runtime would
    mount the host's library over, so the start is the cause (DL109), not a broken library."""
    run = (
        "../bin/milvus_server: error while loading shared libraries: "
        "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1: file too short\n"
        "docker run --name milvus_gpu -p 19530:19530 milvusdb/milvus:0.6.0-gpu-d120719-2b40dd\n"
    )
    assert _explained(run) == ["DL109"]
    with_gpu = run.replace("docker run --name", "docker run --gpus all --name")
    assert "DL109" not in _explained(with_gpu)


def test_dl109_from_how_the_container_was_started() -> None:
    # the command line or spec read for what it lacks, judged with a sign that the GPU is missing
    run = (
        "docker run -it --rm -v $(pwd):/workspace myimage:latest python train.py\n"
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an "
        "NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx"
    )
    assert _explained(run) == ["DL109"]
    # the same program started with the GPU: not DL109's
    assert "DL109" not in _explained(run.replace("docker run -it", "docker run --gpus all -it"))
    continued = run.replace("docker run -it", "docker run -it \\\n  --gpus all")
    assert "DL109" not in _explained(continued)
    # a docker run line alone, with no sign of a missing GPU, says nothing
    assert _explained("docker run -it --rm myimage:latest python train.py") == []
    pod = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: trainer\n"
        "    image: nvcr.io/nvidia/pytorch:24.01-py3\n"
        "RuntimeError: No CUDA GPUs are available\n"
    )
    assert "DL109" in _explained(pod)
    limited = pod.replace(
        "py3\n", "py3\n    resources:\n      limits:\n        nvidia.com/gpu: 1\n"
    )
    assert "DL109" not in _explained(limited)
    compose = (
        "services:\n  app:\n    image: pytorch/pytorch:latest\n"
        "RuntimeError: Found no NVIDIA driver on your system.\n"
    )
    assert "DL109" in _explained(compose)
    reserved = compose.replace(
        "latest\n",
        "latest\n    deploy:\n      resources:\n        reservations:\n          devices:\n"
        "            - driver: nvidia\n              count: all\n              capabilities: [gpu]\n",
    )
    assert "DL109" not in _explained(reserved)
    runtimes = (
        " Runtimes: io.containerd.runc.v2 runc\n Default Runtime: runc\n" + run.split("\n")[1]
    )
    assert "DL109" in _explained(runtimes)


def test_dl110_when_the_reporter_asks_a_framework_for_the_gpu() -> None:
    text = (
        "$ cat /proc/version\nLinux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) "
        "(gcc version 5.4.0 (GCC) ) #1-Microsoft Fri Dec 06 14:06:00 PST 2019\n"
        ">>> torch.cuda.is_available()\nFalse\n"
    )
    assert _explained(text) == ["DL110"]


def test_dl105_from_the_two_versions_a_paste_shows() -> None:
    text = (
        "RuntimeError: CUDA driver initialization failed, you might not have a CUDA gpu.\n"
        "$ cat /proc/driver/nvidia/version\n"
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.171.04  Tue Mar 19 20:30:00 UTC 2024\n"
        "$ dpkg -l | grep nvidia-utils\n"
        "ii  nvidia-utils-535   535.183.01-0ubuntu0.22.04.1   amd64   NVIDIA driver support binaries\n"
    )
    s = _import(text)
    f = only(s, "DL105")
    assert f.evidence[0].found == "535.183.01" and f.evidence[0].needed == "535.171.04"
    same = text.replace("535.183.01-0ubuntu", "535.171.04-0ubuntu")
    assert fired(_import(same), "DL105") == []


def test_dl101_who_built_the_runtime_is_read_from_the_message_structure() -> None:
    """nagadomi/nunif#702 (torch's "CUDA error: ..." format), marella/ctransformers#139 (a
    source path of a CI build machine: a prebuilt binary, not a program the user compiled)."""
    torch_format = (
        "RuntimeError: CUDA error: CUDA driver version is insufficient for CUDA runtime version\n"
        "CUDA 13 requires a newer driver.\n"
    )
    assert _explained(torch_format) == ["DL101"]
    for path in (
        "/home/runner/work/ctransformers/ctransformers/models/ggml/ggml-cuda.cu:5067",
        r"D:\a\llama.cpp\llama.cpp\ggml\src\ggml-cuda.cu:120",
        "/__w/pkg/pkg/csrc/kernel.cu:88",
    ):
        prebuilt = f"CUDA error 35 at {path}: CUDA driver version is insufficient for CUDA runtime version\n"
        assert _explained(prebuilt + "driver is 515.43.04\n") == ["DL101"], path
    # the same message from a program built on the user's own machine stays DL102's
    own = (
        "CUDA error 35 at /home/me/src/app/kernel.cu:88: CUDA driver version is insufficient "
        "for CUDA runtime version\nnvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation "
        "tools, release 12.4, V12.4.131\nNVIDIA-SMI 470.82.01    Driver Version: 470.82.01    "
        "CUDA Version: 11.4\n"
    )
    assert _explained(own) == ["DL102"]


def test_dl111_from_nvmls_driver_not_loaded_string_in_another_programs_error() -> None:
    """pop-os/pop#690: nvidia-settings prints NVML's error string ("ERROR: NVIDIA driver is not
    loaded") after updates rebuilt DKMS modules; a sentence about the case is no finding."""
    said = (
        "Oct 14 07:35:56 pop-os nvidia-settings-autostart.desktop[2905]: ERROR: NVIDIA driver "
        "is not loaded\nAfter installing system updates, some DKMS stuff gets rebuilt.\n"
    )
    assert "DL111" in _explained(said)
    assert "DL111" not in _explained(
        "If the NVIDIA driver is not loaded, the tool prints a message.\n"
        "RuntimeError: CUDA error: out of memory\n"
    )


def test_dl109_kubernetes_pod_without_the_nvidia_runtime() -> None:
    # a pod that requests the GPU but names no runtime class, with the driver missing inside:
    # nvidia is not the node's default runtime (canonical/microk8s#4408)
    pod = (
        "Can't get nvidia-smi to work in a pod\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nvidia-smi\nspec:\n  containers:\n"
        "    - name: nvidia-smi\n      image: nvidia/cuda:12.2.2-devel-ubuntu22.04\n"
        "      resources:\n        limits:\n          nvidia.com/gpu: 1\n"
    )
    assert _explained(pod) == ["DL109"]
    # the pod already runs under the nvidia runtime class: not this cause
    classed = pod.replace("spec:\n", "spec:\n  runtimeClassName: nvidia\n")
    assert "DL109" not in _explained(classed)
    # no sign that the driver is missing inside: nothing to judge
    assert _explained(pod.replace("Can't get nvidia-smi to work in a pod\n", "")) == []


def test_dl109_kubernetes_node_messages() -> None:
    # containerd's CRI without the nvidia runtime handler: Kubernetes' "unknown runtime"
    sandbox = (
        "Warning  FailedCreatePodSandBox  kubelet  Failed to create pod sandbox: rpc error: "
        'code = Unknown desc = failed to get sandbox runtime: no runtime for "nvidia" is '
        "configured\n"
    )
    assert pasted_codes(sandbox) == {"DL109": "error"}
    # the scheduler: no node offers the GPU resource; likely the runtime, so a warning
    unscheduled = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.\n"
    assert pasted_codes(unscheduled) == {"DL109": "warning"}
    # a node that offers GPUs is no such sign
    assert pasted_codes("Allocatable:\n  nvidia.com/gpu:     2\n") == {}


def test_dl109_from_a_compose_service_log_line() -> None:
    # the framework's "no NVIDIA driver" printed by a Compose service (weaviate/weaviate#1736)
    logged = (
        "qna-transformers_1  |     torch._C._cuda_init()\n"
        "qna-transformers_1  | RuntimeError: Found no NVIDIA driver on your system. Please check "
        "that you have an NVIDIA GPU and installed a driver from "
        "http://www.nvidia.com/Download/index.aspx\n"
    )
    found = pasted_codes(logged)
    assert found.get("DL109") == "warning"
    # the same message on a bare host's console is not a container's
    assert "DL109" not in pasted_codes(logged.replace("qna-transformers_1  | ", ""))


def test_dl112_old_torch_unknown_error_at_cuda_initialisation() -> None:
    # old PyTorch/cutorch's THC: CUDA's initialisation failing with error 30, cured by a reboot
    # (facebookresearch/maskrcnn-benchmark#238)
    init = (
        "THCudaCheck FAIL file=/opt/conda/conda-bld/pytorch-nightly/work/aten/src/THC/"
        "THCGeneral.cpp line=51 error=30 : unknown error\n"
    )
    assert pasted_codes(init).get("DL112") == "error"
    # the same error from another THC file is not the start-up's
    later = init.replace("THCGeneral.cpp line=51", "THCCachingHostAllocator.cpp line=265")
    assert "DL112" not in pasted_codes(later)


def test_dl108_no_device_under_a_stated_wsl2() -> None:
    # Genesis-Embodied-AI/Genesis#114: "run under wsl2", cuInit finds no device (a Linux
    # libcuda shadowing /usr/lib/wsl/lib's): likely, a warning
    text = (
        "I have the same issue with my cuda 12.1 run under wsl2\n"
        "[E 12/20/24 08:45:40.689 2984] [cuda_driver.h:operator()@92] CUDA Error "
        "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected while calling init (cuInit)\n"
    )
    assert pasted_codes(text).get("DL108") == "warning"
    # the same error on a machine the paste does not place in WSL: not DL108's
    assert "DL108" not in pasted_codes(text.split("\n", 1)[1])


def test_dl112_unknown_error_from_dlib_and_go_cu_and_dl111_on_windows() -> None:
    # dlib's CHECK_CUDA (ageitgey/face_recognition#930) and gorgonia.org/cu's package init
    # (gorgonia/cu#2: "modprobe nvidia_uvm" cured it)
    dlib = (
        "Error while calling cudaGetDevice(&the_device_id) in file "
        "/tmp/dlib/dlib/cuda/gpu_data.cpp:201. code: 999, reason: unknown error\n"
    )
    assert pasted_codes(dlib).get("DL112") == "error"
    go = "panic: Unknown\n\ngoroutine 1 [running]:\ngithub.com/chewxy/cu.init.1()\n"
    assert pasted_codes(go).get("DL112") == "error"
    # the same 999 on native Windows (a profile path): no nvidia_uvm there, the display driver
    # did not start (Device Manager's Code 52 in #930): DL111, a warning, never DL112
    windows = dlib.replace("/tmp/", "...\\AppData\\Local\\Temp\\pip-install-l23j6xdc\\")
    found = pasted_codes(windows)
    assert found.get("DL111") == "warning"
    assert "DL112" not in found
    # another dlib CUDA error is not the start-up's unknown error
    oom = dlib.replace("code: 999, reason: unknown error", "code: 2, reason: out of memory")
    assert "DL112" not in pasted_codes(oom)
    assert "DL111" not in pasted_codes(oom)


def test_dl109_device_plugin_cannot_load_nvml() -> None:
    # NVIDIA/k8s-device-plugin#23, #182: nvidia is not the node's default runtime
    text = (
        "2020/10/14 18:04:53 Loading NVML\n"
        "2020/10/14 18:04:53 Failed to initialize NVML: could not load NVML library.\n"
        "2020/10/14 18:04:53 If this is a GPU node, did you set the docker default runtime "
        "to `nvidia`?\n"
    )
    assert pasted_codes(text).get("DL109") == "warning"
    # nvidia-docker 1's host-side ldconfig problem (NVIDIA/nvidia-docker#74) is not this
    assert "DL109" not in pasted_codes("Error: Could not load NVML library\n")


def test_dl114_gpu_lost_in_the_reporters_retelling() -> None:
    # hualin95/Deeplab-v3plus#15: the driver's "GPU is lost" quoted in a sentence
    text = "the gpu crashes and shows `GPU is lost. Please reboot to recover the gpu`\n"
    assert pasted_codes(text).get("DL114") == "error"
    assert "DL114" not in pasted_codes("the GPU is lost in the noise of the benchmark\n")


def test_dl109_extension_build_finds_no_cuda_inside_a_container() -> None:
    # junhyung-SPALab/D-Align#1: `python setup.py build install` inside the container; torch's
    # cpp_extension sees a toolkit but no GPU, the build script raises: a warning
    text = (
        "running python setup.py build install inside the container while configuring\n"
        "No CUDA runtime is found, using CUDA_HOME='/usr/local/cuda'\n"
        "Traceback (most recent call last):\n"
        '  File "setup.py", line 47, in get_extensions\n'
        "    raise NotImplementedError('Cuda is not availabel')\n"
        "NotImplementedError: Cuda is not availabel\n"
    )
    assert pasted_codes(text).get("DL109") == "warning"
    # the same build on a machine the paste does not place in a container: not DL109's
    bare = text.replace(" inside the container", "")
    assert "DL109" not in pasted_codes(bare)


def test_dl106_users_cannot_access_device_files_with_a_group_only_mode() -> None:
    # openSUSE/nvidia-driver-G06#52: the module creates /dev/nvidia* root:video 0660
    text = (
        "nvidia devices not accessable by regular users\n"
        "options nvidia NVreg_DeviceFileGID=481\n"
        "options nvidia NVreg_DeviceFileMode=0660\n"
    )
    assert pasted_codes(text).get("DL106") == "warning"
    # the configuration alone is no failure
    config = "options nvidia NVreg_DeviceFileGID=481\noptions nvidia NVreg_DeviceFileMode=0660\n"
    assert "DL106" not in pasted_codes(config)


def test_dl106_gpu_fails_inside_an_lxd_container() -> None:
    # shenuiuin/LXD_GPU_SERVER#11: the container was given no gpu device
    found = pasted_codes("# LXD容器中安装显卡驱动后nvidia-smi报错\n")
    assert found.get("DL106") == "warning"
    assert "DL109" not in found  # not Docker's toolkit
    english = pasted_codes("nvidia-smi fails inside my LXD container: No devices were found\n")
    assert english.get("DL106") == "warning"
    # the same container once fixed says nothing is wrong
    fixed = "nvidia-smi works in the LXD container now, fixed by adding the gpu device\n"
    assert "DL106" not in pasted_codes(fixed)


def test_dl103_a_program_cannot_run_nvidia_smi() -> None:
    # MohamadZeina/Disco_Diffusion_Local#22: a notebook's subprocess call; the cure was a driver
    text = "FileNotFoundError: [Errno 2] No such file or directory: 'nvidia-smi'\n"
    assert pasted_codes(text).get("DL103") == "warning"
    go = 'Error: exec: "nvidia-smi": executable file not found in $PATH\n'
    assert pasted_codes(go).get("DL103") == "warning"
    # a file of that name is not the program
    log = "FileNotFoundError: [Errno 2] No such file or directory: 'nvidia-smi.log'\n"
    assert "DL103" not in pasted_codes(log)


def test_dl101_image_needs_newer_cuda_than_the_hosts_driver_said() -> None:
    # opendatalab/MinerU#3576 (in Chinese): the image needs CUDA 12.8, the server runs 12.4
    text = (
        "通过docker build 的镜像依赖cuda 12.8，启动容器时会报错。服务器上 cuda 版本不好升级，"
        "目前版本是12.4\n"
    )
    assert pasted_codes(text).get("DL101") == "warning"
    english = "The image requires CUDA 12.8 but the server driver only supports CUDA 12.4.\n"
    assert pasted_codes(english).get("DL101") == "warning"
    # the host's CUDA is the newer one: nothing to say
    newer = "The image requires CUDA 12.1 and the server driver supports CUDA 12.4.\n"
    assert "DL101" not in pasted_codes(newer)


def test_dl101_a_prebuilt_miners_own_driver_check() -> None:
    """firoorg/ccminer#41: ccminer's forks check the driver before mining; "does not support
    CUDA 9.1 API" names the runtime (an error), "Unable to query number of CUDA devices" may
    also be a missing driver (a warning); the same text without the check says nothing."""
    assert pasted_codes("Driver does not support CUDA 9.1 API! Update your nVidia driver!\n") == {
        "DL101": "error"
    }
    assert pasted_codes(
        "I have GTX 1060 on board.\n"
        "Unable to query number of CUDA devices! Is an nVidia driver installed?\n"
    ) == {"DL101": "warning"}
    assert "DL101" not in pasted_codes("I have GTX 1060 on board and mining works.\n")


def test_dl109_a_container_prompt_and_the_gpu_not_available() -> None:
    """jupyter/docker-stacks#2166: a prompt whose host name is the container id, torch without
    the GPU and "GPU not available": started without the GPU (a warning); the same prompt with
    torch seeing the GPU says nothing."""
    prompt = (
        'root@0c2c6f58df4f:/usr/bin# python -c "import torch; print(torch.cuda.is_available())"\n'
    )
    assert pasted_codes(
        "nvidia-smi not exist and GPU not available for my pulling image.\n" + prompt + "False\n"
    ) == {"DL109": "warning"}
    assert "DL109" not in pasted_codes(prompt + "True\n")


def test_dl101_an_encoders_nvenc_api_check_names_the_driver() -> None:
    """SmallPeaches/DanmakuRender#73: FFmpeg's nvenc encoder was built for NVENC API 12.0 and
    the driver offers 11.1: the driver is too old (an error), and the minimum driver comes from
    the message, else from the Video Codec SDK table for the stated OS; a working encode says
    nothing."""
    ffmpeg = (
        "[h264_nvenc @ 00000219ccbba800] Driver does not support the required nvenc API "
        "version. Required: 12.0 Found: 11.1\n"
    )
    found = explain_text(
        ffmpeg + "[h264_nvenc @ 00000219ccbba800] The minimum required Nvidia driver for "
        "nvenc is 522.25 or newer\n",
        "paste.txt",
        probe=False,
    ).report.findings
    (f,) = [f for f in found if f.code == "DL101"]
    assert f.severity == "error"
    assert "522.25 or newer" in f.fixes[0].text  # type: ignore[union-attr]
    # no minimum in the message: the table's, for the OS the paste states
    linux = explain_text(
        "Ubuntu 22.04, driver 470.256\n" + ffmpeg.replace("12.0 Found: 11.1", "12.1 Found: 11.1"),
        "paste.txt",
        probe=False,
    ).report.findings
    (g,) = [f for f in linux if f.code == "DL101"]
    assert "530.41.03" in g.message
    assert pasted_codes(
        "[obs-nvenc] Current driver version does not support this NVENC version, please "
        "upgrade your driver\n"
    ) == {"DL101": "error"}
    assert "DL101" not in pasted_codes(
        "[h264_nvenc @ 0x55] Loaded Nvenc version 12.1\nvideo:2048kB audio:0kB\n"
        "RuntimeError: CUDA error: out of memory\n"
    )


def test_dl101_not_dl102_for_programs_that_bring_their_cuda() -> None:
    """rigaya/NVEnc#704 and openmm/openmm#3585: NVEncC (its banner names the CUDA 12.4 runtime
    it ships) and OpenMM (kernels from its own cudatoolkit) failing on the driver are the
    driver's to fix (DL101, with the CUDA 12.x floor for NVEncC), not a toolkit the user built
    with (DL102); the same failure from the user's own nvcc build stays DL102."""
    nvencc = (
        "NVEnc (x64) 8.07 (r3354) by rigaya, Jun 23 2025 13:22:28 (gcc 13.3.0/Linux)\n"
        "  [NVENC API v13.0, CUDA 12.4]\n"
        "Failed to init EncoderRunCtx error: cudaErrorInsufficientDriver: This indicates that "
        "the installed NVIDIA CUDA driver is older than the CUDA runtime library.\n"
    )
    found = explain_text(nvencc, "paste.txt", probe=False).report.findings
    assert {f.code for f in found if f.severity == "error"} == {"DL101"}
    (f,) = [f for f in found if f.code == "DL101"]
    assert any(e.needed == ">=525.60.13" for e in f.evidence)
    assert pasted_codes(
        "Error loading CUDA module: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)\n"
    ) == {"DL101": "error"}
    built = (
        "$ nvcc --version\nCuda compilation tools, release 12.4, V12.4.131\n"
        "$ ./my_kernel\nCUDA error: CUDA driver version is insufficient for CUDA runtime version\n"
    )
    assert "DL102" in pasted_codes(built)
    assert "DL101" not in pasted_codes(built)


def test_dl101_optix_says_the_driver_is_too_old() -> None:
    """Blender's Cycles (device/optix): optixInit's OPTIX_ERROR_UNSUPPORTED_ABI_VERSION means
    the driver's OptiX is older than the program's SDK: DL101, an error; another OptiX error
    (the library not found) is not this."""
    assert pasted_codes(
        "OptiX initialization failed because the installed NVIDIA driver is too old. Please "
        "update to the latest driver first!\n"
    ) == {"DL101": "error"}
    assert "DL101" not in pasted_codes("OptiX initialization failed with error code 7804\n")


def test_dl102_from_a_stated_toolkit_newer_than_the_stated_driver() -> None:
    """andyzeng/tsdf-fusion#14: CUDA 9.1 (needs 387.26) with driver 384.111 and a CUDA failure,
    no framework: arithmetic on stated versions, a warning; nothing when the stated toolkit is
    one the driver runs, when nothing failed, or when a framework's own CUDA is the story."""
    assert (
        pasted_codes("CUDA 9.1, driver 384.111\nCUDA Error: unknown error\n").get("DL102")
        == "warning"
    )
    assert "DL102" not in pasted_codes("CUDA 9.0, driver 384.111\nCUDA Error: unknown error\n")
    assert "DL102" not in pasted_codes("CUDA 9.1, driver 384.111\n")
    with_torch = "torch 1.0.0, CUDA 9.1, driver 384.111\nCUDA Error: unknown error\n"
    assert "DL102" not in pasted_codes(with_torch)


def _stated(driver: str | None, *errors: ReportedError) -> Snapshot:
    """A pasted report from a Linux machine stating (or not) its driver, and these messages."""
    return Snapshot(
        host=HostFacts(os="Linux"),
        driver=DriverFacts(installed=True, version=driver),
        reported_errors=list(errors),
    )


def _err(signature: str, text: str) -> ReportedError:
    return ReportedError(signature=signature, text=text, meaning="")


def test_dl101_from_a_minimum_driver_the_program_states() -> None:
    """jvdillon/netv#42: the image's FFmpeg says "Minimum required Nvidia driver is 570.0 or
    newer" on driver 550.163.01: both numbers stated, an error with the minimum in the fix;
    nothing when the driver meets it or is not stated."""
    line = _err("program-requires-newer-driver", "Minimum required Nvidia driver is 570.0 or newer")
    f = only(_stated("550.163.01", line), "DL101")
    assert f.severity == "error"
    assert any(e.fact == "driver.version" and e.needed == ">=570.0" for e in f.evidence)
    assert any(isinstance(a, ManualStep) and "570.0 or newer" in a.text for a in f.fixes)
    assert fired(_stated("575.57.08", line), "DL101") == []
    assert fired(_stated(None, line), "DL101") == []


def test_dl101_from_ollamas_driver_check_line() -> None:
    """ollama/ollama#16415: Ollama's GPU discovery prints the driver and the minimum on one line
    (`driver=535 required_driver="570 or newer"`): DL101 end to end, with no other driver fact;
    a line whose driver meets the minimum gives nothing."""
    old = (
        'time=2026-06-02T10:00:00Z level=WARN source=cuda_compat.go msg="NVIDIA driver too old" '
        'device="NVIDIA GeForce GTX 1070 Ti" compute=6.1 driver=535 required_driver="570 or newer"\n'
    )
    assert pasted_codes(old).get("DL101") == "error"
    assert "DL101" not in pasted_codes(old.replace("driver=535", "driver=575"))


def test_dl101_warns_on_no_cuda_device_with_a_driver_before_cuda_11() -> None:
    """owl-project/NVISII#91 (driver 418.56, "#owl: no CUDA capable devices found!") and
    JeremyMain/GPUProfiler#100 (driver 340.84, the GPU not seen): a driver older than the CUDA 11
    floor beside a program that sees no device is probably too old, a warning with the floor;
    nothing on a newer driver, beside another cause (CUDA_VISIBLE_DEVICES), in a container, or
    for a GPU older than Maxwell (its age is the likelier story)."""
    sign = _err("program-no-cuda-devices", "#owl: no CUDA capable devices found!")
    f = only(_stated("418.56", sign), "DL101")
    assert f.severity == "warning"
    assert any(e.fact == "driver.version" and e.needed == ">=450.80.02" for e in f.evidence)
    assert fired(_stated("535.183.01", sign), "DL101") == []
    hidden = replace(_stated("418.56", sign), visibility=VisibilityFacts(cuda_visible_devices=""))
    assert fired(hidden, "DL101") == []
    boxed = _stated("418.56", sign)
    boxed = replace(boxed, host=replace(boxed.host, container="docker"))
    assert fired(boxed, "DL101") == []
    fermi = replace(_stated("390.157", sign), gpus=[GpuFacts(index=0, name="GeForce GTX 580")])
    assert fired(fermi, "DL101") == []
    assert (
        pasted_codes(
            "terminate called after throwing an instance of 'std::runtime_error'\n"
            "  what():  #owl: no CUDA capable devices found!\n"
            "NVIDIA-SMI 418.56       \nDriver Version: 418.56      \nCUDA Version: 10.1\n"
        ).get("DL101")
        == "warning"
    )


def test_dl101_forward_compatibility_refused_in_pytorchs_words() -> None:
    """PyTorch's "Unexpected error from cudaGetDeviceCount() … before calling NumCudaDevices()"
    names no file of torch, yet the line is torch's (c10/cuda/CUDAFunctions.cpp): with "Error
    804: forward compatibility was attempted on non supported HW" it is PyTorch finding the
    driver too old for its CUDA runtime (air-discover/ICRA2024-Sim2Real-AXS#1)."""
    said = (
        "RuntimeError: Unexpected error from cudaGetDeviceCount(). Did you run some cuda "
        "functions before calling NumCudaDevices() that might have already set an error? Error "
        "804: forward compatibility was attempted on non supported HW\n"
    )
    assert "DL101" in _explained(said)


def test_dl101_numba_cannot_link_the_ptx_of_its_toolkit() -> None:
    """NVIDIA-Merlin/NVTabular#1764: Numba's linker hands the driver PTX from the container's
    CUDA 11.8; cuLinkAddData fails because the host driver is older. The traceback through
    add_ptx into cuLinkAddData names it even where the paste stops before the error's name;
    a CUBIN input, or another error of the call, is not that."""
    trace = (
        '  File "/usr/local/lib/python3.8/dist-packages/numba/cuda/cudadrv/driver.py", line '
        "2705, in add_ptx\n    driver.cuLinkAddData(self.handle, enums.CU_JIT_INPUT_PTX,\n"
    )
    from dlenv.errors import DlenvError

    assert _explained(trace) == ["DL101"]
    named = (
        "numba.cuda.cudadrv.driver.LinkerError: [218] Call to cuLinkAddData results in "
        "CUDA_ERROR_INVALID_PTX\n"
    )
    assert _explained(named) == ["DL101"]
    cubin = trace.replace("CU_JIT_INPUT_PTX", "CU_JIT_INPUT_CUBIN")
    with contextlib.suppress(DlenvError):  # nothing recognised at all
        assert "DL101" not in _explained(cubin)


def test_dl101_a_release_stated_without_its_build_against_every_build_of_it() -> None:
    """ "Driver Version: 418.67" beside "torch 1.13.1" (no +cuXYZ): every CUDA build of torch
    1.13 (CUDA 11.6, 11.7) needs driver 450.80.02, so whichever is installed cannot start CUDA
    (an error beside the failure). nvidia-smi's "CUDA Version: 11.4" beside tensorflow 2.15
    (CUDA 12.2) likewise. torch 2.1.0 on driver 470: its default cu121 build needs 525.60.13,
    its cu118 build runs (a warning that names the cu118 index). A new enough driver, or the
    CPU build stated, gives nothing."""
    smi = "Driver Version: 418.67   CUDA Version: 10.1\n"
    failed = "I installed torch 1.13.1 and torch.cuda.is_available() returns False\n"
    report = explain_text(smi + failed, "paste.txt", probe=False).report
    [f] = [f for f in report.findings if f.code == "DL101"]
    assert f.severity == "error" and "every CUDA build" in f.title
    assert f.evidence[0].needed == ">=450.80.02"
    tf = (
        "NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 11.4\n"
        "tensorflow 2.15.0 does not find my GPU: tf.config.list_physical_devices('GPU') "
        "returns []\n"
    )
    assert "DL101" in _explained(tf)
    default = (
        "My driver is 470.82.01 and I use torch 2.1.0; torch.cuda.is_available() returns False\n"
    )
    report = explain_text(default, "paste.txt", probe=False).report
    [w] = [f for f in report.findings if f.code == "DL101"]
    assert w.severity == "warning" and "cu121" in w.title
    assert any("whl/cu118" in c for a in w.fixes for c in getattr(a, "commands", []))
    assert "DL101" not in _explained(default.replace("470.82.01", "535.104.05"))
    assert "DL101" not in _explained(smi + failed.replace("1.13.1", "1.13.1+cpu"))


def test_dl101_tensorrts_cuda_initialization_failure_by_number() -> None:
    """SthPhoenix/InsightFace-REST#24: TensorRT's "CUDA initialization failure with error 222"
    (cudaErrorUnsupportedPtxVersion: its prebuilt kernels' PTX is newer than the driver): the
    driver is too old for the CUDA that TensorRT ships (DL101, an error); error 35 is the
    insufficient driver (DL101 too). The status table reads both numbers."""
    said = (
        "ERROR: CUDA initialization failure with error 222. Please check your CUDA installation: "
        " http://docs.nvidia.com/cuda/cuda-installation-guide-linux/index.html\n"
    )
    report = explain_text(said, "p", probe=False)
    assert "status-cudaerrorunsupportedptxversion" in {
        e.signature for e in report.imported.snapshot.reported_errors
    }
    assert next((f.code, f.severity) for f in report.report.findings) == ("DL101", "error")
    low = explain_text(said.replace("222", "35"), "p", probe=False).report
    assert low.findings[0].code == "DL101"
