"""Live probe of Keras, run in the target interpreter by `harness.py` (stdlib + Keras only).

Records the Keras version, the active backend and its version, what `tf.keras` resolves to, the
environment variables Keras changed on import, and one training step of a small model.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.live.harness import Harness

BACKEND_MODULES = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax", "numpy": "numpy"}


def probe(h: Harness) -> None:
    env_before = dict(os.environ)
    keras: Any = h.load("keras")
    h.set("version", str(getattr(keras, "__version__", "") or ""))
    h.set("env_changed", {k: v for k, v in os.environ.items() if env_before.get(k) != v})
    h.set("env", h.env("KERAS_BACKEND", "TF_USE_LEGACY_KERAS", "KERAS_HOME"))
    backend = h.check("backend", lambda: str(keras.backend.backend()))
    h.set("backend", backend)
    module = sys.modules.get(BACKEND_MODULES.get(backend or "", "") or "")
    h.set("backend_version", str(getattr(module, "__version__", "")) or None)
    if "tensorflow" in sys.modules or backend == "tensorflow":
        h.set("tf_keras", h.check("tf_keras", _tf_keras))
    h.set("train_step", h.check("train_step", lambda: _train_step(keras)))


def _tf_keras() -> dict[str, Any]:
    """What `tf.keras` resolves to: Keras 3, or Keras 2 from tf-keras (TF_USE_LEGACY_KERAS)."""
    tf: Any = importlib.import_module("tensorflow")

    model_module = str(tf.keras.Model.__module__)
    version = str(getattr(tf.keras, "__version__", "") or "")
    package = model_module.split(".")[0]
    return {"module": model_module, "version": version, "package": package}


def _train_step(keras: Any) -> dict[str, Any]:
    np: Any = importlib.import_module("numpy")

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(32, dtype="float32").reshape(8, 4) / 32.0
    y = np.ones((8, 2), dtype="float32")
    loss = model.train_on_batch(x, y)
    loss = float(loss[0] if isinstance(loss, (list, tuple)) else loss)
    weights = model.weights[0]
    device = getattr(getattr(weights, "value", weights), "device", None)
    return {
        "loss": loss,
        "finite": loss == loss and abs(loss) != float("inf"),
        "device": str(device) if device is not None else None,
    }
