"""Rules about a GPU the NVIDIA driver cannot drive: a GPU the installed driver branch (or its
open kernel-module flavour) does not support, and a GPU that failed. Codes DL113-DL114.

Both are read from what the kernel module, nvidia-installer and nvidia-smi print (NVRM lines,
Xid events, NVML's "GPU is lost"); the probes do not read the kernel log yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlenv.fix.actions import Action, ManualStep
from dlenv.kb.queries import gpu_model
from dlenv.kb.tables import GpuModel
from dlenv.rules.derived import in_prose
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import ReportedError, Snapshot

# dlenv.importers.catalog: the GPU is older (or newer) than the driver branch supports
LEGACY = "nvrm-legacy-gpu"  # names the legacy branch ("470.xx") or the open module's skip
UNSUPPORTED = (
    "nvrm-gpu-not-supported-by-release",  # NVRM: ... not supported by the NVIDIA X driver release
    "nvidia-installer-no-supported-gpu",  # nvidia-installer: no GPU this release supports
    "windows-installer-no-compatible-gpu",  # the Windows installer's "compatible graphics hardware"
)
OPEN_NEEDS_GSP = "nvrm-open-module-needs-gsp"  # open nvidia.ko on a GPU without GSP
# dlenv.importers.catalog: the GPU failed (hardware, bus, firmware)
FALLEN = "nvrm-gpu-fallen-off-bus"
XID = "xid-gpu-failure"
INIT_FAILED = "nvrm-rm-init-adapter-failed"
PCI_RESOURCES = "nvrm-pci-resources-invalid"
LOST = ("nvml-gpu-lost", "nvml-gpu-reset-required", "nvidia-smi-device-handle-error")
WINDOWS_CODE_43 = "windows-device-code-43"
# dlenv.importers.statuses: the CUDA runtime/driver status a program prints for the same faults
# ("CUDA error: uncorrectable ECC error encountered", CUDA_ERROR_ECC_UNCORRECTABLE, NVLink's)
ECC = ("status-cudaerroreccuncorrectable", "status-cuda-error-ecc-uncorrectable")
NVLINK = ("status-cudaerrornvlinkuncorrectable", "status-cuda-error-nvlink-uncorrectable")

# The legacy branch that last supports each architecture, as nvidia-installer's nvGpus.h lists
# it (LegacyStrings: 580.xx for Maxwell, Pascal and Volta after the 580 branch; 470.xx Kepler;
# 390.xx Fermi; 340.xx Tesla).
LEGACY_BRANCH = {
    "Tesla": "340",
    "Fermi": "390",
    "Kepler": "470",
    "Maxwell": "580",
    "Pascal": "580",
    "Volta": "580",
}
_BRANCH = re.compile(r"\b(\d{2,3})(?:\.\d+)?\.xx\b")
_PCI_ID = re.compile(r"PCI ID: (10de:[0-9a-fA-F]{4})")
_RELEASE = re.compile(r"NVIDIA (\d{3}\.\d{1,3}(?:\.\d{1,3})?) (?:Linux graphics )?driver")
_NAME = re.compile(r"NVIDIA (.{1,80}?) GPU installed in this system is|^\s*(.{1,80}?) requires \d")
_XID = re.compile(r"\): (\d{1,3}),")

UNIX_DRIVERS = "https://www.nvidia.com/object/unix.html"
XID_DOCS = "https://docs.nvidia.com/deploy/xid-errors/index.html"


def _first(s: Snapshot, *signatures: str) -> ReportedError | None:
    return next((e for e in s.reported_errors if e.signature in signatures), None)


def _line(e: ReportedError) -> str:
    return " ".join(e.text.split())[:240]


def _legacy_branch(s: Snapshot, texts: list[str]) -> tuple[str | None, str | None]:
    """The legacy branch the messages name, or the one the GPU's architecture needs (from the
    knowledge base's GPU table), with the GPU's name where known."""
    name = None
    for text in texts:
        if m := _NAME.search(text):
            name = (m.group(1) or m.group(2) or "").strip() or name
        if m := _BRANCH.search(text):
            return m.group(1), name
    for candidate in [name, *(g.name for g in s.gpus)]:
        model = gpu_model(candidate)
        if model is not None and model.architecture in LEGACY_BRANCH:
            return LEGACY_BRANCH[model.architecture], candidate
    return None, name


@rule("DL113", "gpu-unsupported-by-driver", "error", "driver", machine_wide=True)
def gpu_unsupported_by_driver(s: Snapshot) -> Iterator[Finding]:
    """What it checks: the NVIDIA driver refusing the GPU because the installed branch does not
    support it: the kernel module's "supported through the NVIDIA 470.xx Legacy drivers" or
    "ignoring the legacy GPU", its "not supported by the NVIDIA 535.183.01 driver release",
    nvidia-installer's list of legacy GPUs and "You do not appear to have an NVIDIA GPU
    supported by", Windows' "could not find compatible graphics hardware", and the open kernel
    module refusing a GPU without a GSP. Without such a message, from the facts: a GPU of an
    architecture whose last branch is older than the stated driver (a GTX 1080, Pascal, with
    590; a GT 730, Kepler, with 535) while nvidia-smi or CUDA finds no device or no driver;
    and, as a warning, a reporter's sentence naming such a branch as not supporting the GPU
    ("NVIDIA 535 is incompatible with the GTX 760", "As of NVIDIA driver version 590,
    nvidia-dkms no longer supports Pascal"), or the driver as not supporting the named GPU's
    generation ("installs unsupported driver on Pascal and older GPUs" beside a GTX 1050); and
    a Kepler or older GPU (a K80, a GT 730) with nvidia-smi or CUDA finding no driver, the
    driver's version unstated: every branch since 470 (2021) ignores it.

    Why it matters: the driver installs and its module may even load, but it ignores the GPU:
    nvidia-smi says "No devices were found" or cannot talk to the driver, and every framework
    runs on the CPU. New driver branches drop old architectures (Kepler after 470, Maxwell,
    Pascal and Volta after 580); a GPU newer than the branch is refused the same way.

    Example: a GeForce GT 730 (Kepler) with driver 510: "NVRM: The NVIDIA GeForce GT 730 GPU
    installed in this system is supported through the NVIDIA 470.xx Legacy drivers".

    Fix: install the legacy branch that still supports the GPU (for example
    `nvidia-driver-470`), with a CUDA and framework build that branch runs, or a newer GPU; for
    a GPU newer than the branch, a newer driver; for the open kernel module on a GPU without a
    GSP (Maxwell, Pascal, Volta), the proprietary module flavour of the same driver.
    """
    legacy = _first(s, LEGACY)
    unsupported = _first(s, *UNSUPPORTED)
    open_gsp = _first(s, OPEN_NEEDS_GSP)
    signs = [e for e in (legacy, unsupported, open_gsp) if e is not None]
    if not signs:
        found = list(_branch_past_the_gpu(s)) or list(_said_branch_ignores(s))
        yield from found or _kepler_driver_unstated(s)
        return
    evidence = [
        Evidence(fact=f"reported_errors.{e.signature}", found=_line(e), note=e.meaning)
        for e in signs
    ]
    texts = [e.text for e in signs if e is not open_gsp]
    branch, name = _legacy_branch(s, texts)
    release = next((m.group(1) for t in texts if (m := _RELEASE.search(t))), None)
    release = release or s.driver.version
    pci_id = next((m.group(1) for e in signs if (m := _PCI_ID.search(e.text))), None)
    gpu = name or (f"the GPU (PCI ID {pci_id})" if pci_id else "the GPU")
    driver = f"driver {release}" if release else "the installed driver"
    fixes: list[Action] = []
    if open_gsp is not None and legacy is None and unsupported is None:
        title = "The open NVIDIA kernel module does not support this GPU"
        message = (
            f"The open kernel module of {driver} refuses {gpu}: it has no GPU System Processor "
            "(GSP), which the open module needs (GPUs before Turing)."
        )
        fixes.append(
            ManualStep(
                text="Install the proprietary kernel module flavour of the same driver, then "
                "reboot.",
                commands=[
                    "sudo apt install nvidia-driver-<branch>  # not nvidia-driver-<branch>-open",
                    "sudo sh NVIDIA-Linux-x86_64-<version>.run -m=kernel  # the .run installer",
                ],
                url="https://github.com/NVIDIA/open-gpu-kernel-modules#compatible-gpus",
            )
        )
    elif branch is not None:
        title = f"{gpu} needs the NVIDIA {branch} legacy driver"
        message = (
            f"{driver[0].upper()}{driver[1:]} does not support {gpu}: it is a legacy GPU, last "
            f"supported by the {branch}.xx branch, so the driver ignores it and every framework "
            "runs on the CPU."
        )
        fixes.append(_legacy_step(branch))
    else:
        title = "The installed NVIDIA driver does not support this GPU"
        message = (
            f"{driver[0].upper()}{driver[1:]} does not support {gpu}, so it ignores it: the GPU "
            "is either a legacy GPU (older than the branch supports) or newer than the branch."
        )
        fixes.append(
            ManualStep(
                text="Look the GPU up in the README's list of supported GPUs ('Appendix A'): "
                "install the legacy branch that lists it, or a newer driver for a newer GPU.",
                commands=["lspci -nn | grep -i nvidia  # the PCI ID to look up"],
                url=UNIX_DRIVERS,
            )
        )
    yield finding(
        "DL113",
        title=title,
        message=message,
        evidence=evidence,
        hint=_DROPPED_HINT,
        fixes=fixes,
        subject="nvidia-driver",
    )


def _legacy_step(branch: str) -> ManualStep:
    return ManualStep(
        text=f"Install the {branch} legacy driver branch (and a CUDA and framework build that "
        f"driver {branch} runs), or use a newer GPU.",
        commands=[
            f"sudo apt install nvidia-driver-{branch}  # Debian/Ubuntu",
            "nvidia-smi  # after a reboot: the GPU is listed",
        ],
        url=UNIX_DRIVERS,
    )


# what a driver that ignores the GPU looks like from outside: nvidia-smi finds no device or no
# driver, NVML says the driver is not loaded, CUDA finds no device, the reporter's "not used"
IGNORED_SIGNS = (
    "nvidia-smi-no-devices",
    "nvidia-smi-no-driver",
    "nvml-driver-not-loaded",
    "no-cuda-capable-device",
    "torch-no-cuda-gpus",
    "said-gpu-not-used",
)


_DROPPED_HINT = (
    "Drivers drop old architectures: Kepler after 470, Maxwell, Pascal and Volta after 580. "
    "`ubuntu-drivers devices` lists the branches that support this GPU."
)


def _legacy(name: str | None) -> tuple[GpuModel | None, str | None]:
    """The knowledge base's entry for a GPU name, and the last driver branch for its
    architecture where one was the last (None for the architectures current drivers run)."""
    model = gpu_model(name)
    return model, LEGACY_BRANCH.get(model.architecture) if model is not None else None


def _branch_past_the_gpu(s: Snapshot) -> Iterator[Finding]:
    """DL113 from the facts alone: a GPU of an architecture whose last driver branch is older
    than the driver the paste states (a GT 730, Kepler, with 535; a GTX 1080, Pascal, with 590),
    and a sign that the driver does not drive it. No message needed: NVIDIA's own list of
    legacy GPUs says the newer branch ignores it."""
    drv = s.driver.version
    major = int(drv.split(".")[0]) if drv and drv.split(".")[0].isdigit() else None
    said = next((e for e in s.reported_errors if e.signature in IGNORED_SIGNS), None)
    if major is None or said is None:
        return
    for gpu in s.gpus:
        model, branch = _legacy(gpu.name)
        if branch is None or major <= int(branch):
            continue
        name = gpu.name or model.name if model is not None else gpu.name
        yield finding(
            "DL113",
            title=f"{name} needs the NVIDIA {branch} legacy driver, not {drv}",
            message=f"{name} is a {model.architecture if model else 'legacy'} GPU, last "
            f"supported by the {branch}.xx driver branch; driver {drv} is a later branch, which "
            "ignores it, so nvidia-smi and every framework find no GPU.",
            evidence=[
                Evidence(
                    fact="driver.version",
                    found=drv,
                    needed=f"the {branch}.xx branch or older",
                    note=f"{model.architecture if model else 'its architecture'} is last "
                    f"supported by {branch}.xx",
                ),
                Evidence(fact=f"reported_errors.{said.signature}", found=_line(said)),
            ],
            hint=_DROPPED_HINT,
            fixes=[_legacy_step(branch)],
            subject="nvidia-driver",
        )
        return


# the oldest branch any current distribution still installs by default: a GPU whose last
# branch is this or older (Kepler and before) is refused by what a plain install brings
_LONG_GONE = 470


def _kepler_driver_unstated(s: Snapshot) -> Iterator[Finding]:
    """DL113 (a warning) with no driver version stated: a Kepler or older GPU (a Tesla K80, a GT
    730) named, and nvidia-smi or CUDA finding no driver or device. Every branch after 470
    (2021) ignores those GPUs, so a driver installed or preinstalled since then (a cloud image's,
    a distribution's default) does not drive it (skypilot-org/skypilot#459: an Azure K80 image
    whose newer driver failed; pinning the image with driver 470 fixed it)."""
    if s.driver.version:
        return
    said = next((e for e in s.reported_errors if e.signature in IGNORED_SIGNS), None)
    if said is None or in_prose(said.signature):
        return
    for gpu in s.gpus:
        model, branch = _legacy(gpu.name)
        if model is None or branch is None or int(branch) > _LONG_GONE:
            continue
        name = gpu.name or model.name
        yield finding(
            "DL113",
            severity="warning",
            title=f"Probably: {name} needs the NVIDIA {branch} legacy driver",
            message=f"{name} is a {model.architecture} GPU, last supported by the {branch}.xx "
            "driver branch, and the paste shows no working driver: every branch since (what a "
            "distribution or a cloud image installs today) ignores it. The driver version is "
            "not stated; `nvidia-smi` or `cat /proc/driver/nvidia/version` settles it.",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.name",
                    found=name,
                    needed=f"a driver of the {branch}.xx branch or older",
                    note=f"{model.architecture} is last supported by {branch}.xx",
                ),
                Evidence(fact=f"reported_errors.{said.signature}", found=_line(said)),
            ],
            hint=_DROPPED_HINT,
            fixes=[_legacy_step(branch)],
            subject="nvidia-driver",
        )
        return


# the reporter's words that a driver branch does not drive the GPU ("NVIDIA 535 is
# incompatible with the GTX 760", "the 580 driver does not support my GTX 1050")
SAID_UNSUPPORTED = (  # catalog/prose-gpu.toml
    "said-gpu-support-missing",
    "said-gpu-unusable",
    "said-driver-drops-gpu",
)
_SAID_BRANCH = re.compile(
    r"\b(?:nvidia|driver|drivers|nvidia-driver)[- ](?:(?:version|branch|release|v)[- ]?)?"
    r"(?P<b>[3-9]\d{2})(?:\.(?:\d{1,3}|xx))?\b"
    r"|\b(?P<b2>[3-9]\d{2})(?:\.(?:\d{1,3}|xx))?[- ](?:driver|branch)\b",
    re.IGNORECASE,
)


def _said_branch_ignores(s: Snapshot) -> Iterator[Finding]:
    """DL113 (a warning) from the reporter's sentence alone: it names a driver branch newer than
    the last one for the named GPU's architecture and says the GPU is not supported by it or
    cannot be used ("NVIDIA 535 is incompatible with the GTX 760 and explicitly ignored the GPU
    at boot", linuxmint/mintdrivers#111); NVIDIA's legacy list confirms it."""
    for e in s.reported_errors:
        if e.signature not in SAID_UNSUPPORTED:
            continue
        named = [int(m.group("b") or m.group("b2")) for m in _SAID_BRANCH.finditer(e.text)]
        if not named and e.signature == DRIVER_DROPS:
            yield from _said_generation_dropped(s, e)
            return
        if not named:
            continue
        said_branch = max(named)  # "not nvidia-driver-470 but 535": the newer one is refused
        for gpu in s.gpus:
            model = gpu_model(gpu.name)
            branch = LEGACY_BRANCH.get(model.architecture) if model is not None else None
            if model is None or branch is None or said_branch <= int(branch):
                continue
            name = gpu.name or model.name
            title = f"{name} needs the NVIDIA {branch} legacy driver, not {said_branch}"
            yield _probable_legacy(
                e, gpu.index, name, model.architecture, branch, title,
                f"{name} is a {model.architecture} GPU, last supported by the {branch}.xx "
                f"driver branch; the {said_branch} branch the reporter names is later and "
                "ignores it, so nvidia-smi and every framework find no GPU.",
            )
            return


def _probable_legacy(
    e: ReportedError, index: int, name: str, arch: str, branch: str, title: str, message: str
) -> Finding:
    """DL113 as a warning from the reporter's words about a driver branch and the named GPU."""
    return finding(
        "DL113",
        title=title,
        message=f"Probably: {message}",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{e.signature}",
                found=_line(e),
                needed=f"the {branch}.xx branch or older",
                note="the reporter's words",
            ),
            Evidence(
                fact=f"gpus.{index}.name", found=name, note=f"{arch}: last supported by {branch}.xx"
            ),
        ],
        hint="Confirm with `sudo dmesg | grep NVRM` (\"supported through the NVIDIA "
        f"{branch}.xx Legacy drivers\"); `ubuntu-drivers devices` lists the branches that "
        "support this GPU.",
        fixes=[_legacy_step(branch)],
        subject="nvidia-driver",
    )


DRIVER_DROPS = "said-driver-drops-gpu"  # catalog/prose-gpu.toml
_GENERATION = re.compile(r"\b(tesla|fermi|kepler|maxwell|pascal|volta)\b", re.IGNORECASE)


def _said_generation_dropped(s: Snapshot, e: ReportedError) -> Iterator[Finding]:
    """DL113 (a warning) from the reporter saying the driver does not support their GPU's
    generation, with no branch named ("installs unsupported driver on Pascal and older GPUs"):
    the named GPU is of that generation, whose last branch NVIDIA's legacy list gives."""
    said = {m.group(1).capitalize() for m in _GENERATION.finditer(e.text)}
    for gpu in s.gpus:
        model = gpu_model(gpu.name)
        if model is None or model.architecture not in said:
            continue
        branch = LEGACY_BRANCH.get(model.architecture)
        if branch is None:
            continue
        name, arch = gpu.name or model.name, model.architecture
        said_of = f"the report says the driver does not support {arch} GPUs, and {name} is one"
        yield _probable_legacy(
            e, gpu.index, name, arch, branch,
            f"{name} probably needs the NVIDIA {branch} legacy driver",
            f"{said_of}; {arch} is last supported by the {branch}.xx branch, so a later branch "
            "ignores it and every framework finds no GPU.",
        )
        return


DROPS_OUT = "said-gpu-drops-out"  # catalog/prose-gpu.toml


def _said_drops_out(s: Snapshot) -> Iterator[Finding]:
    """DL114 as a warning from the reporter's words alone: the GPU drops out in the middle of a
    run ("randomly disappears during training", "显卡掉了"), with no program's message naming
    another cause (a driver, library or memory error explains a crash better)."""
    said = _first(s, DROPS_OUT)
    if said is None or any(
        not e.harmless and e.signature != "unrecognised-error" for e in s.reported_errors
    ):
        return
    yield finding(
        "DL114",
        title="Probably a failing GPU: it drops out in the middle of a run",
        message="The report says the GPU disappears while it works, and no message names a "
        "software cause. A GPU that stops answering under load is most often the card, its "
        "power supply, cooling or PCIe slot; the kernel log's Xid lines tell which.",
        severity="warning",
        evidence=[
            Evidence(fact=f"reported_errors.{DROPS_OUT}", found=_line(said), note="the reporter")
        ],
        hint="After it happens, `sudo dmesg | grep -E 'NVRM|Xid'` shows the Xid (79: fallen off "
        "the bus; 48/94/95: memory errors; 119/120: firmware).",
        fixes=[
            ManualStep(
                text="Read the kernel log right after it happens, then check the GPU's health, "
                "power and temperature under load.",
                commands=[
                    "sudo dmesg | grep -E 'NVRM|Xid'",
                    "nvidia-smi -q -d ECC,ROW_REMAPPER,TEMPERATURE,POWER",
                    "nvidia-smi dmon -s pucvmet  # while the job runs",
                ],
                url=XID_DOCS,
            )
        ],
        subject="gpu",
    )


def _xid_numbers(e: ReportedError | None) -> list[str]:
    return [] if e is None else sorted(set(_XID.findall(e.text)), key=int)


@rule("DL114", "gpu-failed", "error", "driver", machine_wide=True)
def gpu_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: signs that the GPU itself failed rather than its software: the kernel
    module's "GPU has fallen off the bus" (Xid 79), Xid events NVIDIA's catalogue counts as
    hardware or firmware failures (48/94/95 uncorrectable ECC errors, 63/64 row remapping, 74
    NVLink, 119/120 GSP timeouts), "RmInitAdapter failed", an invalid PCI memory window, NVML's
    "GPU is lost" or "GPU requires reset", Windows' Device Manager Code 43, and the CUDA status a
    program prints for an uncorrectable ECC or NVLink error ("CUDA error: uncorrectable ECC
    error encountered", CUDA_ERROR_ECC_UNCORRECTABLE, in any framework). A reporter who
    says the GPU drops out in the middle of a run ("randomly disappears during training"), with
    no message naming a software cause, gets a warning that asks for the kernel log's Xid lines.

    Why it matters: no reinstall helps: the driver is fine but the GPU stopped answering or
    reports memory errors; CUDA programs crash or find no device until the GPU is reset or the
    machine rebooted, and a GPU that keeps failing needs servicing.

    Example: a training job dies and dmesg shows "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234,
    GPU has fallen off the bus."; nvidia-smi then prints "Unable to determine the device handle
    for GPU 0000:3B:00.0: GPU is lost".

    Fix: reboot (or reset the GPU with `nvidia-smi -r`), then check the GPU's health
    (`nvidia-smi -q -d ECC,ROW_REMAPPER,TEMPERATURE,POWER`): power cables and supply,
    cooling, the PCIe slot or riser, PCIe power saving (`pcie_aspm=off`); memory errors that
    recur, or a GPU that falls off again, need the vendor's service. An invalid PCI region
    needs "Above 4G decoding" in the firmware.
    """
    fallen = _first(s, FALLEN)
    xid = _first(s, XID)
    # a driver/library mismatch also makes RmInitAdapter fail: DL105's, not the GPU's
    init = None if s.driver.library_mismatch else _first(s, INIT_FAILED)
    pci = _first(s, PCI_RESOURCES)
    lost = _first(s, *LOST)
    code43 = _first(s, WINDOWS_CODE_43)
    ecc = _first(s, *ECC)
    nvlink = _first(s, *NVLINK)
    signs = [e for e in (fallen, xid, init, pci, lost, code43, ecc, nvlink) if e is not None]
    if not signs:
        yield from _said_drops_out(s)
        return
    evidence = [
        Evidence(fact=f"reported_errors.{e.signature}", found=_line(e), note=e.meaning)
        for e in signs
    ]
    numbers = _xid_numbers(xid)
    fixes: list[Action] = [
        ManualStep(
            text="Reboot (or reset the GPU with no program using it), then check its health.",
            commands=[
                "sudo nvidia-smi -r -i 0  # reset GPU 0, or reboot",
                "nvidia-smi -q -d ECC,ROW_REMAPPER,TEMPERATURE,POWER",
                "sudo dmesg | grep -E 'NVRM|Xid'",
            ],
            url=XID_DOCS,
        )
    ]
    if pci is not None:
        what = "the firmware gave the GPU no valid PCI memory window or interrupt"
        fixes.insert(
            0,
            ManualStep(
                text="Enable 'Above 4G decoding' (and Resizable BAR, where offered) in the "
                "BIOS/UEFI settings, or move the card to another slot.",
                commands=["sudo lspci -vv -s $(lspci | awk '/NVIDIA/{print $1; exit}')"],
            ),
        )
    elif fallen is not None or "79" in numbers or lost is not None:
        what = "the GPU stopped answering on the PCI Express bus"
    elif ecc is not None or any(n in numbers for n in ("48", "63", "64", "92", "94", "95", "140")):
        what = "the GPU reports memory (ECC) errors"
    elif any(n in numbers for n in ("61", "62", "119", "120")):
        what = "the GPU's firmware (GSP) stopped responding"
    elif nvlink is not None or "74" in numbers:
        what = "an NVLink connection between the GPUs reports errors"
    elif init is not None:
        what = "the driver could not initialise the GPU"
    elif code43 is not None:
        what = "Windows stopped the GPU because it reported problems"
    else:
        what = "the GPU reported a hardware failure"
    if numbers:
        what += f" (Xid {', '.join(numbers)})"
    fixes.append(
        ManualStep(
            text="If it happens again: check the power cables and supply, cooling and the PCIe "
            "slot or riser, disable PCIe power saving, and have a GPU with recurring memory "
            "errors serviced.",
            commands=[
                "sudo nvidia-smi -pm 1  # persistence mode",
                "# kernel command line: pcie_aspm=off",
            ],
            url=XID_DOCS,
        )
    )
    yield finding(
        "DL114",
        title="The GPU failed: " + what.split(" (Xid")[0],
        message=f"{what[0].upper()}{what[1:]}. This is the GPU or its platform, not the "
        "software: reinstalling the driver or CUDA will not help; CUDA programs fail or find no "
        "device until the GPU is reset or the machine rebooted.",
        evidence=evidence,
        hint="NVIDIA's Xid catalogue says, per Xid, whether to restart the program, reset the "
        "GPU or have it serviced.",
        fixes=fixes,
        subject="gpu",
    )
