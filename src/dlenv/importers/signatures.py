"""`scan()`: the message catalogue run over a pasted text, and what each message reveals.

The catalogue itself is data: dlenv/importers/catalog/*.toml, one file per family, each signature
with its id, regex, the facts it states (dotted paths filled from the regex's named groups),
whether it is known noise, a one-line meaning, the rules that usually explain it, where its
wording was checked, and examples. dlenv.importers.catalog loads it (and documents the order
`scan()` runs it in); the value converters stay Python (catalog/converters.py).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import multiprocessing
import os
import re
import sys
import threading
from array import array
from collections.abc import Iterator
from typing import Any

from dlenv.importers.catalog import FRAMEWORKS, CatalogError, Fact, Signature, is_prose, load
from dlenv.importers.catalog import parse_pattern as _parse
from dlenv.importers.catalog.converters import CONVERTERS, SIZE
from dlenv.importers.sheet import FactSheet
from dlenv.importers.statuses import FormsFound, find_forms, read_statuses, status_signatures
from dlenv.snapshot.model import (
    DriverReading,
    InstallFailure,
    PciDevice,
    ReportedError,
    ResolvedLibrary,
)

__all__ = [
    "BY_ID",
    "CONVERTERS",
    "FRAMEWORKS",
    "SIGNATURES",
    "SIZE",
    "UNRECOGNISED",
    "CatalogError",
    "Fact",
    "Signature",
    "scan",
]

_T, _F = "true", "false"
SIGNATURES: tuple[Signature, ...] = load()
# the CUDA stack's status codes (dlenv/kb/data/cuda-status.json) are signatures too, read in one
# pass by dlenv.importers.statuses after the catalogue's messages
BY_ID: dict[str, Signature] = {s.id: s for s in (*SIGNATURES, *status_signatures())}

# A line that names its framework: log prefixes and tracebacks through a framework's files.
_LINE_FRAMEWORK = (
    # jaxlib's own XLA build logs from "external/xla/xla/…" (TensorFlow's from "tensorflow/
    # compiler/xla/…" or, since 2.14, "external/local_xla/…"): the same stream_executor files
    ("jax", re.compile(r"external/xla/|external/tsl/|jaxlib|XlaRuntimeError")),
    (
        "tensorflow",
        re.compile(
            r"tensorflow|_pywrap|stream_executor|local_xla|tsl/|dso_loader|"
            r"cuda_dnn\.cc|gpu_device\.cc|keras",
            re.IGNORECASE,
        ),
    ),
    # PyTorch's own wording too: c10's "… before calling NumCudaDevices() …"
    ("torch", re.compile(r"torch|c10[/\\]|caffe2|NumCudaDevices\(\)", re.IGNORECASE)),
    ("jax", re.compile(r"jax", re.IGNORECASE)),
)
_MODULE_FRAMEWORK = {"_pywrap_tensorflow_internal": "tensorflow", "_C": "torch"}
_SHADOW_FILE = r'File "(?P<path>[^"\n]*?[/\\]{mod}(?:\.py|[/\\]__init__\.py))"'


# bounded by ASCII letters and digits only, so a name beside CJK text counts ("venv中的torch版本");
# the name comes first and what precedes it is checked after it (a lookbehind over the name): a
# pattern that opens with its literal is searched for as one (3 s over 50 MB otherwise)
_NAMED = (
    ("torch", re.compile(r"torch(?<![A-Za-z0-9_]torch)(?![A-Za-z0-9_])")),
    (
        "tensorflow",
        re.compile(r"tensorflow(?<![A-Za-z0-9_]tensorflow)(?![A-Za-z0-9_])|tf\.(?<!\wtf\.)"),
    ),
    ("jax", re.compile(r"jax(?<![A-Za-z0-9_]jax)(?:lib)?(?![A-Za-z0-9_])")),
)


def dominant_framework(text: str, distinct: Distinct | None = None) -> str | None:
    """The framework a paste is mostly about, by how often it is named (counted over the
    distinct lines times their repeats when `distinct` is given: the names never cross a line)."""
    counts: dict[str, int] = {}
    for name, pattern in _NAMED:
        if distinct is None:
            counts[name] = len(pattern.findall(text))
        else:
            counts[name] = sum(
                len(distinct.where[bisect.bisect_right(distinct.starts, m.start()) - 1])
                for m in pattern.finditer(distinct.text)
            )
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _line_at(text: str, start: int, end: int) -> str:
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    if end - first > 400:
        # a message deep in a long line (a progress bar, a console that drops line breaks:
        # "Transcribing... 0:00:00Could not locate cudnn_ops64_9.dll"): keep it, not the start
        first = max(first, start - 100)
    line = text[first : len(text) if last < 0 else last].strip()
    matched = text[start:end]
    # a multi-line match (the sm_XX warning) is kept whole, single lines trimmed
    return (matched if "\n" in matched else line)[:400].strip()


def _framework_for(
    sig: Signature, line: str, groups: dict[str, str], fallback: str | None
) -> str | None:
    mod = groups.get("mod")
    if mod in _MODULE_FRAMEWORK:
        return _MODULE_FRAMEWORK[mod]
    if sig.framework is not None:
        return sig.framework
    for name, pattern in _LINE_FRAMEWORK:
        if pattern.search(line):
            return name
    return fallback


def _fill(template: str, groups: dict[str, str], line: str, empty_ok: bool = False) -> str | None:
    if template == "{line}":
        return line
    try:
        value = template.format(**groups)
    except KeyError:
        return None
    return value if value.strip() or empty_ok else None


def apply_fact(
    sheet: FactSheet, fact: Fact, groups: dict[str, str], line: str, text: str, fw: str | None
) -> None:
    """Write one fact of a matched signature into the sheet."""
    path = fact.path
    if "{fw}" in path:
        if fw is None:
            return
        path = path.replace("{fw}", fw)
    if "{mod}" in path:
        path = path.replace("{mod}", groups.get("mod") or "")
    if path == "python.install_failure":
        # an alternative of a pattern names its groups with a "2" or "3" (`pkg2`, `pkg3`)
        groups = _alternative_groups(groups)
    # an environment variable set to "" is a fact (CUDA_VISIBLE_DEVICES= hides every GPU)
    raw = _fill(fact.value, groups, line, empty_ok=fact.convert == "env")
    if raw is None:
        return
    value: object = raw.strip()
    if fact.convert == "env":
        pass
    elif fact.convert:
        value = CONVERTERS[fact.convert](raw)
        if value is None:
            return  # the converter says the text does not state this fact
    elif raw in (_T, _F):
        value = raw == _T
    head, _, rest = path.partition(".")
    if head == "pci":
        sheet.add_pci_device(_pci_device(groups))
    elif head == "driver" and rest == "reading":
        sheet.add_reading(DriverReading(source="nvidia-smi", error=str(value)))
    elif head == "driver":
        sheet.set_driver(rest, value)
    elif head == "host":
        sheet.set_host(rest, value)
    elif head == "visibility":
        sheet.set_visibility(rest, value)
    elif head == "framework":
        name, _, key = rest.partition(".")
        if key.startswith("details."):
            details: dict[str, str] = sheet.framework(name).setdefault("details", {})
            details.setdefault(key.removeprefix("details."), str(value))
            sheet.note(f"frameworks.{name}.{key}", value)
        else:
            sheet.set_framework(name, key, value)
    elif head == "live":
        name, _, key = rest.partition(".")
        if key == "message":
            sheet.add_live_item(name, "messages", value)
        elif key == "arch_list" and isinstance(value, list):
            for arch in value:
                sheet.add_live_item(name, "arch_list", arch)
        elif key.startswith("details."):
            sheet.set_live_map(name, "details", key.removeprefix("details."), str(value))
        elif key.startswith("memory_growth."):
            sheet.set_live_map(
                name, "memory_growth", key.removeprefix("memory_growth."), str(value)
            )
        elif key == "loaded":
            sheet.add_live_item(name, "loaded_libraries", {"name": _lib(str(value)), "path": value})
        elif key == "loaded_cudnn":
            sheet.add_live_item(
                name, "loaded_libraries", {"name": "cudnn", "path": "libcudnn", "version": value}
            )
        else:
            sheet.set_live(name, key, value)
    elif head == "requires":
        # a requirement one package states in a resolver's message: "<who> <version>
        # <package> <specifier> [<installed version>]"
        parts = str(value).split()
        if len(parts) >= 4:
            who, version, package, spec = parts[:4]
            have = parts[4] if len(parts) > 4 else None
            sheet.add_requirement(who, version, package, spec, have=have)
    elif head == "library":
        sheet.missing_library(rest, str(value), groups.get("why") or line)
    elif head == "cuda" and rest == "library":
        _listed_library(sheet, str(value), groups.get("path"))
    elif head == "gpu":
        idx = groups.get("idx")
        # a listing with UUIDs numbers its GPUs exactly: identical names must not merge
        gpu_name = None if "uuid" in groups else groups.get("name")
        g = sheet.gpu(int(idx) if idx and idx.isdigit() else None, gpu_name)
        sheet.set_gpu(g, rest, value.strip() if isinstance(value, str) else value)
    elif head == "python":
        if rest == "install_failure":
            if "{" not in fact.value and not groups.get("pkg") and not groups.get("wheel"):
                groups = {**groups, "pkg": fact.value}  # a wording only one package prints
            sheet.add_install_failure(_install_failure(groups, line))
        elif rest == "path":
            sheet.add_path(str(value))
        else:
            sheet.set_python(rest, value)
    elif head == "shadowing":
        mod = str(value)
        named = _shadow_paths(mod.split(".")[0], text)
        paths = [p for p in named if "-packages" not in p]
        if not paths and "." in mod:
            # a dotted module ("autogen_ext.tools.mcp"): the user's own file may carry a later
            # part's name (their mcp.py, found before the `mcp` package the module imports)
            for part in reversed(mod.split(".")[1:]):
                paths = [p for p in _shadow_paths(part, text) if "-packages" not in p]
                if paths:
                    mod = part  # what the user's file shadows: `import mcp`
                    break
        path_found = groups.get("path") or (
            paths[0] if paths else (named[0] if named else "unknown")
        )
        sheet.add_shadowing(mod, path_found)


@functools.lru_cache(maxsize=32)
def _shadow_paths(mod: str, text: str) -> tuple[str, ...]:
    """The path of every `File "…/<mod>.py"` in `text`, in order (asked once per module, not
    once per match: a long log names the same file thousands of times)."""
    regex = re.compile(_SHADOW_FILE.format(mod=re.escape(mod)))
    return tuple(m.group("path") for m in matches(regex, text))


def _alternative_groups(groups: dict[str, str]) -> dict[str, str]:
    """An alternative of a pattern names its groups with a "2" or "3" (`pkg2`, `ver2`, `rp2`,
    `pkg3`): the same fact as the unnumbered group."""
    return {k: v for k, v in groups.items() if v is not None} | {
        k[:-1]: v for k, v in groups.items() if k[-1:] in ("2", "3") and v is not None
    }


def _install_failure(groups: dict[str, str], line: str) -> InstallFailure:
    """What an installer's "no matching distribution" message says: the groups `pkg` (or
    `wheel`, a file name that starts with it), `ver` (the version asked for), `versions`
    (what it saw: "none" or empty for nothing), `rp` (the Requires-Python it states) or `tags`
    (the Python tags its wheels have), both meaning the Python did not fit, and `plat` (the
    platform tags that did not fit)."""
    wheel = groups.get("wheel")
    groups = _alternative_groups(groups)
    # a sentence's full stop after the name ("found for onnxruntime.") is not part of it
    name = (groups.get("pkg") or (wheel.split("-", 1)[0] if wheel else "")).rstrip(".-_")
    versions = groups.get("versions")
    available = None
    if versions is not None:
        available = [v.strip() for v in versions.split(",") if v.strip() not in ("", "none")]
    needs = groups.get("rp") or groups.get("tags")
    if needs == "annotations":  # `from __future__ import annotations` needs Python 3.7 (PEP 563)
        needs = ">=3.7"
    if groups.get("fstring"):  # f"{x=}": self-documenting f-strings need Python 3.8
        needs = ">=3.8"
    mismatch = "python" if needs or groups.get("pytag") else None
    if mismatch is None and groups.get("plat"):
        mismatch = "platform"
    return InstallFailure(
        package=re.sub(r"[-_.]+", "-", name.lower()),
        requested=groups.get("ver"),
        available=available,
        wheel=wheel,
        message=line,
        mismatch=mismatch,
        requires_python=_one_line(needs) if needs else None,
    )


def _one_line(text: str) -> str:
    """A stated requirement on one line, without the Markdown quotes uv puts around tags, and
    in a specifier's words where a package's guard said it in English (">= 3.9 and < 3.12" is
    ">=3.9,<3.12"; "3.8 or later" and "3.8+" are ">=3.8")."""
    one = re.sub(r"\s+", " ", text.replace("`", "")).strip(" '\"")
    one = _OR_LATER.sub(r">=\1", one)
    return _AND.sub(",", one).replace(" ", "") if _AND.search(one) else one


_OR_LATER = re.compile(r"^(\d+\.\d+(?:\.\d+)?)(?: or (?:later|newer|above|higher|greater)|\+)$")
_AND = re.compile(r"(?<=\d) ?(?:,| and) ?(?=[<>=!~])")


_PCI_CLASSES = {
    "VGA compatible controller": "0x030000",
    "3D controller": "0x030200",
    "Display controller": "0x038000",
}


def _pci_device(groups: dict[str, str]) -> PciDevice:
    """A PciDevice from an lspci line: lspci omits PCI domain 0000; without -nn it names no
    device id (left empty), without -k no driver."""
    slot = f"{groups.get('dom', '0000')}:{groups['slot']}".lower()
    clsid = groups.get("clsid")
    did = groups.get("did")
    return PciDevice(
        slot=slot,
        vendor_id="0x10de",  # "NVIDIA Corporation" is PCI vendor 10de
        device_id=f"0x{did.lower()}" if did else "",
        class_id=f"0x{clsid.lower()}00" if clsid else _PCI_CLASSES.get(groups.get("cls", "")),
        kernel_driver=groups.get("drv"),
        name=groups["name"].strip(),
    )


LISTED = "listed"  # the pseudo-framework of the libraries a paste shows present on disk


def _listed_library(sheet: FactSheet, soname: str, path: str | None) -> None:
    """A CUDA library the paste shows on disk (an `ldconfig -p` or `ldd` line, an `ls` of a
    lib64 folder, a path): kept beside the frameworks' libraries, found, under `LISTED`."""
    known = {
        f"{c.path.rstrip('/')}/{lib.rsplit('/', 1)[-1]}" for c in sheet.cudnn for lib in c.libraries
    }
    if path in known:
        return  # a parser already recorded this file (collect_env's cuDNN list)
    libs = sheet.libraries.setdefault(LISTED, {})
    if soname not in libs:
        version = soname.split(".so.", 1)[1] if ".so." in soname else None
        libs[soname] = ResolvedLibrary(
            _lib(soname), soname, path or soname, version=version, via="listed in the report"
        )
        # no note: a listing is context (collect_env's cuDNN files too), not a recognised part


def _lib(soname: str) -> str:
    from dlenv.importers.sheet import _library_name

    return _library_name(soname)


# -- errors no signature knows -----------------------------------------------------------------
UNRECOGNISED = Signature(
    "unrecognised-error",
    # a Python exception line (a traceback's last line), "Error:"/"ERROR:" lines, CUDA's own
    # error names, a TensorFlow CHECK failure, and the shell's words for a crashed process
    # (the alternatives that start with `[^\n]*` take the line's indentation themselves: behind a
    # shared `^[ \t]*` each one re-scanned the line once per space given back, quadratic time)
    r"^(?:[ \t]*(?:(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Failed|Failure)(?::[^\n]*)?"
    r"|(?:ERROR|Error|error|FATAL|Fatal error):[^\n]*|Killed)"
    r"|[^\n]*\bCUDA error: (?!no error)[^\n]*|[^\n]*\b(?:CUDA_ERROR_|cudaError)[A-Za-z_]+[^\n]*"
    r"|[^\n]*\bCheck failed:[^\n]*"
    r"|(?:[^\n]*[ \t])?(?:Segmentation fault|Aborted|Illegal instruction|Bus error|Floating point "
    r"exception)(?: \(core dumped\))?"
    # bash reporting a child that died: "/bin/bash: line 1:  1234 Killed   python train.py"
    r"|[^\n]*: line \d+: +\d+ (?:Killed|Segmentation fault|Aborted|Illegal instruction|Bus "
    r"error)[^\n]*)[ \t]*$",
    "An error dlenv has no signature for: the text alone does not say its cause.",
    rules=("DL901",),
    # every alternative above contains one of these (lower-cased): lines without them are skipped
    requires=(
        "error",
        "exception",
        "fail",
        "fatal",
        "killed",
        "segmentation fault",
        "aborted",
        "illegal instruction",
    ),
)
MAX_UNRECOGNISED = 5  # distinct lines kept; a long log repeats the same few errors


def _count_distinct(
    sig: Signature,
    m: re.Match[str] | Found,
    text: str,
    fallback: str | None,
    each: dict[str, ReportedError],
) -> None:
    """A match of a signature with a `distinct` template: a new value is a message of its own
    (the first line that states it), a value seen before counts once more."""
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    value = _fill(sig.distinct, groups, "")
    if value is None:
        return
    have = each.get(value)
    if have is not None:
        each[value] = dataclasses.replace(have, count=have.count + 1)
        return
    line = _line_at(text, m.start(), m.end())
    each[value] = ReportedError(
        signature=sig.id,
        text=line,
        meaning=sig.meaning,
        harmless=sig.harmless,
        framework=_framework_for(sig, line, {**groups, "line": line}, fallback),
    )


def _unrecognised(
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
    covered: set[int],
    sheet: FactSheet,
    fallback: str | None,
) -> None:
    """Report error lines that no signature claimed, each distinct line once."""
    found: dict[str, ReportedError] = {}
    for m in find_all(UNRECOGNISED, text, lowered, distinct):
        if m.start() in covered:
            continue
        line = m.group(0).strip()[:400]
        nxt = text.find("\n", m.end())
        if line.endswith(":") and nxt >= 0:
            # a wrapper ("Failed to import X because of the following error (look up to see
            # its traceback):") whose message continues on a line a signature already explains
            follow = nxt + 1
            while follow < len(text) and text[follow] == "\n":
                follow += 1
            if follow in covered:
                continue
        have = found.get(line)
        if have is not None:
            found[line] = dataclasses.replace(have, count=have.count + 1)
        elif len(found) < MAX_UNRECOGNISED:
            fw = _framework_for(UNRECOGNISED, line, {}, fallback)
            found[line] = ReportedError(
                signature=UNRECOGNISED.id, text=line, meaning=UNRECOGNISED.meaning, framework=fw
            )
    for error in found.values():
        sheet.report_distinct(error)


# The one character whose lower case is two characters ("İ" -> "i̇"): it would move every offset
# after it, and offsets in the lower-cased text must be those of the text (a single Turkish
# capital in a 50 MB log turned the windowed scan off and made it ten times slower)
_LONGER_LOWER = {0x130: "i"}


def lower(text: str) -> str:
    """`text.lower()` with the same length, so that offsets carry over."""
    if "\u0130" in text:
        text = text.translate(_LONGER_LOWER)
    return text.lower()


# A reporter may write on after the message they quote, on its line ("… no kernel image is
# available for execution on the device was reported when I run the examples.  The same example
# runs on my PC"): the sentences after the message from the first one in the first person on
# are theirs (a program's message says "you", never "I", "my" or "we").
_OWN_SENTENCE = re.compile(
    r"[.!?。！？]\s*(?=[^.!?。！？\n]{0,300}?"
    r"(?:(?<![\w'])(?:I(?! [\w.-]*/)|[Mm]y|[Ww]e|[Oo]ur)(?![\w'/])|我))"
)


class _Spans:
    """Sorted (start, end) spans, asked whether a range overlaps any of them in O(log n)."""

    def __init__(self, spans: set[tuple[int, int]]) -> None:
        self.starts = sorted(spans)
        self.reach: list[int] = []  # the furthest end among the first i + 1 spans
        for _, end in self.starts:
            self.reach.append(max(end, self.reach[-1]) if self.reach else end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, (end, -1))  # the spans that start before `end`
        return i > 0 and self.reach[i - 1] > start


def _covered_lines(text: str, start: int, end: int, into: set[int]) -> None:
    """Every line start a match spans (a multi-line message claims all its lines)."""
    pos = text.rfind("\n", 0, start) + 1
    while True:
        into.add(pos)
        nxt = text.find("\n", pos, end)
        if nxt < 0:
            return
        pos = nxt + 1


MAX_LINE = 8192  # longer lines are matched as their first and last MAX_LINE // 2 characters
_CUT = " … "


def clip_long_lines(text: str) -> str:
    """`text` with every line longer than MAX_LINE characters cut to its head and tail.

    A message is recognised from the first or last 4 KiB of its line (a 60 MB minified JSON or
    progress bar line is not read whole), so no line costs more than MAX_LINE characters of
    matching, whatever the catalogue's patterns."""
    if len(text) <= MAX_LINE:
        return text
    keep = MAX_LINE // 2
    out: list[str] = []
    start = pos = 0
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        if end - pos > MAX_LINE:
            out.append(text[start : pos + keep])
            out.append(_CUT)
            start = end - keep
        pos = end + 1
    if not out:
        return text
    out.append(text[start:])
    return "".join(out)


# -- where to look -----------------------------------------------------------------------------
# The words a signature is looked for by: its `requires`, else the literal text its pattern
# cannot match without (`_needed`): for each part of the pattern that every match goes
# through (a literal run, a group, a repeat at least once, an alternation whose every branch
# has its own words) the set of words one of which it contains, and of those the set whose
# shortest word is longest. Finer than `catalog.required_literals` (which looks at the top
# level only, for runs of 4 characters): used where that one finds nothing.
_SHORTEST = 3  # a word shorter than this (in UTF-8 bytes) filters nothing in a log


def _needed(items: Any) -> frozenset[str] | None:
    """Lower-case words one of which every match of the parsed sequence `items` contains;
    None when none is known."""
    candidates: list[frozenset[str]] = []
    run = ""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(arg)
            continue
        if run:
            candidates.append(frozenset([lower(run)]))
            run = ""
        found: frozenset[str] | None = None
        if name == "SUBPATTERN":
            found = _needed(arg[-1])
        elif name == "ATOMIC_GROUP":
            found = _needed(arg)
        elif name == "BRANCH":
            branches = [_needed(b) for b in arg[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*(b for b in branches if b is not None))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            found = _needed(arg[2])
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset([lower(run)]))
    return max(candidates, key=lambda c: (min(map(_weight, c)), -len(c)), default=None)


def _weight(word: str) -> int:
    """How much a word filters: its length in UTF-8 (two CJK characters say as much as six
    ASCII ones)."""
    return len(word.encode("utf-8", "replace"))


@functools.cache
def derived_words(pattern: str, flags: int = 0, shortest: int = _SHORTEST) -> tuple[str, ...]:
    """`_needed` of a whole pattern, sorted; () when its shortest word is under `shortest`
    UTF-8 bytes (or the pattern does not parse)."""
    parsed = _parse(pattern, flags)
    if parsed is None:
        return ()
    words = _needed(list(parsed))
    if not words or min(map(_weight, words)) < shortest:
        return ()
    return tuple(sorted(words))


def words_of(sig: Signature) -> tuple[str, ...]:
    """The lower-case words one of which every match of `sig` contains (() : none known,
    every text is scanned): `sig.prefilter`, else `derived_words` of its pattern."""
    return sig.prefilter or derived_words(sig.pattern, sig.flags)


# A signature whose every match contains one of its prefilter words, and spans at most K line
# breaks, is run only over windows of lines around the places those words occur (K + 1 lines
# either side, overlapping windows merged), not over the whole text. The matches are the same:
# every match of the whole text lies inside one window, and a window starts at a line start and
# ends at a line end, so `^`, `$` and `\b` behave there as in the whole text. Patterns whose
# reach is unbounded (`\s*`, `[^"]*`), that use `\A`/`\Z` or back-references, and texts whose
# lower-casing changes offsets, are scanned whole; so is a text where the words occur so often
# that the windows would cover much of it anyway.


@functools.cache
def line_span(pattern: str, flags: int = 0, unbounded: int | None = None) -> int | None:
    """The most line breaks one match of `pattern` (with what its lookarounds read) can
    contain; None when unbounded or not known. With `unbounded`, repeats with no upper bound
    (`\\s*`, `[^"]+`) may cross that many line breaks between them all (the engine's bound:
    see MAX_SPAN); `\\A`, `\\Z`, back-references and the like stay None."""
    try:
        from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_constants as sre  # type: ignore[no-redef,unused-ignore]
    # MULTILINE changes no part of the parsed tree (`^`/`$` are read by the compiler)
    parsed = _parse(pattern, flags)
    if parsed is None:
        return None
    dotall = bool(parsed.state.flags & re.DOTALL)
    newline = ord("\n")
    open_ended: list[bool] = []
    crosses = {
        sre.CATEGORY_SPACE,
        sre.CATEGORY_NOT_DIGIT,
        sre.CATEGORY_NOT_WORD,
        sre.CATEGORY_LINEBREAK,
        sre.CATEGORY_UNI_SPACE,
        sre.CATEGORY_UNI_NOT_DIGIT,
        sre.CATEGORY_UNI_NOT_WORD,
        sre.CATEGORY_UNI_LINEBREAK,
    }

    def in_set(items: Any) -> int | None:
        hit, negate = False, False
        for op, arg in items:
            if op is sre.NEGATE:
                negate = True
            elif op is sre.LITERAL:
                hit = hit or arg == newline
            elif op is sre.RANGE:
                hit = hit or arg[0] <= newline <= arg[1]
            elif op is sre.CATEGORY:
                hit = hit or arg in crosses
            else:
                return None
        return int(hit != negate)

    def span(items: Any) -> int | None:
        total = 0
        for op, arg in items:
            n: int | None
            if op is sre.LITERAL:
                n = int(arg == newline)
            elif op is sre.NOT_LITERAL:
                n = int(arg != newline)
            elif op is sre.ANY:
                n = int(dotall)
            elif op is sre.IN:
                n = in_set(arg)
            elif op is sre.CATEGORY:
                n = int(arg in crosses)
            elif op is sre.AT:
                n = None if arg in (sre.AT_BEGINNING_STRING, sre.AT_END_STRING) else 0
            elif op is sre.SUBPATTERN:
                # a local (?s:...) lets `.` cross lines: not worth knowing
                n = None if arg[1] & re.DOTALL else span(arg[-1])
            elif op is sre.BRANCH:
                spans = [span(b) for b in arg[1]]
                n = None if None in spans else max(s for s in spans if s is not None)
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
                _, hi, item = arg
                inner = span(item)
                if inner == 0:
                    n = 0
                elif inner is not None and hi is sre.MAXREPEAT and unbounded is not None:
                    n = 0
                    open_ended.append(True)
                elif inner is None or hi is sre.MAXREPEAT:
                    n = None
                else:
                    n = inner * hi
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                n = span(arg[1])  # what a lookaround reads counts too
            elif op is getattr(sre, "ATOMIC_GROUP", None):
                n = span(arg)
            else:
                n = None  # back-references, conditionals: not worth knowing
            if n is None:
                return None
            total += n
        return total

    total = span(list(parsed))
    return total + unbounded if total is not None and open_ended and unbounded else total


# The engine's bound on a match whose pattern does not bound it (`\s+` between two words can
# cross any number of lines): every match whose unbounded parts cross at most MAX_SPAN line
# breaks is found exactly (the longest in the corpus crosses 7); a longer one may be missed or
# cut at its window's end. Reading a 50 MB log in windows is what this buys.
MAX_SPAN = 16


def scan_span(sig: Signature) -> int | None:
    """How many line breaks the engine lets one match of `sig` cross (None: not windowed)."""
    return line_span(sig.pattern, sig.flags, MAX_SPAN)


# windows covering more than this share of the text: scan it whole instead
_DENSE = 0.5


def windows(text: str, lowered: str, words: tuple[str, ...], span: int) -> list[tuple[int, int]]:
    """(start, end) of the merged windows of `span` + 1 lines either side of every line where
    one of `words` occurs in `lowered` (`text` lower-cased, same offsets); [(0, len(text))] when
    they would cover much of the text anyway."""
    n = len(text)
    runs = _runs_of(lowered)
    if runs is not None:  # a word one of whose runs of letters is nowhere: no pass over the text
        words = tuple(w for w in words if runs.may_have(w))
    found = sum(_occurrences(lowered, w) for w in words)
    if not found:
        return []
    if _dense(text, found, span):
        return [(0, n)]
    hits: list[tuple[int, int]] = []
    for w in words:
        pos = lowered.find(w)
        while pos >= 0:
            hits.append((pos, pos + len(w)))
            pos = lowered.find(w, pos + 1)
    hits.sort()
    return _merged(text, hits, span + 1)


def _dense(text: str, found: int, span: int) -> bool:
    """Would windows around `found` hits cover much of `text`?"""
    n = len(text)
    per_line = n / (_occurrences(text, "\n") + 1)
    return found * (2 * span + 3) * per_line > _DENSE * n


@functools.lru_cache(maxsize=4096)
def _occurrences(text: str, word: str) -> int:
    """`text.count(word)`, once per text and word: hundreds of signatures ask for the same
    words and line count of one long text (a str caches its hash, so the key costs nothing
    after the first; `forget_texts` drops the texts)."""
    return text.count(word)


def _merged(text: str, hits: list[tuple[int, int]], reach: int) -> list[tuple[int, int]]:
    """The windows of `reach` lines either side of the sorted (first, last) character
    spans `hits`, overlapping ones merged; each starts at a line start and ends at a line end."""
    n = len(text)
    out: list[tuple[int, int]] = []
    cur_start, cur_end = -1, -2
    for first, last in hits:
        start = first
        for _ in range(reach + 1):
            start = text.rfind("\n", 0, start)
            if start < 0:
                break
        start += 1
        end = text.find("\n", max(first, last - 1))
        for _ in range(reach):
            if end < 0:
                break
            end = text.find("\n", end + 1)
        if end < 0:
            end = n
        if start <= cur_end + 1:
            cur_end = max(cur_end, end)
        else:
            if cur_start >= 0:
                out.append((cur_start, cur_end))
            cur_start, cur_end = start, end
    if cur_start >= 0:
        out.append((cur_start, cur_end))
    return out


def _line_words(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """Words that lie within one line, one per prefilter word: a word that crosses a line break
    ("\\nversion: ") is looked for by its longest one-line piece; None when one has none."""
    out = []
    for w in words:
        piece = max(w.split("\n"), key=len)
        if not piece:
            return None
        out.append(piece)
    return tuple(dict.fromkeys(out))


_DIGITS = str.maketrans("123456789", "000000000")


def _lines(text: str, most: int) -> dict[str, list[int]] | None:
    """Each distinct line of `text` and where it starts, each time, in the order lines first
    occur; None once the distinct lines hold more than `most` characters."""
    index: dict[str, list[int]] = {}
    get = index.get
    size = 0
    lines = text.split("\n")
    starts_at = itertools.accumulate(map((1).__add__, map(len, lines)), initial=0)
    for line, pos in zip(lines, starts_at, strict=False):  # one start more than lines
        starts = get(line)
        if starts is None:
            index[line] = [pos]
            size += len(line) + 1
            if size > most:
                return None
        else:
            starts.append(pos)
    return index


_SAMPLE = 1 << 20  # how much of a long text's head Distinct.of looks at first


class Distinct:
    """A long text's distinct lines, each once (a log repeats the same lines thousands of
    times): `text` joins them, `starts` is where each begins there, `where` where each occurs
    in the original text. A pattern that never crosses a line break matches a line or not
    whatever surrounds it, so it runs over `text` and then only over the original lines that
    matched; the prefilter words of every other pattern are looked for here too (a word within
    one line is in the text exactly when it is in one of its distinct lines)."""

    def __init__(self, index: dict[str, list[int]]) -> None:
        """From each distinct line's starts in the original text, in the order lines first
        occur (`_lines`)."""
        self.where: list[list[int]] = list(index.values())
        self.starts: list[int] = []
        pos = 0
        for line in index:
            self.starts.append(pos)
            pos += len(line) + 1
        self.text = "\n".join(index)
        self.lowered = lower(self.text)
        # the prefilter looks in the distinct lines with every digit read as 0, each once: a
        # training log's progress lines differ only in their numbers ("Epoch 3/10 - loss:
        # 0.1234"), so this is a fraction of `lowered`; a word found in `lowered` is found here
        # too (its digits read the same way), and one found here but not there only costs a scan
        self._shape = "\n".join(dict.fromkeys(self.lowered.translate(_DIGITS).split("\n")))
        self._has: dict[str, bool] = {}  # a prefilter word shared by signatures: searched once

    @classmethod
    def of(cls, text: str) -> Distinct | None:
        """None for a short text, one whose lines barely repeat (not worth it: given up as soon
        as the distinct lines pass half the text), or one whose lower-casing moves offsets."""
        if len(text) < 256 * 1024:
            return None
        # a first look at its head: lines that hardly repeat there (a build log's numbered
        # files, hexadecimal ids) rarely repeat further on, and the index would be built over
        # half the text only to be given up
        if len(text) > 4 * _SAMPLE and _lines(text[:_SAMPLE], _SAMPLE * 9 // 10) is None:
            return None
        index = _lines(text, len(text) // 2)
        if index is None:
            return None
        distinct = cls(index)
        if len(distinct.lowered) != len(distinct.text):
            return None
        return distinct

    def has_any(self, words: tuple[str, ...]) -> bool:
        """Does the original text contain one of the lower-case `words` (as a prefilter: a
        word that crosses a line break counts when its longest one-line piece occurs)?"""
        pieces = _line_words(words)
        return pieces is None or any(self._contains(w) for w in pieces)

    def _contains(self, word: str) -> bool:
        found = self._has.get(word)
        if found is None:
            found = self._has[word] = word.translate(_DIGITS) in self._shape
        return found

    def hit_lines(self, words: tuple[str, ...]) -> list[int]:
        """The start in the original text of every line where one of `words`' one-line pieces
        occurs, sorted."""
        return sorted(p for i in self.hit_indices(words) for p in self.where[i])

    def hit_indices(self, words: tuple[str, ...]) -> set[int]:
        """The distinct lines (their numbers) where one of `words`' one-line pieces occurs."""
        pieces = _line_words(words) or ()
        found: set[int] = set()
        for w in pieces:
            pos = self.lowered.find(w)
            while pos >= 0:
                i = bisect.bisect_right(self.starts, pos) - 1
                found.add(i)
                # the next line: a line is a hit once
                nxt = self.lowered.find("\n", pos)
                if nxt < 0:
                    break
                pos = self.lowered.find(w, nxt + 1)
        return found


# Where a match can start. A pattern whose every match begins with one of a few literal
# strings (after `\b`, `^` or a lookaround) is matched only where they occur: `regex.match` at
# each occurrence, in order, skipping those inside the previous match, gives what `finditer`
# gives (it tries the same positions, left to right), with no bound on a match's lines. Used
# where the occurrences are few enough to beat one pass of the regex engine over the text.
_FEW = 48  # at most one occurrence per this many characters


def _openings(items: Any, cased: bool = False, ignorecase: bool = False) -> frozenset[str] | None:
    """Literal strings one of which every match of the parsed sequence starts with, lower-cased;
    None when not known. With `cased`, in the pattern's own case, and None where one is read with
    IGNORECASE (`ignorecase`: the flag in force): a pattern that opens with "You" is looked for
    where "You" is, not every "you"."""
    items = list(items)
    i = 0
    while i < len(items) and str(items[i][0]) in _ZERO_WIDTH:
        i += 1
    if i == len(items):
        return None
    op, arg = items[i]
    name = str(op)
    if name == "LITERAL":
        if cased and ignorecase:
            return None
        run = ""
        while i < len(items) and str(items[i][0]) == "LITERAL":
            run += chr(items[i][1])
            i += 1
        return frozenset([run if cased else lower(run)])
    if name == "SUBPATTERN":
        _, add, remove, inner = arg
        inside = (ignorecase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
        return _openings(inner, cased, inside)
    if name == "ATOMIC_GROUP":
        return _openings(arg, cased, ignorecase)
    if name == "BRANCH":
        branches = [_openings(b, cased, ignorecase) for b in arg[1]]
        if any(b is None for b in branches):
            return None
        return frozenset().union(*(b for b in branches if b is not None))
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        first = _openings(arg[2], cased, ignorecase)
        if first is None or arg[0] >= 1:
            return first
        # repeated none: the match starts with what follows
        rest = _openings(items[i + 1 :], cased, ignorecase)
        return None if rest is None else first | rest
    return None


_ZERO_WIDTH = ("AT", "ASSERT", "ASSERT_NOT")


def _usable(found: frozenset[str] | None) -> tuple[str, ...]:
    """Openings sorted; () when not known, when one is shorter than two characters, or one
    crosses a line break."""
    if not found or min(map(_weight, found)) < 2 or any("\n" in w for w in found):
        return ()
    return tuple(sorted(found))


@functools.cache
def openings(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """`_openings` of a whole pattern (lower-cased), as `_usable` gives them."""
    parsed = _parse(pattern, flags)
    return () if parsed is None else _usable(_openings(parsed))


@functools.cache
def cased_openings(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """`_openings` of a whole pattern in its own case, as `_usable` gives them."""
    parsed = _parse(pattern, flags)
    if parsed is None:
        return ()
    return _usable(_openings(parsed, True, bool(parsed.state.flags & re.IGNORECASE)))


def _opening_positions(
    words: tuple[str, ...], text: str, lowered: str | None, distinct: Distinct | None,
    cased: bool = False,
) -> list[int] | None:
    """Every position in `text` where one of `words` occurs (case-insensitively), sorted;
    None when there are too many to be worth it, or no way to look."""
    limit = len(text) // _FEW
    found: set[int] = set()
    if distinct is not None:
        seen: list[tuple[int, int]] = []  # (distinct line, column)
        total = 0
        within = distinct.text if cased else distinct.lowered
        for w in words:
            pos = within.find(w)
            while pos >= 0:
                i = bisect.bisect_right(distinct.starts, pos) - 1
                seen.append((i, pos - distinct.starts[i]))
                total += len(distinct.where[i])
                if total > limit:
                    return None
                pos = within.find(w, pos + 1)
        for i, col in seen:
            found.update(start + col for start in distinct.where[i])
    elif cased or (lowered is not None and len(lowered) == len(text)):
        where = text if cased or lowered is None else lowered
        runs = _runs_of(lowered)
        for w in words:
            if runs is not None and not runs.may_have(lower(w)):
                continue  # a run of its letters is nowhere in the text: no pass over it
            at = runs.positions(w, cased, where, limit) if runs is not None else None
            if at is None:
                at = _positions(w, where, limit)
            if at is _TOO_MANY:
                return None
            found.update(at)
            if len(found) > limit:
                return None
    else:
        return None
    return sorted(found)


# a word's occurrences past a caller's limit
_TOO_MANY: array[int] = array("q")


def _positions(word: str, where: str, limit: int) -> array[int]:
    """Every position of `word` in `where` (overlapping ones too), or _TOO_MANY past `limit`.
    A word that cannot overlap itself (no proper prefix is also its suffix: "cuda", not
    "aa") has its occurrences found by the regex engine in C, twice as fast as `find` from
    Python."""
    if not any(word[:k] == word[-k:] for k in range(1, len(word))):
        found = itertools.islice(map(re.Match.start, _literal(word).finditer(where)), limit + 1)
        at = array("q", found)
        return _TOO_MANY if len(at) > limit else at
    at = array("q")
    pos = where.find(word)
    while pos >= 0:
        at.append(pos)
        if len(at) > limit:
            return _TOO_MANY
        pos = where.find(word, pos + 1)
    return at


@functools.lru_cache(maxsize=4096)
def _literal(word: str) -> re.Pattern[str]:
    return re.compile(re.escape(word))


def _from_openings(
    regex: re.Pattern[str], text: str, positions: list[int]
) -> Iterator[re.Match[str]]:
    after = 0
    for pos in positions:
        if pos < after:
            continue
        m = regex.match(text, pos)
        if m is not None:
            yield m
            after = m.end() if m.end() > pos else pos + 1
    return


# Where a match must pass a word. A pattern whose every match, at most B characters after its
# start, passes one of a few literal strings (`(?:gpus?|cards?)` after a bounded run of words)
# is matched only in windows around where they occur: from B characters before each occurrence
# to as far as the rest of the pattern can read after it (or, where that part is unbounded, the
# end of the line that its MAX_SPAN line breaks reach), overlapping windows merged. `finditer`
# over each window, in order, gives what `finditer` over the whole text gives: a match of the
# whole text lies in the window of the occurrence it passes, and so does what it reads; a
# window's start is read with what lies before it (`regex.finditer(text, pos)` sees the text
# before `pos` for `^`, `\b` and lookbehinds), and nothing found in a window reaches its end.
_CASE_FOLDS = frozenset("is")  # ASCII letters IGNORECASE also matches to other characters (ı, ſ)


def _reach(items: Any) -> tuple[int, int] | None:
    """(the most characters a match of the parsed sequence spans, the most characters after
    its start that it reads), None when unbounded or not known."""
    try:
        from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_constants as sre  # type: ignore[no-redef,unused-ignore]
    pos = reach = 0
    for op, arg in items:
        w: int
        r: int
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN, sre.CATEGORY):
            w = r = 1
        elif op is sre.AT:
            if arg in (sre.AT_BEGINNING_STRING, sre.AT_END_STRING, sre.AT_END):
                return None  # `\Z`, and a `$` that MULTILINE does not make a line end
            w, r = 0, 1
        elif op is sre.SUBPATTERN:
            inner = _reach(arg[-1])
            if inner is None:
                return None
            w, r = inner
        elif op is getattr(sre, "ATOMIC_GROUP", None):
            inner = _reach(arg)
            if inner is None:
                return None
            w, r = inner
        elif op is sre.BRANCH:
            each = [_reach(b) for b in arg[1]]
            if any(b is None for b in each):
                return None
            w = max(b[0] for b in each if b is not None)
            r = max(b[1] for b in each if b is not None)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            _, hi, item = arg
            inner = _reach(item)
            if inner is None or hi is sre.MAXREPEAT:
                return None
            w, r = inner[0] * hi, inner[1] * hi
        elif op is sre.ASSERT or op is sre.ASSERT_NOT:
            inner = _reach(arg[1])
            if inner is None:
                return None
            # a lookahead reads after the place it stands; a lookbehind before it
            w, r = 0, (inner[1] if arg[0] >= 0 else 1)
        else:
            return None  # back-references, conditionals: not worth knowing
        reach = max(reach, pos + r)
        pos += w
    return pos, reach


@functools.cache
def anchors(pattern: str, flags: int = 0) -> tuple[tuple[str, ...], int, int | None]:
    """(the lower-case words one of which every match passes, the most characters from a
    match's start to where it does, the most characters read from there on: None when
    unbounded); ((), 0, None) when not known."""
    none: tuple[tuple[str, ...], int, int | None] = ((), 0, None)
    if not flags & re.MULTILINE:
        return none
    parsed = _parse(pattern, flags)
    if parsed is None:
        return none
    items = list(parsed)
    best = none
    for i in range(1, len(items)):
        before = _reach(items[:i])
        if before is None:
            break  # every later split has the same unbounded part before it
        words = _openings(items[i:])
        if not words or min(map(_weight, words)) < 3:
            continue
        if any(not w.isascii() or "\n" in w for w in words):
            continue
        if flags & re.IGNORECASE and any(_CASE_FOLDS & set(w) for w in words):
            continue
        rest = _reach(items[i:])
        # what the part before reads after the word (a lookahead) counts too: it starts at
        # most `before` characters before the word
        found = (
            tuple(sorted(words)),
            before[0],
            None if rest is None else max(rest[1], before[1]),
        )
        if best == none or (min(map(_weight, found[0])), -found[1]) > (
            min(map(_weight, best[0])),
            -best[1],
        ):
            best = found
    return best


def _anchored_windows(
    regex: re.Pattern[str],
    span: int | None,
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
) -> list[tuple[int, int]] | None:
    """The merged windows around every place a match of `regex` must pass one of its
    `anchors`; None when not known, or when they would cover much of the text."""
    words, before, after = anchors(regex.pattern, regex.flags)
    if not words or (after is None and span is None):
        return None
    positions = _opening_positions(words, text, lowered, distinct)
    if positions is None:
        return None
    n = len(text)
    out: list[tuple[int, int]] = []
    covered = 0
    cur_start, cur_end = -1, -1
    for pos in positions:
        start = max(0, pos - before)
        if after is not None:
            end = min(n, pos + after + 1)
        else:
            end = text.find("\n", pos)
            for _ in range(span or 0):
                if end < 0:
                    break
                end = text.find("\n", end + 1)
            if end < 0:
                end = n
        if cur_start >= 0 and start <= cur_end:
            cur_end = max(cur_end, end)
            continue
        if cur_start >= 0:
            out.append((cur_start, cur_end))
            covered += cur_end - cur_start
            if covered > _DENSE * n:
                return None
        cur_start, cur_end = start, end
    if cur_start >= 0:
        out.append((cur_start, cur_end))
        covered += cur_end - cur_start
    return None if covered > _DENSE * n else out


def find_all(
    sig: Signature, text: str, lowered: str | None, distinct: Distinct | None = None
) -> Iterator[re.Match[str]]:
    """Every match of `sig` in `text`, as `sig.regex.finditer(text)` finds them (within the
    engine's MAX_SPAN bound), looking only where they can be (see above); `lowered` is
    `text.lower()` (None: look in `distinct`, the text's distinct lines, instead)."""
    if sig.groups:
        return _find_sentences(sig, text, lowered, distinct)
    if is_prose(sig.family) and len(text) > 2 * PROSE_EDGE:
        return _find_at_edges(sig, text, lowered, distinct)
    return _find(sig.regex, words_of(sig), scan_span(sig), text, lowered, distinct)


def _find_at_edges(
    sig: Signature, text: str, lowered: str | None, distinct: Distinct | None
) -> Iterator[re.Match[str]]:
    """A prose entry (a person's words) in a long text: the matches whose line starts in its
    first or last PROSE_EDGE characters, as `finditer` over the whole text finds them (each run
    reaches MAX_SPAN lines beyond its edge, the most a match may cross). An edge that holds
    none of the entry's words is not read; in one that does, a one-line entry reads only the
    lines that hold one (looked up in the text's index: no copy of the edges is made)."""
    head, tail = prose_edges(len(text))
    end = head
    for _ in range(MAX_SPAN + 1):
        end = text.find("\n", end + 1)
        if end < 0:
            end = len(text)
            break
    start = tail
    for _ in range(MAX_SPAN + 1):
        start = text.rfind("\n", 0, start - 1) + 1 if start > 0 else 0
    words = words_of(sig)
    pieces = _line_words(words) if words else None
    for lo, hi, first in ((0, end, True), (start, len(text), False)):
        lines = None if pieces is None else _lines_holding(text, lowered, distinct, pieces, lo, hi)
        if lines is not None and not lines:
            continue  # none of its words in this edge
        if lines is None or scan_span(sig) != 0:
            runs = [(lo, hi)]
        else:  # a one-line entry can match only in the lines that hold one of its words
            runs = [(p, e if (e := text.find("\n", p)) >= 0 else len(text)) for p in lines]
        for a, b in runs:
            for m in sig.regex.finditer(text, a, b):
                line = text.rfind("\n", 0, m.start()) + 1
                if (line < head) if first else (line >= tail):
                    yield m


def _lines_holding(
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
    words: tuple[str, ...],
    lo: int,
    hi: int,
) -> list[int] | None:
    """The starts of the lines in text[lo:hi] that hold one of the one-line `words`, sorted,
    from the text's index (its lower-cased copy, or its distinct lines); None without one."""
    found: set[int] = set()
    if lowered is not None and len(lowered) == len(text):
        for w in words:
            pos = lowered.find(w, lo, hi)
            while pos >= 0:
                found.add(text.rfind("\n", 0, pos) + 1)
                pos = lowered.find(w, pos + 1, hi)
        return sorted(found)
    if distinct is not None:
        for i in distinct.hit_indices(words):
            where = distinct.where[i]
            found.update(where[bisect.bisect_left(where, lo) : bisect.bisect_left(where, hi)])
        return sorted(found)
    return None


# where a sentence can start, as `catalog.sentence_pattern` reads it: a line start, after . ! ?
# and a blank, or after a Chinese/Japanese full stop
_SENTENCE_BREAK = re.compile(r"(?<=\n)|(?<=[.!?]\s)|(?<=[。！？；])")


@functools.lru_cache(maxsize=512)
def _group_regexes(groups: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(g, re.IGNORECASE) for g in groups)


def _find_sentences(
    sig: Signature, text: str, lowered: str | None, distinct: Distinct | None
) -> Iterator[re.Match[str]]:
    """A `sentence` entry: its pattern tries three or four bounded lookaheads at every sentence
    start, which on a 10 MB prose-heavy paste takes seconds per entry (and is most of a short
    paste's time, with dozens of entries). Only
    the lines that hold a word of its rarest group can match; in them, only a sentence that
    holds a word of every group is tried with the pattern itself (`regex.match` at its start),
    so the matches are exactly the pattern's."""
    words = words_of(sig)
    head, tail = prose_edges(len(text))
    if distinct is not None and _line_words(words) is not None:
        # each distinct line once (a log repeats its lines), then only where a match was
        matched = []
        for i in distinct.hit_indices(words):
            where = [p for p in distinct.where[i] if p < head or p >= tail]
            if not where:
                continue
            start = distinct.starts[i]
            end = distinct.text.find("\n", start)
            end = len(distinct.text) if end < 0 else end
            if next(_sentences(sig, distinct.text, start, end), None) is not None:
                matched.extend(where)
        for p in sorted(matched):
            end = text.find("\n", p)
            yield from _sentences(sig, text, p, len(text) if end < 0 else end)
        return
    for start, end in _find_lines(sig, text, lowered, head, tail):
        if start < head or start >= tail:
            yield from _sentences(sig, text, start, end)


# A person writes the report at the start of a paste (and sometimes a word at its end); the
# middle of a long one is a program's log. Sentence entries read only the lines that start in
# the first and last PROSE_EDGE characters: a 6 MB paste of free text took 28 s otherwise.
PROSE_EDGE = 128 * 1024


def prose_edges(n: int) -> tuple[int, int]:
    """(head, tail): a sentence entry reads the lines that start before `head` or at or after
    `tail` of an `n`-character text (all of it when it is short)."""
    if n <= 2 * PROSE_EDGE:
        return n, n
    return PROSE_EDGE, n - PROSE_EDGE


def _sentences(sig: Signature, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The entry's matches in one line of `text`: each sentence holding a word of every group
    is tried with the pattern at its start."""
    checks = _group_regexes(sig.groups)
    starts = [start, *(m.start() for m in _SENTENCE_BREAK.finditer(text, start, end))]
    bounds = [*starts[1:], end]
    for s0, s1 in zip(starts, bounds, strict=True):
        if all(c.search(text, s0, s1) for c in checks):
            m = sig.regex.match(text, s0, end)
            if m is not None:
                yield m


def _find_lines(
    sig: Signature, text: str, lowered: str | None, head: int, tail: int
) -> Iterator[tuple[int, int]]:
    """The lines of `text` that hold one of the entry's prefilter words, as (start, end): of
    those that start before `head` or at or after `tail`, at least (the middle of a long text
    is not looked in)."""
    words = words_of(sig)
    n = len(text)
    if head >= tail:
        lines = _lines_holding(text, lowered, None, words, 0, n)
    else:
        end = text.find("\n", head)
        first = _lines_holding(text, lowered, None, words, 0, n if end < 0 else end)
        last = _lines_holding(text, lowered, None, words, tail, n)
        lines = None if first is None or last is None else sorted({*first, *last})
    if lines is None:
        yield 0, len(text)
        return
    for p in lines:
        end = text.find("\n", p)
        yield p, len(text) if end < 0 else end


def _opened(
    regex: re.Pattern[str], text: str, lowered: str | None, distinct: Distinct | None
) -> list[int] | None:
    if len(text) < _LONG:
        return None
    # the openings in the pattern's own case first: where it reads them case-sensitively,
    # "You" occurs far less often than "you"
    cased = cased_openings(regex.pattern, regex.flags)
    if cased:
        found = _opening_positions(cased, text, lowered, distinct, cased=True)
        if found is not None:
            return found
    starts = openings(regex.pattern, regex.flags)
    return _opening_positions(starts, text, lowered, distinct) if starts else None


def _find(
    regex: re.Pattern[str],
    words: tuple[str, ...],
    span: int | None,
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
) -> Iterator[re.Match[str]]:
    """find_all's work, for any MULTILINE `regex` whose every match contains one of `words`
    and crosses at most `span` line breaks."""
    if span == 0 and distinct is not None:
        hit: set[int] = set()
        for m in _find(regex, words, span, distinct.text, distinct.lowered, None):
            hit.add(bisect.bisect_right(distinct.starts, m.start()) - 1)
        n = len(text)
        for start in sorted(s for i in hit for s in distinct.where[i]):
            end = text.find("\n", start)
            yield from regex.finditer(text, start, n if end < 0 else end)
        return
    positions = _opened(regex, text, lowered, distinct)
    if positions is not None and len(positions) > _MANY_OPENINGS:
        bounded = _bounded_windows(regex, words, span, text, distinct, len(positions))
        if bounded is not None:  # only the openings inside the windows can start a match
            at = positions
            positions = []
            for start, end in bounded:
                positions.extend(at[bisect.bisect_left(at, start) : bisect.bisect_left(at, end)])
    if positions is not None:
        yield from _from_openings(regex, text, positions)
        return
    anchored = None
    if len(text) >= _LONG:
        anchored = _anchored_windows(regex, span, text, lowered, distinct)
    if anchored is not None:
        for start, end in anchored:
            yield from regex.finditer(text, start, end)
        return
    if not words or span is None:
        yield from regex.finditer(text)
        return
    if distinct is not None and _line_words(words) is not None:
        lines = distinct.hit_lines(words)
        if not lines:
            return
        spans = (
            [(0, len(text))]
            if _dense(text, len(lines), span)
            else _merged(text, [(p, p) for p in lines], span + 1)
        )
    elif lowered is not None and len(lowered) == len(text):
        spans = windows(text, lowered, words, span)
    else:
        yield from regex.finditer(text)
        return
    for start, end in spans:
        yield from regex.finditer(text, start, end)


# Openings that occur this often ("torch", "you") cost a `regex.match` each: a pattern whose
# every match also contains a rarer word, and whose matches cross a bounded number of lines
# (bounded by the pattern itself, not by MAX_SPAN), is read in the windows of lines around that
# word instead, when they are fewer: every match lies in one, as for the windows above, so only
# the openings inside them are tried.
_MANY_OPENINGS = 20_000


def _bounded_windows(
    regex: re.Pattern[str],
    words: tuple[str, ...],
    span: int | None,
    text: str,
    distinct: Distinct | None,
    openings_found: int,
) -> list[tuple[int, int]] | None:
    """The windows of lines around `words` when the pattern bounds its own line span and they
    are fewer than the `openings_found` places to try; None otherwise."""
    if (
        not words
        or span is None
        or distinct is None
        or _line_words(words) is None
        or line_span(regex.pattern, regex.flags) != span
    ):
        return None
    lines = distinct.hit_lines(words)
    if len(lines) * (span + 1) * 4 > openings_found or _dense(text, len(lines), span):
        return None
    return _merged(text, [(p, p) for p in lines], span + 1) if lines else []


# a run of letters (word characters but digits: "_", accented and CJK letters count), and
# what ends one
_RUN = re.compile(r"[^\W\d]+")
# the same in ASCII bytes: a table that makes every byte but the letters and "_" (what
# `[^\W\d]` is there) a space
_ASCII_RUN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_ASCII_SPACES = bytes(c if c in _ASCII_RUN else 32 for c in range(256))
_NOT_LETTER = re.compile(r"[\W\d]")
# every digit made "0": a log's tokens vary by their numbers (steps, timestamps, sizes), their
# shapes far less ("epoch 00/000", "0.0000s")
_DIGITS_ZERO = bytes(48 if 48 <= c <= 57 else c for c in range(256))
# what bytes.split() splits on (and bytes.isspace() is): a piece cut there splits no token
_ASCII_SPACE = re.compile(r"[ \t\n\r\x0b\x0c]")


# the most word positions a text's Runs keeps (8 bytes each)
_KEPT_POSITIONS = 4_000_000


class Runs:
    """A long text's distinct runs of letters, joined by line breaks. A word occurs in the text
    only if each of its runs of letters occurs in one of the text's (its inner runs whole, its
    outer ones as a part), so a run missing here settles that the word is absent; a word that is
    one run alone is present exactly when it is found here. Logs repeat their words and vary
    their numbers (timestamps, steps, addresses, counters): a 50 MB log of distinct lines holds
    a few thousand distinct runs, so each signature's words are looked up here, not in 50 MB
    (looking up 1,700 words there took 30 s)."""

    def __init__(self, joined: str, tokens: bytes | None = None) -> None:
        self.joined = joined
        # an ASCII text's distinct tokens (runs of non-space characters), digits made "0", each
        # between line breaks: a word whose pieces are in none of them is not in the text
        self.tokens = tokens
        self._has: dict[str, bool] = {}  # a word shared by signatures: looked up once
        self._positions: dict[tuple[str, bool], array[int]] = {}  # see `positions`
        self._kept = 0

    @classmethod
    def of(cls, lowered: str) -> Runs | None:
        """None where the runs hardly repeat (random letters: no shorter than the text)."""
        if lowered.isascii():
            return cls._of_ascii(lowered)
        seen: set[str] = set()
        n, i, step = len(lowered), 0, 1 << 20
        while i < n:
            end = _NOT_LETTER.search(lowered, min(n, i + step))
            j = n if end is None else end.start()
            seen.update(_RUN.findall(lowered, i, j))
            if len(seen) > n // 64:  # hardly repeating: not worth it
                return None
            i = j
        return cls("\n".join(seen))

    @classmethod
    def _of_ascii(cls, lowered: str) -> Runs | None:
        """`of` for ASCII text, where a run of letters is a run of [A-Za-z_], in C (the regex
        engine's findall over 50 MB took more than a second): each 1 MiB piece (cut at a white
        space) is split into its tokens, digits made "0", and the runs are those of the
        distinct tokens; where the tokens hardly repeat, each piece has its bytes but letters
        made spaces and is split into runs alone."""
        tokens: set[bytes] | None = set()
        seen: set[bytes] = set()
        n, i, step = len(lowered), 0, 1 << 20
        while i < n:
            end = _ASCII_SPACE.search(lowered, min(n, i + step))
            j = n if end is None else end.start()
            piece = lowered[i:j].encode("ascii")
            if tokens is not None:
                tokens.update(piece.translate(_DIGITS_ZERO).split())
                if len(tokens) > n // 128:  # hardly repeating: keep the runs only
                    seen.update(b" ".join(tokens).translate(_ASCII_SPACES).split())
                    tokens = None
            else:
                seen.update(piece.translate(_ASCII_SPACES).split())
            if tokens is None and len(seen) > n // 64:  # hardly repeating: not worth it
                return None
            i = j
        joined = None
        if tokens is not None:
            joined = b"\n" + b"\n".join(tokens) + b"\n"
            seen = set(joined.translate(_ASCII_SPACES).split())
        return cls("\n".join(b.decode("ascii") for b in seen), joined)

    def may_have(self, word: str) -> bool:
        """Whether `word` (lower-case) can occur in the text: each of its runs of letters is
        in one of the text's, and, where its tokens are known, each of its own pieces between
        white space is in one of them (no pass over the text itself)."""
        return all(r in self.joined for r in _RUN.findall(word)) and self._in_tokens(word)

    def positions(self, word: str, cased: bool, where: str, limit: int) -> array[int] | None:
        """`_positions` of `word` in the text (`where`: the text itself where `cased`, else
        its lower-cased copy), kept: signatures share their openings ("cuda" opens dozens), and
        a 50 MB log took a second to find them again. None past the memory kept for them."""
        # (`limit` is the same for every caller: a share of this one text's length)
        key = (word, cased)
        at = self._positions.get(key)
        if at is None:
            if self._kept > _KEPT_POSITIONS:
                return None
            at = self._positions[key] = _positions(word, where, limit)
            self._kept += len(at)
        return at

    def _in_tokens(self, word: str) -> bool:
        """Whether each piece of `word` between white space, digits made "0", is in one of the
        text's tokens: an inner piece is a whole token, the first ends one (when white space
        follows it), the last starts one (when white space precedes it)."""
        if self.tokens is None or not word.isascii():
            return True
        wb = word.encode("ascii").translate(_DIGITS_ZERO)
        pieces = wb.split()
        last = len(pieces) - 1
        for k, piece in enumerate(pieces):
            before = b"\n" if k > 0 or wb[:1].isspace() else b""
            after = b"\n" if k < last or wb[-1:].isspace() else b""
            if before + piece + after not in self.tokens:
                return False
        return True

    def has(self, word: str, lowered: str) -> bool:
        """Does `lowered` (the text these runs are of) contain `word`?"""
        found = self._has.get(word)
        if found is None:
            if not self.may_have(word):
                found = False
            elif _RUN.fullmatch(word):
                found = True  # one run alone: found among the text's runs, so in the text
            else:  # digits, punctuation or several runs: their order is only in the text
                found = word in lowered
            self._has[word] = found
        return found


class TextIndex:
    """Where a long text's words can be looked up: its distinct lines, or else its lower-cased
    copy (offsets kept) and, when its words repeat, its distinct runs of letters (Runs);
    `text_index` keeps the last one, so the prose readers reuse the one `scan` built over the
    same text."""

    def __init__(self, text: str) -> None:
        self.distinct = Distinct.of(text)
        self.lowered = lower(text) if self.distinct is None else None
        long = self.lowered is not None and len(self.lowered) >= _LONG
        self.runs = Runs.of(self.lowered) if long and self.lowered is not None else None


@functools.lru_cache(maxsize=1)
def text_index(text: str) -> TextIndex:
    index = TextIndex(text)
    kept = index.runs is not None and index.lowered is not None
    _LAST_RUNS[:] = [(index.lowered, index.runs)] if kept else []  # type: ignore[list-item]
    return index


# the runs of the last text indexed, with its lower-cased copy (one slot: the copy is the
# index's own, so it lives no longer for this)
_LAST_RUNS: list[tuple[str, Runs]] = []


def _runs_of(lowered: str | None) -> Runs | None:
    """The Runs of the text whose lower-cased copy is `lowered` (that very string), if known."""
    if lowered is not None and _LAST_RUNS and _LAST_RUNS[0][0] is lowered:
        return _LAST_RUNS[0][1]
    return None


def forget_texts() -> None:
    """Drop what is kept about the last texts scanned (their index, the paths they name): a
    50 MB log's copies must not outlive its reading."""
    text_index.cache_clear()
    _LAST_RUNS.clear()
    _shadow_paths.cache_clear()
    _occurrences.cache_clear()


_LONG = 256 * 1024  # shorter texts are searched whole: looking for the words costs more


@functools.cache
def _searchable(pattern: str, flags: int) -> tuple[tuple[str, ...], int | None]:
    """The words and line span `matches` looks by; ((), None) where only the places a match can
    start can be used: a pattern without MULTILINE whose `^`/`$` mean the text's own start and
    end."""
    if not flags & re.MULTILINE and _anchored(pattern, flags):
        return (), None
    return derived_words(pattern, flags, 2), line_span(pattern, flags, MAX_SPAN)


def _anchored(pattern: str, flags: int) -> bool:
    try:
        from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
        from re import _parser as parser  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_constants as sre  # type: ignore[no-redef,unused-ignore]
        import sre_parse as parser  # type: ignore[no-redef,unused-ignore]

    ends = {sre.AT_BEGINNING, sre.AT_END, sre.AT_BEGINNING_STRING, sre.AT_END_STRING}

    def walk(node: Any) -> bool:
        if isinstance(node, parser.SubPattern):
            node = node.data
        if not isinstance(node, (list, tuple)):
            return False
        if len(node) == 2 and node[0] is sre.AT:
            return node[1] in ends
        return any(walk(item) for item in node)

    parsed = _parse(pattern, flags)
    return parsed is not None and walk(parsed)


def matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`regex.finditer(text)` (within the engine's MAX_SPAN bound), looking in a long text only
    where a match can start or around the lines that hold one of the words every match
    contains."""
    if len(text) < _LONG:
        return regex.finditer(text)
    words, span = _searchable(regex.pattern, regex.flags)
    index = text_index(text)
    return _find(regex, words, span, text, index.lowered, index.distinct)


def search(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`regex.search(text)`, as `matches` looks."""
    return next(matches(regex, text), None)


def _present(
    words: tuple[str, ...],
    lowered: str | None,
    distinct: Distinct | None,
    runs: Runs | None = None,
) -> bool:
    """Whether the text contains one of the lower-case `words`, looked up in its index: its
    distinct lines, its runs of letters (`runs`, or those of the text last indexed when
    `lowered` is its copy), else its lower-cased copy."""
    if distinct is not None:
        return distinct.has_any(words)
    runs = runs or _runs_of(lowered)
    if lowered is not None and runs is not None:
        return any(runs.has(w, lowered) for w in words)
    return lowered is None or any(w in lowered for w in words)


class Found:
    """A match a worker process found (see `_prefetch`): what `scan` reads of a re.Match."""

    __slots__ = ("_end", "_groups", "_start", "_text")

    def __init__(self, text: str, start: int, end: int, groups: dict[str, str | None]) -> None:
        self._text, self._start, self._end, self._groups = text, start, end, groups

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError("a found match keeps its whole text and named groups only")
        return self._text[self._start : self._end]

    def groupdict(self) -> dict[str, str | None]:
        return self._groups


# A text this long has its signatures looked for in several processes at once (forked: each
# reads the parent's text and index without a copy); each signature's search is independent of
# the others', and `scan` then reads what they found in catalogue order, as it would have.
PARALLEL_MIN = 4 * 1024 * 1024
_MAX_JOBS = 8
# what the forked workers read: (text, lowered, distinct, runs, signatures), set only while a
# pool runs
_JOB: list[Any] = []


def scan_jobs(n: int) -> int:
    """How many processes look for the signatures in an `n`-character text: one below
    PARALLEL_MIN, off Linux (no fork there, or fork unsafe: macOS), with other threads alive
    (forking them is unsafe), or where DLENV_SCAN_JOBS says so (1: never in parallel); else the
    CPUs this process may use, at most _MAX_JOBS."""
    wanted = os.environ.get("DLENV_SCAN_JOBS", "").strip()
    if n < PARALLEL_MIN or not sys.platform.startswith("linux"):
        return 1
    if threading.active_count() > 1 or multiprocessing.current_process().daemon:
        return 1
    if wanted.isdigit():
        return max(1, min(int(wanted), _MAX_JOBS))
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_JOBS))


def _hits(
    sig: Signature,
    text: str,
    lowered: str | None,
    distinct: Distinct | None,
    runs: Runs | None,
) -> Iterator[re.Match[str]] | None:
    """`sig`'s matches in `text` (found as they are read), or None where its words are not in
    the text's index."""
    words = words_of(sig)
    if words and not _present(words, lowered, distinct, runs):
        return None
    return find_all(sig, text, lowered, distinct)


def _find_some(ids: range) -> list[tuple[int, list[tuple[int, int, dict[str, str]]] | None]]:
    """In a worker: each signature's matches as (start, end, named groups that matched), or
    None where its words are not in the text."""
    text, lowered, distinct, runs, signatures = _JOB
    out: list[tuple[int, list[tuple[int, int, dict[str, str]]] | None]] = []
    for i in ids:
        hits = _hits(signatures[i], text, lowered, distinct, runs)
        out.append(
            (
                i,
                None
                if hits is None
                else [
                    (m.start(), m.end(), {k: v for k, v in m.groupdict().items() if v is not None})
                    for m in hits
                ],
            )
        )
    return out


def _find_forms(_: int) -> FormsFound:
    """In a worker: the CUDA status forms' matches (statuses.find_forms)."""
    text, lowered, distinct, _runs, _signatures = _JOB
    return find_forms(text, lowered, distinct)


def _prefetch(
    text: str, index: TextIndex, signatures: tuple[Signature, ...], statuses: bool
) -> tuple[dict[int, list[Found] | None], tuple[FormsFound] | None] | None:
    """Every signature's matches in a long text, found by scan_jobs() processes at once: by its
    position in `signatures`, None where its words are absent; and, where `statuses`, the CUDA
    status forms' matches (in a one-item tuple: read_statuses's `found_forms`). None (look in
    this process) for a short text, or where the processes could not be started."""
    jobs = scan_jobs(len(text))
    if jobs < 2:
        return None
    n = len(signatures)
    size = max(1, n // (jobs * 8))  # small pieces: a few signatures cost most of the time
    pieces = [range(i, min(n, i + size)) for i in range(0, n, size)]
    _JOB[:] = [text, index.lowered, index.distinct, index.runs, signatures]
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            # the status forms as one more piece, started first: it is read after the catalogue
            forms = pool.apply_async(_find_forms, (0,)) if statuses else None
            parts = pool.map(_find_some, pieces, chunksize=1)
            found_forms = (forms.get(),) if forms is not None else None
    except (OSError, ValueError, RuntimeError, AssertionError):
        return None  # no processes to be had (limits, a daemon): look here instead
    finally:
        _JOB.clear()
    found = {
        i: None if spans is None else [Found(text, a, b, g) for a, b, g in spans]  # type: ignore[arg-type]
        for part in parts
        for i, spans in part
    }
    return found, found_forms


def scan(
    text: str,
    sheet: FactSheet,
    signatures: tuple[Signature, ...] = SIGNATURES,
    unrecognised: bool = True,
    statuses: bool | None = None,
    context: str | None = None,
) -> None:
    """Find every known message in `text`; record each as a ReportedError and apply its facts.
    `context`, when given, is the whole paste `text` was cut from (a dlenv report's lines
    blanked): the framework a message belongs to is judged from it.
    The CUDA stack's status codes (dlenv.importers.statuses) are read after the catalogue's
    messages, on the lines none of them explained (`statuses`: default, with the whole
    catalogue only). Then, unless `unrecognised` is False, report the error lines no signature
    explained. Lines longer than MAX_LINE are matched by their head and tail only
    (clip_long_lines)."""
    text = clip_long_lines(text)
    # the words are looked for in the distinct lines when there are some: no lower-cased copy
    index = text_index(text)
    distinct, lowered = index.distinct, index.lowered
    if context is None:
        fallback = dominant_framework(text, distinct)
    else:
        whole = clip_long_lines(context)
        fallback = dominant_framework(whole, text_index(whole).distinct)
    lines_of: dict[str, set[int]] = {}
    covered: set[int] = set()
    # where reported messages (not plain facts, not prose) matched: prose is read elsewhere only
    messages: set[tuple[int, int]] = set()
    said_at: _Spans | None = None
    read = signatures is SIGNATURES if statuses is None else statuses
    prefetched = _prefetch(text, index, signatures, read)
    found, found_forms = prefetched if prefetched is not None else (None, None)
    for k, sig in enumerate(signatures):
        hits: Iterator[re.Match[str]] | list[Found] | None
        if found is not None:
            hits = found.get(k)
        else:
            hits = _hits(sig, text, lowered, distinct, index.runs)
        if hits is None:  # its words are not in the text
            lines_of.setdefault(sig.id, set())
            continue
        seen: set[str] = set()
        each: dict[str, ReportedError] = {}  # by `distinct` value, for the signatures that have one
        first: tuple[str, str | None] | None = None
        count = 0
        claimed = set().union(*(lines_of.get(d, set()) for d in sig.defer_to))
        prose = is_prose(sig.family)  # the reporter's own words: read last
        if prose and read:
            read = False  # statuses go before the reporter's own words
            read_statuses(text, lowered, distinct, covered, messages, sheet, fallback, found_forms)
        if prose and said_at is None:
            said_at = _Spans(messages)
        mine = lines_of.setdefault(sig.id, set())
        for m in hits:
            line_start = text.rfind("\n", 0, m.start()) + 1
            if line_start in claimed:
                continue
            if said_at is not None and prose and said_at.overlaps(m.start(), m.end()):
                continue  # a statement in the reporter's words, not inside a program's message
            if line_start in mine and "\n" not in m.group(0):
                # one line naming the error twice ("OutOfMemoryError: CUDA out of memory") counts
                # once; but one line may state two packages' requirements ("Because torch==2.5.1
                # depends on … and tensorflow==2.15.1 depends on …"): each is a fact
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                for fact in sig.facts:
                    if fact.path == "requires":
                        apply_fact(sheet, fact, groups, m.group(0), text, None)
                continue
            mine.add(line_start)
            # a program's error line the reporter quotes stays an error line; what the reporter
            # states (prose, `statement` signatures) covers none
            if not prose and not sig.statement:
                _covered_lines(text, m.start(), m.end(), covered)
            if sig.report and not prose and not sig.statement:
                # a program prints whole lines: the rest of the line after its message is its
                # own, up to a sentence in the first person (the reporter writing on)
                eol = text.find("\n", m.end())
                eol = len(text) if eol < 0 else eol
                own = _OWN_SENTENCE.search(text, m.end(), eol)
                messages.add((m.start(), eol if own is None else own.start() + 1))
            count += 1
            key = m.group(0)
            if sig.distinct:
                _count_distinct(sig, m, text, fallback, each)
            if first is not None and key in seen:
                continue  # a repeat: counted, nothing more to read from it
            line = _line_at(text, m.start(), m.end())
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            groups.setdefault("line", line)
            fw = _framework_for(sig, line, groups, fallback)
            if first is None:
                first = (line, fw)
            if key in seen:
                continue
            seen.add(key)
            for fact in sig.facts:
                apply_fact(sheet, fact, groups, line, text, fw)
        if each:
            for error in each.values():
                sheet.report_distinct(error)
        elif first is not None and sig.report:
            sheet.report(
                ReportedError(
                    signature=sig.id,
                    text=first[0],
                    meaning=sig.meaning,
                    harmless=sig.harmless,
                    count=count,
                    framework=first[1],
                )
            )
    if read:
        read_statuses(text, lowered, distinct, covered, messages, sheet, fallback, found_forms)
    if unrecognised:
        _unrecognised(text, lowered, distinct, covered, sheet, fallback)
