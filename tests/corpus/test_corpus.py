"""The real-report corpus: well-formed files, a fixed split, and accuracy floors.

The floors are regression guards set from measured accuracy (scripts/corpus_eval.py prints the
figures); raising them is fine, lowering them needs a reason in the commit message.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from dlenv.rules import get_rule
from tests.corpus.corpus import HERE, REQUIRED, reports, score, split

PLANNED = set(re.findall(r"^\| (DL\d{3}) \|", (HERE / "README.md").read_text("utf-8"), re.M))


def test_every_report_is_well_formed() -> None:
    found = reports()
    assert len(found) >= 300
    sources = set()
    for r in found:
        assert list(r.header) == list(REQUIRED), r.name
        assert r.header["source"].startswith("https://github.com/"), r.name
        owner_repo = "/".join(r.header["source"].split("/")[3:5]).lower()
        assert owner_repo == r.repo.lower(), r.name
        assert r.header["source"] not in sources, r.name
        sources.add(r.header["source"])
        assert len(r.header["resolution"]) > 20, r.name
        for item in r.expected:
            for code in item:
                assert code in PLANNED, (r.name, code)


def test_the_split_is_by_repository_and_follows_its_rule() -> None:
    where = split()
    for r in reports():
        repo = r.repo.lower()
        assert repo in where, f"{repo} is in no split: add it to tests/corpus/split.toml"
        rule = "test" if int(hashlib.sha256(repo.encode()).hexdigest(), 16) % 3 == 0 else "dev"
        assert where[repo] == rule, repo


def test_planned_codes_that_exist_are_registered() -> None:
    assert {"DL101", "DL201", "DL301", "DL601"} <= {c for c in PLANNED if get_rule(c)}


# measured floors (fraction of reports whose root cause is named); see the module docstring
# measured 98.5% and 80.9% on 2,686 reports (the learned reading in); the test part rose from
# 80.0% as 42 blind test reports arrived in batches 171-210 (35 of them right on arrival), and
# is never tuned on
FLOORS = {"dev": 0.98, "test": 0.80}


@pytest.mark.parametrize("part", ["dev", "test"])
def test_accuracy_does_not_fall_below_its_floor(part: str) -> None:
    outcomes = score(part)
    assert outcomes
    accuracy = sum(o.ok for o in outcomes) / len(outcomes)
    assert accuracy >= FLOORS[part], f"{part}: {accuracy:.3f} < {FLOORS[part]}"


def test_healthy_reports_get_no_error() -> None:
    bad = [o.report.name for o in score() if o.report.healthy and not o.ok]
    assert bad == [], bad
