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
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.fleet.reading import Alike, NodeReader, Reading
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
    paths: list[str],
    *,
    full: bool = False,
    reader: NodeReader | None = None,
    jobs: int | None = None,
) -> Iterator[Loaded]:
    """Every report under `paths`, in the order given (a folder's *.json files sorted); with
    `full`, each report whole, else only what a fleet compares (`dlenv.fleet.lean`). Many
    files are read by `jobs` processes (None: one per core, from `PARALLEL_MIN` files on)."""
    reader = reader or NodeReader(full=full)
    files: list[str] = []  # read together, so that a pool can share them out
    for path in paths:
        is_dir = path != "-" and os.path.isdir(path)
        if is_dir or (path != "-" and not path.endswith(STREAM_SUFFIXES)):
            found = sorted(_json_files(path)) if is_dir else [path]
            files += found
            if found:
                continue
        yield from _files(files, reader, jobs)
        files = []
        if is_dir:
            yield Loaded(source=path, error="no *.json report in this folder")
        elif path == "-":
            yield from _stream(_read_stream("-"), "<stdin>", reader)
        else:
            try:
                text = _read_stream(path)
            except DlenvError as exc:
                yield Loaded(source=path, error=_message(exc, path))
                continue
            yield from _stream(text, path, reader)
    yield from _files(files, reader, jobs)


# -- many files: a process per core --------------------------------------------------------
PARALLEL_MIN = 2000  # files; below it, starting processes costs more than it saves
CHUNK = 250  # files a worker reads per task: few round trips, and the pool stays busy


def workers_for(files: int, reader: NodeReader, jobs: int | None) -> int:
    """How many processes read `files` reports: 1 (here, serially) for a few files, a
    whole-report read (a [check] policy: the reports are too big to send back), or one core."""
    if jobs is None:
        if files < PARALLEL_MIN:
            return 1
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if reader.full or not jobs or jobs <= 1 or files < 2:
        return 1
    return min(jobs, -(-files // CHUNK))


def _files(files: list[str], reader: NodeReader, jobs: int | None) -> Iterator[Loaded]:
    """`_file` for each of `files`, in order, read by a pool of processes when there are many.
    A worker keeps its own `NodeReader`; what it sends back is interned into `reader`, so the
    merge sees exactly what a serial read gives."""
    workers = workers_for(len(files), reader, jobs)
    if workers <= 1:
        for path in files:
            yield _file(path, reader)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where there is one: the worker starts with dlenv imported (spawn re-imports it)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for batch in pool.map(_read_chunk, chunks):
            interned: dict[int, Alike] = {}
            for loaded in batch:
                reading = loaded.reading
                if reading is not None:
                    alike = interned.get(id(reading.alike))
                    if alike is None:
                        alike = interned[id(reading.alike)] = reader.intern(reading.alike)
                    loaded = replace(loaded, reading=replace(reading, alike=alike))
                yield loaded


_WORKER_READER: NodeReader | None = None


def _read_chunk(paths: list[str]) -> list[Loaded]:
    """In a worker: the reports of `paths`; nodes alike share one `Alike`, sent once."""
    global _WORKER_READER
    if _WORKER_READER is None:
        _WORKER_READER = NodeReader()
    return [_file(path, _WORKER_READER) for path in paths]


def _json_files(folder: str) -> Iterator[str]:
    # os.walk does not follow links to folders: a link loop cannot make this endless
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if name.endswith(".json") and not name.startswith("."):
                yield os.path.join(root, name)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _plain_file(path: str) -> bytes | None:
    """The bytes of `path` when it is a regular file within the limit, read at its size; None
    for anything else (then `read_input` reads it, or says why not). `read_input` asks the OS
    for the limit's 256 MiB on every read: at 10,000 reports, ten times the reading itself."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_REPORT_BYTES:
            return None  # swapped since the stat, or too large: read_input says so
        parts = []
        total = 0
        while total <= MAX_REPORT_BYTES:
            part = os.read(fd, max(info.st_size + 1 - total, 65536))
            if not part:
                break
            parts.append(part)
            total += len(part)
        return b"".join(parts)
    except OSError:
        return None
    finally:
        os.close(fd)


def _file(path: str, reader: NodeReader) -> Loaded:
    """One saved report, read as `read_report_file` reads it (no device, no FIFO, 256 MiB)."""
    from dlenv.safeio import read_input

    label = Path(path).stem
    try:
        data = _plain_file(path)
        source = path
        if data is None:
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
