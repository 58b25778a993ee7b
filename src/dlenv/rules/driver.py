"""Rules about the NVIDIA driver: too old for a framework's CUDA, missing, nouveau, mismatch.

Codes DL1xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from dlenv.fix.actions import Action, ManualStep
from dlenv.kb.queries import (
    DriverRequirement,
    driver_at_least,
    driver_requirement,
    major_minor,
    max_toolkit_for_driver,
    tensorflow_release,
    toolkit_driver,
    torch_release,
    version_at_least,
)
from dlenv.rules.derived import (
    LIVE_WINS,
    answered_gpus,
    cuda_build,
    driver_version,
    gpu_architectures,
    in_prose,
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
from dlenv.snapshot.model import FrameworkFacts, PciDevice, ReportedError, Snapshot

CUDA_FRAMEWORKS = ("torch", "tensorflow", "jax")
NVRM_PROBE = "nvrm-probe-not-called"  # dlenv.importers.signatures: NVRM says nouveau holds it
NOUVEAU_STATED = "nouveau-loaded-stated"  # lsmod lists nouveau, or the reporter says so
# nvidia-installer's nouveau check, and nouveau's own lines (kernel log, Xorg, glxinfo, inxi)
NOUVEAU_SIGNS = (
    NVRM_PROBE,
    NOUVEAU_STATED,
    "nvidia-installer-nouveau-in-use",
    "nouveau-in-kernel-log",
    "said-nouveau-in-use",
    "said-nouveau-still-loaded",  # the reporter: nouveau loads although blacklisted
    "said-nouveau-blacklist-fixed",  # the reporter: blacklisting nouveau made it work
    "nvrm-mem-region-claimed",  # NVRM: another driver claimed the GPU's registers
)
# nvidia-smi not on PATH: a shell's own line, or the reporter's words in any language
SMI_MISSING = (
    "nvidia-smi-not-found",
    "said-nvidia-smi-missing",
    "said-no-driver-installed",
    "said-driver-not-installed",
)
# the reporter's symptoms of a GPU that does not reach a container
GPU_NOT_SEEN = ("said-gpu-not-used", "torch-cuda-unavailable-stated", *SMI_MISSING)
# the reporter: nvidia-smi / the GPU does not work in the pod or container; weighed only beside
# the manifest that started it (alone it names no cause: the image may lack a library)
SAID_FAILS_IN_CONTAINER = "said-gpu-fails-in-container"
# the open-source kernel drivers that can hold an NVIDIA GPU: nouveau, and nova-core (Linux
# 6.15+, GSP-based GPUs) which newer kernels bind instead
OPEN_DRIVERS = ("nouveau", "nova_core", "nova-core")
# the reporter's words about the driver (catalog/prose-driver.toml): symptoms, the contexts that
# name a cause, and the workarounds that reveal one; rules weigh them as warnings
SAID_SYMPTOMS = ("said-driver-stopped-working", "said-nvidia-module-not-loaded")
SAID_KERNEL = ("said-kernel-updated", "said-broke-after-update-reboot")
SAID_SECURE = "said-secure-boot-blocks"
SAID_DRIVER_UPDATED = "said-driver-updated"
SAID_REBOOT_FIXED = "said-reboot-fixed"
SAID_NOT_REBOOTED = "said-not-rebooted"
SAID_NEWER_FIXED = "said-newer-driver-fixed"
SAID_TOO_OLD = "said-driver-too-old"
SAID_UPDATE_NEEDED = "said-driver-update-needed"
SAID_NVENC_OLD = "said-driver-nvenc-api-old"
SAID_UVM_MISSING = "said-uvm-not-available"
SAID_SUSPEND = "said-lost-after-suspend"
SAID_UVM_FIXED = "said-uvm-reload-fixed"
SAID_WSL_DRIVER = ("said-linux-driver-in-wsl", "said-wsl-driver-removed-fixed")
SAID_NOUVEAU = ("said-nouveau-still-loaded", "said-nouveau-blacklist-fixed")


@rule("DL101", "driver-too-old-for-cuda-runtime", "error", "driver")
def driver_too_old_for_framework(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the NVIDIA driver is new enough for the CUDA runtime each installed
    framework (torch, tensorflow, jax) was built with. From CUDA 11 on, minor-version
    compatibility applies: any driver at or above the CUDA major's floor (11.x: 450.80.02,
    12.x: 525.60.13, 13.x: 580.65.06 on Linux) runs code built with any minor of that major.
    From the reporter's words alone ("updating the driver to 560 fixed it", "the driver is too
    old" beside a failure) it is a warning, unless the stated versions show the driver new
    enough. "CUDA driver version is insufficient for CUDA runtime version" from a program that
    is none of those frameworks counts too, unless the paste shows the toolkit it was compiled
    with (then it is DL102's): prebuilt binaries, wheels and images bring their own runtime;
    inside a container, "the provided PTX was compiled with an unsupported toolchain" is the
    image's CUDA against the host's driver too; so is Numba's linker refusing the PTX of the
    CUDA toolkit it uses (cuLinkAddData on CU_JIT_INPUT_PTX, CUDA_ERROR_INVALID_PTX). So does a
    prebuilt miner's own driver check
    (ccminer's forks: "Driver does not support CUDA 9.1 API!", an error; "Unable to query
    number of CUDA devices! Is an nVidia driver installed?", a warning: the driver is older
    than its runtime, or missing).
    The reporter contrasting an image's CUDA with the older CUDA of the host's driver ("the
    image needs CUDA 12.8, the server has 12.4", also in Chinese) is a warning.
    A video encoder's own NVENC API check (FFmpeg: "Required: 12.0 Found: 11.1"; OBS) is an
    error, with the minimum driver of that Video Codec SDK API; so is optixInit's "unsupported
    ABI version" (Blender: "OptiX initialization failed because the installed NVIDIA driver is
    too old"): OptiX ships in the driver. Programs that ship their CUDA
    runtime (NVEncC's banner "[NVENC API v13.0, CUDA 12.4]", OpenMM, TorchSharp) failing on
    the driver are this rule's, not DL102's. A minimum driver the program states ("Minimum
    required Nvidia driver is 570.0 or newer", Ollama's `required_driver="570 or newer"`)
    above the driver the paste states is an error: both numbers are in the paste; the
    reporter's own NVENC arithmetic ("my driver only supports API 7.0") a warning. A program
    that finds no CUDA device (or a GPU the reporter cannot see in it) on a driver older than
    the CUDA 11 floor (450.80.02), with nothing else pointing elsewhere, is a warning: most
    programs built since 2020 bring a CUDA 11+ runtime, which such a driver refuses.

    Why it matters: with an older driver the framework imports fine but cannot initialise CUDA:
    `torch.cuda.is_available()` is False with "The NVIDIA driver on your system is too old", or
    TensorFlow logs "CUDA driver version is insufficient for CUDA runtime version".

    When only the driver's CUDA version is known (nvidia-smi's header, or PyTorch's "found
    version 11040", meaning CUDA 11.4), the majors are compared (before CUDA 11: major.minor).
    A release stated without its CUDA build ("torch 1.13.1", "tensorflow 2.15.0") is weighed
    against every CUDA build of it in the knowledge base: a driver older than all of them is
    this rule's (an error beside a failure); on Linux, torch's default build needing a newer
    driver than the paste shows, while another build of the release runs on it, is a warning
    that names that build's index (torch 2.1.0's cu121 on driver 470: its cu118 runs).

    Example: driver 470.239.06 (CUDA 11.4) with torch 2.3.1+cu121 (needs >= 525.60.13).

    Fix: install a newer driver (and reboot), or install the framework's build for an older CUDA
    that this driver runs: `pip install torch==2.3.1 --index-url
    https://download.pytorch.org/whl/cu118`.
    """
    drv = driver_version(s)
    found = list(_driver_cuda_too_old(s) if drv is None else _driver_version_too_old(s, drv))
    found += _older_than_every_build(s, drv, {f.subject for f in found})
    found += _reported_too_old(s, {f.subject for f in found})
    found += _nvenc_api_too_new(s)
    found += _optix_too_old(s)
    if not found:
        found += _stated_minimum_driver(s)
    if not found:
        found += _said_nvenc_api_old(s)
    yield from found
    if not found:
        image = list(_reported_by_image_or_wheel(s))
        yield from image
        if not image:
            said = list(_said_too_old(s))
            yield from said
            if not said:
                said = list(_said_image_newer(s))
                yield from said
            if not said:
                yield from _old_driver_no_device(s)


NVENC_API = "nvenc-api-version-unsupported"  # driver.toml: FFmpeg's, OBS's NVENC API check
_NVENC_VERSIONS = re.compile(
    r"Required: (\d+\.\d+) Found: (\d+\.\d+)|driver for nvenc is (\d{3}(?:\.\d+){0,2})", re.I
)


def _nvenc_api_too_new(s: Snapshot) -> list[Finding]:
    """DL101 on a Video Codec SDK user's own check (FFmpeg's nvenc encoders: "Required: 12.0
    Found: 11.1"; OBS: "Current driver version does not support this NVENC version"): the
    program was built against an NVENC API the driver does not offer. The API version maps to
    a minimum driver (NVIDIA's Video Codec SDK release notes, kb/data/video_codec_sdk.json);
    the minimum the message prints itself wins. The encoder came prebuilt, so the fix is the
    driver (or an older build of the program)."""
    from dlenv.kb.video_codec import codec_api_driver

    e = next((e for e in s.reported_errors if e.signature == NVENC_API), None)
    if e is None:
        return []
    need_api = found_api = stated = None
    for m in _NVENC_VERSIONS.finditer(e.text):
        need_api = need_api or m.group(1)
        found_api = found_api or m.group(2)
        stated = stated or m.group(3)
    row = codec_api_driver(need_api) if need_api else None
    windows = native_windows(s)
    if stated:
        minimum = stated
    elif row is not None and os_name(s):
        minimum = row.windows if windows else row.linux
    elif row is not None:
        minimum = None  # the OS is not known: both numbers go in the message
    else:
        minimum = None
    drv = driver_version(s)
    both = f"{row.windows} on Windows, {row.linux} on Linux" if row is not None else None
    needs = (
        f"NVENC API {need_api}, which needs driver {minimum or both} or newer"
        if need_api and (minimum or both)
        else f"NVENC API {need_api}"
        if need_api
        else "a newer NVENC API than the driver offers"
    )
    message = (
        f"The program's video encoder (NVIDIA Video Codec SDK) was built for {needs}"
        + (f"; the driver offers only API {found_api}" if found_api else "")
        + (f" (driver {drv})" if drv else "")
        + ". The encoder comes prebuilt with the program: the NVIDIA driver must be updated."
    )
    evidence = [
        Evidence(
            fact=f"reported_errors.{NVENC_API}",
            found=first_line(e.text),
            note="the encoder's own check of the driver's NVENC API",
        ),
        Evidence(
            fact="driver.nvenc_api",
            found=found_api,
            needed=f">={need_api}" if need_api else None,
            note=None if found_api else "unknown",
        ),
        Evidence(
            fact="driver.version",
            found=drv,
            needed=f">={minimum or both}" if (minimum or both) else None,
            note=(row.source if row is not None and not stated else None) if drv else "unknown",
        ),
    ]
    return [
        finding(
            "DL101",
            title="The NVIDIA driver is too old for the program's NVENC (Video Codec SDK) API"
            + (f" {need_api}" if need_api else ""),
            message=message,
            evidence=evidence,
            hint="Each Video Codec SDK API needs a minimum driver (NVIDIA's Video Codec SDK "
            "release notes); nvidia-smi shows the installed one.",
            fixes=[
                driver_install_step(minimum, drv)
                if minimum or not both
                else ManualStep(
                    text=f"Install the NVIDIA driver {both} or newer for your GPU, then reboot.",
                    commands=["nvidia-smi | head -4  # the installed driver"],
                    url=row.source.split(", ")[0] if row is not None else None,
                ),
                ManualStep(
                    text="Or use a build of the program (or of its FFmpeg) made with an older "
                    "Video Codec SDK that this driver offers"
                    + (f" (API {found_api})" if found_api else "")
                    + ", where the GPU cannot take a newer driver.",
                    commands=["ffmpeg -hide_banner -h encoder=h264_nvenc  # the build's encoder"],
                ),
            ],
            subject="nvenc",
        )
    ]


OPTIX_TOO_OLD = "optix-driver-too-old"  # driver.toml: optixInit's unsupported ABI


def _optix_too_old(s: Snapshot) -> list[Finding]:
    """DL101 on optixInit()'s OPTIX_ERROR_UNSUPPORTED_ABI_VERSION (Blender's "OptiX
    initialization failed because the installed NVIDIA driver is too old"): OptiX's runtime is
    part of the driver, so a program built with a newer OptiX SDK needs a newer driver."""
    e = next((e for e in s.reported_errors if e.signature == OPTIX_TOO_OLD), None)
    if e is None:
        return []
    drv = driver_version(s)
    return [
        finding(
            "DL101",
            title="The NVIDIA driver is too old for the program's OptiX",
            message="OptiX reports that the driver implements an older OptiX ABI than the SDK "
            "the program was built with"
            + (f" (driver {drv})" if drv else "")
            + ": OptiX ships in the driver, so the driver must be updated.",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{OPTIX_TOO_OLD}",
                    found=first_line(e.text),
                    note="optixInit's own verdict (OPTIX_ERROR_UNSUPPORTED_ABI_VERSION, 7801)",
                ),
                Evidence(fact="driver.version", found=drv, note=None if drv else "unknown"),
            ],
            hint="Each OptiX SDK release names the minimum driver in its release notes.",
            fixes=[
                driver_install_step(None, drv),
                ManualStep(
                    text="Or, where the GPU cannot take a newer driver, use the program without "
                    "OptiX (Blender: Preferences > System > CUDA instead of OptiX) or an older "
                    "release built with an older OptiX SDK.",
                    commands=["nvidia-smi | head -4  # the installed driver"],
                ),
            ],
            subject="optix",
        )
    ]


MIN_DRIVER = "program-requires-newer-driver"  # driver.toml: a program's stated minimum
_MIN_DRIVER_NUMBER = re.compile(r"(?<![\d.])R?([3-9]\d\d(?:\.\d{1,3}){0,2})(?![\d])")
_DRIVER_IN_LINE = re.compile(r"\bdriver=\"?([3-9]\d\d(?:\.\d{1,3}){0,2})\b")


def _stated_minimum_driver(s: Snapshot) -> list[Finding]:
    """DL101 from arithmetic on two numbers the paste states: the minimum driver a program
    names ("Minimum required Nvidia driver is 570.0 or newer"; Ollama's `driver=535
    required_driver="570 or newer"`) and the installed driver, older than it. The program's
    runtime (CUDA, NVENC, OptiX) came with it, so the driver is what must change."""
    for e in s.reported_errors:
        if e.signature != MIN_DRIVER:
            continue
        line = e.text.splitlines()[0] if e.text else ""
        own = _DRIVER_IN_LINE.search(line)
        rest = _DRIVER_IN_LINE.sub("", line)
        m = _MIN_DRIVER_NUMBER.search(rest[rest.lower().find("driver") :] or rest)
        need = m.group(1) if m else None
        drv = driver_version(s) or (own.group(1) if own else None)
        if need is None or drv is None or driver_at_least(drv, need) is not False:
            continue
        return [
            finding(
                "DL101",
                title=f"NVIDIA driver {drv} is older than the {need} the program requires",
                message=f"The program states that it needs NVIDIA driver {need} or newer; the "
                f"installed driver is {drv}. Its CUDA runtime (or NVENC/OptiX) was built for the "
                "newer driver, so it cannot start on this one: GPU work fails or falls back to "
                "the CPU.",
                evidence=[
                    Evidence(
                        fact=f"reported_errors.{MIN_DRIVER}",
                        found=first_line(e.text),
                        note="the program's own statement of its minimum driver",
                    ),
                    Evidence(fact="driver.version", found=drv, needed=f">={need}"),
                ],
                hint="nvidia-smi's header shows the installed driver.",
                fixes=[
                    driver_install_step(need, drv),
                    ManualStep(
                        text="Or, where the GPU cannot take that driver, use an older release "
                        "of the program (or an image tag) built for a CUDA this driver runs.",
                        commands=["nvidia-smi | head -4  # the driver and its newest CUDA"],
                    ),
                ],
                subject="driver",
            )
        ]
    return []


def _said_nvenc_api_old(s: Snapshot) -> list[Finding]:
    """DL101, a warning, from the reporter's own NVENC arithmetic ("my driver only supports API
    7.0" for an encoder built with a newer Video Codec SDK): the encoder came prebuilt, so the
    driver is what must change, or an older build of the program."""
    text = _said(s, SAID_NVENC_OLD)
    if text is None:
        return []
    drv = driver_version(s)
    return [
        finding(
            "DL101",
            title="The NVIDIA driver is probably too old for the program's NVENC API",
            message="The report says the driver offers only an older NVENC (Video Codec SDK) API "
            "than the encoder was built for"
            + (f" (driver {drv})" if drv else "")
            + ": each NVENC API needs a minimum driver, so the driver must be updated, or an "
            "older build of the encoder used.",
            severity="warning",
            evidence=[
                Evidence(
                    fact=f"reported_errors.{SAID_NVENC_OLD}",
                    found=text,
                    note="the reporter's words",
                ),
                Evidence(fact="driver.version", found=drv, note=None if drv else "unknown"),
            ],
            hint="NVIDIA's Video Codec SDK release notes name the minimum driver of each API.",
            fixes=[
                driver_install_step(None, drv),
                ManualStep(
                    text="Or use a build of the program (or of its FFmpeg) made with the Video "
                    "Codec SDK this driver offers.",
                    commands=["ffmpeg -hide_banner -h encoder=h264_nvenc  # the build's encoder"],
                ),
            ],
            subject="nvenc",
        )
    ]


# a program finding no CUDA device, or the reporter not seeing the GPU in it (catalog:
# cuda-init.toml, prose-statements.toml); weighed against an old driver below
NO_DEVICE_SIGNS = ("no-cuda-capable-device", "program-no-cuda-devices", "said-gpu-not-used")
# what may be said beside it without pointing at another cause
_NO_DEVICE_COMPANIONS = (*NO_DEVICE_SIGNS, "said-driver-stopped-working")
_CUDA11_FLOOR = "11.0"


def _pre_maxwell(cc: str | None) -> bool:
    mm = major_minor(cc) if cc else None
    return mm is not None and mm[0] < 5


def _old_driver_no_device(s: Snapshot) -> Iterator[Finding]:
    """DL101, a warning, from a driver older than CUDA 11's floor (450.80.02 on Linux) and a
    program that finds no CUDA device (or a GPU the reporter cannot see in it). The CUDA
    runtime refuses such a driver, and many programs then report no device rather than error
    35; a maintainer reads the driver's age first. Not when a framework's CUDA build is known
    (the exact rules judge it), nor beside anything else that names a cause, nor for a GPU
    older than Maxwell (its age is the likelier story)."""
    drv = driver_version(s)
    if drv is None or any(p.gpu_available for p in s.live):
        return
    if any(fw.name in CUDA_FRAMEWORKS for fw in s.frameworks):
        return  # a framework's own build (CUDA or CPU) is judged by the exact rules
    sign = next((e for e in s.reported_errors if e.signature in NO_DEVICE_SIGNS), None)
    if sign is None or s.host.container is not None or s.host.wsl:
        return
    others = [
        e for e in s.reported_errors if not e.harmless and e.signature not in _NO_DEVICE_COMPANIONS
    ]
    if others or s.visibility.cuda_visible_devices is not None:
        return
    if any(
        a.compute_capability is None or _pre_maxwell(a.compute_capability)
        for a in gpu_architectures(s)
    ):
        return  # a GPU this old (or one of unknown age) is the likelier story (DL302, DL113)
    req = driver_requirement(_CUDA11_FLOOR, os_name(s))
    if req is None or driver_at_least(drv, req.minimum) is not False:
        return
    supported = max_toolkit_for_driver(drv, os_name(s)) or s.driver.cuda_version
    yield finding(
        "DL101",
        title=f"NVIDIA driver {drv} is probably too old for the program's CUDA runtime",
        message=f"The program finds no usable CUDA device, and driver {drv} runs CUDA only up "
        f"to {supported or 'a release before 11.0'}: programs built with CUDA 11 or newer (most "
        f"since 2020) need driver >={req.minimum}, and their runtime then sees no device. "
        "Check the CUDA the program was built with.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{sign.signature}",
                found=first_line(sign.text),
                note="the program sees no CUDA device",
            ),
            Evidence(
                fact="driver.version",
                found=drv,
                needed=f">={req.minimum}",
                note="the CUDA 11 floor, read from the paste's driver; the program's CUDA is "
                "not stated",
            ),
        ],
        hint="nvidia-smi's 'CUDA Version' is the newest CUDA the driver runs; the program's "
        "release notes name the CUDA it was built with.",
        fixes=[
            driver_install_step(req.minimum, drv),
            ManualStep(
                text="Confirm: run a CUDA sample or the program's device query; error 35 "
                "(cudaErrorInsufficientDriver) or a device count of 0 on this driver confirms it.",
                commands=["nvidia-smi | head -4  # 'CUDA Version': the newest CUDA it runs"],
            ),
        ],
        subject="driver",
    )


SAID_IMAGE_NEWER = "said-image-needs-newer-cuda"  # prose-driver.toml
_CUDA_VERSIONS = re.compile(r"(?<![\d.])(1\d\.\d)(?!\d|\.\d)")


def _said_image_newer(s: Snapshot) -> Iterator[Finding]:
    """DL101, a warning, from the reporter contrasting two versions: the CUDA a container image
    needs and the (older) CUDA the host's driver runs ("the image depends on CUDA 12.8, the
    server's CUDA is 12.4"). The runtime came with the image, so the host driver must reach it,
    or an image for the driver's CUDA is needed."""
    text = _said(s, SAID_IMAGE_NEWER)
    if text is None:
        return
    versions = _CUDA_VERSIONS.findall(text)
    if len(versions) < 2:
        return
    need, have = versions[0], versions[-1]
    if _version_key(need) <= _version_key(have):
        return
    req = driver_requirement(need, os_name(s))
    needed = (req.toolkit_minimum or req.minimum) if req else None
    yield finding(
        "DL101",
        title="The host's NVIDIA driver is probably too old for the container image's CUDA",
        message=f"The report says the image needs CUDA {need} while the host's driver runs CUDA "
        f"{have}: the CUDA runtime comes with the image, and the driver on the host must be "
        "new enough for it.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{SAID_IMAGE_NEWER}",
                found=text,
                note="the reporter's words",
            ),
            Evidence(fact="driver.cuda_version", found=have, needed=f">={need}"),
        ],
        hint="nvidia-smi's 'CUDA Version' is the newest CUDA the driver runs.",
        fixes=[
            driver_install_step(needed, driver_version(s)),
            ManualStep(
                text=f"Or use an image built for CUDA {have} or older (a tag for that CUDA), "
                "where the program supports it.",
                commands=["nvidia-smi | head -4  # 'CUDA Version': the newest CUDA it runs"],
            ),
        ],
        subject="container",
    )


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def _stated_toolkit_beyond(s: Snapshot, drv: str | None) -> bool:
    """Whether the paste states a driver and a CUDA toolkit that needs a newer one."""
    if drv is None:
        return False
    for tk in s.cuda.toolkits:
        req = driver_requirement(tk.version, os_name(s)) if tk.version else None
        if req is not None and driver_at_least(drv, req.minimum) is False:
            return True
    return False


def _said_too_old(s: Snapshot) -> Iterator[Finding]:
    """DL101, a warning, from the reporter's words: a newer driver fixed it ("I upgraded the
    driver to 560 and then it works"), or the driver is said to be too old (an older driver
    fails) beside a failure, or beside a stated driver and toolkit that prove it. Versions the
    paste states that show the driver new enough for every framework's CUDA win over the words;
    a framework that used the GPU rules it out."""
    fixed = _said(s, SAID_NEWER_FIXED)
    old = _said(s, SAID_TOO_OLD)
    if old is None and _stated_toolkit_without_framework(s) is None:
        old = _said(s, SAID_UPDATE_NEEDED)  # with a stated toolkit alone: DL102's
    if fixed is None and old is None:
        return
    if any(p.gpu_available for p in s.live) or _said(s, PTX_UNSUPPORTED):
        return  # the GPU was used; or PTX from a newer toolkit, which a newer driver fixes too
    said = (SAID_NEWER_FIXED, SAID_TOO_OLD, SAID_UPDATE_NEEDED)
    failed = any(not e.harmless and e.signature not in said for e in s.reported_errors)
    drv = driver_version(s)
    if fixed is None and not failed and not _stated_toolkit_beyond(s, drv):
        # "an old driver" with nothing failing says nothing is wrong, unless the versions it
        # states prove it ("driver (450.36), which does not support CUDA toolkit >= 11.1")
        return
    reqs = [
        driver_requirement(fw.cuda_version, os_name(s))
        for fw in s.frameworks
        if fw.name in CUDA_FRAMEWORKS and cuda_build(fw) and fw.cuda_version
    ]
    if drv and reqs and all(r is not None and driver_at_least(drv, r.minimum) for r in reqs):
        return  # the versions show a driver new enough: not this
    sig, text = (
        (SAID_NEWER_FIXED, fixed)
        if fixed is not None
        else (SAID_TOO_OLD if _said(s, SAID_TOO_OLD) else SAID_UPDATE_NEEDED, old)
    )
    yield finding(
        "DL101",
        title="The NVIDIA driver is probably too old for the CUDA the program was built with",
        message="The report says "
        + (
            "a newer NVIDIA driver fixed it"
            if fixed is not None
            else "the NVIDIA driver is too old (or an older one fails)"
        )
        + ": the CUDA runtime the program or framework brings needs a newer driver than the "
        "one installed"
        + (f" ({drv})" if drv else "")
        + ". Compare the driver's CUDA version with the framework's CUDA build to be sure.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{sig}",
                found=text,
                note="the reporter's words",
            ),
            Evidence(fact="driver.version", found=drv, note=None if drv else "unknown"),
        ],
        hint="nvidia-smi's 'CUDA Version' is the newest CUDA the driver runs; the framework's "
        "CUDA build must not be newer (across majors).",
        fixes=[
            ManualStep(
                text="Compare the newest CUDA the driver runs with the CUDA the framework was "
                "built with.",
                commands=[
                    "nvidia-smi | head -4  # 'CUDA Version': the newest CUDA this driver runs",
                    'python -c "import torch; print(torch.version.cuda)"',
                ],
            ),
            driver_install_step(None, drv),
        ],
        subject="driver",
    )


CONTAINER_TOO_OLD = ("container-requires-newer-cuda", "ngc-container-driver-too-old")
PADDLE_INSUFFICIENT = "paddle-cuda-driver-insufficient"
# a prebuilt binary's own driver check (ccminer's forks, src-downstream-other.toml): "does not
# support CUDA 10.0 API" names the runtime; "Unable to query number of CUDA devices" may also
# be a missing driver (a warning then)
MINER_DRIVER_CHECK = "cuda-miner-driver-check-failed"
_NEEDS = re.compile(r"cuda\s*>=\s*(\d+\.\d+)|Driver Release (\d+\.\d+)|support CUDA (\d+\.\d+) API")


BUNDLED_BANNER = "bundled-cuda-runtime-banner"  # src-downstream-other.toml
_BANNER_CUDA = re.compile(r"CUDA (\d+\.\d+)")


def _insufficient_without_gpu(s: Snapshot, e: ReportedError) -> bool:
    """The CUDA runtime's "driver version is insufficient" (cudaErrorInsufficientDriver) in a
    container started without the GPU (a `docker run` line with no `--gpus`/`--runtime=nvidia`):
    with no libcuda inside, the runtime answers exactly that, whatever the host's driver is, so
    the start is the cause (DL109's, triton-inference-server/fastertransformer_backend#111)
    unless the paste states a driver version."""
    return (
        e.signature == INSUFFICIENT
        and _said(s, "docker-run-without-gpu") is not None
        and _said(s, _GPU_REQUEST) is None
        and driver_version(s) is None
    )


def _reported_by_image_or_wheel(s: Snapshot) -> Iterator[Finding]:
    """DL101 when a container image (libnvidia-container's "unsatisfied condition: cuda>=12.8",
    an NGC image's "built for NVIDIA Driver Release 535 or later") or a package that brings its
    own CUDA runtime (PaddlePaddle, CuPy, cuda-python, ONNX Runtime: "CUDA driver version is
    insufficient") says the host driver is too old: the runtime came with the image or wheel,
    so the driver is what must change, or the image/wheel for an older CUDA. "Insufficient"
    from a program that runs in a container (`docker run`, "the GPU container") is the image's
    CUDA runtime against the host driver too; so is "insufficient" from any program when the
    paste shows no toolkit it was compiled with."""
    wheel_said = any(_WHEEL_WORDS.search(e.text) for e in s.reported_errors)
    built_here = _compiled_here(s)
    e = next(
        (
            e
            for e in s.reported_errors
            if e.signature in CONTAINER_TOO_OLD
            or e.signature in (PADDLE_INSUFFICIENT, MINER_DRIVER_CHECK)
            or (
                e.signature == INSUFFICIENT
                and (wheel_said or s.host.container is not None or not built_here)
                and (e.framework is None or e.framework not in CUDA_FRAMEWORKS)
            )
            # PTX a bundled toolchain made (OpenMM's, a wheel's, a container image's) that the
            # driver cannot JIT
            or (
                e.signature in (PTX_UNSUPPORTED, *PTX_STATUSES, INSUFFICIENT_STATUS)
                and (_WHEEL_WORDS.search(e.text) is not None or s.host.container is not None)
            )
            # Numba's linker refusing the PTX that its CUDA toolkit's NVVM made: that toolkit
            # (conda's cudatoolkit, pip's nvidia-cuda-nvcc, a container image's) is newer than
            # the driver
            or e.signature == NUMBA_PTX
        ),
        None,
    )
    if e is None or _insufficient_without_gpu(s, e):
        return
    drv = driver_version(s)
    m = _NEEDS.search(e.text)
    cuda_needed, driver_needed = (m.group(1) or m.group(3), m.group(2)) if m else (None, None)
    stated = next((tk.version for tk in s.cuda.toolkits if tk.version), None)
    if not cuda_needed and not driver_needed and stated and drv:
        # a CUDA version the paste states ("My CUDA version is 12.9") that this driver does not
        # reach: the runtime's verdict and the versions agree (it checks the driver's CUDA
        # version itself, so minor-version compatibility does not save it)
        req = driver_requirement(stated, os_name(s))
        if req is not None and driver_at_least(drv, req.toolkit_minimum or req.minimum) is False:
            cuda_needed = ".".join(stated.split(".")[:2])
    banner = next((b for b in s.reported_errors if b.signature == BUNDLED_BANNER), None)
    if not cuda_needed and not driver_needed and banner is not None:
        # the program's banner names the CUDA runtime it ships ("[NVENC API v13.0, CUDA 12.4]"):
        # a runtime library, so minor-version compatibility applies
        b = _BANNER_CUDA.search(banner.text)
        req = driver_requirement(b.group(1), os_name(s)) if b else None
        if b and req is not None:
            cuda_needed, driver_needed = b.group(1), req.minimum
    elif cuda_needed:
        req = driver_requirement(cuda_needed, os_name(s))
        # the toolkit checks the driver's CUDA version itself: no minor-version compatibility
        driver_needed = (req.toolkit_minimum or req.minimum) if req else None
    # a runtime the image brought: its own check, or "insufficient" from inside the container
    image = e.signature in CONTAINER_TOO_OLD or (not wheel_said and s.host.container is not None)
    who = "The container image" if image else "The package's bundled CUDA runtime"
    need = (
        f"CUDA {cuda_needed}"
        if cuda_needed
        else f"driver {driver_needed}"
        if driver_needed
        else "a newer driver"
    )
    evidence = [
        Evidence(
            fact=f"reported_errors.{e.signature}",
            found=first_line(e.text),
            note="the image's own requirement check" if image else "the package's own verdict",
        ),
        Evidence(
            fact="driver.version",
            found=drv,
            needed=f">={driver_needed}" if driver_needed else None,
            note=None if drv else "unknown",
        ),
    ]
    older = ManualStep(
        text="Or use an image built for a CUDA this driver runs (`nvidia-smi` shows it), e.g. "
        "a `-cu124`/`12.4` tag instead of `12.8`."
        if image
        else "Or install the package's build for an older CUDA that this driver runs (for "
        "PaddlePaddle the `paddlepaddle-gpu==X.Y.Z.postNNN` build, for CuPy `cupy-cuda11x`, "
        "for cuda-python the release of the driver's CUDA major).",
        commands=["nvidia-smi | head -4  # 'CUDA Version' is the newest CUDA this driver runs"],
    )
    # the binary could not count the devices: an old driver most often, a missing one too
    maybe_missing = e.signature == MINER_DRIVER_CHECK and not cuda_needed
    yield finding(
        "DL101",
        severity="warning" if maybe_missing else "error",
        title="The NVIDIA driver is too old for the container image's CUDA"
        if image
        else "The NVIDIA driver is probably too old (or missing) for the program's CUDA runtime"
        if maybe_missing
        else "The NVIDIA driver is too old for the CUDA runtime a package brings",
        message=f"{who} needs {need}; the installed driver"
        + (f" ({drv})" if drv else "")
        + (
            " cannot serve it (the program could not query the driver or count the GPUs: "
            "a driver older than its CUDA runtime, or none); nvidia-smi shows which."
            if maybe_missing
            else " is older, so CUDA cannot start."
        ),
        evidence=evidence,
        hint="Upgrade the host driver, or use a build for an older CUDA.",
        fixes=[driver_install_step(driver_needed, drv), older],
        subject="container" if image else "wheel",
    )


def _compiled_here(s: Snapshot) -> bool:
    """Whether the paste shows a toolkit the failing program was compiled with: the toolkit in
    use (probed), an `nvcc --version` or any stated toolkit. Without one, a program that says
    "CUDA driver version is insufficient" most often came prebuilt (a wheel, a release binary,
    an image) with its own runtime, and the driver is what is old."""
    return _toolkit_in_use(s) is not None or any(tk.version for tk in s.cuda.toolkits)


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


def _release_cudas(s: Snapshot, fw: FrameworkFacts) -> list[str]:
    """The CUDA versions of every CUDA build of a framework release stated without its build
    ("torch 1.13.1", "tensorflow 2.15.0"), from the knowledge base; [] where the build is known,
    may be a CPU one (PyPI's torch on native Windows), or the release is not in the table."""
    if fw.cuda_version or cuda_build(fw) is False or fw.variant or fw.rocm_build:
        return []
    if not fw.version or "+" in fw.version or os_name(s) == "Darwin":
        return []
    if fw.name == "torch":
        if native_windows(s):
            return []  # PyPI's Windows wheel is the CPU build: DL401's question first
        release = torch_release(fw.version)
        return [v.cuda for v in release.variants] if release is not None else []
    if fw.name == "tensorflow":
        row = tensorflow_release(fw.version)
        if row is None or (native_windows(s) and version_at_least(fw.version, "2.11")):
            return []  # native Windows after 2.10 has no GPU build: DL402's
        return [row.cuda] if row.cuda else []
    return []


def _older_than_every_build(
    s: Snapshot, drv: str | None, done: set[str | None]
) -> Iterator[Finding]:
    """DL101 for a framework release stated without its CUDA build ("torch 1.13.1" beside
    "Driver Version: 418.67"): when the driver is older than what every CUDA build of that
    release needs (the knowledge base's builds and NVIDIA's driver table), whichever build is
    installed cannot start CUDA. Where only the driver's CUDA is known (nvidia-smi's header),
    its major (before CUDA 11: major.minor) is compared with each build's, as for a known
    build. An error beside a failure the paste shows, a warning otherwise."""
    supported = s.driver.cuda_version
    for fw in s.frameworks:
        if fw.name in done or fw.name not in CUDA_FRAMEWORKS:
            continue
        cudas = _release_cudas(s, fw)
        reqs = [(c, r) for c in cudas if (r := driver_requirement(c, os_name(s))) is not None]
        if not reqs or len(reqs) != len(cudas):
            continue
        probe = live(s, fw.name)
        if probe is not None and probe.gpu_available:
            continue
        if drv is not None:
            if not all(driver_at_least(drv, r.minimum) is False for _, r in reqs):
                yield from _older_than_default_build(s, fw, drv, reqs)
                continue
            have = f"driver {drv}"
        else:
            mm = major_minor(supported)
            if mm is None:
                continue
            olders = [
                mm[0] < need[0] if r.minor_compat else mm < need
                for c, r in reqs
                if (need := major_minor(c)) is not None
            ]
            if len(olders) != len(reqs) or not all(olders):
                continue
            have = f"a driver that runs CUDA up to {supported}"
        reqs.sort(key=lambda cr: major_minor(cr[0]) or (0, 0))
        lowest = reqs[0]
        builds = ", ".join(dict.fromkeys(f"CUDA {c}" for c, _ in reqs))
        failed = any(not e.harmless for e in s.reported_errors) or (
            probe is not None and probe.gpu_available is False
        )
        yield finding(
            "DL101",
            title=f"The NVIDIA driver is too old for every CUDA build of {label(fw)}",
            message=f"{label(fw)} is built with {builds} (every CUDA build of it in dlenv's "
            f"knowledge base); the oldest of them needs NVIDIA driver >={lowest[1].minimum}, "
            f"and the paste shows {have}: whichever build is installed cannot start CUDA.",
            severity="error" if failed or _said_unused(s) else "warning",
            evidence=[
                Evidence(
                    fact="driver.version" if drv is not None else "driver.cuda_version",
                    found=drv if drv is not None else supported,
                    needed=f">={lowest[1].minimum}",
                    note=f"the oldest CUDA build of {label(fw)}: CUDA {lowest[0]}",
                ),
                Evidence(fact=f"frameworks.{fw.name}.version", found=fw.version),
            ],
            hint="The framework's CUDA build was not stated: `python -c \"import torch; "
            "print(torch.version.cuda)\"` (or TensorFlow's tf.sysconfig.get_build_info()) "
            "shows it.",
            fixes=[driver_install_step(lowest[1].minimum)],
            subject=fw.name,
        )


def _older_than_default_build(
    s: Snapshot, fw: FrameworkFacts, drv: str, reqs: list[tuple[str, DriverRequirement]]
) -> Iterator[Finding]:
    """DL101, a warning, for a torch release stated without its build on Linux (or an OS the
    paste leaves out) whose default build (what `pip install torch` gets there) needs a newer
    driver than the paste shows, while another CUDA build of the release runs on it: torch
    2.1.0's default cu121 wheel needs driver 525.60.13, its cu118 one 450.80.02."""
    if fw.name != "torch" or os_name(s) not in (None, "Linux"):
        return
    release = torch_release(fw.version)
    default = (
        next((v for v in release.variants if v.name == release.default_variant), None)
        if release is not None
        else None
    )
    need = driver_requirement(default.cuda, "Linux") if default is not None else None
    if default is None or need is None or driver_at_least(drv, need.minimum) is not False:
        return
    runs = [c for c, r in reqs if driver_at_least(drv, r.minimum) is True]
    if not runs:
        return
    older = min(runs, key=lambda c: major_minor(c) or (0, 0))
    variant = "cu" + older.replace(".", "")
    if not (any(not e.harmless for e in s.reported_errors) or _said_unused(s)):
        return  # a version and a driver, nothing failing: the user may have the other build
    yield finding(
        "DL101",
        title=f"NVIDIA driver {drv} is probably too old for {label(fw)}'s default build "
        f"({default.name})",
        message=f"The paste states {label(fw)} without its CUDA build. Its default build on "
        f"Linux, {default.name} (what `pip install torch` installs), needs NVIDIA driver "
        f">={need.minimum}; driver {drv} is older. Its CUDA {older} build runs on this driver.",
        severity="warning",
        evidence=[
            Evidence(
                fact="driver.version",
                found=drv,
                needed=f">={need.minimum}",
                note=f"the default build of {label(fw)}: CUDA {default.cuda}",
            ),
            Evidence(fact=f"frameworks.{fw.name}.version", found=fw.version),
        ],
        hint='`python -c "import torch; print(torch.version.cuda)"` shows which build is '
        "installed.",
        fixes=[
            ManualStep(
                text=f"Install the {variant} build, which this driver runs, or upgrade the driver.",
                commands=[
                    f"pip install torch=={fw.version} --index-url "
                    f"https://download.pytorch.org/whl/{variant}"
                ],
                url="https://pytorch.org/get-started/previous-versions/",
            ),
            driver_install_step(need.minimum),
        ],
        subject=fw.name,
    )


def _said_unused(s: Snapshot) -> bool:
    """The reporter says the GPU is not used, or torch's is_available() is False."""
    return any(
        e.signature in ("said-gpu-not-used", "torch-cuda-unavailable-stated")
        for e in s.reported_errors
    )


_WHO = {"torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}


def _reported_too_old(s: Snapshot, done: set[str | None]) -> Iterator[Finding]:
    """DL101 on a framework's own verdict ("The NVIDIA driver on your system is too old", "CUDA
    driver version is insufficient for CUDA runtime version") when the versions alone do not
    prove it: the message is the framework comparing the two itself.

    Where minor-version compatibility says the driver should do (driver 535, CUDA 12.2, with a
    cu129 wheel), the framework's verdict wins: the build needs the driver its CUDA toolkit
    shipped with, or a build for a CUDA no newer than the driver's. Evidence compares a driver
    with a driver and a CUDA with a CUDA; no fix asks for what the machine already has."""
    for probe in s.live:
        said = probe.details.get("driver_too_old")
        name = probe.framework
        if not said or name in done or probe.status != "ok" or probe.gpu_available:
            continue
        who = _WHO.get(name, name)
        fw = s.framework(name)
        drv = driver_version(s)
        supported = s.driver.cuda_version or max_toolkit_for_driver(drv, os_name(s))
        runtime = fw.cuda_version if fw is not None else None
        req = driver_requirement(runtime, os_name(s)) if runtime else None
        # the driver this machine has at least: its version, else the one its CUDA shipped with
        row = None if drv else toolkit_driver(supported or "", os_name(s))
        floor = drv or ((row.windows if native_windows(s) else row.linux) if row else None)
        needed_driver = req.minimum if req else None
        if req and floor and driver_at_least(floor, req.minimum):
            # the compatibility floor is met and the framework still refuses: its build needs
            # the driver of its own toolkit (PTX, or libraries that ask for it)
            needed_driver = req.toolkit_minimum
        have = (
            f"driver {drv}"
            if drv
            else f"a driver for CUDA {supported}"
            if supported
            else "the installed driver"
        )
        built = f"CUDA {runtime}" if runtime else "an unstated CUDA version"
        fixes: list[Action] = []
        if fw is not None and fw.name == "torch" and runtime and floor:
            fix = torch_variant_fix(
                s,
                fw,
                f"the driver runs CUDA up to {supported or 'an older release'}",
                floor,
                max_cuda=supported,
            )
            if fix is not None:
                fixes.append(fix)
        fixes.append(driver_install_step(needed_driver, drv))
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
        evidence = [verdict(f"live.{name}.details.driver_too_old", said, f"{who}'s own verdict")]
        if drv or not supported:
            evidence.append(
                Evidence(
                    fact="driver.version",
                    found=drv,
                    needed=f">={needed_driver}" if needed_driver else None,
                    note=None if drv else "unknown",
                )
            )
        if supported:
            evidence.append(
                Evidence(
                    fact="driver.cuda_version",
                    found=supported,
                    needed=f">={'.'.join(runtime.split('.')[:2])}" if runtime else None,
                    note=f"the CUDA {who} was built with" if runtime else None,
                )
            )
        evidence.append(
            Evidence(
                fact=f"frameworks.{name}.cuda_version",
                found=runtime,
                note=None if runtime else "unknown",
            )
        )
        yield finding(
            "DL101",
            title=f"{who} reports the NVIDIA driver is too old for its CUDA runtime",
            message=message,
            evidence=evidence,
            hint="Upgrade the driver, or install a build of the framework for an older CUDA.",
            fixes=fixes,
            subject=name,
        )


def _unbound_gpus(s: Snapshot) -> list[PciDevice]:
    """NVIDIA GPUs on the PCI bus that no driver (nvidia, nouveau, vfio-pci) holds."""
    return [
        d
        for d in s.visibility.nvidia_pci_devices
        if d.kernel_driver not in ("nvidia", "vfio-pci", *OPEN_DRIVERS)
    ]


# how the CUDA probe says a toolkit was selected (dlenv.probes.cuda: HOME_VARIABLES, PATH)
SELECTED_BY = ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", "PATH (nvcc)")


def _toolkit_in_use(s: Snapshot) -> tuple[str, str] | None:
    """(path, version) of the toolkit that CUDA_HOME or the nvcc on PATH selects.

    The probe records how it found each toolkit, following symlinks and `exec` wrappers
    (`/usr/local/bin/nvcc`, `/usr/local/cuda/bin` through its link): that wins over comparing
    path strings, which a wrapper or a symlink defeats."""
    known = [tk for tk in s.cuda.toolkits if tk.version]
    for tk in known:
        if any(how in SELECTED_BY for how in tk.found_by):
            return tk.path, tk.version  # type: ignore[return-value]
    home = (s.cuda.cuda_home or "").rstrip("/")
    for tk in known:
        roots = {tk.path.rstrip("/"), (tk.realpath or "").rstrip("/")}
        if home and home in roots:
            return tk.path, tk.version  # type: ignore[return-value]
        if s.cuda.nvcc_on_path and s.cuda.nvcc_on_path in (tk.nvcc, f"{tk.realpath}/bin/nvcc"):
            return tk.path, tk.version  # type: ignore[return-value]
    return None


@rule("DL102", "driver-too-old-for-toolkit", "warning", "driver")
def driver_too_old_for_toolkit(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the driver runs programs built by the CUDA toolkit in use (the one
    CUDA_HOME/CUDA_PATH names, or whose nvcc is first on PATH), minor-version compatibility
    included. Minor-version compatibility does not cover PTX JIT compilation (NVIDIA's CUDA
    compatibility guide): a toolkit whose minor is newer than the driver's CUDA is a warning,
    an error once "the provided PTX was compiled with an unsupported toolchain" (222) is seen.
    A paste that only states a toolkit and a driver older than it needs (CUDA 9.1 with driver
    384.111), beside a failure and with no framework stated, is a warning (read from words);
    so is a stated toolkit with the reporter saying the driver must be updated ("CUDA 7.5 ...
    doesn't work. We need to update the device drivers.") and no driver version stated.

    Why it matters: nvcc happily compiles, and the program (or a framework extension built
    with it) then fails at run time with "CUDA driver version is insufficient for CUDA runtime
    version", or, built without code for the GPU's architecture, with PTX error 222.

    Example: CUDA_HOME=/usr/local/cuda-12.4 with driver 470.239.06.

    Fix: upgrade the driver, or point CUDA_HOME and PATH at a toolkit this driver supports.
    """
    drv = driver_version(s)
    in_use = _toolkit_in_use(s)
    reported = _reported_toolkit_newer(s, in_use)
    if reported is not None:
        yield reported
        return
    if drv is not None and in_use is None:
        yield from _stated_toolkit_newer(s, drv)
    if drv is None and in_use is None:
        yield from _said_update_for_toolkit(s)
    if drv is None or in_use is None:
        return
    path, version = in_use
    req = driver_requirement(version, os_name(s))
    if req is None:
        return
    if driver_at_least(drv, req.minimum) is not False:
        yield from _ptx_beyond_minor_compat(s, drv, path, version, req.toolkit_minimum)
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


def _stated_toolkit_newer(s: Snapshot, drv: str) -> Iterator[Finding]:
    """DL102 from arithmetic on stated versions: the paste states a CUDA toolkit and a driver
    older than that toolkit needs (CUDA 9.1 with driver 384.111: 9.1 needs 387.26), beside a
    failure, and no framework whose own CUDA runtime would be the likelier story (DL101's). The
    toolkit is read from the reporter's words, not seen in use: a warning with the check."""
    if any(fw.name in CUDA_FRAMEWORKS for fw in s.frameworks):
        return
    failed = next((e for e in s.reported_errors if not e.harmless), None)
    if failed is None:
        return
    stated = [tk.version for tk in s.cuda.toolkits if tk.version and major_minor(tk.version)]
    version = min(stated, key=lambda v: major_minor(v) or (0, 0), default=None)
    req = driver_requirement(version, os_name(s)) if version else None
    if version is None or req is None or driver_at_least(drv, req.minimum) is not False:
        return
    yield finding(
        "DL102",
        title=f"Probably NVIDIA driver {drv} is too old for the CUDA {version} toolkit stated",
        message=f"The paste states CUDA {version} and driver {drv}; programs built with CUDA "
        f"{version} need driver >={req.minimum}, so the failure is probably CUDA's "
        '"driver version is insufficient for CUDA runtime version" (error 35).',
        severity="warning",
        evidence=[
            Evidence(fact=f"reported_errors.{failed.signature}", found=first_line(failed.text)),
            Evidence(
                fact="driver.version",
                found=drv,
                needed=f">={req.minimum}",
                note=f"needed by CUDA {version}, read from the paste",
            ),
        ],
        hint="Compare `nvidia-smi` (the newest CUDA the driver runs) with `nvcc --version`.",
        fixes=[
            driver_install_step(req.minimum),
            ManualStep(
                text=f"Or build the program with a CUDA toolkit no newer than driver {drv} "
                "supports.",
                commands=["nvidia-smi", "nvcc --version"],
            ),
        ],
        subject="toolkit",
    )


def _stated_toolkit_without_framework(s: Snapshot) -> str | None:
    """The oldest CUDA toolkit the paste states, when it states no framework (whose own runtime
    would be DL101's story), or None."""
    if any(fw.name in CUDA_FRAMEWORKS for fw in s.frameworks):
        return None
    stated = [tk.version for tk in s.cuda.toolkits if tk.version and major_minor(tk.version)]
    return min(stated, key=lambda v: major_minor(v) or (0, 0), default=None)


def _said_update_for_toolkit(s: Snapshot) -> Iterator[Finding]:
    """DL102, a warning, from the reporter's words that the driver must be updated, beside a
    CUDA toolkit the paste states (and no framework, no driver version): the toolkit installed
    on the machine is newer than its driver (a cluster admin installing CUDA 7.5: "it doesn't
    work. We need to update the device drivers.")."""
    said = _said(s, SAID_UPDATE_NEEDED)
    version = _stated_toolkit_without_framework(s)
    if said is None or version is None:
        return
    req = driver_requirement(version, os_name(s))
    needed = (req.toolkit_minimum or req.minimum) if req else None
    yield finding(
        "DL102",
        title=f"Probably the NVIDIA driver is too old for the CUDA {version} toolkit",
        message=f"The paste states CUDA {version} and says the driver must be updated: programs "
        f"the CUDA {version} toolkit builds need driver "
        + (f">={needed}" if needed else "a newer driver")
        + ', and fail with "CUDA driver version is insufficient for CUDA runtime version" on '
        "an older one.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{SAID_UPDATE_NEEDED}",
                found=said,
                note="the reporter's words",
            ),
            Evidence(fact="cuda.toolkits.version", found=version),
            Evidence(
                fact="driver.version",
                found=None,
                needed=f">={needed}" if needed else None,
                note="not stated",
            ),
        ],
        hint="Compare `nvidia-smi` (the newest CUDA the driver runs) with `nvcc --version`.",
        fixes=[
            driver_install_step(needed),
            ManualStep(
                text="Or keep the driver and install a CUDA toolkit no newer than it supports.",
                commands=["nvidia-smi | head -4", "nvcc --version"],
            ),
        ],
        subject="toolkit",
    )


def _ptx_beyond_minor_compat(
    s: Snapshot, drv: str, path: str, version: str, toolkit_minimum: str | None
) -> Iterator[Finding]:
    """A toolkit newer (in its minor) than the driver's CUDA: its programs run through
    minor-version compatibility, but PTX is JIT-compiled by the driver, which cannot read a
    newer PTX ISA ("CUDA minor version compatibility ... does not support PTX JIT", NVIDIA's
    CUDA compatibility guide): a program nvcc builds without SASS for the GPU's architecture
    fails with CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222). An error once a paste or the machine
    shows that failure; a warning before."""
    supported = s.driver.cuda_version or max_toolkit_for_driver(drv, os_name(s))
    tk_mm, drv_mm = major_minor(version), major_minor(supported or "")
    if tk_mm is None or drv_mm is None or tk_mm <= drv_mm or tk_mm[0] != drv_mm[0]:
        return
    seen = next((e for e in s.reported_errors if e.signature == PTX_UNSUPPORTED), None)
    evidence = [
        Evidence(
            fact="driver.cuda_version",
            found=f"{supported} (driver {drv})",
            needed=f">={tk_mm[0]}.{tk_mm[1]}",
            note=f"for PTX built by the CUDA {version} toolkit at {path}",
        )
    ]
    if seen is not None:
        quoted = Evidence(fact=f"reported_errors.{seen.signature}", found=seen.text[:200])
        evidence.insert(0, quoted)
    yield finding(
        "DL102",
        title=f"NVIDIA driver {drv} (CUDA {supported}) cannot JIT-compile PTX from the CUDA "
        f"{version} toolkit in use",
        message=f"The CUDA {version} toolkit at {path} is newer than the CUDA {supported} this "
        "driver supports. Its programs run through minor-version compatibility, but that does "
        "not cover PTX: a program built without code for this GPU's architecture needs the "
        'driver to JIT-compile its PTX and fails with "the provided PTX was compiled with an '
        'unsupported toolchain" (CUDA error 222).',
        severity="error" if seen is not None else "warning",
        evidence=evidence,
        hint="Build for the GPU's own architecture (nvcc -arch=sm_XY) to avoid the JIT, or use "
        "a toolkit no newer than the driver's CUDA.",
        fixes=[
            driver_install_step(toolkit_minimum),
            ManualStep(
                text=f"Or select a CUDA {drv_mm[0]}.{drv_mm[1]} (or older) toolkit with PATH "
                "and CUDA_HOME, or compile for the GPU's architecture so that no PTX is "
                "JIT-compiled.",
                commands=["nvidia-smi   # shows the driver's CUDA version", "nvcc --version"],
                url="https://docs.nvidia.com/deploy/cuda-compatibility/",
            ),
        ],
        subject=path,
    )


PTX_UNSUPPORTED = "cuda-unsupported-ptx"
# the same error read from its number ("CUDA initialization failure with error 222"): the CUDA
# stack's status table (dlenv.importers.statuses)
PTX_STATUSES = (
    "status-cudaerrorunsupportedptxversion",
    "status-cuda-error-unsupported-ptx-version",
)
# "driver version is insufficient" read from its number (TensorRT's "… with error 35")
INSUFFICIENT_STATUS = "status-cudaerrorinsufficientdriver"
NUMBA_PTX = "numba-ptx-link-failed"  # catalog/cuda-init.toml: cuLinkAddData refused the PTX
INSUFFICIENT = "cuda-driver-insufficient"
# programs whose CUDA comes in their own wheel: their "insufficient driver" is DL101's kind
_WHEEL_WORDS = re.compile(
    r"\b(?:paddle|mxnet|onnxruntime|cupy|tensorrt|cuda-python|cuda\.bindings|cutlass|cutedsl)"
    # a source path of a build machine in the message ("CUDA error 35 at /home/runner/work/
    # <repo>/<repo>/ggml-cuda.cu:5067"): the binary was built by CI (GitHub Actions on Linux,
    # in a container, on Windows; conda-forge's feedstock) and installed prebuilt, so its CUDA
    # runtime came with the package, not from a toolkit the user compiled with
    r"|/home/runner/work/|/__w/[\w.-]{1,100}/|\b[A-Z]:\\a\\[\w.-]{1,100}\\"
    r"|/home/conda/feedstock_root/"
    # programs that ship their CUDA runtime (or compiler) in their release: NVEncC's banner
    # ("[NVENC API v13.0, CUDA 12.4]"), OpenMM ("Error loading CUDA module: ..." from its
    # CudaContext, kernels built by its conda cudatoolkit), TorchSharp's libtorch packages
    r"|\bnvenc(?:c|64)?\b|\bopenmm\b|Error loading CUDA module:|\btorchsharp\b"
    # TensorRT's own words for its first CUDA call failing (its builder and runtime ship built)
    r"|\bCUDA initialization failure with error\b",
    re.IGNORECASE,
)


def _reported_toolkit_newer(s: Snapshot, in_use: tuple[str, str] | None) -> Finding | None:
    """DL102 on a pasted failure of a program the user compiled: "the provided PTX was compiled
    with an unsupported toolchain" (cudaErrorUnsupportedPtxVersion, 222) or "CUDA driver version
    is insufficient" from a program no framework wheel printed, where the paste shows a toolkit
    (without one, the program's own runtime is the likelier story: DL101); confirmed, or
    refuted, by the toolkit's version (`nvcc --version`, prose) against the driver's CUDA."""
    said = next(
        (
            e
            for e in s.reported_errors
            if e.signature in (PTX_UNSUPPORTED, INSUFFICIENT)
            and (e.framework is None or e.framework not in CUDA_FRAMEWORKS)
            and not _WHEEL_WORDS.search(e.text)
            # inside a container the runtime (and the toolchain that built the PTX) is the
            # image's: DL101's kind (fauxpilot/fauxpilot#19)
            and s.host.container is None
        ),
        None,
    )
    if said is None or any(_WHEEL_WORDS.search(e.text) for e in s.reported_errors):
        return None
    if said.signature == INSUFFICIENT and not _compiled_here(s):
        return None  # no sign the user compiled it: the program's own runtime, DL101's
    toolkit = in_use or next(((tk.path, tk.version) for tk in s.cuda.toolkits if tk.version), None)
    # a version read from prose (an image tag, "CUDA 11.6") names a toolkit the reporter has,
    # not necessarily the one that built the failing program (conda's cudatoolkit, a JIT's
    # own): error 222 is itself the proof that the PTX came from a newer toolchain. Stated at
    # the driver's own CUDA it does not refute that (the driver has no headroom: any newer
    # toolchain in the environment fails); stated older, it points elsewhere
    weak = in_use is None and all(tk.version_source == "prose" for tk in s.cuda.toolkits)
    drv = driver_version(s)
    supported = s.driver.cuda_version or (max_toolkit_for_driver(drv, os_name(s)) if drv else None)
    version = toolkit[1] if toolkit else None
    tk_mm, drv_mm = major_minor(version or ""), major_minor(supported or "")
    req = driver_requirement(version, os_name(s)) if version else None
    evidence = [Evidence(fact=f"reported_errors.{said.signature}", found=said.text[:200])]
    newer = False
    if tk_mm and drv_mm:
        # PTX is JIT-compiled by the driver: any newer toolkit, minor included, is too new
        newer = (
            tk_mm > drv_mm
            if said.signature == PTX_UNSUPPORTED
            else (tk_mm[0] > drv_mm[0] if req is not None and req.minor_compat else tk_mm > drv_mm)
        )
        at_edge = weak and said.signature == PTX_UNSUPPORTED and drv and tk_mm == drv_mm
        if not newer and not at_edge:
            return None
        if not newer:
            req = None  # the stated toolkit did not build it: its driver minimum says nothing
    if tk_mm and drv_mm and newer:
        evidence.append(
            Evidence(
                fact="driver.cuda_version",
                found=f"{supported}" + (f" (driver {drv})" if drv else ""),
                needed=f">={tk_mm[0]}.{tk_mm[1]}",
                note=f"for the CUDA {version} toolkit that built the program",
            )
        )
        why = (
            f"the program was built with CUDA {version}, newer than the CUDA {supported} this "
            "driver supports"
        )
    else:
        if version:
            evidence.append(Evidence(fact="cuda.toolkits.version", found=version))
        if drv or supported:
            evidence.append(
                Evidence(
                    fact="driver.version" if drv else "driver.cuda_version", found=drv or supported
                )
            )
        built = f"CUDA {version}" if version else "a newer CUDA toolkit"
        why = f"the program was compiled with {built} than this driver supports"
        if version and tk_mm and drv_mm and not newer:
            why = (
                f"the program's PTX was built by a newer CUDA toolkit than the CUDA {supported} "
                f"this driver supports (not the CUDA {version} the report states: another "
                "toolkit, such as a conda cudatoolkit, built it)"
            )
    # PTX needs the toolkit's own driver: minor-version compatibility does not cover the JIT
    ptx = said.signature == PTX_UNSUPPORTED
    minimum = (req.toolkit_minimum if ptx else None) or req.minimum if req else None
    fixes: list[Action] = [
        driver_install_step(minimum),
        ManualStep(
            text="Or rebuild the program with a CUDA toolkit this driver supports"
            + (f" (CUDA {supported} or older)" if supported else "")
            + ", selected by PATH and CUDA_HOME; `nvidia-smi` shows the driver's CUDA version.",
            commands=["nvidia-smi | head -4", "nvcc --version", "which -a nvcc"],
        ),
    ]
    return finding(
        "DL102",
        title="The NVIDIA driver is older than the CUDA toolkit that built the program",
        message=f"The CUDA program fails because {why}: "
        + (
            "the driver cannot JIT-compile its PTX."
            if said.signature == PTX_UNSUPPORTED
            else "the driver refuses its CUDA runtime."
        ),
        severity="error",
        evidence=evidence,
        hint="nvcc's version is the toolkit's, not the driver's: nvidia-smi's 'CUDA Version' is "
        "the newest CUDA the driver runs.",
        fixes=fixes,
        subject=toolkit[0] if toolkit else "toolkit",
    )


@rule("DL103", "gpu-without-driver", "error", "driver", machine_wide=True)
def gpu_without_driver(s: Snapshot) -> Iterator[Finding]:
    """What it checks: an NVIDIA GPU on the PCI bus with no NVIDIA kernel driver bound to it. In
    a paste, as a warning: nvidia-smi not found, or a program not finding nvcuda.dll (the CUDA
    library Windows' NVIDIA display driver installs in System32), where nothing shows a working
    driver (not in a container, WSL or on a Mac).

    Why it matters: nothing can use the GPU: nvidia-smi is missing or says "NVIDIA-SMI has
    failed because it couldn't communicate with the NVIDIA driver", and every framework falls
    back to the CPU.

    Example: `lspci` lists "NVIDIA Corporation AD102 [GeForce RTX 4090]", no nvidia module is
    loaded and /proc/driver/nvidia does not exist.

    Fix: install the NVIDIA driver for this GPU and reboot.
    """
    v = s.visibility
    devices = _unbound_gpus(s)
    if not devices and not v.nvidia_pci_devices:
        yield from _smi_missing_no_driver(s)
        return
    if not devices or _driven(s) or v.nouveau_loaded:
        return
    installed_signs = (*NOT_LOADED_SIGNS, *SAID_KERNEL)
    if any(_said(s, sig) for sig in installed_signs if sig not in AMBIGUOUS_SIGNS):
        return  # installed, but the module is refused or not built for this kernel: DL111's
    if s.driver.installed is True and v.nvidia_module_loaded is False:
        return  # driver files there, module not loaded: DL111's
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


_driven = answered_gpus  # GPUs the driver answered for, not only named in prose


def _smi_missing_no_driver(s: Snapshot) -> Iterator[Finding]:
    """DL103 from a paste that says nvidia-smi is not found (in a shell's words, or the
    reporter's in any language) on a machine, not a container or WSL, where nothing shows a
    working driver: the maintainer's reading is "the NVIDIA driver is not installed". A warning:
    the paste does not show the GPU itself."""
    said = next((e for e in s.reported_errors if e.signature in SMI_MISSING), None)
    dll = next((e for e in s.reported_errors if e.signature == DRIVER_DLL_MISSING), None)
    said = said or dll
    if said is None or s.host.container or s.host.wsl or os_name(s) == "Darwin":
        return
    if _driven(s) or s.driver.installed is True or s.driver.version or s.visibility.nouveau_loaded:
        return
    if any(p.gpu_available for p in s.live) or any(
        _said(s, sig) for sig in (*NOT_LOADED_SIGNS, *SAID_KERNEL, SAID_SECURE)
    ):
        return  # a framework used the GPU, or the module is installed but not loaded (DL111)
    yield finding(
        "DL103",
        title="nvcuda.dll is not found: the NVIDIA driver is probably not installed"
        if said is dll
        else "nvidia-smi is not found: the NVIDIA driver is probably not installed",
        message="A program found no nvcuda.dll, the CUDA library the NVIDIA display driver "
        "installs in System32, and the paste shows no working NVIDIA driver: the driver is most "
        "likely not installed (or only Windows' basic display driver is)."
        if said is dll
        else "The report says nvidia-smi is not found and shows no working NVIDIA driver: "
        "the driver (which installs nvidia-smi) is most likely not installed on this machine.",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                needed="nvcuda.dll in System32" if said is dll else "nvidia-smi on PATH",
                note="the reporter's words" if in_prose(said.signature) else None,
            )
        ],
        hint="Check `lspci | grep -i nvidia`: with an NVIDIA GPU listed, install its driver.",
        fixes=[driver_install_step(None)],
        subject="driver",
    )


@rule("DL104", "nouveau-loaded", "error", "driver", machine_wide=True)
def nouveau_loaded(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether the open-source nouveau driver (or nova-core, which newer kernels
    bind to recent GPUs) holds the NVIDIA GPU.

    Why it matters: nouveau has no CUDA; while it is loaded the NVIDIA driver cannot bind the
    GPU ("NVIDIA kernel module could not be loaded ... nouveau").

    Example: `lsmod` lists nouveau and the GPU's kernel driver is nouveau; or dmesg's "NVRM:
    The NVIDIA probe routine was not called for 1 device(s) ... nouveau, rivafb, nvidiafb or
    rivatv was loaded and obtained ownership of the NVIDIA device(s)". Only the reporter's words
    ("nouveau cannot be disabled", "blacklisting nouveau fixed it") give a warning.

    Fix: blacklist nouveau, rebuild the initramfs, install the NVIDIA driver and reboot.
    """
    v = s.visibility
    bound = [d.slot for d in v.nvidia_pci_devices if d.kernel_driver in OPEN_DRIVERS]
    # the NVIDIA module's own dmesg lines say another driver owns the GPU (a program's line
    # first, the reporter's words only where nothing printed one)
    signs = [e for e in s.reported_errors if e.signature in NOUVEAU_SIGNS]
    said = next((e for e in signs if not in_prose(e.signature)), signs[0] if signs else None)
    held = v.nouveau_loaded and (v.nvidia_pci_devices or said is not None) and not _driven(s)
    if not bound and not held:
        return
    # only the reporter's words about a blacklist that did not take, or that fixed it: likely
    prose_only = not bound and said is not None and said.signature in SAID_NOUVEAU
    held_by = sorted({d.kernel_driver or "" for d in v.nvidia_pci_devices if d.slot in bound})
    name = "/".join(held_by) or "nouveau"
    evidence = (
        [Evidence(fact="visibility.nouveau_loaded", found="true", needed="false")]
        if v.nouveau_loaded
        else []
    )
    if said is not None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                note={
                    NVRM_PROBE: "the NVIDIA kernel module's own message",
                    NOUVEAU_STATED: "lsmod, or the reporter",
                }.get(said.signature, "nvidia-installer, or nouveau's own log lines"),
            )
        )
    if bound:
        evidence.append(
            Evidence(
                fact="visibility.nvidia_pci_devices.kernel_driver",
                found=f"{name} ({', '.join(bound)})",
                needed="nvidia",
            )
        )
    yield finding(
        "DL104",
        title=f"The {name} driver is {'probably ' if prose_only else ''}loaded instead of the "
        "NVIDIA driver",
        severity="warning" if prose_only else None,
        message=f"The open-source {name} driver is {'probably ' if prose_only else ''}loaded"
        + (f" and bound to {', '.join(bound)}" if bound else "")
        + "; CUDA needs the proprietary NVIDIA driver.",
        evidence=evidence,
        fixes=[
            ManualStep(
                text=f"Blacklist {name}, then install the NVIDIA driver and reboot "
                "(`lsmod | grep nouveau` must then print nothing).",
                commands=[
                    *(
                        [
                            "echo 'blacklist nova_core' | "
                            "sudo tee /etc/modprobe.d/blacklist-nova.conf"
                        ]
                        if "nova" in name
                        else []
                    ),
                    "printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | "
                    "sudo tee /etc/modprobe.d/blacklist-nouveau.conf",
                    "sudo update-initramfs -u  # dracut -f on Fedora/RHEL",
                    "sudo reboot",
                ],
                url="https://docs.nvidia.com/cuda/cuda-installation-guide-linux/",
            )
        ],
    )


@rule("DL105", "driver-library-mismatch", "error", "driver", machine_wide=True)
def driver_library_mismatch(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether the loaded kernel module and the user-space driver library
    (libnvidia-ml, libcuda) are different versions.

    Why it matters: after a driver upgrade without a reboot, nvidia-smi fails with "Failed to
    initialize NVML: Driver/library version mismatch" and CUDA cannot initialise. The reporter
    saying the driver was updated and a reboot cured it (or it was not rebooted since, beside a
    failure) is a warning.

    Example: kernel module 535.104.05, libnvidia-ml 535.129.03 after `apt upgrade`.

    Fix: reboot (or unload and reload the nvidia kernel modules when no process uses them).
    """
    d = s.driver
    if not d.library_mismatch:
        found = list(_versions_disagree(s))
        yield from found
        if not found:
            yield from _said_mismatch(s)
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


def _same_version(a: str, b: str) -> bool:
    """Equal on the components both state: NVML prints "570.124" for 570.124.06."""
    x, y = a.split("."), b.split(".")
    n = min(len(x), len(y))
    return n >= 2 and x[:n] == y[:n]


def _versions_disagree(s: Snapshot) -> Iterator[Finding]:
    """DL105 from two versions in the paste that a maintainer compares: the loaded kernel
    module's (/proc/driver/nvidia/version, dmesg's "NVRM: loading") against the user-space
    driver's (dpkg's packages, NVML's library version), judged only when something failed and
    no GPU answered through NVML (a working nvidia-smi table rules a mismatch out)."""
    d = s.driver
    kmod, user = d.kernel_module_version, d.userspace_version
    if not kmod or not user or _same_version(kmod, user) or _driven(s):
        return
    if not any(not e.harmless for e in s.reported_errors):
        return
    yield finding(
        "DL105",
        title="The loaded NVIDIA kernel module and the installed driver differ",
        message=f"The loaded kernel module is {kmod} but the installed user-space driver is "
        f"{user}: the driver was changed (an upgrade, unattended-upgrades) without a reboot, "
        "and NVML and CUDA refuse to initialise until they match.",
        evidence=[
            Evidence(
                fact="driver.userspace_version",
                found=user,
                needed=kmod,
                note="must equal the loaded kernel module's version",
            )
        ],
        hint="Reboot; if it persists, reinstall one driver version for both sides.",
        fixes=[
            ManualStep(
                text="Reboot so that the kernel module of the installed driver is loaded.",
                commands=["sudo reboot"],
            )
        ],
    )


def _said_mismatch(s: Snapshot) -> Iterator[Finding]:
    """DL105, a warning, from the reporter's words: the NVIDIA driver was updated and a reboot
    cured it, or it was updated and not rebooted since, beside a failure. Not after a kernel
    update (the module missing for the new kernel is DL111's) nor a suspend (DL112's)."""
    updated = _said(s, SAID_DRIVER_UPDATED)
    cured = _said(s, SAID_REBOOT_FIXED)
    pending = _said(s, SAID_NOT_REBOOTED)
    if updated is None or (cured is None and pending is None):
        return
    others = (KERNEL_UPDATED, *SAID_KERNEL, AFTER_SUSPEND, SAID_SUSPEND)
    if any(_said(s, sig) for sig in others) or s.host.wsl:
        return
    if cured is None and not any(not e.harmless for e in s.reported_errors):
        return  # updated and not rebooted, with nothing failing: nothing is wrong yet
    evidence = [
        Evidence(
            fact=f"reported_errors.{SAID_DRIVER_UPDATED}",
            found=updated,
            note="the reporter's words",
        ),
        Evidence(
            fact=f"reported_errors.{SAID_REBOOT_FIXED if cured else SAID_NOT_REBOOTED}",
            found=cured or pending,
            needed="a reboot after the driver update",
        ),
    ]
    yield finding(
        "DL105",
        title="Probably a driver/library mismatch: the driver was updated without a reboot",
        message="The report says the NVIDIA driver was updated and "
        + ("a reboot cured it" if cured else "the machine was not rebooted since")
        + ": until a reboot the old kernel module stays loaded beside the new user-space "
        'libraries, and NVML and CUDA refuse to initialise ("Driver/library version '
        'mismatch").',
        severity="warning",
        evidence=evidence,
        hint="Compare the loaded module's version with the installed driver's.",
        fixes=[
            ManualStep(
                text="Compare the two versions; if they differ, reboot (or unload and reload "
                "the nvidia modules with no process using the GPU).",
                commands=[
                    "cat /proc/driver/nvidia/version  # the loaded kernel module",
                    "modinfo -F version nvidia  # the installed module",
                    "sudo reboot",
                ],
            )
        ],
        subject="driver",
    )


@rule("DL106", "device-nodes-inaccessible", "error", "driver", machine_wide=True)
def device_nodes_inaccessible(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that this user can open the NVIDIA device files (/dev/nvidiactl,
    /dev/nvidia0…, /dev/nvidia-uvm) read-write; in a paste, NVML's "Insufficient Permissions"
    or a /dev/nvidia* open refused (an error), or the reporter saying users cannot access the
    nvidia devices (a warning, with the module's restrictive NVreg_DeviceFileMode as evidence);
    and the GPU failing inside an LXD/Incus container the reporter names (a warning: no `gpu`
    device was added to the container).

    Why it matters: CUDA opens them at initialisation; without access it fails with
    "cudaErrorNoDevice"/"CUDA driver initialization failed" although nvidia-smi may work as root.

    Example: /dev/nvidia0 is mode 0660 root:video and the user is not in the video group; or a
    container started without `--gpus`.

    Fix: add the user to the group that owns the devices (then log in again), or start the
    container with the NVIDIA runtime (`docker run --gpus all`).
    """
    blocked = [n for n in s.visibility.device_nodes if not (n.readable and n.writable)]
    if not blocked:
        lxd = _said(s, SAID_LXD)
        if lxd is not None and _said(s, PERMISSION_DENIED) is None:
            yield _lxd_without_gpu(lxd)
            return
        yield from _reported_permission_denied(s)
        return
    if not nvidia_gpu_present(s):
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


PERMISSION_DENIED = "nvidia-device-permission-denied"
SAID_LXD = "said-gpu-fails-in-lxd"  # prose-driver.toml


def _lxd_without_gpu(said: str) -> Finding:
    """DL106 for an LXD/Incus/LXC container whose GPU fails: a system container gets the GPU's
    device files only from a `gpu` device in its config (the maintainers' first question)."""
    return finding(
        "DL106",
        title="The LXD container probably has no GPU device",
        message="The GPU fails inside an LXD/Incus container: such a container gets the NVIDIA "
        "device files only when a `gpu` device is added to its configuration, and the driver's "
        "user-space only with nvidia.runtime=true (or the host's exact driver version installed "
        "inside without its kernel module).",
        severity="warning",
        evidence=[
            Evidence(
                fact=f"reported_errors.{SAID_LXD}",
                found=said,
                needed="a gpu device in the container's config",
            )
        ],
        fixes=[
            ManualStep(
                text="Add the GPU to the container (and the driver's user-space from the host), "
                "then restart it.",
                commands=[
                    "lxc config device add <container> gpu gpu",
                    "lxc config set <container> nvidia.runtime true",
                    "lxc restart <container>",
                    "lxc exec <container> -- nvidia-smi",
                ],
                url="https://documentation.ubuntu.com/lxd/en/latest/reference/devices_gpu/",
            )
        ],
        subject="lxd",
    )


SAID_INACCESSIBLE = "said-device-files-inaccessible"  # prose-driver.toml
MODE_RESTRICTED = "nvidia-device-file-mode-restricted"  # kernel-module.toml


def _reported_permission_denied(s: Snapshot) -> Iterator[Finding]:
    """DL106 from a pasted refusal: NVML's "Insufficient Permissions" or a /dev/nvidia* open
    that failed with "Permission denied". The driver answered (the files exist), this user may
    not open them: not in the devices' group, or a container's non-root user."""
    said = _said(s, PERMISSION_DENIED)
    sig = PERMISSION_DENIED
    restricted = _said(s, MODE_RESTRICTED)
    if said is None:
        # the reporter's words ("regular users cannot access the nvidia devices"): likely
        said, sig = _said(s, SAID_INACCESSIBLE), SAID_INACCESSIBLE
    if said is None:
        return
    inside = s.host.container is not None
    fixes: list[Action] = [
        ManualStep(
            text="See who owns the NVIDIA device files and give this user that group, then log "
            "in again (`sudo` working while the user fails is this).",
            commands=[
                "ls -l /dev/nvidia*",
                'sudo usermod -aG "$(stat -c %G /dev/nvidiactl)" "$USER"',
            ],
        )
    ]
    if restricted is not None:
        fixes.append(
            ManualStep(
                text="Or let every user open them: set the module's device-file mode to 0666 "
                "and reload the module (or reboot).",
                commands=[
                    "grep -r NVreg_DeviceFile /etc/modprobe.d /usr/lib/modprobe.d",
                    "# options nvidia NVreg_DeviceFileMode=0666",
                ],
            )
        )
    if inside:
        fixes.insert(
            0,
            ManualStep(
                text="In a container, run as root or add the container user to the group that "
                "owns /dev/nvidia* on the host (`--group-add`), with the GPUs passed by the "
                "NVIDIA runtime.",
                commands=[
                    'docker run --gpus all --group-add "$(stat -c %g /dev/nvidiactl)" <image>'
                ],
            ),
        )
    evidence = [Evidence(fact=f"reported_errors.{sig}", found=said, needed="rw access")]
    if restricted is not None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{MODE_RESTRICTED}",
                found=restricted,
                note="the module creates the files for its group only",
            )
        )
    likely = sig == SAID_INACCESSIBLE
    yield finding(
        "DL106",
        title="This user probably may not open the NVIDIA device files"
        if likely
        else "This user may not open the NVIDIA device files",
        message="The NVIDIA device files exist but opening them is "
        + ("probably " if likely else "")
        + "refused"
        + (" for the container's user" if inside else "")
        + (
            " (the nvidia module's NVreg_DeviceFileMode gives read-write only to its group)"
            if restricted
            else ""
        )
        + ", so NVML and CUDA cannot start.",
        severity="warning" if likely else None,
        evidence=evidence,
        hint="Works as root, fails as a user: the device files' group or mode.",
        fixes=fixes,
        subject="/dev/nvidia*",
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
        probe = live(s, fw.name)
        if probe is not None and probe.details.get("driver_too_old"):
            continue  # the framework says it does not run: DL101 on its verdict, not "it works"
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


# what Docker, the NVIDIA Container Toolkit and NGC images print when the GPU does not reach
# the container: (title, message) for each
CONTAINER_SIGNS = {
    "docker-gpu-runtime-missing": (
        "Docker cannot give GPUs to containers: no NVIDIA container runtime",
        "Docker has no device driver for `--gpus`: the NVIDIA Container Toolkit is not "
        "installed, or its runtime is not registered with this Docker daemon.",
    ),
    "container-cli-no-nvml": (
        "The NVIDIA Container Toolkit cannot find the host's driver libraries",
        "nvidia-container-cli cannot load libnvidia-ml.so.1: the NVIDIA driver is not installed "
        "on the host, or Docker (a snap, rootless or Docker Desktop install) cannot see the "
        "host's libraries.",
    ),
    "ngc-container-no-gpu": (
        "The container was started without the GPU",
        "The container sees no NVIDIA driver: it was started without `--gpus all` (or the "
        "NVIDIA runtime), or Docker has no NVIDIA Container Toolkit.",
    ),
    "container-cli-ldconfig-missing": (
        "The NVIDIA Container Toolkit cannot run ldconfig",
        "nvidia-container-cli cannot open the ldconfig its config.toml names (Debian's "
        "/sbin/ldconfig.real): set `ldconfig` in /etc/nvidia-container-runtime/config.toml to "
        "this distribution's path ('@/sbin/ldconfig').",
    ),
    "container-cli-driver-file-exists": (
        "The image already contains NVIDIA driver files",
        "nvidia-container-cli cannot mount the host's driver files because the image has its "
        "own copies (a driver installed into the image): build the image without the NVIDIA "
        "driver; the host's is mounted when the container starts.",
    ),
    # the reporter's words (prose-driver.toml): likely, a warning
    "said-docker-runtime-unknown": (
        "Docker probably has no NVIDIA runtime registered",
        "The report says Docker does not know the `nvidia` runtime: the NVIDIA Container "
        "Toolkit is not installed, or its runtime is not registered with this Docker daemon "
        "(or the daemon was not restarted after daemon.json changed).",
    ),
    "said-container-without-gpus": (
        "The container was probably started without the GPU",
        "The report says the container was started without the GPU (no `--gpus`, NVIDIA "
        "runtime or device reservation): Docker passes it only to containers that ask.",
    ),
    "said-gpus-flag-fixed": (
        "The container was started without the GPU",
        "The report says passing the GPU to the container (`--gpus all`, nvidia-docker, the "
        "NVIDIA Container Toolkit) fixed it: it had been started without the GPU.",
    ),
    # Kubernetes: containerd without the nvidia runtime; no node advertising the GPU resource
    "k8s-nvidia-runtime-missing": (
        "containerd has no NVIDIA runtime configured",
        "Kubernetes' container runtime (containerd) has no `nvidia` runtime: the NVIDIA "
        "Container Toolkit is not installed on the node, or not registered with containerd.",
    ),
    "k8s-no-gpu-resource": (
        "No node advertises the GPU: probably no NVIDIA runtime for the device plugin",
        "No Kubernetes node offers `nvidia.com/gpu`: the NVIDIA device plugin sees no GPU, "
        "usually because the node's containers do not run under the NVIDIA runtime (it is not "
        "the default runtime of containerd or Docker there), or the plugin is not deployed.",
    ),
    "k8s-device-plugin-no-nvml": (
        "The device plugin cannot load NVML: probably not under the NVIDIA runtime",
        "The NVIDIA device plugin's container finds no libnvidia-ml: the driver's files reach a "
        "container only through the NVIDIA runtime, which is probably not the default runtime "
        "of Docker or containerd on this node (or the node has no NVIDIA driver).",
    ),
    "no-nvidia-device-node": (
        "The container or sandbox has no /dev/nvidia0",
        "The NVIDIA driver is loaded but the GPU's device files are not in this container or "
        "sandbox: it was started without `--gpus all` or the NVIDIA runtime.",
    ),
}


_SMI_IN_CONTAINER = (
    "nvidia-smi is missing in the container: it was started without the GPU",
    "nvidia-smi (and the driver's libraries) are not in the container: Docker mounts them only "
    "for a container started with `--gpus all` (or the NVIDIA runtime), which needs the NVIDIA "
    "Container Toolkit on the host.",
)

_NO_GPU_IN_CONTAINER = (
    "The GPU does not reach the container",
    "The report says the GPU is not found inside a container: Docker passes it only to a "
    "container started with `--gpus all` (or the NVIDIA runtime), which needs the NVIDIA "
    "Container Toolkit on the host.",
)


def _install_container_toolkit(text: str) -> ManualStep:
    """The host-side fix for Docker without GPUs (NVIDIA's container toolkit install guide)."""
    return ManualStep(
        text=text,
        commands=[
            "sudo apt-get install -y nvidia-container-toolkit",
            "sudo nvidia-ctk runtime configure --runtime=docker",
            "sudo systemctl restart docker",
        ],
        url="https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/"
        "install-guide.html",
    )


@rule("DL109", "container-toolkit-missing", "error", "driver")
def container_toolkit_missing(s: Snapshot) -> Iterator[Finding]:
    """What it checks: Docker refusing `--gpus` with "could not select device driver \"\" with
    capabilities: [[gpu]]" (or an unknown `nvidia` runtime, unresolvable CDI devices) in a
    pasted log; and the GPU not reaching a container: nvidia-container-cli's "load library
    failed: libnvidia-ml.so.1", an NGC image's "The NVIDIA Driver was not detected", XLA's "no
    NVIDIA GPU device is present: /dev/nvidia0 does not exist"; and, with such a sign that the
    GPU is missing, how the container was started: a `docker run` line without `--gpus`, a
    Compose service or Kubernetes pod that requests no GPU, `docker info` without an `nvidia`
    runtime; the CUDA runtime's "driver version is insufficient for CUDA runtime version" from a
    container whose `docker run` line asks for no GPU (with no libcuda inside, the runtime says
    exactly that) is the start's fault, not the driver's, unless the paste states a driver. A
    framework finding no CUDA at all, or no libcuda.so.1, inside a container the paste or the
    reporter names ("User provided device_type of 'cuda', but CUDA is not available") is a
    warning, and
    so is a framework's "Found no NVIDIA driver" on a Docker Compose service's log line
    ("api_1  | RuntimeError: ..."). Kubernetes: containerd's "no runtime for \"nvidia\" is
    configured" (an error); the scheduler's "Insufficient nvidia.com/gpu" and a pod that
    requests `nvidia.com/gpu` without a `runtimeClassName` while the driver is missing inside
    it (nvidia-smi not found, no NVIDIA driver) are warnings: the node's containers probably
    do not run under the NVIDIA runtime.

    Why it matters: the host's driver may be fine, but Docker has no NVIDIA runtime to hand the
    GPUs to the container: the NVIDIA Container Toolkit is not installed, or was installed
    without registering its runtime with this Docker daemon (or the daemon was not restarted).

    Example: `docker run --gpus all …` on a fresh Ubuntu host with driver 550 installed.

    Fix: install the NVIDIA Container Toolkit, then `sudo nvidia-ctk runtime configure
    --runtime=docker` and `sudo systemctl restart docker`.
    """
    said = next((e for e in s.reported_errors if e.signature in CONTAINER_SIGNS), None)
    if said is None:
        launched = _launched_without_gpu(s)
        if launched is not None:
            yield launched
            return
    severity: Literal["error", "warning"] = "error"
    if said is None and (s.host.container or _said(s, SAID_IN_CONTAINER)):
        # nvidia-smi missing inside a container (on a host whose driver the paste may show), or
        # the reporter saying the GPU is not seen there, or a framework finding no CUDA there
        # ("User provided device_type of 'cuda', but CUDA is not available"): started without
        # the GPU, the usual story (a warning)
        # (a program's "libcuda.so.1: cannot open shared object file" there too: the driver's
        # libraries are what the NVIDIA runtime mounts in, tensorflow/serving#660)
        # unless the start asked for the GPU (`--gpus all`: then the host's driver is the question)
        seen = (*GPU_NOT_SEEN, *CUDA_MISSING_IN_CONTAINER) + (
            () if _gpu_asked_for(s) else NO_DRIVER_SIGNS
        )
        said = next((e for e in s.reported_errors if e.signature in seen), None)
        severity = "warning"
        printed = [
            e
            for e in s.reported_errors
            if not e.harmless
            and not in_prose(e.signature)
            and e.signature not in CUDA_MISSING_IN_CONTAINER
            # the program's own raise after torch said CUDA is unavailable ("setup.py: Cuda is
            # not available") is that statement's consequence, not another cause
            and not (
                said is not None
                and said.signature in CUDA_MISSING_IN_CONTAINER
                and e.signature == UNRECOGNISED
            )
            # the no-driver line itself, read by other signatures too (DL201's "cannot open
            # shared object file"), is not another program's error
            and not (said is not None and said.signature in NO_DRIVER_SIGNS and e.text == said.text)
        ]
        if said is not None and said.signature not in SMI_MISSING and printed:
            return  # a program's own error is in the paste: its rules judge it
    compose = None
    if said is None:
        # a framework's "no NVIDIA driver" on a Compose service's log line
        said = compose = _compose_logged_no_driver(s)
        severity = "warning"  # the structure names the container; the cause is likely
    if said is None:
        return
    if in_prose(said.signature) or said.signature in K8S_LIKELY:
        severity = "warning"  # the reporter's words, not Docker's own line
    if said.signature in K8S_SIGNS:
        yield _k8s_runtime_finding(said, severity)
        return
    title, message = (
        _NO_DRIVER_IN_COMPOSE
        if compose is not None
        else CONTAINER_SIGNS.get(
            said.signature,
            _SMI_IN_CONTAINER if said.signature in SMI_MISSING else _NO_GPU_IN_CONTAINER,
        )
    )
    fixes: list[Action] = []
    if compose is not None:
        fixes.append(
            ManualStep(
                text="Give the service the GPU with all the capabilities CUDA needs, then "
                "recreate it.",
                commands=[
                    "# services.<name>.deploy.resources.reservations.devices: "
                    "[{driver: nvidia, count: all, capabilities: [gpu, compute, utility]}]",
                    "docker compose up -d --force-recreate",
                ],
                url="https://docs.docker.com/compose/how-tos/gpu-support/",
            )
        )
    if said.signature == EXTENSION_NO_CUDA:
        fixes.append(
            ManualStep(
                text="`docker build` has no GPU: to build CUDA extensions there, name the "
                "architectures and force the CUDA build, or make nvidia Docker's default "
                "runtime (which classic builds use); at `docker run`, pass `--gpus all`.",
                commands=[
                    '# Dockerfile: ENV TORCH_CUDA_ARCH_LIST="7.5;8.0;8.6;8.9;9.0" FORCE_CUDA=1',
                    "sudo nvidia-ctk runtime configure --runtime=docker --set-as-default",
                    "sudo systemctl restart docker",
                ],
            )
        )
    if said.signature not in ("docker-gpu-runtime-missing", "said-docker-runtime-unknown"):
        fixes.append(
            ManualStep(
                text="Start the container with the GPUs, and check that the host's driver "
                "answers: nvidia-smi on the host, then the same inside a CUDA container.",
                commands=[
                    "nvidia-smi",
                    "docker run --rm --gpus all nvidia/cuda:12.4.1-base-ubuntu22.04 nvidia-smi",
                ],
            )
        )
    yield finding(
        "DL109",
        title=title,
        message=message,
        severity=severity,
        evidence=[Evidence(fact=f"reported_errors.{said.signature}", found=first_line(said.text))],
        fixes=[
            *fixes,
            _install_container_toolkit(
                "Install the NVIDIA Container Toolkit (NVIDIA's package repository), "
                "register its runtime with Docker and restart the daemon."
            ),
        ],
        subject="docker",
    )


# Kubernetes: the node's containerd lacks the nvidia runtime, or no node offers the GPU resource
# (the latter is likely, not proved: the GPUs may also all be taken)
K8S_SIGNS = (
    "k8s-nvidia-runtime-missing",
    "k8s-no-gpu-resource",
    "k8s-device-plugin-no-nvml",
)
K8S_LIKELY = ("k8s-no-gpu-resource", "k8s-device-plugin-no-nvml")
# a framework finding no NVIDIA driver at all: inside a container, the driver (which lives on the
# host) was not passed in
NO_DRIVER_SIGNS = ("torch-no-nvidia-driver", "no-kernel-driver-running", "libcuda-not-found")
# nvcuda.dll, the Windows display driver's CUDA library, not found (cuda-init.toml)
DRIVER_DLL_MISSING = "windows-driver-dll-missing"
# Docker Compose's log prefix ("qna-transformers_1  | ", v2 "api-1  | "): the line comes from a
# program inside that service's container
_COMPOSE_PREFIX = re.compile(r"[a-z0-9][a-z0-9_.-]{0,60}[-_]\d{1,3}[ \t]+\|[ \t]")
_NO_DRIVER_IN_COMPOSE = (
    "The Compose service probably does not get the GPU",
    "A program inside a Docker Compose service finds no NVIDIA driver: the driver lives on the "
    "host and reaches the container only through the NVIDIA runtime, for a service whose "
    "device reservation asks for the GPU with the `gpu`, `compute` and `utility` capabilities.",
)


def _compose_logged_no_driver(s: Snapshot) -> ReportedError | None:
    """A framework's "no NVIDIA driver" printed on a Docker Compose service's log line: read
    from the line's structure (the service prefix), not from any words about a container."""
    return next(
        (
            e
            for e in s.reported_errors
            if e.signature in NO_DRIVER_SIGNS and _COMPOSE_PREFIX.match(e.text)
        ),
        None,
    )


def _k8s_runtime_finding(said: ReportedError, severity: Literal["error", "warning"]) -> Finding:
    """DL109 for a Kubernetes node whose pods do not run under the NVIDIA runtime."""
    title, message = CONTAINER_SIGNS[said.signature]
    return finding(
        "DL109",
        title=title,
        message=message,
        severity=severity,
        evidence=[Evidence(fact=f"reported_errors.{said.signature}", found=first_line(said.text))],
        fixes=[_K8S_RUNTIME_STEP, _install_container_toolkit(_K8S_TOOLKIT_TEXT)],
        subject="kubernetes",
    )


_K8S_RUNTIME_STEP = ManualStep(
    text="Run GPU pods under the NVIDIA runtime: give the pod `runtimeClassName: nvidia` (the "
    "GPU Operator creates that RuntimeClass), or make nvidia containerd's default runtime on "
    "the node; then check that the node offers nvidia.com/gpu.",
    commands=[
        "sudo nvidia-ctk runtime configure --runtime=containerd --set-as-default",
        "sudo systemctl restart containerd",
        "# nodes whose kubelet runs Docker: sudo nvidia-ctk runtime configure --runtime=docker "
        "--set-as-default && sudo systemctl restart docker",
        "kubectl describe node <node> | grep nvidia.com/gpu",
    ],
    url="https://github.com/NVIDIA/k8s-device-plugin#configure-containerd",
)
_K8S_TOOLKIT_TEXT = (
    "On each GPU node, install the NVIDIA Container Toolkit and register its runtime with "
    "containerd (or Docker), then restart it."
)


# the GPU did not arrive where the program ran: what frameworks, CUDA and nvidia-smi print
NO_GPU_SIGNS = (
    *GPU_NOT_SEEN,
    "torch-no-nvidia-driver",
    "torch-no-cuda-gpus",
    "no-cuda-capable-device",
    "libcuda-not-found",
    "no-kernel-driver-running",
    "no-nvidia-device-node",
    "cuinit-failed",
    "nvidia-smi-no-driver",
    "ngc-container-no-gpu",
)
_GPU_REQUEST = "container-spec-gpu-request"
SAID_IN_CONTAINER = "said-in-container"  # prose-distributed.toml
# torch.utils.cpp_extension: "No CUDA runtime is found, using CUDA_HOME=..." (a toolkit is there,
# torch sees no GPU): in a container, started without the GPU, or built by `docker build`,
# which has no GPU unless nvidia is Docker's default runtime
EXTENSION_NO_CUDA = "torch-extension-no-cuda-runtime"
UNRECOGNISED = "unrecognised-error"  # dlenv.importers.signatures.UNRECOGNISED
# a framework finding no CUDA at all: inside a container, the GPU was not passed in
CUDA_MISSING_IN_CONTAINER = (
    "torch-autocast-cuda-unavailable",
    "torch-cuda-unavailable-stated",
    EXTENSION_NO_CUDA,
)


# the loader failing on one of the driver's own libraries (libcuda, libnvidia-ml): inside a
# container these are mounted in by the NVIDIA runtime, and images may carry empty placeholders
# for them ("libnvidia-ml.so.1: file too short")
_DRIVER_LIB_FAILED = re.compile(
    r"\blib(?:cuda|nvidia-ml)\.so(?:\.\d{1,3}){0,3}: (?:file too short|invalid ELF header|"
    r"cannot open shared object file)"
)


def _no_gpu_sign(s: Snapshot) -> tuple[str, bool] | None:
    """The first line saying the GPU is not there (a pasted message, a framework's availability
    check that answered False, or the loader failing on the driver's own library), and whether a
    program said it (not only the reporter's words)."""
    said = [e for e in s.reported_errors if e.signature in NO_GPU_SIGNS]
    # nvidia-smi missing may be the image's own lack; the reporter's words are likely, not proof
    printed = next(
        (e for e in said if not in_prose(e.signature) and e.signature not in SMI_MISSING), None
    )
    if printed is None:
        printed = next((e for e in s.reported_errors if _DRIVER_LIB_FAILED.search(e.text)), None)
    if printed is not None:
        return first_line(printed.text, 200), True
    probe = next((p for p in s.live if p.gpu_available is False), None)
    if probe is not None:
        return f"{probe.framework}: no GPU available", True
    return (first_line(said[0].text, 200), False) if said else None


# how a container asks for the GPU: `docker run --gpus all`, the nvidia runtime, nvidia-docker,
# a Compose/Kubernetes GPU request
_GPU_ASKED = re.compile(
    r"--gpus\b|--runtime[= ]nvidia\b|\bnvidia-docker\b|--device[= ]nvidia\.com/gpu"
)


def _gpu_asked_for(s: Snapshot) -> bool:
    """The paste shows the container started with the GPU asked for (a `docker run` line that
    docker-run-without-gpu did not flag asks for it on a continuation line)."""
    run = any(_DOCKER_RUN.search(e.text) for e in s.reported_errors)
    return (
        _said(s, _GPU_REQUEST) is not None
        or any(_GPU_ASKED.search(e.text) for e in s.reported_errors)
        or (run and _said(s, "docker-run-without-gpu") is None)
    )


_DOCKER_RUN = re.compile(r"\b(?:docker|podman)[ \t]+(?:container[ \t]+)?run\b")


def _launched_without_gpu(s: Snapshot) -> Finding | None:
    """DL109 from how the container was started, read for what it lacks: a `docker run` line
    without `--gpus`/`--runtime=nvidia`/a CDI device, a Compose file or a Kubernetes manifest
    that requests no GPU, or `docker info` whose runtimes lack `nvidia`; judged only when the
    paste also shows the GPU missing where the program ran (a maintainer's "add --gpus all")."""
    sign = _no_gpu_sign(s)
    insufficient = next((e for e in s.reported_errors if e.signature == INSUFFICIENT), None)
    if sign is None and insufficient is not None and _insufficient_without_gpu(s, insufficient):
        sign = first_line(insufficient.text, 200), True
    pod = _said(s, "k8s-workload-spec")
    if sign is None and pod is not None and (fails := _said(s, SAID_FAILS_IN_CONTAINER)):
        sign = fails, False
    if sign is None:
        return None
    seen, printed = sign
    requested = _said(s, _GPU_REQUEST) is not None
    run = _said(s, "docker-run-without-gpu")
    compose = None if requested else _said(s, "compose-file")
    workload = None if requested else pod
    runtimes = _said(s, "docker-runtimes-without-nvidia")
    if run is not None or compose is not None:
        where, fact, found = "docker", "docker-run-without-gpu", run
        steps = [
            ManualStep(
                text="Start the container with the GPUs: `--gpus all` on `docker run`; in a "
                "Compose file, a device reservation under the service.",
                commands=[
                    "docker run --gpus all <image> ...",
                    "# compose: services.<name>.deploy.resources.reservations.devices: "
                    "[{driver: nvidia, count: all, capabilities: [gpu]}]",
                ],
                url="https://docs.docker.com/compose/how-tos/gpu-support/",
            )
        ]
        if run is None:
            fact, found = "compose-file", "a Compose service without a GPU device reservation"
        title = "The container was started without a GPU"
        message = (
            "The container is started without asking Docker for the GPU (no `--gpus`, "
            "`--runtime=nvidia` or device reservation), so the program inside finds none "
            "however good the host's driver is."
        )
    elif workload is not None:
        where, fact, found = "kubernetes", "k8s-workload-spec", workload
        steps = [
            ManualStep(
                text="Request the GPU in the container's resources (the NVIDIA device plugin "
                "or GPU Operator must run on the node).",
                commands=["# resources: {limits: {nvidia.com/gpu: 1}}"],
                url="https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/",
            )
        ]
        title = "The pod requests no GPU"
        message = (
            "The Kubernetes manifest gives its containers no `nvidia.com/gpu` resource, so "
            "they are started without a GPU."
        )
    elif (
        requested
        and pod is not None
        and _said(s, "k8s-runtime-class") is None
        and any(_said(s, sig) for sig in (*NO_DRIVER_SIGNS, *SMI_MISSING, SAID_FAILS_IN_CONTAINER))
    ):
        # the pod asks for nvidia.com/gpu but names no runtime class, and the driver itself is
        # missing inside (nvidia-smi absent, "no NVIDIA driver"): on containerd clusters (k3s,
        # k0s, microk8s, the GPU Operator) nvidia is often not the default runtime, and only the
        # NVIDIA runtime mounts the driver's files ("No CUDA GPUs are available" is not this)
        where, fact, found = "kubernetes", "k8s-workload-spec", pod
        steps = [_K8S_RUNTIME_STEP]
        title = "The pod probably does not run under the NVIDIA runtime"
        message = (
            "The pod requests nvidia.com/gpu but names no `runtimeClassName`: where nvidia is "
            "not the node's default container runtime, the container starts without the "
            "driver's files and devices, so nvidia-smi and CUDA find no GPU inside it."
        )
        printed = False  # read from the manifest's structure: likely, a warning
    elif runtimes is not None:
        where, fact, found = "docker", "docker-runtimes-without-nvidia", runtimes
        steps = []
        title = "Docker has no NVIDIA runtime registered"
        message = (
            "`docker info` lists no `nvidia` runtime: the NVIDIA Container Toolkit is not "
            "installed or not registered with this Docker daemon, so containers get no GPU."
        )
    else:
        return None
    return finding(
        "DL109",
        title=title,
        message=message,
        severity="error" if printed else "warning",  # only the reporter's words: likely
        evidence=[
            Evidence(fact=f"reported_errors.{fact}", found=found, needed="a GPU request"),
            Evidence(fact="gpu inside the container", found=seen, needed="the GPU"),
        ],
        fixes=[
            *steps,
            _install_container_toolkit(
                "On the host, the NVIDIA Container Toolkit gives Docker its GPUs: install "
                "it, register its runtime and restart the daemon."
            ),
        ],
        subject=where,
    )


@rule("DL110", "wsl1-has-no-gpu", "error", "driver", machine_wide=True)
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
    # the reporter asked a framework for the GPU (`torch.cuda.is_available()` -> False)
    wants_gpu += [
        p.framework for p in s.live if p.gpu_available is False and p.framework not in wants_gpu
    ]
    pasted = [e for e in s.reported_errors if not e.harmless]
    if not wants_gpu and not pasted:
        return
    # only the reporter's words (WSL 1 said in a GPU project's report): likely, not proven
    prose = not wants_gpu and all(in_prose(e.signature) for e in pasted)
    yield finding(
        "DL110",
        severity="warning" if prose else "error",
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
    # the reporter: "I installed nvidia-driver-535 inside WSL" (a WSL whose version is unstated)
    said = next((e for e in s.reported_errors if e.signature in SAID_WSL_DRIVER), None)
    if s.host.wsl != 2 and (s.host.wsl == 1 or said is None):
        return
    smi = next((e for e in s.reported_errors if e.signature == "nvidia-smi-no-driver"), None)
    module = s.driver.kernel_module_version or (
        "loaded" if s.visibility.nvidia_module_loaded else None
    )
    # CUDA finding no device under WSL2 while nothing else is known: most often a Linux
    # libcuda (from a driver package) found before /usr/lib/wsl/lib's; a likely cause, not proof
    # (libcuda not found at all is the opposite: a driver package would have brought one, so
    # the loader's path is the question, DL201's: bitsandbytes-foundation/bitsandbytes#17)
    no_device = next(
        (
            e
            for e in s.reported_errors
            if e.signature in ("no-cuda-capable-device", "torch-no-nvidia-driver")
        ),
        None,
    )
    if smi is None and module is None and no_device is None and said is None:
        return
    likely = smi is None and module is None
    evidence = [Evidence(fact="host.wsl", found=str(s.host.wsl or "WSL, version unstated"))]
    if said is not None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{said.signature}",
                found=first_line(said.text, 200),
                note="the reporter's words",
            )
        )
    if likely and no_device is not None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{no_device.signature}",
                found=first_line(no_device.text, 200),
                note="CUDA finds no GPU although the Windows driver provides it",
            )
        )
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
    what = (
        "the report says a Linux NVIDIA driver was installed inside the distribution (or that "
        "removing it helped)"
        if likely and said is not None
        else "CUDA finds no GPU, which under WSL2 usually means a Linux driver package's "
        "libcuda is found before the WSL one (check the commands below; an outdated Windows "
        "driver is the other cause)"
        if likely
        else "nvidia-smi here looks for a Linux kernel module, so a Linux driver package "
        "replaced the WSL one"
        if smi is not None
        else f"a Linux nvidia kernel module ({module}) is installed in the distribution"
    )
    yield finding(
        "DL108",
        title="A Linux NVIDIA driver inside WSL2 probably hides the Windows one"
        if likely
        else "A Linux NVIDIA driver is installed inside WSL2",
        message="This is WSL2, where CUDA comes from the Windows driver through /dev/dxg and "
        f"/usr/lib/wsl/lib; {what}. Its libraries shadow WSL's and CUDA cannot start.",
        severity="warning" if likely else None,
        evidence=evidence,
        hint="Never install a Linux display driver inside WSL2; the Windows driver is enough.",
        fixes=[
            ManualStep(
                text="Remove the Linux NVIDIA driver packages from the WSL distribution (the "
                "Windows driver stays), then restart WSL.",
                commands=[
                    "ldconfig -p | grep libcuda.so.1  # /usr/lib/wsl/lib must come first",
                    "dpkg -l | grep -E 'nvidia-(driver|utils|kernel)|libnvidia-compute'",
                    "sudo apt-get remove --purge '^nvidia-driver-.*' '^nvidia-utils-.*' "
                    "'^libnvidia-compute-.*'",
                    "wsl --shutdown  # from Windows, then open the distribution again",
                ],
                url="https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
            )
        ],
    )


# -- the kernel module: installed but not loaded (DL111), nvidia_uvm (DL112) -----------------
MODULE_NOT_FOUND = "modprobe-nvidia-not-found"
KEY_REJECTED = "modprobe-key-rejected"
SECURE_BOOT_SAID = "secure-boot-enabled"
DKMS_FAILED = "dkms-build-failed"
KERNEL_UPDATED = "kernel-updated"
SMI_NO_DRIVER = "nvidia-smi-no-driver"
NVML_NOT_LOADED = "nvml-driver-not-loaded"  # NVML/libnvidia-container: "driver not loaded"
WRONG_KERNEL = "modprobe-nvidia-wrong-kernel"  # Exec format error, disagrees about version
INSTALLER_LOAD = "nvidia-installer-module-load-failed"
# the module could not be built for the running kernel: DKMS's and nvidia-installer's words
BUILD_FAILED = (
    DKMS_FAILED,
    "dkms-autoinstall-nvidia-failed",
    "dkms-kernel-headers-missing",
    "nvidia-installer-cc-mismatch",
)
# say only that no module answers: not loaded, or no driver at all (DL103 when no driver is bound)
AMBIGUOUS_SIGNS = (SMI_NO_DRIVER, NVML_NOT_LOADED)
# each says the kernel module is not there for the running kernel, or was refused
NOT_LOADED_SIGNS = (
    KEY_REJECTED,
    MODULE_NOT_FOUND,
    WRONG_KERNEL,
    *BUILD_FAILED,
    INSTALLER_LOAD,
    KERNEL_UPDATED,
    *AMBIGUOUS_SIGNS,
)
UVM_MISSING = "nvidia-uvm-missing"
CUDA_UNKNOWN = ("cuda-error-unknown", "torch-cuda-unknown-error")
AFTER_SUSPEND = "gpu-lost-after-suspend"


def _said(s: Snapshot, signature: str) -> str | None:
    """The first line of a pasted message with this signature, or None."""
    e = next((e for e in s.reported_errors if e.signature == signature), None)
    return e.text.splitlines()[0][:200] if e is not None else None


def _family(s: Snapshot) -> str:
    """The package family of a Linux host: "debian", "fedora", "arch", "suse" or ""."""
    name = (s.host.distro or "").lower()
    for family, words in (
        ("debian", ("ubuntu", "debian", "mint", "pop", "elementary", "kali")),
        ("fedora", ("fedora", "rhel", "red hat", "centos", "rocky", "alma", "nobara")),
        ("arch", ("arch", "manjaro", "endeavour", "cachyos", "garuda")),
        ("suse", ("suse",)),
    ):
        if any(w in name for w in words):
            return family
    return ""


def _headers_command(s: Snapshot) -> str:
    return {
        "debian": "sudo apt install linux-headers-$(uname -r)",
        "fedora": 'sudo dnf install "kernel-devel-$(uname -r)"',
        "arch": "sudo pacman -S linux-headers nvidia-dkms  # the headers of your kernel package",
        "suse": "sudo zypper install kernel-default-devel",
    }.get(_family(s), "sudo apt install linux-headers-$(uname -r)  # dnf: kernel-devel-$(uname -r)")


def _rebuild_step(s: Snapshot, kernel: str | None) -> ManualStep:
    on = f" ({kernel})" if kernel else ""
    commands = [_headers_command(s)]
    if _family(s) == "fedora":
        commands.append("sudo akmods --force --kernels $(uname -r)  # RPM Fusion's akmod-nvidia")
    commands += [
        "sudo dkms autoinstall -k $(uname -r)  # or: sudo dkms install nvidia/<version> -k "
        "$(uname -r)",
        "sudo modprobe nvidia && nvidia-smi",
    ]
    return ManualStep(
        text=f"Build the NVIDIA kernel module for the running kernel{on}: install that kernel's "
        "headers, let DKMS rebuild the module, then load it (or reboot into the kernel it was "
        "built for: `dkms status` lists them).",
        commands=commands,
        url="https://docs.nvidia.com/cuda/cuda-installation-guide-linux/",
    )


def _secure_boot_step() -> ManualStep:
    return ManualStep(
        text="Secure Boot refuses the unsigned NVIDIA module: enrol the key DKMS signs it with "
        "(reboot, choose 'Enroll MOK' in the blue MOK manager and enter the password you set), "
        "or disable Secure Boot in the firmware settings.",
        commands=[
            "mokutil --sb-state",
            "sudo mokutil --import /var/lib/shim-signed/mok/MOK.der  # Fedora: "
            "/etc/pki/akmods/certs/public_key.der",
            "sudo reboot",
        ],
        url="https://wiki.debian.org/SecureBoot#MOK_-_Machine_Owner_Key",
    )


@rule(
    "DL111",
    "driver-module-not-loaded",
    "error",
    "driver",
    machine_wide=True,
    # the module does not load because the driver ignores the GPU, or the GPU failed
    explained_by=("DL113", "DL114"),
)
def driver_module_not_loaded(s: Snapshot) -> Iterator[Finding]:
    """What it checks: an NVIDIA driver that is installed but whose kernel module is not loaded:
    Secure Boot refused it ("Key was rejected by service"), there is no module for the running
    kernel ("Module nvidia not found in directory /lib/modules/<kernel>", DKMS built it only for
    the previous kernel, or the build failed for want of kernel headers), or the kernel was
    updated and the machine not rebooted. nvidia-smi being there but saying "NVIDIA-SMI has
    failed because it couldn't communicate with the NVIDIA driver" is this too (outside WSL and
    without nouveau). "no CUDA-capable device is detected" on a machine the reporter says nothing
    was changed on ("it worked yesterday", "started failing today"), with CUDA_VISIBLE_DEVICES
    unset and outside a container, is a warning: an update waiting for a reboot is the likely
    cause. The reporter's words give a warning when a symptom ("the NVIDIA driver stopped
    working", "the nvidia module is not loaded") and a context ("after a kernel update", "after
    updates and a reboot", "works without Secure Boot") are both stated; neither alone does.
    On native Windows (read from the paste's paths), CUDA's "unknown error" (999) at start-up
    is a warning that the display driver did not start (Device Manager's Code 52, 43 or 31).

    Why it matters: with no kernel module nothing can use the GPU: nvidia-smi fails and every
    framework reports no driver or no device, although the driver packages are installed. It
    typically starts after a kernel update or on a machine with Secure Boot on.

    Example: Ubuntu updated the kernel to 6.8.0-45-generic overnight; `modprobe nvidia` says
    "Module nvidia not found in directory /lib/modules/6.8.0-45-generic".

    Fix: the one that fits the cause: enrol the module signing key (`sudo mokutil --import
    /var/lib/shim-signed/mok/MOK.der`, reboot, enrol) or disable Secure Boot; install the
    running kernel's headers (`sudo apt install linux-headers-$(uname -r)`) and rebuild with
    `sudo dkms autoinstall`; or reboot into the kernel the module was built for.
    """
    if s.host.wsl in (1, 2) or s.visibility.nouveau_loaded or s.driver.library_mismatch:
        return  # DL110/DL108, DL104 and DL105 name those causes
    if s.visibility.nvidia_module_loaded is True or _driven(s):
        return  # the module is loaded: the driver answered (a GPU only named in prose is not)
    probed = _probed_not_loaded(s)
    if probed is not None:
        yield probed
        return
    windows = _windows_driver_not_started(s)
    if windows is not None:
        yield windows
        return
    signs = {sig: text for sig in NOT_LOADED_SIGNS if (text := _said(s, sig)) is not None}
    if not signs and (sudden := _no_device_unchanged(s)) is not None:
        signs[NO_DEVICE] = sudden
    # the reporter's words: the contexts (a kernel update, updates and a reboot) and the symptoms
    # ("the driver stopped working", "the nvidia module is not loaded")
    signs.update({sig: text for sig in SAID_KERNEL + SAID_SYMPTOMS if (text := _said(s, sig))})
    secure_sig = next((sig for sig in (SECURE_BOOT_SAID, SAID_SECURE) if _said(s, sig)), None)
    secure = _said(s, secure_sig) if secure_sig else None
    # "Secure Boot keeps the driver from loading" / "it works with Secure Boot off" states the
    # failure and its cause at once: a sign by itself (a warning, as the reporter's words)
    blocked = _said(s, SAID_SECURE)
    if not signs and blocked is not None:
        signs[SAID_SECURE] = blocked
    if not signs or (set(signs) <= set(AMBIGUOUS_SIGNS) and _unbound_gpus(s)):
        return  # only "nvidia-smi has failed" beside a GPU with no driver bound: DL103's
    contexts = {KERNEL_UPDATED, SECURE_BOOT_SAID, SAID_SECURE, *SAID_KERNEL}
    failures = [e for e in s.reported_errors if not e.harmless and e.signature not in contexts]
    if set(signs) <= contexts and not failures and SAID_SECURE not in signs:
        return  # "after a kernel update" with nothing failing says nothing is wrong
    if set(signs) <= set(SAID_SYMPTOMS) and secure is None:
        return  # "the driver stopped working" alone names no cause
    gpu_missing = any(e.signature in (*SAID_SYMPTOMS, *NO_GPU_SIGNS) for e in failures)
    only_said = set(signs) <= contexts | set(SAID_SYMPTOMS) and not gpu_missing
    if (
        only_said
        and KERNEL_UPDATED not in signs
        and secure_sig != SECURE_BOOT_SAID
        and SAID_SECURE not in signs
    ):
        return  # the reporter's context beside a failure that is not a missing GPU
    # a program's own line (not only the reporter's words) makes it an error
    printed = any(not in_prose(e.signature) for e in failures)
    likely = NO_DEVICE in signs or not printed
    evidence = [
        Evidence(fact=f"reported_errors.{sig}", found=text, needed="the nvidia module loaded")
        for sig, text in signs.items()
    ]
    fixes: list[Action] = []
    kernel = s.host.kernel
    if KEY_REJECTED in signs or secure:
        if secure:
            evidence.append(Evidence(fact=f"reported_errors.{secure_sig}", found=secure))
        why = "Secure Boot refused to load it (the module is not signed with an enrolled key)"
        fixes.append(_secure_boot_step())
    elif {MODULE_NOT_FOUND, WRONG_KERNEL, *BUILD_FAILED} & set(signs):
        why = (
            "the module on disk was built for another kernel"
            if WRONG_KERNEL in signs and MODULE_NOT_FOUND not in signs
            else "there is no module built for the running kernel"
        ) + (f" {kernel}" if kernel else "")
        fixes.append(_rebuild_step(s, kernel))
    elif NO_DEVICE in signs:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{UNCHANGED_SAID}",
                found=_said(s, UNCHANGED_SAID),
                note="the reporter: it worked, nothing was changed",
            )
        )
        why = (
            "CUDA finds no device on a machine where, the reporter says, nothing was changed; "
            "CUDA_VISIBLE_DEVICES is not set and this is no container, so the usual cause is an "
            "automatic kernel or driver update whose module loads only after a reboot (or a "
            "fresh install not yet rebooted)"
        )
        fixes.append(
            ManualStep(
                text="Check whether the nvidia module is loaded and built for the running "
                "kernel; reboot if an update is pending.",
                commands=["lsmod | grep nvidia", "uname -r; dkms status", "sudo reboot"],
            )
        )
        fixes.append(_rebuild_step(s, kernel))
    elif KERNEL_UPDATED in signs or any(sig in signs for sig in SAID_KERNEL):
        why = "the kernel was updated and the module was built for the previous one"
        fixes.append(
            ManualStep(
                text="Reboot if the update is still pending; if the new kernel is running, "
                "rebuild the module for it.",
                commands=["sudo reboot"],
            )
        )
        fixes.append(_rebuild_step(s, kernel))
    else:
        why = (
            "nvidia-smi is installed but finds no kernel module: it was not built for the "
            "running kernel, or Secure Boot refused it"
        )
        fixes.append(
            ManualStep(
                text="Find out why the module does not load: Secure Boot state, what DKMS built "
                "for which kernel, and the kernel log.",
                commands=[
                    "mokutil --sb-state",
                    "dkms status; uname -r",
                    "sudo modprobe nvidia; sudo dmesg | grep -iE 'nvidia|nvrm' | tail",
                ],
            )
        )
        fixes.append(_rebuild_step(s, kernel))
        fixes.append(_secure_boot_step())
    yield finding(
        "DL111",
        title="The NVIDIA driver is installed but its kernel module is not loaded"
        if not likely
        else "The NVIDIA kernel module is probably not loaded (an update waiting for a reboot)"
        if NO_DEVICE in signs
        else "The NVIDIA kernel module is probably not loaded",
        message=f"The NVIDIA kernel module is {'probably ' if likely else ''}not "
        f"loaded: {why}. Until it loads, nvidia-smi "
        "fails and no framework can use the GPU.",
        severity="warning" if likely else None,
        evidence=evidence,
        hint="This usually follows a kernel update, or a first install on a machine with "
        "Secure Boot on.",
        fixes=fixes,
        subject="nvidia-kernel-module",
    )


def _windows_driver_not_started(s: Snapshot) -> Finding | None:
    """CUDA's "unknown error" (999) at start-up on native Windows: there is no nvidia_uvm to
    reload there (DL112 is Linux's); the display driver itself did not start, which Device
    Manager shows as a problem code on the adapter (52: its signature could not be verified,
    43: it reported a failure, 31: it could not load). A warning: read from the platform."""
    if not native_windows(s):
        return None
    unknown = next((t for sig in CUDA_UNKNOWN if (t := _said(s, sig))), None)
    if unknown is None:
        return None
    return finding(
        "DL111",
        title="The NVIDIA driver probably did not start on this Windows machine",
        message="CUDA failed to start with its unknown error (999) on native Windows, where "
        "no nvidia_uvm module exists to blame: the display driver itself probably did not "
        "start. Device Manager shows why on the NVIDIA adapter (Code 52: its signature could "
        "not be verified; Code 43: it reported a failure; Code 31: it could not load); a clean "
        "reinstall of the driver is the usual cure.",
        severity="warning",
        evidence=[
            Evidence(
                fact="reported_errors.cuda-error-unknown",
                found=unknown,
                needed="the NVIDIA display driver running",
            ),
            Evidence(fact="host.os", found="Windows", note="read from the paste's paths"),
        ],
        hint="It often starts after a Windows update replaced or blocked the NVIDIA driver.",
        fixes=[
            ManualStep(
                text="Look at the NVIDIA adapter's status in Device Manager (or with pnputil); "
                "a problem code there confirms that the driver is not running.",
                commands=["pnputil /enum-devices /class Display /problem", "nvidia-smi"],
            ),
            ManualStep(
                text="Reinstall the NVIDIA driver with NVIDIA's installer ('Custom' > 'Perform "
                "a clean installation'), then restart Windows.",
                commands=[],
                url="https://www.nvidia.com/Download/index.aspx",
            ),
        ],
        subject="nvidia-kernel-module",
    )


NO_DEVICE = "no-cuda-capable-device"  # cudaErrorNoDevice: libcuda answered, no device
UNCHANGED_SAID = "broke-without-change-stated"


def _no_device_unchanged(s: Snapshot) -> str | None:
    """ "no CUDA-capable device" on a machine the reporter says nothing was changed on: the
    user-space driver answered (libcuda loaded), so the kernel side is missing; with
    CUDA_VISIBLE_DEVICES unset and no container, a maintainer's first guess is an automatic
    kernel or driver update whose module waits for a reboot."""
    said = _said(s, NO_DEVICE)
    if said is None or _said(s, UNCHANGED_SAID) is None:
        return None
    if s.visibility.cuda_visible_devices is not None or s.host.container is not None:
        return None  # DL303's and DL109's questions first
    return said


def _probed_not_loaded(s: Snapshot) -> Finding | None:
    """DL111 from what the probes saw: a GPU on the bus, driver files installed, no module
    loaded; the cause from Secure Boot's state, the module files for the running kernel, DKMS's
    builds and the kernel headers."""
    v, dkms = s.visibility, s.driver.dkms
    devices = [d for d in v.nvidia_pci_devices if d.kernel_driver != "vfio-pci"]
    if v.nvidia_module_loaded is not False or s.driver.installed is not True or not devices:
        return None
    kernel = dkms.kernel or s.host.kernel
    evidence = [
        Evidence(fact="visibility.nvidia_module_loaded", found="false", needed="true"),
        Evidence(fact="driver.installed", found="true", note="driver files are installed"),
    ]
    fixes: list[Action] = []
    others = sorted({b.kernel for b in dkms.builds or [] if b.kernel != kernel})
    if dkms.module_files and s.host.secure_boot:
        why = (
            f"a module for {kernel or 'the running kernel'} is installed, but Secure Boot is on "
            "and refuses it unless its signing key is enrolled"
        )
        evidence.append(Evidence(fact="host.secure_boot", found="true"))
        evidence.append(Evidence(fact="driver.dkms.module_files", found=dkms.module_files[0]))
        fixes.append(_secure_boot_step())
    elif dkms.module_files == []:
        why = f"there is no nvidia module for the running kernel {kernel or ''}".rstrip()
        if others:
            why += f"; DKMS built it only for {', '.join(others)}"
        evidence.append(
            Evidence(
                fact="driver.dkms.module_files",
                found="none",
                needed=f"nvidia.ko for {kernel or 'the running kernel'}",
            )
        )
        if dkms.headers is False:
            why += ", and this kernel's headers, which DKMS needs to build it, are not installed"
            evidence.append(Evidence(fact="driver.dkms.headers", found="false", needed="true"))
        fixes.append(_rebuild_step(s, kernel))
        if others:
            fixes.append(
                ManualStep(
                    text=f"Or reboot into a kernel the module was built for ({', '.join(others)})"
                    " from the boot menu.",
                    commands=["sudo reboot"],
                )
            )
    else:
        why = "a module is installed but was not loaded (the kernel log says why)"
        fixes.append(
            ManualStep(
                text="Load the module and read the kernel's reason if it refuses.",
                commands=[
                    "sudo modprobe nvidia",
                    "sudo dmesg | grep -iE 'nvidia|nvrm' | tail",
                    "mokutil --sb-state",
                ],
            )
        )
    return finding(
        "DL111",
        title="The NVIDIA driver is installed but its kernel module is not loaded",
        message=f"The NVIDIA kernel module is not loaded: {why}. Until it loads, nvidia-smi "
        "fails and no framework can use the GPU.",
        evidence=evidence,
        hint="This usually follows a kernel update, or a first install on a machine with "
        "Secure Boot on.",
        fixes=fixes,
        subject="nvidia-kernel-module",
    )


def _probed_uvm(s: Snapshot) -> tuple[str, list[Evidence]] | None:
    """Why the probes say nvidia_uvm is unavailable, or None. nvidia_uvm not loaded on its own
    is normal (libcuda loads it through nvidia-modprobe on first use), so it counts when a
    framework then failed to find the GPU, or when a container has the GPU's nodes but not
    /dev/nvidia-uvm."""
    v = s.visibility
    if v.nvidia_module_loaded is not True:
        return None
    failed = [p for p in s.live if p.gpu_available is False and p.status == "ok"]
    if v.nvidia_uvm_loaded is False and failed:
        p = failed[0]
        return "the nvidia_uvm module is not loaded", [
            Evidence(fact="visibility.nvidia_uvm_loaded", found="false", needed="true"),
            Evidence(
                fact=f"live.{p.framework}.gpu_available",
                found="false",
                note=p.gpu_unavailable_reason,
            ),
        ]
    nodes = {n.path for n in v.device_nodes}
    if s.host.container and "/dev/nvidiactl" in nodes and "/dev/nvidia-uvm" not in nodes:
        return "/dev/nvidia-uvm is not passed into this container", [
            Evidence(
                fact="visibility.device_nodes", found="no /dev/nvidia-uvm", needed="/dev/nvidia-uvm"
            )
        ]
    return None


@rule("DL112", "nvidia-uvm-unavailable", "error", "driver", machine_wide=True)
def nvidia_uvm_unavailable(s: Snapshot) -> Iterator[Finding]:
    """What it checks: the nvidia_uvm kernel module (Unified Memory, which CUDA needs besides
    the core nvidia module) not loaded or its /dev/nvidia-uvm device missing; and CUDA's
    "unknown error" at start-up (cuInit 999, `CUDA_ERROR_UNKNOWN`, cudaErrorUnknown / error 30,
    PyTorch's "CUDA unknown error - this may be due to an incorrectly set up environment"),
    above all after a suspend and resume. The reporter's words alone ("the GPU is unavailable
    after the computer wakes up", "reloading nvidia_uvm fixed it", "add nvidia_uvm to dkms",
    "/dev/nvidia-uvm was not created") give a warning. Not on native Windows or WSL 2, which
    have no nvidia_uvm.

    Why it matters: nvidia-smi works and shows the GPU, yet every CUDA program fails to start or
    silently runs on the CPU. nvidia_uvm is loaded on demand by nvidia-modprobe, which sandboxes
    (Flatpak, containers) and some distributions do not run, and it is known to break on
    suspend/resume until it is reloaded.

    Example: after waking a laptop from sleep, Ollama and PyTorch fall back to the CPU with
    "cudart init failure: 999" until a reboot.

    Fix: reload the module (`sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm`, with no CUDA
    program running; or `sudo nvidia-modprobe -u -c=0`), pass `/dev/nvidia-uvm` into the
    sandbox or container, or reboot.
    """
    if s.host.wsl == 2 or s.driver.library_mismatch or native_windows(s):
        return  # WSL2 and Windows have no nvidia_uvm (DL111 judges Windows); a mismatch: DL105
    if s.visibility.nvidia_module_loaded is False and not _said(s, UVM_MISSING):
        return  # the core module is missing: DL111's
    missing = _said(s, UVM_MISSING)
    said_missing = _said(s, SAID_UVM_MISSING)
    suspend_sig = next((sig for sig in (AFTER_SUSPEND, SAID_SUSPEND) if _said(s, sig)), None)
    suspend = _said(s, suspend_sig) if suspend_sig else None
    unknown = next((t for sig in CUDA_UNKNOWN if (t := _said(s, sig))), None)
    probed = _probed_uvm(s)
    # the reporter: "reloading nvidia_uvm fixed it" (the module was missing or broken)
    reloaded = _said(s, SAID_UVM_FIXED)
    if not (missing or suspend or unknown or probed or reloaded or said_missing):
        return
    # only the reporter's words in prose-driver.toml: likely, a warning
    likely = not (missing or unknown or probed) and suspend_sig != AFTER_SUSPEND
    evidence: list[Evidence] = []
    if reloaded:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{SAID_UVM_FIXED}",
                found=reloaded,
                note="the reporter's words: reloading nvidia_uvm cured it",
            )
        )
    if probed is not None:
        missing = missing or probed[0]
        evidence.extend(probed[1])
    if said_missing and not missing:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{SAID_UVM_MISSING}",
                found=said_missing,
                note="the reporter's words: nvidia_uvm not built or /dev/nvidia-uvm not created",
            )
        )
    if missing and probed is None:
        evidence.append(
            Evidence(
                fact=f"reported_errors.{UVM_MISSING}", found=missing, needed="nvidia_uvm loaded"
            )
        )
    if unknown:
        evidence.append(
            Evidence(
                fact="reported_errors.cuda-error-unknown",
                found=unknown,
                note="CUDA's unknown error at start-up: nvidia_uvm missing or broken",
            )
        )
    if suspend:
        evidence.append(Evidence(fact=f"reported_errors.{suspend_sig}", found=suspend))
    reload = ManualStep(
        text="Reload nvidia_uvm (stop every CUDA program first), or reboot.",
        commands=[
            "sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm",
            "sudo nvidia-modprobe -u -c=0  # loads nvidia_uvm and creates /dev/nvidia-uvm",
        ],
        url="https://github.com/ollama/ollama/blob/main/docs/troubleshooting.md",
    )
    fixes: list[Action] = [reload]
    if said_missing and not (missing or suspend or unknown or reloaded):
        why = "the report says nvidia_uvm is not built (DKMS) or /dev/nvidia-uvm is not created"
        fixes.append(
            ManualStep(
                text="Build nvidia_uvm with the driver's kernel modules for the running kernel "
                "(the DKMS package must include it), then load it at boot.",
                commands=[
                    "dkms status  # nvidia (and its uvm module) built for $(uname -r)?",
                    "modinfo nvidia_uvm && sudo modprobe nvidia_uvm",
                    "echo nvidia_uvm | sudo tee /etc/modules-load.d/nvidia-uvm.conf",
                ],
            )
        )
    elif missing:
        why = (
            probed[0]
            if probed is not None
            else "the nvidia_uvm module is not loaded or /dev/nvidia-uvm is missing"
        )
        fixes.append(
            ManualStep(
                text="Load nvidia_uvm at every boot, and pass its device into sandboxes and "
                "containers that start CUDA programs.",
                commands=[
                    "echo nvidia_uvm | sudo tee /etc/modules-load.d/nvidia-uvm.conf",
                    "docker run --device /dev/nvidia-uvm --device /dev/nvidia-uvm-tools …  "
                    "# or --gpus all with the NVIDIA Container Toolkit",
                ],
            )
        )
    elif suspend:
        why = "nvidia_uvm breaks on suspend and resume"
        fixes.append(
            ManualStep(
                text="Keep it from breaking again: let the driver save video memory over "
                "suspend and enable NVIDIA's suspend services.",
                commands=[
                    "echo 'options nvidia NVreg_PreserveVideoMemoryAllocations=1' | sudo tee "
                    "/etc/modprobe.d/nvidia-power.conf",
                    "sudo systemctl enable nvidia-suspend.service nvidia-hibernate.service "
                    "nvidia-resume.service",
                ],
                url="https://download.nvidia.com/XFree86/Linux-x86_64/535.104.05/README/"
                "powermanagement.html",
            )
        )
    elif unknown:
        why = (
            "CUDA failed to start with its unknown error, the sign of a missing or broken "
            "nvidia_uvm"
        )
    else:
        why = "the report says reloading nvidia_uvm cured it, so it was missing or broken"
    yield finding(
        "DL112",
        title="CUDA cannot start: nvidia_uvm is probably not available"
        if likely
        else "CUDA cannot start: nvidia_uvm is not available",
        severity="warning" if likely else None,
        message=f"CUDA cannot initialise: {why}. nvidia-smi may still show the GPU, but every "
        "CUDA program fails or falls back to the CPU.",
        evidence=evidence,
        hint="Typical after a suspend/resume, in a sandbox (Flatpak, a container) without "
        "/dev/nvidia-uvm, or where nothing ran nvidia-modprobe.",
        fixes=fixes,
        subject="nvidia_uvm",
    )
