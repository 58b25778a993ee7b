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
from dlenv.importers.detect import import_text, normalise
from dlenv.importers.signatures import (
    SIGNATURES,
    UNRECOGNISED,
    Signature,
    clip_long_lines,
    find_all,
    line_span,
)
from tests.corpus.corpus import body

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
    assert ("unrecognised-error", _ERRORS[3][:30]) in found

    def full(
        sig: Signature, text: str, lowered: str, distinct: object = None
    ) -> Iterator[object]:
        return sig.regex.finditer(text)

    monkeypatch.setattr(signatures, "find_all", full)
    slow = import_text(text, "train.log")
    assert fast.snapshot == dataclasses.replace(slow.snapshot, created_at=fast.snapshot.created_at)
    assert fast.parts == slow.parts
