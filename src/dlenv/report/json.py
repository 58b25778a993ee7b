"""`--format json`: the report as a stable, versioned JSON document, and reading it back."""

from __future__ import annotations

import json
import os
import stat
import sys
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

    `-` reads standard input (not a terminal). A device (`--from /dev/zero`) would be read
    forever and a named FIFO with no writer would block the open forever, so both are refused;
    a pipe this process already holds is read: `--from <(ssh node dlenv doctor -f json)`.
    """
    from dlenv.safeio import own_stream

    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise DlenvError("--from -: standard input is a terminal; pipe a report into it")
        return _parse_bytes(sys.stdin.buffer.read(MAX_REPORT_BYTES + 1), "<stdin>")
    try:
        info = os.stat(path)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISFIFO(info.st_mode) and own_stream(path) is None:
        raise DlenvError(
            f"{path}: is a named pipe (FIFO), not a saved report; "
            "to read a stream, pipe it in with --from -"
        )
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise DlenvError(f"{path}: is {kind}, not a saved report")
    if info.st_size > MAX_REPORT_BYTES:
        raise DlenvError(f"{path}: larger than 256 MiB; not a dlenv report")
    try:
        # non-blocking open: what was checked above may have been swapped for a FIFO since
        nonblock = getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_BINARY", 0))
        if nonblock:
            os.set_blocking(fd, True)  # checked below: a regular file or the pipe we expect
        with os.fdopen(fd, "rb") as fh:
            if stat.S_IFMT(os.fstat(fh.fileno()).st_mode) != stat.S_IFMT(info.st_mode):
                raise DlenvError(f"{path}: changed while dlenv opened it")
            data = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise DlenvError(f"{path}: cannot read ({exc.strerror})") from None
    return _parse_bytes(data, path)


def _parse_bytes(data: bytes, source: str) -> Report:
    if len(data) > MAX_REPORT_BYTES:
        raise DlenvError(f"{source}: larger than 256 MiB; not a dlenv report")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DlenvError(f"{source}: not a text file") from None
    return parse_report(text, source)
