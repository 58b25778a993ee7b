"""How often each cause was the maintainers' answer to a recognised message
(data/cause_priors.json), counted over the development part of dlenv's corpus of real reports:
what a maintainer knows from having answered the same message many times. DL901 asks it when a
paste shows one known message and nothing that settles its cause. Loaded on first use: only a
paste that quotes such a message pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dlenv.errors import DlenvError
from dlenv.kb.tables import AsOf, read_data


@dataclass(frozen=True)
class CausePrior:
    """One message and the causes its reports had."""

    signature: str
    reports: int
    causes: tuple[tuple[str, int], ...]  # most frequent first
    sources: tuple[str, ...]

    @property
    def top(self) -> tuple[str, int]:
        return self.causes[0]

    @property
    def share(self) -> float:
        return self.top[1] / self.reports if self.reports else 0.0


@dataclass(frozen=True)
class CausePriors:
    by_signature: dict[str, CausePrior]
    as_of: AsOf


@cache
def cause_priors() -> CausePriors:
    try:
        data = read_data("cause_priors")
        rows = {
            r["signature"]: CausePrior(
                signature=r["signature"],
                reports=int(r["reports"]),
                causes=tuple(
                    sorted(
                        ((str(c), int(n)) for c, n in r["causes"].items()),
                        key=lambda cn: (-cn[1], cn[0]),
                    )
                ),
                sources=tuple(r["sources"]),
            )
            for r in data["messages"]
            if r["causes"]
        }
        as_of = AsOf(**data["as_of"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DlenvError(f"knowledge base file cause_priors.json is unreadable: {exc}") from None
    return CausePriors(rows, as_of)


def cause_prior(signature: str) -> CausePrior | None:
    """The causes recorded for a message, or None when too few reports showed it."""
    return cause_priors().by_signature.get(signature)
