"""Recognise what a pasted text holds and turn all of it into one Snapshot.

A paste is normalised first (encodings and BOMs, CRLF, Markdown fences and quotes, HTML
<details>, ANSI colours), then every parser looks for its part; error signatures run over the
whole text. Several parts (collect_env + nvidia-smi + a traceback) combine into one Snapshot.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from array import array
from dataclasses import dataclass, field

from dlenv.errors import DlenvError
from dlenv.importers import collect_env, dlenv_json, nvidia_smi, prose, signatures, templates
from dlenv.importers.sheet import FactSheet, Part, overlay
from dlenv.kb.cause_model import known_paste_words
from dlenv.snapshot.model import Snapshot

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FENCE = re.compile(r"^\s*(?:```|~~~)[\w+-]*\s*$")
_HTML = re.compile(
    r"^\s*</?(?:details|summary|pre|code)[^>]*>(?:.*?</summary>)?\s*$", re.IGNORECASE
)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")


@dataclass
class Imported:
    """What a paste said: the Snapshot, the parts recognised, and the source's name."""

    snapshot: Snapshot
    parts: list[Part] = field(default_factory=list)
    source: str = "-"
    lines: int = 0


def decode(data: bytes, source: str) -> str:
    """Text from bytes: UTF-8 (with or without BOM), or UTF-16 as PowerShell's `>` writes it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":
        return data.decode("utf-16-le", errors="replace")
    if b"\x00" in data[:4096]:
        raise DlenvError(f"{source}: not a text file")
    return data.decode("utf-8-sig", errors="replace")


# the first character after a line's indentation that a quote, a fence or an HTML tag starts with
_OPENERS = (">", "`", "~", "<")


# a message copied through a web page, a word processor or a chat app has its quotes made
# typographic ("aren’t", “libcudnn.so.8”): read as the program printed them, one for one (the
# offsets stay); the CJK corner brackets are the reporter's own and stay
_TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                "\u201c": '"', "\u201d": '"', "\u201f": '"', "\u2033": '"'}
_CURLY = re.compile("[\u2018\u2019\u201b\u2032\u201c\u201d\u201f\u2033]")


def _plain_quotes(text: str) -> str:
    """`text` with its typographic quotes made plain, in one pass that copies the text once (a
    translate table takes half a second over 10 MB; one str.replace per quote character present
    copies the whole text each time: 0.48 s against 0.31 s over the 50 MB corpus-style log)."""
    return _CURLY.sub(_plain_quote, text)


def _plain_quote(m: re.Match[str]) -> str:
    return _TYPOGRAPHIC[m.group()]


def normalise(text: str) -> list[str]:
    """The pasted text's lines as the programs printed them: line ends, typographic quotes,
    colours, tabs, quote markers, fences and HTML, and pytest's "E   " before a failure's lines
    undone (line numbers kept)."""
    return _pytest_unprefixed(_normalise(text))


# pytest prints the exception of a failed test line by line as "E   <line>" (a CI log, a test
# run pasted whole): the lines are the program's, without the prefix
_PYTEST_E = "E   "


def _pytest_unprefixed(lines: list[str]) -> list[str]:
    if not any(line.startswith(_PYTEST_E) for line in lines):
        return lines
    return [line[len(_PYTEST_E) :] if line.startswith(_PYTEST_E) else line for line in lines]


def _normalise(text: str) -> list[str]:
    # each step copies the text: only the ones it needs (a 50 MB log has no tab or CR)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CURLY.search(text):
        text = _plain_quotes(text)
    # tabs are expanded before the colours are removed (their columns count the escapes);
    # without colours, line by line: only the lines with a tab are copied, not the whole text
    tabs = "\t" in text
    if tabs and "\x1b" in text:
        text = text.expandtabs(4)
        tabs = False
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    raw = text.split("\n")
    if tabs:  # a line's columns start at its own start, as they do in the whole text
        for i in [k for k, line in enumerate(raw) if "\t" in line]:
            raw[i] = raw[i].expandtabs(4)
    if len(raw) > 1 and raw[-1] == "":
        raw.pop()  # the final newline ends the last line; it does not start another
    # every line a quote, fence or HTML pattern matches starts (after its indentation) with one
    # of _OPENERS: the patterns run on those lines only, the rest are only right-stripped
    maybe = [i for i, line in enumerate(raw) if line.lstrip().startswith(_OPENERS)]
    if any(_QUOTE.match(raw[i]) for i in maybe):
        return _normalise_quoted(raw, maybe)
    out = [line.rstrip() for line in raw]
    for i in maybe:
        if _FENCE.match(raw[i]) or _HTML.match(raw[i]):
            out[i] = ""  # keep line numbers stable
    return out


def _normalise_quoted(raw: list[str], maybe: list[int]) -> list[str]:
    """normalise's lines where some line is quoted ("> "): the quotes are stripped from every
    line when at least half the non-blank lines are. Only the lines in `maybe` (those opening
    with one of _OPENERS) can hold a quote, a fence or HTML; the rest are right-stripped."""
    nonblank = sum(map(bool, map(str.strip, raw)))
    quoted = sum(1 for i in maybe if _QUOTE.match(raw[i]))
    strip_quotes = quoted * 2 >= nonblank
    out = [line.rstrip() for line in raw]
    for i in maybe:
        line = raw[i]
        if strip_quotes:
            line = _QUOTE.sub("", line, count=1)
        # a blank kept in place of a fence or a tag: line numbers stay stable
        out[i] = "" if _FENCE.match(line) or _HTML.match(line) else line.rstrip()
    return out


def nothing_recognised(source: str) -> DlenvError:
    return DlenvError(
        f"{source}: nothing recognised (expected the output of `python -m "
        "torch.utils.collect_env`, `nvidia-smi`, a dlenv JSON report, or a log or traceback "
        "with a known CUDA/framework message)"
    )


def import_text(text: str, source: str = "-") -> Imported:
    """Every fact the pasted text states, as one Snapshot with `origin` naming the parts."""
    lines = normalise(text)
    joined = "\n".join(lines)
    sheet = FactSheet()
    base: Snapshot | None = None
    found_json = dlenv_json.find(joined, source)
    in_json: set[int] = set()  # the lines of a dlenv report: facts already, not messages
    if found_json is not None:
        base, first, last = found_json
        in_json = set(range(first - 1, last))
        sheet.parts.append(Part("dlenv-json", first, last, found=["the whole dlenv report"]))
    # a tool's block is looked for line by line only where its marker is in the text at all (a
    # search of the whole text is a few milliseconds; a pass over 700k lines, tens)
    for first, last in collect_env.find(lines) if "PyTorch " in joined else ():
        collect_env.parse(lines, first, last, sheet)
    for first, last in nvidia_smi.find_table(lines):
        nvidia_smi.parse_table(lines, first, last, sheet)
    for first, last in nvidia_smi.find_query(lines) if "NVSMI LOG" in joined else ():
        nvidia_smi.parse_query(lines, first, last, sheet)
    for first, last in nvidia_smi.find_gpustat(lines):
        nvidia_smi.parse_gpustat(lines, first, last, sheet)
    for first, last in nvidia_smi.find_query_csv(lines) if "memory." in joined else ():
        nvidia_smi.parse_query_csv(lines, first, last, sheet)
    templates.parse_template(lines, sheet)
    nvcc = re.search(r"Cuda compilation tools, release", joined)
    if nvcc:
        templates.parse_nvcc(joined, sheet, joined.count("\n", 0, nvcc.start()) + 1)
    del nvcc  # a match keeps its whole string alive
    # the copies of a long text are made one at a time and dropped as soon as they are read:
    # `outside` (a copy only where tables are blanked) for the package lists, then freed while
    # the signatures run over `joined`, then made again for the prose, after `joined` is freed
    n_lines = len(lines)
    blanked = _blanked_lines(sheet.parts, n_lines)
    outside = _outside_parts(lines, blanked, joined)
    templates.parse_packages(outside, _line_offsets(lines, blanked), sheet)
    del outside
    log = Part("messages", 1, n_lines)
    sheet.current = log
    # a dlenv report's own strings ("error": "nvidia-smi not found") are facts it states, not
    # messages a program printed or words of the reporter's
    scanned = _outside_parts(lines, in_json, joined)
    signatures.scan(scanned, sheet, context=joined if in_json else None)
    # what the learned reading knows of the paste's words (only those: nothing private is kept);
    # a paste of which nothing else is recognised is still read, and judged by DL901 alone
    words = known_paste_words(scanned if in_json else text)
    del scanned
    sheet.current = None
    if sheet.reported or log.found:
        sheet.parts.append(log)
    if blanked:
        signatures.forget_texts()  # the prose reads another text: drop the index of this one
        del joined
        outside = _outside_parts(lines, blanked, "")
    else:
        outside = joined
        del joined
    del lines
    # last, and only outside the tables: it never overrides what a parser stated
    prose.parse_prose(outside, sheet)
    del outside
    signatures.forget_texts()
    if sheet.empty and base is None and not words:
        raise nothing_recognised(source)
    texts = ("messages", "package-list", "nvcc --version", "prose")
    kinds = [p.kind for p in sheet.parts if p.kind not in texts]
    if sheet.reported or any(p.kind in texts for p in sheet.parts):
        kinds.append("text")
    origin = "+".join(dict.fromkeys(kinds)) or "text"
    pasted = dataclasses.replace(sheet.snapshot(origin), reported_words=words)
    snapshot = overlay(base, pasted, origin) if base is not None else pasted
    return Imported(snapshot=snapshot, parts=sheet.parts, source=source, lines=n_lines)


def _line_offsets(lines: list[str], blanked: set[int] | frozenset[int] = frozenset()) -> array[int]:
    """Where each line starts in the text the lines join to, with the `blanked` ones (indexes)
    empty; an array of machine integers, not a list of objects (a 50 MB log has 700k lines).
    Summed in C (`map`, `accumulate`): a generator over 700k lines cost a tenth of a second."""
    kept = _emptied(lines, blanked) if blanked else lines
    lengths = map((1).__add__, map(len, kept))
    return array("q", itertools.accumulate(lengths, initial=0))[: len(lines)]


def _emptied(lines: list[str], blanked: set[int] | frozenset[int]) -> list[str]:
    """A copy of the list `lines` (of references, not of their text) with the `blanked`
    indexes empty."""
    out = list(lines)
    n = len(out)
    for i in blanked:
        if i < n:
            out[i] = ""
    return out


def _blanked_lines(parts: list[Part], n_lines: int) -> set[int]:
    """The indexes of the lines inside recognised blocks (tables, reports): blanked for the
    package lists and the prose, so they are not read twice."""
    blanked: set[int] = set()
    for p in parts:
        if p.kind in ("collect_env", "nvidia-smi", "nvidia-smi -q", "gpustat",
                      "nvidia-smi --query-gpu", "dlenv-json"):
            blanked.update(range(p.first_line - 1, min(p.last_line, n_lines)))
    return blanked


def _outside_parts(lines: list[str], blanked: set[int], joined: str) -> str:
    """The text with the `blanked` lines empty (`joined` itself, not a copy, when there are
    none)."""
    if not blanked:
        return joined
    return "\n".join(_emptied(lines, blanked))


def combine_with_machine(imported: Imported, machine: Snapshot) -> Snapshot:
    """The pasted facts over what the probes see on this machine; the paste wins where it
    speaks (framework, GPU, driver), the machine fills the rest."""
    return overlay(machine, imported.snapshot, f"probe+{imported.snapshot.origin}")


def stated_machine(s: Snapshot) -> list[str]:
    """What a paste says about the machine it came from (a collect_env, an nvidia-smi table, a
    host or driver line): when it says anything, the paste *is* that machine."""
    stated: list[str] = []
    if s.host.os or s.host.distro or s.host.hostname or s.host.kernel:
        stated.append("the host")
    if s.driver.version or s.driver.cuda_version or s.driver.installed is not None:
        stated.append("the driver")
    if s.gpus:
        stated.append("GPUs")
    if s.python.version:
        stated.append("Python")
    stated.extend(f"{f.name} {f.version}" for f in s.frameworks if f.version)
    return stated


def machine_supplied(pasted: Snapshot, merged: Snapshot) -> list[str]:
    """The facts of a combined Snapshot that came from this machine, not from the paste."""
    out: list[str] = []
    h = merged.host
    if not (pasted.host.os or pasted.host.distro) and (h.os or h.distro):
        osname = " ".join(x for x in (h.distro, h.distro_version) if x) or h.os
        out.append(f"host {osname}")
    d = merged.driver
    if not pasted.driver.version and d.version:
        out.append(f"driver {d.version}")
    elif pasted.driver.installed is None and d.installed is False:
        out.append("no NVIDIA driver")
    if not pasted.gpus and merged.gpus:
        out.append(f"{len(merged.gpus)} GPU(s)")
    pasted_tk = {t.path for t in pasted.cuda.toolkits}
    out.extend(
        f"CUDA toolkit {t.version or ''} at {t.path}".replace("  ", " ")
        for t in merged.cuda.toolkits
        if t.path not in pasted_tk
    )
    if not pasted.python.version and merged.python.version:
        where = f" at {merged.python.executable}" if merged.python.executable else ""
        out.append(f"Python {merged.python.version}{where}")
    named = {f.name for f in pasted.frameworks}
    out.extend(f"{f.name} {f.version}" for f in merged.frameworks if f.name not in named)
    return out
