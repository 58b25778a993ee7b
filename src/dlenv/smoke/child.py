"""The child side of `dlenv smoke`: run with the TARGET interpreter, stdlib only, Python 3.7+.

It imports one framework (through `smoke/child_<name>.py`, loaded by path), runs the checks named
on its command line one after another, and writes one JSON line per event to a dedicated file
descriptor, as the live probes' harness does (its helpers are reused: `live/harness.py`).
dlenv enforces each check's deadline from the "start" events; nothing here judges.

Usage: python child.py FD TIMEOUT DEVICE WORKDIR FRAMEWORK:CHECK [FRAMEWORK:CHECK...]
DEVICE is "cpu" or "cuda" (dlenv points CUDA_VISIBLE_DEVICES at the GPUs of this run). Each
framework is imported (its module's `prepare`) at its first check; the import and the check
each get the deadline (a "start" event before each).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import sys
import time
import traceback
import warnings
from typing import IO, Any

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(path: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load " + path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The live probes' harness: `describe`, `isolate_keras_home` and the user's environment.
harness: Any = _load(os.path.join(os.path.dirname(HERE), "live", "harness.py"), "dlenv_harness")


class Skip(Exception):
    """Raised by a check that cannot run here: a package it needs is missing (not a failure)."""


class NotApplicable(Exception):
    """Raised by a check that means nothing on this device (GPU memory on the CPU)."""


class Context:
    """What a check function gets: the device, a private work directory, the user's settings."""

    def __init__(
        self, framework: str, device: str, workdir: str, timeout: float, threads: int = 0
    ) -> None:
        self.framework = framework
        self.device = device  # "cpu" or "cuda"
        self.workdir = workdir
        self.timeout = timeout
        # CPU threads per framework (0: its default). The checks run side by side on few
        # cores: more threads than cores make a framework's thread pool spin and stall.
        self.threads = threads
        self.modules: dict[str, Any] = {}
        self.import_s = 0.0
        # helpers for the framework modules, which are loaded by path and cannot import this one
        self.result = result
        self.falling = falling
        self.close_enough = close_enough
        self.round_trip = round_trip
        self.scalars_read_back = scalars_read_back
        self.Skip = Skip
        self.NotApplicable = NotApplicable

    def limit_xla_threads(self) -> None:
        """Size XLA's CPU thread pool (JAX, Keras on JAX): read once, at the backend's start."""
        flags = os.environ.get("XLA_FLAGS", "")
        if self.device == "cpu" and self.threads and "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (
                flags + " --xla_cpu_multi_thread_eigen=false"
                " intra_op_parallelism_threads=" + str(self.threads)
            ).strip()

    def path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    def env(self, *names: str) -> dict[str, str | None]:
        """The user's values of these variables (before dlenv changed any for its children)."""
        user = json.loads(os.environ.get("DLENV_LIVE_USER_ENV", "{}"))
        return {n: user[n] if n in user else os.environ.get(n) for n in names}

    def set_env(self, *names: str) -> dict[str, str]:
        """The variables of `names` (and prefixes ending in "_") that are set, as the user set
        them: the settings in force, for the report."""
        user = json.loads(os.environ.get("DLENV_LIVE_USER_ENV", "{}"))
        merged = dict(os.environ)
        merged.update({k: v for k, v in user.items() if v is not None})
        for k, v in user.items():
            if v is None:
                merged.pop(k, None)
        found = {}
        for key in sorted(merged):
            if any(key == n or (n.endswith("_") and key.startswith(n)) for n in names):
                found[key] = merged[key]
        return found


    def gpu_memory_used(self) -> tuple[int, int] | None:
        """(used, total) bytes of this run's GPU as NVML counts them (every process), or None.

        The GPU is the first in CUDA_VISIBLE_DEVICES, which dlenv sets for a GPU run; NVML
        numbers GPUs in PCI bus order, as CUDA does with CUDA_DEVICE_ORDER=PCI_BUS_ID.
        """
        import ctypes

        class Memory(ctypes.Structure):
            _fields_ = [(n, ctypes.c_ulonglong) for n in ("total", "free", "used")]

        try:
            nvml = ctypes.CDLL("libnvidia-ml.so.1")
            if nvml.nvmlInit_v2() != 0:
                return None
            first = (os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0].strip()
            handle = ctypes.c_void_p()
            if first.isdigit():
                rc = nvml.nvmlDeviceGetHandleByIndex_v2(int(first), ctypes.byref(handle))
            else:
                rc = nvml.nvmlDeviceGetHandleByUUID(first.encode(), ctypes.byref(handle))
            memory = Memory()
            if rc != 0 or nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) != 0:
                return None
            return int(memory.used), int(memory.total)
        except (OSError, AttributeError):
            return None


def result(
    status: str,
    *,
    variant: str | None = None,
    metrics: dict[str, float] | None = None,
    details: dict[str, Any] | None = None,
    error: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One row of a check's outcome (a check may give several: one per save format)."""
    return {
        "status": status,
        "variant": variant,
        "metrics": {k: float(v) for k, v in (metrics or {}).items() if v is not None},
        "details": {k: str(v) for k, v in (details or {}).items() if v is not None},
        "error": error,
        "reason": reason,
    }


def close_enough(a: list[float], b: list[float], atol: float, rtol: float) -> tuple[bool, float]:
    """(every |a-b| <= atol + rtol*|b|, the largest |a-b|), over two flat lists."""
    worst = 0.0
    ok = len(a) == len(b)
    for x, y in zip(a, b):  # noqa: B905 - runs on the target Python, maybe < 3.10
        diff = abs(x - y)
        worst = max(worst, diff)
        if not diff <= atol + rtol * abs(y):  # NaN fails too
            ok = False
    return ok, worst


def round_trip(
    variant: str,
    how: str,
    after: list[float],
    before: list[float],
    tolerance: tuple[float, float],
    instead: str | None = None,
) -> dict[str, Any]:
    """A save_load result: predictions after the reload against those before (atol, rtol);
    `instead` names what to use when this format does not round-trip."""
    atol, rtol = tolerance
    ok, worst = close_enough(after, before, atol, rtol)
    details = {"how": how} if ok or instead is None else {"how": how, "instead": instead}
    return result(
        "passed" if ok else "failed",
        variant=variant,
        metrics={"max_abs_diff": worst, "atol": atol, "rtol": rtol},
        details=details,
        error=None if ok else f"predictions differ after reload by up to {worst:.3g}",
    )


def scalars_read_back(
    variant: str, read: list[tuple[int, float]], values: list[float], details: dict[str, Any]
) -> dict[str, Any]:
    """A tensorboard result: the (step, value) pairs read back against the values written at
    steps 0, 1, ..."""
    want = list(enumerate(values))
    ok = len(read) == len(want) and all(
        s == t and abs(v - w) <= 1e-6 for (s, v), (t, w) in zip(read, want)  # noqa: B905
    )
    return result(
        "passed" if ok else "failed",
        variant=variant,
        metrics={"scalars": len(read)},
        details={"reader": "tensorboard EventAccumulator", **details},
        error=None if ok else f"wrote {want}, read back {read}",
    )


def falling(losses: list[float]) -> tuple[bool, float, float]:
    """(the loss fell: the mean of the last fifth is below 70% of the first fifth, all finite;
    first mean, last mean)."""
    n = max(1, len(losses) // 5)
    first = sum(losses[:n]) / n
    last = sum(losses[-n:]) / n
    finite = all(v == v and abs(v) != float("inf") for v in losses)
    return finite and last < 0.7 * first, first, last


class Writer:
    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def send(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event, default=str) + "\n")
        self._out.flush()


def run_check(name: str, fn: Any, ctx: Context) -> dict[str, Any]:
    """Run one check: its rows, or one row that says how it failed."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = fn(ctx)
            if isinstance(rows, dict):
                rows = [rows]
            tb: list[str] = []
        except Skip as exc:
            rows, tb = [result("skipped", reason=str(exc))], []
        except NotApplicable as exc:
            rows, tb = [result("not-applicable", reason=str(exc))], []
        except Exception as exc:
            rows = [result("failed", error=harness.describe(exc))]
            tb = traceback.format_exc().splitlines()[-12:]
    return {"rows": rows, "seconds": round(time.perf_counter() - start, 4), "traceback": tb}


def main(argv: list[str]) -> int:
    fd, timeout, device, workdir = int(argv[1]), float(argv[2]), argv[3], argv[4]
    steps = [item.split(":", 1) for item in argv[5:]]
    writer = Writer(os.fdopen(fd, "w", encoding="utf-8"))
    # A crash prints the Python stack to stderr; just before a check's deadline, so does a hang.
    faulthandler.enable(file=sys.stderr)
    if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
        try:
            sys.path[0] = os.getcwd()  # like the user's `python script.py` in their directory
        except OSError:
            sys.path[0] = os.environ.get("PWD") or "/"
    private_keras = os.environ.pop("DLENV_LIVE_KERAS_HOME", "")
    if private_keras:
        harness.isolate_keras_home(private_keras)
    threads = int(os.environ.pop("DLENV_SMOKE_THREADS", "0") or 0)
    contexts: dict[str, Context] = {}
    modules: dict[str, Any] = {}
    import_errors: dict[str, tuple[str, list[str]]] = {}
    for index, (framework, name) in enumerate(steps):
        faulthandler.dump_traceback_later(max(timeout - 0.5, 0.1), exit=False)
        writer.send({"event": "start", "step": index, "check": name})
        fresh = framework not in contexts
        if fresh:
            # The framework is imported at its first check, under a deadline of its own.
            ctx = contexts[framework] = Context(framework, device, workdir, timeout, threads)
            started = time.perf_counter()
            try:
                modules[framework] = _load(
                    os.path.join(HERE, "child_" + framework.replace("-", "_") + ".py"),
                    "dlenv_smoke_" + framework.replace("-", "_"),
                )
                modules[framework].prepare(ctx)
            except Exception as exc:
                import_errors[framework] = (
                    harness.describe(exc),
                    traceback.format_exc().splitlines()[-12:],
                )
            ctx.import_s = round(time.perf_counter() - started, 4)
            # the check itself gets a deadline of its own, after the import's
            faulthandler.dump_traceback_later(max(timeout - 0.5, 0.1), exit=False)
            writer.send({"event": "start", "step": index, "check": name})
        if framework in import_errors:
            error, tb = import_errors[framework]
            outcome = {
                "rows": [result("error", error="the import failed: " + error)],
                "seconds": 0.0,
                "traceback": tb,
            }
        else:
            ctx = contexts[framework]
            outcome = run_check(name, getattr(modules[framework], "check_" + name), ctx)
            if fresh:
                outcome["import_s"] = ctx.import_s
        writer.send({"event": "result", "step": index, "check": name, **outcome})
    return _exit(writer)


def _exit(writer: Writer) -> int:
    faulthandler.cancel_dump_traceback_later()
    writer.send({"event": "done"})
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: TensorFlow's and CUDA's can take a second, for nothing.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
