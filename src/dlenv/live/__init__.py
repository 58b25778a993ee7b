"""Live probes: import each installed framework in the target interpreter, in parallel
subprocesses, and record what it really does with the GPU (status, devices, reasons, timings).

`dlenv doctor` calls `start_live` from inside the static probes, as soon as the interpreter and
the installed frameworks are known, and `PendingLive.attach` once they are done;
`attach_live(snapshot, options)` does both in one go.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dlenv.errors import DlenvError
from dlenv.live.runner import LiveRun, OnUpdate, run_live_probes
from dlenv.snapshot.model import FrameworkFacts, LiveProbe, Snapshot

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax")
ALIASES = {
    "pytorch": "torch",
    "tf": "tensorflow",
    "tensorflow-cpu": "tensorflow",
    "tf-keras": "keras",
    "jaxlib": "jax",
}
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class LiveOptions:
    timeout: float = DEFAULT_TIMEOUT  # seconds for each child process
    only: tuple[str, ...] = ()  # probe only these (when installed)
    skip: tuple[str, ...] = ()
    keras_with_backend: bool = True  # Keras shares its backend's process


def parse_framework_list(text: str | None, option: str) -> tuple[str, ...]:
    """`"torch, TF"` -> ("torch", "tensorflow"); an unknown name is a usage error."""
    names: list[str] = []
    for item in (text or "").replace(" ", ",").split(","):
        name = item.strip().lower()
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in FRAMEWORKS:
            raise DlenvError(
                f"{option}: unknown framework {item.strip()!r} "
                f"(choose from {', '.join(FRAMEWORKS)})"
            )
        names.append(name)
    return tuple(dict.fromkeys(names))


def selected_frameworks(snapshot: Snapshot, options: LiveOptions) -> tuple[list[str], list[str]]:
    """(to probe, skipped on request): installed frameworks only, as the static facts say."""
    return _select(snapshot.frameworks, options)


def _select(
    frameworks: Sequence[FrameworkFacts], options: LiveOptions
) -> tuple[list[str], list[str]]:
    present = {f.name for f in frameworks}
    installed = [n for n in FRAMEWORKS if n in present]
    wanted = [n for n in installed if not options.only or n in options.only]
    skipped = [n for n in wanted if n in options.skip]
    return [n for n in wanted if n not in skipped], skipped


class PendingLive:
    """Live probes already running; `attach()` waits for them and fills in the snapshot.

    Made by `start_live` as soon as the static probes know the interpreter and the installed
    frameworks, so that the frameworks' imports overlap the rest of dlenv's work.
    """

    def __init__(
        self,
        executable: str | None,
        frameworks: Sequence[FrameworkFacts],
        options: LiveOptions,
        on_update: OnUpdate | None = None,
    ) -> None:
        self._started = time.perf_counter()
        self._executable = executable
        self._to_probe, self._skipped = _select(frameworks, options)
        self._run: LiveRun | None = None
        if executable and self._to_probe:
            keras = next((f for f in frameworks if f.name == "keras"), None)
            self._run = LiveRun(
                executable,
                self._to_probe,
                timeout=options.timeout,
                keras_backend=keras.backend if keras is not None else None,
                keras_with_backend=options.keras_with_backend,
                on_update=on_update,
            )

    def attach(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with `live` filled in and the time each probe took in `timings`."""
        probes = self._run.wait() if self._run is not None else []
        probes += [
            LiveProbe(framework=n, status="skipped", error="skipped on request")
            for n in self._skipped
        ]
        timings = dict(snapshot.timings)
        for probe in probes:
            if probe.total_s is not None:
                timings[f"live.{probe.framework}"] = probe.total_s
        timings["live"] = round(time.perf_counter() - self._started, 4)
        unknown = dict(snapshot.unknown)
        if not self._executable and self._to_probe:
            unknown["live"] = "no target interpreter was found to run the frameworks in"
        return replace(snapshot, live=probes, timings=timings, unknown=unknown)

    def cancel(self) -> None:
        """Kill the probes if they still run (after an error elsewhere); idempotent."""
        if self._run is not None:
            self._run.cancel()


def start_live(
    executable: str | None,
    frameworks: Sequence[FrameworkFacts],
    options: LiveOptions,
    on_update: OnUpdate | None = None,
) -> PendingLive:
    """Start the live probes of the installed `frameworks` in `executable`, without waiting."""
    return PendingLive(executable, frameworks, options, on_update)


def attach_live(
    snapshot: Snapshot, options: LiveOptions, on_update: OnUpdate | None = None
) -> Snapshot:
    """The snapshot with `live` filled in and the time each probe took in `timings`."""
    pending = start_live(snapshot.python.executable, snapshot.frameworks, options, on_update)
    try:
        return pending.attach(snapshot)
    finally:
        pending.cancel()


__all__ = [
    "FRAMEWORKS",
    "LiveOptions",
    "OnUpdate",
    "PendingLive",
    "attach_live",
    "parse_framework_list",
    "run_live_probes",
    "selected_frameworks",
    "start_live",
]
