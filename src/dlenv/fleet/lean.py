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

Nodes alike are read once: `node_key` turns the fields a fleet reads into one hashable value
(all but the host name and the date), equal for two reports exactly when every field read is
equal, type for type (`1`, `1.0` and `true` differ). A report whose key was seen before passed
the same checks with the same values, so `dlenv.fleet.reading` reuses what that report gave.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable, Hashable
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


def lean_data(text: str, source: str) -> dict[str, Any]:
    """The JSON of a `dlenv doctor --format json` report (or of the report in a `dlenv explain
    --format json` result), its kind and schema version checked as `parse_report` does."""
    from dlenv.report.json import report_envelope

    return report_envelope(text, source)


def lean_report_of(data: dict[str, Any], source: str) -> Report:
    """The report of `lean_data` with only the fields a fleet reads; a `DlenvError` (one line)
    when a field read is malformed."""
    try:
        return typing.cast(Report, _REPORT(data, "$"))
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    except RecursionError:
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None


def full_report(text: str, source: str) -> Report:
    """The whole report in `text`, every field checked (as `dlenv doctor --from` reads it)."""
    data = lean_data(text, source)
    try:
        return from_data(Report, data)
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    except RecursionError:
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None


def lean_report(text: str, source: str, *, full: bool = False) -> Report:
    """The report in `text` with only the fields a fleet reads (every field with `full`);
    anything that is not a readable report is a `DlenvError` whose message is one line."""
    if full:
        return full_report(text, source)
    return lean_report_of(lean_data(text, source), source)


# -- keys: the fields read, as one hashable value ------------------------------------------
KeyOf = Callable[[Any], Hashable]
# read on every report, so left out of the key: nodes alike differ in these and only these
PER_NODE: frozenset[tuple[type, str]] = frozenset({(Report, "created_at"), (HostFacts, "hostname")})


class _Missing:
    """A field the report does not have (distinct from any JSON value, `null` included)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def _any_key(value: Any) -> Hashable:
    """Any JSON value as a hashable value; equal keys for equal values of equal types only."""
    kind = type(value)
    if kind is str or value is None:
        return value  # type: ignore[no-any-return]
    if kind is dict:
        return ("d", tuple((k, _any_key(v)) for k, v in value.items()))
    if kind is list:
        return ("l", tuple(_any_key(v) for v in value))
    if kind is float:
        return (float, repr(value))  # -0.0 == 0.0, but they are not the same value
    return (kind, value)  # int and bool: 1 == True, but not the same value


def _key_of(tp: Any) -> KeyOf:
    """The key for one type hint, mirroring `_compile`: the fleet's dataclasses by the fields
    read; a value of an unexpected shape falls back to `_any_key` (still exact)."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [o for o in get_args(tp) if o is not type(None)]
        if len(options) == 1 and type(None) in get_args(tp):
            inner = _key_of(options[0])
            return lambda value: None if value is None else inner(value)
        return _any_key
    if origin is list:
        item = _key_of(get_args(tp)[0])
        return lambda v: ("L", tuple(item(x) for x in v)) if type(v) is list else _any_key(v)
    if origin is dict:
        entry = _key_of(get_args(tp)[1])
        return lambda v: (
            ("D", tuple((k, entry(x)) for k, x in v.items())) if type(v) is dict else _any_key(v)
        )
    if tp in FIELDS:
        return _dataclass_key(tp)
    return _any_key


@cache
def _key_plan(cls: type) -> list[tuple[str, KeyOf]]:
    hints = typing.get_type_hints(cls, globalns=vars(sys.modules[cls.__module__]))
    return [(n, _key_of(hints[n])) for n, _, _ in _plan(cls) if (cls, n) not in PER_NODE]


def _dataclass_key(cls: type) -> KeyOf:
    def key(value: Any) -> Hashable:
        if type(value) is not dict:
            return _any_key(value)
        return ("O", tuple(k(value[n]) if n in value else MISSING for n, k in _key_plan(cls)))

    return key


_REPORT_KEY = _dataclass_key(Report)


def node_key(data: dict[str, Any]) -> Hashable | None:
    """The fields a fleet reads of one report's JSON, as one hashable value, less the fields
    in `PER_NODE`; None when it cannot be made (nested too deeply)."""
    try:
        return _REPORT_KEY(data)
    except RecursionError:
        return None


def per_node_fields(data: dict[str, Any], source: str) -> tuple[str, str | None]:
    """The date and host name of a report whose other fields are known good (its `node_key`
    was seen), checked as the full lean read checks them."""
    try:
        created_at = data.get("created_at", "")
        created_at = _check_of(Report, "created_at")(created_at, "$.created_at")
        snapshot = data.get("snapshot")
        host = snapshot.get("host") if type(snapshot) is dict else None
        hostname = host.get("hostname") if type(host) is dict else None
        hostname = _check_of(HostFacts, "hostname")(hostname, "$.snapshot.host.hostname")
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    return created_at, hostname


@cache
def _check_of(cls: type, name: str) -> Check:
    return next(check for field, check, _ in _plan(cls) if field == name)
