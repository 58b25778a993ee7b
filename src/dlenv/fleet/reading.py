"""One node's report reduced to what a fleet keeps of it (`Reading`), and the reader that
makes nodes alike share one copy of it.

A fleet keeps, per node, its host name and date, and what nodes alike have in common
(`Alike`: the facts as shown, the GPU count, the findings, what could not be read). The reader
reads each report's JSON once; a report whose fields read equal an earlier report's
(`dlenv.fleet.lean.node_key`) takes that report's `Alike` without being checked or reduced
again, and every `Alike` made is interned, so memory grows with the distinct values, not with
the nodes. The reports are all checked: an equal key means the same values passed the same
checks. With `full`, every report is read whole (a [check] policy may read any fact).
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from dataclasses import dataclass, field

from dlenv.fleet.facts import gpu_total, node_facts
from dlenv.fleet.lean import full_report, lean_data, lean_report_of, node_key, per_node_fields
from dlenv.fleet.model import NodeFinding
from dlenv.report.model import Report

MEMO_LIMIT = 4096  # distinct reports remembered; past it the memo starts again (memory stays flat)
MEMO_TRIAL = 512  # reports read before the memo is judged: kept only when most nodes are alike


@dataclass(frozen=True, kw_only=True)
class Alike:
    """What a node's report says that another node's may say too (shared between them)."""

    facts: dict[str, str]  # fact key -> value as shown (`dlenv.fleet.facts`)
    gpus: int | None  # GPUs the node has; None: could not tell
    findings: list[NodeFinding]
    unknown: dict[str, str] = field(default_factory=dict)  # sections that could not be read


@dataclass(frozen=True, kw_only=True)
class Reading:
    """One report as a fleet keeps it."""

    hostname: str | None
    created_at: str
    alike: Alike
    report: Report | None = None  # the whole report, read with `full` only


class NodeReader:
    """Reads reports for one merge: nodes alike are checked and reduced once, and share it."""

    def __init__(self, *, full: bool = False) -> None:
        self.full = full
        self._memo: dict[Hashable, Alike] = {}
        self._memo_on = not full
        self._hits = 0
        self._misses = 0
        self._facts: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._findings: dict[tuple[NodeFinding, ...], list[NodeFinding]] = {}
        self._alike: dict[tuple[int, int | None, int, tuple[tuple[str, str], ...]], Alike] = {}

    def read(self, text: str, source: str) -> Reading:
        """The report in `text`; a `DlenvError` (one line) when it is not a readable report."""
        if self.full:
            report = full_report(text, source)
            return self._reading(report, report)
        data = lean_data(text, source)
        key = node_key(data) if self._memo_on else None
        alike = self._memo.get(key) if key is not None else None
        if alike is None:
            report = lean_report_of(data, source)
            reading = self._reading(report, None)
            if key is not None:
                self._remember(key, reading.alike)
            return reading
        self._hits += 1
        created_at, hostname = per_node_fields(data, source)
        return Reading(hostname=hostname, created_at=created_at, alike=alike)

    def _remember(self, key: Hashable, alike: Alike) -> None:
        self._misses += 1
        if self._misses >= MEMO_TRIAL and self._hits < self._misses:
            # nodes that all differ: a key costs a third of a read and saves nothing
            self._memo_on = False
            self._memo.clear()
            return
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = alike

    def _reading(self, report: Report, kept: Report | None) -> Reading:
        s = report.snapshot
        findings = [
            NodeFinding(
                code=f.code, name=f.name, severity=f.severity, title=f.title, subject=f.subject
            )
            for f in report.findings
        ]
        alike = self.intern(
            Alike(
                facts=node_facts(s, report.dlenv_version),
                gpus=gpu_total(s),
                findings=findings,
                unknown=dict(s.unknown),
            )
        )
        return Reading(
            hostname=s.host.hostname, created_at=report.created_at, alike=alike, report=kept
        )

    def intern(self, alike: Alike) -> Alike:
        """The one `Alike` equal to `alike` this reader has (read here or in a worker)."""
        facts_key = tuple((sys.intern(k), sys.intern(v)) for k, v in alike.facts.items())
        facts = self._facts.setdefault(facts_key, dict(facts_key))
        findings = self._findings.setdefault(tuple(alike.findings), alike.findings)
        unknown_key = tuple(sorted(alike.unknown.items()))
        key = (id(facts), alike.gpus, id(findings), unknown_key)
        found = self._alike.get(key)
        if found is None:
            found = Alike(facts=facts, gpus=alike.gpus, findings=findings, unknown=alike.unknown)
            self._alike[key] = found
        return found

