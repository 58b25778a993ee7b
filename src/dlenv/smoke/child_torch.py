"""Smoke checks of PyTorch, run in the target interpreter by `smoke/child.py` (stdlib + torch).

train: LeNet-5 on synthetic MNIST-shaped data, then one step under autocast (bfloat16, or
float16 on GPUs without it); save_load: `state_dict` through `torch.save` and
`torch.load(weights_only=True)`, and the `torch.export` program through a .pt2 file;
tensorboard: `torch.utils.tensorboard`; allreduce: two (or one per GPU) processes on 127.0.0.1
with gloo or NCCL; memory: the CUDA caching allocator's settings.
"""

from __future__ import annotations

import importlib.util
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
SAVE_TOLERANCE = (1e-6, 1e-6)  # (atol, rtol): a reload on the same device is bit-identical
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allreduce_worker.py")


def prepare(ctx: Context) -> None:
    torch = ctx.modules["torch"] = importlib.import_module("torch")
    if ctx.device == "cpu" and ctx.threads:
        torch.set_num_threads(ctx.threads)


def _device(ctx: Context) -> Any:
    torch = ctx.modules["torch"]
    return torch.device("cuda", 0) if ctx.device == "cuda" else torch.device("cpu")


def _lenet(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def _data(torch: Any, device: Any) -> tuple[Any, Any]:
    """MNIST-shaped (N, 1, 28, 28) images: ten random prototypes plus noise, labelled by
    prototype. Learnable in a few hundred steps; made here, never downloaded."""
    g = torch.Generator().manual_seed(SEED)
    prototypes = torch.rand(10, 1, 28, 28, generator=g)
    labels = torch.randint(0, 10, (SAMPLES,), generator=g)
    images = prototypes[labels] + NOISE * torch.randn(SAMPLES, 1, 28, 28, generator=g)
    return images.to(device), labels.to(device)


def _sync(torch: Any, device: Any) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def check_train(ctx: Context) -> list[dict[str, Any]]:
    torch = ctx.modules["torch"]
    device = _device(ctx)
    torch.manual_seed(SEED)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    model = _lenet(torch).to(device)
    images, labels = _data(torch, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    start = 0.0
    for step in range(STEPS):
        if step == 1:  # the first step pays for lazy initialisation (cuDNN, kernels)
            _sync(torch, device)
            start = time.perf_counter()
        i = (step * BATCH) % SAMPLES
        optimizer.zero_grad()
        loss = loss_fn(model(images[i : i + BATCH]), labels[i : i + BATCH])
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    _sync(torch, device)
    elapsed = time.perf_counter() - start
    values = [float(v) for v in torch.stack(losses).cpu().tolist()]
    fell, first, last = ctx.falling(values)
    metrics = {
        "steps": STEPS,
        "batch": BATCH,
        "loss_first": first,
        "loss_last": last,
        "steps_per_s": (STEPS - 1) / elapsed,
        "images_per_s": (STEPS - 1) * BATCH / elapsed,
    }
    details = {"version": torch.__version__, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        metrics["peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
        details["gpu"] = torch.cuda.get_device_name(device)
        details["cudnn"] = torch.backends.cudnn.version()
    error = None if fell else f"the loss did not fall: {first:.4f} -> {last:.4f}"
    status = "passed" if fell else "failed"
    trained = ctx.result(status, metrics=metrics, details=details, error=error)
    return [trained, _mixed_precision_step(ctx, model, optimizer, loss_fn, images, labels)]


def _mixed_precision_step(
    ctx: Context, model: Any, optimizer: Any, loss_fn: Any, images: Any, labels: Any
) -> dict[str, Any]:
    """One more step under autocast: bfloat16 where the device has it (every CPU, GPUs from
    compute capability 8.0), float16 on older GPUs. Half-precision kernels are a separate code
    path (tensor cores, other cuDNN algorithms): a GPU can train in float32 and fail here."""
    torch = ctx.modules["torch"]
    device = _device(ctx)
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        dtype, name = torch.float16, "float16"
    else:
        dtype, name = torch.bfloat16, "bfloat16"
    start = time.perf_counter()
    optimizer.zero_grad()
    with torch.autocast(device_type=device.type, dtype=dtype):
        out = model(images[:BATCH])
        loss = loss_fn(out.float(), labels[:BATCH])
    loss.backward()
    optimizer.step()
    _sync(torch, device)
    value = float(loss.detach().cpu())
    finite = value == value and abs(value) != float("inf")
    return ctx.result(
        "passed" if finite else "failed",
        variant=name,
        metrics={"loss": value, "seconds": time.perf_counter() - start},
        details={"autocast": f"torch.autocast({device.type!r}, {name})", "output": str(out.dtype)},
        error=None if finite else f"the {name} step gave a loss of {value}",
    )


def check_save_load(ctx: Context) -> list[dict[str, Any]]:
    torch = ctx.modules["torch"]
    device = _device(ctx)
    torch.manual_seed(SEED)
    model = _lenet(torch).to(device).eval()
    images, _ = _data(torch, device)
    batch = images[:16]
    with torch.no_grad():
        before = model(batch).flatten().cpu().tolist()
    path = ctx.path("lenet.pt")
    torch.save(model.state_dict(), path)
    again = _lenet(torch).to(device).eval()
    again.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    with torch.no_grad():
        after = again(batch).flatten().cpu().tolist()
    how = "torch.save(state_dict) / torch.load(weights_only=True)"
    rows = [ctx.round_trip("state_dict", how, after, before, SAVE_TOLERANCE)]
    rows.append(_export_round_trip(ctx, model, batch, before))
    return rows


def _export_round_trip(ctx: Context, model: Any, batch: Any, before: list[float]) -> dict[str, Any]:
    """`torch.export`: the traced program saved as .pt2 and loaded back (torch >= 2.1)."""
    torch = ctx.modules["torch"]
    export = getattr(torch, "export", None)
    if export is None or not hasattr(export, "save"):
        return ctx.result(
            "skipped", variant="export", reason=f"torch {torch.__version__} has no torch.export"
        )
    path = ctx.path("lenet.pt2")
    step = "export"
    try:
        program = export.export(model, (batch,))
        step = "save"
        export.save(program, path)
        step = "load"
        loaded = export.load(path)
        with torch.no_grad():
            after = loaded.module()(batch).flatten().cpu().tolist()
    except Exception as exc:  # the format itself failing is the finding
        row = ctx.result(
            "failed",
            variant="export",
            error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
            details={"step": step, "instead": "save the state_dict (torch.save) instead"},
        )
        return row
    how = "torch.export.export / torch.export.save(.pt2) / torch.export.load"
    instead = "save the state_dict (torch.save) instead"
    return ctx.round_trip("export", how, after, before, SAVE_TOLERANCE, instead)


def check_tensorboard(ctx: Context) -> dict[str, Any]:
    torch = ctx.modules["torch"]
    if importlib.util.find_spec("tensorboard") is None:
        raise ctx.Skip("TensorBoard is not installed (pip install tensorboard)")
    tensorboard: Any = importlib.import_module("torch.utils.tensorboard")

    logdir = ctx.path("tb-torch")
    values = [1.0 / (step + 1) for step in range(5)]
    writer = tensorboard.SummaryWriter(logdir)
    for step, value in enumerate(values):
        writer.add_scalar("smoke/loss", value, step)
    writer.close()
    accumulator: Any = importlib.import_module(
        "tensorboard.backend.event_processing.event_accumulator"
    )
    events = accumulator.EventAccumulator(logdir)
    events.Reload()
    read = [(e.step, e.value) for e in events.Scalars("smoke/loss")]
    return ctx.scalars_read_back(
        "torch.utils.tensorboard", read, values, {"torch": torch.__version__}
    )


def _worker_module() -> Any:
    spec = importlib.util.spec_from_file_location("dlenv_smoke_allreduce", WORKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_allreduce(ctx: Context) -> dict[str, Any]:
    torch = ctx.modules["torch"]
    dist = torch.distributed
    if not dist.is_available():
        raise ctx.Skip("this torch build has no torch.distributed")
    nccl = ctx.device == "cuda"
    backend = "nccl" if nccl else "gloo"
    world = torch.cuda.device_count() if nccl else 2
    if nccl and world < 2:
        raise ctx.NotApplicable("an all-reduce over GPUs needs two or more visible GPUs")
    settings = ctx.set_env(
        "NCCL_", "GLOO_", "TORCH_NCCL_", "TORCH_DISTRIBUTED_", "MASTER_ADDR", "MASTER_PORT"
    )
    init = f"tcp://127.0.0.1:{_free_port()}"  # loopback only
    # One process per rank: this one is rank 0, the others start here and live in this
    # process's group (dlenv kills the group whole after a timeout).
    workers = []
    for rank in range(1, world):
        argv = [sys.executable, WORKER, str(rank), str(world), init, backend, str(ctx.timeout)]
        with open(ctx.path(f"rank{rank}.stderr"), "wb") as err:
            workers.append(
                subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=err,
                    stderr=err,
                )
            )
    try:
        outcome = _worker_module().allreduce(torch, 0, world, init, backend, ctx.timeout)
        codes = [w.wait(timeout=ctx.timeout) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    details: dict[str, Any] = {"backend": backend, "world_size": world, "init": init}
    details.update({k: v for k, v in settings.items()})
    metrics = {
        "world_size": world,
        "seconds": outcome["seconds"],
        "bytes": outcome["bytes"],
        "algbw_gb_s": outcome["bytes"] / outcome["seconds"] / 1e9,
    }
    if nccl:
        metrics["busbw_gb_s"] = metrics["algbw_gb_s"] * 2 * (world - 1) / world
    bad_workers = [f"rank {i + 1} exited with {c}" for i, c in enumerate(codes) if c != 0]
    ok = outcome["ok"] and not bad_workers
    error = None
    if not outcome["ok"]:
        error = f"wrong result: expected {outcome['expected']}, got {outcome['got']}"
    elif bad_workers:
        error = "; ".join(bad_workers)
    return ctx.result(
        "passed" if ok else "failed", variant=backend, metrics=metrics, details=details, error=error
    )


def check_memory(ctx: Context) -> dict[str, Any]:
    torch = ctx.modules["torch"]
    if ctx.device != "cuda":
        raise ctx.NotApplicable("GPU memory: this run is on the CPU")
    settings = ctx.env("PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_ALLOC_CONF")
    device = _device(ctx)
    block = torch.ones(1 << 20, device=device)  # 4 MiB
    free, total = torch.cuda.mem_get_info(device)
    metrics = {
        "allocated_bytes": torch.cuda.memory_allocated(device),
        "reserved_bytes": torch.cuda.memory_reserved(device),
        "device_used_bytes": total - free,
        "device_total_bytes": total,
    }
    del block
    details = {k: v for k, v in settings.items() if v is not None}
    details["allocator_backend"] = torch.cuda.get_allocator_backend()
    return ctx.result("passed", variant="caching allocator", metrics=metrics, details=details)
