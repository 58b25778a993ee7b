"""Learn the knowledge base's reading of pasted reports (src/dlenv/kb/data/cause_model.json).

The model reads a paste's words and recognised messages and names the cause its maintainers
would most likely give: tf-idf over words (sublinear term frequency, L2 norm) and a multinomial
logistic regression, learned on the DEVELOPMENT part of tests/corpus only. Everything about it
is chosen on the development part: the regularisation by cross-validation grouped by repository,
and the threshold as the least probability at which the cross-validated reading was right at
least PRECISION of the time. The test part is only measured (the raw reading's accuracy there),
never learned from; `scripts/corpus_eval.py` gives what it adds to the rules.

Needs scikit-learn, at development time only (dlenv evaluates the written model itself):

    pip install scikit-learn
    python scripts/learn_cause_model.py           # cross-validate and measure; writes nothing
    python scripts/learn_cause_model.py --write   # (re)write the knowledge base's table
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import Report, body, reports, split

from dlenv.errors import DlenvError
from dlenv.importers import decode
from dlenv.importers.detect import import_text
from dlenv.kb.cause_model import HEALTHY, paste_words, snapshot_words
from dlenv.snapshot.model import Snapshot

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "dlenv" / "kb" / "data" / "cause_model.json"
WORDS = TABLE.with_name("cause_model_words.txt")  # its vocabulary, for the importer
MIN_DF = 2  # a word counts once two development reports use it
C_GRID = (10.0, 20.0, 50.0, 100.0)
WEIGHTINGS = (None, "balanced")  # "balanced": each cause weighs as much, however rare
THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(9))  # 0.20 .. 0.60
PRECISION = 0.8
FOLDS = 5
PRUNE = 0.2  # smaller weights are left out of the table (the script reports what that changes)


def label(r: Report) -> str:
    return HEALTHY if r.healthy else sorted(r.expected[0])[0]


def right(r: Report, code: str) -> bool:
    if r.healthy:
        return code == HEALTHY
    return len(r.expected) == 1 and code in r.expected[0]


def words_of(r: Report) -> list[str]:
    """What the model reads of a report: the same words DL901 gives it (`snapshot_words`)."""
    text = body(decode(r.path.read_bytes(), r.path.name))
    try:
        snapshot = import_text(text, r.path.name).snapshot
    except DlenvError:  # nothing recognised, and no word the model knew when it was read
        snapshot = Snapshot()
    # every word of the paste, not only the vocabulary of the model being replaced
    snapshot = dataclasses.replace(snapshot, reported_words=dict(paste_words(text)))
    return [w for w, n in snapshot_words(snapshot).items() for _ in range(n)]


def _fit(
    docs: list[list[str]], labels: list[str], c: float, weighting: str | None
) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=lambda d: d, min_df=MIN_DF, sublinear_tf=True)
    model = LogisticRegression(C=c, max_iter=5000, class_weight=weighting)
    model.fit(vec.fit_transform(docs), labels)
    return vec, model


def _cross_validate(
    dev: list[Report],
    docs: list[list[str]],
    c: float,
    weighting: str | None,
    every: dict[str, dict[str, float]] | None = None,
) -> list[tuple[float, str]]:
    """Each development report's top cause and its probability, from a model learned on the
    other folds (grouped by repository); `every`, when given, receives all probabilities."""
    from sklearn.model_selection import GroupKFold

    out: list[tuple[float, str]] = [(0.0, HEALTHY)] * len(dev)
    groups = [r.repo.lower() for r in dev]
    for train, held in GroupKFold(n_splits=FOLDS).split(docs, groups=groups):
        vec, model = _fit([docs[i] for i in train], [label(dev[i]) for i in train], c, weighting)
        probs = model.predict_proba(vec.transform([docs[i] for i in held]))
        for i, p in zip(held, probs, strict=True):
            out[i] = (float(p.max()), str(model.classes_[p.argmax()]))
            if every is not None:
                every[dev[i].name] = {
                    str(k): round(float(v), 5) for k, v in zip(model.classes_, p, strict=True)
                }
    return out


def _threshold_for(dev: list[Report], cv: list[tuple[float, str]]) -> tuple[float, int, int]:
    """The least threshold at which the readings named keep PRECISION, and their counts."""
    for th in THRESHOLDS:
        hits, named = _precision(dev, cv, th)
        if named and hits / named >= PRECISION:
            return th, hits, named
    return THRESHOLDS[-1], *_precision(dev, cv, THRESHOLDS[-1])


def _precision(dev: list[Report], cv: list[tuple[float, str]], th: float) -> tuple[int, int]:
    named = [
        (r, code) for r, (p, code) in zip(dev, cv, strict=True) if p >= th and code != HEALTHY
    ]
    return sum(right(r, code) for r, code in named), len(named)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the knowledge-base table")
    parser.add_argument(
        "--out-of-fold",
        metavar="FILE",
        help="write each development report's cross-validated probabilities (JSON), read by a "
        "model that had not seen its repository: for choosing how the rules use the reading "
        "on the development part alone",
    )
    args = parser.parse_args()
    where = split()
    every = reports()
    dev = [r for r in every if where.get(r.repo.lower(), "dev") == "dev"]
    test = [r for r in every if where.get(r.repo.lower(), "dev") == "test"]
    dev_docs = [words_of(r) for r in dev]

    # the reading is used only above its threshold, so a setting is as good as the causes it
    # names rightly there: the most right readings at the least threshold that keeps
    # PRECISION, cross-validated (accuracy over every report is printed beside it)
    best: tuple[int, float, float, str | None, float, int] | None = None
    for weighting in WEIGHTINGS:
        for c in C_GRID:
            cv = _cross_validate(dev, dev_docs, c, weighting)
            acc = sum(right(r, code) for r, (_, code) in zip(dev, cv, strict=True)) / len(dev)
            th, hits, named = _threshold_for(dev, cv)
            print(
                f"C={c:g}, class weights {weighting}: accuracy {acc:.3f}; at threshold "
                f"{th:.2f} right {hits}/{named}"
            )
            if best is None or hits > best[0]:
                best = (hits, acc, c, weighting, th, named)
    assert best is not None
    hits, best_acc, best_c, best_w, threshold, named = best
    print(
        f"chosen on dev: C={best_c:g}, class weights {best_w}, threshold {threshold:.2f} "
        f"({hits}/{named} right)"
    )
    if args.out_of_fold:
        probabilities: dict[str, dict[str, float]] = {}
        _cross_validate(dev, dev_docs, best_c, best_w, probabilities)  # the same folds
        Path(args.out_of_fold).write_text(json.dumps(probabilities), "utf-8")
        print(f"wrote {args.out_of_fold}: {len(probabilities)} development reports")

    vec, model = _fit(dev_docs, [label(r) for r in dev], best_c, best_w)
    test_docs = [words_of(r) for r in test]
    probs = model.predict_proba(vec.transform(test_docs))
    raw = sum(
        right(r, str(model.classes_[p.argmax()])) for r, p in zip(test, probs, strict=True)
    )
    print(f"measured on test (never learned from): raw reading right {raw}/{len(test)}")
    if not args.write:
        return 0

    classes = [str(c) for c in model.classes_]
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    weights: dict[str, list[list[float]]] = {}
    for j, word in enumerate(vocab):
        row = [[k, round(float(model.coef_[k, j]), 3)] for k in range(len(classes))]
        row = [kw for kw in row if abs(kw[1]) >= PRUNE]
        if row:
            weights[word] = row
    sources: dict[str, list[str]] = {}
    for r in dev:
        if not r.healthy:
            sources.setdefault(label(r), []).append(r.header["source"])
    table = {
        "about": "Which cause a pasted report's words and recognised messages point to: tf-idf "
        "(sublinear term frequency, L2 norm) and multinomial logistic regression, learned on the "
        "development part of dlenv's corpus of real reports (tests/corpus, split by repository; "
        "the test part is never learned from). Regenerate with `python "
        "scripts/learn_cause_model.py --write`.",
        "as_of": {
            "date": datetime.date.today().isoformat(),
            "source": "tests/corpus (development part): each report's source URL and the "
            "resolution its maintainers gave",
            "what": "causes of real reports, read from their words",
        },
        "reports": len(dev),
        "repositories": len({r.repo.lower() for r in dev}),
        "regularisation": best_c,
        "class_weights": best_w,
        "cross_validated_accuracy": round(best_acc, 3),
        "threshold": threshold,
        "precision": f"{hits}/{named}",
        "classes": classes,
        "intercepts": [round(float(b), 4) for b in model.intercept_],
        "idf": {w: round(float(vec.idf_[vec.vocabulary_[w]]), 3) for w in vocab},
        "weights": weights,
        "sources": {c: sorted(v)[:3] for c, v in sorted(sources.items())},
    }
    TABLE.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    WORDS.write_text("".join(w + "\n" for w in sorted(vocab)), "utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(vocab)} words, {len(classes)} causes")
    # the table, read back by dlenv's own evaluation, must name what scikit-learn names
    from dlenv.kb.cause_model import cause_model, known_words

    cause_model.cache_clear()
    known_words.cache_clear()
    mine = cause_model()
    agree = 0
    for doc, p in zip(test_docs, probs, strict=True):
        reading = mine.read(Counter(doc))
        agree += reading is not None and reading.code == str(model.classes_[p.argmax()])
    print(f"dlenv's evaluation of the table agrees with scikit-learn on {agree}/{len(test)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
