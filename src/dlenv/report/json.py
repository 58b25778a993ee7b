"""`--format json`: the report as a stable, versioned JSON document, and reading it back."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from dlenv.errors import DlenvError
from dlenv.report.model import Report
from dlenv.snapshot.model import SCHEMA_VERSION
from dlenv.snapshot.serde import from_data, to_data


def dump_report(report: Report) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"


def parse_report(text: str, source: str = "report") -> Report:
    """Read a report written by `dlenv doctor --format json` (or the report inside a
    `dlenv explain --format json` result); a bad one is a `DlenvError`."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DlenvError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
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
    try:
        return from_data(Report, data)
    except ValueError as exc:
        raise DlenvError(f"{source}: malformed report: {exc}") from None
    except RecursionError:
        raise DlenvError(f"{source}: not a dlenv report (JSON nested too deeply)") from None


MAX_REPORT_BYTES = 256 * 1024 * 1024


def read_report_file(path: str) -> Report:
    """A saved `--format json` report; anything that is not one is a DlenvError (exit 2).

    A device (`--from /dev/zero`) would be read forever, so only regular files and pipes are
    read: `--from <(ssh node dlenv doctor -f json)` stays possible.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise DlenvError(f"{path}: is {kind}, not a saved report")
    if info.st_size > MAX_REPORT_BYTES:
        raise DlenvError(f"{path}: larger than 256 MiB; not a dlenv report")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise DlenvError(f"{path}: not a text file") from None
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_report(text, path)
