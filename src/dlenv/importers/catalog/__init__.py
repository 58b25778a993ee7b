"""The message catalogue's engine: `*.toml` files in this folder -> a tuple of Signatures.

The catalogue is knowledge, like the compatibility tables in dlenv/kb/data: one TOML file per
family of messages (driver, cudnn, keras-versions, noise, ...), each signature with its regex, the
facts it states, its meaning, the rules that usually explain it, where its wording was checked,
and example lines that must match and near misses that must not (tests/importers/test_catalog.py
runs every one). README.md in this folder describes the format and how to add a family.

Order. `scan()` runs the signatures one after another, and the order is visible: the messages of
a report are listed in it, a signature's `defer_to` names ones scanned before it, and where two
signatures state the same fact the first one to do so usually wins. The order is: files sorted by
their top-level `order` number (then by file name), entries in the order they appear in their
file. A new family is a new file with an `order` that places it; no code changes.

Validation happens at load time (unknown or missing keys, types, duplicate ids, unknown converter
names, frameworks and flags, `defer_to` naming a later or unknown signature) and raises
CatalogError naming the file and the entry. Patterns are compiled on first use (a bad one raises
CatalogError then); the tests compile every one, run its examples and near misses, and check
that its rule codes are registered (not checked here: the rules import this package lazily).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple

from dlenv.errors import DlenvError
from dlenv.importers.catalog.converters import CONVERTERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

FRAMEWORKS = ("tensorflow", "torch", "jax", "keras")
FLAGS = {"IGNORECASE": re.IGNORECASE, "DOTALL": re.DOTALL}
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_RE = re.compile(r"DL\d{3}")
FOLDER = Path(__file__).parent


class CatalogError(DlenvError):
    """A catalogue file is malformed (its path and the entry are in the message)."""


@dataclass(frozen=True)
class Fact:
    """`path` is where the value goes, `value` a template over the regex's named groups ("{v}",
    or "{line}" for the matched line), `convert` a name in CONVERTERS. The fact paths are listed
    in README.md in this folder."""

    path: str
    value: str = "{0}"
    convert: str | None = None


@dataclass(frozen=True)
class Signature:
    id: str
    pattern: str
    meaning: str
    harmless: bool = False
    rules: tuple[str, ...] = ()  # codes of the rules that usually explain it (rules/catalog.py)
    framework: str | None = None  # who prints it; None: the framework the line or paste names
    facts: tuple[Fact, ...] = ()
    report: bool = True  # False: a plain fact (REPL output), not a message worth listing
    # True: what the reporter states ("nothing was changed", a package named), recorded for the
    # rules but covering no line, so an error on the same line is still judged on its own
    statement: bool = False
    # a template over the regex's groups ("{host} {v}"): each distinct filled value is reported
    # as a message of its own (which NCCL release each node runs), not only the first match
    distinct: str = ""
    source: str = ""  # where the wording was checked
    flags: int = 0
    defer_to: tuple[str, ...] = ()  # signatures that already explain the same line
    family: str = ""  # the catalogue file it comes from
    unsourced: str = ""  # why there is no source URL
    examples: tuple[str, ...] = ()  # texts the pattern must match
    near_misses: tuple[str, ...] = ()  # texts it must not match
    # lower-case words one of which every match contains: a text with none of them is not
    # scanned (a cheap prefilter for patterns that cannot start with a literal)
    requires: tuple[str, ...] = ()
    # a `sentence` entry's groups, each as a regex of its words: every match holds one of each
    # group within one sentence (the scanner checks that cheaply before running `regex`)
    groups: tuple[str, ...] = ()
    @cached_property
    def prefilter(self) -> tuple[str, ...]:
        """Lower-case words one of which every match contains: `requires`, else derived from
        the pattern's literal text (empty: the pattern has none, so every text is scanned)."""
        return self.requires or required_literals(self.pattern, self.flags)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Compiled on first use: loading the catalogue, or a lookup by id, compiles nothing."""
        try:
            return re.compile(self.pattern, re.MULTILINE | self.flags)
        except re.error as exc:
            raise CatalogError(f"{self.family}.toml ({self.id}): pattern: {exc}") from None


@cache
def parse_pattern(pattern: str, flags: int = 0) -> Any:
    """The parsed tree of a pattern (None when it does not parse): parsed once per process and
    shared by every reader of patterns (`required_literals` here; the engine's words, line
    spans and openings), which only read it."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_parse as parser  # type: ignore[no-redef,unused-ignore]
    try:
        return parser.parse(pattern, flags)
    except re.error:
        return None


def required_literals(pattern: str, flags: int = 0, shortest: int = 4) -> tuple[str, ...]:
    """Literal text that every match of `pattern` contains, lower-cased: for each top-level
    alternative, its longest run of literal characters outside optional parts; () when one
    alternative has no run of `shortest` characters (then no prefilter is safe)."""
    parsed = parse_pattern(pattern, flags)
    if parsed is None:
        return ()
    branches = _branches(list(parsed))
    words = []
    for branch in branches:
        runs = _runs(branch)
        best = max(runs, key=len, default="")
        if len(best) < shortest:
            return ()
        words.append(best.lower())
    return tuple(dict.fromkeys(words))


def _branches(items: list[Any]) -> list[list[Any]]:
    """The top-level alternatives of a parsed pattern (one when it has no top-level `|`).
    Zero-width items around them (`\\b`, lookarounds; the parser moves a `\\b` that every
    alternative starts with in front of the `|`) are left out: they add no text."""
    core = [it for it in items if str(it[0]) not in _ZERO_WIDTH]
    if len(core) == 1 and str(core[0][0]) == "BRANCH":
        return [list(b) for b in core[0][1][1]]
    if len(core) == 1 and str(core[0][0]) == "SUBPATTERN":
        return _branches(list(core[0][1][-1]))
    return [items]


_ZERO_WIDTH = ("AT", "ASSERT", "ASSERT_NOT")


def _runs(items: list[Any]) -> list[str]:
    """Runs of literal characters that every match of this sequence contains."""
    runs: list[str] = []
    current = ""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            current += chr(arg)
            continue
        if current:
            runs.append(current)
            current = ""
        if name == "SUBPATTERN":  # a group is required: its own runs count
            runs.extend(_runs(list(arg[-1])) if len(_branches(list(arg[-1]))) == 1 else [])
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            runs.extend(_runs(list(arg[2])))  # at least once: its runs are there
    if current:
        runs.append(current)
    return runs


_REQUIRED = {"id", "meaning", "rules", "facts", "examples"}
_OPTIONAL = {
    "pattern",
    "sentence",
    "framework",
    "harmless",
    "report",
    "statement",
    "distinct",
    "flags",
    "defer_to",
    "source",
    "unsourced",
    "near_misses",
    "requires",
}
_FACT_KEYS = {"path", "value", "convert"}


def _str_list(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def _text(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise CatalogError(f"{where}: `{key}` must be a string")
    return value


def _fact(where: str, raw: Any) -> Fact:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: each fact must be a table {{path = ..., value = ...}}")
    unknown = sorted(set(raw) - _FACT_KEYS)
    if unknown:
        raise CatalogError(f"{where}: fact has unknown key {unknown[0]!r}")
    if "path" not in raw or "value" not in raw:
        raise CatalogError(f"{where}: a fact needs `path` and `value`")
    value = raw["value"]
    if isinstance(value, bool):
        value = "true" if value else "false"
    convert = raw.get("convert")
    if convert is not None and convert not in CONVERTERS:
        raise CatalogError(f"{where}: unknown converter {convert!r}")
    return Fact(_text(where, "path", raw["path"]), _text(where, "value", value), convert)


def is_prose(family: str) -> bool:
    """Whether a catalogue family holds statements in the reporter's own words (files named
    prose-*.toml): they run last, over lines no program's message claimed, and weigh less."""
    return family.startswith("prose-")


# -- sentences: words that occur together, in any order --------------------------------------
# A reporter says one thing in many word orders ("after a kernel update", "the kernel was
# updated", "I upgraded my kernel"): a `sentence` entry names groups of word beginnings, one of
# each group within one sentence, and words that must not be there (a negation), instead of
# spelling out every order as a regex. It compiles to an ordinary pattern (bounded lookaheads
# from each sentence's start), so examples, near misses and the linear-time test apply as usual.
SENTENCE_MAX = 300  # characters: a sentence longer than this is read by its first 300
# a sentence ends at a line end, or at . ! ? followed by white space (not "6.8" or "torch.cuda")
_IN_SENTENCE = r"(?:[^\n.!?。！？；]|[.!?](?=\S))"
_SENTENCE_START = r"(?:^|(?<=[.!?]\s)|(?<=[。！？；]))"
_CJK = re.compile(r"[^\x00-\x7f]")


def _term(word: str) -> str:
    """A whole word ("not" is not "nothing"); with a trailing `*` a word beginning ("updat*"
    matches "updated", "updates"); a term in a script without spaces (Chinese, Japanese)
    anywhere. A term may hold spaces ("no longer") and apostrophes ("n't": in "didn't")."""
    stem = word.endswith("*")
    # blanks, not line breaks: a sentence ends at a line end, so must the words in it
    escaped = re.escape(word.removesuffix("*")).replace(r"\ ", r"[ \t]+")
    if _CJK.match(word):
        return escaped
    # bounded by Latin letters and digits only: Chinese and Japanese text runs into Latin words
    # with no space ("tensorflow检测不到GPU", "两个notebook"), and \b sees no boundary there
    head = r"(?<![A-Za-z0-9_])" if word[0].isalnum() else ""
    tail = "" if stem or not word[-1].isalnum() else r"(?![A-Za-z0-9_])"
    if word.startswith("n'"):
        head = ""
    return head + escaped + tail


class Sentence(NamedTuple):
    pattern: str  # the whole entry as one bounded regex
    words: tuple[str, ...]  # the prefilter: the rarest-looking group's words
    groups: tuple[str, ...]  # each group's words as a regex (the scanner's cheap check)


def sentence_pattern(where: str, raw: Any) -> Sentence:
    """The regex of a `sentence = {all = [[...], [...]], none = [...]}` entry, the words a
    match must contain (the rarest-looking group's, for the prefilter) and each group's regex."""
    if not isinstance(raw, dict) or set(raw) - {"all", "none"} or "all" not in raw:
        raise CatalogError(f"{where}: `sentence` is a table {{all = [[words], ...], none = [...]}}")
    groups = raw["all"]
    if not isinstance(groups, list) or not 2 <= len(groups) <= 4:
        raise CatalogError(f"{where}: `sentence.all` lists 2 to 4 groups of words")
    terms = [_str_list(where, "sentence.all", g) for g in groups]
    vetoes = _str_list(where, "sentence.none", raw.get("none", []))
    for word in (w for g in (*terms, vetoes) for w in g):
        if not word.strip("*") or word != word.lower() or word != word.strip():
            raise CatalogError(f"{where}: sentence word {word!r} must be lower-case, not empty")
    if any(not g for g in terms):
        raise CatalogError(f"{where}: a `sentence.all` group is empty")
    ahead = f"{_IN_SENTENCE}{{0,{SENTENCE_MAX}}}?"
    groups = tuple(f"(?:{'|'.join(_term(w) for w in g)})" for g in terms)
    # no `[ \t]*` after the start: on a long run of blanks it backtracks once per blank, each
    # time rescanning the lookaheads (quadratic); the lookaheads skip leading blanks themselves
    parts = [_SENTENCE_START, *(f"(?={ahead}{g})" for g in groups)]
    if vetoes:
        parts.append(f"(?!{ahead}(?:{'|'.join(_term(w) for w in vetoes)}))")
    parts.append(f"{_IN_SENTENCE}{{1,{SENTENCE_MAX}}}")
    words = tuple(w.removesuffix("*") for w in _rarest(terms))
    return Sentence("".join(parts), words, groups)


def _rarest(groups: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The group to prefilter on (every match holds one of each group's words): the one whose
    shortest word is longest, a Chinese or Japanese character counting three. Long logs repeat
    short framework names on every line ("tensorflow", "tf", "gpu"); scanning only around the
    lines that hold the rarer group's words keeps a sentence entry from reading the whole log
    (one such entry took 6 s on a 10 MB TensorFlow log)."""

    def weight(word: str) -> int:
        return sum(3 if _CJK.match(ch) else 1 for ch in word.removesuffix("*"))

    return max(groups, key=lambda g: (min(weight(w) for w in g), -len(g)))


def _signature(family: str, where: str, raw: Any, earlier: set[str]) -> Signature:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a signature must be a table")
    sig_id = raw.get("id")
    if isinstance(sig_id, str):
        where = f"{where} ({sig_id})"
    unknown = sorted(set(raw) - _REQUIRED - _OPTIONAL)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}")
    missing = sorted(_REQUIRED - set(raw))
    if missing:
        raise CatalogError(f"{where}: missing key {missing[0]!r}")
    sig_id = _text(where, "id", sig_id)
    if not ID_RE.fullmatch(sig_id):
        raise CatalogError(f"{where}: id must be lower-case words joined by '-'")
    if sig_id in earlier:
        raise CatalogError(f"{where}: duplicate id {sig_id!r}")
    if ("pattern" in raw) == ("sentence" in raw):
        raise CatalogError(f"{where}: give a `pattern` or a `sentence`, one of them")
    flags = 0
    groups: tuple[str, ...] = ()
    if "sentence" in raw:
        pattern, words, groups = sentence_pattern(where, raw["sentence"])
        flags |= re.IGNORECASE
        raw = {"requires": list(words), **raw}
    else:
        pattern = raw["pattern"]  # a string, or a list of strings joined (for long patterns)
        if isinstance(pattern, list):
            pattern = "".join(_str_list(where, "pattern", pattern))
        pattern = _text(where, "pattern", pattern)
    for name in _str_list(where, "flags", raw.get("flags", [])):
        if name not in FLAGS:
            raise CatalogError(f"{where}: unknown flag {name!r} (known: {', '.join(FLAGS)})")
        flags |= FLAGS[name]
    framework = raw.get("framework")
    if framework is not None and framework not in FRAMEWORKS:
        raise CatalogError(f"{where}: unknown framework {framework!r}")
    rules = _str_list(where, "rules", raw["rules"])
    bad = [c for c in rules if not CODE_RE.fullmatch(c)]
    if bad:
        raise CatalogError(f"{where}: {bad[0]!r} is not a rule code")
    defer_to = _str_list(where, "defer_to", raw.get("defer_to", []))
    later = [d for d in defer_to if d not in earlier]
    if later:
        raise CatalogError(f"{where}: defer_to {later[0]!r} is not a signature scanned before it")
    facts = raw["facts"]
    if not isinstance(facts, list):
        raise CatalogError(f"{where}: `facts` must be a list of tables")
    source = _text(where, "source", raw.get("source", ""))
    unsourced = _text(where, "unsourced", raw.get("unsourced", ""))
    if not source and not unsourced:
        raise CatalogError(f"{where}: give a `source` URL, or `unsourced` saying why there is none")
    examples = _str_list(where, "examples", raw["examples"])
    if not examples:
        raise CatalogError(f"{where}: needs at least one example")
    requires = _str_list(where, "requires", raw.get("requires", []))
    if any(w != w.lower() or not w for w in requires):
        raise CatalogError(f"{where}: `requires` words must be non-empty and lower-case")
    unmet = [e for e in examples if requires and not any(w in e.lower() for w in requires)]
    if unmet:
        raise CatalogError(f"{where}: example {unmet[0]!r} contains none of `requires`")
    harmless, report = raw.get("harmless", False), raw.get("report", True)
    statement = raw.get("statement", False)
    if not isinstance(harmless, bool) or not isinstance(report, bool):
        raise CatalogError(f"{where}: `harmless` and `report` must be true or false")
    if not isinstance(statement, bool) or (statement and not harmless):
        raise CatalogError(f"{where}: `statement` must be true or false, and comes with harmless")
    distinct = raw.get("distinct", "")
    if not isinstance(distinct, str) or (distinct and (not report or statement)):
        raise CatalogError(f"{where}: `distinct` is a template, for a reported message")
    named = set(re.findall(r"\{(\w+)\}", distinct))
    if distinct and not named:
        raise CatalogError(f"{where}: `distinct` names no group of the pattern")
    return Signature(
        id=sig_id,
        pattern=pattern,
        meaning=_text(where, "meaning", raw["meaning"]),
        harmless=harmless,
        rules=rules,
        framework=framework,
        facts=tuple(_fact(where, f) for f in facts),
        report=report,
        statement=statement,
        distinct=distinct,
        source=source,
        flags=flags,
        defer_to=defer_to,
        family=family,
        unsourced=unsourced,
        examples=examples,
        near_misses=_str_list(where, "near_misses", raw.get("near_misses", [])),
        requires=requires,
        groups=groups,
    )


def parse(files: list[tuple[str, str]]) -> tuple[Signature, ...]:
    """Signatures from (file name, TOML text) pairs, in catalogue order (see the module doc)."""
    families: list[tuple[int, str, list[Any]]] = []
    for name, text in files:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"{name}: not valid TOML: {exc}") from None
        unknown = sorted(set(data) - {"order", "signature"})
        if unknown:
            raise CatalogError(f"{name}: unknown top-level key {unknown[0]!r}")
        order = data.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            raise CatalogError(f"{name}: needs a top-level `order = <number>`")
        entries = data.get("signature", [])
        if not isinstance(entries, list):
            raise CatalogError(f"{name}: signatures are [[signature]] tables")
        families.append((order, name, entries))
    out: list[Signature] = []
    seen: set[str] = set()
    for _, name, entries in sorted(families, key=lambda f: (f[0], f[1])):
        family = name.removesuffix(".toml")
        for n, raw in enumerate(entries, 1):
            sig = _signature(family, f"{name}: signature {n}", raw, seen)
            seen.add(sig.id)
            out.append(sig)
    return tuple(out)


def load() -> tuple[Signature, ...]:
    """Every `*.toml` of this package folder, validated, in catalogue order. (A plain path, not
    importlib.resources: dlenv is never imported from a zip, and that import costs 7 ms.)"""
    try:
        files = [(p.name, p.read_text("utf-8")) for p in sorted(FOLDER.glob("*.toml"))]
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"message catalogue unreadable: {exc}") from None
    return parse(files)
