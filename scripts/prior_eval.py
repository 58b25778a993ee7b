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
python scripts/prior_eval.py --write         # (re)write the knowledge base's table of it,
                                             # src/dlenv/kb/data/cause_priors.json (dev only)
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import body, reports, split

from dlenv.importers import decode
from dlenv.importers.explain import explain_text

UNRECOGNISED = "unrecognised-error"
TABLE = Path(__file__).resolve().parents[1] / "src" / "dlenv" / "kb" / "data" / "cause_priors.json"
KEPT = 5  # the table keeps messages seen in at least this many development reports


def _write(prior: dict[str, Counter[str]], urls: dict[str, list[str]]) -> None:
    """The knowledge base's table: per message, how many development reports show it and the
    causes their maintainers named, with up to three of those reports as its sources."""
    rows = [
        {
            "signature": message,
            "reports": urls_n,
            "causes": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "sources": sorted(urls[message])[:3],
        }
        for message, counts in sorted(prior.items())
        if (urls_n := len(urls[message])) >= KEPT
    ]
    table = {
        "about": "How often each cause was the maintainers' answer to a recognised message, "
        "counted over the development part of dlenv's corpus of real reports (tests/corpus, "
        "split by repository; the test part is never counted). A report can name several "
        "causes. Regenerate with `python scripts/prior_eval.py --write`.",
        "as_of": {
            "date": datetime.date.today().isoformat(),
            "source": "tests/corpus (development part): each report's source URL and the "
            "resolution its maintainers gave",
            "what": "causes of recognised messages in real reports",
        },
        "messages": rows,
    }
    TABLE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TABLE.relative_to(TABLE.parents[4])}: {len(rows)} messages")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-count", type=int, default=5, help="dev reports with the message")
    parser.add_argument("--min-share", type=float, default=0.5, help="share of the top cause")
    parser.add_argument("--write", action="store_true", help="write the knowledge-base table")
    args = parser.parse_args()
    where = split()
    rows: list[tuple[str, bool, set[str], list[str], set[str]]] = []
    urls: dict[str, list[str]] = defaultdict(list)
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
        part = where.get(r.repo.lower(), "dev")
        rows.append((part, ok, codes, messages, expected))
        if part == "dev":
            for message in set(messages):
                urls[message].append(r.header.get("source", str(r.path.name)).strip())

    prior: dict[str, Counter[str]] = defaultdict(Counter)
    for part, _, _, messages, expected in rows:
        if part == "dev":
            for message in set(messages):
                prior[message].update(expected)
    if args.write:
        _write(prior, urls)

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
