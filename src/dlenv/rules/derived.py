"""Facts the rules derive from a Snapshot (the OS, usable GPUs, a framework's CUDA build).

Each answer is None when the snapshot does not say, so that rules can stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.kb.queries import gpu_compute_capability, major_minor, parse_version
from dlenv.rules.findings import Evidence
from dlenv.snapshot.model import (
    Distribution,
    FrameworkFacts,
    GpuFacts,
    InstallFailure,
    LiveProbe,
    Snapshot,
)

FRAMEWORK_MODULES = ("torch", "tensorflow", "keras", "jax", "numpy", "tf_keras", "transformers")
LIVE_WINS = "live"


def os_name(s: Snapshot) -> str | None:
    """ "Linux", "Windows" or "Darwin"; from the host, else from the target's sys.platform."""
    if s.host.os:
        return s.host.os
    platform = (s.python.platform or "").lower()
    if platform.startswith("win"):
        return "Windows"
    if platform.startswith("linux"):
        return "Linux"
    if platform == "darwin":
        return "Darwin"
    return None


def native_windows(s: Snapshot) -> bool:
    return (os_name(s) or "").lower().startswith("win") and not s.host.wsl


# Messages a framework prints only while it tries to use a GPU it found (TensorFlow enumerates the
# visible GPUs, then dlopens the CUDA libraries for them): a pasted one stands for the GPU itself,
# unless the same paste says no driver could be found at all.
GPU_IN_USE_SIGNATURES = frozenset({"tf-cannot-dlopen-gpu-libraries", "tf-found-device"})
NO_DRIVER_SIGNATURES = frozenset(
    {"tf-cuda-drivers-not-found", "torch-no-nvidia-driver", "nvidia-smi-no-driver"}
)


def nvidia_gpu_present(s: Snapshot) -> bool:
    if s.gpus or s.visibility.nvidia_pci_devices:
        return True
    seen = {e.signature for e in s.reported_errors}
    return bool(seen & GPU_IN_USE_SIGNATURES) and not seen & NO_DRIVER_SIGNATURES


@dataclass(frozen=True, kw_only=True)
class GpuArchitecture:
    """A GPU's compute capability as the rules read it: stated, or the knowledge base's by name."""

    gpu: int  # the GPU's position in the snapshot's list
    compute_capability: str | None = None  # "8.6"; None when neither says
    by_name: bool = False  # looked up in the knowledge base from the GPU's name


def gpu_architectures(s: Snapshot) -> list[GpuArchitecture]:
    """Each GPU's compute capability: the one the driver or the paste states, else the knowledge
    base's for the GPU's name (the same lookup the architecture rules use), marked as such."""
    out = []
    for i, g in enumerate(s.gpus):
        known = g.compute_capability or gpu_compute_capability(g.name)
        out.append(
            GpuArchitecture(
                gpu=i,
                compute_capability=known,
                by_name=known is not None and not g.compute_capability,
            )
        )
    return out


def answered_gpus(s: Snapshot) -> list[GpuFacts]:
    """GPUs the NVIDIA driver answered for (nvidia-smi, NVML, a framework listed them: an
    address, a UUID, a memory size or a compute capability), not only named in prose ("my RTX
    3090" names a model, not how many GPUs the machine has)."""
    return [
        g
        for g in s.gpus
        if g.pci_bus_id or g.uuid or g.memory_total_mib is not None or g.compute_capability
    ]


def usable_gpus(s: Snapshot) -> list[GpuFacts]:
    """GPUs the driver answered for (NVML or nvidia-smi listed them)."""
    return [g for g in s.gpus if s.driver.installed is not False]


def driver_version(s: Snapshot) -> str | None:
    return s.driver.version or s.driver.userspace_version or s.driver.kernel_module_version


def framework(s: Snapshot, name: str) -> FrameworkFacts | None:
    return s.framework(name)


def live(s: Snapshot, name: str) -> LiveProbe | None:
    probe = s.live_probe(name)
    return probe if probe is not None and probe.status == "ok" else None


def cuda_build(fw: FrameworkFacts) -> bool | None:
    """Whether a framework was built with CUDA: its own flag, else its variant tag."""
    if fw.cuda_build is not None:
        return fw.cuda_build
    if fw.variant:
        return fw.variant.startswith("cu")
    if fw.distribution in ("tensorflow-cpu", "tensorflow-intel"):
        return False
    return None


def cpu_only_build(fw: FrameworkFacts) -> bool:
    """Known to be CPU-only (not merely unknown, not ROCm, not a TPU jax)."""
    if fw.rocm_build:
        return False
    if fw.variant == "cpu" or fw.distribution == "tensorflow-cpu":
        return True
    # jaxlib alone is CPU-only: CUDA comes as the jax-cuda12-plugin/jax-cuda13-plugin wheels
    return fw.cuda_build is False and fw.variant is None and fw.name in ("tensorflow", "jax")


# Messages in which a framework says it saw an NVIDIA GPU although it cannot use it.
# jax checks for /dev/nvidia0, /dev/nvidiactl or /dev/dxg (has_visible_nvidia_gpu in
# https://github.com/jax-ml/jax/blob/main/jax/_src/hardware_utils.py) before printing this one.
GPU_SEEN_BY_MESSAGE = {"jax-cpu-only-jaxlib": "jax found an NVIDIA GPU device node"}


def gpu_seen_in_messages(s: Snapshot) -> str | None:
    """Why a pasted message proves an NVIDIA GPU is there, when one does."""
    return next(
        (
            GPU_SEEN_BY_MESSAGE[e.signature]
            for e in s.reported_errors
            if e.signature in GPU_SEEN_BY_MESSAGE
        ),
        None,
    )


def reported(s: Snapshot, signature: str) -> bool:
    """Whether a pasted text quoted this known message (dlenv.importers.signatures)."""
    return any(e.signature == signature for e in s.reported_errors)


def in_prose(signature: str) -> bool:
    """Whether a reported message is a statement in the reporter's own words (the catalogue's
    prose-* families, ids "said-..."), less certain than a message a program printed."""
    from dlenv.importers.catalog import is_prose
    from dlenv.importers.signatures import BY_ID  # loaded only when a paste quoted something

    known = BY_ID.get(signature)
    return known is not None and is_prose(known.family)


def base_version(version: str) -> str:
    """ "2.3.1+cu121" -> "2.3.1"."""
    parsed = parse_version(version)
    return str(parsed) if parsed else version.split("+", 1)[0]


def distribution(s: Snapshot, name: str) -> Distribution | None:
    wanted = name.lower().replace("_", "-")
    return next((d for d in s.python.distributions if d.name == wanted), None)


def installed(s: Snapshot, name: str) -> bool:
    """Installed as a distribution or seen as a framework (by either name)."""
    wanted = name.lower().replace("_", "-")
    if distribution(s, wanted) is not None:
        return True
    return any(f.name == wanted or f.distribution == wanted for f in s.frameworks)


def version_of(s: Snapshot, name: str) -> str | None:
    """The version, or None when unknown (a framework known only from a message has "")."""
    fw = next((f for f in s.frameworks if f.name == name or f.distribution == name), None)
    if fw is not None and fw.version:
        return fw.version
    dist = distribution(s, name)
    return dist.version if dist else None


def cuda_major(version: str | None) -> int | None:
    mm = major_minor(version)
    return mm[0] if mm else None


def label(fw: FrameworkFacts) -> str:
    """ "torch 2.3.1+cu121", "tensorflow-cpu 2.16.1"; just "keras" when the version is unknown."""
    return f"{fw.distribution} {fw.version}" if fw.version else fw.distribution


def verdict(fact: str, said: str, note: str) -> Evidence:
    """Evidence that is a framework's own message (its verdict), quoted up to 200 characters."""
    return Evidence(fact=fact, found=said.strip()[:200], note=note)


def windows_gpu_list_ends(f: InstallFailure) -> bool:
    """A pip failure for tensorflow-gpu at 2.11 or newer whose list of versions ends at the
    last release with GPU support on native Windows (2.10.x): the list itself shows a native
    Windows interpreter, for which no newer GPU build exists (rules python and frameworks)."""
    from dlenv.kb.queries import tensorflow_fact

    if f.package != "tensorflow-gpu" or not f.requested or not f.available:
        return False
    last = tensorflow_fact("last_native_windows_gpu")  # "2.10"
    finals = [v for v in f.available if parse_version(v) and v.replace(".", "").isdigit()]
    if not finals:
        return False
    newest = max(finals, key=lambda v: major_minor(v) or (0, 0))
    wanted = major_minor(f.requested)
    return major_minor(newest) == major_minor(last) and wanted is not None and wanted > (
        major_minor(last) or (9, 9)
    )
