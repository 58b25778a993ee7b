"""Rules about GPU memory: TensorFlow grabbing a shared GPU whole, GPUs that are already full.
Codes DL7xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from dlenv.fix.actions import ManualStep, SetEnv
from dlenv.rules.derived import LIVE_WINS, cuda_build, label, live, usable_gpus
from dlenv.rules.findings import Evidence, Finding
from dlenv.rules.registry import finding, rule
from dlenv.snapshot.model import ReportedError, Snapshot

NEARLY_FULL = 0.9


# The error TensorFlow raises when set_memory_growth (or set_visible_devices, or a virtual device
# configuration) comes after the GPUs were initialised: tensorflow/python/eager/context.py.
AFTER_INIT = "Physical devices cannot be modified after being initialized"
GROWTH_IGNORED = "memory-growth-not-in-effect-stated"
ALL_MEMORY_SAID = "said-all-gpu-memory-taken"  # the reporter: "tensorflow occupies all GPU memory"
AFTER_INIT_WORDS = (AFTER_INIT, "Virtual devices cannot be modified after being initialized")


def _growth_set_too_late(s: Snapshot) -> Finding | None:
    probe = s.live_probe("tensorflow")
    error = probe.memory_growth.get("error") if probe is not None else None
    tf = s.framework("tensorflow")
    who = label(tf) if tf is not None else "TensorFlow"
    said = next((m for m in AFTER_INIT_WORDS if error and m in error), None)
    stated = next((e for e in s.reported_errors if e.signature == GROWTH_IGNORED), None)
    if said is None and stated is not None:
        # the report says growth (or a memory fraction) was set and all memory was still taken
        return finding(
            "DL701",
            title="Memory growth was set but never took effect",
            message=f"{who} still took all GPU memory although growth (or a memory fraction) "
            "was set: the setting never reached the session or context that initialised the "
            "GPU (set after the first TensorFlow call or an import that initialises the GPU, "
            "or on a ConfigProto that no session/Estimator uses).",
            severity="error",
            evidence=[_said(stated)],
            hint="Set it before anything touches the GPU, or set TF_FORCE_GPU_ALLOW_GROWTH=true "
            "in the environment, which TensorFlow reads when it creates the GPU device.",
            fixes=[SetEnv(name="TF_FORCE_GPU_ALLOW_GROWTH", value="true")],
            subject="tensorflow",
        )
    all_taken = next((e for e in s.reported_errors if e.signature == ALL_MEMORY_SAID), None)
    if said is None and all_taken is not None:
        # only the reporter's words: TensorFlow's allocator did what it does without growth
        return finding(
            "DL701",
            title="TensorFlow takes all GPU memory: memory growth is not in effect",
            message=f"The report says {who} takes all GPU memory: TensorFlow maps nearly all "
            "memory of every visible GPU at start-up unless memory growth is on before the GPU "
            "is initialised (a ConfigProto that no session uses, or growth set after the first "
            "TensorFlow call, changes nothing).",
            severity="warning",
            evidence=[_said(all_taken)],
            hint="Set TF_FORCE_GPU_ALLOW_GROWTH=true in the environment, or call "
            "tf.config.experimental.set_memory_growth(gpu, True) right after the import.",
            fixes=[SetEnv(name="TF_FORCE_GPU_ALLOW_GROWTH", value="true")],
            subject="tensorflow",
        )
    if said is None or error is None:
        return None
    return finding(
        "DL701",
        title="set_memory_growth was called after TensorFlow initialised the GPU",
        message=f'{who} raised "{said}": the program turns memory growth (or a virtual device '
        "configuration) on after something (a tensor, a model, a list_logical_devices call) "
        "already initialised the GPUs. It is an ordering problem in the code, not in the "
        "installation.",
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
    being initialized"). From the reporter's words (a warning that says "probably"): TensorFlow
    or JAX taking all (or far more than needed) of the GPU memory; a memory setting
    (allow_growth, a memory fraction, XLA_PYTHON_CLIENT_PREALLOCATE) said to have no effect, or
    shown in the code of a report that asks how to limit the GPU memory; TensorFlow or JAX in
    the same process as PyTorch beside an out-of-memory error, said or shown (the paste's code
    imports TensorFlow or JAX while PyTorch or CuPy ran out), unless PyTorch's numbers show the
    program itself held the memory; TensorFlow's or JAX's out-of-memory error in a program that
    runs in several processes at once (Ray actors or trials, a federated simulation's clients, a
    process pool: each maps the whole GPU); an allocation failure beside the reporter's fix that
    turns memory growth on ("add this line in case of allocation error: TF_FORCE_GPU_ALLOW_GROWTH").
    Also from what the report says happened to the memory, without naming the allocator: the
    same large share of every GPU whatever its size ("uses around 70% of the GPU memory,
    regardless of the total": a job needs a fixed amount, an allocator a fixed share), the
    memory taken as soon as a library is imported (before any job ran), or the report's fix
    that turns memory growth on or JAX's preallocation off.

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
    tensorflow`, before any other TensorFlow call); for JAX `export
    XLA_PYTHON_CLIENT_PREALLOCATE=false` before `import jax`.
    """
    too_late = _growth_set_too_late(s)
    if too_late is not None:
        yield too_late
        return
    oom = _classify(s)
    if oom is not None and oom.cause == "growth":
        yield _growth_reported(s, oom)
        return
    said = _growth_said(s) if oom is None else None
    if said is not None:
        yield said
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
# TensorFlow asks the driver for regions; without memory growth the first is (nearly) the whole
# GPU. A region this large failing is that start-up grab, not a tensor of the model.
STARTUP_GRAB_MIB = 1024.0
# PyTorch's cache is fragmented when what it reserved but does not use could have held the
# failed request and is a noticeable share of the GPU.
FRAGMENTED_SHARE = 0.05

# The messages that say a GPU ran out of memory (dlenv/importers/catalog/memory.toml; the cuDNN
# handle message is in cudnn.toml), and the ones that only name a library that could not start
# for lack of memory.
OOM_SIGNATURES = (
    "torch-oom-allowed-memory",
    "tf-failed-to-allocate-from-device",
    "tf-bfc-out-of-memory",
    "cublas-handle-failed",
    "cudnn-handle-failed",
    "tf-conv-algorithm-cudnn-init",
    "cuda-out-of-memory",
    "torch-no-valid-cudnn-algorithm",
    "tf-cudnn-launch-failure",
    "xla-conv-algorithm-picker-failed",
    # other programs' checks of a CUDA/OpenCL/TensorRT allocation (memory-programs.toml)
    "gpu-oom-program-check",
    "cublas-init-failed",
)
STARTUP_GRAB = "tf-failed-to-allocate-from-device"
HANDLE_SIGNATURES = frozenset(
    {
        "cublas-handle-failed",
        "cudnn-handle-failed",
        "tf-conv-algorithm-cudnn-init",
        "cublas-init-failed",
    }
)
# cuDNN failures that only suggest memory: beside a cuDNN version mismatch they are that mismatch
CUDNN_FAILURES = (
    "cudnn-handle-failed",
    "tf-conv-algorithm-cudnn-init",
    "torch-no-valid-cudnn-algorithm",
    "tf-cudnn-launch-failure",
    "xla-conv-algorithm-picker-failed",
)
# a cuDNN handle failure beside a cuDNN version mismatch is that mismatch (cudnn.toml)
CUDNN_MISMATCH = "tf-cudnn-version-mismatch"
CUDNN_MISMATCHES = (CUDNN_MISMATCH, "torch-cudnn-version-mismatch", "jax-cudnn-mismatch")
# the reporter: other processes hold the memory; the memory a run held is not given back
HELD_STATED = ("gpu-memory-held-stated", "gpu-memory-not-freed-stated")
# a cuDNN handle that could not be created, in any wording and without CUDNN_STATUS (cudnn.toml)
HANDLE_SAID = "cudnn-handle-not-created"
# the CUDA context itself could not be created for lack of memory: nothing of the program was
# allocated yet, so the memory was already held (memory.toml)
CONTEXT_OOM = "oom-creating-cuda-context"
# TensorFlow could not even start the CUDA runtime on the GPU for lack of memory
# (src-tensorflow.toml)
TF_RUNTIME_INIT = "tf-cuda-runtime-implicit-init-failed"
# the program's first allocation (the first layers of its model) failed: the memory was probably
# held already (memory-programs.toml)
FIRST_ALLOCATION = "oom-at-first-allocation"
# the reporter's own words that the program found no GPU memory: a cause only beside a table that
# shows who held it (memory.toml)
OOM_STATED = "gpu-oom-stated"
# TensorFlow 2.x creates its GPU device with the memory it finds free at start-up (less a reserve
# of a few hundred MiB, and a desktop's share): under half of the GPU, or under 1 GiB where the
# GPU's size is unknown, the rest was held before it began
DEVICE_SHARE = 0.5
DEVICE_FLOOR_MIB = 1024.0
# a process in nvidia-smi's table holding this much is a program's, not a desktop's few MiB
HOLDER_MIB = 1024

# What the reporter says in prose (dlenv/importers/catalog/prose-memory.toml). A symptom alone
# names no cause; each is weighed beside a context, as a warning that says "probably", and never
# over what a program's own numbers show.
SAID_TF_TAKES = "said-tensorflow-takes-gpu-memory"
SAID_JAX_TAKES = "said-jax-takes-gpu-memory"
SAID_SETTING_IGNORED = "said-memory-growth-setting-ignored"
SAID_WANTS_LIMIT = "said-wants-to-limit-gpu-memory"
SAID_SETTING_CODE = "said-memory-setting-code"
SAID_SHARED_PROCESS = "said-frameworks-share-the-gpu"  # TensorFlow/JAX and torch in one process
CODE_IMPORTS_GRABBER = "code-imports-tensorflow-or-jax"
SAID_SEVERAL_PROCESSES = "said-several-processes"  # Ray actors, simulated clients, a pool
SAID_GROWTH_FIXES = "said-memory-growth-fixes"  # the reporter's fix turns growth on
SAID_OTHER_HOLDERS = (
    "said-other-notebook-open",
    "said-other-program-on-gpu",
    "said-restart-frees-memory",  # the live kernel held what earlier runs allocated
)
# "4G显存...跑不了": the VRAM named as too small to run the job, a statement of the same symptom
SAID_VRAM_CANNOT_RUN = "said-vram-cannot-run"
SAID_BATCH_DOES_NOT_FIT = "said-batch-does-not-fit-gpu"  # catalog/prose-memory.toml
SAID_OOM = ("said-gpu-out-of-memory", OOM_STATED, SAID_VRAM_CANNOT_RUN, SAID_BATCH_DOES_NOT_FIT)
SAID_SMALL_GPU = "said-small-gpu-memory"
SAID_BATCH = "said-batch-size"
# "told me out of memory" without naming the memory: GPU memory only where the paste names a GPU
SAID_RAN_OUT = "said-memory-ran-out"
KILLED = "process-killed"  # the shell's "Killed": the kernel's OOM killer, most often
JETSON = "jetson-stated"
SAID_AT_IMPORT = "said-memory-taken-at-import"  # the GPU's memory went at an import
SAID_FIXED_SHARE = "said-fixed-share-of-gpu-memory"  # "70% of every GPU, whatever its size"
SAID_GPU_SIZE = "said-gpu-memory-size"  # "with 8GB GPU", "RTX 3060 12GB", "8G显存"
# a GPU's size as a message or statement states it: "with 8GB GPU", "RTX 3060 12GB", "8G显存"
_CARD_SIZE = re.compile(
    r"(?i)(?<![\w.])(?P<gb>\d{1,3}(?:\.\d{1,2})?)[ ]?(?:GB|GiB|G)(?![A-Za-z0-9])[ ]?(?:of[ ])?"
    r"(?:(?:gpu|video|graphics)[ ])?(?:gpu|vram|video[ ]memory|graphics[ ]card|card|显存|显卡)"
    r"(?![ ](?:(?:memory|ram)[ ])?(?:available|free|left|in[ ]use|used))"
    r"|\b(?:rtx|gtx|ti|[avhlt]\d{1,3}|\d{3,4})[ ]?(?P<gb2>\d{1,3})[ ]?(?:gb|gib|g)(?![a-z0-9])"
    r"|(?P<gb3>\d{1,3})[ ]?(?:G|GB|g|gb)(?:的)?显存"
    r"|显存(?:只有|才|仅有?|是|为)[ ]?(?P<gb4>\d{1,3})[ ]?[Gg]"
    # in MB, as dxdiag writes it: "2048 MB Dedicated Video Memory", "Dedicated Memory: 4029 MB"
    r"|(?<![\w.])(?P<mb>\d{3,6})[ ]?(?:MB|MiB)(?![A-Za-z0-9])[ ]?(?:of[ ])?(?:dedicated[ ])?"
    r"(?:(?:gpu|video|graphics)[ ])?(?:vram|video[ ]memory|gpu[ ]memory|graphics[ ]memory)\b"
    r"(?![ ](?:(?:memory|ram)[ ])?(?:available|free|left|in[ ]use|used))"
    r"|\b(?:dedicated|display)[ ](?:video[ ])?memory:?[ ]{1,4}(?P<mb2>\d{3,6})[ ]?(?:MB|MiB)\b"
)


def _stated(s: Snapshot, *signatures: str) -> ReportedError | None:
    """The first message of the paste with one of these signatures."""
    return next((e for e in s.reported_errors if e.signature in signatures), None)


def _card_mib(s: Snapshot) -> float | None:
    """The GPU's memory in MiB: a table's total, else the size the paste states beside a message
    or statement it recognised ("CUDA_ERROR_OUT_OF_MEMORY with 8GB GPU", "8G显存")."""
    totals = [g.memory_total_mib for g in s.gpus if g.memory_total_mib]
    if totals:
        return float(totals[0])
    said = _card_said(s)
    return said[0] if said is not None else None


def _card_said(s: Snapshot) -> tuple[float, ReportedError] | None:
    """The GPU's size (MiB) as a recognised message or statement gives it, and which."""
    for e in sorted(s.reported_errors, key=lambda e: e.signature != SAID_GPU_SIZE):
        m = _CARD_SIZE.search(e.text[:2000])
        if m is not None:
            mb = next((v for v in m.group("mb", "mb2") if v), None)
            gb = (
                float(mb) / 1024
                if mb is not None
                else float(next(v for v in m.group("gb", "gb2", "gb3", "gb4") if v))
            )
            if 0.25 <= gb <= 256 or (mb is None and 0 < gb <= 256):
                return gb * 1024, e
    return None


SAID_GPU_MODEL = "said-gpu-model"  # "K80", "Tesla T4", "rtx 2080ti": the model, not its size


def _model_card(s: Snapshot) -> tuple[float, str] | None:
    """The GPU's memory (MiB) from its model (kb gpu_memory.json), where the report names the
    model but no size: a GPU a table or prose lists without its total, else the reporter's
    words ("crashing K80 GPUs"). Returns (MiB, what was read)."""
    from dlenv.kb.gpu_memory import gpu_memory

    named = [g.name for g in s.gpus if g.name and not g.memory_total_mib]
    said = _stated(s, SAID_GPU_MODEL)
    for text in [*named, *([said.text[:500]] if said is not None else [])]:
        model = gpu_memory(text)
        if model is not None:
            note = f"; {model.note}" if model.note else ""
            return model.memory_mib, f"{model.name} ({model.memory_gib:g} GiB{note})"
    return None


def _size(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.2f} MiB"


def _number(details: dict[str, str], key: str) -> float | None:
    try:
        return float(details[key])
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class _TorchNumbers:
    """What PyTorch's out-of-memory message says, in MiB."""

    gpu: str
    total: float
    free: float
    requested: float | None
    mine: float | None  # "this process has … in use" (torch >= 2.1)
    reserved: float | None  # what PyTorch's cache held
    unallocated: float | None  # reserved by PyTorch but unallocated
    listed: list[tuple[str, float]]  # "Process N has … in use"

    @property
    def own(self) -> float | None:
        return self.mine if self.mine is not None else self.reserved

    @property
    def others(self) -> float | None:
        if self.mine is not None:
            return self.total - self.free - self.mine
        if self.reserved is not None:
            # includes this process's CUDA context (a few hundred MiB), which PyTorch does not count
            return self.total - self.free - self.reserved
        return sum(mib for _, mib in self.listed) if self.listed else None

    @property
    def held_by_others(self) -> bool:
        others, own = self.others, self.own
        if others is None or others < OTHERS_SHARE * self.total:
            return False
        return own is None or others >= own

    @property
    def fragmented(self) -> bool:
        u, r = self.unallocated, self.requested
        return u is not None and r is not None and u >= r and u >= FRAGMENTED_SHARE * self.total


def _torch_numbers(s: Snapshot) -> _TorchNumbers | None:
    probe = s.live_probe("torch")
    details = probe.details if probe is not None else {}
    total = _number(details, "oom_total_mib")
    free = _number(details, "oom_free_mib")
    if total is None or free is None or total <= 0:
        return None
    reserved = _number(details, "oom_pytorch_reserved_mib")
    allocated = _number(details, "oom_allocated_mib")
    unallocated = _number(details, "oom_unallocated_mib")
    if unallocated is None and reserved is not None and allocated is not None:
        unallocated = max(reserved - allocated, 0.0)
    return _TorchNumbers(
        gpu=details.get("oom_gpu", "0"),
        total=total,
        free=free,
        requested=_number(details, "oom_requested_mib"),
        mine=_number(details, "oom_this_process_mib"),
        reserved=reserved,
        unallocated=unallocated,
        listed=[
            (pid, float(mib))
            for pid, _, mib in (
                p.partition("=") for p in details.get("oom_other_processes", "").split(",")
            )
            if pid and mib
        ],
    )


Cause = Literal["held", "growth", "size"]


@dataclass(frozen=True)
class _Oom:
    """A pasted out-of-memory error and what the paste says caused it."""

    said: ReportedError | None  # None: known only from PyTorch's numbers
    framework: str | None
    cause: Cause
    evidence: list[Evidence]
    why: str  # a clause: what shows the cause
    numbers: _TorchNumbers | None = None
    gpu: str = "0"
    requested: float | None = None
    stated: bool = False  # the cause rests on the reporter's words: a warning, "probably"
    beside: bool = False  # growth: the grab starved another framework in the same process
    several: bool = False  # growth: each of several processes grabbed the same GPU


def _context_oom(s: Snapshot) -> ReportedError | None:
    """A message that the CUDA context (or TensorFlow's CUDA runtime) could not even start for
    lack of memory."""
    return next(
        (
            e
            for e in s.reported_errors
            if e.signature == CONTEXT_OOM
            or (e.signature == TF_RUNTIME_INIT and "out of memory" in e.text.lower())
        ),
        None,
    )


_OTHER_FRAMEWORK = re.compile(r"(?i)\b(?:py)?torch\b|\bcupy\b")


def _shared_process(s: Snapshot, said: ReportedError | None) -> ReportedError | None:
    """TensorFlow or JAX in the same process as the framework that ran out of memory: the
    reporter says so, or the paste's code imports TensorFlow/JAX while the failure is
    PyTorch's (or CuPy's)."""
    stated = _stated(s, SAID_SHARED_PROCESS)
    if stated is not None:
        return stated
    code = _stated(s, CODE_IMPORTS_GRABBER)
    if code is None:
        return None
    failed = [said] if said is not None else []
    failed += [e for e in s.reported_errors if e.signature in OOM_SIGNATURES + SAID_OOM]
    other = any(e.framework == "torch" or _OTHER_FRAMEWORK.search(e.text) for e in failed)
    return code if other else None


def _several_oom(
    s: Snapshot, said: ReportedError | None, fw: str | None, base: list[Evidence]
) -> _Oom | None:
    """The program runs in several processes at once (Ray actors, simulated clients, a pool) and
    what ran out is TensorFlow's or JAX's memory: each process maps (nearly) the whole GPU when
    its framework starts, so the second process finds nothing."""
    context = _stated(s, SAID_SEVERAL_PROCESSES)
    if context is None:
        return None
    failed = [said] if said is not None else []
    failed += [e for e in s.reported_errors if e.signature in OOM_SIGNATURES + SAID_OOM]
    if any(e.framework == "torch" for e in failed):
        return None
    code = _stated(s, CODE_IMPORTS_GRABBER)
    if fw in ("tensorflow", "jax"):
        who = "JAX" if fw == "jax" else "TensorFlow"
    elif fw is None and code is not None:
        who = _grabber(code)
    else:
        return None
    return _Oom(
        said,
        fw if fw is not None else ("jax" if who == "JAX" else "tensorflow"),
        "growth",
        [*base, _said(context)],
        f"the report runs {who} in several processes at once, and each maps (nearly) the whole "
        "GPU for itself when it starts",
        stated=True,
        several=True,
    )


def _growth_fixed(s: Snapshot) -> ReportedError | None:
    """The reporter's fix turns memory growth on (or JAX's preallocation off), and nothing in
    the paste says the setting had no effect."""
    if _stated(s, SAID_SETTING_IGNORED) is not None:
        return None
    return _stated(s, SAID_GROWTH_FIXES)


FIXED_WHY = (
    "the report's fix turns memory growth on (or JAX's preallocation off), which names the "
    "framework's start-up grab of the GPU"
)


def _oom_said(s: Snapshot) -> ReportedError | None:
    by_id = {e.signature: e for e in reversed(s.reported_errors)}
    if any(m in by_id for m in CUDNN_MISMATCHES):
        for sig in CUDNN_FAILURES:
            by_id.pop(sig, None)
    return next((by_id[sig] for sig in OOM_SIGNATURES if sig in by_id), None)


def _said(e: ReportedError) -> Evidence:
    return Evidence(fact=f"reported_errors.{e.signature}", found=e.text.splitlines()[0][:160])


# TensorFlow's words for a failure inside the pool it allocated at start-up
TF_POOL_FAILED = ("Ran out of memory trying", "OOM when allocating")


def _tf_own_pool(s: Snapshot) -> bool:
    """TensorFlow failed inside the pool it mapped at start-up (its own words: no other
    framework's allocator prints them)."""
    return any(
        e.signature == "tf-bfc-out-of-memory" or any(w in e.text for w in TF_POOL_FAILED)
        for e in s.reported_errors
    )


def _held_gpu(s: Snapshot, own_pool: bool = False) -> tuple[str, Evidence, str] | None:
    """A GPU that a pasted nvidia-smi table shows held when the program failed: processes on it
    hold a quarter of its memory, or it is nearly full (a failed program has exited, so what
    the table shows is someone else's), or its process table lists a program holding GiBs.
    `own_pool`: TensorFlow failed inside its own pool ("OOM when allocating tensor"), which it
    mapped at start-up from nearly the whole GPU: a full GPU with no process listed is then
    that pool, as a table taken while the job ran shows it, not someone else's.
    Returns (why, evidence, GPU index)."""
    for g in s.gpus:
        total, used = g.memory_total_mib, g.memory_used_mib
        procs = len(g.compute_processes) or g.processes or 0
        if own_pool and not procs:
            continue
        # a process table with no process in it while a quarter of the GPU is in use: the
        # holder is invisible from here (another container's, or one that did not exit)
        unlisted = g.processes == 0 and not g.compute_processes
        if total and used is not None and (
            used >= NEARLY_FULL * total or ((procs or unlisted) and used >= OTHERS_SHARE * total)
        ):
            return (
                f"{f'{procs} process(es) held' if procs else 'something already held'} "
                f"{used} of {total} MiB"
                + (" while its process table lists none" if unlisted and not procs else ""),
                Evidence(
                    fact=f"gpus.{g.index}.memory_used_mib",
                    found=f"{used} MiB",
                    needed=f"<{int(OTHERS_SHARE * total)} MiB held by others",
                    note=f"of {total} MiB" + (f", {procs} process(es)" if procs else ""),
                ),
                str(g.index),
            )
        big = [p for p in g.compute_processes if (p.used_memory_mib or 0) >= HOLDER_MIB]
        if big and not total:
            p = max(big, key=lambda p: p.used_memory_mib or 0)
            return (
                f"process {p.pid} ({p.name or '?'}) held {p.used_memory_mib} MiB of it",
                Evidence(
                    fact=f"gpus.{g.index}.compute_processes",
                    found=f"PID {p.pid}: {p.used_memory_mib} MiB",
                    note=p.name,
                ),
                str(g.index),
            )
    return None


_BYTES = re.compile(r"\((\d{1,16}) bytes\)")


def _small_startup_region(
    s: Snapshot, requested: float | None, total: float | None
) -> tuple[str, Evidence] | None:
    """TensorFlow without memory growth sizes the one region it takes at start-up from the
    memory it finds free; "failed to allocate" for a small region (under 1 GiB, under a quarter
    of the GPU), with no failure inside its own pool ("Ran out of memory trying to allocate",
    "OOM when allocating tensor"), means the GPU was nearly full before the program began."""
    reported = s.reported_errors
    grab = next((e for e in reported if e.signature == STARTUP_GRAB), None)
    if grab is None:
        return None
    # the first failure is the start-up region; later, smaller ones are TensorFlow backing off
    first = _BYTES.search(grab.text)
    requested = int(first.group(1)) / 2**20 if first is not None else requested
    if requested is None:
        return None
    if requested >= STARTUP_GRAB_MIB or (total and requested >= OTHERS_SHARE * total):
        return None
    if any(e.signature == "tf-bfc-out-of-memory" for e in reported) or any(
        w in e.text for e in reported for w in (*TF_POOL_FAILED, "RESOURCE_EXHAUSTED")
    ):
        return None  # growth on, or the pool itself exhausted: the region grew with the job
    probe = s.live_probe("tensorflow")
    growth = probe.memory_growth if probe is not None else {}
    if s.env_value("TF_FORCE_GPU_ALLOW_GROWTH") == "true" or any(
        v.lower() == "true" for k, v in growth.items() if k != "error"
    ):
        return None
    return (
        f"the region TensorFlow takes at start-up, sized from the memory it found free, was "
        f"only {_size(requested)} (the GPU was nearly full before the program began)",
        Evidence(
            fact="live.tensorflow.details.oom_requested_mib",
            found=_size(requested),
            needed=f">={_size(STARTUP_GRAB_MIB)} free at start-up",
            note="TensorFlow's start-up region is what it found free on the GPU",
        ),
    )


def _classify(s: Snapshot) -> _Oom | None:
    """Which of the three causes a pasted out-of-memory error shows, in the order a maintainer
    asks: does the job fit the GPU at all; did someone else hold the memory; did TensorFlow's
    own start-up grab fail; else the job is too big for what the GPU has."""
    said = _oom_said(s)
    numbers = _torch_numbers(s)
    if said is None and numbers is None:
        said = _context_oom(s)
    if said is None and numbers is None:
        # "could not create cuDNN handle" in the reporter's words (no status) is a cause only
        # beside their fix that turns memory growth on: TensorFlow's start-up grab had left
        # cuDNN no workspace
        handle, fixed = _stated(s, HANDLE_SAID), _growth_fixed(s)
        if handle is not None and fixed is not None:
            return _Oom(
                handle, "tensorflow", "growth", [_said(handle), _said(fixed)], FIXED_WHY,
                stated=True,
            )
        return _classify_said(s)
    reported = {e.signature for e in s.reported_errors}
    handles = reported & HANDLE_SIGNATURES
    fw = said.framework if said is not None else "torch"
    if fw is None and s.framework("tensorflow") is not None and s.framework("torch") is None:
        fw = "tensorflow"
    if fw not in (None, "torch"):
        numbers = None
    tf_details = (p.details if (p := s.live_probe("tensorflow")) is not None else {}) or {}
    tf_total = _number(tf_details, "start_total_mib")
    tf_free = _number(tf_details, "start_free_mib")
    requested = numbers.requested if numbers else _number(tf_details, "oom_requested_mib")
    total = numbers.total if numbers else tf_total
    gpu = numbers.gpu if numbers else "0"
    base = [_said(said)] if said is not None else []

    def oom(cause: Cause, why: str, more: list[Evidence]) -> _Oom:
        return _Oom(said, fw, cause, base + more, why, numbers, gpu, requested)

    if requested is not None and total and requested > total:
        return oom(
            "size",
            f"it asked for {_size(requested)} at once, more than the whole GPU ({_size(total)})",
            [Evidence(fact="oom.requested", found=_size(requested), needed=f"<{_size(total)}")],
        )
    model = None if total or _card_said(s) is not None else _model_card(s)
    if requested is not None and model is not None and requested > model[0]:
        # no size in the paste: the model's, from the knowledge base
        return _Oom(
            said,
            fw,
            "size",
            [
                *base,
                Evidence(
                    fact="oom.requested",
                    found=_size(requested),
                    needed=f"<{_size(model[0])}",
                    note=f"the GPU named in the report: {model[1]}",
                ),
            ],
            f"it asked for {_size(requested)} at once, more than a {model[1]} has",
            numbers,
            gpu,
            requested,
            # a larger variant of the model may hold it; twice the common size none does
            stated=requested <= 2 * model[0],
        )
    shared = _shared_process(s, said)
    if shared is not None and (numbers is None or numbers.held_by_others):
        # what PyTorch counts outside its allocator is, in one process, TensorFlow's/JAX's grab
        return _Oom(
            said,
            fw,
            "growth",
            [*base, _said(shared)],
            f"the report {'says' if shared.signature == SAID_SHARED_PROCESS else 'imports'} "
            f"{_grabber(shared)} in the same process, and it took the GPU's memory when it "
            "started",
            numbers,
            gpu,
            requested,
            stated=True,
            beside=True,
        )
    fixed = _growth_fixed(s)
    if fixed is not None and (numbers is None or numbers.held_by_others):
        return _Oom(
            said, fw, "growth", [*base, _said(fixed)], FIXED_WHY, numbers, gpu, requested, True
        )
    if numbers is not None and numbers.held_by_others:
        return oom("held", "its numbers show the memory held outside the program", [])
    context = _context_oom(s)
    if context is not None:
        return oom(
            "held",
            "even the CUDA context (a few hundred MiB, before any tensor) could not be created",
            [_said(context)],
        )
    if tf_total and tf_free is not None and tf_free < (1 - OTHERS_SHARE) * tf_total:
        return oom(
            "held",
            f"only {_size(tf_free)} of {_size(tf_total)} was free when TensorFlow started",
            [
                Evidence(
                    fact="live.tensorflow.details.start_free_mib",
                    found=_size(tf_free),
                    needed=f">={_size((1 - OTHERS_SHARE) * tf_total)}",
                    note=f"of {_size(tf_total)}, before TensorFlow allocated anything",
                )
            ],
        )
    device = _number(tf_details, "device_mib")
    card = tf_total or _card_mib(s)
    if device is not None and (
        (card and device < DEVICE_SHARE * card) or (not card and device < DEVICE_FLOOR_MIB)
    ):
        return _Oom(
            said,
            fw,
            "held",
            [
                *base,
                Evidence(
                    fact="live.tensorflow.details.device_mib",
                    found=f"{device:.0f} MB",
                    needed=f">={_size(DEVICE_SHARE * card)}" if card else None,
                    note=(f"of {_size(card)}; " if card else "")
                    + "TensorFlow sizes its device from the memory free when it starts",
                ),
            ],
            f"TensorFlow found only {device:.0f} MB free when it created its GPU device"
            + (f" (of {_size(card)})" if card else ""),
            numbers,
            gpu,
            requested,
            stated=not card,
        )
    full = _held_gpu(s, _tf_own_pool(s))
    if full is not None:
        return _Oom(said, fw, "held", [*base, full[1]], full[0], numbers, full[2], requested)
    stated = _stated(s, *HELD_STATED)
    if stated is not None:
        return oom("held", "the report says other processes held it", [_said(stated)])
    other = _stated(s, *SAID_OTHER_HOLDERS)
    if other is not None and numbers is None:
        # the reporter's words refine a message that shows no numbers; PyTorch's numbers (the
        # program's own share) outrank them
        return _Oom(
            said,
            fw,
            "held",
            [*base, _said(other)],
            "the report says another program (a notebook kernel, a training, a game) was on the "
            "same GPU, or that restarting the kernel gave the memory back",
            numbers,
            gpu,
            requested,
            stated=True,
        )
    several = _several_oom(s, said, fw, base) if numbers is None else None
    if several is not None:
        return several
    first = _stated(s, FIRST_ALLOCATION)
    if first is not None and numbers is None:
        return _Oom(
            said,
            fw,
            "held",
            [*base, _said(first)],
            "it failed at its first allocation (the first layers of its model), before any of "
            "the job was on the GPU",
            numbers,
            gpu,
            requested,
            stated=True,
        )
    small = _small_startup_region(s, requested, tf_total)
    if fw == "tensorflow" and small is not None:
        return oom("held", small[0], [small[1]])
    if fw == "tensorflow":
        # the start-up region is (nearly) the whole GPU: where the GPU's size is known, a region
        # under half of it is the job's own allocation growing, not that grab
        card = tf_total or _card_mib(s)
        grab = STARTUP_GRAB in reported and (
            bool(requested and requested >= 0.5 * card)
            if card
            else (requested or 0) >= STARTUP_GRAB_MIB
        )
        if handles or grab:
            return oom(
                "growth",
                "TensorFlow could not start cuDNN/cuBLAS: their workspace found no memory left"
                if handles and not grab
                else f"the {_size(requested or 0)} region TensorFlow asks for at start-up "
                "(nearly the whole GPU) could not be allocated",
                [],
            )
    if numbers is None:
        # no numbers of the program's own share: that nothing else held the memory is what the
        # paste does not show, not what it proves (a maintainer's first answer, not a verdict)
        return _Oom(
            said,
            fw,
            "size",
            base,
            "the paste shows nothing else holding the memory",
            numbers,
            gpu,
            requested,
            stated=True,
        )
    return oom("size", "its own numbers show the program holding the memory", [])


def _grabber(e: ReportedError) -> str:
    """Which allocator a statement names: JAX's, else TensorFlow's."""
    text = e.text.lower()
    return "JAX" if "jax" in text or "xla_python" in text else "TensorFlow"


def _classify_said(s: Snapshot) -> _Oom | None:
    """No program's out-of-memory message: the reporter's own words that the GPU ran out of
    memory, and what the paste shows or says beside them. The words alone name no cause."""
    said = _stated(s, *SAID_OOM)
    killed, jetson = _stated(s, KILLED), _stated(s, JETSON)
    if said is None and killed is not None and jetson is not None:
        # a Jetson's GPU has no memory of its own: the board's RAM running out is the GPU's
        return _Oom(
            killed,
            None,
            "size",
            [_said(killed), _said(jetson)],
            "on a Jetson the GPU shares the board's RAM, and the kernel killed the job when "
            "that ran out",
            stated=True,
        )
    if said is None and (
        s.gpus or _stated(s, SAID_GPU_MODEL, SAID_GPU_SIZE, SAID_SMALL_GPU) is not None
    ):
        # "told me out of memory" names no memory; beside a GPU the paste names (a table, its
        # model, its VRAM), it is the GPU's
        said = _stated(s, SAID_RAN_OUT)
    if said is None:
        return None
    full = _held_gpu(s)
    if full is not None:
        # only the reporter's words, and a table that shows the memory held: that is the cause
        return _Oom(said, None, "held", [_said(said), full[1]], full[0], gpu=full[2])
    held = _stated(s, *HELD_STATED)
    if held is not None:
        why = "the report says other processes held it"
        return _Oom(said, None, "held", [_said(said), _said(held)], why)
    context = _stated(s, *SAID_OTHER_HOLDERS)
    if context is not None:
        return _Oom(
            said,
            None,
            "held",
            [_said(said), _said(context)],
            "the report says another program (a notebook kernel, a training, a game) was on the "
            "same GPU, or that restarting the kernel gave the memory back",
            stated=True,
        )
    context = _shared_process(s, said)
    if context is not None:
        return _Oom(
            said,
            "jax" if _grabber(context) == "JAX" else "tensorflow",
            "growth",
            [_said(said), _said(context)],
            f"the report {'says' if context.signature == SAID_SHARED_PROCESS else 'imports'} "
            f"{_grabber(context)} in the same process, and it took the GPU's memory when it "
            "started",
            stated=True,
            beside=True,
        )
    context = _growth_fixed(s)
    if context is not None:
        return _Oom(
            said, None, "growth", [_said(said), _said(context)], FIXED_WHY, stated=True
        )
    several = _several_oom(s, said, None, [_said(said)])
    if several is not None:
        return several
    context = _stated(s, SAID_SMALL_GPU, SAID_BATCH)
    if context is not None:
        return _Oom(
            said,
            None,
            "size",
            [_said(said), _said(context)],
            "the report names the GPU's small memory or the batch size, and nothing else on the "
            "GPU",
            stated=True,
        )
    card = _card_said(s)
    if card is not None:
        # the reporter weighs the job against the GPU's size, and nothing names another holder
        return _Oom(
            said,
            None,
            "size",
            [_said(said), _said(card[1])],
            f"the report gives the GPU's size ({_size(card[0])}) and names nothing else on it",
            stated=True,
        )
    model = _model_card(s)
    if model is not None:
        # the GPU's model sizes it: the reporter weighs the job against that card
        named = _stated(s, SAID_GPU_MODEL)
        return _Oom(
            said,
            None,
            "size",
            [_said(said), *([_said(named)] if named is not None else [])],
            f"the report names the GPU, a {model[1]}, and nothing else on it",
            stated=True,
        )
    return None


def _oom_held_by_others(s: Snapshot, n: _TorchNumbers) -> Finding:
    """DL702 from PyTorch's out-of-memory message, when its numbers show that memory outside
    this process's allocator (other processes) filled the GPU."""
    others = n.others or 0.0
    own = n.own
    asked = f"asked for {_size(n.requested)}" if n.requested is not None else "ran out of memory"
    holders = (
        ", ".join(f"process {pid} holds {_size(mib)}" for pid, mib in n.listed)
        if n.listed
        else f"{_size(others)} is held outside this program's PyTorch allocator"
    )
    evidence = [
        Evidence(
            fact="live.torch.details.oom_total_mib", found=_size(n.total), note=f"GPU {n.gpu}"
        ),
        Evidence(
            fact="live.torch.details.oom_free_mib",
            found=_size(n.free),
            needed=f">={_size(n.requested)}" if n.requested is not None else None,
        ),
    ]
    evidence += [
        Evidence(
            fact="live.torch.details.oom_other_processes",
            found=f"PID {pid}: {_size(mib)}",
            note="another process",
        )
        for pid, mib in n.listed
    ]
    if own is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_this_process_mib"
                if n.mine is not None
                else "live.torch.details.oom_pytorch_reserved_mib",
                found=_size(own),
                note="held by the failing program itself",
            )
        )
    if not n.listed:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_total_mib",
                found=f"{_size(others)} used elsewhere",
                note="total - free - what PyTorch reserved",
            )
        )
    return _held_finding(
        n.gpu,
        f"PyTorch {asked} on GPU {n.gpu} ({_size(n.total)}) and only {_size(n.free)} was free: "
        f"{holders}. The program's own size is not the cause: the memory was already taken.",
        evidence,
        [pid for pid, _ in n.listed],
    )


def _held_finding(
    gpu: str, message: str, evidence: list[Evidence], pids: list[str], stated: bool = False
) -> Finding:
    return finding(
        "DL702",
        title=f"GPU {gpu} memory is {'probably ' if stated else ''}held by another process",
        message=message,
        severity="warning" if stated else "error",
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


def _who(fw: str | None) -> str:
    names = {"torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX"}
    return names.get(fw or "", "The program")


@rule("DL702", "gpu-memory-nearly-full", "warning", "memory")
def gpu_memory_nearly_full(s: Snapshot) -> Iterator[Finding]:
    """What it checks: GPUs whose memory is already more than 90% used by other processes
    (named, with their PIDs and memory, where NVML lists the compute processes); and a pasted
    out-of-memory error (PyTorch's "CUDA out of memory", TensorFlow's "failed to allocate …
    CUDA_ERROR_OUT_OF_MEMORY", "Ran out of memory trying to allocate", a cuBLAS or
    cuDNN handle that could not be created) when the paste shows that other processes held the
    memory: PyTorch's numbers (at least a quarter of the GPU outside the program, and more than
    the program itself), the CUDA context itself failing to be created for lack of memory
    (cuDevicePrimaryCtxRetain/cuCtxCreate CUDA_ERROR_OUT_OF_MEMORY, PyTorch's lazy init,
    TensorFlow's "CUDA runtime implicit initialization ... Status: out of memory"),
    TensorFlow 1.x's "freeMemory" well below "totalMemory" at start-up, TensorFlow 2.x creating
    its device "with 168 MB memory" or its allocator's dumped "Limit:" (both sized from what it
    found free: under half of the GPU's size, or under 1 GiB where the size is unknown, then a
    warning), TensorFlow's start-up
    region failing while small ("failed to allocate 106.88M … CUDA_ERROR_OUT_OF_MEMORY": without
    memory growth that region is sized from the memory it found free; not with growth on or a
    failure inside its own pool), an
    nvidia-smi table (also a fragment pasted without its header, or gpustat's one line per GPU)
    with processes holding a
    quarter of the GPU (or a quarter in use while its process table lists none: the holder is
    in another container, or did not exit), a GPU nearly full (not beside TensorFlow failing
    inside its own pool, "OOM when allocating tensor", with no process listed: that pool is
    nearly the whole GPU, as a table taken while the job ran shows it), or a process table listing a
    program that holds
    GiBs (then the reporter's own words "failing to allocate memory" suffice), or the reporter
    saying so ("other processes", "memory was not released", a zombie or leftover process,
    memory still taken after Ctrl+C). A warning when
    only the reporter's words place something else on the GPU (another notebook or kernel open,
    a second training, a game, the desktop) beside an out-of-memory error or statement, or say
    that restarting the kernel (the Python process, Colab's runtime) gave the memory back, or when
    the program's first allocation failed (a PyTorch module's __init__ building the first
    layers, darknet's layer 0: nothing of the job was on the GPU yet); never when PyTorch's
    numbers show the program itself held the memory.

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
    oom = _classify(s)
    if oom is not None and oom.cause == "held":
        if oom.numbers is not None and oom.numbers.held_by_others:
            yield _oom_held_by_others(s, oom.numbers)
        else:
            # the processes a pasted nvidia-smi table lists on that GPU, largest first
            listed = [
                str(p.pid)
                for g in s.gpus
                if str(g.index) == oom.gpu
                for p in sorted(
                    g.compute_processes, key=lambda p: p.used_memory_mib or 0, reverse=True
                )[:3]
            ]
            yield _held_finding(
                oom.gpu,
                f"{_who(oom.framework)} ran out of GPU memory, and {oom.why}: the memory was "
                + (
                    "probably already taken (its kernel or process keeps what it allocated until "
                    "it exits), so the program's own size is probably not the cause."
                    if oom.stated
                    else "already taken, so the program's own size is not the cause."
                ),
                oom.evidence,
                listed,
                oom.stated,
            )
    elif oom is None:
        # no out-of-memory error quoted, but the reporter says the memory stays taken after a
        # run (a zombie or orphaned process, memory "not released"): that is the cause to chase
        stated = _stated(s, *HELD_STATED)
        if stated is not None:
            yield _held_finding(
                "0",
                "The report says GPU memory stays taken by processes that should be gone (an "
                "earlier run, a zombie or orphaned worker): the next run finds it full.",
                [_said(stated)],
                [],
            )
    for gpu in usable_gpus(s):
        total, used = gpu.memory_total_mib, gpu.memory_used_mib
        if not total or used is None or used < NEARLY_FULL * total:
            continue
        if oom is not None and oom.cause == "held" and oom.gpu == str(gpu.index):
            continue
        if oom is not None and _tf_own_pool(s) and not (gpu.compute_processes or gpu.processes):
            continue  # TensorFlow's own pool, as a table taken while it ran shows it
        # NVML's compute processes (the probe lists them): who holds it, largest first
        holders = sorted(
            gpu.compute_processes, key=lambda p: p.used_memory_mib or 0, reverse=True
        )
        named = ", ".join(
            f"PID {p.pid}{f' ({p.name})' if p.name else ''}"
            + (f" {_size(p.used_memory_mib)}" if p.used_memory_mib is not None else "")
            for p in holders[:3]
        )
        count = len(holders) or gpu.processes
        pids = [str(p.pid) for p in holders[:3]]
        yield finding(
            "DL702",
            title=f"GPU {gpu.index} memory is {used * 100 // total}% used",
            message=f"{gpu.name or f'GPU {gpu.index}'} has {used} of {total} MiB in use"
            + (f" by {count} process(es)" if count else "")
            + (f": {named}" if named else "")
            + "; new CUDA programs there will run out of memory.",
            evidence=[
                Evidence(
                    fact=f"gpus.{gpu.index}.memory_used_mib",
                    found=f"{used} MiB",
                    needed=f"<{int(NEARLY_FULL * total)} MiB",
                    note=f"of {total} MiB",
                ),
                *(
                    Evidence(
                        fact=f"gpus.{gpu.index}.compute_processes",
                        found=f"PID {p.pid}: "
                        + (_size(p.used_memory_mib) if p.used_memory_mib is not None else "?"),
                        note=p.name,
                    )
                    for p in holders[:3]
                ),
            ],
            hint="`nvidia-smi` lists the processes that hold GPU memory; inside a container "
            "their PIDs are the host's.",
            fixes=[
                ManualStep(
                    text=f"Stop the processes on GPU {gpu.index} you do not need, or run on "
                    "another GPU (CUDA_VISIBLE_DEVICES).",
                    commands=[
                        "nvidia-smi --query-compute-apps=pid,used_memory --format=csv",
                        *(f"ps -o pid,user,etime,args -p {pid}" for pid in pids),
                    ],
                )
            ]
            if holders
            else [],
            subject=f"gpu{gpu.index}",
        )


def _grab_fix(jax: bool) -> SetEnv:
    if jax:
        return SetEnv(
            name="XLA_PYTHON_CLIENT_PREALLOCATE",
            value="false",
            reason="JAX then allocates GPU memory as needed instead of 75% of it at its first "
            "operation (set before `import jax`)",
        )
    return SetEnv(
        name="TF_FORCE_GPU_ALLOW_GROWTH",
        value="true",
        reason="allocate GPU memory as needed instead of all of it at start-up",
    )


GROWTH_HINT = (
    "Or, in the code, right after `import tensorflow` and before any other TensorFlow call: "
    "`for gpu in tf.config.list_physical_devices('GPU'): "
    "tf.config.experimental.set_memory_growth(gpu, True)` (TensorFlow 1.x: "
    "`config.gpu_options.allow_growth = True` on the ConfigProto of the session that runs first "
    "— with Keras, set_session before building the model)."
)
JAX_HINT = (
    "Set it in the shell, or with os.environ at the very top of the program, before `import "
    "jax` (and before importing anything that imports jax); `!export` in a notebook sets it for "
    "a subshell only. `XLA_PYTHON_CLIENT_MEM_FRACTION=.50` caps the preallocation instead."
)


def _growth_said(s: Snapshot) -> Finding | None:
    """DL701 from the reporter's words alone (no out-of-memory message): TensorFlow or JAX takes
    all the memory; a memory setting had no effect; a memory setting in the code beside the wish
    to limit the GPU memory (it did not work, or there would be no report)."""
    ignored = _stated(s, SAID_SETTING_IGNORED)
    wants = _stated(s, SAID_WANTS_LIMIT)
    code = _stated(s, SAID_SETTING_CODE)
    takes = _stated(s, SAID_JAX_TAKES, SAID_TF_TAKES)
    tf_named = wants is not None and re.search(r"(?i)tensorflow|keras|\btf\b", wants.text)
    if ignored is None and takes is None and not (wants and (code or tf_named)):
        return _growth_context(s)
    if ignored is not None or (wants is not None and code is not None):
        said = [e for e in (ignored, wants, code) if e is not None]
        jax = any(_grabber(e) == "JAX" for e in said)
        who = "JAX" if jax else "TensorFlow"
        setting = (
            "XLA_PYTHON_CLIENT_PREALLOCATE (or XLA_PYTHON_CLIENT_MEM_FRACTION)"
            if jax
            else "memory growth (or a memory fraction)"
        )
        when = (
            "set after `import jax` (JAX reads it once, when it starts)"
            if jax
            else "set after the first TensorFlow call, after Keras had created its session, or "
            "on a ConfigProto that no session or Estimator uses"
        )
        return finding(
            "DL701",
            title=f"The {who} memory setting probably never took effect",
            message=f"The report sets {setting} and {who} still takes the GPU's memory: the "
            f"setting was probably {when}; {who} allocated its usual share when it initialised "
            "the GPU.",
            severity="warning",
            evidence=[_said(e) for e in said],
            hint=JAX_HINT if jax else GROWTH_HINT,
            fixes=[_grab_fix(jax)],
            subject="jax" if jax else "tensorflow",
        )
    e = takes or wants
    assert e is not None
    jax = _grabber(e) == "JAX"
    who = "JAX" if jax else "TensorFlow"
    return finding(
        "DL701",
        title=f"{who} takes the GPU's memory at start-up: "
        + ("preallocation is on" if jax else "memory growth is probably not in effect"),
        message=f"The report says {who} takes (nearly) all of the GPU memory, or far more than "
        "the job needs: "
        + (
            "JAX preallocates 75% of the GPU at its first operation"
            if jax
            else "TensorFlow maps nearly all memory of every visible GPU when it starts, unless "
            "memory growth is on before the GPU is initialised"
        )
        + "; a second process or another framework on that GPU then runs out of memory.",
        severity="warning",
        evidence=[_said(e)],
        hint=JAX_HINT if jax else GROWTH_HINT,
        fixes=[_grab_fix(jax)],
        subject="jax" if jax else "tensorflow",
    )


def _growth_context(s: Snapshot) -> Finding | None:
    """DL701 from what the report says happened to the memory, without naming the allocator: the
    same large share of every GPU whatever its size, the memory gone at an import (before any
    job ran), or the report's fix that turns memory growth on. A job needs a fixed amount and
    another process does not start at an import; an allocator that preallocates does both."""
    share = _stated(s, SAID_FIXED_SHARE)
    at_import = _stated(s, SAID_AT_IMPORT)
    fixed = _growth_fixed(s)
    said = [e for e in (share, at_import, fixed) if e is not None]
    if not said:
        return None
    pct = _SHARE.search(share.text) if share is not None else None
    # JAX preallocates 75% (90% before jaxlib 0.4.11); TensorFlow nearly all of the GPU
    jax = any(_grabber(e) == "JAX" for e in said) or bool(
        pct is not None
        and 70 <= int(pct.group(1)) <= 80
        and not any(e.framework == "tensorflow" for e in s.reported_errors)
    )
    who = "JAX" if jax else "TensorFlow"
    grab = (
        "JAX preallocates 75% of the GPU at its first operation"
        if jax
        else "TensorFlow without memory growth maps nearly all of the GPU when it starts"
    )
    if share is not None:
        what = (
            "the program takes the same large share of every GPU's memory whatever the GPU's "
            "size: a job needs a fixed amount, an allocator that preallocates takes a fixed share"
        )
    elif at_import is not None:
        what = (
            "the GPU's memory is taken as soon as a library is imported, before any job ran: the "
            "import starts a framework that preallocates"
        )
    else:
        what = "the report's fix turns memory growth on (or JAX's preallocation off)"
    return finding(
        "DL701",
        title=f"{who} probably takes the GPU's memory at start-up",
        message=f"The report says {what}. {grab}; a second process or another framework on "
        "that GPU then runs out of memory.",
        severity="warning",
        evidence=[_said(e) for e in said],
        hint=(JAX_HINT if jax else GROWTH_HINT)
        + " To confirm: `nvidia-smi` right after the import (or the first operation) shows the "
        "memory taken before the job starts.",
        fixes=[_grab_fix(jax)],
        subject="jax" if jax else "tensorflow",
    )


_SHARE = re.compile(r"(\d{1,3})[ ]?%")


def _growth_reported(s: Snapshot, oom: _Oom) -> Finding:
    """DL701 from a pasted failure that TensorFlow's (or JAX's) start-up grab of the GPU explains:
    its own message, or (stated) the report saying it shares the process with the program that
    failed."""
    if oom.stated:
        jax = oom.framework == "jax" or any(
            w in (e.found or "").lower() for e in oom.evidence for w in ("jax", "xla_python")
        )
        who = "JAX" if jax else "TensorFlow"
        return finding(
            "DL701",
            title=f"GPU memory ran out probably because {who} took it first",
            message=f"{_who(oom.framework) if oom.framework not in ('tensorflow', 'jax') else who}"
            f" ran out of GPU memory, and {oom.why}: "
            + (
                "JAX preallocates 75% of the GPU at its first operation"
                if jax
                else "without memory growth TensorFlow maps nearly all of the GPU"
            )
            + (
                ", which leaves the other framework (PyTorch, CuPy) nothing"
                if oom.beside
                else ", in each process, which leaves the next process on that GPU nothing"
                if oom.several
                else ", which leaves cuDNN, cuBLAS and the rest of the job too little"
            )
            + "; a smaller batch probably does not help.",
            severity="warning",
            evidence=list(oom.evidence),
            hint=JAX_HINT if jax else GROWTH_HINT,
            fixes=[_grab_fix(jax)],
            subject="jax" if jax else "tensorflow",
        )
    tf = s.framework("tensorflow")
    who = label(tf) if tf is not None and tf.version else "TensorFlow"
    return finding(
        "DL701",
        title="TensorFlow ran out of GPU memory because memory growth is off",
        message=f"{who} failed for lack of GPU memory: {oom.why}. Without memory growth "
        "TensorFlow maps nearly all of the GPU when it starts, which leaves nothing for cuDNN, "
        "cuBLAS, a display or a second TensorFlow/PyTorch process; a smaller batch does not "
        "help.",
        severity="error",
        evidence=[
            *oom.evidence,
            Evidence(
                fact="env.TF_FORCE_GPU_ALLOW_GROWTH",
                found=s.env_value("TF_FORCE_GPU_ALLOW_GROWTH") or "unset",
                needed="true",
            ),
        ],
        hint="Or, in the code, right after `import tensorflow`: `for gpu in "
        "tf.config.list_physical_devices('GPU'): tf.config.experimental.set_memory_growth(gpu, "
        "True)` (TensorFlow 1.x: `config.gpu_options.allow_growth = True`, or a "
        "`per_process_gpu_memory_fraction` below 1).",
        fixes=[
            SetEnv(
                name="TF_FORCE_GPU_ALLOW_GROWTH",
                value="true",
                reason="allocate GPU memory as needed instead of all of it at start-up",
            )
        ],
        subject="tensorflow",
    )


@rule("DL703", "gpu-out-of-memory", "error", "memory")
def gpu_out_of_memory(s: Snapshot) -> Iterator[Finding]:
    """What it checks: a pasted out-of-memory error (PyTorch's "CUDA out of memory" or
    `torch.OutOfMemoryError`, TensorFlow's "OOM when allocating tensor" or "Ran out of memory
    trying to allocate", a cuBLAS handle that could not be created in PyTorch, and the checks of
    other programs: CTranslate2's "CUDA failed with error out of memory", darknet's "CUDA Error:
    out of memory", Caffe, MXNet, Torch7, Theano, PaddlePaddle, ONNX Runtime, TensorRT, OpenCL's
    MEM_OBJECT_ALLOCATION_FAILURE, ggml's buffers, cudaErrorMemoryAllocation, cuBLAS that could
    not initialise) that neither
    other processes (DL702) nor TensorFlow's start-up grab (DL701) explain: the job itself does
    not fit the GPU's memory, or asked for more than the GPU has. A warning when the reporter
    only says the GPU ran out of memory ("GPU不足", "爆显存", "ran out of GPU memory") or that
    its VRAM cannot run the job ("4G显存…跑不了"), and names a small GPU ("my 2GB card",
    "4G显存") or the batch size ("bs=2", darknet's "batch=1"); the symptom alone is no cause
    ("told me out of memory", naming no memory, counts only where the paste names a GPU); or
    beside the GPU's size as the report gives it ("RTX 3060 12GB", "8G显存", dxdiag's "2048 MB
    Dedicated Video Memory") when nothing names
    another holder; and the shell's "Killed" on a Jetson, whose GPU shares the board's RAM (the
    kernel's OOM killer ended the job: an engine build, a training).
    TensorFlow's "failed to allocate" for a region under half the GPU's size (from a table or
    as the report states it: "with 8GB GPU") is the job's own allocation, not the start-up grab
    of DL701. An error only where the program's own numbers (PyTorch's "already allocated …
    reserved in total by PyTorch", a request larger than the whole GPU) show the job filling
    the GPU; a message without them is a warning ("probably"): that nothing else held the
    memory is what the paste does not show, and `nvidia-smi` is the check.

    Why it matters: the model, its activations and the batch need more memory than the GPU
    has; the same job fails the same way on every run, whatever the installation.

    Example: "Tried to allocate 20.00 MiB (GPU 0; 5.80 GiB total capacity; 4.36 GiB already
    allocated; 6.69 MiB free; 4.63 GiB reserved in total by PyTorch)".

    Fix: make the job smaller (batch size, image or sequence length), use mixed precision or
    gradient checkpointing, or a GPU with more memory; when PyTorch's numbers show a fragmented
    cache (much reserved but unallocated), `export
    PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True`; under JAX, which reserves 75% of the GPU
    at start-up, first `export XLA_PYTHON_CLIENT_PREALLOCATE=false`.
    """
    oom = _classify(s)
    if oom is None or oom.cause != "size":
        return
    n = oom.numbers
    who = _who(oom.framework)
    evidence = list(oom.evidence)
    if n is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_free_mib",
                found=_size(n.free),
                needed=f">={_size(n.requested)}" if n.requested is not None else None,
                note=f"of {_size(n.total)} on GPU {n.gpu}",
            )
        )
        if n.own is not None:
            evidence.append(
                Evidence(
                    fact="live.torch.details.oom_pytorch_reserved_mib"
                    if n.mine is None
                    else "live.torch.details.oom_this_process_mib",
                    found=_size(n.own),
                    note="held by the failing program itself",
                )
            )
    detail = (
        f" PyTorch itself held {_size(n.own)} of the GPU's {_size(n.total)}"
        + (f" and asked for {_size(n.requested)} more" if n.requested is not None else "")
        + "."
        if n is not None and n.own is not None
        else ""
    )
    fixes: list[ManualStep | SetEnv] = [
        ManualStep(
            text="Make the job fit the GPU: a smaller batch size (or image size, sequence "
            "length, number of samples), mixed precision (torch.autocast / Keras "
            "mixed_float16), gradient checkpointing or accumulation; or run it on a GPU with "
            "more memory.",
        )
    ]
    if oom.framework == "jax":
        fixes.insert(
            0,
            SetEnv(
                name="XLA_PYTHON_CLIENT_PREALLOCATE",
                value="false",
                reason="JAX reserves 75% of the GPU at start-up and runs out inside that pool; "
                "allocating on demand lets it use the rest (and leaves cuDNN its workspace)",
            ),
        )
    if n is not None and n.fragmented and n.unallocated is not None:
        evidence.append(
            Evidence(
                fact="live.torch.details.oom_unallocated_mib",
                found=_size(n.unallocated),
                needed=f"<{_size(n.requested or 0)}",
                note="reserved by PyTorch but unallocated: a fragmented cache",
            )
        )
        fixes.insert(
            0,
            SetEnv(
                name="PYTORCH_CUDA_ALLOC_CONF",
                value="expandable_segments:True",
                reason="the cache held enough free memory, in pieces too small for the request",
            ),
        )
    small = _stated(s, SAID_SMALL_GPU)
    if small is not None and all(e.fact != f"reported_errors.{small.signature}" for e in evidence):
        evidence.append(_said(small))
    yield finding(
        "DL703",
        title=f"GPU {oom.gpu} ran out of memory: the job "
        + ("probably does not fit" if oom.stated else "does not fit"),
        message=f"{who} ran out of GPU memory and {oom.why}: the model, its activations and "
        + ("the batch probably " if oom.stated else "the batch ")
        + f"need more memory than the GPU has.{detail}",
        severity="warning" if oom.stated else "error",
        evidence=evidence,
        hint="If another program might hold the GPU (a notebook kernel, an earlier run), check "
        "`nvidia-smi` first: then stopping it is the fix, not a smaller job.",
        fixes=list(fixes),
        subject=f"gpu{oom.gpu}",
    )
