"""Simulate the rules with the learned reading on the DEVELOPMENT part, each report read by a
model that had not seen its repository: choices about how DL901 uses the reading (thresholds
for pastes that quote an error and for those that quote none) made on dev alone, without the
in-sample optimism of a model that learned from the very report it reads.

    pip install scikit-learn
    python scripts/learn_cause_model.py --out-of-fold oof.json
    python scripts/reading_eval.py oof.json --quoted 0.2 0.3 --unquoted 0.2 0.3 0.4 0.5

Prints, per pair of thresholds, the development reports whose causes are all named, those with
a code beyond the expected ones, the healthy reports that get a warning, and how many readings
were named for pastes with and without a quoted error. `none` as a threshold turns the reading
off (the rules alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import Report, body, reports, split

import dlenv.kb.cause_model as cm
from dlenv.errors import DlenvError
from dlenv.importers import decode
from dlenv.importers.explain import explain_text

_current: dict[str, float] = {}


def _out_of_fold_read(
    self: cm.CauseModel, words: Mapping[str, int], among: Iterable[str] | None = None
) -> cm.Reading | None:
    """The reading from the out-of-fold probabilities of the report being explained."""
    kept = [c for c in _current if among is None or c in set(among)]
    if not kept:
        return None
    total = sum(_current[c] for c in kept)
    ranked = sorted(kept, key=lambda c: -_current[c])
    second = ranked[1] if len(ranked) > 1 else None
    return cm.Reading(
        code=ranked[0],
        probability=_current[ranked[0]] / total,
        runner_up=(second, _current[second] / total) if second else None,
        words=(),
        weighed=len(kept),
    )


def _simulate(
    dev: list[Report], oof: dict[str, dict[str, float]], quoted: float, unquoted: float
) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in dev:
        _current.clear()
        _current.update(oof[r.name])
        text = body(decode(r.path.read_bytes(), r.path.name))
        try:
            found = explain_text(text, r.path.name, probe=False).report.findings
        except DlenvError:
            found = []
        kept = []
        for f in found:
            model = next((e for e in f.evidence if e.fact == "kb.cause_model"), None)
            if model is not None:
                p = float(model.found.rstrip("%")) / 100
                with_error = "paste shows" in f.message
                if p < (quoted if with_error else unquoted):
                    continue
                out["named, error quoted" if with_error else "named, no error quoted"] += 1
            kept.append(f)
        codes = {f.code for f in kept if f.severity in ("error", "warning")}
        if r.healthy:
            out["healthy warned"] += bool(codes - {"DL901"})
            out["right"] += not any(f.severity == "error" for f in kept)
        else:
            out["right"] += all(item & codes for item in r.expected)
            out["a code beyond"] += bool(codes - {"DL901"} - frozenset().union(*r.expected))
    return out


OFF = 2.0  # a threshold no probability reaches: the reading off


def _threshold(value: str) -> float:
    return OFF if value == "none" else float(value)


def _shown(threshold: float) -> str:
    return "none" if threshold == OFF else f"{threshold:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("oof", help="the JSON of learn_cause_model.py --out-of-fold")
    parser.add_argument("--quoted", nargs="+", type=_threshold, default=[0.2])
    parser.add_argument("--unquoted", nargs="+", type=_threshold, default=[0.2])
    args = parser.parse_args()
    oof: dict[str, Any] = json.loads(Path(args.oof).read_text("utf-8"))
    where = split()
    dev = [r for r in reports() if where.get(r.repo.lower(), "dev") == "dev" and r.name in oof]
    # every reading is let through here; the thresholds are applied to what it named
    cm.CauseModel.read = _out_of_fold_read  # type: ignore[method-assign]
    model = cm.cause_model()
    object.__setattr__(model, "threshold", 0.0)
    print(f"{len(dev)} development reports, read out of fold")
    for q in args.quoted:
        for u in args.unquoted:
            figures = dict(sorted(_simulate(dev, oof, q, u).items()))
            print(f"quoted {_shown(q)}, unquoted {_shown(u)}: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
