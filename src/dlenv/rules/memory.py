"""Rules about GPU memory: TensorFlow grabbing a shared GPU whole, GPUs that are already full.
Codes DL7xx.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.rules.derived import LIVE_WINS, cuda_build, label, live, usable_gpus
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import Snapshot

NEARLY_FULL = 0.9


# The error TensorFlow raises when set_memory_growth (or set_visible_devices, or a virtual device
# configuration) comes after the GPUs were initialised: tensorflow/python/eager/context.py.
AFTER_INIT = "Physical devices cannot be modified after being initialized"


def _growth_set_too_late(s: Snapshot) -> Finding | None:
    probe = s.live_probe("tensorflow")
    error = probe.memory_growth.get("error") if probe is not None else None
    if not error or AFTER_INIT not in error:
        return None
    tf = s.framework("tensorflow")
    who = label(tf) if tf is not None else "TensorFlow"
    return finding(
        "DL701",
        title="set_memory_growth was called after TensorFlow initialised the GPU",
        message=f'{who} raised "{AFTER_INIT}": the program turns memory growth on after '
        "something (a tensor, a model, a list_logical_devices call) already initialised the "
        "GPUs. It is an ordering problem in the code, not in the installation.",
        severity="error",
        evidence=[
            Evidence(
                fact="live.tensorflow.memory_growth.error",
                found=error,
                needed="set_memory_growth before the first operation",
            )
        ],
        hint="Call tf.config.experimental.set_memory_growth(gpu, True) for every GPU right "
        "after `import tensorflow`, before any other TensorFlow call; or drop the call and set "
        "TF_FORCE_GPU_ALLOW_GROWTH=true.",
        fixes=[
            SetEnv(
                name="TF_FORCE_GPU_ALLOW_GROWTH",
                value="true",
                reason="memory growth from the start, whatever the program's order",
            )
        ],
        subject="tensorflow",
    )


@rule("DL701", "tensorflow-memory-growth-off", "info", "memory")
def tensorflow_memory_growth(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a TensorFlow CUDA build on a GPU machine without memory growth
    (TF_FORCE_GPU_ALLOW_GROWTH is not exactly "true" — TensorFlow ignores "True", "1" or "yes"
    with only a log line — or the live probe says growth is off); and a
    program that turned memory growth on too late ("Physical devices cannot be modified after
    being initialized").

    Why it matters: TensorFlow maps nearly all GPU memory at start-up; a second process on the
    same GPU (another notebook, torch in the same job) fails with "CUDA_ERROR_OUT_OF_MEMORY".
    A warning when the GPU is already shared (other processes on it, or torch installed too),
    information otherwise. Calling `set_memory_growth` after the first TensorFlow operation
    raises a RuntimeError (an error finding): growth can only be chosen before the GPUs are
    initialised.

    Example: two Jupyter kernels with TensorFlow on one RTX 3090; `model = ...` followed by
    `tf.config.experimental.set_memory_growth(gpu, True)`.

    Fix: `export TF_FORCE_GPU_ALLOW_GROWTH=true` (or call
    `tf.config.experimental.set_memory_growth(gpu, True)` for every GPU right after `import
    tensorflow`, before any other TensorFlow call).
    """
    too_late = _growth_set_too_late(s)
    if too_late is not None:
        yield too_late
        return
    tf = s.framework("tensorflow")
    gpus = usable_gpus(s)
    if tf is None or not cuda_build(tf) or not gpus:
        return
    probe = live(s, "tensorflow")
    # TensorFlow compares the value with strcmp: only exactly "true" or "false" count.
    env = s.env_value("TF_FORCE_GPU_ALLOW_GROWTH") or ""
    growth = {k: v for k, v in (probe.memory_growth if probe else {}).items() if k != "error"}
    if probe is not None and growth:
        if all(v.lower() == "true" for v in growth.values()):
            return
        confirmed: str | None = LIVE_WINS
    else:
        if env == "true":
            return
        confirmed = None
    busy = [g for g in gpus if (g.processes or 0) > 0]
    shared = bool(busy) or s.framework("torch") is not None
    why = (
        f"{sum(g.processes or 0 for g in busy)} other process(es) use the GPU"
        if busy
        else "torch is installed in the same environment"
        if shared
        else "any second process on the GPU will run out of memory"
    )
    ignored = (
        f"; TF_FORCE_GPU_ALLOW_GROWTH={env!r} is ignored: TensorFlow accepts only exactly "
        '"true" or "false"'
        if env and env not in ("true", "false")
        else ""
    )
    yield finding(
        "DL701",
        title="TensorFlow will reserve all GPU memory",
        message=f"{label(tf)} allocates nearly all memory of each GPU at start-up because "
        f"memory growth is off; {why}{ignored}.",
        severity="warning" if shared else "info",
        evidence=[
            Evidence(
                fact="env.TF_FORCE_GPU_ALLOW_GROWTH",
                found=env or "unset",
                needed="true",
                note=why,
            )
        ],
        fixes=[
            SetEnv(
                name="TF_FORCE_GPU_ALLOW_GROWTH",
                value="true",
                reason="allocate GPU memory as needed",
            )
        ],
        subject="tensorflow",
        confirmed_by=confirmed,
    )


# An out-of-memory error is blamed on other processes when they hold at least this share of the
# GPU and at least as much as this process: below that, the program's own size is the cause.
OTHERS_SHARE = 0.25


def _size(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.2f} MiB"


def _number(details: dict[str, str], key: str) -> float | None:
    try:
        return float(details[key])
    except (KeyError, ValueError):
        return None


def _oom_held_by_others(s: Snapshot) -> Iterator[Finding]:
    """DL702 from PyTorch's out-of-memory message, when its numbers show that memory outside
    this process's allocator (other processes) filled the GPU."""
    probe = s.live_probe("torch")
    details = probe.details if probe is not None else {}
    total = _number(details, "oom_total_mib")
    free = _number(details, "oom_free_mib")
    if total is None or free is None or total <= 0:
        return
    mine = _number(details, "oom_this_process_mib")
    reserved = _number(details, "oom_pytorch_reserved_mib")
    listed = [
        (pid, float(mib))
        for pid, _, mib in (
            p.partition("=") for p in details.get("oom_other_processes", "").split(",")
        )
        if pid and mib
    ]
    if mine is not None:
        others: float | None = total - free - mine
    elif reserved is not None:
        # includes this process's CUDA context (a few hundred MiB), which PyTorch does not count
        others = total - free - reserved
    else:
        others = sum(mib for _, mib in listed) if listed else None
    own = mine if mine is not None else reserved
    if others is None or others < OTHERS_SHARE * total or (own is not None and others < own):
        return
    gpu = details.get("oom_gpu", "0")
    requested = _number(details, "oom_requested_mib")
    asked = f"asked for {_size(requested)}" if requested is not None else "ran out of memory"
    holders = (
        ", ".join(f"process {pid} holds {_size(mib)}" for pid, mib in listed)
        if listed
        else f"{_size(others)} is held outside this program's PyTorch allocator"
    )
    evidence = [
        Evidence(fact="live.torch.details.oom_total_mib", found=_size(total), note=f"GPU {gpu}"),
        Evidence(
            fact="live.torch.details.oom_free_mib",
            found=_size(free),
            needed=f">={_size(requested)}" if requested is not None else None,
        ),
    ]
    evidence += [
        Evidence(
            fact="live.torch.details.oom_other_processes",
            found=f"PID {pid}: {_size(mib)}",
            note="another process",
        )
        for pid, mib in listed
    ]
    if own is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_this_process_mib"
                if mine is not None
                else "live.torch.details.oom_pytorch_reserved_mib",
                found=_size(own),
                note="held by the failing program itself",
            )
        )
    if not listed:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_total_mib",
                found=f"{_size(others)} used elsewhere",
                note="total - free - what PyTorch reserved",
            )
        )
    pids = [pid for pid, _ in listed]
    yield finding(
        "DL702",
        title=f"GPU {gpu} memory is held by another process",
        message=f"PyTorch {asked} on GPU {gpu} ({_size(total)}) and only {_size(free)} was free: "
        f"{holders}. The program's own size is not the cause: the memory was already taken.",
        severity="error",
        evidence=evidence,
        hint="Look at what holds the GPU before reducing the batch size: a forgotten notebook "
        "kernel, an earlier run still alive, another user's job. Inside a container, nvidia-smi "
        "and PyTorch show host PIDs.",
        fixes=[
            ManualStep(
                text=f"Find the processes that hold GPU {gpu}'s memory and stop the ones you do "
                "not need, or run on a free GPU (CUDA_VISIBLE_DEVICES).",
                commands=[
                    "nvidia-smi --query-compute-apps=pid,used_memory --format=csv",
                    *(f"ps -o pid,user,etime,args -p {pid}" for pid in pids),
                    *(f"kill {pid}  # once you know it is safe to stop" for pid in pids),
                ],
            )
        ],
        subject=f"gpu{gpu}",
    )


@rule("DL702", "gpu-memory-nearly-full", "warning", "memory")
def gpu_memory_nearly_full(s: Snapshot) -> Iterator[Finding]:
    """What it checks: GPUs whose memory is already more than 90% used by other processes; and
    a pasted PyTorch "CUDA out of memory" error whose numbers show that other processes held the
    memory (at least a quarter of the GPU, and more than the failing program itself).

    Why it matters: the next framework that starts there fails with "CUDA out of memory" (or
    TensorFlow's "failed to allocate") however small the model is; reducing the batch size does
    not help.

    Example: a forgotten notebook kernel holding 23 of 24 GiB on GPU 0; "Tried to allocate
    20.00 MiB. GPU 0 has a total capacity of 7.79 GiB of which 3.94 MiB is free. Process 1234
    has 7.78 GiB memory in use."

    Fix: stop the processes holding the memory (`nvidia-smi
    --query-compute-apps=pid,used_memory --format=csv` lists them), or pick another GPU with
    CUDA_VISIBLE_DEVICES.
    """
    yield from _oom_held_by_others(s)
    for gpu in usable_gpus(s):
        total, used = gpu.memory_total_mib, gpu.memory_used_mib
        if not total or used is None or used < NEARLY_FULL * total:
            continue
        yield finding(
            "DL702",
            title=f"GPU {gpu.index} memory is {used * 100 // total}% used",
            message=f"{gpu.name or f'GPU {gpu.index}'} has {used} of {total} MiB in use"
            + (f" by {gpu.processes} process(es)" if gpu.processes else "")
            + "; new CUDA programs there will run out of memory.",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.memory_used_mib",
                    found=f"{used} MiB",
                    needed=f"<{int(NEARLY_FULL * total)} MiB",
                    note=f"of {total} MiB",
                )
            ],
            hint="`nvidia-smi` lists the processes that hold GPU memory.",
            subject=f"gpu{gpu.index}",
        )
