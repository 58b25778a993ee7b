"""The CUDA stack's status codes (dlenv/kb/data/cuda-status.json) read in a pasted text.

A status is printed in many forms: its name alone (`cudaErrorNoKernelImageForDevice`,
`CUDA_ERROR_NO_BINARY_FOR_GPU`, `CUBLAS_STATUS_ALLOC_FAILED`, `NVMLError_DriverNotLoaded`), its
text behind a prefix (`CUDA error: <text>`, `cuda runtime error (209) : <text>`, `NCCL error in:
…, <text>`, `Failed to initialize NVML: <text>`), or its number where the words around say it is
one (`cudaGetDeviceCount returned 100`, `CUresult 999`, `CUDA error 35`). Each status becomes a
Signature (id "status-<name>", its rules and meaning from the table) that `BY_ID` knows, and one
pass (`read_statuses`, run by `scan()` after the catalogue's message signatures) reports each
status it finds on a line that no catalogue signature already explained. A bare number is never
read as a status, and success codes are never reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlenv.errors import DlenvError
from dlenv.importers.catalog import Fact, Signature
from dlenv.snapshot.model import ReportedError

if TYPE_CHECKING:
    from dlenv.importers.sheet import FactSheet
    from dlenv.importers.signatures import Distinct

TABLE = Path(__file__).resolve().parents[1] / "kb" / "data" / "cuda-status.json"
FAMILY = "cuda-status"


@dataclass(frozen=True)
class Status:
    enum: str  # "cudaError_t"
    library: str  # "CUDA runtime (libcudart)"
    name: str  # "cudaErrorNoDevice"
    value: int
    strings: tuple[str, ...]  # the texts the library prints for it (newest first)
    rules: tuple[str, ...]
    why: str
    facts: tuple[Fact, ...]
    source: str
    legacy: int | None = None  # the number an older release gave it (CUDA <= 10.0, cuDNN 8)

    @property
    def signature_id(self) -> str:
        return "status-" + self.name.lower().replace("_", "-")


# statuses that say nothing is wrong: never reported
QUIET = frozenset(
    {
        "cudaSuccess",
        "CUDA_SUCCESS",
        "CUBLAS_STATUS_SUCCESS",
        "CUSOLVER_STATUS_SUCCESS",
        "CUFFT_SUCCESS",
        "CURAND_STATUS_SUCCESS",
        "CUSPARSE_STATUS_SUCCESS",
        "CUDNN_STATUS_SUCCESS",
        "ncclSuccess",
        "NVML_SUCCESS",
        "cudaErrorNotReady",  # "not yet complete": a query's answer, not a failure
        "CUDA_ERROR_NOT_READY",
        "ncclInProgress",
        "NVML_ERROR_NOT_SUPPORTED",  # nvidia-smi and monitors print it for any unsupported field
    }
)


def _fact(raw: dict[str, Any]) -> Fact:
    value = raw["value"]
    if isinstance(value, bool):
        value = "true" if value else "false"
    return Fact(str(raw["path"]), str(value), raw.get("convert"))


@cache
def load_statuses() -> tuple[Status, ...]:
    """Every status of the table, in its order (enums as listed, statuses by number)."""
    try:
        data = json.loads(TABLE.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DlenvError(f"knowledge base file {TABLE.name} is unreadable: {exc}") from None
    out: list[Status] = []
    for enum in data["enums"]:
        for row in enum["statuses"]:
            strings = ([row["string"]] if row.get("string") else []) + row.get("other_strings", [])
            legacy = row.get("value_before_10_1", row.get("value_v8"))
            out.append(
                Status(
                    enum=enum["enum"],
                    library=enum["library"],
                    name=row["name"],
                    value=int(row["value"]),
                    strings=tuple(strings),
                    rules=tuple(row.get("rules", ())),
                    why=row.get("why", ""),
                    facts=tuple(_fact(f) for f in row.get("facts", ())),
                    source=enum["source"],
                    legacy=None if legacy is None else int(legacy),
                )
            )
    return tuple(out)


def _meaning(s: Status) -> str:
    said = f' "{s.strings[0].rstrip(".")}"' if s.strings else ""
    head = f"{s.library} status {s.name} ({s.value}{',' if said else ''}{said})"
    if s.rules:
        return f"{head}: {s.why}."
    return (
        f"{head}: recognised, not an environment cause dlenv can check (a bug, bad input or a "
        "fault in the run itself)."
    )


def _signature(s: Status) -> Signature:
    return Signature(
        id=s.signature_id,
        pattern=re.escape(s.name),
        meaning=_meaning(s),
        rules=s.rules,
        facts=s.facts,
        source=s.source,
        family=FAMILY,
        examples=(s.name,),
    )


@cache
def status_signatures() -> tuple[Signature, ...]:
    """One Signature per status (not scanned one by one: `read_statuses` reads them all)."""
    seen: set[str] = set()
    out = []
    for s in load_statuses():
        if s.signature_id not in seen:
            seen.add(s.signature_id)
            out.append(_signature(s))
    return tuple(out)


def _nvml_class(name: str) -> str:
    """pynvml's exception class for an NVML status: NVML_ERROR_DRIVER_NOT_LOADED ->
    NVMLError_DriverNotLoaded (pynvml's _extractNVMLErrorsAsClasses)."""
    words = name.removeprefix("NVML_ERROR_").split("_")
    return "NVMLError_" + "".join(w.capitalize() for w in words)


@dataclass(frozen=True)
class _Index:
    by_name: dict[str, Status]
    by_number: dict[tuple[str, int], Status]  # (enum, value)
    by_legacy: dict[tuple[str, int], Status]
    strings: dict[str, tuple[tuple[str, Status], ...]]  # enum -> (lower-case text, status)


@cache
def _index() -> _Index:
    by_name: dict[str, Status] = {}
    by_number: dict[tuple[str, int], Status] = {}
    by_legacy: dict[tuple[str, int], Status] = {}
    strings: dict[str, list[tuple[str, Status]]] = {}
    for s in load_statuses():
        by_name.setdefault(s.name, s)
        if s.enum == "nvmlReturn_t":
            by_name.setdefault(_nvml_class(s.name), s)
        by_number.setdefault((s.enum, s.value), s)
        if s.legacy is not None:
            by_legacy.setdefault((s.enum, s.legacy), s)
        for text in s.strings:
            low = text.lower().rstrip(".")
            strings.setdefault(s.enum, []).append((low, s))
            # NCCL's texts end "(run with NCCL_DEBUG=INFO for details)"; older releases and
            # PyTorch's message print the words before it
            head = re.split(r" \(| - ", low, maxsplit=1)[0]
            if head != low and len(head) >= 7:
                strings[s.enum].append((head, s))
    ordered = {
        enum: tuple(sorted(pairs, key=lambda p: -len(p[0]))) for enum, pairs in strings.items()
    }
    return _Index(by_name, by_number, by_legacy, ordered)


RUNTIME, DRIVER = "cudaError_t", "CUresult"
_BY_PREFIX = (  # a function's prefix -> the enum it returns (longest first)
    ("cusparse", "cusparseStatus_t"),
    ("cusolver", "cusolverStatus_t"),
    ("cublas", "cublasStatus_t"),
    ("curand", "curandStatus_t"),
    ("cufft", "cufftResult"),
    ("cudnn", "cudnnStatus_t"),
    ("cuda", RUNTIME),
    ("nccl", "ncclResult_t"),
    ("nvml", "nvmlReturn_t"),
    ("cu", DRIVER),
)
_ENUM_WORDS = {
    "CUresult": DRIVER,
    "cudaError_t": RUNTIME,
    "cudaError": RUNTIME,
    "ncclResult_t": "ncclResult_t",
    "nvmlReturn_t": "nvmlReturn_t",
    "cublasStatus_t": "cublasStatus_t",
    "cudnnStatus_t": "cudnnStatus_t",
}

# -- the printed forms ---------------------------------------------------------------------------
# every pattern is anchored on a literal and bounds its free text (linear time on any line)
_NAME = re.compile(
    r"\b(?P<name>cuda(?:Error|Success)\w{0,60}|CUDA_(?:ERROR_\w{1,60}|SUCCESS)|"
    r"CU(?:BLAS|SOLVER|RAND|SPARSE|DNN)_STATUS_\w{1,60}|CUFFT_[A-Z_]{1,40}|"
    r"nccl[A-Z]\w{1,40}|NVML_(?:ERROR_\w{1,60}|SUCCESS)|NVMLError_\w{1,60})\b",
    # ASCII word characters: a name glued to Chinese or Japanese text ("CUBLAS_STATUS_NOT_
    # SUPPORTED错误") ends where the identifier does
    re.MULTILINE | re.ASCII,
)
# "CUDA error: <text>", "CUDA error 35: <text>", "CUDA driver error: <text>", "Cuda error(35),
# <text>", "CUDA error 35 at file.cu:12: <text>", "CUDA failure 2: <text>"
_CUDA_SAID = re.compile(
    r"(?i:\bcuda(?P<drv>[ _]driver)?[ _](?:error|failure))(?:[ \t]?\(?(?P<num>\d{1,4})\)?)?"
    r"(?: at [^\s:]{1,200}:\d{1,6})?[ \t]?[:,][ \t]{0,3}(?P<rest>[^\n]{0,300})",
    re.MULTILINE,
)
# THC/ATen's "cuda runtime error (2) : out of memory at /pytorch/aten/src/THC/..."
_THC = re.compile(
    r"\bcuda runtime error \((?P<num>\d{1,4})\) : (?P<rest>[^\n]{0,300})", re.MULTILINE
)
# a call's result: "cudaGetDeviceCount returned 100" (deviceQuery adds "-> <text>" on the
# next line), "cuInit(0) failed with error 999", "cudaSetDevice() error: 35"
_RETURNED = re.compile(
    r"\b(?P<fn>(?:cu(?:da|blas|dnn|solver|sparse|fft|rand)?|nccl|nvml)[A-Z]\w{1,60})"
    r"(?:\([^)\n]{0,80}\))?:?[ \t]{1,3}(?:returned|failed with(?: error(?: code)?| code)?|"
    r"failed:? error|error:?|err:?|result:?)[ \t:=]{0,3}(?P<num>\d{1,4})\b"
    r"(?:[ \t]*\n[ \t]*->[ \t]*(?P<rest>[^\n]{0,300}))?",
    re.MULTILINE,
)
# an enum type named with its number: "CUresult 999", "cudaError_t = 35"
_TYPED = re.compile(
    r"\b(?P<enum>CUresult|cudaError_t|cudaError|ncclResult_t|nvmlReturn_t|cublasStatus_t|"
    r"cudnnStatus_t)[ \t:=]{1,3}(?P<num>\d{1,4})\b",
    re.MULTILINE,
)
# PyTorch's "NCCL error in: <file>:<line>, <text>, NCCL version 2.14.3"; "NCCL Error 2: <text>"
_NCCL_SAID = re.compile(
    r"\bNCCL (?:[Ee]rror|ERROR)(?:[ \t](?P<num>\d{1,2}))?(?: in: [^\n,]{1,300})?[,:][ \t]{0,3}"
    r"(?P<rest>[^\n]{0,300})",
    re.MULTILINE,
)
# nvidia-smi's "Failed to initialize NVML: <text>", "NVML error: <text>"
_NVML_SAID = re.compile(
    r"(?:\bFailed to initialize NVML|\bNVML(?: [Ee]rror)?)[ \t]?:[ \t]{0,3}(?P<rest>[^\n]{0,300})",
    re.MULTILINE,
)
# TensorRT's builder and runtime: "CUDA initialization failure with error: 35" (the CUDA
# runtime's result of its first call; "error 222. Please check your CUDA installation")
_INIT = re.compile(
    r"\bCUDA initialization failure with error:?[ \t]{0,3}(?P<num>\d{1,4})\b", re.MULTILINE
)
# PyTorch's lazy initialisation: "CUDA call failed lazily at initialization with error: <why>"
_LAZY = re.compile(
    r"CUDA call failed lazily at initialization with error: (?P<rest>[^\n]{0,300})", re.MULTILINE
)

# (pattern, the lower-case words one of which every match contains, line breaks a match may
# cross); the order is the priority on a line
_FORMS: tuple[tuple[re.Pattern[str], tuple[str, ...], int], ...] = (
    (
        _NAME,
        (
            "cuda",
            "cublas_",
            "cusolver_",
            "cufft_",
            "curand_",
            "cusparse_",
            "cudnn_",
            "nccl",
            "nvml",
        ),
        0,
    ),
    (_THC, ("cuda runtime error",), 0),
    (_LAZY, ("failed lazily",), 0),
    (_INIT, ("initialization failure",), 0),
    (_CUDA_SAID, ("cuda",), 0),
    (_NCCL_SAID, ("nccl",), 0),
    (_NVML_SAID, ("nvml",), 0),
    (_RETURNED, ("returned", "failed", "err", "result"), 1),
    (_TYPED, ("curesult", "cudaerror", "ncclresult", "nvmlreturn", "status_t"), 0),
)
# a paste with none of these words names no status: nothing is read
PREFILTER = (
    "cuda", "cublas", "cusolver", "cufft", "curand", "cusparse", "cudnn", "nccl", "nvml",
    "cuinit", "cuctx", "cudevice", "cumem", "cumodule", "culaunch", "custream", "curesult",
)  # fmt: skip


def _by_text(enums: tuple[str, ...], rest: str | None) -> Status | None:
    if not rest:
        return None
    low = rest.lower().lstrip(" '\"`(")
    index = _index()
    for enum in enums:
        for text, status in index.strings.get(enum, ()):
            if low.startswith(text):
                return status
    return None


def _by_number(enum: str, num: str | None) -> Status | None:
    if num is None:
        return None
    index = _index()
    value = int(num)
    return index.by_number.get((enum, value)) or index.by_legacy.get((enum, value))


def _enum_of(fn: str) -> str:
    return next(enum for prefix, enum in _BY_PREFIX if fn.startswith(prefix))


def resolve(form: re.Pattern[str], m: Any) -> Status | None:
    """The status one match of a printed form names, None when it names none it knows."""
    g = m.groupdict()
    if form is _NAME:
        return _index().by_name.get(g["name"])
    if form is _THC:
        return _by_text((RUNTIME,), g["rest"]) or _by_number(RUNTIME, g["num"])
    if form is _LAZY:
        if "device >= 0 && device < num_gpus" in g["rest"]:
            # the assertion PyTorch checks before cudaSetDevice: the ordinal is not a visible GPU
            return _index().by_name["cudaErrorInvalidDevice"]
        return _by_text((RUNTIME, DRIVER), g["rest"])
    if form is _CUDA_SAID:
        enum = DRIVER if g["drv"] else RUNTIME
        return _by_text((enum, RUNTIME, DRIVER), g["rest"]) or _by_number(enum, g["num"])
    if form is _INIT:
        return _by_number(RUNTIME, g["num"])
    if form is _NCCL_SAID:
        return _by_text(("ncclResult_t",), g["rest"]) or _by_number("ncclResult_t", g["num"])
    if form is _NVML_SAID:
        return _by_text(("nvmlReturn_t",), g["rest"])
    if form is _RETURNED:
        enum = _enum_of(g["fn"])
        return _by_text((enum,), g["rest"]) or _by_number(enum, g["num"])
    if form is _TYPED:
        return _by_number(_ENUM_WORDS[g["enum"]], g["num"])
    return None


# where each printed form (by its place in _FORMS) matched: (start, end, every named group), or
# None where its words are not in the text; None for the whole when PREFILTER's are not
FormsFound = list[list[tuple[int, int, dict[str, str | None]]] | None] | None


def find_forms(text: str, lowered: str | None, distinct: Distinct | None) -> FormsFound:
    """Every printed form's matches in `text`, as read_statuses looks for them (a worker process
    of a long text's scan finds them beside the catalogue's signatures: `signatures._prefetch`)."""
    from dlenv.importers import signatures as engine

    if not engine._present(PREFILTER, lowered, distinct):
        return None
    return [
        [
            (m.start(), m.end(), m.groupdict())
            for m in engine._find(form, words, span, text, lowered, distinct)
        ]
        if engine._present(words, lowered, distinct)
        else None
        for form, words, span in _FORMS
    ]


def read_statuses(
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
    covered: set[int],
    messages: set[tuple[int, int]],
    sheet: FactSheet,
    fallback: str | None,
    found_forms: tuple[FormsFound] | None = None,
) -> None:
    """Report every status named on a line no earlier signature explained (`covered`), each
    status once with its count; add the lines read to `covered` and `messages`. `found_forms`:
    the forms' matches a worker process already found (find_forms), in a one-item tuple."""
    from dlenv.importers import signatures as engine

    forms = found_forms[0] if found_forms is not None else None
    if found_forms is not None and forms is None:
        return
    if found_forms is None and not engine._present(PREFILTER, lowered, distinct):
        return
    by_id = {s.id: s for s in status_signatures()}
    # the usual cause of each message the catalogue already reported: a status naming the same
    # one ("cudaGetDeviceCount returned 100" above "no CUDA-capable device is detected") is
    # that message again, not a second finding
    named = {
        engine.BY_ID[e.signature].rules[0]
        for e in sheet.reported.values()
        if e.signature in engine.BY_ID and engine.BY_ID[e.signature].rules
    }
    found: dict[int, tuple[int, Status, Any]] = {}  # line start -> (priority, status, match)
    for priority, (form, words, span) in enumerate(_FORMS):
        hits: Any
        if forms is not None:
            listed = forms[priority]
            if listed is None:
                continue
            hits = (engine.Found(text, a, b, g) for a, b, g in listed)
        elif not engine._present(words, lowered, distinct):
            continue
        else:
            hits = engine._find(form, words, span, text, lowered, distinct)
        for m in hits:
            line_start = text.rfind("\n", 0, m.start()) + 1
            if line_start in found:
                continue
            spans: set[int] = set()
            engine._covered_lines(text, m.start(), m.end(), spans)
            if spans & covered:
                continue  # a catalogue signature explains (a line of) it already
            status = resolve(form, m)
            if status is None or status.name in QUIET:
                continue
            if status.rules and status.rules[0] in named:
                continue
            found[line_start] = (priority, status, m)
    seen: dict[str, list[Any]] = {}  # signature id -> [first line, framework, count]
    for line_start in sorted(found):
        _, status, m = found[line_start]
        engine._covered_lines(text, m.start(), m.end(), covered)
        eol = text.find("\n", m.end())
        messages.add((m.start(), len(text) if eol < 0 else eol))
        sig = by_id[status.signature_id]
        line = engine._line_at(text, line_start, line_start)
        groups = {"line": line}
        fw = engine._framework_for(sig, line, groups, fallback)
        if sig.id in seen:
            seen[sig.id][2] += 1
            continue
        seen[sig.id] = [line, fw, 1]
        for fact in sig.facts:
            engine.apply_fact(sheet, fact, groups, line, text, fw)
    for sig_id, (line, fw, count) in seen.items():
        sig = by_id[sig_id]
        sheet.report(
            ReportedError(
                signature=sig_id,
                text=line,
                meaning=sig.meaning,
                harmless=False,
                count=count,
                framework=fw,
            )
        )
