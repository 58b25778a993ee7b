"""The fix planner: findings' Actions merged, deduplicated and ordered into numbered steps.

Conflicting actions (one variable set to two values) are left out and reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from dlenv.errors import DlenvError
from dlenv.fix.actions import (
    Action,
    EnvAction,
    InstallPackages,
    ManualStep,
    PrependPath,
    RemoveFromPath,
    SetEnv,
    UnsetEnv,
)
from dlenv.fix.render.installers import Command, check_action, install_commands, requirement_name
from dlenv.probes.envvars import is_secret_name
from dlenv.rules.findings import Finding
from dlenv.snapshot.model import Snapshot

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def looks_secret(name: str) -> bool:
    """The same rule that redacts collected variables (dlenv.probes.envvars)."""

    return is_secret_name(name)


@dataclass(frozen=True)
class Step:
    number: int
    kind: str  # "install", "env", "manual"
    codes: list[str]
    title: str
    actions: list[Action]
    commands: list[Command] = field(default_factory=list)  # install steps only


@dataclass(frozen=True)
class Plan:
    steps: list[Step]
    conflicts: list[str]
    python: str
    installer: str
    prefix: str | None = None

    @property
    def env_actions(self) -> list[EnvAction]:
        return [a for s in self.steps if s.kind == "env" for a in s.actions]  # type: ignore[misc]

    @property
    def install_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "install"]


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise DlenvError(f"not a valid environment variable name: {name!r}")


def plan_fixes(
    findings: Sequence[Finding],
    snapshot: Snapshot,
    *,
    installer: str = "pip",
    python: str | None = None,
) -> Plan:
    """Merge the fixes of every finding into steps: packages, then environment, then manual."""
    tagged: list[tuple[str, Action]] = [(f.code, a) for f in findings for a in f.fixes]
    conflicts: list[str] = []
    installs = _merge_installs(
        [(c, a) for c, a in tagged if isinstance(a, InstallPackages)], conflicts
    )
    env = merge_env(
        [
            (c, a)
            for c, a in tagged
            if isinstance(a, SetEnv | UnsetEnv | PrependPath | RemoveFromPath)
        ],
        conflicts,
    )
    manual: dict[tuple[str, tuple[str, ...], str | None], tuple[ManualStep, list[str]]] = {}
    for code, action in tagged:
        if isinstance(action, ManualStep):
            key = (action.text, tuple(action.commands), action.url)
            manual.setdefault(key, (action, []))[1].append(code)

    target = python or snapshot.python.executable or "python"
    prefix = snapshot.python.prefix if snapshot.python.kind == "conda" else None
    conda_installed = [d.name for d in snapshot.python.distributions if d.installer == "conda"]
    steps: list[Step] = []
    for codes, action in installs:
        commands = install_commands(
            action,
            installer=installer,
            python=target,
            prefix=prefix,
            conda_installed=conda_installed,
        )
        names = ", ".join(action.packages or action.conda_packages or action.uninstall)
        verb = "Install" if action.packages or action.conda_packages else "Uninstall"
        steps.append(Step(len(steps) + 1, "install", codes, f"{verb} {names}", [action], commands))
    for codes, env_action in env:
        steps.append(Step(len(steps) + 1, "env", codes, env_title(env_action), [env_action]))
    for step, codes in manual.values():
        steps.append(Step(len(steps) + 1, "manual", _unique(codes), step.text, [step]))
    return Plan(steps, conflicts, target, installer, prefix)


def env_title(action: EnvAction) -> str:
    if isinstance(action, SetEnv):
        shown = "<redacted>" if looks_secret(action.name) else action.value
        return f"Set {action.name} to {shown}"
    if isinstance(action, UnsetEnv):
        return f"Unset {action.name}"
    if isinstance(action, PrependPath):
        return f"Put {', '.join(action.entries)} first in {action.name}"
    return f"Remove {', '.join(action.entries)} from {action.name}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge_installs(
    tagged: list[tuple[str, InstallPackages]], conflicts: list[str]
) -> list[tuple[list[str], InstallPackages]]:
    """One install per package index; a package pinned two ways is left out and reported."""
    for _, action in tagged:
        check_action(action)
    wanted: dict[str, dict[str, list[str]]] = {}  # name -> spec -> codes
    for code, action in tagged:
        for spec in action.packages:
            wanted.setdefault(requirement_name(spec), {}).setdefault(spec, []).append(code)
    clashing = {name for name, specs in wanted.items() if len(specs) > 1}
    for name in sorted(clashing):
        options = "; ".join(
            f"{spec} ({', '.join(_unique(codes))})" for spec, codes in wanted[name].items()
        )
        conflicts.append(f"{name}: the findings ask for different versions: {options}")
    groups: dict[tuple[str | None, str | None], tuple[list[str], InstallPackages]] = {}
    for code, action in tagged:
        packages = [p for p in action.packages if requirement_name(p) not in clashing]
        if not packages and not action.uninstall and not action.conda_packages:
            continue
        key = (action.index_url, action.extra_index_url)
        if key not in groups:
            groups[key] = ([], replace(action, packages=[], reason=None))
        codes, merged = groups[key]
        codes.append(code)
        groups[key] = (
            codes,
            replace(
                merged,
                packages=_unique([*merged.packages, *packages]),
                uninstall=_unique([*merged.uninstall, *action.uninstall]),
                conda_packages=_unique([*merged.conda_packages, *action.conda_packages]),
                conda_channels=_unique([*merged.conda_channels, *action.conda_channels]),
            ),
        )
    return [(_unique(codes), action) for codes, action in groups.values()]


def merge_env(
    tagged: Sequence[tuple[str, EnvAction]], conflicts: list[str]
) -> list[tuple[list[str], EnvAction]]:
    """Merge environment actions per variable: unset, set, remove entries, prepend entries.

    Two prepends of one entry become one; a variable asked for two incompatible ways (two
    values, set and unset, set and edited as a list, an entry both added and removed) is left
    out and reported in `conflicts`.
    """
    by_var: dict[str, list[tuple[str, EnvAction]]] = {}
    for code, action in tagged:
        check_name(action.name)
        by_var.setdefault(action.name, []).append((code, action))
    out: list[tuple[list[str], EnvAction]] = []
    for name, items in by_var.items():
        sets: dict[str, list[str]] = {}
        for code, a in items:
            if isinstance(a, SetEnv):
                sets.setdefault(a.value, []).append(code)
        unsets = [c for c, a in items if isinstance(a, UnsetEnv)]
        lists: list[tuple[str, PrependPath | RemoveFromPath]] = [
            (c, a) for c, a in items if isinstance(a, PrependPath | RemoveFromPath)
        ]
        shown = {v: ("<redacted>" if looks_secret(name) else repr(v)) for v in sets}
        kinds = (len(sets) > 0) + (len(unsets) > 0) + (len(lists) > 0)
        if len(sets) > 1 or kinds > 1:
            parts = [f"set to {shown[v]} ({', '.join(_unique(c))})" for v, c in sets.items()]
            if unsets:
                parts.append(f"unset ({', '.join(_unique(unsets))})")
            if lists:
                parts.append(f"edited as a path list ({', '.join(_unique(c for c, _ in lists))})")
            conflicts.append(f"{name}: the findings disagree: " + "; ".join(parts))
            continue
        if sets:
            ((value, codes),) = sets.items()
            out.append((_unique(codes), SetEnv(name=name, value=value)))
        elif unsets:
            out.append((_unique(unsets), UnsetEnv(name=name)))
        else:
            out.extend(_merge_lists(name, lists, conflicts))
    return out


def _merge_lists(
    name: str, items: Sequence[tuple[str, PrependPath | RemoveFromPath]], conflicts: list[str]
) -> list[tuple[list[str], EnvAction]]:
    add: dict[str, list[str]] = {}
    drop: dict[str, list[str]] = {}
    for code, action in items:
        target = add if isinstance(action, PrependPath) else drop
        for entry in action.entries:
            target.setdefault(entry, []).append(code)
    both = [e for e in add if e in drop]
    for entry in both:
        conflicts.append(
            f"{name}: {entry} is both added ({', '.join(_unique(add.pop(entry)))}) "
            f"and removed ({', '.join(_unique(drop.pop(entry)))})"
        )
    out: list[tuple[list[str], EnvAction]] = []
    if drop:
        codes = _unique(c for cs in drop.values() for c in cs)
        out.append((codes, RemoveFromPath(name=name, entries=list(drop))))
    if add:
        codes = _unique(c for cs in add.values() for c in cs)
        out.append((codes, PrependPath(name=name, entries=list(add))))
    return out
