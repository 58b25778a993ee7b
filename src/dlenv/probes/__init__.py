"""Static probes: observe the machine through a `System` and record facts, never judge.

`collect()` runs them, the slow ones (NVML and nvidia-smi, the target interpreter) side by side
in threads, and assembles one Snapshot. A probe that raises does not end the run: its section
stays empty and `Snapshot.unknown[<probe>]` says what failed (DLENV_DEBUG=1 prints the traceback).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from dlenv.errors import DlenvError
from dlenv.snapshot.model import (
    CudaFacts,
    EnvVar,
    FrameworkFacts,
    HostFacts,
    LibraryResolution,
    PythonFacts,
    Snapshot,
)
from dlenv.system.base import System

DEBUG_VARIABLE = "DLENV_DEBUG"

T = TypeVar("T")


@dataclass(frozen=True)
class CollectOptions:
    python: str | None = None  # the interpreter to inspect; None: the one the user would run
    command_timeout: float = 10.0  # each external command, the target interpreter included


def probe_failure(name: str, exc: BaseException) -> str:
    """The `Snapshot.unknown` reason for a probe that raised: a bug in dlenv, or a machine it
    did not foresee; either way the rest of the report stands."""
    message = " ".join(str(exc).split())[:300].rstrip()
    return f"{name} probe failed: {type(exc).__name__}" + (f": {message}" if message else "")


class _Guard:
    """Runs each probe timed; an unexpected exception becomes a reason in `failures` and the
    probe's fallback value, so that one odd corner of a machine never costs the whole report."""

    def __init__(self, system: System) -> None:
        self.timings: dict[str, float] = {}
        self.failures: dict[str, str] = {}
        self.debug = system.env.get(DEBUG_VARIABLE, "") not in ("", "0")

    def run(self, name: str, fn: Callable[[], T], fallback: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return fn()
        except DlenvError:
            raise  # an expected failure (a --python that is no interpreter) ends the run
        except Exception as exc:
            self.failures[name] = probe_failure(name, exc)
            if self.debug:  # one write: probes in other threads may be failing too
                sys.stderr.write(f"dlenv: {name} probe failed:\n{traceback.format_exc()}")
            return fallback()
        finally:
            self.timings[name] = round(time.perf_counter() - start, 4)


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
    from dlenv.probes.target import TargetInterpreter

    opts = options or CollectOptions()
    guard = _Guard(system)
    timings = guard.timings
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="dlenv-probe") as pool:
        # The target interpreter is the slowest static probe and the live probes wait for it:
        # start it first, and import the other probes while it runs.
        def no_target() -> TargetInterpreter:
            return TargetInterpreter(
                facts=PythonFacts(unknown={"python": guard.failures.get("python", "")})
            )

        target_future = pool.submit(
            guard.run,
            "python",
            lambda: collect_python(system, opts.python, opts.command_timeout),
            no_target,
        )
        from dlenv import __version__
        from dlenv.probes.cuda import collect_cuda
        from dlenv.probes.envvars import collect_env
        from dlenv.probes.frameworks import collect_frameworks
        from dlenv.probes.host import collect_host
        from dlenv.probes.libraries import resolve_libraries
        from dlenv.probes.nvidia import NvidiaFacts, collect_nvidia

        nvidia_future = pool.submit(
            guard.run,
            "nvidia",
            lambda: collect_nvidia(system, opts.command_timeout),
            NvidiaFacts,
        )
        env: list[EnvVar] = guard.run("env", lambda: collect_env(system), list)
        target = target_future.result()
        frameworks: list[FrameworkFacts] = guard.run(
            "frameworks", lambda: collect_frameworks(system, target), list
        )
        if on_frameworks is not None:
            on_frameworks(target.facts, frameworks)
        host = guard.run("host", lambda: collect_host(system, target.facts.prefix), HostFacts)
        cuda = guard.run(
            "cuda", lambda: collect_cuda(system, target, opts.command_timeout), CudaFacts
        )
        libraries: list[LibraryResolution] = guard.run(
            "libraries", lambda: resolve_libraries(system, target, frameworks, cuda), list
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
        gpu_links=nvidia.links,
        cuda=cuda,
        python=target.facts,
        frameworks=frameworks,
        libraries=libraries,
        env=env,
        timings=timings,
        unknown=dict(guard.failures),
    )
