"""`--format json`: the report as a stable, versioned JSON document, and reading it back."""

from __future__ import annotations

import json
import math
import re
import typing
from typing import Any

from dlenv.errors import DlenvError
from dlenv.report.model import Report
from dlenv.snapshot.model import SCHEMA_VERSION
from dlenv.snapshot.serde import from_data, to_data

# What JSON leaves raw with ensure_ascii=False but a terminal or a UTF-8 encoder cannot take:
# DEL, the C1 controls (CSI is U+009B), the Unicode line separators and lone surrogates.
# A lone surrogate (a byte that was not UTF-8) reads as U+FFFD, as everywhere in dlenv's output.
_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_json(data: Any) -> str:
    """JSON text for `data`, readable UTF-8, with every control character as a `\\u` escape."""
    text = _SURROGATE.sub("\ufffd", json.dumps(data, indent=2, ensure_ascii=False))
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def dump_report(report: Report) -> str:
    return dump_json(to_data(report))


MAX_DIGITS = 30  # no fact is a number longer than this; Python refuses int() past 4,300 digits


def _int(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"a number of {len(digits)} digits")
    return int(digits)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or len(text) > 100:
        raise ValueError(f"the number {text[:40]}")
    return value


def _constant(name: str) -> float:
    raise ValueError(f"{name}, which is not JSON")


def json_decoder() -> json.JSONDecoder:
    """A decoder for other people's JSON: numbers that fit a fact, no NaN or Infinity."""
    return json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def report_envelope(text: str, source: str = "report") -> dict[str, Any]:
    """The JSON of a `dlenv doctor --format json` report (or of the report inside a `dlenv
    explain --format json` result), with its kind and schema version checked; a bad one is a
    `DlenvError`. `parse_report` builds the Report from it; `dlenv fleet` reads a few facts."""
    try:
        data: Any = json_decoder().decode(text)
    except json.JSONDecodeError as exc:
        raise DlenvError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except ValueError as exc:  # from the number hooks
        raise DlenvError(f"{source}: not a dlenv report ({exc})") from None
    except RecursionError:  # nested deeper than Python's recursion limit
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None
    if isinstance(data, dict) and data.get("kind") == "dlenv-explain":
        # `dlenv explain --format json` carries the diagnosed report: plan or render from it.
        data = data.get("report")
    if not isinstance(data, dict) or data.get("kind") != "dlenv-report":
        raise DlenvError(f'{source}: not a dlenv report (no "kind": "dlenv-report")')
    version = data.get("schema_version")
    inner = data.get("snapshot")
    if isinstance(inner, dict) and isinstance(inner.get("schema_version"), int):
        version = max(version, inner["schema_version"]) if isinstance(version, int) else version
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise DlenvError(
            f"{source}: schema_version {version!r} is not supported "
            f"(this dlenv reads up to {SCHEMA_VERSION}); upgrade dlenv"
        )
    return typing.cast(dict[str, Any], data)


def parse_report(text: str, source: str = "report") -> Report:
    """Read a report written by `dlenv doctor --format json` (or the report inside a
    `dlenv explain --format json` result); a bad one is a `DlenvError`."""
    data = report_envelope(text, source)
    try:
        return from_data(Report, data)
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    except RecursionError:
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None


MAX_REPORT_BYTES = 256 * 1024 * 1024


def read_report_file(path: str) -> Report:
    """A saved `--format json` report; anything that is not one is a DlenvError (exit 2).

    `-` reads standard input (not a terminal). A device (`--from /dev/zero`) would be read
    forever and a named FIFO with no writer would block the open forever, so both are refused;
    a pipe this process already holds is read: `--from <(ssh node dlenv doctor -f json)`.
    """
    from dlenv.safeio import read_input

    data, source = read_input(
        path,
        limit=MAX_REPORT_BYTES,
        what="a saved report",
        hint="; not a dlenv report",
        dash="--from -",
    )
    return _parse_bytes(data, source)


def _parse_bytes(data: bytes, source: str) -> Report:
    if len(data) > MAX_REPORT_BYTES:
        raise DlenvError(f"{source}: larger than 256 MiB; not a dlenv report")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DlenvError(f"{source}: not a text file") from None
    return parse_report(text, source)
