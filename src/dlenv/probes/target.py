"""The inspected interpreter, as the other static probes need it.

`collect_python` (in `dlenv.probes.pythonenv`) runs a small stdlib-only script with the target
interpreter and returns a `TargetInterpreter`: the user-facing `PythonFacts` plus the full list of
installed distributions and where the framework modules would be imported from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dlenv.snapshot.model import Distribution, PythonFacts

_CANON = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name: `Tensorflow_CPU` -> `tensorflow-cpu`."""
    return _CANON.sub("-", name).lower()


@dataclass(frozen=True)
class TargetInterpreter:
    facts: PythonFacts
    distributions: tuple[Distribution, ...] = ()  # every installed distribution, sys.path order
    module_origins: dict[str, str | None] = field(default_factory=dict)  # "torch" -> its path

    def distribution(self, name: str) -> Distribution | None:
        """The first (effective) install of a distribution on sys.path."""
        wanted = canonical_name(name)
        return next((d for d in self.distributions if d.name == wanted), None)

    @property
    def site_packages(self) -> list[str]:
        return self.facts.site_packages

    def installs(self, name: str) -> list[Distribution]:
        """Every install of a distribution on sys.path, the effective one first."""
        wanted = canonical_name(name)
        return [d for d in self.distributions if d.name == wanted]

    def first_of(self, names: tuple[str, ...]) -> Distribution | None:
        """The first distribution on sys.path whose name is one of `names` (PEP 503 names)."""
        return next((d for d in self.distributions if d.name in names), None)
