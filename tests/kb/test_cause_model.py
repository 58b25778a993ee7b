"""The learned reading of a paste (data/cause_model.json): learned on the development part of the
corpus only, every cause a registered rule, its vocabulary file the model's own, its arithmetic
the one scikit-learn's tf-idf and logistic regression define, and nothing of a paste kept but
the words it knows."""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dlenv.kb.cause_model as cm
from dlenv.errors import DlenvError
from dlenv.importers.detect import import_text
from dlenv.importers.explain import explain_text
from dlenv.kb.tables import AsOf, read_data
from dlenv.rules.registry import get_rule
from tests.corpus.corpus import reports, split

_REPO = re.compile(r"https://github\.com/([^/]+/[^/#?]+)", re.I)


def test_the_table_is_learned_on_the_development_part_and_names_registered_causes() -> None:
    model = cm.cause_model()
    assert model.as_of.date and "development part" in model.as_of.source
    where = split()
    dev = [r for r in reports() if where.get(r.repo.lower(), "dev") == "dev"]
    assert 1000 <= model.reports <= len(dev)
    assert model.repositories <= len({r.repo.lower() for r in dev})
    assert cm.HEALTHY in model.classes
    for code in model.classes:
        assert code == cm.HEALTHY or get_rule(code) is not None, code
    assert 0 < model.threshold < 1
    hits, named = (int(n) for n in model.precision.split("/"))
    assert 0 < hits <= named and hits / named >= 0.8  # the precision it was chosen for
    for code, urls in model.sources.items():
        assert code in model.classes and 1 <= len(urls) <= 3
        for url in urls:
            m = _REPO.match(url)
            if m is not None:  # the test part is only measured, never learned from
                assert where.get(m.group(1).lower(), "dev") == "dev", url


def test_the_vocabulary_file_is_the_models_own_words() -> None:
    model = cm.cause_model()
    assert cm.known_words() == frozenset(model.idf)
    assert set(model.weights) <= set(model.idf)
    assert all(w == w.lower() for w in model.idf)
    assert any(w.startswith(cm.MESSAGE) for w in model.idf)  # recognised messages are words too


def _tiny(**changes: object) -> cm.CauseModel:
    model = cm.CauseModel(
        classes=("DL401", "DL101", cm.HEALTHY),
        intercepts=(0.0, 0.5, 1.0),
        idf={"cpu": 2.0, "driver": 1.5, "works": 1.0},
        weights={"cpu": {0: 4.0}, "driver": {1: 3.0}, "works": {2: 2.0, 0: -1.0}},
        threshold=0.25,
        precision="8/10",
        reports=10,
        repositories=9,
        sources={"DL401": ("https://github.com/a/b/issues/1",)},
        as_of=AsOf(date="2026-12-07", source="test", what="test"),
    )
    return dataclasses.replace(model, **changes)  # type: ignore[arg-type]


def test_the_reading_is_tf_idf_and_a_softmax_of_linear_scores() -> None:
    model = _tiny()
    reading = model.read({"cpu": 3, "works": 1, "unknown": 7})
    assert reading is not None
    # sublinear term frequency times idf, L2-normalised over the known words only
    x_cpu, x_works = (1 + math.log(3)) * 2.0, 1.0
    norm = math.hypot(x_cpu, x_works)
    scores = [4.0 * x_cpu / norm - x_works / norm, 0.5, 1.0 + 2.0 * x_works / norm]
    probs = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
    assert reading.code == "DL401"
    assert reading.probability == pytest.approx(probs[0])
    assert reading.runner_up is not None and reading.runner_up[0] == cm.HEALTHY
    assert reading.runner_up[1] == pytest.approx(probs[2])
    assert reading.words == ("cpu",)  # "works" pulls away from it
    assert reading.weighed == 3


def test_a_reading_among_a_messages_causes_renormalises_over_them() -> None:
    model = _tiny()
    reading = model.read({"works": 2}, among=["DL401", "DL101"])
    assert reading is not None and reading.code in ("DL401", "DL101")
    assert reading.weighed == 2
    assert reading.runner_up is not None
    assert reading.probability + reading.runner_up[1] == pytest.approx(1.0)
    assert model.read({"works": 2}, among=["DL999"]) is None


def test_no_known_word_is_no_reading() -> None:
    model = _tiny()
    assert model.read({}) is None
    assert model.read({"unknown": 3}) is None
    assert model.read({"cpu": 0}) is None


def test_the_snapshot_keeps_only_the_words_the_model_knows() -> None:
    secret = "hf_" + "Zq8" * 12
    text = (
        f"torch.cuda.is_available() returns False on my laptop\nHF_TOKEN={secret}\n"
        "/home/jdoe-private/project/train.py\n"
    )
    words = import_text(text, "paste").snapshot.reported_words
    assert words and set(words) <= cm.known_words()
    assert not any("zq8" in w or "jdoe" in w for w in words)


def test_a_long_paste_is_read_at_its_two_ends_only() -> None:
    middle = "nouveau " * 100_000
    text = "cpu\n" + middle + "\ndriver"
    words = cm.paste_words(text)
    assert words["cpu"] == 1 and words["driver"] == 1
    assert words["nouveau"] < 100_000  # only the head and tail windows are read


@pytest.mark.parametrize(
    "broken",
    [
        {"classes": ["DL401"], "intercepts": [0.0, 1.0]},
        {"weights": {"cpu": [[999, 1.0]]}},
        {"weights": {"cpu": [["x", 1.0]]}},
        {"idf": {"cpu": "high"}},
        {"threshold": None},
    ],
)
def test_a_corrupt_table_is_one_clear_error(
    broken: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = dict(read_data("cause_model"))
    data.update(broken)
    monkeypatch.setattr(cm, "read_data", lambda name: data)
    cm.cause_model.cache_clear()
    try:
        with pytest.raises(DlenvError, match=r"cause_model\.json is unreadable"):
            cm.cause_model()
    finally:
        cm.cause_model.cache_clear()


def test_prose_that_states_no_fact_is_read_as_a_whole() -> None:
    text = (
        "tensorflow is not detecting the gpu on our azure vm\n\n"
        "tried pip uninstall tensorflow, then conda install tensorflow_gpu tensorflow\n"
    )
    found = explain_text(text, "paste.txt", probe=False).report.findings
    read = [f for f in found if f.title.startswith("Probably:")]
    assert [f.code for f in read] == ["DL401"], [(f.code, f.title) for f in found]
    (finding,) = read
    assert finding.severity == "warning"
    facts = {e.fact: e for e in finding.evidence}
    assert "reported_words" in facts and "kb.cause_model" in facts
    assert facts["kb.cause_model"].needed == f">={cm.cause_model().threshold:.0%}"
    assert "Read from experience" in (finding.hint or "")
    assert finding.fixes  # the check that settles it, then dlenv doctor


def test_a_known_message_is_read_only_among_its_own_causes_and_health(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the catalogue knows one cause for CUDA_ERROR_DEVICE_UNAVAILABLE (DL702): a model whose
    # words point elsewhere (DL401) still names only DL702, or nothing when health wins
    text = (
        'File "/opt/venv/lib/python3.11/site-packages/torch/cuda/__init__.py", line 319\n'
        "    torch._C._cuda_init()\n"
        "RuntimeError: CUDA driver error: CUDA_ERROR_DEVICE_UNAVAILABLE\n"
    )
    toward_702 = _tiny(
        classes=("DL401", "DL702", cm.HEALTHY),
        intercepts=(0.0, 0.0, 0.0),
        idf={"runtimeerror": 1.0},
        weights={"runtimeerror": {0: 9.0, 1: 3.0}},
    )
    monkeypatch.setattr(cm, "cause_model", lambda: toward_702)
    monkeypatch.setattr(cm, "known_words", lambda: frozenset(toward_702.idf))
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [(f.code, f.severity) for f in found] == [("DL702", "warning")]
    assert "weighed against the message's other known causes" in found[0].message
    toward_health = dataclasses.replace(
        toward_702, weights={"runtimeerror": {0: 9.0, 2: 3.0}}
    )
    monkeypatch.setattr(cm, "cause_model", lambda: toward_health)
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [f.code for f in found] == ["DL901"]  # the candidates, as without the reading


def test_a_known_message_is_read_before_its_usual_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no rule names a cause, the paste read as a whole (its other words and facts too)
    comes before the message's usual cause in the corpus (the cause prior): on development
    reports it was right more often. A reading that settles on a healthy setup leaves the
    candidates; a paste of which the model knows no word falls back to the prior."""
    from dlenv.importers.signatures import BY_ID
    from dlenv.kb.priors import cause_prior
    from dlenv.rules.reported import SETTLE

    text = (
        "cudaGetDeviceCount returned 100\nno CUDA-capable device is detected\n"
        "I trained with --train_batch_size=8 on one GPU.\n"
    )
    pasted = import_text(text).snapshot
    [signature] = {e.signature for e in pasted.reported_errors if not e.harmless} - {
        e.signature for e in pasted.reported_errors if e.signature.startswith("said-")
    }
    prior = cause_prior(signature)
    assert prior is not None
    usual = prior.top[0]
    other = next(
        c
        for c in BY_ID[signature].rules
        if c != usual and c in SETTLE and (r := get_rule(c)) is not None and not r.symptom
    )
    toward_other = _tiny(
        classes=(other, usual, cm.HEALTHY),
        intercepts=(0.0, 0.0, 0.0),
        idf={"cudagetdevicecount": 1.0},
        weights={"cudagetdevicecount": {0: 9.0}},
    )
    monkeypatch.setattr(cm, "known_words", lambda: frozenset(toward_other.idf))
    monkeypatch.setattr(cm, "cause_model", lambda: toward_other)
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [(f.code, f.title) for f in found] == [(other, f"Probably: {SETTLE[other][0]}")]
    assert "kb.cause_model" in {e.fact for e in found[0].evidence}
    assert "kb.cause_priors" not in {e.fact for e in found[0].evidence}
    toward_health = dataclasses.replace(toward_other, weights={"cudagetdevicecount": {2: 9.0}})
    monkeypatch.setattr(cm, "cause_model", lambda: toward_health)
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [f.code for f in found] == ["DL901"]  # neither the prior nor the reading names one
    knows_nothing = dataclasses.replace(toward_other, idf={"qwxz": 1.0}, weights={})
    monkeypatch.setattr(cm, "known_words", lambda: frozenset(knows_nothing.idf))
    monkeypatch.setattr(cm, "cause_model", lambda: knows_nothing)
    found = explain_text(text, "paste.txt", probe=False).report.findings
    assert [f.code for f in found] == [usual]
    assert "kb.cause_priors" in {e.fact for e in found[0].evidence}


def test_a_pastes_causes_are_ordered_by_how_likely_the_reading_finds_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two causes or more from a paste: the one likelier for reports like it comes first, errors
    and warnings alike; the same facts probed on a machine (no paste read) keep the order by
    severity and code."""
    from dlenv.rules import diagnose
    from tests.rules.snapshots import gpu_machine, torch

    machine = gpu_machine(
        driver="470.82.01", frameworks=[torch("2.13.0+cu130"), torch("2.1.0+cpu")]
    )
    by_code = [(f.code, f.severity) for f in diagnose(machine)]
    assert by_code == [("DL101", "error"), ("DL202", "error"), ("DL401", "warning")]
    toward_401 = _tiny(
        classes=("DL401", "DL202", "DL101", cm.HEALTHY),
        intercepts=(0.0, 0.0, 0.0, 0.0),
        idf={"cpu": 1.0},
        weights={"cpu": {0: 6.0, 1: 3.0}},
    )
    monkeypatch.setattr(cm, "cause_model", lambda: toward_401)
    pasted = dataclasses.replace(machine, reported_words={"cpu": 2})
    assert [f.code for f in diagnose(pasted)] == ["DL401", "DL202", "DL101"]
    assert [f.code for f in diagnose(machine)] == ["DL101", "DL202", "DL401"]
    # a paste whose words the model does not know keeps the order by severity and code
    unknown = dataclasses.replace(machine, reported_words={"qwxz": 1})
    assert [f.code for f in diagnose(unknown)] == ["DL101", "DL202", "DL401"]


def test_words_the_model_does_not_know_are_still_nothing_recognised() -> None:
    with pytest.raises(DlenvError, match="nothing recognised"):
        explain_text("qwxz plok vrrm; Lorem ipsum dolor sit amet", probe=False)


def test_explain_shows_the_reading_end_to_end(tmp_path: Path) -> None:
    paste = tmp_path / "issue.txt"
    paste.write_text(
        "Is the CUDA toolkit required? With torchsharp v0.100.2 I was getting errors about CUDA "
        "not being available. The problems went away after I installed CUDA 11.7 and a new "
        "driver.\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "dlenv", "explain", str(paste), "--no-probe"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Probably:" in out.stdout and "kb.cause_model" in out.stdout
    assert "Traceback" not in out.stderr


def test_stated_facts_are_words_that_hold_across_wordings() -> None:
    from dlenv.snapshot.model import (
        DriverFacts,
        FrameworkFacts,
        GpuFacts,
        HostFacts,
        PythonFacts,
        Snapshot,
    )

    snapshot = Snapshot(
        host=HostFacts(os="Windows"),
        driver=DriverFacts(version="536.23"),
        gpus=[GpuFacts(index=0, name="NVIDIA GeForce GTX 1060 6GB")],
        python=PythonFacts(version="3.12.1"),
        frameworks=[
            FrameworkFacts(name="torch", distribution="torch", version="2.3.0+cpu", cuda_build=False)
        ],
        reported_words={"cpu": 2},
    )
    facts = cm.fact_words(snapshot)
    # a Pascal card is "fact_cc_6" whatever its name; the driver is read as the CUDA it runs
    assert {"fact_cc_6", "fact_os_windows", "fact_py_3_12", "fact_torch_cpu", "fact_torch_2",
            "fact_driver", "fact_driver_cuda_12"} <= set(facts)
    assert cm.fact_words(
        dataclasses.replace(snapshot, gpus=[GpuFacts(index=0, name="Tesla P100-PCIE-16GB")])
    ).count("fact_cc_6") == 1
    words = cm.snapshot_words(snapshot)
    assert words["cpu"] == 2 and words["fact_cc_6"] == cm.FACT_WEIGHT
    assert cm.fact_words(Snapshot()) == []
