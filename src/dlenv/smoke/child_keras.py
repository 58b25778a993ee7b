"""Smoke checks of Keras on one backend (KERAS_BACKEND, set by dlenv per run), run in the target
interpreter by `smoke/child.py` (stdlib + Keras and its backend).

train: LeNet-5 with `model.fit` on synthetic MNIST-shaped data; save_load: the native `.keras`
file, the legacy `.h5` file, `model.export` (a TensorFlow SavedModel, on the TensorFlow
backend), and tf-keras's `.h5` when tf-keras is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.smoke.child import Context

EPOCHS = 4
BATCH = 32
SAMPLES = 1600  # 50 steps an epoch: 200 in all
NOISE = 0.3
SEED = 0
SAVE_TOLERANCE = (1e-5, 1e-5)  # (atol, rtol): a reloaded model may be recompiled differently
INSTEAD = {
    "keras": "save with model.save('model.keras') from the Keras that will load it",
    "h5": "save in the native format instead: model.save('model.keras') "
    "(Keras 3 reads .h5 only as legacy, and not every model)",
    "export": "use model.save('model.keras') for Keras, or tf.saved_model.save on a tf.Module",
    "tf_keras.h5": "load .h5 files written by Keras 2 with tf-keras (pip install tf-keras, "
    "import tf_keras), or re-save them as .keras",
}


def prepare(ctx: Context) -> None:
    backend = os.environ.get("KERAS_BACKEND") or ""
    if backend == "jax":
        ctx.limit_xla_threads()
    if backend in ("tensorflow", "torch", "jax") and ctx.device == "cpu" and ctx.threads:
        # the backend first, so that its thread pool is sized before Keras touches it
        module = importlib.import_module(backend)
        if backend == "tensorflow":
            module.config.threading.set_intra_op_parallelism_threads(ctx.threads)
            module.config.threading.set_inter_op_parallelism_threads(ctx.threads)
        elif backend == "torch":
            module.set_num_threads(ctx.threads)
    ctx.modules["keras"] = importlib.import_module("keras")
    ctx.modules["np"] = importlib.import_module("numpy")


def _lenet(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="relu"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10),
        ]
    )


def _compiled(keras: Any) -> Any:
    keras.utils.set_random_seed(SEED)
    model = _lenet(keras)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _data(np: Any) -> tuple[Any, Any]:
    """MNIST-shaped (N, 28, 28, 1) images: ten random prototypes plus noise (never downloaded)."""
    rng = np.random.default_rng(SEED)
    prototypes = rng.random((10, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, SAMPLES)
    noise = rng.standard_normal((SAMPLES, 28, 28, 1)).astype(np.float32)
    return (prototypes[labels] + NOISE * noise).astype(np.float32), labels


def _backend(keras: Any) -> str:
    return str(keras.backend.backend())


def _peak_memory(backend: str) -> float | None:
    if backend == "tensorflow":
        tf: Any = importlib.import_module("tensorflow")
        return float(tf.config.experimental.get_memory_info("GPU:0").get("peak", 0))
    if backend == "torch":
        torch: Any = importlib.import_module("torch")
        return float(torch.cuda.max_memory_allocated())
    if backend == "jax":
        jax: Any = importlib.import_module("jax")
        stats = jax.devices()[0].memory_stats() or {}
        return float(stats.get("peak_bytes_in_use", 0)) or None
    return None


def check_train(ctx: Context) -> dict[str, Any]:
    keras, np = ctx.modules["keras"], ctx.modules["np"]
    backend = _backend(keras)
    if backend == "numpy":
        raise ctx.Skip("the numpy backend cannot train (it has no gradients)")
    images, labels = _data(np)
    model = _compiled(keras)
    starts: list[float] = []

    class Clock(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            starts.append(time.perf_counter())

    history = model.fit(
        images, labels, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
        callbacks=[Clock()],
    )  # fmt: skip
    elapsed = time.perf_counter() - starts[1]  # the first epoch compiles: not timed
    steps = (EPOCHS - 1) * (SAMPLES // BATCH)
    losses = [float(v) for v in history.history["loss"]]
    fell, first, last = ctx.falling(losses)
    metrics = {
        "steps": EPOCHS * (SAMPLES // BATCH),
        "batch": BATCH,
        "loss_first": first,
        "loss_last": last,
        "steps_per_s": steps / elapsed,
        "images_per_s": steps * BATCH / elapsed,
    }
    if ctx.device == "cuda":
        peak = _peak_memory(backend)
        if peak is not None:
            metrics["peak_memory_bytes"] = peak
    details = {"version": keras.__version__, "backend": backend, "how": "model.fit"}
    error = None if fell else f"the loss did not fall: {first:.4f} -> {last:.4f} (epoch means)"
    return ctx.result("passed" if fell else "failed", metrics=metrics, details=details, error=error)


def check_save_load(ctx: Context) -> list[dict[str, Any]]:
    keras, np = ctx.modules["keras"], ctx.modules["np"]
    backend = _backend(keras)
    images, labels = _data(np)
    model = _compiled(keras)
    model.train_on_batch(images[:BATCH], labels[:BATCH])  # an optimizer state worth saving
    batch = images[:16]
    before = np.asarray(model.predict(batch, verbose=0))
    rows = [
        _round_trip(ctx, "keras", lambda p: model.save(p), keras.models.load_model, batch, before),
        _round_trip(ctx, "h5", lambda p: model.save(p), keras.models.load_model, batch, before),
    ]
    if backend == "tensorflow":
        rows.append(_export(ctx, model, batch, before))
    if importlib.util.find_spec("tf_keras") is not None:
        rows.append(_tf_keras_h5(ctx, np))
    return rows


def _compare(
    ctx: Context, variant: str, after: Any, before: Any, how: str, np: Any
) -> dict[str, Any]:
    return ctx.round_trip(
        variant,
        how,
        [float(v) for v in np.asarray(after).ravel()],
        [float(v) for v in np.asarray(before).ravel()],
        SAVE_TOLERANCE,
        INSTEAD[variant],
    )


def _failed(ctx: Context, variant: str, how: str, step: str, exc: Exception) -> dict[str, Any]:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return ctx.result(
        "failed",
        variant=variant,
        details={"how": how, "step": step, "instead": INSTEAD[variant]},
        error=type(exc).__name__ + (": " + text[:500] if text else ""),
    )


def _round_trip(
    ctx: Context, variant: str, save: Any, load: Any, batch: Any, before: Any
) -> dict[str, Any]:
    np = ctx.modules["np"]
    path = ctx.path("lenet." + variant)
    how = f"model.save('model.{variant}') / keras.models.load_model"
    try:
        save(path)
    except Exception as exc:
        return _failed(ctx, variant, how, "save", exc)
    try:
        again = load(path)
        after = again.predict(batch, verbose=0)
    except Exception as exc:
        return _failed(ctx, variant, how, "load", exc)
    return _compare(ctx, variant, after, before, how, np)


def _export(ctx: Context, model: Any, batch: Any, before: Any) -> dict[str, Any]:
    np = ctx.modules["np"]
    tf: Any = importlib.import_module("tensorflow")
    path = ctx.path("lenet-export")
    how = "model.export(format='tf_saved_model') / tf.saved_model.load(...).serve"
    try:
        model.export(path, format="tf_saved_model", verbose=False)
    except Exception as exc:
        return _failed(ctx, "export", how, "save", exc)
    try:
        loaded = tf.saved_model.load(path)  # kept: its functions reference its variables
        after = loaded.serve(batch)
    except Exception as exc:
        return _failed(ctx, "export", how, "load", exc)
    return _compare(ctx, "export", after, before, how, np)


def _tf_keras_h5(ctx: Context, np: Any) -> dict[str, Any]:
    """Keras 2 (tf-keras) writes an .h5 and reads it back, as code written for Keras 2 does."""
    tf_keras: Any = importlib.import_module("tf_keras")
    images, _ = _data(np)
    model = tf_keras.Sequential(
        [tf_keras.layers.InputLayer((28, 28, 1)), tf_keras.layers.Flatten(),
         tf_keras.layers.Dense(10)]
    )  # fmt: skip
    before = model.predict(images[:16], verbose=0)

    def load(path: str) -> Any:
        return tf_keras.models.load_model(path)

    return _round_trip(ctx, "tf_keras.h5", lambda p: model.save(p), load, images[:16], before)
