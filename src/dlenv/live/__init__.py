"""Live probes: import each installed framework in the target interpreter, in parallel
subprocesses, and record what it really does with the GPU (status, devices, reasons, timings).

`attach_live(snapshot, options)` is what `dlenv doctor` calls after the static probes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from dlenv.errors import DlenvError
from dlenv.live.runner import OnUpdate, run_live_probes
from dlenv.snapshot.model import LiveProbe, Snapshot

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
    installed = [n for n in FRAMEWORKS if snapshot.framework(n) is not None]
    wanted = [n for n in installed if not options.only or n in options.only]
    skipped = [n for n in wanted if n in options.skip]
    return [n for n in wanted if n not in skipped], skipped


def attach_live(
    snapshot: Snapshot, options: LiveOptions, on_update: OnUpdate | None = None
) -> Snapshot:
    """The snapshot with `live` filled in and the time each probe took in `timings`."""
    executable = snapshot.python.executable
    to_probe, skipped = selected_frameworks(snapshot, options)
    probes: list[LiveProbe] = []
    timings = dict(snapshot.timings)
    started = time.perf_counter()
    if executable and to_probe:
        keras = snapshot.framework("keras")
        probes = run_live_probes(
            executable,
            to_probe,
            timeout=options.timeout,
            keras_backend=keras.backend if keras is not None else None,
            keras_with_backend=options.keras_with_backend,
            on_update=on_update,
        )
    probes += [
        LiveProbe(framework=n, status="skipped", error="skipped on request") for n in skipped
    ]
    for probe in probes:
        if probe.total_s is not None:
            timings[f"live.{probe.framework}"] = probe.total_s
    timings["live"] = round(time.perf_counter() - started, 4)
    unknown = dict(snapshot.unknown)
    if not executable and to_probe:
        unknown["live"] = "no target interpreter was found to run the frameworks in"
    return replace(snapshot, live=probes, timings=timings, unknown=unknown)


__all__ = [
    "FRAMEWORKS",
    "LiveOptions",
    "OnUpdate",
    "attach_live",
    "parse_framework_list",
    "run_live_probes",
    "selected_frameworks",
]
