"""Live probe of TensorFlow, run in the target interpreter by `harness.py` (stdlib + TF only).

Records devices, build information, memory growth (settable before initialisation, refused
after), and a tiny computation on each GPU. TF's own log lines go to stderr, which dlenv parses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.live.harness import Harness


def probe(h: Harness) -> None:
    tf: Any = h.load("tensorflow")
    h.set("version", str(tf.__version__))
    h.set("build_info", h.check("build_info", lambda: _plain(tf.sysconfig.get_build_info())))
    h.set("built_with_cuda", h.check("built_with_cuda", tf.test.is_built_with_cuda))
    h.set(
        "env",
        h.env(
            "TF_FORCE_GPU_ALLOW_GROWTH",
            "TF_GPU_ALLOCATOR",
            "TF_CPP_MIN_LOG_LEVEL",
            "TF_USE_LEGACY_KERAS",
            "CUDA_VISIBLE_DEVICES",
        ),
    )
    physical = h.check("list_physical_devices", tf.config.list_physical_devices) or []
    h.set("physical_devices", [f"{d.device_type}:{d.name}" for d in physical])
    gpus = [d for d in physical if d.device_type == "GPU"]
    growth = {}
    for i, gpu in enumerate(gpus):
        key = f"GPU:{i}"
        # Before any op runs, TF still accepts the setting: this is what user code must do.
        before = h.check("get_memory_growth." + key, tf.config.experimental.get_memory_growth, gpu)
        h.check(
            "set_memory_growth." + key,
            tf.config.experimental.set_memory_growth,
            gpu,
            True,
        )
        growth[key] = {
            "configured": before,
            "set_before_init": h.result["errors"].get("set_memory_growth." + key, "ok"),
        }
    devices = []
    for i, gpu in enumerate(gpus):
        info = (
            h.check(
                f"device_details.GPU:{i}",
                tf.config.experimental.get_device_details,
                gpu,
            )
            or {}
        )
        cc = info.get("compute_capability")
        devices.append(
            {
                "index": i,
                "name": info.get("device_name"),
                "capability": "{}.{}".format(*cc) if cc else None,
            }
        )
    expected = h.check("compute.cpu", lambda: _compute(tf, "/CPU:0"))
    h.set("cpu_compute_ok", expected is not None and _close(expected, _reference()))
    for i, dev in enumerate(devices):
        got = h.check(f"compute.GPU:{i}", _compute, tf, f"/GPU:{i}")
        dev["compute_ok"] = got is not None and _close(got, _reference())
        mem = h.check(
            f"memory_info.GPU:{i}",
            tf.config.experimental.get_memory_info,
            f"GPU:{i}",
        )
        dev["memory_in_use"] = (mem or {}).get("current")
    h.set("devices", devices)
    for i, gpu in enumerate(gpus):
        key = f"GPU:{i}"
        # Now initialised: TF must refuse; that refusal is what users hit when they set it late.
        h.check(
            "late_memory_growth." + key,
            tf.config.experimental.set_memory_growth,
            gpu,
            True,
        )
        growth[key]["set_after_init"] = h.result["errors"].pop("late_memory_growth." + key, "ok")
    h.set("memory_growth", growth)
    h.set(
        "logical_devices",
        h.check(
            "list_logical_devices",
            lambda: [f"{d.device_type}:{d.name}" for d in tf.config.list_logical_devices()],
        ),
    )


def _plain(info: Any) -> dict[str, Any]:
    return {
        str(k): v
        if isinstance(v, (bool, int, float, str)) or v is None
        else [str(x) for x in v]
        if isinstance(v, (list, tuple))
        else str(v)
        for k, v in dict(info).items()
    }


def _reference() -> list[list[float]]:
    x = [[(4 * i + j) / 7.0 for j in range(4)] for i in range(4)]
    return [[sum(x[i][k] * x[k][j] for k in range(4)) + 1.0 for j in range(4)] for i in range(4)]


def _compute(tf: Any, device: str) -> list[list[float]]:
    with tf.device(device):
        x = tf.reshape(tf.range(16, dtype=tf.float32), (4, 4)) / 7.0
        return [[float(v) for v in row] for row in (tf.linalg.matmul(x, x) + 1.0).numpy()]


def _close(a: list[list[float]], b: list[list[float]]) -> bool:
    return all(abs(p - q) <= 1e-4 for ra, rb in zip(a, b) for p, q in zip(ra, rb))  # noqa: B905
