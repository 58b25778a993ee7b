"""The registry of rules: codes are validated and never reused.

Rules register with `@rule(code, name, severity, area)`; `finding(code, ...)` builds a Finding
that carries the rule's name, usual severity and documentation link.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from dlenv.fix.actions import Action
from dlenv.rules.findings import Evidence, Finding, Severity
from dlenv.snapshot.model import Snapshot

CODE_RE = re.compile(r"^DL\d{3}$")
# Each rule's page on the documentation site (mkdocs.yml `site_url`, pages made by
# scripts/gen_site.py): https://dlenv.github.io/dlenv/rules/dl101/. These URLs are printed in
# every finding, so they never change: a retired code keeps its page.
DOCS_BASE = "https://dlenv.github.io/dlenv/rules"
AREAS = {
    "1": "driver",
    "2": "cuda",
    "3": "gpu",
    "4": "frameworks",
    "5": "python",
    "6": "keras",
    "7": "memory",
    "8": "distributed",
    "9": "reported",
}
# Codes retired from the registry: never to be reused for another check.
RETIRED: frozenset[str] = frozenset()
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

RuleFn = Callable[[Snapshot], Iterator[Finding] | list[Finding]]
# A rule that judges what the other rules found (DL901): it runs last, over their findings.
FinalRuleFn = Callable[[Snapshot, list[Finding]], Iterator[Finding] | list[Finding]]
F = TypeVar("F", bound=Callable[..., Any])
ANY = "*"  # in `explained_by`: any error or warning of a rule that is not itself a symptom


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity  # the usual severity; a finding may say otherwise
    area: str
    fn: RuleFn | FinalRuleFn
    # Codes (or code prefixes, or ANY) whose error/warning findings explain this rule's finding
    # about the same subject: `diagnose()` then drops it. Rules never consult each other.
    explained_by: tuple[str, ...] = ()
    # A catch-all that states a symptom ("torch sees no GPU"), not a cause: a quoted message
    # whose only rules are symptoms still needs a cause (DL901).
    symptom: bool = False
    # Judges the other rules' findings instead of the Snapshot alone; runs after them.
    final: bool = False
    # Its findings are about a part of the machine that every framework's GPU use goes through
    # (the kernel driver, its modules and device nodes, the GPUs a process may see): they
    # explain findings about any subject ("torch sees no GPU" is explained by nvidia_uvm).
    machine_wide: bool = False

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")

    @property
    def docs_url(self) -> str:
        return docs_url(self.code)

    def check(self, snapshot: Snapshot, others: list[Finding] | None = None) -> list[Finding]:
        """Run the rule; a `final` rule also reads the other rules' findings (`others`)."""
        if self.final:
            return list(self.fn(snapshot, others or []))  # type: ignore[call-arg]
        return list(self.fn(snapshot))  # type: ignore[call-arg]

    def explained(self, f: Finding, by: Finding) -> bool:
        """Whether finding `by` explains this rule's finding `f`."""
        if not self.explained_by or by is f or by.code == f.code:
            return False
        if by.severity not in ("error", "warning"):
            return False
        if by.subject != f.subject and not _RULES[by.code].machine_wide:
            return False
        return any(
            (c == ANY and not _RULES[by.code].symptom) or (c != ANY and by.code.startswith(c))
            for c in self.explained_by
        )


_RULES: dict[str, Rule] = {}
_NAMES: set[str] = set()


def rule(
    code: str,
    name: str,
    severity: Severity,
    area: str,
    *,
    explained_by: tuple[str, ...] = (),
    symptom: bool = False,
    final: bool = False,
    machine_wide: bool = False,
) -> Callable[[F], F]:
    """Register a rule function under a stable code.

    `explained_by` names the rules whose finding about the same subject makes this one
    redundant; `symptom` marks a catch-all; `final` rules take `(snapshot, findings)`;
    `machine_wide` rules' findings explain findings about any subject.
    """

    def register(fn: F) -> F:
        if not CODE_RE.match(code):
            raise ValueError(f"bad rule code {code!r}")
        if not NAME_RE.match(name):
            raise ValueError(f"bad rule name {name!r}")
        if AREAS.get(code[2]) != area:
            raise ValueError(f"rule {code} is in area {area!r}, its code says {AREAS.get(code[2])}")
        if code in RETIRED:
            raise ValueError(f"rule code {code} is retired and may not be reused")
        if code in _RULES or name in _NAMES:
            raise ValueError(f"rule {code} {name} registered twice")
        for c in explained_by:
            if c != ANY and not re.match(r"^DL\d{1,3}$", c):
                raise ValueError(f"rule {code}: bad explained_by entry {c!r}")
        _RULES[code] = Rule(
            code, name, severity, area, fn, explained_by, symptom, final, machine_wide
        )
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


def docs_url(code: str) -> str:
    """The rule's page on the documentation site."""
    return f"{DOCS_BASE}/{code.lower()}/"


def finding(
    code: str,
    *,
    title: str,
    message: str,
    evidence: list[Evidence] | None = None,
    hint: str | None = None,
    fixes: list[Action] | None = None,
    subject: str | None = None,
    severity: Severity | None = None,
    confirmed_by: str | None = None,
) -> Finding:
    """A finding of the registered rule `code`, with its name, severity and docs link."""
    registered = _RULES[code]
    return Finding(
        code=code,
        name=registered.name,
        severity=severity or registered.severity,
        title=title,
        message=message,
        evidence=evidence or [],
        hint=hint,
        fixes=fixes or [],
        subject=subject,
        docs_url=docs_url(code),
        confirmed_by=confirmed_by,
    )
