"""Rules about the NVIDIA driver: too old for a framework's CUDA, missing, nouveau, mismatch.

Codes DL1xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import Action, ManualStep
from dlenv.kb.queries import (
    driver_at_least,
    driver_requirement,
    major_minor,
    max_toolkit_for_driver,
    toolkit_driver,
)
from dlenv.rules.derived import (
    LIVE_WINS,
    cuda_build,
    driver_version,
    label,
    live,
    native_windows,
    nvidia_gpu_present,
    os_name,
    verdict,
)
from dlenv.rules.findings import Evidence, Finding, first_line
from dlenv.rules.fixes import driver_install_step, torch_variant_fix
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import Snapshot

CUDA_FRAMEWORKS = ("torch", "tensorflow", "jax")
NVRM_PROBE = "nvrm-probe-not-called"  # dlenv.importers.signatures: NVRM says nouveau holds it


@rule("DL101", "driver-too-old-for-cuda-runtime", "error", "driver")
def driver_too_old_for_framework(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the NVIDIA driver is new enough for the CUDA runtime each installed
    framework (torch, tensorflow, jax) was built with. From CUDA 11 on, minor-version
    compatibility applies: any driver at or above the CUDA major's floor (11.x: 450.80.02,
    12.x: 525.60.13, 13.x: 580.65.06 on Linux) runs code built with any minor of that major.

    Why it matters: with an older driver the framework imports fine but cannot initialise CUDA:
    `torch.cuda.is_available()` is False with "The NVIDIA driver on your system is too old", or
    TensorFlow logs "CUDA driver version is insufficient for CUDA runtime version".

    When only the driver's CUDA version is known (nvidia-smi's header, or PyTorch's "found
    version 11040", meaning CUDA 11.4), the majors are compared (before CUDA 11: major.minor).

    Example: driver 470.239.06 (CUDA 11.4) with torch 2.3.1+cu121 (needs >= 525.60.13).

    Fix: install a newer driver (and reboot), or install the framework's build for an older CUDA
    that this driver runs: `pip install torch==2.3.1 --index-url
    https://download.pytorch.org/whl/cu118`.
    """
    drv = driver_version(s)
    found = list(_driver_cuda_too_old(s) if drv is None else _driver_version_too_old(s, drv))
    yield from found
    yield from _reported_too_old(s, {f.subject for f in found})


def _driver_version_too_old(s: Snapshot, drv: str) -> Iterator[Finding]:
    """DL101 when the driver's version and the framework's CUDA build are both known."""
    for fw in s.frameworks:
        if fw.name not in CUDA_FRAMEWORKS or not cuda_build(fw) or not fw.cuda_version:
            continue
        req = driver_requirement(fw.cuda_version, os_name(s))
        if req is None or driver_at_least(drv, req.minimum) is not False:
            continue
        probe = live(s, fw.name)
        if probe is not None and probe.gpu_available:
            continue  # the framework really uses the GPU: the live result wins
        confirmed = LIVE_WINS if probe is not None and probe.gpu_available is False else None
        supported = max_toolkit_for_driver(drv, os_name(s)) or s.driver.cuda_version
        fixes: list[Action] = []
        reason = f"driver {drv} runs CUDA up to {supported or 'an older release'}"
        if fw.name == "torch":
            fix = torch_variant_fix(s, fw, reason)
            if fix is not None:
                fixes.append(fix)
        fixes.append(driver_install_step(req.minimum))
        floor = (
            f"the CUDA {req.cuda.split('.')[0]}.x minor-version-compatibility floor"
            if req.minor_compat
            else f"the CUDA {req.cuda} toolkit driver"
        )
        message = (
            f"{label(fw)} is built with CUDA {fw.cuda_version}, which needs NVIDIA driver "
            f">={req.minimum} ({floor}); this machine has {drv}"
            + (f", which supports CUDA up to {supported}" if supported else "")
            + "."
        )
        if confirmed:
            why = (probe.gpu_unavailable_reason or "no GPU").rstrip(".")  # type: ignore[union-attr]
            message += f" The live probe confirms: {why}."
        yield finding(
            "DL101",
            title=f"NVIDIA driver {drv} is too old for {label(fw)} (CUDA {fw.cuda_version})",
            message=message,
            evidence=[
                Evidence(
                    fact="driver.version",
                    found=drv,
                    needed=f">={req.minimum}",
                    note=f"needed by {label(fw)}",
                ),
                Evidence(fact=f"frameworks.{fw.name}.cuda_version", found=fw.cuda_version),
            ],
            hint="Upgrade the driver, or install a build of the framework for an older CUDA.",
            fixes=fixes,
            subject=fw.name,
            confirmed_by=confirmed,
        )


def _driver_cuda_too_old(s: Snapshot) -> Iterator[Finding]:
    """DL101 when only the driver's CUDA version is known (nvidia-smi's header, or PyTorch's
    "The NVIDIA driver on your system is too old (found version 11040)")."""
    supported = s.driver.cuda_version
    have = major_minor(supported)
    if have is None:
        return
    for fw in s.frameworks:
        if fw.name not in CUDA_FRAMEWORKS or not cuda_build(fw) or not fw.cuda_version:
            continue
        need = major_minor(fw.cuda_version)
        req = driver_requirement(fw.cuda_version, os_name(s))
        if need is None or req is None:
            continue
        # from CUDA 11 on, a driver for any minor of a major runs every minor of that major
        too_old = have[0] < need[0] if req.minor_compat else have < need
        if not too_old:
            continue
        probe = live(s, fw.name)
        if probe is not None and probe.gpu_available:
            continue
        fixes: list[Action] = []
        reason = f"the driver runs CUDA up to {supported}"
        # a driver that reports CUDA X.Y is at least the driver CUDA X.Y's toolkit shipped with
        row = toolkit_driver(supported or "", os_name(s))
        floor = (row.windows if native_windows(s) else row.linux) if row else None
        if fw.name == "torch" and floor:
            fix = torch_variant_fix(s, fw, reason, driver=floor)
            if fix is not None:
                fixes.append(fix)
        fixes.append(driver_install_step(req.minimum))
        yield finding(
            "DL101",
            title=f"The NVIDIA driver (CUDA {supported}) is too old for {label(fw)} "
            f"(CUDA {fw.cuda_version})",
            message=f"{label(fw)} is built with CUDA {fw.cuda_version}, which needs NVIDIA "
            f"driver >={req.minimum}; the installed driver supports CUDA up to {supported}.",
            evidence=[
                Evidence(
                    fact="driver.cuda_version",
                    found=supported,
                    needed=f">={need[0]}.{0 if req.minor_compat else need[1]} "
                    f"(driver >={req.minimum})",
                    note=f"needed by {label(fw)}",
                ),
                Evidence(fact=f"frameworks.{fw.name}.cuda_version", found=fw.cuda_version),
            ],
            hint="Upgrade the driver, or install a build of the framework for an older CUDA.",
            fixes=fixes,
            subject=fw.name,
            confirmed_by=LIVE_WINS if probe is not None and probe.gpu_available is False else None,
        )


_WHO = {"torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}


def _reported_too_old(s: Snapshot, done: set[str | None]) -> Iterator[Finding]:
    """DL101 on a framework's own verdict ("The NVIDIA driver on your system is too old", "CUDA
    driver version is insufficient for CUDA runtime version") when the versions that would
    prove it are unknown: the message is the framework comparing the two itself."""
    for probe in s.live:
        said = probe.details.get("driver_too_old")
        name = probe.framework
        if not said or name in done or probe.status != "ok" or probe.gpu_available:
            continue
        who = _WHO.get(name, name)
        fw = s.framework(name)
        drv = driver_version(s)
        supported = s.driver.cuda_version
        runtime = fw.cuda_version if fw is not None else None
        req = driver_requirement(runtime, os_name(s)) if runtime else None
        have = (
            f"driver {drv}"
            if drv
            else f"a driver for CUDA {supported}"
            if supported
            else "the installed driver"
        )
        built = f"CUDA {runtime}" if runtime else "an unstated CUDA version"
        fixes: list[Action] = []
        if fw is not None and fw.name == "torch" and runtime and (drv or supported):
            row = None if drv else toolkit_driver(supported or "", os_name(s))
            floor = drv or ((row.windows if native_windows(s) else row.linux) if row else None)
            if floor:
                fix = torch_variant_fix(
                    s, fw, f"the driver runs CUDA up to {supported or 'an older release'}", floor
                )
                if fix is not None:
                    fixes.append(fix)
        fixes.append(driver_install_step(req.minimum if req else None))
        unknown = [
            part
            for part, value in (
                ("the driver's version", drv or supported),
                (f"{who}'s CUDA build", runtime),
            )
            if not value
        ]
        message = (
            f"{who} reports that {have} is older than the CUDA runtime it was built with "
            f"({built}): it cannot initialise CUDA and runs on the CPU."
        )
        if unknown:
            message += f" Not known here: {' and '.join(unknown)}."
        yield finding(
            "DL101",
            title=f"{who} reports the NVIDIA driver is too old for its CUDA runtime",
            message=message,
            evidence=[
                verdict(f"live.{name}.details.driver_too_old", said, f"{who}'s own verdict"),
                Evidence(
                    fact="driver.version" if drv or not supported else "driver.cuda_version",
                    found=drv or supported,
                    needed=f">={req.minimum}" if req else None,
                    note=None if drv or supported else "unknown",
                ),
                Evidence(
                    fact=f"frameworks.{name}.cuda_version",
                    found=runtime,
                    note=None if runtime else "unknown",
                ),
            ],
            hint="Upgrade the driver, or install a build of the framework for an older CUDA.",
            fixes=fixes,
            subject=name,
        )


def _toolkit_in_use(s: Snapshot) -> tuple[str, str] | None:
    """(path, version) of the toolkit that CUDA_HOME or the nvcc on PATH selects."""
    for tk in s.cuda.toolkits:
        if not tk.version:
            continue
        if s.cuda.cuda_home and tk.path.rstrip("/") == s.cuda.cuda_home.rstrip("/"):
            return tk.path, tk.version
        if s.cuda.nvcc_on_path and tk.nvcc == s.cuda.nvcc_on_path:
            return tk.path, tk.version
    return None


@rule("DL102", "driver-too-old-for-toolkit", "warning", "driver")
def driver_too_old_for_toolkit(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the driver runs programs built by the CUDA toolkit in use (the one
    CUDA_HOME/CUDA_PATH names, or whose nvcc is first on PATH), minor-version compatibility
    included.

    Why it matters: nvcc happily compiles, and the program (or a framework extension built
    with it) then fails at run time with "CUDA driver version is insufficient for CUDA runtime
    version".

    Example: CUDA_HOME=/usr/local/cuda-12.4 with driver 470.239.06.

    Fix: upgrade the driver, or point CUDA_HOME and PATH at a toolkit this driver supports.
    """
    drv = driver_version(s)
    in_use = _toolkit_in_use(s)
    if drv is None or in_use is None:
        return
    path, version = in_use
    req = driver_requirement(version, os_name(s))
    if req is None or driver_at_least(drv, req.minimum) is not False:
        return
    yield finding(
        "DL102",
        title=f"NVIDIA driver {drv} is too old for the CUDA {version} toolkit in use",
        message=f"The CUDA toolkit at {path} ({version}) builds programs that need driver "
        f">={req.minimum}; this machine has {drv}.",
        evidence=[
            Evidence(
                fact="driver.version",
                found=drv,
                needed=f">={req.minimum}",
                note=f"needed by the CUDA {version} toolkit at {path}",
            )
        ],
        hint="Programs and extensions compiled with this nvcc will not run on this driver.",
        fixes=[driver_install_step(req.minimum)],
        subject=path,
    )


@rule("DL103", "gpu-without-driver", "error", "driver")
def gpu_without_driver(s: Snapshot) -> Iterator[Finding]:
    """What it checks: an NVIDIA GPU on the PCI bus with no NVIDIA kernel driver bound to it.

    Why it matters: nothing can use the GPU: nvidia-smi is missing or says "NVIDIA-SMI has
    failed because it couldn't communicate with the NVIDIA driver", and every framework falls
    back to the CPU.

    Example: `lspci` lists "NVIDIA Corporation AD102 [GeForce RTX 4090]", no nvidia module is
    loaded and /proc/driver/nvidia does not exist.

    Fix: install the NVIDIA driver for this GPU and reboot.
    """
    v = s.visibility
    devices = [
        d for d in v.nvidia_pci_devices if d.kernel_driver not in ("nvidia", "nouveau", "vfio-pci")
    ]
    if not devices or s.gpus or v.nouveau_loaded:
        return
    if s.driver.installed is not False and v.nvidia_module_loaded is not False:
        return
    slots = ", ".join(d.slot for d in devices)
    named = ", ".join(f"{d.slot} ({d.name})" if d.name else d.slot for d in devices)
    evidence = [Evidence(fact="visibility.nvidia_pci_devices", found=named)]
    if v.nvidia_module_loaded is False:
        evidence.append(
            Evidence(fact="visibility.nvidia_module_loaded", found="false", needed="true")
        )
        why = "have no kernel driver bound and the nvidia kernel module is not loaded"
    else:
        # known from a paste: a framework or nvidia-smi said there is no driver
        evidence.append(Evidence(fact="driver.installed", found="false", needed="true"))
        why = "are present but no NVIDIA driver is installed or loaded"
    yield finding(
        "DL103",
        title="NVIDIA GPU present but no NVIDIA driver is loaded",
        message=f"{len(devices)} NVIDIA PCI device(s) ({named}) {why}.",
        evidence=evidence,
        hint="Install the NVIDIA driver; if it is installed, check `dmesg | grep -i nvidia`.",
        fixes=[driver_install_step(None)],
        subject=slots,
    )


@rule("DL104", "nouveau-loaded", "error", "driver")
def nouveau_loaded(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether the open-source nouveau driver holds the NVIDIA GPU.

    Why it matters: nouveau has no CUDA; while it is loaded the NVIDIA driver cannot bind the
    GPU ("NVIDIA kernel module could not be loaded ... nouveau").

    Example: `lsmod` lists nouveau and the GPU's kernel driver is nouveau; or dmesg's "NVRM:
    The NVIDIA probe routine was not called for 1 device(s) ... nouveau, rivafb, nvidiafb or
    rivatv was loaded and obtained ownership of the NVIDIA device(s)".

    Fix: blacklist nouveau, rebuild the initramfs, install the NVIDIA driver and reboot.
    """
    v = s.visibility
    bound = [d.slot for d in v.nvidia_pci_devices if d.kernel_driver == "nouveau"]
    # the NVIDIA module's own dmesg lines say another driver owns the GPU
    said = next((e for e in s.reported_errors if e.signature == NVRM_PROBE), None)
    held = v.nouveau_loaded and (v.nvidia_pci_devices or said is not None) and not s.gpus
    if not bound and not held:
        return
    evidence = [Evidence(fact="visibility.nouveau_loaded", found="true", needed="false")]
    if said is not None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{NVRM_PROBE}",
                found=first_line(said.text, 200),
                note="the NVIDIA kernel module's own message",
            )
        )
    if bound:
        evidence.append(
            Evidence(
                fact="visibility.nvidia_pci_devices.kernel_driver",
                found=f"nouveau ({', '.join(bound)})",
                needed="nvidia",
            )
        )
    yield finding(
        "DL104",
        title="The nouveau driver is loaded instead of the NVIDIA driver",
        message="The open-source nouveau driver is loaded"
        + (f" and bound to {', '.join(bound)}" if bound else "")
        + "; CUDA needs the proprietary NVIDIA driver.",
        evidence=evidence,
        fixes=[
            ManualStep(
                text="Blacklist nouveau, then install the NVIDIA driver and reboot.",
                commands=[
                    "printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | "
                    "sudo tee /etc/modprobe.d/blacklist-nouveau.conf",
                    "sudo update-initramfs -u  # dracut -f on Fedora/RHEL",
                    "sudo reboot",
                ],
                url="https://docs.nvidia.com/cuda/cuda-installation-guide-linux/",
            )
        ],
    )


@rule("DL105", "driver-library-mismatch", "error", "driver")
def driver_library_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether the loaded kernel module and the user-space driver library
    (libnvidia-ml, libcuda) are different versions.

    Why it matters: after a driver upgrade without a reboot, nvidia-smi fails with "Failed to
    initialize NVML: Driver/library version mismatch" and CUDA cannot initialise.

    Example: kernel module 535.104.05, libnvidia-ml 535.129.03 after `apt upgrade`.

    Fix: reboot (or unload and reload the nvidia kernel modules when no process uses them).
    """
    d = s.driver
    if not d.library_mismatch:
        return
    yield finding(
        "DL105",
        title="NVIDIA driver/library version mismatch",
        message=f"The loaded kernel module is {d.kernel_module_version or 'unknown'} but the "
        f"user-space driver library is {d.userspace_version or 'another version'}; NVML and "
        "CUDA refuse to initialise until they match.",
        evidence=[
            Evidence(
                fact="driver.userspace_version",
                found=d.userspace_version,
                needed=d.kernel_module_version,
                note="must equal the loaded kernel module's version",
            )
        ],
        hint="This usually follows a driver upgrade without a reboot.",
        fixes=[
            ManualStep(
                text="Reboot so that the new kernel module is loaded.",
                commands=["sudo reboot"],
            )
        ],
    )


@rule("DL106", "device-nodes-inaccessible", "error", "driver")
def device_nodes_inaccessible(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that this user can open the NVIDIA device files (/dev/nvidiactl,
    /dev/nvidia0…, /dev/nvidia-uvm) read-write.

    Why it matters: CUDA opens them at initialisation; without access it fails with
    "cudaErrorNoDevice"/"CUDA driver initialization failed" although nvidia-smi may work as root.

    Example: /dev/nvidia0 is mode 0660 root:video and the user is not in the video group; or a
    container started without `--gpus`.

    Fix: add the user to the group that owns the devices (then log in again), or start the
    container with the NVIDIA runtime (`docker run --gpus all`).
    """
    blocked = [n for n in s.visibility.device_nodes if not (n.readable and n.writable)]
    if not blocked or not nvidia_gpu_present(s):
        return
    paths = ", ".join(n.path for n in blocked)
    yield finding(
        "DL106",
        title="NVIDIA device files are not accessible",
        message=f"This user cannot open {paths} read-write, so CUDA cannot initialise.",
        evidence=[
            Evidence(
                fact="visibility.device_nodes",
                found=f"{n.path} {'r' if n.readable else '-'}{'w' if n.writable else '-'}",
                needed="rw",
            )
            for n in blocked
        ],
        fixes=[
            ManualStep(
                text="Give this user access to the NVIDIA device files, then log in again.",
                commands=['sudo usermod -aG "$(stat -c %G /dev/nvidiactl)" "$USER"'],
            )
        ],
        subject=paths,
    )


@rule("DL107", "cuda-minor-version-compatibility", "info", "driver")
def minor_version_compatibility(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a framework built with a newer CUDA minor than the driver's own CUDA
    version, which runs only under CUDA minor-version compatibility.

    Why it matters: it works, with limits: PTX that must be JIT-compiled for the GPU can fail
    with "CUDA_ERROR_UNSUPPORTED_PTX_VERSION" ("the provided PTX was compiled with an
    unsupported toolchain"), and some new APIs are unavailable.

    Example: driver 535.104.05 (CUDA 12.2) with torch 2.7.1+cu126.

    Fix: nothing is required; upgrade the driver when PTX errors appear.
    """
    drv = driver_version(s)
    if drv is None:
        return
    for fw in s.frameworks:
        if fw.name not in CUDA_FRAMEWORKS or not cuda_build(fw) or not fw.cuda_version:
            continue
        req = driver_requirement(fw.cuda_version, os_name(s))
        if req is None or not req.minor_compat or req.toolkit_minimum is None:
            continue
        if driver_at_least(drv, req.minimum) and driver_at_least(drv, req.toolkit_minimum) is False:
            yield finding(
                "DL107",
                title=f"{label(fw)} runs under CUDA minor-version compatibility",
                message=f"{label(fw)} is built with CUDA {fw.cuda_version}, whose toolkit "
                f"driver is {req.toolkit_minimum}; driver {drv} runs it through minor-version "
                "compatibility, without PTX JIT for newer PTX.",
                evidence=[
                    Evidence(
                        fact="driver.version",
                        found=drv,
                        needed=f">={req.toolkit_minimum}",
                        note=f"for the full CUDA {fw.cuda_version} feature set",
                    )
                ],
                subject=fw.name,
            )


@rule("DL109", "container-toolkit-missing", "error", "driver")
def container_toolkit_missing(s: Snapshot) -> Iterator[Finding]:
    """What it checks: Docker refusing `--gpus` with "could not select device driver \"\" with
    capabilities: [[gpu]]" in a pasted log.

    Why it matters: the host's driver may be fine, but Docker has no NVIDIA runtime to hand the
    GPUs to the container: the NVIDIA Container Toolkit is not installed, or was installed
    without registering its runtime with this Docker daemon (or the daemon was not restarted).

    Example: `docker run --gpus all …` on a fresh Ubuntu host with driver 550 installed.

    Fix: install the NVIDIA Container Toolkit, then `sudo nvidia-ctk runtime configure
    --runtime=docker` and `sudo systemctl restart docker`.
    """
    said = next((e for e in s.reported_errors if e.signature == "docker-gpu-runtime-missing"), None)
    if said is None:
        return
    yield finding(
        "DL109",
        title="Docker cannot give GPUs to containers: no NVIDIA container runtime",
        message="Docker has no device driver for `--gpus`: the NVIDIA Container Toolkit is not "
        "installed, or its runtime is not registered with this Docker daemon.",
        evidence=[Evidence(fact="reported_errors.docker-gpu-runtime-missing", found=said.text)],
        fixes=[
            ManualStep(
                text="Install the NVIDIA Container Toolkit (NVIDIA's package repository), "
                "register its runtime with Docker and restart the daemon.",
                commands=[
                    "sudo apt-get install -y nvidia-container-toolkit",
                    "sudo nvidia-ctk runtime configure --runtime=docker",
                    "sudo systemctl restart docker",
                ],
                url="https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
                "install-guide.html",
            )
        ],
        subject="docker",
    )


@rule("DL110", "wsl1-has-no-gpu", "error", "driver")
def wsl1_has_no_gpu(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a WSL 1 machine with a CUDA build of a framework (or a pasted GPU
    error).

    Why it matters: WSL 1 translates Linux system calls and has no GPU paravirtualisation:
    there is no /dev/dxg and no libcuda, so every framework reports "Found no NVIDIA driver"
    however good the Windows driver is. GPU compute in WSL needs WSL 2.

    Example: `torch.cuda.is_available()` is False in Ubuntu on WSL 1 while the same install
    works on native Windows.

    Fix: from Windows, `wsl --set-version <distro> 2` (and `wsl --set-default-version 2`).
    """
    if s.host.wsl != 1:
        return
    wants_gpu = [fw.name for fw in s.frameworks if cuda_build(fw)]
    pasted = [e for e in s.reported_errors if not e.harmless]
    if not wants_gpu and not pasted:
        return
    yield finding(
        "DL110",
        title="WSL 1 has no GPU access: CUDA needs WSL 2",
        message="This Linux runs under WSL 1, which cannot reach the GPU at all; "
        + (f"{', '.join(wants_gpu)} will run on the CPU" if wants_gpu else "GPU errors follow")
        + " until the distribution is converted to WSL 2.",
        evidence=[Evidence(fact="host.wsl", found="1", needed="2")],
        fixes=[
            ManualStep(
                text="Convert the distribution to WSL 2 (from Windows PowerShell; `wsl -l -v` "
                "lists the names), with the NVIDIA Windows driver installed on Windows.",
                commands=["wsl --set-version <distro> 2", "wsl --set-default-version 2"],
                url="https://learn.microsoft.com/en-us/windows/wsl/install",
            )
        ],
        subject="wsl",
    )


@rule("DL108", "linux-driver-inside-wsl", "error", "driver")
def linux_driver_inside_wsl(s: Snapshot) -> Iterator[Finding]:
    """What it checks: signs of a Linux NVIDIA driver installed inside a WSL2 distribution: an
    nvidia-smi that looks for a kernel module ("NVIDIA-SMI has failed because it couldn't
    communicate with the NVIDIA driver"), or an nvidia kernel module reported inside WSL.

    Why it matters: under WSL2 the Windows driver provides CUDA through /dev/dxg and
    /usr/lib/wsl/lib; a Linux driver package (nvidia-driver-535, a .run installer, the `cuda`
    meta-package) installs its own nvidia-smi and libraries that shadow those and cannot work,
    so every framework loses the GPU ("CUDA driver initialization failed").

    Example: `sudo apt install nvidia-driver-535` inside Ubuntu on WSL2, then nvidia-smi fails.

    Fix: remove the Linux driver packages from the distribution (keep the Windows driver), and
    install only a toolkit without a driver (`cuda-toolkit-12-x`, not `cuda`), as NVIDIA's
    CUDA on WSL guide says.
    """
    if s.host.wsl != 2:
        return
    smi = next((e for e in s.reported_errors if e.signature == "nvidia-smi-no-driver"), None)
    module = s.driver.kernel_module_version or (
        "loaded" if s.visibility.nvidia_module_loaded else None
    )
    if smi is None and module is None:
        return
    evidence = [Evidence(fact="host.wsl", found="2")]
    if smi is not None:
        evidence.append(
            Evidence(
                fact="reported_errors.nvidia-smi-no-driver",
                found=first_line(smi.text, 120),
                needed="/usr/lib/wsl/lib/nvidia-smi (the Windows driver's)",
            )
        )
    if module is not None:
        evidence.append(
            Evidence(fact="driver.kernel_module_version", found=module, needed="none under WSL2")
        )
    yield finding(
        "DL108",
        title="A Linux NVIDIA driver is installed inside WSL2",
        message="This is WSL2, where CUDA comes from the Windows driver through /dev/dxg and "
        "/usr/lib/wsl/lib; "
        + (
            "nvidia-smi here looks for a Linux kernel module, so a Linux driver package "
            "replaced the WSL one"
            if smi is not None
            else f"a Linux nvidia kernel module ({module}) is installed in the distribution"
        )
        + ". Its libraries shadow WSL's and CUDA cannot start.",
        evidence=evidence,
        hint="Never install a Linux display driver inside WSL2; the Windows driver is enough.",
        fixes=[
            ManualStep(
                text="Remove the Linux NVIDIA driver packages from the WSL distribution (the "
                "Windows driver stays), then restart WSL.",
                commands=[
                    "dpkg -l | grep -E 'nvidia-(driver|utils|kernel)|libnvidia-compute'",
                    "sudo apt-get remove --purge '^nvidia-driver-.*' '^nvidia-utils-.*' "
                    "'^libnvidia-compute-.*'",
                    "wsl --shutdown  # from Windows, then open the distribution again",
                ],
                url="https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
            )
        ],
    )
