"""The knowledge base's count of causes per recognised message (data/cause_priors.json): learned
on the development part of the corpus only, every row sourced, every cause a registered rule,
every message one the catalogue knows."""

from __future__ import annotations

import json
import re

from dlenv.importers.signatures import BY_ID
from dlenv.kb.priors import cause_prior, cause_priors
from dlenv.kb.tables import read_data
from dlenv.rules.registry import get_rule
from tests.corpus.corpus import split

_REPO = re.compile(r"https://github\.com/([^/]+/[^/#?]+)", re.I)


def test_every_row_is_a_known_message_with_registered_causes_and_dev_sources() -> None:
    table = cause_priors()
    assert table.as_of.date and "development part" in table.as_of.source
    assert len(table.by_signature) >= 20
    where = split()
    for signature, row in table.by_signature.items():
        assert signature in BY_ID, signature
        assert row.reports >= 5 and 1 <= len(row.sources) <= 3
        assert row.causes == tuple(sorted(row.causes, key=lambda cn: (-cn[1], cn[0])))
        assert all(get_rule(code) is not None for code, _ in row.causes), row.causes
        assert all(0 < n <= row.reports for _, n in row.causes)
        for url in row.sources:
            m = _REPO.match(url)
            if m is None:
                continue  # a source outside GitHub: no repository to split by
            # the test part is only measured: nothing in the knowledge base is learned from it
            assert where.get(m.group(1).lower(), "dev") == "dev", url


def test_a_message_without_a_row_has_no_prior_and_the_file_is_what_the_loader_reads() -> None:
    assert cause_prior("no-such-message") is None
    raw = read_data("cause_priors")
    assert {r["signature"] for r in raw["messages"]} == set(cause_priors().by_signature)
    json.dumps(raw)  # plain data
