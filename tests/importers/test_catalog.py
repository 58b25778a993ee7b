"""The message catalogue as data: every example and near miss of every entry, and the loader's
validation (as ruff and semgrep run each rule's fixtures)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlenv.importers import catalog
from dlenv.importers.catalog import CatalogError, Signature, is_prose, load, parse
from dlenv.importers.sheet import FactSheet
from dlenv.importers.signatures import (
    BY_ID,
    MAX_LINE,
    SIGNATURES,
    UNRECOGNISED,
    clip_long_lines,
    scan,
)
from dlenv.rules.registry import get_rule

CASES = [
    pytest.param(sig, text, id=f"{sig.id}[{n}]")
    for sig in SIGNATURES
    for n, text in enumerate(sig.examples)
]
MISSES = [
    pytest.param(sig, text, id=f"{sig.id}[{n}]")
    for sig in SIGNATURES
    for n, text in enumerate(sig.near_misses)
]


@pytest.mark.parametrize(("sig", "text"), CASES)
def test_every_example_matches(sig: Signature, text: str) -> None:
    assert sig.regex.search(text), f"{sig.family}.toml: {sig.id} does not match {text!r}"


@pytest.mark.parametrize(("sig", "text"), MISSES)
def test_no_near_miss_matches(sig: Signature, text: str) -> None:
    m = sig.regex.search(text)
    assert m is None, f"{sig.family}.toml: {sig.id} matches near miss {text!r}: {m.group(0)!r}"


def test_every_entry_has_examples_a_source_and_registered_rules() -> None:
    assert len(SIGNATURES) >= 80
    for sig in SIGNATURES:
        assert sig.examples, sig.id
        assert sig.source.startswith("https://") or (not sig.source and sig.unsourced), sig.id
        for url in filter(None, sig.source.split(", ")):
            assert re.fullmatch(r"https://\S+", url), (sig.id, url)
        for code in sig.rules:
            assert get_rule(code) is not None, f"{sig.id}: rule {code} is not registered"
        assert sig.family and (catalog.FOLDER / f"{sig.family}.toml").is_file(), sig.id


def test_the_catalogue_is_read_in_order_of_each_files_order_number_then_entries() -> None:
    orders: dict[str, int] = {}
    for path in sorted(catalog.FOLDER.glob("*.toml")):
        line = next(ln for ln in path.read_text().splitlines() if ln.startswith("order = "))
        orders[path.stem] = int(line.removeprefix("order = "))
    families = list(dict.fromkeys(s.family for s in SIGNATURES))
    assert families == sorted(orders, key=lambda f: (orders[f], f))
    assert set(families) == set(orders)  # no family file is empty
    # the catalogue first, then the status table's signatures (dlenv.importers.statuses)
    assert list(BY_ID)[: len(SIGNATURES)] == [s.id for s in SIGNATURES]
    # a signature that defers to another comes after it (scan() needs the other's lines first)
    index = {s.id: n for n, s in enumerate(SIGNATURES)}
    assert all(index[d] < index[s.id] for s in SIGNATURES for d in s.defer_to)


def test_a_new_family_is_a_dropped_in_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in catalog.FOLDER.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "glibc.toml").write_text(
        "order = 15\n"
        "[[signature]]\n"
        'id = "glibcxx-not-found"\n'
        "pattern = '''version `(?P<v>GLIBCXX_[\\d.]+)' not found'''\n"
        'meaning = "The C++ runtime is older than a library needs."\n'
        "rules = []\n"
        'facts = [{ path = "live.{fw}.message", value = "{line}" }]\n'
        'source = "https://example.org/glibcxx"\n'
        "examples = [\"/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found\"]\n"
    )
    monkeypatch.setattr(catalog, "FOLDER", tmp_path)
    sigs = load()
    ids = [s.id for s in sigs]
    assert len(sigs) == len(SIGNATURES) + 1
    # order 15 puts it between driver (10) and cuda-init (20)
    last_driver = max(n for n, s in enumerate(sigs) if s.family == "driver")
    assert ids[last_driver + 1] == "glibcxx-not-found"
    new = sigs[last_driver + 1]
    m = new.regex.search(new.examples[0])
    assert m is not None and m.group("v") == "GLIBCXX_3.4.30"


GOOD = {
    "id": '"a-b"',
    "pattern": "'x(?P<v>\\d+)'",
    "meaning": '"M."',
    "rules": '["DL101"]',
    "facts": '[{ path = "driver.installed", value = true }]',
    "source": '"https://example.org"',
    "examples": '["x1"]',
}


def _file(**entry: str | None) -> str:
    fields = {**GOOD, **entry}
    body = "".join(f"{k} = {v}\n" for k, v in fields.items() if v is not None)
    return f"order = 10\n[[signature]]\n{body}"


def test_a_valid_entry_loads_with_its_types() -> None:
    [sig] = parse([("one.toml", _file(flags='["IGNORECASE"]', pattern="['x', '(?P<v>\\d+)']"))])
    assert (sig.id, sig.pattern, sig.family, sig.rules) == ("a-b", r"x(?P<v>\d+)", "one", ("DL101",))
    assert sig.facts[0].value == "true"  # TOML booleans are the "true"/"false" fact values
    assert sig.flags == re.IGNORECASE and sig.regex.search("X12")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"colour": '"red"'}, "one.toml: signature 1 (a-b): unknown key 'colour'"),
        ({"examples": None}, "one.toml: signature 1 (a-b): missing key 'examples'"),
        ({"examples": "[]"}, "needs at least one example"),
        ({"source": None}, "give a `source` URL, or `unsourced` saying why there is none"),
        ({"id": '"A_b"'}, "id must be lower-case words joined by '-'"),
        ({"rules": '["D101"]'}, "'D101' is not a rule code"),
        ({"framework": '"mxnet"'}, "unknown framework 'mxnet'"),
        ({"flags": '["VERBOSE"]'}, "unknown flag 'VERBOSE'"),
        ({"defer_to": '["later"]'}, "defer_to 'later' is not a signature scanned before it"),
        ({"facts": '[{ path = "x", value = "{v}", convert = "nope" }]'}, "unknown converter"),
        ({"facts": '[{ path = "x" }]'}, "a fact needs `path` and `value`"),
        ({"facts": '[{ path = "x", value = "1", why = "" }]'}, "fact has unknown key 'why'"),
        ({"harmless": '"yes"'}, "`harmless` and `report` must be true or false"),
        ({"pattern": "3"}, "`pattern` must be a string"),
        ({"pattern": None}, "give a `pattern` or a `sentence`, one of them"),
        ({"sentence": '{ all = [["a"], ["b"]] }'}, "give a `pattern` or a `sentence`, one of them"),
        ({"pattern": None, "sentence": '{ all = [["a"]] }'}, "lists 2 to 4 groups of words"),
        ({"pattern": None, "sentence": '{ all = [["a"], []] }'}, "a `sentence.all` group is empty"),
        ({"pattern": None, "sentence": '{ all = [["A"], ["b"]] }'}, "must be lower-case"),
        ({"pattern": None, "sentence": '{ any = [["a"], ["b"]] }'}, "`sentence` is a table"),
    ],
)
def test_malformed_entries_are_refused_naming_file_and_entry(
    entry: dict[str, str | None], message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse([("one.toml", _file(**entry))])


def _sentence(words: str, examples: str = '["kernel updated"]') -> Signature:
    entry = {"pattern": None, "sentence": words, "examples": examples, "facts": "[]"}
    [sig] = parse([("prose-x.toml", _file(**entry))])
    return sig


def test_a_sentence_entry_finds_its_words_in_any_order_within_one_sentence() -> None:
    """`sentence` states what a reporter says in many word orders: one word of each group in one
    sentence, none of the vetoes; `*` marks a word beginning, otherwise whole words."""
    sig = _sentence('{ all = [["kernel*", "内核"], ["updat*", "upgrad*"]], none = ["not", "n\'t"] }')
    assert sig.flags & re.IGNORECASE and sig.prefilter == ("kernel", "内核")
    found = [
        (m.group(0) if (m := sig.regex.search(t)) else None)
        for t in (
            "It stopped working after a Kernel update.",
            "The kernel 6.8.0-45 was upgraded overnight. Now nvidia-smi fails",
            "I did not update the kernel.",
            "I didn't upgrade the kernel",
            "I updated torch. The kernel crashed.",
            "the kernel update broke my notebook",  # "not" is a whole word, not "notebook"
        )
    ]
    assert found == [
        "It stopped working after a Kernel update",
        "The kernel 6.8.0-45 was upgraded overnight",
        None,
        None,
        None,
        "the kernel update broke my notebook",
    ]
    whole = _sentence('{ all = [["kernel"], ["update"]] }', '["kernel update"]')
    assert whole.regex.search("kernels updated") is None


def test_malformed_files_and_duplicates_are_refused() -> None:
    with pytest.raises(CatalogError, match=r"^two\.toml: signature 1 \(a-b\): duplicate id"):
        parse([("one.toml", _file()), ("two.toml", _file())])
    with pytest.raises(CatalogError, match=r"^bad\.toml: not valid TOML"):
        parse([("bad.toml", "order = \n")])
    with pytest.raises(CatalogError, match=r"needs a top-level `order = <number>`"):
        parse([("one.toml", _file().removeprefix("order = 10\n"))])
    with pytest.raises(CatalogError, match=r"unknown top-level key 'title'"):
        parse([("one.toml", 'title = "x"\n' + _file())])


def test_a_pattern_that_does_not_compile_is_a_catalogue_error_on_first_use() -> None:
    [sig] = parse([("one.toml", _file(pattern="'x(('", examples='["x"]'))])
    with pytest.raises(CatalogError, match=r"^one\.toml \(a-b\): pattern: "):
        _ = sig.regex


def test_doctor_never_loads_the_catalogue() -> None:
    code = (
        "import sys\n"
        "from dlenv.cli.app import main\n"
        "try:\n"
        "    main(['doctor', '--quick', '--format=json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('dlenv.importers')), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stderr.strip().splitlines()[-1].replace("'", '"')) == []


# -- linear time ------------------------------------------------------------------------------
LONG = 200_000
REPEATED = ("A", " ", "\t", "\n", " \n", "0.", "a/", ": ", "'", "lib", ".libx.so", "-lib")


def _adversarial(sig: Signature) -> dict[str, str]:
    """Long lines of what the pattern loops on: single characters, path-like runs, and each
    example's own beginning repeated (a prefix that matches and then fails, over and over)."""
    texts = {f"{unit!r}*": unit * (LONG // len(unit)) for unit in REPEATED}
    for n, example in enumerate(sig.examples[:2]):
        flat = example.replace("\n", " ")
        for cut in sorted({len(flat) // 4, len(flat) // 2, len(flat) * 3 // 4, len(flat) - 1}):
            unit = flat[: max(cut, 3)]
            texts[f"example {n}[:{cut}]*"] = (unit * (LONG // len(unit) + 1))[:LONG]
    return texts


@pytest.mark.parametrize(
    "sig", [*SIGNATURES, UNRECOGNISED], ids=[s.id for s in (*SIGNATURES, UNRECOGNISED)]
)
def test_every_pattern_takes_linear_time_on_long_adversarial_lines(sig: Signature) -> None:
    """200,000-character lines: a backtracking pattern takes minutes here (the old
    undefined-symbol pattern took 7 minutes on 10,000 characters); a linear one milliseconds."""
    for name, text in _adversarial(sig).items():
        start = time.perf_counter()
        for _ in sig.regex.finditer(text):
            pass
        took = time.perf_counter() - start
        assert took < 2.0, f"{sig.id}: {took:.2f} s on {name} ({len(text)} characters)"


def test_long_lines_are_matched_by_their_head_and_tail() -> None:
    head = "RuntimeError: CUDA error: no kernel image is available for execution on the device "
    tail = " Torch not compiled with CUDA enabled"
    text = "first\n" + head + "x" * (3 * MAX_LINE) + tail + "\nlast"
    clipped = clip_long_lines(text)
    lines = clipped.split("\n")
    assert (lines[0], lines[2], len(lines[1])) == ("first", "last", MAX_LINE + 3)
    assert lines[1].startswith(head) and lines[1].endswith(tail)
    assert clip_long_lines("short\nlines") == "short\nlines"
    sheet = FactSheet()
    scan(text, sheet)
    found = [e.signature for e in sheet.snapshot("text").reported_errors]
    assert found == ["no-kernel-image", "torch-not-compiled-with-cuda"]


def test_explain_reads_a_100000_character_line_quickly(tmp_path: Path) -> None:
    """The issue's reproducer: 40 s before the patterns were made linear."""
    log = tmp_path / "l.txt"
    log.write_text("RuntimeError: CUDA error: " + "A" * 100_000 + "\n")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "explain", str(log), "--no-probe"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.perf_counter() - start
    assert proc.returncode in (0, 1), proc.stderr
    assert "RuntimeError: CUDA error: AAAA" in proc.stdout
    assert took < 10, took


def test_requires_is_a_prefilter_its_examples_must_honour() -> None:
    entry = (
        "order = 15\n"
        "[[signature]]\n"
        'id = "uvm-word"\n'
        "pattern = 'nvidia_uvm is not loaded'\n"
        'meaning = "A test."\n'
        "rules = []\n"
        "facts = []\n"
        'source = "https://example.org/uvm"\n'
        'requires = ["uvm"]\n'
        "examples = ['nvidia_uvm is not loaded']\n"
    )
    (sig,) = parse([("t.toml", entry)])
    assert sig.requires == ("uvm",)
    sheet = FactSheet()
    scan("nvidia_uvm is not loaded\n", sheet, (sig,), unrecognised=False)
    assert list(sheet.reported) == ["uvm-word"]
    sheet = FactSheet()
    scan("something else\n", sheet, (sig,), unrecognised=False)
    assert sheet.reported == {}
    with pytest.raises(CatalogError, match="contains none of `requires`"):
        parse([("t.toml", entry.replace('["uvm"]', '["cuda"]'))])
    with pytest.raises(CatalogError, match="lower-case"):
        parse([("t.toml", entry.replace('["uvm"]', '["UVM"]'))])


def test_the_derived_prefilter_never_hides_an_example() -> None:
    """A signature is scanned only when the text holds one of its literal words (`requires`,
    else derived from the pattern): every example must still be scanned."""
    from dlenv.importers.catalog import required_literals

    for sig in SIGNATURES:
        for example in sig.examples:
            words = sig.prefilter
            assert not words or any(w in example.lower() for w in words), (sig.id, example)
    assert required_literals(r"foo|bar(?:baz)?") == ()  # "bar" is shorter than 4
    assert required_literals(r"Could not load (?:dynamic )?library '(?P<s>[^']+)'") == (
        "could not load ",
    )
    # an alternation inside a group is not one literal; "xy" alone is too short to filter on
    assert required_literals(r"(?:abcd|efgh)+xy") == ()
    assert required_literals(r"(?i:NCCL error)[^\n]*|ncclSystemError") == (
        "nccl error",
        "ncclsystemerror",
    )


def test_a_distinct_template_reports_each_value_once_with_its_count() -> None:
    [sig] = parse(
        [("one.toml", _file(pattern="'v(?P<v>\\d+)'", facts="[]", distinct='"{v}"', examples='["v1"]'))]
    )
    sheet = FactSheet()
    scan("a v1\nb v2\nc v1\n", sheet, (sig,), unrecognised=False)
    found = sorted((e.text, e.count) for e in sheet.snapshot("text").reported_errors)
    assert found == [("a v1", 2), ("b v2", 1)]  # each value on the first line that names it


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"distinct": '"{v}"', "report": "false"}, "`distinct` is a template, for a reported"),
        ({"distinct": '"v"'}, "`distinct` names no group of the pattern"),
        ({"distinct": "3"}, "`distinct` is a template"),
    ],
)
def test_a_distinct_template_must_be_a_template_of_a_reported_message(
    entry: dict[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse([("one.toml", _file(**entry))])


PERSONS_WORDS = [s for s in SIGNATURES if s.groups or is_prose(s.family)]


@pytest.mark.parametrize("sig", PERSONS_WORDS, ids=[s.id for s in PERSONS_WORDS])
def test_a_persons_words_are_read_at_a_long_texts_edges(sig: Signature) -> None:
    """Over a long paste a person's words (a `sentence` entry, read sentence by sentence: only
    those holding a word of every group are tried with its pattern; an entry of a prose family)
    are read in the lines that start in the paste's first and last PROSE_EDGE characters: the
    matches must be exactly the pattern's there, lines that repeat (the distinct-lines index) or
    not."""
    from dlenv.importers.signatures import find_all, text_index
    from tests.importers.engine import finditer

    lines = [*sig.examples, *sig.near_misses, "Step 120/500 loss=0.131 gpu util 97%"]
    block = "\n".join(f"{n:06d} {line}" if n % 3 else line for n, line in enumerate(lines * 3))
    for text in (
        "\n".join([block] * (300_000 // len(block) + 1)),  # repeated: read via distinct lines
        "\n".join(f"{i} {block}" for i in range(300_000 // len(block) + 1)),
    ):
        index = text_index(text)
        got = [m.span() for m in find_all(sig, text, index.lowered, index.distinct)]
        expected = [m.span() for m in finditer(sig, text)]
        assert got == expected, sig.id
        assert expected, f"{sig.id}: no match at the edges to compare"
