"""A long text's signatures looked for in several processes (`signatures._prefetch`) give the
very snapshot one process gives: the same messages, counts, facts and order. The threshold is
lowered here so that texts of a few hundred KB take the parallel path."""

from __future__ import annotations

import dataclasses
import multiprocessing
from pathlib import Path

import pytest

from dlenv.importers import signatures
from dlenv.importers.detect import Imported, import_text
from dlenv.importers.signatures import Found, scan_jobs
from tests.corpus.corpus import body
from tests.importers.test_scan_windows import _build_log, long_log

ROOT = Path(__file__).resolve().parents[2]


def _corpus_log() -> str:
    """Real reports (prose, tracebacks, tables, collect_env) between runs of training noise."""
    reports = sorted((ROOT / "tests/corpus/reports").glob("*/*.txt"))[::7][:120]
    noise = long_log(4_000)
    return "".join(body(p.read_text(encoding="utf-8")) + "\n" + noise for p in reports)


def _imported(text: str, jobs: str, monkeypatch: pytest.MonkeyPatch) -> Imported:
    monkeypatch.setenv("DLENV_SCAN_JOBS", jobs)
    signatures.forget_texts()
    return import_text(text, "long.log")


@pytest.mark.parametrize("make", [long_log, _build_log], ids=["train", "build"])
def test_parallel_scan_equals_one_process(make: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signatures, "PARALLEL_MIN", 100_000)
    text = make(600_000)  # type: ignore[operator]
    assert scan_jobs(len(text)) >= 1
    monkeypatch.setenv("DLENV_SCAN_JOBS", "3")
    assert scan_jobs(len(text)) == 3, "the parallel path must run in this test"
    one, three = _imported(text, "1", monkeypatch), _imported(text, "3", monkeypatch)
    assert one.snapshot.reported_errors  # the errors were found at all
    assert three.snapshot == dataclasses.replace(one.snapshot, created_at=three.snapshot.created_at)
    assert three.parts == one.parts


def test_parallel_scan_equals_one_process_on_real_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signatures, "PARALLEL_MIN", 100_000)
    text = _corpus_log()
    assert len(text) > 100_000
    one, two = _imported(text, "1", monkeypatch), _imported(text, "2", monkeypatch)
    kinds = {e.signature for e in one.snapshot.reported_errors}
    assert len(kinds) > 50  # prose, distinct-valued and multi-line signatures all took part
    assert two.snapshot == dataclasses.replace(one.snapshot, created_at=two.snapshot.created_at)


def test_no_processes_to_be_had_falls_back_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork refused (process limits, a sandbox) is no error: the text is read here."""
    monkeypatch.setattr(signatures, "PARALLEL_MIN", 100_000)
    text = long_log(300_000)
    one = _imported(text, "1", monkeypatch)

    def refuse(method: str) -> object:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing, "get_context", refuse)
    two = _imported(text, "2", monkeypatch)
    assert two.snapshot == dataclasses.replace(one.snapshot, created_at=two.snapshot.created_at)


def test_when_the_scan_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLENV_SCAN_JOBS", raising=False)
    assert scan_jobs(signatures.PARALLEL_MIN - 1) == 1  # a typical paste: no processes
    monkeypatch.setenv("DLENV_SCAN_JOBS", "1")
    assert scan_jobs(10 * signatures.PARALLEL_MIN) == 1
    monkeypatch.setenv("DLENV_SCAN_JOBS", "64")
    assert scan_jobs(10 * signatures.PARALLEL_MIN) == 8  # bounded
    monkeypatch.setattr(signatures.sys, "platform", "darwin")
    assert scan_jobs(10 * signatures.PARALLEL_MIN) == 1  # fork only on Linux


def test_a_found_match_reads_like_a_regex_match() -> None:
    text = "xx CUDA out of memory yy"
    m = Found(text, 3, 21, {"gpu": "0"})
    assert (m.start(), m.end(), m.group(0), m.group(), m.groupdict()) == (
        3,
        21,
        "CUDA out of memory",
        "CUDA out of memory",
        {"gpu": "0"},
    )
    with pytest.raises(IndexError):
        m.group(1)
