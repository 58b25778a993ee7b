"""Measure a cause prior learned from the corpus: P(expected code | recognised message).

The prior is learned on the DEVELOPMENT part only (every dev report in which a catalogue
message was recognised, counted by the codes its maintainers named), then applied where
`dlenv explain` gives DL901 (a known message whose cause the paste does not settle): the
message's most frequent cause, when it holds at least MIN_SHARE of MIN_COUNT or more dev
reports. Printed per part: how many of those DL901 reports the prior would turn right, and how
many it would name wrongly. A measurement for deciding whether such a prior belongs in the
rules; nothing here changes dlenv.

python scripts/prior_eval.py                 # both parts, the default thresholds
python scripts/prior_eval.py --min-count 8 --min-share 0.6
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import body, reports, split

from dlenv.importers import decode
from dlenv.importers.explain import explain_text

UNRECOGNISED = "unrecognised-error"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-count", type=int, default=5, help="dev reports with the message")
    parser.add_argument("--min-share", type=float, default=0.5, help="share of the top cause")
    args = parser.parse_args()
    where = split()
    rows: list[tuple[str, bool, set[str], list[str], set[str]]] = []
    for r in reports():
        if r.healthy:
            continue
        try:
            text = body(decode(r.path.read_bytes(), r.path.name))
            ex = explain_text(text, r.path.name, probe=False)
        except Exception:  # an unreadable paste is scored by corpus_eval
            continue
        codes = {f.code for f in ex.report.findings if f.severity in ("error", "warning")}
        ok = all(alternatives & codes for alternatives in r.expected)
        messages = [
            e.signature
            for e in ex.imported.snapshot.reported_errors
            if not e.harmless and e.signature != UNRECOGNISED
        ]
        expected = set().union(*r.expected)
        rows.append((where.get(r.repo.lower(), "dev"), ok, codes, messages, expected))

    prior: dict[str, Counter[str]] = defaultdict(Counter)
    for part, _, _, messages, expected in rows:
        if part == "dev":
            for message in set(messages):
                prior[message].update(expected)

    for part in ("dev", "test"):
        right = wrong = unsettled = 0
        for p, ok, codes, messages, expected in rows:
            if p != part or ok or "DL901" not in codes:
                continue
            unsettled += 1
            best: tuple[str, float] | None = None
            for message in messages:
                counts = prior.get(message)
                if not counts:
                    continue
                n = sum(counts.values())
                code, k = counts.most_common(1)[0]
                fits = n >= args.min_count and k / n >= args.min_share
                if fits and (best is None or k / n > best[1]):
                    best = (code, k / n)
            if best is None:
                continue
            if best[0] in expected:
                right += 1
            else:
                wrong += 1
        print(
            f"{part}: {unsettled} misses answered DL901; the prior (>= {args.min_count} dev "
            f"reports, top cause >= {args.min_share:.0%}) names the cause in {right}, "
            f"a wrong one in {wrong}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
