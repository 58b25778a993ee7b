"""Live probe of JAX, run in the target interpreter by `harness.py` (stdlib + JAX only).

Records the default backend, the devices, jaxlib's version and a tiny computation per device.
dlenv turns preallocation off in this child; the user's own settings are reported as found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.live.harness import Harness


def probe(h: Harness) -> None:
    jax: Any = h.load("jax")
    h.set("version", str(jax.__version__))
    jaxlib = h.check("jaxlib", lambda: __import__("jaxlib").__version__)
    h.set("jaxlib_version", jaxlib)
    h.set(
        "env",
        h.env(
            "XLA_PYTHON_CLIENT_PREALLOCATE",
            "XLA_PYTHON_CLIENT_MEM_FRACTION",
            "XLA_PYTHON_CLIENT_ALLOCATOR",
            "JAX_PLATFORMS",
            "CUDA_VISIBLE_DEVICES",
        ),
    )
    h.set("backend", h.check("default_backend", jax.default_backend))
    devices = h.check("devices", jax.devices) or []
    out: list[dict[str, Any]] = []
    for d in devices:
        out.append(
            {
                "index": int(getattr(d, "id", len(out))),
                "platform": str(getattr(d, "platform", "")),
                "name": str(getattr(d, "device_kind", "")),
                "compute_ok": h.check(f"compute.{d}", _compute, jax, d),
            }
        )
    h.set("devices", out)
    if h.result["errors"].get("devices"):
        return
    h.set(
        "gpu_backend_error",
        h.result["errors"].get("gpu") or h.check("gpu", lambda: _gpu_error(jax)),
    )


def _gpu_error(jax: Any) -> str | None:
    try:
        jax.devices("gpu")
    except RuntimeError as exc:
        return str(exc)
    return None


def _compute(jax: Any, device: Any) -> bool:
    x = jax.device_put(jax.numpy.arange(16, dtype="float32").reshape(4, 4) / 7.0, device)
    got = (x @ x + 1.0).tolist()
    ref = [[(4 * i + j) / 7.0 for j in range(4)] for i in range(4)]
    want = [
        [sum(ref[i][k] * ref[k][j] for k in range(4)) + 1.0 for j in range(4)] for i in range(4)
    ]
    return all(abs(p - q) <= 1e-4 for ra, rb in zip(got, want) for p, q in zip(ra, rb))  # noqa: B905
