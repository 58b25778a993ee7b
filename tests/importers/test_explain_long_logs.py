"""Long logs: what the fast paths of the scan find is what a plain scan finds, wherever the
messages lie (the middle, the very end, across the places a reader that cut the text into
pieces would cut it), and memory stays a small multiple of the text.

The fast paths: the words every match contains (`words_of`, derived from nested groups), the
literals every match starts with (`openings`: `regex.match` only where they occur), the words
every match passes a bounded distance after its start (`anchors`: windows around them), and the
prose readers' first-match `search` over the same distinct lines.
"""

from __future__ import annotations

import random
import re
import tracemalloc

import pytest

from dlenv.importers import prose, signatures
from dlenv.importers.detect import import_text
from dlenv.importers.signatures import SIGNATURES, UNRECOGNISED, find_all, lower
from tests.importers.engine import finditer

ALL = (*SIGNATURES, UNRECOGNISED)

_NOISE = [
    "2024-01-15 10:02:11.361020: I tensorflow/core/platform/cpu_feature_guard.cc:182] This "
    "TensorFlow binary is optimized to use available CPU instructions in performance-critical "
    "operations.",
    "WARNING:tensorflow:Callback method `on_train_batch_end` is slow compared to the batch time.",
    "2000/2000 [==============================] - 41s 20ms/step - loss: 0.1234 - accuracy: 0.9",
]
_MIDDLE = (
    "2020-10-13 06:52:14.998217: W tensorflow/stream_executor/platform/default/dso_loader.cc:60] "
    "Could not load dynamic library 'libcusparse.so.11'; dlerror: libcusparse.so.11: cannot open "
    "shared object file: No such file or directory"
)
# a message over three lines (torch-gpu-too-old), placed across each MiB boundary
_SPLIT = (
    "    Found GPU0 Tesla K40c which is of cuda capability 3.5.\n"
    "    PyTorch no longer supports this GPU because it is too old.\n"
    "    The minimum cuda capability supported by this library is 3.7."
)
_END = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB "
    "total capacity; 20.10 GiB already allocated; 1.02 GiB free)"
)


def _noise(size: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < size:
        line = _NOISE[rng.randrange(len(_NOISE))]
        out.append(line)
        total += len(line) + 1
    return out


def _log_with_buried_messages(size: int) -> str:
    """`size` characters of repeated noise; _MIDDLE in the middle, _SPLIT across every MiB
    mark (its middle line starts before the mark and ends after it), _END as the very last
    line, with no newline after it."""
    lines = _noise(size)
    half = len(lines) // 2
    text = "\n".join([*lines[:half], _MIDDLE, *lines[half:]]) + "\n"
    mib = 1 << 20
    mark = mib
    while mark < len(text):
        # right before the line that holds the mark: the message's second line crosses it
        start = text.rfind("\n", 0, mark - 40) + 1
        text = text[:start] + _SPLIT + "\n" + text[start:]
        mark += mib
    return text + _END


def test_messages_buried_in_a_long_log_are_found() -> None:
    text = _log_with_buried_messages(3_200_000)
    mib = 1 << 20
    split_at = [m.start() for m in re.finditer(re.escape(_SPLIT), text)]
    assert len(split_at) == 3 and all(
        any(at < mark < at + len(_SPLIT) for at in split_at) for mark in (mib, 2 * mib, 3 * mib)
    )
    assert signatures.Distinct.of(text) is not None  # the distinct-line paths are the ones run
    imported = import_text(text, "train.log")
    found = {e.signature: e for e in imported.snapshot.reported_errors}
    assert found["tf-library-not-loaded"].text.startswith(_MIDDLE[:60])
    assert found["torch-gpu-too-old"].count == 3
    assert found["cuda-out-of-memory"].text == _END
    assert imported.lines == text.count("\n") + 1


def test_every_signature_finds_what_finditer_finds_in_a_long_text() -> None:
    """Every example and near miss of every signature, buried among 400 KB of noise: the fast
    paths (distinct lines, or the lower-cased copy) give the matches `finditer` gives."""
    rng = random.Random(5)
    noise = _noise(400_000)
    for sig in ALL:
        lines = list(noise)
        for example in (*sig.examples, *sig.near_misses):
            lines.insert(rng.randrange(len(lines)), example)
        text = "\n".join(lines) + "\n"
        want = [(m.span(), m.groupdict()) for m in finditer(sig, text)]
        distinct = signatures.Distinct.of(text)
        assert distinct is not None
        got = [(m.span(), m.groupdict()) for m in find_all(sig, text, None, distinct)]
        assert got == want, sig.id
        got = [(m.span(), m.groupdict()) for m in find_all(sig, text, lower(text))]
        assert got == want, sig.id


def test_derived_words_and_openings_hold_for_every_example() -> None:
    """Every match of every example contains one of the signature's words and starts with one
    of its openings (what the prefilter and the opening-literal path rely on)."""
    for sig in ALL:
        words = signatures.words_of(sig) if not sig.requires else ()
        starts = signatures.openings(sig.pattern, sig.flags)
        for example in sig.examples:
            for m in sig.regex.finditer(example):
                said = lower(m.group(0))
                assert not words or any(w in said for w in words), (sig.id, example)
                assert not starts or said.startswith(starts), (sig.id, example)
    assert signatures.derived_words(r"(?:a|b)(?:site|dist)-packages") == ("-packages",)
    assert signatures.derived_words(r"x(?:foo|barbaz)y") == ("barbaz", "foo")
    assert signatures.derived_words(r"x(?:fo|barbaz)?y") == ()
    assert signatures.openings(r"\b(?:cuda:|\.cuda\()(?P<i>\d)") == (".cuda(", "cuda:")
    assert signatures.openings(r"(?:only\s+)?(?:one|two) gpus") == ("one", "only", "two")
    assert signatures.openings(r"[a-z]+foo") == ()



def test_cased_openings_hold_for_every_example() -> None:
    """Every match of every example starts with one of the signature's openings in its own
    case (the case-sensitive opening path), and a literal read under IGNORECASE has none."""
    for sig in ALL:
        starts = signatures.cased_openings(sig.pattern, sig.flags)
        for example in sig.examples:
            for m in sig.regex.finditer(example):
                assert not starts or m.group(0).startswith(starts), (sig.id, example)
    assert signatures.cased_openings(r"You(?:'re| require) CPython") == ("You",)
    assert signatures.cased_openings(r"(?i:You) CPython") == ()
    assert signatures.cased_openings(r"(?i)You") == ()
    assert signatures.cased_openings(r"\b(?:Found|found) GPU") == ("Found", "found")
    assert signatures.cased_openings(r"(?i:x(?-i:Ab))") == ()


def test_case_sensitive_openings_find_what_finditer_finds() -> None:
    """A pattern that opens with a case-sensitive literal, in a long text where its lower case
    is everywhere: matched only where the literal is, it finds what `finditer` finds."""
    regex = re.compile(r"You (?:require|use) (?P<py>3\.\d+)\s+now", re.MULTILINE)
    lines = _noise(400_000)
    rng = random.Random(9)
    for line in ("you require 3.9 now", "You require 3.10\nnow", "You use 3.8 now", "xYou use 3.7  now"):
        for _ in range(3):
            lines.insert(rng.randrange(len(lines)), line)
    lines.extend(["you"] * 20_000)  # the lower case alone would be too many to try one by one
    text = "\n".join(lines)
    want = [(m.span(), m.groupdict()) for m in regex.finditer(text)]
    assert len(want) == 9
    for index in (signatures.TextIndex(text),):
        got = signatures._find(regex, ("you ",), None, text, index.lowered, index.distinct)
        assert [(m.span(), m.groupdict()) for m in got] == want
    got = signatures._find(regex, ("you ",), None, text, lower(text), None)
    assert [(m.span(), m.groupdict()) for m in got] == want


def test_anchored_windows_find_what_finditer_finds() -> None:
    """The anchor path (windows around the words every match passes within a bounded
    distance of its start) gives exactly the matches `finditer` gives over the whole text:
    every example and near miss buried in noise, two on one line, one at the text's start and
    one at its very end, searched through the lower-cased copy and the distinct lines."""
    rng = random.Random(7)
    noise = _noise(400_000)
    used = set()
    for sig in ALL:
        if not signatures.anchors(sig.regex.pattern, sig.regex.flags)[0]:
            continue
        said = (*sig.examples, *sig.near_misses)
        lines = list(noise)
        for example in said:
            lines.insert(rng.randrange(len(lines)), example)
            lines.insert(rng.randrange(len(lines)), f"{example} {example}")
        text = "\n".join([said[0], *lines, said[-1]])
        want = [(m.span(), m.groupdict()) for m in sig.regex.finditer(text)]
        span = signatures.scan_span(sig)
        for lowered, distinct in ((lower(text), None), (None, signatures.Distinct.of(text))):
            spans = signatures._anchored_windows(sig.regex, span, text, lowered, distinct)
            if spans is None:
                continue
            used.add(sig.id)
            got = [
                (m.span(), m.groupdict())
                for start, end in spans
                for m in sig.regex.finditer(text, start, end)
            ]
            assert got == want, sig.id
    assert {"gpu-count-stated", "shadowing-file-named-first"} <= used


def test_anchors_of_patterns() -> None:
    m = re.MULTILINE
    assert signatures.anchors(r"(?:one|two)[- ](?:\w{1,5} )?gpus?\b", m) == (("gpu",), 10, 10)
    assert signatures.anchors(r"(?:one|two)[- ]\w+ gpus?", m) == ((), 0, None)
    # a bounded start, an unbounded rest: the rest is read as far as MAX_SPAN lines reach
    assert signatures.anchors(r"(?:a|bb)\.py\s+file", m) == ((".py",), 2, None)
    # not MULTILINE: a `$` is the text's end, not known
    assert signatures.anchors(r"ab?cdef", 0) == ((), 0, None)
    # IGNORECASE matches "s" and "i" to other letters (ſ, ı): not looked up in a lower copy
    assert signatures.anchors(r"a?script", m | re.IGNORECASE) == ((), 0, None)

def test_prose_search_equals_a_plain_search_on_a_long_text() -> None:
    patterns = [p for _, p in prose._FRAMEWORKS] + [
        prose._CUDA,
        prose._CUDNN,
        prose._DRIVER,
        prose._PYTHON,
        prose._PYTHON_TAG,
        prose._OS,
    ]
    lines = _noise(600_000)
    said = ["I use torch 2.1.0 on Windows 11", "driver 535.104.05", "python\n3.10 here"]
    for k, line in enumerate(said):
        lines.insert(len(lines) * (k + 1) // 4, line)
    text = "\n".join(lines)
    for pattern in patterns:
        want = pattern.search(text)
        got = signatures.search(pattern, text)
        assert (got and (got.span(), got.groupdict())) == (want and (want.span(), want.groupdict()))
    assert signatures.search(prose._DRIVER, text) is not None


@pytest.mark.parametrize("size", [10_000_000])
def test_memory_stays_bounded_on_a_long_log(size: int) -> None:
    """Not a timing: the peak of Python's allocations while importing a ~10 MB training log
    stays a small multiple of the text (the text, its lines, its distinct lines: about 5 times
    it now). 10 MB, not more: tracemalloc makes every allocation slow."""
    text = _log_with_buried_messages(size)
    tracemalloc.start()
    try:
        imported = import_text(text, "train.log")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert imported.snapshot.reported_errors
    assert peak < 8 * len(text), f"peak {peak / 1e6:.0f} MB for {len(text) / 1e6:.0f} MB"


def test_many_openings_tried_only_around_the_rarer_word() -> None:
    """A pattern whose opening is everywhere ("torch") and whose every match holds a rarer
    word (" cuda ") within a bounded number of lines: the openings tried are only those near
    the word, and the matches are those of `finditer`, across line breaks too."""
    regex = re.compile(r"torch==(?P<v>\d\.\d) ?(?:\n[ \t]{0,4})?(?:needs|requires) CUDA \d", re.I | re.M)
    assert signatures.line_span(regex.pattern, regex.flags) == 1
    lines = ["torch==2.1 is installed"] * 30_000 + _noise(1_200_000)
    rng = random.Random(11)
    for line in ("torch==2.1 needs CUDA 12", "TORCH==2.2\n  requires CUDA 11", "torch==2.3 needs"):
        for _ in range(4):
            lines.insert(rng.randrange(len(lines)), line)
    text = "\n".join(lines)
    want = [(m.span(), m.groupdict()) for m in regex.finditer(text)]
    assert len(want) == 8
    index = signatures.TextIndex(text)
    assert index.distinct is not None
    got = signatures._find(regex, (" cuda ",), 1, text, index.lowered, index.distinct)
    assert [(m.span(), m.groupdict()) for m in got] == want


def test_the_prefilter_reads_digits_alike_and_misses_no_word() -> None:
    """A training log's progress lines differ only in their numbers: the prefilter reads every
    digit alike (each such line once), and still finds every word the text holds, digits and
    all; a word the text lacks is not found."""
    noise = "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1639] Created device GPU:0"
    lines = []
    for i in range(20_000):
        lines += [noise, noise, noise, f"Epoch {i}/20000 - loss: 0.{i:05d}"]
    error = "OSError: libcudart.so.11.0: cannot open shared object file: No such file or directory"
    text = "\n".join([*lines[:40_000], error, *lines[40_000:]]) + "\n"
    distinct = signatures.Distinct.of(text)
    assert distinct is not None
    assert distinct.has_any(("libcudart.so.11.0",))
    assert distinct.has_any(("epoch 12345/20000",))
    assert distinct.has_any(("cudnn", "cannot open shared object"))
    assert not distinct.has_any(("cudnn",))
    alone = {e.signature for e in import_text(error + "\n").snapshot.reported_errors}
    buried = {e.signature for e in import_text(text, "train.log").snapshot.reported_errors}
    assert alone and alone <= buried


def test_the_runs_of_an_ascii_text_are_the_regex_ones() -> None:
    """Runs.of reads an ASCII text in bytes (translated and split in C): the same distinct runs
    of letters as `[^\\W\\d]+` finds, across its 1 MiB pieces, and the same give-up on text whose
    runs hardly repeat."""
    from dlenv.importers.signatures import _RUN, Runs

    rng = random.Random(7)
    words = ["cuda", "error_code", "libcudart", "x", "Torch", "nccl", "a_b_c"]
    ends = [" ", "\n", "12", ".", "/", "--", "_9"]
    parts = [rng.choice(words) + rng.choice(ends) for _ in range(400_000)]  # about 3 MiB
    text = "".join(parts).lower()
    assert len(text) > 2 * (1 << 20)
    runs = Runs.of(text)
    assert runs is not None
    assert set(runs.joined.split("\n")) == set(_RUN.findall(text))
    noise = "".join(rng.choice("abcdefghij") + " " for _ in range(1 << 16))
    assert Runs.of(noise) is None or len(set(_RUN.findall(noise))) <= len(noise) // 64
