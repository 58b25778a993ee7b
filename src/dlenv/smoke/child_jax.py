"""Smoke checks of JAX, run in the target interpreter by `smoke/child.py` (stdlib + jax, numpy).

train: LeNet-5 written in plain JAX (`lax.conv_general_dilated`, `lax.reduce_window`, a
hand-written Adam under `jax.jit`), no Flax/Optax needed; save_load: the parameters through
NumPy's `.npz` and back; memory: the XLA client allocator's settings
(`XLA_PYTHON_CLIENT_PREALLOCATE`, `XLA_PYTHON_CLIENT_MEM_FRACTION`, `XLA_PYTHON_CLIENT_ALLOCATOR`)
shown against how much of the GPU a small array really took.
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.smoke.child import Context

STEPS = 200
BATCH = 32
SAMPLES = 1024
NOISE = 0.3
SEED = 0
LEARNING_RATE = 1e-3
SAVE_TOLERANCE = (1e-6, 1e-6)  # (atol, rtol): the same arrays, the same compiled function
# JAX preallocates 75% of the GPU by default: a small array that takes more than half of it
# means preallocation is in force
PREALLOCATED = 0.5


def prepare(ctx: Context) -> None:
    ctx.limit_xla_threads()
    ctx.modules["jax"] = importlib.import_module("jax")
    ctx.modules["jnp"] = importlib.import_module("jax.numpy")
    ctx.modules["np"] = importlib.import_module("numpy")
    jax = ctx.modules["jax"]
    platform = jax.default_backend()
    if ctx.device == "cuda" and platform != "gpu":
        # JAX falls back to the CPU with a warning only: a GPU run on the CPU proves nothing
        raise RuntimeError(
            f"JAX runs on {platform!r}, not on the GPU (a CPU-only jaxlib, or the CUDA plugin "
            "failed to load: install jax[cuda12] or jax[cuda13])"
        )


def _init(jax: Any, jnp: Any) -> dict[str, Any]:
    """LeNet-5 parameters (HWIO kernels, NHWC images), He-style scaled normals."""
    shapes = {
        "conv1": ((5, 5, 1, 6), 6),
        "conv2": ((5, 5, 6, 16), 16),
        "fc1": ((400, 120), 120),
        "fc2": ((120, 84), 84),
        "fc3": ((84, 10), 10),
    }
    keys = jax.random.split(jax.random.PRNGKey(SEED), len(shapes))
    params = {}
    for key, (name, (shape, out)) in zip(keys, shapes.items()):  # noqa: B905 - Python 3.7+
        fan_in = 1
        for n in shape[:-1]:
            fan_in *= n
        w = jax.random.normal(key, shape, jnp.float32) * (2.0 / fan_in) ** 0.5
        params[name] = {"w": w, "b": jnp.zeros((out,), jnp.float32)}
    return params


def _forward(jax: Any, jnp: Any) -> Any:
    lax = jax.lax
    numbers = ("NHWC", "HWIO", "NHWC")

    def pool(x: Any) -> Any:
        return lax.reduce_window(x, 0.0, lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID") / 4.0

    def forward(params: dict[str, Any], x: Any) -> Any:
        c1, c2 = params["conv1"], params["conv2"]
        x = lax.conv_general_dilated(x, c1["w"], (1, 1), "SAME", dimension_numbers=numbers)
        x = pool(jax.nn.relu(x + c1["b"]))
        x = lax.conv_general_dilated(x, c2["w"], (1, 1), "VALID", dimension_numbers=numbers)
        x = pool(jax.nn.relu(x + c2["b"]))
        x = x.reshape((x.shape[0], -1))
        x = jax.nn.relu(x @ params["fc1"]["w"] + params["fc1"]["b"])
        x = jax.nn.relu(x @ params["fc2"]["w"] + params["fc2"]["b"])
        return x @ params["fc3"]["w"] + params["fc3"]["b"]

    return forward


def _data(np: Any) -> tuple[Any, Any]:
    """MNIST-shaped (N, 28, 28, 1) images: ten random prototypes plus noise (never downloaded)."""
    rng = np.random.default_rng(SEED)
    prototypes = rng.random((10, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, SAMPLES)
    noise = rng.standard_normal((SAMPLES, 28, 28, 1)).astype(np.float32)
    return (prototypes[labels] + NOISE * noise).astype(np.float32), labels.astype(np.int32)


def _device_details(jax: Any) -> dict[str, Any]:
    device = jax.devices()[0]
    return {
        "version": jax.__version__,
        "platform": jax.default_backend(),
        "device": getattr(device, "device_kind", str(device)),
    }


def check_train(ctx: Context) -> dict[str, Any]:
    jax, jnp, np = ctx.modules["jax"], ctx.modules["jnp"], ctx.modules["np"]
    forward = _forward(jax, jnp)
    tree_map = jax.tree_util.tree_map

    def loss_fn(params: Any, x: Any, y: Any) -> Any:
        logits = jax.nn.log_softmax(forward(params, x))
        return -jnp.mean(jnp.take_along_axis(logits, y[:, None], axis=1))

    beta1, beta2, eps = 0.9, 0.999, 1e-8

    @jax.jit  # type: ignore[untyped-decorator]
    def step(state: Any, x: Any, y: Any) -> Any:
        params, m, v, t = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        t = t + 1
        m = tree_map(lambda a, g: beta1 * a + (1 - beta1) * g, m, grads)
        v = tree_map(lambda a, g: beta2 * a + (1 - beta2) * g * g, v, grads)
        scale = LEARNING_RATE * jnp.sqrt(1 - beta2**t) / (1 - beta1**t)
        params = tree_map(lambda p, a, b: p - scale * a / (jnp.sqrt(b) + eps), params, m, v)
        return (params, m, v, t), loss

    params = _init(jax, jnp)
    zeros = tree_map(jnp.zeros_like, params)
    state = (params, zeros, zeros, jnp.asarray(0, jnp.float32))
    images, labels = _data(np)
    images, labels = jax.device_put(images), jax.device_put(labels)
    losses: list[Any] = []
    start = 0.0
    for i in range(STEPS):
        if i == 1:  # the first step pays for compilation
            losses[0].block_until_ready()
            start = time.perf_counter()
        j = (i * BATCH) % SAMPLES
        state, loss = step(state, images[j : j + BATCH], labels[j : j + BATCH])
        losses.append(loss)
    losses[-1].block_until_ready()
    elapsed = time.perf_counter() - start
    values = [float(v) for v in np.asarray(jnp.stack(losses))]
    fell, first, last = ctx.falling(values)
    metrics: dict[str, float] = {
        "steps": STEPS,
        "batch": BATCH,
        "loss_first": first,
        "loss_last": last,
        "steps_per_s": (STEPS - 1) / elapsed,
        "images_per_s": (STEPS - 1) * BATCH / elapsed,
    }
    if ctx.device == "cuda":
        stats = jax.devices()[0].memory_stats() or {}
        if stats.get("peak_bytes_in_use"):
            metrics["peak_memory_bytes"] = float(stats["peak_bytes_in_use"])
    error = None if fell else f"the loss did not fall: {first:.4f} -> {last:.4f}"
    return ctx.result(
        "passed" if fell else "failed",
        metrics=metrics,
        details=_device_details(jax),
        error=error,
    )


def check_save_load(ctx: Context) -> list[dict[str, Any]]:
    jax, jnp, np = ctx.modules["jax"], ctx.modules["jnp"], ctx.modules["np"]
    forward = jax.jit(_forward(jax, jnp))
    params = _init(jax, jnp)
    images, _ = _data(np)
    batch = jax.device_put(images[:16])
    before = [float(v) for v in np.asarray(forward(params, batch)).ravel()]
    leaves, treedef = jax.tree_util.tree_flatten(params)
    path = ctx.path("lenet-params.npz")
    np.savez(path, **{f"p{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)})
    with np.load(path) as saved:
        loaded = [jnp.asarray(saved[f"p{i}"]) for i in range(len(leaves))]
    again = jax.tree_util.tree_unflatten(treedef, loaded)
    after = [float(v) for v in np.asarray(forward(again, batch)).ravel()]
    how = "numpy.savez of the parameter pytree / numpy.load"
    instead = "save the parameters as NumPy arrays (numpy.savez) or with Orbax checkpointing"
    return [ctx.round_trip("npz", how, after, before, SAVE_TOLERANCE, instead)]


def check_memory(ctx: Context) -> dict[str, Any]:
    jax, jnp = ctx.modules["jax"], ctx.modules["jnp"]
    if ctx.device != "cuda":
        raise ctx.NotApplicable("GPU memory: this run is on the CPU")
    settings = ctx.env(
        "XLA_PYTHON_CLIENT_PREALLOCATE",
        "XLA_PYTHON_CLIENT_MEM_FRACTION",
        "XLA_PYTHON_CLIENT_ALLOCATOR",
    )
    details: dict[str, Any] = {k: v for k, v in settings.items() if v is not None}
    before = ctx.gpu_memory_used()
    block = jnp.ones((1 << 20,), jnp.float32)  # 4 MiB
    float(block.sum())
    after = ctx.gpu_memory_used()
    stats = jax.devices()[0].memory_stats() or {}
    metrics: dict[str, float] = {
        k: float(stats[k]) for k in ("bytes_in_use", "bytes_limit") if stats.get(k) is not None
    }
    if before is not None and after is not None:
        used, total = after[0] - before[0], after[1]
        metrics.update({"process_used_bytes": used, "device_total_bytes": total})
        if total:
            details["preallocated"] = "yes" if used > PREALLOCATED * total else "no"
    else:
        details["nvml"] = "not readable: memory in use not measured"
    # JAX's own preallocation is a choice, not a failure: the facts go to the report and the
    # rules judge them against what else shares the GPU
    return ctx.result("passed", variant="XLA client allocator", metrics=metrics, details=details)
