"""Package steps as argv lists for pip, conda or uv, run by (or for) the target interpreter.

Requirements and index URLs from a report are validated first, so none can pass as an option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from dlenv.errors import DlenvError
from dlenv.fix.actions import InstallPackages

INSTALLERS = ("pip", "conda", "uv")
# Matched whole (fullmatch: `$` would accept a trailing newline). The conda spec is a name, then
# any run of version and operator characters: one flat class, never nested stars, which
# backtrack exponentially on a hostile spec.
_URL = re.compile(r"https?://[^\s'\"`$\\]+")
_CONDA_SPEC = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*[<>=!~,*. A-Za-z0-9_+]*")
_CHANNEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*|https?://[^\s'\"`$\\]+")


@dataclass(frozen=True)
class Command:
    argv: list[str]
    note: str | None = None


def requirement_name(spec: str) -> str:
    try:
        return re.sub(r"[-_.]+", "-", Requirement(spec).name).lower()
    except InvalidRequirement:
        raise DlenvError(f"not a valid requirement: {spec!r}") from None


def check_action(action: InstallPackages) -> None:
    """Refuse anything that a package manager could read as an option or a shell could expand."""
    for spec in [*action.packages, *action.uninstall]:
        if spec.startswith("-"):
            raise DlenvError(f"not a valid requirement: {spec!r}")
        requirement_name(spec)
    for url in (action.index_url, action.extra_index_url):
        if url is not None and not _URL.fullmatch(url):
            raise DlenvError(f"not a valid index URL: {url!r}")
    for spec in action.conda_packages:
        if not _CONDA_SPEC.fullmatch(spec):
            raise DlenvError(f"not a valid conda package spec: {spec!r}")
    for channel in action.conda_channels:
        if not _CHANNEL.fullmatch(channel):
            raise DlenvError(f"not a valid conda channel: {channel!r}")


def install_commands(
    action: InstallPackages,
    *,
    installer: str,
    python: str,
    prefix: str | None = None,
    conda_installed: Sequence[str] = (),
) -> list[Command]:
    """The commands for one (merged) install action, uninstalls first.

    `conda_installed` names distributions that conda put there: pip cannot remove those.
    """
    check_action(action)
    out: list[Command] = []
    by_conda = set(conda_installed)
    conda_removals = [n for n in action.uninstall if requirement_name(n) in by_conda]
    pip_removals = [n for n in action.uninstall if requirement_name(n) not in by_conda]
    where = ["--prefix", prefix] if prefix else []
    if conda_removals:
        out.append(Command(["conda", "remove", *where, *conda_removals], "installed by conda"))
    if pip_removals:
        if installer == "uv":
            out.append(Command(["uv", "pip", "uninstall", "--python", python, *pip_removals]))
        else:
            out.append(Command([python, "-m", "pip", "uninstall", "-y", *pip_removals]))
    if not action.packages and not action.conda_packages:
        return out
    if installer == "conda" and action.conda_packages:
        channels = [a for c in action.conda_channels for a in ("-c", c)]
        out.append(Command(["conda", "install", *where, *channels, *action.conda_packages]))
        return out
    indexes: list[str] = []
    if action.index_url:
        indexes += ["--index-url", action.index_url]
    if action.extra_index_url:
        indexes += ["--extra-index-url", action.extra_index_url]
    if installer == "uv":
        out.append(
            Command(["uv", "pip", "install", "--python", python, *action.packages, *indexes])
        )
    else:
        note = (
            "no conda package named; pip inside the environment" if installer == "conda" else None
        )
        out.append(Command([python, "-m", "pip", "install", *action.packages, *indexes], note))
    return out
