"""Rules about what `dlenv smoke` saw a framework really do: train, save and reload, log for
TensorBoard, all-reduce, and hold GPU memory. Codes DL410-DL419 (area frameworks).

They judge the Snapshot's `smoke` section only; a check that was skipped or not applicable is
no finding. Each failure names the framework, the device and the check, quotes the error, and
names a cause when the error says one (cuDNN at the first convolution, out of memory, no kernel
for the GPU's architecture).
"""

from __future__ import annotations

from collections.abc import Iterator

from dlenv.fix.actions import Action, ManualStep, SetEnv
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import SmokeCheck, Snapshot

FAILED = ("failed", "timeout", "crashed", "error")

# (text in the error, the cause it names): first match wins
CAUSES = (
    (
        ("CUDNN_STATUS", "cuDNN", "cudnn", "DNN library"),
        "cuDNN failed at the first convolution: the cuDNN that the framework loaded does not "
        "match the one it was built for, or cannot initialise on this GPU",
    ),
    (
        ("out of memory", "OOM", "RESOURCE_EXHAUSTED"),
        "the GPU ran out of memory: another process holds it, or a framework preallocated it",
    ),
    (
        ("no kernel image", "sm_", "PTX", "CUDA_ERROR_NO_BINARY_FOR_GPU"),
        "the framework has no kernels for this GPU's compute capability",
    ),
    (
        ("CUBLAS_STATUS", "cuBLAS"),
        "cuBLAS failed: a mismatched or broken CUDA library",
    ),
)


def _where(c: SmokeCheck) -> str:
    who = f"keras ({c.backend} backend)" if c.framework == "keras" and c.backend else c.framework
    return f"{who} on {c.device}"


def _failed(s: Snapshot, check: str) -> list[SmokeCheck]:
    if s.smoke is None:
        return []
    return [c for c in s.smoke.checks if c.check == check and c.status in FAILED]


def _what_happened(c: SmokeCheck) -> str:
    if c.status == "timeout":
        return f"it hung: {c.error}" if c.error else "it hung"
    if c.status == "crashed":
        return f"the process died: {c.error}" if c.error else "the process died"
    return c.error or c.status


def _cause(c: SmokeCheck) -> str | None:
    text = " ".join(filter(None, [c.error, c.stderr_tail]))
    for needles, cause in CAUSES:
        if any(n in text for n in needles):
            return cause
    return None


def _evidence(c: SmokeCheck, needed: str) -> list[Evidence]:
    fact = f"smoke.{c.framework}.{c.device}.{c.check}" + (f".{c.variant}" if c.variant else "")
    return [Evidence(fact=fact, found=c.status, needed=needed, note=c.error)]


def _rerun(c: SmokeCheck) -> ManualStep:
    device = c.device.split(",")[0] if c.device.startswith("cuda") else c.device
    return ManualStep(
        text="Run the check again alone, and read the whole error:",
        commands=[f"dlenv smoke --only {c.framework} --device {device} --checks {c.check}"],
    )


@rule("DL410", "smoke-train-failed", "error", "frameworks")
def smoke_train_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that `dlenv smoke` trained LeNet-5 for a few hundred steps with each
    framework on each device, and that the loss fell.

    Why it matters: importing a framework and seeing a GPU proves little; a first convolution
    (cuDNN), a backward pass or an optimizer step is where broken CUDA libraries, missing GPU
    kernels and memory trouble show. A loss that does not fall means wrong numbers.

    Example: torch on cuda:0: `RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED` at the
    first `Conv2d`; or a loss that stays at 2.30 for 200 steps.

    Fix: the finding names the cause when the error shows one (cuDNN, out of memory, no kernel
    image for the GPU); rerun the one check with `dlenv smoke --only … --device … --checks train`.
    """
    for c in _failed(s, "train"):
        cause = _cause(c)
        message = f"Training LeNet-5 with {_where(c)} failed: {_what_happened(c)}"
        if cause:
            message += f". Likely cause: {cause}"
        fixes: list[Action] = [_rerun(c)]
        if cause and cause.startswith("cuDNN"):
            fixes.insert(
                0,
                ManualStep(
                    text="Check which cuDNN the framework loads (`dlenv doctor` shows it and "
                    "the one it was built for); remove a system cuDNN that LD_LIBRARY_PATH puts "
                    "first, or reinstall the framework's CUDA build with its own cuDNN wheel.",
                    commands=["dlenv doctor --verbose"],
                ),
            )
        yield finding(
            "DL410",
            title=f"{_where(c)} cannot train",
            message=message,
            evidence=_evidence(c, "passed: the loss falls"),
            fixes=fixes,
            subject=c.framework,
        )


# What to use instead of a format that does not round-trip, by variant.
INSTEAD = {
    "h5": "save in the native format, model.save('model.keras'); Keras 3 reads .h5 only as a "
    "legacy format (load old Keras 2 files with tf-keras: pip install tf-keras)",
    "keras": "save and load with the same Keras version; for serving, model.export(...)",
    "export": "save with model.save('model.keras'), or tf.saved_model.save on a tf.Module",
    "savedmodel": "save weights alone (tf.train.Checkpoint) and rebuild the model in code",
    "state_dict": "save the state_dict with torch.save and load it with "
    "torch.load(path, weights_only=True) into a freshly built model",
    "tf_keras.h5": "load Keras 2 .h5 files with tf-keras (import tf_keras), or re-save them as "
    ".keras",
}


@rule("DL411", "smoke-save-load-failed", "error", "frameworks")
def smoke_save_load_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that a model saved by each framework in each format (Keras `.keras` and
    legacy `.h5`, `model.export`, a TensorFlow SavedModel, a PyTorch `state_dict`) loads back
    and predicts the same as before, within the stated tolerance.

    Why it matters: a format that the installed versions cannot round-trip loses a training run
    at the worst moment, typically `.h5` files under Keras 3 or a SavedModel written by one
    Keras and loaded by another.

    Example: keras 3.x (tensorflow backend): `.h5`: `ValueError: … could not be deserialized`
    on load, while `.keras` round-trips.

    Fix: use the format named in the finding instead (usually `model.save('model.keras')`).
    """
    for c in _failed(s, "save_load"):
        variant = c.variant or "the model"
        instead = c.details.get("instead") or INSTEAD.get(c.variant or "", "")
        step = c.details.get("step")
        happened = _what_happened(c)
        message = (
            f"{_where(c)} cannot round-trip {variant}"
            + (f" ({step} failed)" if step else "")
            + f": {happened}"
        )
        fixes: list[Action] = []
        if instead:
            fixes.append(ManualStep(text=f"Instead: {instead}."))
        fixes.append(_rerun(c))
        tolerance = ""
        if "atol" in c.metrics:
            tolerance = f"predictions equal within atol {c.metrics['atol']:g}"
        yield finding(
            "DL411",
            title=f"{_where(c)}: {variant} does not round-trip",
            message=message,
            evidence=_evidence(c, tolerance or "saved, loaded, same predictions"),
            hint=f"Use instead: {instead}" if instead else None,
            fixes=fixes,
            subject=c.framework,
        )


@rule("DL412", "smoke-tensorboard-failed", "warning", "frameworks")
def smoke_tensorboard_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that scalars written with `tf.summary` or `torch.utils.tensorboard` can
    be read back with TensorBoard's own event reader (when TensorBoard is installed; without it
    the check is skipped, not failed).

    Why it matters: a training run that logs nothing is found out hours later; a TensorBoard
    that does not match the framework, or a log directory that cannot be written, is found now.

    Example: torch on cpu: `AttributeError: module 'tensorboard' has no attribute …` from an
    old TensorBoard under a new PyTorch.

    Fix: install a TensorBoard that matches the framework (`pip install -U tensorboard`).
    """
    for c in _failed(s, "tensorboard"):
        yield finding(
            "DL412",
            title=f"{_where(c)} cannot log for TensorBoard",
            message=f"Writing and reading TensorBoard scalars with {_where(c)} failed: "
            f"{_what_happened(c)}",
            evidence=_evidence(c, "the scalars read back"),
            fixes=[
                ManualStep(
                    text="Install a TensorBoard that matches the framework.",
                    commands=["pip install -U tensorboard"],
                ),
                _rerun(c),
            ],
            subject=c.framework,
        )


@rule("DL413", "smoke-allreduce-failed", "error", "frameworks")
def smoke_allreduce_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: that two processes on 127.0.0.1 (gloo, on the CPU) or one process per GPU
    (NCCL) all-reduce a tensor with `torch.distributed`, and that two TensorFlow workers of
    `MultiWorkerMirroredStrategy` do with ring collectives over gRPC, in time, to the right sum.

    Why it matters: distributed training that hangs at the first all-reduce burns a whole
    allocation; it is usually a network interface or GPU peer-to-peer setting, visible in the
    NCCL/gloo variables the finding shows.

    Example: torch on cuda:0,1: no answer after 60 s in `all_reduce` with NCCL_P2P_LEVEL=NVL on
    GPUs without NVLink.

    Fix: rerun with NCCL_DEBUG=INFO to see where it stops; on one machine try
    NCCL_P2P_DISABLE=1 (peer-to-peer through the host) or pin the interface (NCCL_SOCKET_IFNAME,
    GLOO_SOCKET_IFNAME=lo). For TensorFlow's workers, keep gRPC's loopback traffic off an HTTP
    proxy (no_proxy=127.0.0.1,localhost).
    """
    for c in _failed(s, "allreduce"):
        if c.framework == "tensorflow":
            yield _tensorflow_allreduce_failed(c)
            continue
        settings = {
            k: v for k, v in c.details.items() if k.startswith(("NCCL_", "GLOO_", "TORCH_", "MAS"))
        }
        shown = ", ".join(f"{k}={v}" for k, v in settings.items()) or "none set"
        backend = c.variant or ("nccl" if c.device.startswith("cuda") else "gloo")
        fixes: list[Action] = [
            SetEnv(
                name="NCCL_DEBUG" if backend == "nccl" else "TORCH_DISTRIBUTED_DEBUG",
                value="INFO" if backend == "nccl" else "DETAIL",
                reason="to see where the collective stops (set it for one run, then remove it)",
            )
        ]
        if backend == "nccl":
            fixes.append(
                SetEnv(
                    name="NCCL_P2P_DISABLE",
                    value="1",
                    reason="a hang in peer-to-peer copies between GPUs (common without NVLink, "
                    "or with IOMMU/ACS on) goes away through host memory",
                )
            )
        elif "GLOO_SOCKET_IFNAME" not in settings:
            fixes.append(
                SetEnv(
                    name="GLOO_SOCKET_IFNAME",
                    value="lo",
                    reason="gloo picks its interface from the host name; on one machine the "
                    "loopback interface always works",
                )
            )
        fixes.append(_rerun(c))
        yield finding(
            "DL413",
            title=f"all-reduce with {backend} on {c.device} "
            + ("hangs" if c.status == "timeout" else "fails"),
            message=f"torch.distributed ({backend}) on {c.device}: {_what_happened(c)}. "
            f"Settings in force: {shown}",
            evidence=_evidence(c, "the right sum, in time"),
            fixes=fixes,
            subject="torch",
        )


def _tensorflow_allreduce_failed(c: SmokeCheck) -> Finding:
    """DL413 for TensorFlow's multi-worker collectives (gRPC between the workers)."""
    settings = {k: v for k, v in c.details.items() if k.startswith(("GRPC_", "TF_", "NCCL_"))}
    shown = ", ".join(f"{k}={v}" for k, v in settings.items()) or "none set"
    fixes: list[Action] = [
        SetEnv(
            name="no_proxy",
            value="127.0.0.1,localhost",
            reason="gRPC sends even the workers' loopback traffic through an HTTP proxy named in "
            "http_proxy/https_proxy; the workers then never meet",
        ),
        SetEnv(
            name="TF_CPP_MIN_LOG_LEVEL",
            value="0",
            reason="to see TensorFlow's own log of the cluster set-up (set it for one run)",
        ),
        _rerun(c),
    ]
    return finding(
        "DL413",
        title=f"TensorFlow's multi-worker all-reduce on {c.device} "
        + ("hangs" if c.status == "timeout" else "fails"),
        message=f"MultiWorkerMirroredStrategy ({c.details.get('collectives', 'collectives')}) "
        f"on {c.device}: {_what_happened(c)}. Settings in force: {shown}",
        evidence=_evidence(c, "the right sum, in time"),
        fixes=fixes,
        subject="tensorflow",
    )


@rule("DL414", "smoke-gpu-memory-failed", "warning", "frameworks")
def smoke_gpu_memory_failed(s: Snapshot) -> Iterator[Finding]:
    """What it checks: on each GPU, that TensorFlow's memory growth can be set before first use
    and is in effect (a small tensor takes far less than the device), and that PyTorch's
    allocator settings (PYTORCH_CUDA_ALLOC_CONF) are accepted.

    Why it matters: without memory growth TensorFlow takes nearly all of a GPU's memory at
    start, so a second process on the same GPU fails with out-of-memory errors.

    Example: tensorflow on cuda:0: a 4 MiB tensor took 78.5 GiB of 80.0 GiB.

    Fix: set TF_FORCE_GPU_ALLOW_GROWTH=true, or call
    `tf.config.experimental.set_memory_growth(gpu, True)` before anything uses the GPU.
    """
    for c in _failed(s, "memory"):
        fixes: list[Action] = []
        if c.framework in ("tensorflow", "keras"):
            fixes.append(
                SetEnv(
                    name="TF_FORCE_GPU_ALLOW_GROWTH",
                    value="true",
                    reason="TensorFlow then takes GPU memory as it needs it, not all at start",
                )
            )
        fixes.append(_rerun(c))
        yield finding(
            "DL414",
            title=f"GPU memory with {_where(c)}",
            message=f"The GPU memory check of {_where(c)} failed: {_what_happened(c)}",
            evidence=_evidence(c, "memory growth in effect; allocator settings accepted"),
            fixes=fixes,
            subject=c.framework,
        )
