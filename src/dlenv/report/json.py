"""`--format json`: the report as a stable, versioned JSON document, and reading it back."""

from __future__ import annotations

import json
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


def read_report_file(path: str) -> Report:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise DlenvError(f"{path}: not a text file") from None
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_report(text, path)
