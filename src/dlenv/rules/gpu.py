"""Rules about the GPUs themselves: architectures a build lacks, GPUs too old for a CUDA major,
and CUDA_VISIBLE_DEVICES hiding them. Codes DL3xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import Action, InstallPackages, ManualStep, SetEnv, UnsetEnv
from dlenv.kb.queries import (
    arch_fit,
    cuda_arch_support,
    gpu_compute_capability,
    installed_torch_variant,
    major_minor,
)
from dlenv.kb.tables import TorchVariant
from dlenv.rules.derived import (
    LIVE_WINS,
    cuda_build,
    label,
    live,
    os_name,
    usable_gpus,
    verdict,
)
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.fixes import build_for_old_gpu, torch_variant_fix
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import FrameworkFacts, GpuFacts, Snapshot


def _sm(cc: str) -> str:
    mm = major_minor(cc)
    return f"sm_{mm[0]}{mm[1]}" if mm else cc


def _capabilities(s: Snapshot) -> list[tuple[GpuFacts, str]]:
    out = []
    for gpu in usable_gpus(s):
        cc = gpu_compute_capability(gpu.name, gpu.compute_capability)
        if cc:
            out.append((gpu, cc))
    return out


def _kb_torch(s: Snapshot, torch: FrameworkFacts) -> tuple[TorchVariant, bool] | None:
    """The knowledge base's row for the installed torch (inferred: PyPI's default build)."""
    return installed_torch_variant(torch.version, torch.variant, torch.cuda_version, os_name(s))


def _x86_wheels(s: Snapshot) -> bool:
    """Whether the knowledge base's torch arch lists (those of the x86_64 wheels) apply."""
    return (s.host.arch or "x86_64").lower() in ("x86_64", "amd64")


@rule("DL301", "gpu-arch-not-in-build", "error", "gpu")
def gpu_arch_not_in_build(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that the installed torch CUDA build contains kernels for each GPU's
    compute capability (its arch list, from the live probe or the knowledge base; the
    knowledge base's lists are those of the x86_64 wheels, so on ARM hosts only the live probe
    decides). Binary compatibility within a major counts: sm_86 code runs on an sm_89 GPU, but
    not on sm_90; a list with only PTX for it (compute_XY, JIT-compiled at start-up) is a warning.

    Why it matters: PyTorch warns "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not
    compatible with the current PyTorch installation" and kernels fail with "CUDA error: no
    kernel image is available for execution on the device".

    Example: torch 2.6.0+cu124 (sm_50 … sm_90) on an RTX 5090 (sm_120).

    Fix: install a variant compiled for the GPU: `pip install torch==2.8.0 --index-url
    https://download.pytorch.org/whl/cu128`.
    """
    torch = s.framework("torch")
    if torch is None or cuda_build(torch) is False:
        return
    probe = live(s, "torch")
    built = f"the arch list of {label(torch)}"
    if probe is not None and probe.arch_list:
        arch, source = tuple(probe.arch_list), LIVE_WINS
    else:
        # cuda_build unknown: only an untagged Linux version, read as PyPI's default build
        found = _kb_torch(s, torch)
        if found is None or found[0].arch_list is None or (not found[1] and not cuda_build(torch)):
            return
        if not _x86_wheels(s):
            return  # the KB's lists are the x86_64 wheels'; ARM builds (GH200, Jetson) differ
        variant, inferred = found
        assert variant.arch_list is not None  # checked above
        arch, source = variant.arch_list, None
        if inferred:
            built += f" (assumed: PyPI's default build, {variant.name}, CUDA {variant.cuda})"
    for gpu, cc in _capabilities(s):
        fit = arch_fit(arch, cc)
        if fit in (None, "native"):
            continue
        fixes: list[Action] = []
        fix = torch_variant_fix(s, torch, f"{gpu.name or 'the GPU'} is {_sm(cc)}")
        if fix is None:
            fix = build_for_newer_gpu(s, cc)  # no variant of this release has code for it
        if fix is not None:
            fixes.append(fix)
        supported = " ".join(a for a in arch if a.startswith("sm_"))
        message = (
            f"{gpu.name or f'GPU {gpu.index}'} with CUDA capability {_sm(cc)} is not compatible "
            f"with the current PyTorch installation ({label(torch)}). The current PyTorch "
            f"install supports CUDA capabilities {supported}."
        )
        if fit == "ptx":
            message += " Only PTX can be JIT-compiled for it: slow start-up, some kernels fail."
        yield finding(
            "DL301",
            title=f"{label(torch)} has no kernels for {gpu.name or 'GPU'} ({_sm(cc)})",
            message=message,
            severity="warning" if fit == "ptx" else "error",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.compute_capability",
                    found=_sm(cc),
                    needed=f"one of {supported}",
                    note=built,
                )
            ],
            fixes=fixes,
            subject=f"gpu{gpu.index}",
            confirmed_by=source,
        )


@rule("DL302", "gpu-too-old-for-cuda", "error", "gpu")
def gpu_too_old_for_cuda(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that each GPU's compute capability is still supported by the CUDA major a
    framework was built with (CUDA 12 dropped Kepler sm_35/sm_37; CUDA 13 dropped Maxwell,
    Pascal and Volta, sm_50 to sm_70).

    Why it matters: the framework sees the GPU but has no code for it: "no kernel image is
    available for execution on the device", or TensorFlow ignores the device ("Ignoring visible
    gpu device ... with Cuda compute capability 3.7").

    Example: a Tesla K80 (3.7) with tensorflow 2.16 (CUDA 12.3).

    Fix: install an older framework release built with a CUDA that still supports the GPU.
    """
    found = list(_too_old_for_cuda(s))
    yield from found
    if not found:
        yield from _torch_says_too_old(s)


def _torch_says_too_old(s: Snapshot) -> Iterator[Finding]:
    """DL302 on PyTorch's own "no longer supports this GPU because it is too old" when the
    CUDA build that would prove it is unknown (a pasted warning)."""
    probe = s.live_probe("torch")
    said = probe.details.get("gpu_too_old") if probe is not None else None
    gpus = _capabilities(s)
    if not said or not gpus or probe is None:
        return
    gpu, cc = gpus[0]
    minimum = probe.details.get("min_cuda_capability")
    yield finding(
        "DL302",
        title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is too old for this PyTorch",
        message=f"PyTorch reports that {gpu.name or 'the GPU'} (compute capability {cc}) is "
        "older than the oldest architecture it was built for"
        + (f" ({minimum})" if minimum else "")
        + "; it cannot run kernels on it.",
        evidence=[
            verdict("live.torch.details.gpu_too_old", said, "PyTorch's own verdict"),
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=cc,
                needed=f">={minimum}" if minimum else None,
            ),
        ],
        hint="Use a newer GPU, or a PyTorch release built with an older CUDA that still "
        "supports it (`dlenv kb gpu` and `dlenv kb torch` show which).",
        fixes=[fix] if (fix := _old_gpu_fix(s, "torch", cc)) else [],
        subject=f"gpu{gpu.index}",
    )


def _old_gpu_fix(s: Snapshot, name: str, cc: str) -> Action | None:
    fw = s.framework(name)
    return build_for_old_gpu(s, fw, cc) if fw is not None else None


def build_for_newer_gpu(s: Snapshot, cc: str) -> InstallPackages | None:
    """The newest torch release with code for a GPU that no variant of the installed one has."""
    from dlenv.kb.queries import newest_torch_for, torch_index_url
    from dlenv.rules.derived import driver_version, os_name

    found = newest_torch_for(driver_version(s), os_name(s), [cc])
    if found is None:
        return None
    release, variant = found
    return InstallPackages(
        packages=[f"torch=={release.version}.*"],
        uninstall=["torch"],
        index_url=torch_index_url(variant.name),
        reason=f"no build of the installed release has code for {_sm(cc)}; torch "
        f"{release.version}+{variant.name} (CUDA {variant.cuda}) does",
    )


def _too_old_for_cuda(s: Snapshot) -> Iterator[Finding]:
    gpus = _capabilities(s)
    if not gpus:
        return
    for fw in s.frameworks:
        if fw.name not in ("torch", "tensorflow", "jax") or not cuda_build(fw):
            continue
        if fw.name == "torch":
            found = _kb_torch(s, fw)
            probe = live(s, "torch")
            kb_list = found is not None and found[0].arch_list is not None and _x86_wheels(s)
            if kb_list or (probe is not None and probe.arch_list):
                continue  # DL301 judges torch from its exact arch list
        support = cuda_arch_support(fw.cuda_version)
        floor = major_minor(support.min_cc) if support else None
        if support is None or floor is None:
            continue
        for gpu, cc in gpus:
            mm = major_minor(cc)
            if mm is None or mm >= floor:
                continue
            yield finding(
                "DL302",
                title=f"{gpu.name or 'GPU'} ({_sm(cc)}) is too old for CUDA "
                f"{fw.cuda_version} ({label(fw)})",
                message=f"{label(fw)} is built with CUDA {fw.cuda_version}, which supports "
                f"compute capability {support.min_cc} and newer; {gpu.name or 'the GPU'} is "
                f"{cc}.",
                evidence=[
                    Evidence(
                        fact=f"gpus.{gpu.index}.compute_capability",
                        found=cc,
                        needed=f">={support.min_cc}",
                        note=f"needed by CUDA {fw.cuda_version} ({label(fw)})",
                    )
                ],
                hint="Use a release of the framework built with an older CUDA major.",
                fixes=[fix] if (fix := build_for_old_gpu(s, fw, cc)) else [],
                subject=f"gpu{gpu.index}",
            )


@rule("DL303", "cuda-visible-devices-hides-gpus", "error", "gpu")
def cuda_visible_devices_hides(s: Snapshot) -> Iterator[Finding]:
    """What it checks: whether CUDA_VISIBLE_DEVICES hides every GPU: empty, "-1", or naming
    indices/UUIDs that do not exist.

    Why it matters: every framework then reports no GPU ("CUDA_ERROR_NO_DEVICE: no CUDA-capable
    device is detected") although nvidia-smi shows them. An empty or -1 value is usually a
    leftover from a CPU-only job; an unknown index is usually a typo.

    Example: CUDA_VISIBLE_DEVICES=2 on a machine with GPUs 0 and 1.

    Fix: unset CUDA_VISIBLE_DEVICES or set it to existing GPU indices.
    """
    raw = s.visibility.cuda_visible_devices
    if raw is None or not s.gpus:
        return
    value = raw.strip()
    deliberate = value in ("", "-1")
    if not deliberate:
        first = value.split(",")[0].strip()
        indices = {str(g.index) for g in s.gpus}
        uuids = [g.uuid for g in s.gpus if g.uuid]
        # the driver stops at the first invalid entry, so the first entry decides
        if first.isdigit():
            if first in indices:
                return
        elif first.startswith(("GPU-", "MIG-")):
            if any(u.startswith(first) for u in uuids) or not uuids:
                return
        else:
            return
    existing = ",".join(str(g.index) for g in s.gpus)
    fixes: list[Action] = [UnsetEnv(name="CUDA_VISIBLE_DEVICES", reason="show every GPU")]
    if not deliberate:
        fixes.append(
            SetEnv(name="CUDA_VISIBLE_DEVICES", value=existing, reason="name GPUs that exist")
        )
    yield finding(
        "DL303",
        title=f"CUDA_VISIBLE_DEVICES={raw!r} hides every GPU",
        message=f"CUDA_VISIBLE_DEVICES is {raw!r}, so CUDA programs see no GPU although "
        f"{len(s.gpus)} exist (indices {existing}).",
        severity="warning" if deliberate else "error",
        evidence=[
            Evidence(
                fact="visibility.cuda_visible_devices",
                found=repr(raw),
                needed=f"unset, or indices among {existing}",
            )
        ],
        hint="An empty or -1 value is often left over from a CPU-only job."
        if deliberate
        else "GPU indices start at 0; the first invalid entry hides all that follow.",
        fixes=fixes,
    )


NO_KERNEL_IMAGE = "no-kernel-image"  # dlenv.importers.signatures: "no kernel image is available"
NO_KERNEL_TEXT = "no kernel image is available"


def _native_arch(arch: tuple[str, ...] | list[str], cc: str) -> str | None:
    """The entry of `arch` whose code runs on `cc` natively: same major, the highest minor not
    above the GPU's (binary compatibility within a major)."""
    mm = major_minor(cc)
    if mm is None:
        return None
    best: tuple[int, int] | None = None
    for entry in arch:
        kind, _, digits = entry.partition("_")
        if kind != "sm" or not digits.isdigit():
            continue
        major, minor = divmod(int(digits), 10)
        if major == mm[0] and minor <= mm[1] and (best is None or minor > best[1]):
            best = (major, minor)
    return f"{best[0]}.{best[1]}" if best else None


def _no_kernel_image(s: Snapshot) -> str | None:
    """The "no kernel image" error as the paste or torch's live probe quoted it."""
    for e in s.reported_errors:
        if e.signature == NO_KERNEL_IMAGE and e.framework in (None, "torch"):
            return e.text
    probe = live(s, "torch")
    if probe is not None:
        for text in (probe.error, *probe.messages):
            if text and NO_KERNEL_TEXT in text:
                return text
    return None


@rule("DL305", "extension-arch-not-in-build", "error", "gpu")
def extension_arch_not_in_build(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a "no kernel image is available for execution on the device" error on a
    GPU that the installed torch build does run on: its arch list has code for the GPU (the
    same major, a minor not above the GPU's: sm_86 runs on sm_89, not on sm_90). The kernel that
    failed is then not torch's but an extension's (a package with its own CUDA code, built for
    other architectures).

    Why it matters: "the build has no GPU code for this GPU" sends people to reinstall torch,
    which changes nothing; the extension has to be found and rebuilt for the GPU.

    Example: torch 2.0.1+cu117 (sm_37 … sm_86) on an RTX 4090 (sm_89), whose script fails with
    "CUDA error: no kernel image is available for execution on the device".

    Fix: rerun with `CUDA_LAUNCH_BLOCKING=1` so the traceback stops in the extension that
    failed; rebuild it with `TORCH_CUDA_ARCH_LIST` naming the architecture torch's CUDA can
    target for this GPU (8.6 with CUDA 11.7, which cannot target 8.9), or move to a torch with a
    CUDA that targets the GPU itself (CUDA 11.8 or newer for sm_89) and rebuild it there.
    """
    torch = s.framework("torch")
    said = _no_kernel_image(s)
    if torch is None or not cuda_build(torch) or said is None:
        return
    probe = live(s, "torch")
    if probe is not None and probe.arch_list:
        arch, source = tuple(probe.arch_list), LIVE_WINS
    else:
        known = _kb_torch(s, torch)
        if known is None or known[0].arch_list is None or not _x86_wheels(s):
            return  # without torch's arch list, whose kernel failed cannot be told
        arch, source = known[0].arch_list, None
    gpus = _capabilities(s)
    if not gpus or any(arch_fit(arch, cc) != "native" for _, cc in gpus):
        return  # torch itself lacks code for a GPU: DL301's verdict, not this one
    gpu, cc = gpus[0]
    target = _native_arch(arch, cc) or cc
    covered = f"sm_{target.replace('.', '')}"
    exact = target == ".".join(str(n) for n in major_minor(cc) or ())
    why = (
        ""
        if exact
        else f" ({label(torch)} carries no {_sm(cc)}: its CUDA targets {covered} for this GPU, "
        f"which runs there)"
    )
    yield finding(
        "DL305",
        title=f"A CUDA extension has no kernels for {gpu.name or 'the GPU'} ({_sm(cc)}); "
        f"{label(torch)} itself does",
        message=f"{label(torch)} runs on {gpu.name or 'this GPU'}: its arch list has {covered}, "
        f"and {covered} code runs on {_sm(cc)} (binary compatibility within a major). The "
        "kernel that failed comes from an extension built for other architectures.",
        evidence=[
            verdict(f"reported_errors.{NO_KERNEL_IMAGE}", said, "the error"),
            Evidence(
                fact=f"gpus.{gpu.index}.compute_capability",
                found=_sm(cc),
                needed=f"code for sm_{cc.replace('.', '')[0]}x up to {_sm(cc)}",
                note=f"{label(torch)} has {covered}",
            ),
        ],
        hint="Reinstalling torch changes nothing: find the extension and rebuild it for the GPU.",
        fixes=[
            ManualStep(
                text="Find the extension whose kernel fails: rerun with CUDA_LAUNCH_BLOCKING=1, "
                "and the traceback stops in the call that failed.",
                commands=["CUDA_LAUNCH_BLOCKING=1 python your_script.py"],
            ),
            ManualStep(
                text=f"Rebuild that extension from source with TORCH_CUDA_ARCH_LIST={target}"
                f"{why}; or move to a torch whose CUDA targets {_sm(cc)} and rebuild it there.",
                commands=[
                    f"export TORCH_CUDA_ARCH_LIST={target}",
                    "python -m pip install --no-build-isolation --no-cache-dir --force-reinstall "
                    "--no-binary :all: EXTENSION  # the package the traceback names",
                ],
            ),
        ],
        subject=f"gpu{gpu.index}",
        confirmed_by=source,
    )
