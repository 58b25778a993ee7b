"""Typed fix actions the rules propose, computed from the facts (variant that fits the driver…).

Kept apart from the rules so that every rule proposes the same command for the same remedy.
"""

from __future__ import annotations

from dlenv.fix.actions import Action, InstallPackages, ManualStep
from dlenv.kb.queries import (
    best_torch_variant,
    driver_at_least,
    gpu_compute_capability,
    major_minor,
    newest_torch_for,
    torch_index_url,
    version_at_least,
)
from dlenv.rules.derived import base_version, driver_version, os_name, usable_gpus
from dlenv.snapshot.model import FrameworkFacts, Snapshot

DRIVER_URL = "https://www.nvidia.com/drivers"


def gpu_capabilities(s: Snapshot) -> list[str]:
    ccs = [gpu_compute_capability(g.name, g.compute_capability) for g in usable_gpus(s)]
    return [c for c in ccs if c]


def torch_variant_fix(
    s: Snapshot,
    torch: FrameworkFacts,
    reason: str,
    driver: str | None = None,
    max_cuda: str | None = None,
) -> InstallPackages | None:
    """Reinstall this torch release from the CUDA variant that fits the driver (or `driver`, a
    lower bound of it) and the GPUs; with `max_cuda` (the newest CUDA the driver runs, where the
    framework itself said the driver is too old), only a variant built with CUDA <= it, taken
    from an older release when this one has none."""
    if not torch.version:
        return None
    drv = driver or driver_version(s)
    ccs = gpu_capabilities(s)
    variant = best_torch_variant(torch.version, drv, os_name(s), ccs, max_cuda)
    version = base_version(torch.version)
    if variant is None and max_cuda is not None:
        older = newest_torch_for(drv, os_name(s), ccs, max_cuda, below=torch.version)
        if older is None:
            return None
        release, variant = older
        return _torch_release(
            release.version,
            variant.name,
            f"{reason}; no build of torch {version} is for CUDA <= {max_cuda}, the newest "
            f"release that has one is torch {release.version}+{variant.name} (CUDA "
            f"{variant.cuda}; reinstall torchvision/torchaudio from the same index)",
        )
    if variant is None or variant.name == torch.variant:
        return None
    return InstallPackages(
        packages=[f"torch=={version}"],
        uninstall=["torch"],
        index_url=torch_index_url(variant.name),
        reason=f"{reason}; torch {version}+{variant.name} is built with CUDA "
        f"{variant.cuda} (reinstall torchvision/torchaudio from the same index)",
    )


def tensorflow_and_cuda_fix(tf: FrameworkFacts, reason: str) -> InstallPackages | None:
    """`tensorflow[and-cuda]==X.Y.*`: TensorFlow with NVIDIA's CUDA wheels (Linux, TF >= 2.14)."""
    if not version_at_least(tf.version, "2.14"):
        return None
    mm = major_minor(tf.version)
    assert mm is not None  # version_at_least parsed it
    uninstall = [tf.distribution] if tf.distribution != "tensorflow" else []
    return InstallPackages(
        packages=[f"tensorflow[and-cuda]=={mm[0]}.{mm[1]}.*"],
        uninstall=uninstall,
        reason=reason,
    )


def driver_install_step(minimum: str | None, installed: str | None = None) -> ManualStep:
    """Install a driver of at least `minimum`; never one the machine already has: where the
    `installed` driver meets `minimum`, the step asks for one newer than it instead."""
    if minimum and installed and driver_at_least(installed, minimum):
        need = f" newer than the installed {installed}"
    else:
        need = f" {minimum} or newer" if minimum else ""
    return ManualStep(
        text=f"Install the NVIDIA driver{need} for your GPU (distribution package or NVIDIA's "
        "installer), then reboot.",
        commands=["sudo ubuntu-drivers install  # Ubuntu; other distributions: see the URL"],
        url=DRIVER_URL,
    )


def build_for_old_gpu(s: Snapshot, fw: FrameworkFacts, cc: str) -> Action | None:
    """A build that still runs on a GPU of compute capability `cc`: the newest torch release
    with code for it (or, when none has, the CPU build), the newest TensorFlow release whose
    CUDA still supports it."""
    from dlenv.kb.queries import cuda_arch_support
    from dlenv.kb.tables import load

    if fw.name == "torch":
        found = newest_torch_for(driver_version(s), os_name(s), [cc])
        if found is None:
            return InstallPackages(
                packages=["torch"],
                uninstall=["torch"],
                index_url=torch_index_url("cpu"),
                reason=f"no CUDA build of torch runs on compute capability {cc}: the CPU build",
            )
        release, variant = found
        return InstallPackages(
            packages=[f"torch=={release.version}.*"],
            uninstall=["torch"],
            index_url=torch_index_url(variant.name),
            reason=f"torch {release.version}+{variant.name} (CUDA {variant.cuda}) is the newest "
            f"release with code for compute capability {cc}",
        )
    if fw.name == "tensorflow":
        gpu = major_minor(cc)
        for tf in sorted(
            load().tensorflow, key=lambda r: major_minor(r.version) or (0, 0), reverse=True
        ):
            support = cuda_arch_support(tf.cuda)
            low = major_minor(support.min_cc) if support else None
            if gpu is not None and low is not None and low <= gpu:
                return InstallPackages(
                    packages=[f"tensorflow=={tf.version}.*"],
                    uninstall=[fw.distribution] if fw.distribution != "tensorflow" else [],
                    reason=f"tensorflow {tf.version} is built with CUDA {tf.cuda}, "
                    f"which still supports compute capability {cc} (install that CUDA and "
                    f"cuDNN {tf.cudnn} with it)",
                )
    return None


def _torch_release(release: str, variant: str, reason: str) -> InstallPackages:
    """Replace torch with another release's build from its variant's index."""
    return InstallPackages(
        packages=[f"torch=={release}.*"],
        uninstall=["torch"],
        index_url=torch_index_url(variant),
        reason=reason,
    )


def build_for_newer_gpu(s: Snapshot, cc: str) -> InstallPackages | None:
    """The newest torch release with code for a GPU that no variant of the installed one has."""
    found = newest_torch_for(driver_version(s), os_name(s), [cc])
    if found is None:
        return None
    release, variant = found
    mm = major_minor(cc)
    sm = f"sm_{mm[0]}{mm[1]}" if mm else cc
    return _torch_release(
        release.version,
        variant.name,
        f"no build of the installed release has code for {sm}; torch "
        f"{release.version}+{variant.name} (CUDA {variant.cuda}) does",
    )
