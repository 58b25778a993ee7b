"""The registry of rules: codes are validated and never reused."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dlenv.rules.findings import Finding, Severity
from dlenv.snapshot.model import Snapshot

CODE_RE = re.compile(r"^DL\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

RuleFn = Callable[[Snapshot], Iterator[Finding] | list[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity  # the usual severity; a finding may say otherwise
    area: str
    fn: RuleFn

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()

    def check(self, snapshot: Snapshot) -> list[Finding]:
        return list(self.fn(snapshot))


_RULES: dict[str, Rule] = {}
_NAMES: set[str] = set()


def rule(code: str, name: str, severity: Severity, area: str) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under a stable code."""

    def register(fn: RuleFn) -> RuleFn:
        if not CODE_RE.match(code):
            raise ValueError(f"bad rule code {code!r}")
        if not NAME_RE.match(name):
            raise ValueError(f"bad rule name {name!r}")
        if code in _RULES or name in _NAMES:
            raise ValueError(f"rule {code} {name} registered twice")
        _RULES[code] = Rule(code, name, severity, area, fn)
        _NAMES.add(name)
        return fn

    return register


def _load() -> None:
    # importing the rule modules registers their rules
    from dlenv.rules import catalog  # noqa: F401


def all_rules() -> list[Rule]:
    _load()
    return [_RULES[c] for c in sorted(_RULES)]


def get_rule(code_or_name: str) -> Rule | None:
    _load()
    key = code_or_name.strip()
    if key.upper() in _RULES:
        return _RULES[key.upper()]
    return next((r for r in _RULES.values() if r.name == key), None)
