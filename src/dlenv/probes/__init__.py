"""Static probes: observe the machine through a `System` and record facts, never judge.

`collect()` runs them, the slow ones (NVML and nvidia-smi, the target interpreter) side by side
in threads, and assembles one Snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from dlenv.snapshot.model import FrameworkFacts, PythonFacts, Snapshot
from dlenv.system.base import System

T = TypeVar("T")


@dataclass(frozen=True)
class CollectOptions:
    python: str | None = None  # the interpreter to inspect; None: the one the user would run
    command_timeout: float = 10.0


def _timed(timings: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    try:
        return fn()
    finally:
        timings[name] = round(time.perf_counter() - start, 4)


FrameworksKnown = Callable[[PythonFacts, list[FrameworkFacts]], None]
"""Called once, as soon as the target interpreter and its frameworks are known."""


def collect(
    system: System,
    options: CollectOptions | None = None,
    *,
    on_frameworks: FrameworksKnown | None = None,
) -> Snapshot:
    """Every static fact about the machine, as a Snapshot.

    `on_frameworks` lets the caller start work that needs only the interpreter and the
    installed frameworks (the live probes) while the remaining static probes run.
    """
    from dlenv.probes.pythonenv import collect_python

    opts = options or CollectOptions()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="dlenv-probe") as pool:
        # The target interpreter is the slowest static probe and the live probes wait for it:
        # start it first, and import the other probes while it runs.
        target_future = pool.submit(
            _timed, timings, "python", lambda: collect_python(system, opts.python)
        )
        from dlenv import __version__
        from dlenv.probes.cuda import collect_cuda
        from dlenv.probes.envvars import collect_env
        from dlenv.probes.frameworks import collect_frameworks
        from dlenv.probes.host import collect_host
        from dlenv.probes.libraries import resolve_libraries
        from dlenv.probes.nvidia import collect_nvidia

        nvidia_future = pool.submit(
            _timed, timings, "nvidia", lambda: collect_nvidia(system, opts.command_timeout)
        )
        env = _timed(timings, "env", lambda: collect_env(system))
        target = target_future.result()
        frameworks = _timed(timings, "frameworks", lambda: collect_frameworks(system, target))
        if on_frameworks is not None:
            on_frameworks(target.facts, frameworks)
        host = _timed(timings, "host", lambda: collect_host(system, target.facts.prefix))
        cuda = _timed(timings, "cuda", lambda: collect_cuda(system, target))
        libraries = _timed(
            timings, "libraries", lambda: resolve_libraries(system, target, frameworks, cuda)
        )
        nvidia = nvidia_future.result()
    timings["total"] = round(time.perf_counter() - started, 4)
    return Snapshot(
        dlenv_version=__version__,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        host=host,
        driver=nvidia.driver,
        visibility=nvidia.visibility,
        gpus=nvidia.gpus,
        cuda=cuda,
        python=target.facts,
        frameworks=frameworks,
        libraries=libraries,
        env=env,
        timings=timings,
    )
