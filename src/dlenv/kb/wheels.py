"""Where frameworks publish no wheels (data/wheels.json): the platform gaps behind pip's
"from versions: none" that no Python version would fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class WheelGap:
    packages: tuple[str, ...]
    note: str
    route: str
    commands: tuple[str, ...]
    source: str
    os: tuple[str, ...] | None = None  # "Windows", "Darwin", "Linux"
    arch: tuple[str, ...] | None = None  # "x86_64", "arm64", "armv7l"
    bits: int | None = None
    versions: tuple[str, ...] | None = None  # specifier sets, any of which may hold
    cuda: bool = False


@cache
def wheel_gaps() -> tuple[WheelGap, ...]:
    text = resources.files("dlenv.kb").joinpath("data").joinpath("wheels.json").read_text("utf-8")
    out = []
    for row in json.loads(text)["gaps"]:
        out.append(
            WheelGap(
                packages=tuple(row["packages"]),
                note=row["note"],
                route=row["route"],
                commands=tuple(row.get("commands", ())),
                source=row["source"],
                os=tuple(row["os"]) if "os" in row else None,
                arch=tuple(row["arch"]) if "arch" in row else None,
                bits=row.get("bits"),
                versions=tuple(row["versions"]) if "versions" in row else None,
                cuda=bool(row.get("cuda", False)),
            )
        )
    return tuple(out)


def normalise_arch(arch: str | None) -> str | None:
    """ "AMD64" -> "x86_64", "aarch64" stays, "armv7l" stays; None when unknown."""
    if not arch:
        return None
    a = arch.strip().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "x86-64": "x86_64", "arm64": "arm64"}.get(a, a)


def _version_in(gap: WheelGap, requested: str | None, nothing_seen: bool) -> bool:
    if gap.versions is None:
        return True
    if requested is None:
        # "the newest": inside a gap open upwards; with nothing at all seen, the report is from
        # before the platform was supported, inside a gap bounded above
        if nothing_seen:
            return True
        return any(">" in spec for spec in gap.versions)
    try:
        version = Version(requested.split("+", 1)[0])
        return any(version in SpecifierSet(spec) for spec in gap.versions)
    except (InvalidVersion, InvalidSpecifier):
        return False


def wheel_gap(
    package: str,
    requested: str | None,
    *,
    os_name: str | None,
    arch: str | None,
    bits: int | None,
    nothing_seen: bool,
) -> WheelGap | None:
    """The gap that explains why `package` (`requested`, or the newest) has no wheel here."""
    cuda = bool(requested and "+cu" in requested)
    for gap in wheel_gaps():
        if package not in gap.packages:
            continue
        if gap.bits is not None and bits != gap.bits:
            continue
        if gap.os is not None and os_name not in gap.os:
            continue
        if gap.arch is not None and normalise_arch(arch) not in gap.arch:
            continue
        if gap.cuda and not cuda:
            continue
        if not _version_in(gap, requested, nothing_seen):
            continue
        return gap
    return None
