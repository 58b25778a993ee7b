"""A node report read for a fleet: only the fields the fleet compares, straight from the JSON.

`dlenv.report.json.parse_report` turns a whole report (~300 values) into dataclasses, checking
every type on the way; at 10,000 nodes that is most of a merge's time. A fleet reads a few
dozen fields per node (`dlenv.fleet.facts`, the findings, the host name and date), so this
module builds a Report whose Snapshot holds those fields and leaves every other one at its
default. The guarantees stay: the report's kind and schema version are checked as
`parse_report` checks them, and every field read is type-checked with the same messages as
`dlenv.snapshot.serde` (`$.snapshot.gpus: expected a list, got str`), so a bad report is one
line. A field the fleet does not read is not checked: a report broken only there merges.

A [check] policy may read any fact, so with one the full report is built (`full_report`).

Which fields are read is data (`FIELDS`); the checks for them are compiled once from the
dataclasses' type hints, so a field renamed or retyped in the Snapshot model follows.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from dlenv.errors import DlenvError
from dlenv.report.model import Report
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import (
    CudaFacts,
    CudaToolkit,
    CudnnInstall,
    DriverFacts,
    FrameworkFacts,
    GpuFacts,
    HostFacts,
    LiveProbe,
    PythonFacts,
    ReportedError,
    Snapshot,
    VisibilityFacts,
)
from dlenv.snapshot.serde import from_data

# the fields a fleet reads, per dataclass; fields without a default are always read too
FIELDS: dict[type, tuple[str, ...]] = {
    Report: ("dlenv_version", "created_at", "snapshot", "findings"),
    Snapshot: (
        "host",
        "driver",
        "visibility",
        "gpus",
        "cuda",
        "python",
        "frameworks",
        "live",
        "unknown",
        "reported_errors",
    ),
    HostFacts: ("os", "distro", "distro_version", "kernel", "hostname", "container"),
    DriverFacts: ("installed", "version", "cuda_version"),
    VisibilityFacts: ("container_driver_mounts",),
    GpuFacts: ("index", "name", "memory_total_mib", "ecc_uncorrectable", "retired_pages"),
    CudaFacts: ("toolkits", "cudnn"),
    CudaToolkit: ("version",),
    CudnnInstall: ("version",),
    PythonFacts: ("version",),
    FrameworkFacts: (
        "name",
        "version",
        "cuda_build",
        "cuda_version",
        "cudnn_version",
        "rocm_build",
        "variant",
        "backend",
    ),
    LiveProbe: ("framework", "status", "gpu_available", "compute_ok"),
    ReportedError: ("signature",),
    Finding: ("code", "name", "severity", "title", "subject"),
}

Check = Callable[[Any, str], Any]  # (value, its JSON path) -> the value, converted; or ValueError


def _scalar(tp: type) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ValueError(f"{path}: expected {tp.__name__}, got {value!r}")
        return value

    return check


def _float(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    return float(value)


def _optional(inner: Check) -> Check:
    def check(value: Any, path: str) -> Any:
        return None if value is None else inner(value, path)

    return check


def _literal(options: tuple[Any, ...]) -> Check:
    def check(value: Any, path: str) -> Any:
        if value not in options:
            raise ValueError(f"{path}: expected one of {list(options)}, got {value!r}")
        return value

    return check


def _list(item: Check) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ValueError(f"{path}: expected a list, got {type(value).__name__}")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return check


def _dict(item: Check) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        return {str(k): item(v, f"{path}.{k}") for k, v in value.items()}

    return check


def _full(tp: Any) -> Check:
    return lambda value, path: from_data(tp, value, path)


def _compile(tp: Any) -> Check:
    """The check for one type hint: the fleet's dataclasses read lean, the rest in full."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [o for o in get_args(tp) if o is not type(None)]
        if len(options) == 1 and type(None) in get_args(tp):
            return _optional(_compile(options[0]))
        return _full(tp)
    if origin is Literal:
        return _literal(get_args(tp))
    if origin is list:
        return _list(_compile(get_args(tp)[0]))
    if origin is dict:
        return _dict(_compile(get_args(tp)[1]))
    if tp in FIELDS:
        return _dataclass(tp)
    if tp is float:
        return _float
    if tp in (int, str, bool):
        return _scalar(tp)
    return _full(tp)


@cache
def _plan(cls: type) -> list[tuple[str, Check, bool]]:
    hints = typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]))
    wanted = FIELDS[cls]
    plan = []
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if f.name in wanted or required:
            plan.append((f.name, _compile(hints[f.name]), required))
    return plan


def _dataclass(cls: type) -> Check:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        kwargs = {}
        for name, read, required in _plan(cls):
            if name in value:
                kwargs[name] = read(value[name], f"{path}.{name}")
            elif required:
                raise ValueError(f"{path}: missing field {name!r}")
        return cls(**kwargs)

    return check


_REPORT = _dataclass(Report)


def load_report_data(text: str, source: str) -> dict[str, Any]:
    """The JSON of a `dlenv doctor --format json` report (or of the report in a `dlenv explain
    --format json` result), its kind and schema version checked as `parse_report` does."""
    from dlenv.report.json import report_envelope

    return report_envelope(text, source)


def lean_report(text: str, source: str, *, full: bool = False) -> Report:
    """The report in `text` with only the fields a fleet reads (every field with `full`);
    anything that is not a readable report is a `DlenvError` whose message is one line."""
    data = load_report_data(text, source)
    try:
        if full:
            return from_data(Report, data)
        return typing.cast(Report, _REPORT(data, "$"))
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    except RecursionError:
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None
