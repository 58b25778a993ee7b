"""Reading node reports: files, folders of them, and streams (JSON lines, concatenated
`dlenv doctor --format json` documents, or `kubectl logs --prefix` output) on stdin or in a file.

Every report is read as `dlenv doctor --from` reads it (the same file checks, kind and schema
version), but only the fields a fleet compares are built and checked (`dlenv.fleet.lean`), and
nodes alike only once (`dlenv.fleet.reading`); with `full`, the whole report (a [check] policy
may read any fact). A report that cannot be read becomes one `Loaded` with an error, never an
exception: one bad node never hides the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.fleet.reading import NodeReader, Reading
from dlenv.report.json import MAX_REPORT_BYTES

MAX_STREAM_BYTES = 4 * 1024 * 1024 * 1024  # 4 GiB of logs: ~80,000 full reports
STREAM_SUFFIXES = (".log", ".jsonl", ".ndjson", ".txt")

# kubectl logs --prefix writes `fmt.Sprintf("[pod/%s/%s] ", pod, container)` before every line
# it reads (kubernetes/kubectl pkg/cmd/logs/logs.go, addPrefixIfNeeded and prefixingWriter):
# always one space after it; the container is "" when the pod's field path names none.
KUBECTL_PREFIX = re.compile(r"^\[(pod/([^/\]\s]+)/[^\]\s]*)\] ?")
# kubectl logs --timestamps: the kubelet writes the line's time and one space before it
# (kubernetes pkg/kubelet/kuberuntime/logs/logs.go: `msg.timestamp.Format(timeFormatOut)`,
# RFC3339NanoFixed, "2026-12-06T07:00:00.123456789Z"); after the --prefix when both are given.
# Older runtimes trim the fraction (RFC3339Nano) or give an offset; no JSON line starts so.
KUBELET_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d) "
)


@dataclass(frozen=True)
class Loaded:
    """One report read (or not): `reading` or `error`, and a name to fall back on for the node."""

    source: str
    reading: Reading | None = None
    error: str | None = None
    label: str | None = None  # the pod, or the file's stem


def _message(exc: DlenvError, source: str) -> str:
    return exc.message.removeprefix(f"{source}: ")


def read_reports(
    paths: list[str], *, full: bool = False, reader: NodeReader | None = None
) -> Iterator[Loaded]:
    """Every report under `paths`, in the order given (a folder's *.json files sorted); with
    `full`, each report whole, else only what a fleet compares (`dlenv.fleet.lean`)."""
    reader = reader or NodeReader(full=full)
    for path in paths:
        if path == "-":
            yield from _stream(_read_stream("-"), "<stdin>", reader)
            continue
        if os.path.isdir(path):
            found = sorted(_json_files(path))
            if not found:
                yield Loaded(source=path, error="no *.json report in this folder")
            for file in found:
                yield _file(file, reader)
        elif path.endswith(STREAM_SUFFIXES):
            try:
                text = _read_stream(path)
            except DlenvError as exc:
                yield Loaded(source=path, error=_message(exc, path))
                continue
            yield from _stream(text, path, reader)
        else:
            yield _file(path, reader)


def _json_files(folder: str) -> Iterator[str]:
    # os.walk does not follow links to folders: a link loop cannot make this endless
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if name.endswith(".json") and not name.startswith("."):
                yield os.path.join(root, name)


def _file(path: str, reader: NodeReader) -> Loaded:
    """One saved report, read as `read_report_file` reads it (no device, no FIFO, 256 MiB)."""
    from dlenv.safeio import read_input

    label = Path(path).stem
    try:
        data, source = read_input(
            path, limit=MAX_REPORT_BYTES, what="a saved report", hint="; not a dlenv report"
        )
        if len(data) > MAX_REPORT_BYTES:
            raise DlenvError(f"{source}: larger than 256 MiB; not a dlenv report")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DlenvError(f"{source}: not a text file") from None
        return Loaded(source=path, reading=reader.read(text, source), label=label)
    except DlenvError as exc:
        return Loaded(source=path, error=_message(exc, path), label=label)


def _read_stream(path: str) -> str:
    from dlenv.safeio import read_input

    data, _ = read_input(
        path, limit=MAX_STREAM_BYTES, what="reports", hint="; too much to merge", dash="-"
    )
    return data.decode("utf-8", "replace")


def _stream(text: str, source: str, reader: NodeReader) -> Iterator[Loaded]:
    """Reports in a stream, grouped by their `kubectl logs --prefix` source when lines have one
    (pods' lines may interleave), `--timestamps` taken off; each group read as JSON lines or
    indented documents."""
    groups: dict[str, tuple[str | None, list[str]]] = {}
    prefixed = KUBECTL_PREFIX.match
    stamped = KUBELET_TIMESTAMP.match
    for line in text.splitlines():
        match = prefixed(line) if line.startswith("[") else None
        if match is None:
            group = groups.get(source) or groups.setdefault(source, (None, []))
        else:
            group = groups.get(match[1]) or groups.setdefault(match[1], (match[2], []))
            line = line[match.end() :]
        if line[:1].isdigit():
            stamp = stamped(line)
            if stamp is not None:
                line = line[stamp.end() :]
        group[1].append(line)
    for name, (pod, lines) in groups.items():
        found = False
        for loaded in _documents(lines, name, pod, reader):
            found = True
            yield loaded
        if not found and any(line.strip() for line in lines):
            last = next(line.strip() for line in reversed(lines) if line.strip())
            yield Loaded(
                source=name,
                error=f"no dlenv report in {len(lines)} line(s); the last: {last[:200]}",
                label=pod,
            )


def _documents(
    lines: list[str], source: str, label: str | None, reader: NodeReader
) -> Iterator[Loaded]:
    """One JSON document per line (`{...}`), or indented ones from a line `{` to a line `}`
    (how `dlenv doctor --format json` writes them); every other line is log noise."""
    start: int | None = None
    body: list[str] = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if start is not None:
            if line == "}":
                body.append(line)
                yield _parse("\n".join(body), f"{source} lines {start}-{number}", label, reader)
                start, body = None, []
                continue
            if not line.startswith("{"):
                body.append(line)
                continue
            yield Loaded(
                source=f"{source} line {start}",
                error="truncated: a new document starts before this one ends",
                label=label,
            )
            start, body = None, []
        if line == "{":
            start, body = number, [line]
        elif line.startswith("{"):
            yield _parse(line, f"{source} line {number}", label, reader)
    if start is not None:
        yield Loaded(
            source=f"{source} line {start}",
            error="truncated: the document does not end",
            label=label,
        )


def _parse(text: str, source: str, label: str | None, reader: NodeReader) -> Loaded:
    try:
        return Loaded(source=source, reading=reader.read(text, source), label=label)
    except DlenvError as exc:
        return Loaded(source=source, error=_message(exc, source), label=label)
