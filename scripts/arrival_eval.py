"""Measure the rules as they were when each development report ARRIVED, and how the learned
reading compares with them where the two disagree.

The rules are tuned on the development part, so today's rules name the cause of nearly every
development report (in-sample), and the development part cannot say how often a rule is wrong
on a report nobody tuned it on. The corpus's history can: each report was committed at some
revision, and the code of the revision before it had never seen it. This script checks out
that parent revision for every development report (one detached git worktree, reused), runs
its `explain_text` on the report, and keeps the findings (a cache, so that a rerun replays
only what is new). Then, with each report's reading made out of fold (`learn_cause_model.py
--out-of-fold`: a model that had not seen its repository), it counts, per threshold, the
reports where the rules of the day named a cause and the reading named another at that
probability or more: how often the reading was right there, and how often the rules were;
for all development reports and for the latest third to arrive (the rules nearest today's).

It decided against a "second opinion" (the reading named beside a rule's cause): over all
arrivals the reading was right about as often as the rules it disagreed with (27 against 23
of 49 at 40%), but over the latest third, whose rules are nearest today's, less often (8
against 10 of 17; 4 against 9 of 12 at 60%). The test part is never replayed here.

    python scripts/learn_cause_model.py --out-of-fold oof.json
    python scripts/arrival_eval.py oof.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import REPORTS, Report, body, reports, split

from dlenv.importers import decode
from dlenv.kb.cause_model import HEALTHY
from dlenv.rules.registry import get_rule

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# findings that come from DL901 itself (its reading, its message prior) are not the rules'
FROM_DL901 = ("kb.cause_model", "kb.cause_priors")

# run inside the old checkout (its src first on sys.path): findings as [code, severity, facts]
RUNNER = """
import json, sys
items = json.load(open(sys.argv[1]))
import dlenv
assert dlenv.__file__.startswith(sys.argv[3]), dlenv.__file__
from dlenv.importers.explain import explain_text
with open(sys.argv[2], "a", encoding="utf-8") as out:
    for name, text in items:
        rec = {"name": name}
        try:
            try:
                res = explain_text(text, name.rsplit("/", 1)[-1], probe=False)
            except TypeError:
                res = explain_text(text, name.rsplit("/", 1)[-1])
            rec["findings"] = [
                [f.code, f.severity, [e.fact for e in f.evidence]] for f in res.report.findings
            ]
        except Exception as exc:  # "nothing recognised", or an old bug: no finding
            rec["error"] = f"{type(exc).__name__}: {exc}"[:200]
        out.write(json.dumps(rec) + "\\n")
"""


def _arrivals(dev: list[Report]) -> dict[str, str]:
    """Each development report's path -> the revision that added it (the earliest)."""
    log = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=COMMIT %H", "--name-only", "--", "."],
        cwd=REPORTS,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    added: dict[str, str] = {}
    commit = ""
    for line in log.splitlines():
        if line.startswith("COMMIT "):
            commit = line.split()[1]
        elif line.strip():
            added[line.strip()] = commit  # newest first: the last one seen is the earliest
    wanted = {str(r.path.relative_to(ROOT)) for r in dev}
    return {path: c for path, c in added.items() if path in wanted}


def _replay(dev: list[Report], cache: Path) -> dict[str, dict[str, object]]:
    done: dict[str, dict[str, object]] = {}
    if cache.exists():
        for line in cache.read_text("utf-8").splitlines():
            rec = json.loads(line)
            done[rec["name"]] = rec
    arrivals = _arrivals(dev)
    todo: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in dev:
        rel = str(r.path.relative_to(ROOT))
        if r.name not in done and rel in arrivals:
            todo[arrivals[rel]].append((r.name, body(decode(r.path.read_bytes(), r.path.name))))
    if todo:
        tree = Path(tempfile.gettempdir()) / "dlenv-arrival-worktree"
        if not tree.exists():
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(tree), "HEAD"],
                cwd=ROOT,
                check=True,
            )
        runner = tree.parent / "dlenv-arrival-runner.py"
        runner.write_text(RUNNER, "utf-8")
        items = tree.parent / "dlenv-arrival-items.json"
        for n, (commit, batch) in enumerate(todo.items(), 1):
            subprocess.run(
                ["git", "checkout", "-q", "--detach", commit + "^"], cwd=tree, check=True
            )
            items.write_text(json.dumps(batch), "utf-8")
            env = dict(os.environ, PYTHONPATH=str(tree / "src"))
            subprocess.run(
                [sys.executable, str(runner), str(items), str(cache), str(tree)],
                env=env,
                check=True,
                timeout=900,
            )
            print(f"  replayed {n}/{len(todo)}: {commit[:10]}^, {len(batch)} reports", flush=True)
        for line in cache.read_text("utf-8").splitlines():
            rec = json.loads(line)
            done[rec["name"]] = rec
    return done


def _rules_named(rec: dict[str, object]) -> set[str]:
    """The causes the rules of the day named: error/warning findings, DL9xx and symptom rules
    and DL901's own readings left out."""
    out: set[str] = set()
    for code, severity, facts in rec.get("findings", []):  # type: ignore[attr-defined]
        rule = get_rule(code)
        if (
            severity in ("error", "warning")
            and not code.startswith("DL9")
            and rule is not None
            and not rule.symptom
            and not any(f in FROM_DL901 for f in facts)
        ):
            out.add(code)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("oof", help="the JSON of learn_cause_model.py --out-of-fold")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "dlenv-arrival.jsonl"),
        help="findings of the rules at arrival, kept between runs",
    )
    args = parser.parse_args()
    oof: dict[str, dict[str, float]] = json.loads(Path(args.oof).read_text("utf-8"))
    where = split()
    dev = [r for r in reports() if where.get(r.repo.lower(), "dev") == "dev" and r.name in oof]
    found = _replay(dev, Path(args.cache))
    replayed = [r for r in dev if r.name in found]
    named = [(r, _rules_named(found[r.name])) for r in replayed]
    with_cause = [(r, codes) for r, codes in named if codes and not r.healthy]
    rules_right = sum(all(item & codes for item in r.expected) for r, codes in with_cause)
    print(
        f"{len(replayed)} development reports replayed at arrival; the rules of the day named a "
        f"cause for {len(with_cause)} with one, right for {rules_right}"
    )
    # the whole of explain of the day, as corpus_eval scores it (error/warning codes)
    right = 0
    for r in replayed:
        codes = {
            code
            for code, severity, _ in found[r.name].get("findings", [])  # type: ignore[attr-defined]
            if severity in ("error", "warning")
        }
        errors = any(
            severity == "error"
            for _, severity, _ in found[r.name].get("findings", [])  # type: ignore[attr-defined]
        )
        right += not errors if r.healthy else all(item & codes for item in r.expected)
    print(f"explain of the day named the maintainers' cause for {right}/{len(replayed)}")
    order = _order()
    arrivals = _arrivals(replayed)
    replayed.sort(key=lambda r: order.get(arrivals.get(str(r.path.relative_to(ROOT)), ""), -1))
    latest = replayed[2 * len(replayed) // 3 :]
    for part, those in (("all arrivals", replayed), ("the latest third", latest)):
        print(f"{part} ({len(those)} reports):")
        for th in THRESHOLDS:
            figures = _disagree(those, found, oof, th)
            print(f"  reading at {th:.0%} or more names another cause: {figures}")
    return 0


def _order() -> dict[str, int]:
    """Revision -> its place in the history (oldest first)."""
    revs = subprocess.run(
        ["git", "rev-list", "--reverse", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {c: i for i, c in enumerate(revs)}


def _disagree(
    those: list[Report],
    found: dict[str, dict[str, object]],
    oof: dict[str, dict[str, float]],
    th: float,
) -> dict[str, int]:
    c: Counter[str] = Counter()
    for r in those:
        codes = _rules_named(found[r.name])
        if not codes or r.healthy:
            continue
        p = oof[r.name]
        code = max(p, key=lambda k: p[k])
        if code in codes or code == HEALTHY or p[code] < th:
            continue
        c["disagreed"] += 1
        c["reading right"] += any(code in item for item in r.expected)
        c["rules right"] += all(item & codes for item in r.expected)
    return dict(c)


if __name__ == "__main__":
    raise SystemExit(main())
