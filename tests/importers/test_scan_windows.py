"""The windowed scan (`signatures.find_all`) finds exactly what a full scan finds.

Every signature and the catch-all run over every fixture, every corpus report and a generated
long log, once through `find_all` (windows around the prefilter words) and once as
`regex.finditer` over the whole text: the same matches, groups and order. And a whole
`import_text` on the long log equals the one with windows switched off.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.importers import decode, signatures
from dlenv.importers.detect import Imported, import_text, normalise
from dlenv.importers.signatures import (
    SIGNATURES,
    UNRECOGNISED,
    Signature,
    clip_long_lines,
    find_all,
    line_span,
)
from tests.corpus.corpus import body
from tests.importers.engine import finditer

ROOT = Path(__file__).resolve().parents[2]
PASTES = sorted((ROOT / "tests/importers/data").rglob("*.txt")) + sorted(
    (ROOT / "tests/corpus/reports").glob("*/*.txt")
)
ALL = (*SIGNATURES, UNRECOGNISED)

_NOISE = [
    "2024-01-15 10:02:11.361020: I tensorflow/core/platform/cpu_feature_guard.cc:182] This "
    "TensorFlow binary is optimized to use available CPU instructions in performance-critical "
    "operations.",
    "2024-01-15 10:02:12.405560: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT "
    "Warning: Could not find TensorRT",
    "WARNING:tensorflow:Callback method `on_train_batch_end` is slow compared to the batch time.",
]
_ERRORS = [
    "2020-10-13 06:52:14.998217: W tensorflow/stream_executor/platform/default/dso_loader.cc:60] "
    "Could not load dynamic library 'libcusparse.so.11'; dlerror: libcusparse.so.11: cannot open "
    "shared object file: No such file or directory",
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB "
    "total capacity; 20.10 GiB already allocated; 1.02 GiB free)",
    "RuntimeError: something no signature knows",
    "/bin/bash: line 1:  4242 Killed                  python train.py",
]


def long_log(size: int) -> str:
    """A training log of about `size` characters with real errors at its start, middle, end."""
    rng = random.Random(1)
    out = [_ERRORS[0]]
    total = 0
    while total < size:
        if len(out) % 5000 == 0:
            out.append(_ERRORS[1 + (len(out) // 5000) % 2])
        line = rng.choice(_NOISE) if rng.random() < 0.6 else (
            f"{rng.randint(1, 2000)}/2000 [======>.....] - ETA: 3s - loss: {rng.random():.4f}"
        )
        out.append(line)
        total += len(line) + 1
    out.extend(_ERRORS[1:])
    return "\n".join(out) + "\n"


def _matches(found: Iterator[object]) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in found]  # type: ignore[attr-defined]


def _same(sig: Signature, text: str) -> None:
    lowered = text.lower()
    assert _matches(find_all(sig, text, lowered)) == _matches(sig.regex.finditer(text)), sig.id


@pytest.mark.parametrize("path", PASTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_windowed_matches_equal_full_scan(path: Path) -> None:
    text = clip_long_lines("\n".join(normalise(body(decode(path.read_bytes(), path.name)))))
    for sig in ALL:
        _same(sig, text)


def test_windowed_matches_equal_full_scan_on_examples() -> None:
    for sig in ALL:
        for example in (*sig.examples, *sig.near_misses):
            _same(sig, f"noise line\n{example}\nmore noise\n")


def test_line_span() -> None:
    assert line_span(r"^foo [^\n]*bar$") == 0
    assert line_span(r"foo\nbar\n(?:baz\n)?") == 3
    assert line_span(r"foo\s+bar") is None  # \s crosses lines, unbounded
    assert line_span(r"foo(?!\n\n)") == 2  # a lookahead reads what it reads
    assert line_span(r"foo.*bar", 16) is None  # DOTALL
    assert line_span(r"foo\Z") is None
    assert line_span(r"(a)\1") is None


def test_long_log_explained_fast_and_as_without_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    text = long_log(2_000_000)
    start = time.perf_counter()
    fast = import_text(text, "train.log")
    elapsed = time.perf_counter() - start
    # a coarse guard only: the real figures come from benchmarks/bench_explain.py
    assert elapsed < 20, f"2 MB log took {elapsed:.1f} s"
    found = {(e.signature, e.text[:30]) for e in fast.snapshot.reported_errors}
    assert ("tf-library-not-loaded", _ERRORS[0][:30]) in found
    assert ("cuda-out-of-memory", _ERRORS[1][:30]) in found
    assert ("unrecognised-error", _ERRORS[2][:30]) in found
    assert ("process-killed", _ERRORS[3][:30]) in found  # the shell's word for SIGKILL

    _same_as_full_scan(monkeypatch, text, fast)


def _same_as_full_scan(monkeypatch: pytest.MonkeyPatch, text: str, fast: Imported) -> None:
    """`fast` (what import_text found) is what every signature's full scan of `text` finds."""

    def full(
        sig: Signature, text: str, lowered: str, distinct: object = None
    ) -> Iterator[object]:
        return sig.regex.finditer(text)

    monkeypatch.setattr(signatures, "find_all", full)
    slow = import_text(text, "train.log")
    assert fast.snapshot == dataclasses.replace(slow.snapshot, created_at=fast.snapshot.created_at)
    assert fast.parts == slow.parts


def _build_log(size: int) -> str:
    """A build log of about `size` characters whose lines hardly repeat (numbered files,
    hexadecimal ids), with the real errors at its start, middle and end."""
    rng = random.Random(3)
    words = ["tensor", "cuda", "kernel", "launch", "grad", "buffer", "device", "layer"]
    out = [_ERRORS[0]]
    total = 0
    while total < size:
        if len(out) % 9000 == 0:
            out.append(_ERRORS[1])
        name = f"{rng.choice(words)}_{rng.randrange(10**6)}"
        line = rng.choice(
            [
                f"[{len(out)}/90000] Building CUDA object src/ops/{name}.cu.o",
                f"/src/ops/{name}.cc:{rng.randrange(999)}: warning: unused variable '{name}'",
                f"step {len(out)} loss {rng.random():.6f} id={rng.getrandbits(64):x}",
            ]
        )
        out.append(line)
        total += len(line) + 1
    out.extend(_ERRORS[1:])
    return "\n".join(out) + "\n"


def test_a_log_of_distinct_lines_is_explained_as_without_its_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long log whose lines hardly repeat has no distinct-lines index: its words are looked
    up among its runs of letters, and what that skips changes nothing that is found."""
    text = _build_log(2_000_000)
    index = signatures.text_index(text)
    assert index.distinct is None and index.runs is not None
    fast = import_text(text, "train.log")
    found = {(e.signature, e.text[:30]) for e in fast.snapshot.reported_errors}
    assert ("tf-library-not-loaded", _ERRORS[0][:30]) in found
    assert ("cuda-out-of-memory", _ERRORS[1][:30]) in found

    monkeypatch.setattr(signatures, "_runs_of", lambda lowered: None)
    _same_as_full_scan(monkeypatch, text, fast)


def _repetitive_log(size: int, inserts: dict[int, str]) -> str:
    """`size` characters of repeated noise (so the scan reads it as distinct lines and
    windows), with `inserts[i]` placed before noise line i."""
    out: list[str] = []
    total = i = 0
    while total < size:
        if i in inserts:
            out.append(inserts[i])
        line = _NOISE[i % len(_NOISE)]
        out.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(out) + "\n"


def test_multi_line_messages_match_across_window_edges_in_a_long_log() -> None:
    """A message whose lines are far apart from its prefilter word still matches: each window
    reaches the pattern's span (or MAX_SPAN, for a pattern that does not bound itself) beyond
    every line with a word, so no match is cut at a window's edge."""
    multi = [s for s in SIGNATURES if (signatures.scan_span(s) or 0) > 0 and s.prefilter]
    inserts = {}
    for k, sig in enumerate(multi):
        crossing = [e for e in sig.examples if "\n" in e]
        if crossing:
            inserts[200 + 97 * k] = crossing[0]
    assert len(inserts) >= 5
    text = _repetitive_log(600_000, inserts)
    distinct = signatures.Distinct.of(text)
    assert distinct is not None  # the windowed, distinct-line path is the one tested
    crossed = 0
    for sig in multi:
        windowed = _matches(find_all(sig, text, None, distinct))
        assert windowed == _matches(iter(finditer(sig, text))), sig.id
        crossed += any(text.count("\n", *where) for where, _ in windowed)
    assert crossed >= 5  # matches that cross lines were found, and found the same


def test_unbounded_pattern_is_windowed_within_max_span() -> None:
    """The engine bounds a pattern that does not bound itself: `\\s+` may cross MAX_SPAN line
    breaks, and a match that does is found far from any other hit in a long log."""
    assert line_span(r"foo\s+bar") is None
    assert line_span(r"foo\s+bar", 0, signatures.MAX_SPAN) == signatures.MAX_SPAN
    assert line_span(r"foo\Z", 0, signatures.MAX_SPAN) is None  # \Z is never windowed
    sig = Signature("t", r"zebraword\s+(?P<v>\d+)", "m.", examples=("zebraword 1",))
    gap = "\n" * signatures.MAX_SPAN
    text = _repetitive_log(600_000, {3000: f"zebraword{gap}42"})
    distinct = signatures.Distinct.of(text)
    assert distinct is not None
    found = [m.group("v") for m in find_all(sig, text, None, distinct)]
    assert found == ["42"]


def test_long_log_scan_keeps_no_lower_cased_copy() -> None:
    """Memory: the scan of a long, repetitive log holds the text, its distinct lines and their
    positions, not a lower-cased copy of the whole text (the words are looked for in the
    distinct lines): its peak stays under 3 times the text (3.5 before)."""
    import tracemalloc

    from dlenv.importers.sheet import FactSheet

    # the patterns' one-time caches (compiled, parsed for their line span) are made first: the
    # peak measured is what the text costs
    signatures.scan(long_log(300_000), FactSheet())
    signatures.forget_texts()
    text = long_log(1_000_000)
    tracemalloc.start()
    try:
        signatures.scan(text, FactSheet())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(text), f"peak {peak} for {len(text)} characters"


def test_a_turkish_capital_i_keeps_the_distinct_line_scan() -> None:
    """"İ".lower() is two characters: lower-casing the text moved every offset after it, which
    switched the windowed and distinct-line scan off for the whole log (ten times slower). The
    engine's lower() keeps the length, and what is found is the same."""
    assert signatures.lower("İstanbul GPU") == "istanbul gpu"
    assert len(signatures.lower("aİb" * 1000)) == 3000
    line = "Kurulum İşlemi: epoch 3 step 12 loss 0.25 gpu ok\n"
    error = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    text = line * 8000 + error + line * 8000
    distinct = signatures.Distinct.of(text)
    assert distinct is not None  # a repetitive log keeps the fast path, capital İ or not
    sig = signatures.BY_ID["no-kernel-image"]
    fast = [m.span() for m in find_all(sig, text, None, distinct)]
    assert fast == [m.span() for m in sig.regex.finditer(text)] and len(fast) == 1


def test_a_long_pastes_words_are_looked_up_in_its_distinct_runs_of_letters() -> None:
    """A long paste without repeated lines (free text, a build log: no distinct-lines index)
    has its words looked up among its distinct runs of letters: for every signature's words,
    and for words that cross runs, the answer is the one a search of the whole text gives."""
    rng = random.Random(7)
    vocab = ["the", "driver", "nvidia-smi", "out", "of", "memory", "kernel", "módulo", "显存"]
    vocab += ["cuda:0", "libcudnn.so.8", "step_12"]
    lines = [" ".join(rng.choice(vocab) for _ in range(12)) + f". {i}" for i in range(40_000)]
    text = "\n".join(lines)
    index = signatures.text_index(text)
    assert index.distinct is None and index.lowered is not None
    runs = index.runs
    assert runs is not None and len(runs.joined) < len(text) // 10
    words = {w for sig in SIGNATURES for w in signatures.words_of(sig)}
    words |= {"out of memory", "of memory\nkernel", "driver nvidia", "nvidia-smi out", "ory ker"}
    words |= {"显存 cuda", "módulo", "river", "uda:0 th", "39999", "x" * 3, "cudnn.so.8 step"}
    words |= {"libcudnn.so.9", "step_1", "tep_12 the", "_"}
    for w in sorted(words):
        assert runs.has(w, index.lowered) == (w in index.lowered), w
    # a log of distinct lines whose letters repeat (hexadecimal ids, counters): indexed too
    hexes = "\n".join(f"id {rng.getrandbits(64):x} {rng.getrandbits(64):x}" for _ in range(20_000))
    assert signatures.text_index(hexes).runs is not None
    # a text whose runs of letters hardly repeat keeps no such index: it would not be shorter
    letters = "abcdefghijklmnopqrstuvwxyz"
    unique = "\n".join(
        " ".join("".join(rng.choice(letters) for _ in range(8)) for _ in range(4))
        for _ in range(20_000)
    )
    assert signatures.text_index(unique).runs is None
    signatures.forget_texts()


def test_a_long_pastes_tokens_rule_out_words_its_letters_allow() -> None:
    """An ASCII log's distinct tokens (digits made "0") settle that a word with digits or
    punctuation is absent without a pass over the text ("p100" where no token has a "p"
    before digits, "err: 35" where no token ends in "err:"): the answer is the one a search of the
    whole text gives, for every signature's words and words that cross tokens. ("k80" has the
    shape of "k40", which occurs: that one is left to the search.)"""
    rng = random.Random(11)
    vocab = ["step", "loss=0.25", "cuda:0", "libcudnn.so.8", "kernel", "err", "k40", "x86_64"]
    lines = [
        " ".join(rng.choice(vocab) for _ in range(10)) + f" id={rng.getrandbits(32):x} {i}"
        for i in range(40_000)
    ]
    text = "\n".join(lines)
    index = signatures.text_index(text)
    runs = index.runs
    assert runs is not None and runs.tokens is not None and index.lowered is not None
    words = {w for sig in SIGNATURES for w in signatures.words_of(sig)}
    words |= {"k80", "k40", "err 35", "err k40", "cuda:0 step", "so.8 ker", " step ", "loss=0.2"}
    words |= {"x86_64 ", "\nstep", "id=", "libcudnn.so.9", "=0.25 k", "p100", "err: 35"}
    for w in sorted(words):
        assert runs.has(w, index.lowered) == (w in index.lowered), w
    assert not runs.may_have("p100") and not runs.may_have("err: 35")
    assert runs.may_have("k80") and not runs.has("k80", index.lowered)
    signatures.forget_texts()
