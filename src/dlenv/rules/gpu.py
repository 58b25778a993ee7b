"""Rules about the GPUs themselves: architectures a build lacks, GPUs too old for a CUDA major,
and CUDA_VISIBLE_DEVICES hiding them. Codes DL3xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import Action, SetEnv, UnsetEnv
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
from dlenv.rules.fixes import torch_variant_fix
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
    decides).

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
        subject=f"gpu{gpu.index}",
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
