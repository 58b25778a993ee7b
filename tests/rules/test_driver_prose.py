"""The driver rules reasoning from the reporter's words (catalog/prose-driver.toml): a symptom
and a context stated together give a warning that says "probably"; a bare symptom, a bare
context, or a context beside an unrelated complaint gives nothing; a program's own line keeps
its error. Snapshots are built as data; a few cases go through a real paste end to end."""

from __future__ import annotations

from dataclasses import replace

from dlenv.fix.actions import ManualStep
from dlenv.snapshot.model import HostFacts, LiveProbe, ReportedError, Snapshot, VisibilityFacts
from tests.rules.snapshots import fired, gpu_machine, only, pasted_codes, torch


def said(signature: str, text: str, harmless: bool = False) -> ReportedError:
    return ReportedError(signature=signature, text=text, meaning="", harmless=harmless)


def linux(*errors: ReportedError) -> Snapshot:
    """A pasted report from a Linux machine: nothing known but what the paste states."""
    return Snapshot(host=HostFacts(os="Linux"), reported_errors=list(errors))


def commands(f) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for a in f.fixes if isinstance(a, ManualStep) for c in a.commands]


STOPPED = said("said-driver-stopped-working", "NVIDIA GPU driver stops working")
NOT_LOADED = said("said-nvidia-module-not-loaded", "NVIDIA kernel module missing")
KERNEL = said("said-kernel-updated", "the kernel was upgraded from 5.19 to 6.0", harmless=True)
REBOOTED = said(
    "said-broke-after-update-reboot",
    "After installing updates and a reboot, nvidia-smi says the driver is not running",
    harmless=True,
)
SECURE = said("said-secure-boot-blocks", "nvidia smi seems to work wo/ secure boot", True)
UPDATED = said("said-driver-updated", "I upgraded the nvidia driver to 550", harmless=True)
REBOOT_FIXED = said("said-reboot-fixed", "Rebooting the machine resolves this.", harmless=True)
NOT_REBOOTED = said("said-not-rebooted", "I upgraded the driver without rebooting", True)


# -- DL111 ----------------------------------------------------------------------------------
def test_dl111_a_kernel_update_beside_a_stopped_driver_is_a_probable_missing_module() -> None:
    """ai2ys/Deep-Learning-Workstation-Setup#1, pop-os/pop#2663."""
    for context in (KERNEL, REBOOTED):
        f = only(linux(STOPPED, context), "DL111")
        assert f.severity == "warning" and "probably" in f.title
        assert f"reported_errors.{context.signature}" in [e.fact for e in f.evidence]
        assert "sudo reboot" in commands(f) and any("dkms autoinstall" in c for c in commands(f))


def test_dl111_secure_boot_beside_a_missing_module_names_the_mok_enrolment() -> None:
    """fady-saied/Nvidia-Fedora-Guide#6: "NVIDIA kernel module missing", "works wo/ secure boot"."""
    f = only(linux(NOT_LOADED, SECURE), "DL111")
    assert f.severity == "warning"
    assert any("mokutil --import" in c for c in commands(f))
    assert "reported_errors.said-secure-boot-blocks" in [e.fact for e in f.evidence]


def test_dl111_secure_boot_blocking_the_driver_is_a_sign_by_itself() -> None:
    """ "I installed with Secure Boot disabled, later enabled it, and the driver is no longer
    loaded" (devleonardoamaral/debian-nvidia-installer): the statement names the failure and
    its cause at once, a warning with the MOK enrolment; a bare "Secure Boot is on" does not."""
    f = only(linux(SECURE), "DL111")
    assert f.severity == "warning"
    assert any("mokutil --import" in c for c in commands(f))
    enabled = said("secure-boot-enabled", "SecureBoot enabled", True)
    assert fired(linux(enabled), "DL111") == []


def test_dl111_a_gpu_only_named_in_prose_is_not_a_driver_that_answered() -> None:
    """ "I have an RTX 2060 Super" names a GPU but nobody asked the driver for it: the module
    being missing stays the finding. A GPU the driver answered for (a memory size, a bus id,
    a compute capability: nvidia-smi, NVML or a framework saw it) means the module is loaded."""
    from dlenv.snapshot.model import GpuFacts

    named = replace(linux(NOT_LOADED, SECURE), gpus=[GpuFacts(index=0, name="GeForce RTX 2060")])
    assert only(named, "DL111").severity == "warning"
    answered = replace(
        named, gpus=[GpuFacts(index=0, name="GeForce RTX 2060", memory_total_mib=8192)]
    )
    assert fired(answered, "DL111") == []


def test_dl111_no_cause_from_a_bare_symptom_or_a_bare_context() -> None:
    assert fired(linux(STOPPED), "DL111") == []  # "the driver stopped working": no cause
    assert fired(linux(NOT_LOADED), "DL111") == []
    assert fired(linux(KERNEL), "DL111") == []  # "after a kernel update": nothing failed
    # a kernel update beside an unrelated complaint in prose (memory, not a missing GPU)
    oom = said("said-all-gpu-memory-taken", "tensorflow takes all of the GPU memory")
    assert fired(linux(KERNEL, oom), "DL111") == []
    # the driver answered (a GPU with a bus id): the module is loaded
    assert fired(replace(gpu_machine(), reported_errors=[STOPPED, KERNEL]), "DL111") == []


def test_dl111_a_programs_line_beside_the_context_stays_an_error() -> None:
    smi = said(
        "nvidia-smi-no-driver",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    )
    f = only(linux(smi, KERNEL), "DL111")
    assert f.severity == "error" and "probably" not in f.title


def test_dl111_from_a_real_paste_in_the_reporters_words() -> None:
    from dlenv.importers import import_text

    text = (
        "NVIDIA GPU driver stops working after Ubuntu kernel update\n"
        "From time to time the NVIDIA GPU driver stops working.\n"
    )
    f = only(import_text(text).snapshot, "DL111")
    assert f.severity == "warning"
    healthy = "I updated the kernel to 6.8 last week and training runs on the GPU.\n"
    assert fired(import_text(healthy).snapshot, "DL111") == []


# -- DL105 ----------------------------------------------------------------------------------
def test_dl105_a_driver_update_that_a_reboot_cured_is_a_probable_mismatch() -> None:
    """rocker-org/ml#28, oddmario/NVIDIA-Ubuntu-Driver-Guide#4."""
    f = only(linux(UPDATED, REBOOT_FIXED), "DL105")
    assert f.severity == "warning"
    assert "cat /proc/driver/nvidia/version  # the loaded kernel module" in commands(f)
    # not rebooted since, with a failure said
    assert fired(linux(UPDATED, NOT_REBOOTED, STOPPED), "DL105") == ["DL105"]


def test_dl105_near_misses() -> None:
    assert fired(linux(UPDATED), "DL105") == []  # a driver update alone
    assert fired(linux(UPDATED, NOT_REBOOTED), "DL105") == []  # nothing failed
    assert fired(linux(REBOOT_FIXED, STOPPED), "DL105") == []  # no driver update said
    # after a kernel update the module for the new kernel is missing: DL111's, not a mismatch
    assert fired(linux(UPDATED, REBOOT_FIXED, KERNEL), "DL105") == []


# -- DL101 ----------------------------------------------------------------------------------
NEWER_FIXED = said("said-newer-driver-fixed", "I upgraded the nvidia driver to 560 and it works")
TOO_OLD = said("said-driver-too-old", "Downgrading the drivers to 535 causes llama.cpp to fail")


def test_dl101_a_newer_driver_that_fixed_it_is_a_probable_old_driver() -> None:
    """pytorch/pytorch#140947: driver 550 -> 560 and torch.cuda.is_available() is True."""
    f = only(linux(NEWER_FIXED), "DL101")
    assert f.severity == "warning" and "probably" in f.title
    assert "nvidia-smi | head -4  # 'CUDA Version': the newest CUDA this driver runs" in commands(f)


def test_dl101_an_old_driver_said_beside_a_failure() -> None:
    """canonical/inference-snaps#255: the CUDA 12 build fails once the driver is 535."""
    failure = said("cuda-kernel-image-invalid", "CUDA error: device kernel image is invalid")
    assert fired(linux(TOO_OLD, failure), "DL101") == ["DL101"]
    assert fired(linux(TOO_OLD), "DL101") == []  # nothing failed


def test_dl101_versions_and_a_working_gpu_outrank_the_words() -> None:
    # driver 560 runs torch cu124: the stated versions show it new enough
    new_enough = replace(gpu_machine(driver="560.35.03"), reported_errors=[NEWER_FIXED])
    assert fired(new_enough, "DL101") == []
    used = replace(
        linux(NEWER_FIXED),
        frameworks=[torch()],
        live=[LiveProbe(framework="torch", status="ok", gpu_available=True)],
    )
    assert fired(used, "DL101") == []


# -- DL104, DL108, DL109, DL112 --------------------------------------------------------------
def test_dl104_nouveau_still_loaded_in_words_is_a_warning_lsmod_an_error() -> None:
    """negativo17/nvidia-driver#75: "Nouveau cannot be disabled"."""
    from dlenv.importers import import_text

    still = said("said-nouveau-still-loaded", "f29 :: Nouveau cannot be disabled")
    words = replace(linux(still), visibility=VisibilityFacts(nouveau_loaded=True))
    f = only(words, "DL104")
    assert f.severity == "warning" and "probably" in f.title
    assert "sudo update-initramfs -u  # dracut -f on Fedora/RHEL" in commands(f)
    lsmod = import_text("$ lsmod | grep nouveau\nnouveau  2088960  3\n").snapshot
    assert only(lsmod, "DL104").severity == "error"
    assert fired(linux(), "DL104") == []


def test_dl108_a_linux_driver_installed_inside_wsl_said_in_words() -> None:
    """microsoft/WSL#5265: `sudo apt install nvidia-driver-440` inside WSL 2."""
    text = "I installed nvidia-driver-440 inside WSL and nvidia-smi fails"
    s = linux(said("said-linux-driver-in-wsl", text))
    f = only(s, "DL108")
    assert f.severity == "warning"
    assert any("apt-get remove --purge" in c for c in commands(f))
    wsl1 = replace(s, host=HostFacts(os="Linux", wsl=1))
    assert fired(wsl1, "DL108") == []  # WSL 1 has no GPU at all: DL110's


def test_dl109_the_reporters_unknown_runtime_is_a_warning() -> None:
    """D34DC3N73R/netdata-glibc#2: "I am getting unknow runtime specified nvidia"."""
    f = only(linux(said("said-docker-runtime-unknown", "unknow runtime specified nvidia")), "DL109")
    assert f.severity == "warning"
    assert "sudo nvidia-ctk runtime configure --runtime=docker" in commands(f)
    fixed = said("said-gpus-flag-fixed", "after adding --gpus all it works")
    assert only(linux(fixed), "DL109").severity == "warning"
    assert fired(linux(), "DL109") == []


def test_dl112_lost_after_sleep_in_words_and_a_uvm_reload_that_cured_it() -> None:
    """tensorflow/tensorflow#5777, gorgonia/cu#2."""
    sleep = said("said-lost-after-suspend", "GPU becomes unavailable after computer wakes up")
    f = only(linux(sleep), "DL112")
    assert f.severity == "warning"
    assert "sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm" in commands(f)
    reload = said("said-uvm-reload-fixed", "reloading nvidia_uvm fixed CUDA")
    assert only(linux(reload), "DL112").severity == "warning"
    # the catalogue's own suspend line (kernel-module.toml) keeps its error
    printed = said("gpu-lost-after-suspend", "CUDA stops working after suspend/resume")
    assert only(linux(printed), "DL112").severity == "error"


UPDATE_NEEDED = said(
    "said-driver-update-needed", "We need to update the device drivers.", harmless=True
)


def test_dl102_warns_when_a_stated_toolkit_needs_a_driver_update() -> None:
    """rcgsheffield/sheffield_hpc#196: CUDA 7.5 installed, "it doesn't work. We need to update
    the device drivers.", no driver version: the toolkit is newer than the driver, a warning;
    the words alone (no toolkit stated) are not DL102's, nor a toolkit alone."""
    from dlenv.snapshot.model import CudaFacts, CudaToolkit

    toolkit = CudaFacts(toolkits=[CudaToolkit(path="prose", version="9.1")])
    s = replace(linux(UPDATE_NEEDED), cuda=toolkit)
    f = only(s, "DL102")
    assert f.severity == "warning"
    assert any(e.fact == "driver.version" and e.needed == ">=390.46" for e in f.evidence)
    assert fired(linux(UPDATE_NEEDED), "DL102") == []
    assert fired(replace(linux(), cuda=toolkit), "DL102") == []
    assert (
        pasted_codes(
            "CUDA 7.5\n\nI've done a preliminary install but it doesn't work. We need to update "
            "the device drivers.\n"
        ).get("DL102")
        == "warning"
    )


def test_dl101_warns_when_the_driver_must_be_updated_beside_a_failure() -> None:
    """The same words beside a framework's failure (no toolkit story): DL101, a warning; the
    words with nothing failing give nothing."""
    s = replace(
        linux(UPDATE_NEEDED, said("torch-cuda-unavailable-stated", "CUDA is not available")),
        frameworks=[torch()],
    )
    assert only(s, "DL101").severity == "warning"
    assert fired(linux(UPDATE_NEEDED), "DL101") == []


def test_dl112_warns_when_nvidia_uvm_is_said_not_built() -> None:
    """voidlinux/void-packages#935: "add nvidia_uvm to dkms" and /dev/nvidia-uvm not created:
    the reporter's words, a warning with a DKMS step; nothing on native Windows."""
    uvm = said("said-uvm-not-available", "nvidia: add nvidia_uvm to dkms")
    f = only(linux(uvm), "DL112")
    assert f.severity == "warning"
    assert any("dkms status" in c for c in commands(f))
    windows = replace(linux(uvm), host=HostFacts(os="Windows"))
    assert fired(windows, "DL112") == []
    assert (
        pasted_codes(
            "nvidia: add nvidia_uvm to dkms\n\nThis module is required for the CUDA Toolkit to "
            "work, but is installed with the drivers package.\n"
        ).get("DL112")
        == "warning"
    )


def test_dl101_warns_on_the_reporters_own_nvenc_api_arithmetic() -> None:
    """ShiftMediaProject/FFmpeg#34: "my driver only support API 7.0" for an FFmpeg built with a
    newer Video Codec SDK: the reporter's words, a warning with the driver step; a paste
    without them gives nothing, and FFmpeg's own line keeps its error."""
    words = said("said-driver-nvenc-api-old", "my driver only suppot API 7.0 for nvenc")
    f = only(linux(words), "DL101")
    assert f.severity == "warning"
    assert any("h264_nvenc" in c for c in commands(f))
    assert fired(linux(), "DL101") == []
    assert (
        pasted_codes(
            "Which version was use nvenc 7.0,my driver only suppot API 7.0,thank you\n"
        ).get("DL101")
        == "warning"
    )
    assert (
        pasted_codes(
            "[hevc_nvenc @ 0x55d1c2a0] Driver does not support the required nvenc API version. "
            "Required: 13.0 Found: 12.2\n"
        ).get("DL101")
        == "error"
    )


# -- DL109: what the CUDA runtime says in a container started without the GPU ---------------


_PLAIN_RUN = said(
    "docker-run-without-gpu", "docker run -it --shm-size=1g -v /w:/workspace img bash"
)
_INSUFFICIENT = said(
    "cuda-driver-insufficient",
    "CUDA runtime error: CUDA driver version is insufficient for CUDA runtime version",
)


def test_dl109_insufficient_driver_in_a_container_started_without_the_gpu() -> None:
    """triton-inference-server/fastertransformer_backend#111: with no libcuda inside, the CUDA
    runtime answers "driver version is insufficient" whatever the host has; the `docker run`
    line without --gpus is the cause (DL109), not an old driver (DL101)."""
    s = replace(linux(_PLAIN_RUN, _INSUFFICIENT), host=HostFacts(os="Linux", container="docker"))
    f = only(s, "DL109")
    assert f.severity == "error" and "without a GPU" in f.title
    assert fired(s, "DL101") == []


def test_dl109_insufficient_driver_with_a_stated_driver_stays_dl101s() -> None:
    """The same lines beside a driver version the paste states: the driver is judged (DL101),
    and the run line alone does not take the verdict away."""
    from dlenv.snapshot.model import DriverFacts

    s = replace(
        linux(_PLAIN_RUN, _INSUFFICIENT),
        host=HostFacts(os="Linux", container="docker"),
        driver=DriverFacts(version="418.67"),
    )
    assert fired(s, "DL101") == ["DL101"]


def test_dl109_libcuda_missing_in_a_container_the_reporter_names() -> None:
    """tensorflow/serving#660: "libcuda.so.1: cannot open shared object file" from a program in
    a GPU image the reporter built and ran: the driver's library is what the NVIDIA runtime
    mounts in, so DL109 (a warning), and DL201 does not ask to install a library."""
    text = (
        "I built the docker image with GPU support. The image builds successfully, but I cannot "
        "run the model_server.\ntensorflow_model_server: error while loading shared libraries: "
        "libcuda.so.1: cannot open shared object file: No such file or directory\n"
    )
    codes = pasted_codes(text)
    assert codes.get("DL109") == "warning"
    assert codes.get("DL201") != "error"
    outside = "python -c 'import x'\nOSError: libcuda.so.1: cannot open shared object file: No such file or directory\n"
    assert pasted_codes(outside).get("DL201") == "error"


def test_dl101_unsupported_ptx_inside_a_container_is_the_images_toolchain() -> None:
    """fauxpilot/fauxpilot#19: "the provided PTX was compiled with an unsupported toolchain" on
    a Docker Compose service's log line: the PTX came from the image's CUDA, so the host driver
    is too old for the image (DL101), not a toolkit the user installed (DL102)."""
    line = (
        "fauxpilot-triton-1         |   what():  [FT][ERROR] CUDA runtime error: the provided "
        "PTX was compiled with an unsupported toolchain. /workspace/build/cuda_utils.h:393\n"
    )
    codes = pasted_codes(line)
    assert codes.get("DL101") == "error" and "DL102" not in codes
    host = (
        "$ ./my_kernel\nCUDA error: the provided PTX was compiled with an unsupported toolchain.\n"
    )
    assert "DL101" not in pasted_codes(host)


def test_dl101_from_a_driver_said_not_to_support_the_stated_cuda() -> None:
    """RosettaCommons/RoseTTAFold#11: "I have an older version of the NVIDIA driver (450.36),
    which does not support CUDA toolkit >= 11.1": the versions stated prove it (450.36 is below
    CUDA 11.1's minimum), so no failure line is needed (a warning); a driver new enough for the
    stated CUDA says nothing."""
    said = (
        "I have an older version of the NVIDIA driver (450.36), which does not support CUDA "
        "toolkit >= 11.1 (CUDA compatibility)\nThe scripts failed to run smoothly using GPUs "
        "because of the compatibility issue.\nDo the script really necessary to be run with the "
        "CUDA toolkit=11.1?\n"
    )
    assert pasted_codes(said).get("DL101") == "warning"
    new_enough = said.replace("450.36", "470.82")
    assert "DL101" not in pasted_codes(new_enough)


def test_dl103_windows_finds_no_nvcuda_dll() -> None:
    """EvilPort2/Sign-Language#10: TensorFlow's "Could not find 'nvcuda.dll'" (the display
    driver's CUDA library, in System32): the maintainer's answer is the driver, not a CUDA
    library to install (DL201)."""
    from tests.rules.snapshots import pasted_codes

    codes = pasted_codes(
        "ImportError: Could not find 'nvcuda.dll'. TensorFlow requires that this DLL be installed "
        "in a directory that is named in your %PATH% environment variable. Typically it is "
        "installed in 'C:\\Windows\\System32'. If it is not present, ensure that you have a "
        "CUDA-capable GPU with the correct driver installed.\n"
    )
    assert codes.get("DL103") == "warning" and "DL201" not in codes
