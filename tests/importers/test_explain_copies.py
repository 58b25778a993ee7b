"""A long paste's copies are made one at a time and dropped after reading (issue 17): the
helpers that replaced the list-based ones give what those gave, and nothing of a scanned text
is kept once `import_text` returns."""

from __future__ import annotations

import bisect

from dlenv.importers import prose, signatures
from dlenv.importers.detect import (
    _blanked_lines,
    _line_offsets,
    _outside_parts,
    import_text,
)
from dlenv.importers.sheet import Part

_LINES = ["Collecting environment information...", "PyTorch version: 2.1.0", "", "x" * 3, "é ü"]


def test_line_offsets_are_the_starts_of_the_joined_lines() -> None:
    joined = "\n".join(_LINES)
    starts = [0] + [i + 1 for i, c in enumerate(joined) if c == "\n"]
    assert list(_line_offsets(_LINES)) == starts


def test_blanked_offsets_are_those_of_the_blanked_text() -> None:
    parts = [Part("collect_env", 1, 2), Part("prose", 4, 4)]
    blanked = _blanked_lines(parts, len(_LINES))
    assert blanked == {0, 1}
    outside = _outside_parts(_LINES, blanked, "\n".join(_LINES))
    assert outside.split("\n") == ["", "", "", "xxx", "é ü"]
    starts = [0] + [i + 1 for i, c in enumerate(outside) if c == "\n"]
    assert list(_line_offsets(_LINES, blanked)) == starts


def test_no_blanked_lines_means_the_joined_text_itself() -> None:
    joined = "\n".join(_LINES)
    assert _outside_parts(_LINES, set(), joined) is joined


def test_prose_gpu_is_the_first_line_naming_a_model() -> None:
    text = "nothing here\nRTX is a word\nI have a GeForce RTX 3090 here\nand a Tesla V100"
    found = prose._gpu(text)
    assert found is not None
    name, start = found
    assert "3090" in name
    assert text[start:].startswith("I have a GeForce RTX 3090")
    # the same line a split of the text names
    lines = text.split("\n")
    offsets = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]
    assert bisect.bisect_right(offsets, start) == 3


def test_prose_gpu_skips_overlong_lines() -> None:
    text = "GeForce RTX 3090 " + "x" * 400 + "\nTesla V100 GPU"
    found = prose._gpu(text)
    assert found is not None and found[1] == text.index("Tesla")


def test_a_long_text_is_not_kept_after_import() -> None:
    # a text over the indexing threshold that names a shadowing file (the path cache is keyed
    # on the whole text) and an error: both caches are used, and both empty afterwards
    body = 'File "/home/u/torch.py", line 1\nmy torch.py file\nRuntimeError: boom\n'
    noise = "step 1/100 - loss: 0.5\n" * (signatures._LONG // 20)
    imported = import_text(body + noise + body, "log")
    assert any(e.signature == "unrecognised-error" for e in imported.snapshot.reported_errors)
    assert [s.module for s in imported.snapshot.python.shadowing] == ["torch"]
    assert signatures.text_index.cache_info().currsize == 0
    assert signatures._shadow_paths.cache_info().currsize == 0
