"""Live probe of PyTorch, run in the target interpreter by `harness.py` (stdlib + torch only).

Records what `torch.cuda` itself says: availability and the reason it gives when there is none,
devices, the CUDA/cuDNN/NCCL it carries, distributed back-ends, MPS, and a tiny GPU computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.live.harness import Harness


def probe(h: Harness) -> None:
    torch: Any = h.load("torch")
    h.set("version", str(torch.__version__))
    h.set("cuda_version", torch.version.cuda)
    h.set("hip_version", getattr(torch.version, "hip", None))
    h.set("cuda_built", h.check("cuda_built", lambda: bool(torch.backends.cuda.is_built())))
    # is_available() never raises: the reason is only in the warning it emits...
    h.set("is_available", h.check("is_available", lambda: bool(torch.cuda.is_available())))
    available = bool(h.result["raw"]["is_available"])
    if not available and h.result["raw"]["cuda_built"]:
        # ...or in the exception of an explicit initialisation.
        h.check("init", torch.cuda.init)
    h.set("device_count", h.check("device_count", torch.cuda.device_count) if available else 0)
    h.set("cudnn_version", h.check("cudnn_version", torch.backends.cudnn.version))
    h.set("arch_list", h.check("arch_list", torch.cuda.get_arch_list))
    if h.result["raw"]["cuda_built"]:
        h.set("nccl_version", h.check("nccl_version", lambda: _nccl(torch)))
    h.set("distributed", h.check("distributed", lambda: _distributed(torch)))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        h.set("mps_built", h.check("mps_built", lambda: bool(mps.is_built())))
        h.set("mps_available", h.check("mps_available", lambda: bool(mps.is_available())))
    env = h.env("PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_ALLOC_CONF", "CUDA_VISIBLE_DEVICES")
    h.set("env", env)
    h.set("cpu_compute_ok", h.check("compute.cpu", lambda: _compute(torch, "cpu")))
    devices = []
    for i in range(int(h.result["raw"]["device_count"] or 0)):
        props = h.check(f"device.{i}", torch.cuda.get_device_properties, i)
        devices.append(
            {
                "index": i,
                "name": getattr(props, "name", None),
                "capability": f"{props.major}.{props.minor}" if props else None,
                "memory": getattr(props, "total_memory", None),
                "compute_ok": h.check(f"compute.cuda:{i}", _compute, torch, i),
            }
        )
    h.set("devices", devices)
    if available:
        h.set("allocator_backend", h.check("allocator", torch.cuda.get_allocator_backend))
    if h.result["raw"].get("mps_available"):
        h.set("mps_compute_ok", h.check("compute.mps", lambda: _compute(torch, "mps")))


def _nccl(torch: Any) -> str | None:
    version = torch.cuda.nccl.version()
    return ".".join(str(v) for v in version) if isinstance(version, tuple) else str(version)


def _distributed(torch: Any) -> dict[str, bool]:
    dist = torch.distributed
    if not dist.is_available():
        return {}
    names = ("nccl", "gloo", "mpi", "ucc", "xccl")
    found = {n: getattr(dist, f"is_{n}_available", None) for n in names}
    return {n: bool(fn()) for n, fn in found.items() if fn is not None}


def _compute(torch: Any, device: Any) -> bool:
    """A small matrix product on `device` agrees with the same worked out in plain Python."""
    if isinstance(device, int):
        device = torch.device("cuda", device)
    x = (torch.arange(16, dtype=torch.float32).reshape(4, 4) / 7.0).to(device)
    got = (x @ x + 1.0).cpu().tolist()
    ref = [[(4 * i + j) / 7.0 for j in range(4)] for i in range(4)]
    want = [
        [sum(ref[i][k] * ref[k][j] for k in range(4)) + 1.0 for j in range(4)] for i in range(4)
    ]
    return all(abs(p - q) <= 1e-4 for ra, rb in zip(got, want) for p, q in zip(ra, rb))  # noqa: B905
