"""Typed fix actions the rules propose, computed from the facts (variant that fits the driver…).

Kept apart from the rules so that every rule proposes the same command for the same remedy.
"""

from __future__ import annotations

from dlenv.fix.actions import InstallPackages, ManualStep
from dlenv.kb.queries import (
    best_torch_variant,
    gpu_compute_capability,
    major_minor,
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
    s: Snapshot, torch: FrameworkFacts, reason: str, driver: str | None = None
) -> InstallPackages | None:
    """Reinstall this torch release from the CUDA variant that fits the driver (or `driver`, a
    lower bound of it) and the GPUs."""
    if not torch.version:
        return None
    drv = driver or driver_version(s)
    variant = best_torch_variant(torch.version, drv, os_name(s), gpu_capabilities(s))
    if variant is None or variant.name == torch.variant:
        return None
    return InstallPackages(
        packages=[f"torch=={base_version(torch.version)}"],
        uninstall=["torch"],
        index_url=torch_index_url(variant.name),
        reason=f"{reason}; torch {base_version(torch.version)}+{variant.name} is built with CUDA "
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


def driver_install_step(minimum: str | None) -> ManualStep:
    need = f" {minimum} or newer" if minimum else ""
    return ManualStep(
        text=f"Install the NVIDIA driver{need} for your GPU (distribution package or NVIDIA's "
        "installer), then reboot.",
        commands=["sudo ubuntu-drivers install  # Ubuntu; other distributions: see the URL"],
        url=DRIVER_URL,
    )
