"""Smoke checks of TensorFlow itself, without Keras, run in the target interpreter by
`smoke/child.py` (stdlib + tensorflow).

train: LeNet-5 written with `tf.nn` and `tf.GradientTape` in a `tf.function`, on synthetic
MNIST-shaped data; save_load: a `tf.Module` through `tf.saved_model.save`/`load`; tensorboard:
`tf.summary` scalars read back; memory: memory growth set before first use, and in effect;
allreduce: two workers of `MultiWorkerMirroredStrategy` on 127.0.0.1 (ring collectives over
gRPC), each a fresh process. Keras is checked by `child_keras.py` on each of its backends.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlenv.smoke.child import Context

STEPS = 200
BATCH = 32
SAMPLES = 1024
NOISE = 0.3
SEED = 0
SAVE_TOLERANCE = (1e-6, 1e-6)  # (atol, rtol): the same graph on the same device
GROWTH_LIMIT = 0.5  # memory growth in effect: a small tensor takes far less than half a GPU
WORKERS = 2
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allreduce_worker_tf.py")


def prepare(ctx: Context) -> None:
    tf = ctx.modules["tf"] = importlib.import_module("tensorflow")
    if ctx.device == "cpu" and ctx.threads:
        tf.config.threading.set_intra_op_parallelism_threads(ctx.threads)
        tf.config.threading.set_inter_op_parallelism_threads(ctx.threads)


def _where(ctx: Context) -> str:
    return "/GPU:0" if ctx.device == "cuda" else "/CPU:0"


def _params(tf: Any) -> list[Any]:
    init = tf.random.Generator.from_seed(SEED)

    def weight(*shape: int) -> Any:
        fan_in = 1
        for n in shape[:-1]:
            fan_in *= n
        return tf.Variable(init.normal(shape) * (2.0 / fan_in) ** 0.5)

    def zeros(n: int) -> Any:
        return tf.Variable(tf.zeros([n]))

    return [
        weight(5, 5, 1, 6), zeros(6), weight(5, 5, 6, 16), zeros(16),
        weight(400, 120), zeros(120), weight(120, 84), zeros(84), weight(84, 10), zeros(10),
    ]  # fmt: skip


def _forward(tf: Any, p: list[Any], x: Any) -> Any:
    x = tf.nn.relu(tf.nn.conv2d(x, p[0], 1, "SAME") + p[1])
    x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
    x = tf.nn.relu(tf.nn.conv2d(x, p[2], 1, "VALID") + p[3])
    x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
    x = tf.reshape(x, [-1, 400])
    x = tf.nn.relu(x @ p[4] + p[5])
    x = tf.nn.relu(x @ p[6] + p[7])
    return x @ p[8] + p[9]


def _data(tf: Any) -> tuple[Any, Any]:
    """MNIST-shaped (N, 28, 28, 1) images: ten random prototypes plus noise (never downloaded)."""
    g = tf.random.Generator.from_seed(SEED + 1)
    prototypes = g.uniform([10, 28, 28, 1])
    labels = g.uniform([SAMPLES], 0, 10, dtype=tf.int64)
    images = tf.gather(prototypes, labels) + NOISE * g.normal([SAMPLES, 28, 28, 1])
    return images, labels


def check_train(ctx: Context) -> dict[str, Any]:
    tf = ctx.modules["tf"]
    with tf.device(_where(ctx)):
        params = _params(tf)
        images, labels = _data(tf)
        optimizer = _Adam(tf, params, 1e-3)

        def train_step(x: Any, y: Any) -> Any:
            with tf.GradientTape() as tape:
                logits = _forward(tf, params, x)
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
                )
            optimizer.apply(tape.gradient(loss, params))
            return loss

        step = tf.function(train_step)

        losses = []
        start = 0.0
        for i in range(STEPS):
            if i == 1:  # the first step traces the function and initialises the kernels
                start = time.perf_counter()
            j = (i * BATCH) % SAMPLES
            losses.append(step(images[j : j + BATCH], labels[j : j + BATCH]))
        values = [float(v) for v in tf.stack(losses).numpy().tolist()]  # waits for the device
        elapsed = time.perf_counter() - start
    fell, first, last = ctx.falling(values)
    metrics = {
        "steps": STEPS,
        "batch": BATCH,
        "loss_first": first,
        "loss_last": last,
        "steps_per_s": (STEPS - 1) / elapsed,
        "images_per_s": (STEPS - 1) * BATCH / elapsed,
    }
    if ctx.device == "cuda":
        info = tf.config.experimental.get_memory_info("GPU:0")
        metrics["peak_memory_bytes"] = info.get("peak", 0)
    details = {"version": tf.__version__, "how": "tf.nn + tf.GradientTape in a tf.function"}
    error = None if fell else f"the loss did not fall: {first:.4f} -> {last:.4f}"
    return ctx.result("passed" if fell else "failed", metrics=metrics, details=details, error=error)


class _Adam:
    """Adam in a few lines of TensorFlow, so that this check needs no Keras."""

    def __init__(self, tf: Any, params: list[Any], lr: float) -> None:
        self.tf, self.params, self.lr = tf, params, lr
        self.m = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.v = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.t = tf.Variable(0.0)

    def apply(self, grads: list[Any]) -> None:
        tf = self.tf
        self.t.assign_add(1.0)
        correction = tf.sqrt(1.0 - 0.999**self.t) / (1.0 - 0.9**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):  # noqa: B905
            m.assign(0.9 * m + 0.1 * g)
            v.assign(0.999 * v + 0.001 * g * g)
            p.assign_sub(self.lr * correction * m / (tf.sqrt(v) + 1e-7))


def check_save_load(ctx: Context) -> list[dict[str, Any]]:
    tf = ctx.modules["tf"]
    with tf.device(_where(ctx)):
        params = _params(tf)
        images, _ = _data(tf)
        batch = images[:16]

        def call(x: Any) -> Any:
            return _forward(tf, params, x)

        model = tf.Module()
        model.params = params
        model.serve = tf.function(
            call, input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)]
        )
        before = model.serve(batch).numpy().ravel().tolist()
        path = ctx.path("tf-savedmodel")
        tf.saved_model.save(model, path)
        loaded = tf.saved_model.load(path)
        after = loaded.serve(batch).numpy().ravel().tolist()
    how = "tf.saved_model.save / tf.saved_model.load (a tf.Module)"
    return [ctx.round_trip("savedmodel", how, after, before, SAVE_TOLERANCE)]


def check_tensorboard(ctx: Context) -> dict[str, Any]:
    tf = ctx.modules["tf"]
    if importlib.util.find_spec("tensorboard") is None:
        # since TensorFlow 2.16 tf.summary's ops come from TensorBoard: nothing is written
        raise ctx.Skip("TensorBoard is not installed (pip install tensorboard)")
    accumulator: Any = importlib.import_module(
        "tensorboard.backend.event_processing.event_accumulator"
    )
    logdir = ctx.path("tb-tensorflow")
    values = [1.0 / (step + 1) for step in range(5)]
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        for step, value in enumerate(values):
            tf.summary.scalar("smoke/loss", value, step=step)
    writer.flush()
    writer.close()
    events = accumulator.EventAccumulator(logdir, size_guidance={"tensors": 0})
    events.Reload()
    read = [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in events.Tensors("smoke/loss")]
    return ctx.scalars_read_back("tf.summary", read, values, {"tensorflow": tf.__version__})


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def check_allreduce(ctx: Context) -> dict[str, Any]:
    """Two workers all-reduce 1 MiB with TensorFlow's collectives. Not in this process: its
    TensorFlow runtime has started, and collectives must be configured before it does."""
    settings = ctx.set_env("TF_CONFIG", "GRPC_", "TF_COLLECTIVE_", "NCCL_")
    ports = ",".join(str(p) for p in _free_ports(WORKERS))  # loopback only
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)  # the user's cluster must not be joined
    env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU run's collectives (ring over gRPC)
    workers = []
    for index in range(WORKERS):
        out = ctx.path(f"tf-worker{index}.json")
        with open(ctx.path(f"tf-worker{index}.stderr"), "wb") as err:
            workers.append(
                (
                    subprocess.Popen(
                        [sys.executable, WORKER, str(index), ports, out],
                        stdin=subprocess.DEVNULL,
                        stdout=err,
                        stderr=err,
                        env=env,
                    ),
                    out,
                )
            )
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        for index, (proc, out) in enumerate(workers):
            code = proc.wait(timeout=ctx.timeout)
            if os.path.exists(out):
                with open(out, encoding="utf-8") as fh:
                    results.append(json.load(fh))
            if code != 0:
                problems.append(f"worker {index} exited with {code}")
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    details: dict[str, Any] = {"strategy": "MultiWorkerMirroredStrategy", "collectives": "RING"}
    details.update(settings)
    details.pop("TF_CONFIG", None)  # the user's cluster: not ours, and may name hosts
    wrong = [r for r in results if not r.get("ok")]
    if wrong:
        problems.insert(0, f"wrong result: expected {wrong[0]['expected']}, got {wrong[0]['got']}")
    if len(results) < WORKERS and not problems:
        problems.append("a worker wrote no result")
    if not results:
        return ctx.result(
            "failed", variant="collective", details=details, error="; ".join(problems)
        )
    seconds = max(float(r["seconds"]) for r in results)
    metrics = {
        "world_size": WORKERS,
        "seconds": seconds,
        "bytes": results[0]["bytes"],
        "algbw_gb_s": results[0]["bytes"] / seconds / 1e9 if seconds else 0.0,
    }
    return ctx.result(
        "failed" if problems else "passed",
        variant="collective",
        metrics=metrics,
        details=details,
        error="; ".join(problems) or None,
    )


def check_memory(ctx: Context) -> dict[str, Any]:
    """Run first in its process: memory growth can only be set before the GPU is first used."""
    tf = ctx.modules["tf"]
    if ctx.device != "cuda":
        raise ctx.NotApplicable("GPU memory: this run is on the CPU")
    user = ctx.env("TF_FORCE_GPU_ALLOW_GROWTH", "TF_GPU_ALLOCATOR")
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return ctx.result("failed", variant="memory growth", error="TensorFlow lists no GPU")
    details: dict[str, Any] = {k: v for k, v in user.items() if v is not None}
    if (user.get("TF_FORCE_GPU_ALLOW_GROWTH") or "").lower() == "true":
        details["how"] = "TF_FORCE_GPU_ALLOW_GROWTH=true"
    else:
        tf.config.experimental.set_memory_growth(gpus[0], True)  # raises when set too late
        details["how"] = "tf.config.experimental.set_memory_growth before first use"
    before = ctx.gpu_memory_used()
    with tf.device("/GPU:0"):
        block = tf.ones([1 << 20])  # 4 MiB
        float(tf.reduce_sum(block))
    after = ctx.gpu_memory_used()
    growth = bool(tf.config.experimental.get_memory_growth(gpus[0]))
    metrics: dict[str, float] = {
        "tf_current_bytes": tf.config.experimental.get_memory_info("GPU:0").get("current", 0)
    }
    error = None
    if not growth:
        error = "memory growth is off after setting it"
    if before is not None and after is not None:
        used, total = after[0] - before[0], after[1]
        metrics.update({"process_used_bytes": used, "device_total_bytes": total})
        if total and used > GROWTH_LIMIT * total:
            error = f"a 4 MiB tensor took {used / 2**30:.1f} GiB of {total / 2**30:.1f} GiB"
    else:
        details["nvml"] = "not readable: memory in use not measured"
    return ctx.result(
        "failed" if error else "passed",
        variant="memory growth",
        metrics=metrics,
        details=details,
        error=error,
    )
