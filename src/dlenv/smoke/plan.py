"""Which smoke checks run where: frameworks x devices x checks, from the static facts.

A job is one process: a framework's own checks, and Keras's on that framework as its backend
(Keras imports its backend anyway, and a second `import tensorflow` costs seconds of CPU on a
small machine); `isolate` gives every check a process of its own. Checks that mean nothing
somewhere (GPU memory on the CPU, a CPU-only build on a GPU) are answered here, without a
process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dlenv.errors import DlenvError
from dlenv.smoke.runner import Job, Step
from dlenv.snapshot.model import FrameworkFacts, SmokeCheck, Snapshot

CHECKS = ("train", "save_load", "tensorboard", "allreduce", "memory")
FRAMEWORKS = ("tensorflow", "torch", "keras", "jax")
# each framework's checks, in the order they run in its process (memory first: TensorFlow's
# memory growth can only be set before the GPU is first used)
OWN_CHECKS = {
    "tensorflow": ("memory", "train", "save_load", "tensorboard", "allreduce"),
    "torch": ("memory", "train", "save_load", "tensorboard", "allreduce"),
    "keras": ("train", "save_load"),
    "jax": ("memory", "train", "save_load"),
}
KERAS_BACKENDS = ("tensorflow", "torch", "jax")


@dataclass(frozen=True)
class SmokePlan:
    jobs: list[Job]
    answered: list[SmokeCheck]  # decided without running anything
    devices: list[str]


def visible_gpu_count(s: Snapshot) -> int:
    return len([g for g in s.gpus if g.visible is not False])


def parse_devices(text: str | None, gpus: int) -> list[str]:
    """`--device`: "cpu", "cuda" (every visible GPU), "cuda:N", comma-separated; default: the
    CPU and every visible GPU. A GPU that is not there is a usage error."""
    if not text or not text.strip():
        return ["cpu", *(f"cuda:{i}" for i in range(gpus))]
    devices: list[str] = []
    for item in text.replace(" ", ",").split(","):
        name = item.strip().lower()
        if not name:
            continue
        if name == "cpu":
            devices.append("cpu")
            continue
        if name in ("cuda", "gpu"):
            if not gpus:
                raise DlenvError(f"--device {item.strip()}: no GPU is visible on this machine")
            devices += [f"cuda:{i}" for i in range(gpus)]
            continue
        prefix, _, number = name.partition(":")
        if prefix not in ("cuda", "gpu") or not number.isdigit():
            raise DlenvError(
                f"--device: unknown device {item.strip()!r} (cpu, cuda or cuda:N, comma-separated)"
            )
        if int(number) >= gpus:
            seen = f"{gpus} GPU(s) visible" if gpus else "no GPU visible"
            raise DlenvError(f"--device {item.strip()}: there is no such GPU ({seen})")
        devices.append(f"cuda:{int(number)}")
    return list(dict.fromkeys(devices))


def parse_checks(text: str | None) -> tuple[str, ...]:
    names: list[str] = []
    for item in (text or "").replace(" ", ",").split(","):
        name = item.strip().lower().replace("-", "_")
        if not name:
            continue
        if name not in CHECKS:
            raise DlenvError(
                f"--checks: unknown check {item.strip()!r} (choose from {', '.join(CHECKS)})"
            )
        names.append(name)
    return tuple(dict.fromkeys(names)) or CHECKS


def _visible_entry(s: Snapshot, index: int) -> str:
    """CUDA_VISIBLE_DEVICES for the user's GPU `index` (the index under their own setting)."""
    raw = s.visibility.cuda_visible_devices
    if raw:
        entries = [e.strip() for e in raw.split(",") if e.strip()]
        if index < len(entries):
            return entries[index]
    return str(index)


def _gpu_build(fw: FrameworkFacts | None) -> str | None:
    """Why `fw` cannot use a GPU at all, from its build; None when it may."""
    if fw is None:
        return None
    if fw.cuda_build is False and fw.rocm_build is not True:
        return f"{fw.name} {fw.version} is a CPU-only build"
    return None


def plan_smoke(
    s: Snapshot,
    devices: Sequence[str],
    checks: Sequence[str],
    only: Sequence[str] = (),
    isolate: bool = False,
) -> SmokePlan:
    installed = {f.name for f in s.frameworks}
    wanted = [n for n in FRAMEWORKS if n in installed and (not only or n in only)]
    answered: list[SmokeCheck] = []
    jobs: list[Job] = []
    gpus = [d for d in devices if d != "cpu"]

    def skip(framework: str, check: str, device: str, reason: str, backend: str | None = None,
             status: str = "skipped") -> None:  # fmt: skip
        answered.append(
            SmokeCheck(
                check=check,
                framework=framework,
                device=device,
                status="not-applicable" if status == "not-applicable" else "skipped",
                backend=backend,
                reason=reason,
            )
        )

    for device in devices:
        target = "cpu" if device == "cpu" else "cuda"
        env = (
            {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
            if target == "cpu"
            else {"CUDA_VISIBLE_DEVICES": _visible_entry(s, int(device.split(":")[1]))}
        )
        for backend in ("tensorflow", "torch", "jax"):
            steps: list[Step] = []
            if backend in wanted and backend in OWN_CHECKS:
                why = _gpu_build(s.framework(backend)) if target == "cuda" else None
                for check in OWN_CHECKS[backend]:
                    if check not in checks:
                        continue
                    if why:
                        skip(backend, check, device, why)
                    elif check == "memory" and target == "cpu":
                        skip(backend, check, device, "GPU memory: this run is on the CPU",
                             status="not-applicable")  # fmt: skip
                    elif check == "allreduce" and target == "cuda" and backend == "tensorflow":
                        skip(backend, check, device, "TensorFlow's multi-worker all-reduce is "
                             "checked in the CPU run (ring collectives over gRPC)",
                             status="not-applicable")  # fmt: skip
                    elif check == "allreduce" and target == "cuda":
                        continue  # across the GPUs, below
                    else:
                        steps.append(Step(backend, check))
            if "keras" in wanted and backend in installed:
                why = _gpu_build(s.framework(backend)) if target == "cuda" else None
                for check in OWN_CHECKS["keras"]:
                    if check not in checks:
                        continue
                    if why:
                        skip("keras", check, device, why, backend=backend)
                    else:
                        steps.append(Step("keras", check, backend=backend))
            if not steps:
                continue
            job_env = {**env, "KERAS_BACKEND": backend}
            if isolate:
                jobs += [Job(device, target, (step,), job_env) for step in steps]
            else:
                jobs.append(Job(device, target, tuple(steps), job_env))
    if "torch" in wanted and "allreduce" in checks and gpus:
        why = _gpu_build(s.framework("torch"))
        label = "cuda:" + ",".join(d.split(":")[1] for d in gpus)
        if why:
            skip("torch", "allreduce", label, why)
        elif len(gpus) < 2:
            skip("torch", "allreduce", label, "an all-reduce over GPUs needs two or more GPUs",
                 status="not-applicable")  # fmt: skip
        else:
            visible = ",".join(_visible_entry(s, int(d.split(":")[1])) for d in gpus)
            jobs.append(
                Job(label, "cuda", (Step("torch", "allreduce"),), {"CUDA_VISIBLE_DEVICES": visible})
            )
    return SmokePlan(jobs=jobs, answered=answered, devices=list(devices))
