"""`dlenv smoke`: prove that each installed framework really trains, saves and reloads, logs
for TensorBoard and communicates, on the CPU and on each visible GPU, in the target interpreter.

A deeper live probe: the same out-of-process discipline as `dlenv.live` (children of the target
interpreter, each in its own process group, each check under a deadline, results on a private
file descriptor), planned from the static facts (`plan.py`), run by `runner.py`, recorded as the
Snapshot's `smoke` section, and judged by the rules in `dlenv.rules.smoke`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from dlenv.smoke.plan import CHECKS, parse_checks, parse_devices, plan_smoke, visible_gpu_count
from dlenv.smoke.runner import OnCheck, SmokeRun
from dlenv.snapshot.model import SmokeCheck, SmokeFacts, Snapshot

DEFAULT_TIMEOUT = 120.0
FAILED = ("failed", "timeout", "crashed", "error")
ORDER = {name: i for i, name in enumerate(("tensorflow", "torch", "keras", "jax"))}


@dataclass(frozen=True)
class SmokeOptions:
    timeout: float = DEFAULT_TIMEOUT  # seconds for each check (a framework's import included)
    only: tuple[str, ...] = ()  # frameworks; empty: every installed one
    devices: str | None = None  # `--device`: "cpu", "cuda:1"…; None: the CPU and every GPU
    checks: tuple[str, ...] = CHECKS
    isolate: bool = False  # every check in a process of its own
    parallel: int | None = None  # processes at once; None: one per core (at least two)


def run_smoke(
    snapshot: Snapshot, options: SmokeOptions, on_check: OnCheck | None = None
) -> SmokeFacts:
    """Run the smoke checks of the frameworks the static facts found, in their interpreter."""
    started = time.perf_counter()
    devices = parse_devices(options.devices, visible_gpu_count(snapshot))
    plan = plan_smoke(snapshot, devices, options.checks, options.only, options.isolate)
    executable = snapshot.python.executable
    unknown: dict[str, str] = {}
    results: list[SmokeCheck] = list(plan.answered)
    for check in plan.answered:
        if on_check is not None:
            on_check(check)
    if not executable:
        unknown["python"] = "no target interpreter was found to run the frameworks in"
    elif not plan.jobs and not plan.answered:
        unknown["checks"] = "no framework to check: none of tensorflow, torch, keras is installed"
    if executable and plan.jobs:
        cores = os.cpu_count() or 2
        parallel = options.parallel or max(2, cores)
        # a core left for the rest: on a busy machine a thread pool as wide as the cores spins
        # and stalls (PyTorch's 200 steps took 60 s instead of 3 on 2 busy cores)
        threads = max(1, cores // min(len(plan.jobs), parallel) - 1)
        with tempfile.TemporaryDirectory(prefix="dlenv-smoke-") as tmp:
            run = SmokeRun(
                executable,
                plan.jobs,
                Path(tmp),
                timeout=options.timeout,
                parallel=parallel,
                threads=threads,
                on_check=on_check,
            )
            try:
                results += run.wait()
            finally:
                run.cancel()
    results.sort(key=_sort_key(plan.devices))
    return SmokeFacts(
        python=executable,
        devices=plan.devices,
        requested=list(options.checks),
        checks=results,
        timeout_s=options.timeout,
        wall_s=round(time.perf_counter() - started, 4),
        unknown=unknown,
    )


def _sort_key(devices: list[str]) -> Callable[[SmokeCheck], tuple[int, int, str, int]]:
    def key(c: SmokeCheck) -> tuple[int, int, str, int]:
        device = devices.index(c.device) if c.device in devices else len(devices)
        return (
            ORDER.get(c.framework, 9),
            CHECKS.index(c.check) if c.check in CHECKS else 9,
            c.backend or "",
            device,
        )

    return key


def attach_smoke(
    snapshot: Snapshot, options: SmokeOptions, on_check: OnCheck | None = None
) -> Snapshot:
    """The snapshot with its `smoke` section filled in, and the time it took in `timings`."""
    facts = run_smoke(snapshot, options, on_check)
    timings = dict(snapshot.timings)
    if facts.wall_s is not None:
        timings["smoke"] = facts.wall_s
    return replace(snapshot, smoke=facts, timings=timings)


def failed_checks(facts: SmokeFacts | None) -> list[SmokeCheck]:
    return [c for c in (facts.checks if facts else []) if c.status in FAILED]


__all__ = [
    "CHECKS",
    "DEFAULT_TIMEOUT",
    "SmokeOptions",
    "attach_smoke",
    "failed_checks",
    "parse_checks",
    "run_smoke",
]
