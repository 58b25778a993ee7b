"""Score `dlenv explain` on the real-report corpus (tests/corpus/), per split and per family.

python scripts/corpus_eval.py                 # dev and test accuracy, dev failures listed
python scripts/corpus_eval.py --failures test # also list the test part's failures (to
                                              # measure and report, never to tune on)
python scripts/corpus_eval.py --added-since REV  # only the reports added after a git revision:
                                              # a blind batch's score on arrival, counted before
                                              # anyone tunes on it (with --failures none)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import REPORTS, Outcome, score

ROOT = Path(__file__).resolve().parents[1]


def _added_since(rev: str) -> set[Path]:
    """The corpus reports that are in the work tree but not at `rev` (committed or not)."""
    proc = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "--", str(REPORTS.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"corpus_eval: cannot read revision {rev!r}: {proc.stderr.strip()}")
    before = {ROOT / line for line in proc.stdout.splitlines()}
    return {p for p in REPORTS.glob("*/*.txt") if p not in before}


def _table(part: str, outcomes: list[Outcome]) -> None:
    hit = sum(o.ok for o in outcomes)
    total = len(outcomes)
    healthy = [o for o in outcomes if o.report.healthy]
    causes = [o for o in outcomes if not o.report.healthy]
    pct = 100 * hit / total if total else 0.0
    print(
        f"{part}: {hit}/{total} = {pct:.1f}%  (causes {sum(o.ok for o in causes)}/"
        f"{len(causes)}, healthy {sum(o.ok for o in healthy)}/{len(healthy)}, "
        f"repositories {len({o.report.repo for o in outcomes})})"
    )
    # precision, not only recall: is the first finding (the one a user acts on) a root cause,
    # and how often does a report get a code beyond its expected ones (DL901 aside)
    first = sum(
        1 for o in causes if o.first and any(o.first in item for item in o.report.expected)
    )
    extra = sum(
        1
        for o in causes
        if o.codes - {"DL901"} - frozenset().union(*o.report.expected)
    )
    print(
        f"    first finding is a root cause {first}/{len(causes)}; "
        f"a code beyond the expected ones {extra}/{len(causes)}; "
        f"healthy with a warning {sum(1 for o in healthy if o.codes - {'DL901'})}/{len(healthy)}"
    )
    fams: Counter[str] = Counter()
    fam_ok: Counter[str] = Counter()
    for o in outcomes:
        fams[o.report.family] += 1
        fam_ok[o.report.family] += o.ok
    for fam in sorted(fams):
        print(f"    {fam:28} {fam_ok[fam]:3}/{fams[fam]:<3}")


def _failures(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if not o.ok:
            want = o.report.header["expected"]
            print(f"  MISS {o.report.name}: expected {want}, got {sorted(o.codes) or '-'}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--failures", choices=("dev", "test", "both", "none"), default="dev")
    ap.add_argument("--added-since", metavar="REV", help="score only reports added after REV")
    args = ap.parse_args()
    start = time.perf_counter()
    results = {part: score(part) for part in ("dev", "test")}
    scored = sum(len(o) for o in results.values())
    if args.added_since:
        new = _added_since(args.added_since)
        print(f"{len(new)} reports added since {args.added_since}")
        results = {p: [o for o in outs if o.report.path in new] for p, outs in results.items()}
    elapsed = time.perf_counter() - start
    for part, outcomes in results.items():
        _table(part, outcomes)
    print(f"{scored} reports in {elapsed:.2f} s ({1000 * elapsed / max(scored, 1):.1f} ms each)")
    for part in ("dev", "test"):
        if args.failures in (part, "both"):
            print(f"\n{part} failures:")
            _failures(results[part])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
