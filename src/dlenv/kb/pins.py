"""The CUDA component wheels each framework release on PyPI pins (data/cuda_pins.json, written
by scripts/gen_cuda_pins.py from PyPI's metadata): what a release brings when a paste states
only its version, not its installed METADATA.

Loaded on first use, not with the rest of the knowledge base: only the pins rules ask for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from packaging.version import InvalidVersion, Version

from dlenv.errors import DlenvError
from dlenv.kb.tables import AsOf, read_data


@dataclass(frozen=True)
class PinnedRelease:
    """One release's CUDA wheels on Linux x86_64 (markers evaluated, `extra` applied)."""

    package: str  # "torch", "tensorflow", "jax-cuda12-plugin"
    version: str  # "2.5.1"
    extra: str | None  # the extra that brings the wheels ("and-cuda", "with-cuda"); None: always
    wheel: str  # the wheel whose METADATA was read
    requires: tuple[str, ...]  # "nvidia-cudnn-cu12==9.1.0.70", "nvidia-nccl-cu12>=2.18.1"
    source: str  # https://pypi.org/project/torch/2.5.1/


@dataclass(frozen=True)
class CudaPins:
    releases: tuple[PinnedRelease, ...]
    same_soname: frozenset[str]  # components whose soname carries no CUDA major: "cudnn", "nccl"
    same_soname_note: str
    same_soname_source: str
    platform: str
    as_of: AsOf


@cache
def cuda_pins() -> CudaPins:
    try:
        data = read_data("cuda_pins")
        same = data["same_soname"]
        return CudaPins(
            releases=tuple(
                PinnedRelease(
                    package=r["package"],
                    version=r["version"],
                    extra=r.get("extra"),
                    wheel=r["wheel"],
                    requires=tuple(r["requires"]),
                    source=r["source"],
                )
                for r in data["releases"]
            ),
            same_soname=frozenset(same["components"]),
            same_soname_note=same["note"],
            same_soname_source=same["source"],
            platform=data["platform"],
            as_of=AsOf(**data["as_of"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DlenvError(f"knowledge base file cuda_pins.json is unreadable: {exc}") from None


def _parse(version: str) -> Version | None:
    try:
        return Version(version.split("+", 1)[0])
    except InvalidVersion:
        return None


def pinned_releases(package: str, version: str) -> tuple[PinnedRelease, ...]:
    """The releases of `package` a stated version names: "2.5.1" that one, "2.5" each 2.5.x
    (a rule then holds only what all of them pin); () when the table has none."""
    wanted = _parse(version)
    if wanted is None:
        return ()
    parts = len(version.split("+", 1)[0].split("."))
    out = []
    for row in cuda_pins().releases:
        if row.package != package:
            continue
        have = _parse(row.version)
        if have is None:
            continue
        if have == wanted or (parts == 2 and have.release[:2] == wanted.release[:2]):
            out.append(row)
    return tuple(out)


def package_releases(package: str) -> tuple[PinnedRelease, ...]:
    return tuple(r for r in cuda_pins().releases if r.package == package)


_COMPONENT = re.compile(r"^nvidia-(?P<component>[a-z0-9-]+?)-cu(?P<major>\d{2})$")


def wheel_component(name: str) -> tuple[str, int] | None:
    """ "nvidia-nccl-cu13" -> ("nccl", 13); "nvidia-cudnn-cu12" -> ("cudnn", 12); None for a
    wheel without a CUDA major in its name."""
    m = _COMPONENT.match(name)
    return (m.group("component"), int(m.group("major"))) if m else None


@dataclass(frozen=True)
class StatedPins:
    """What a framework stated only by its version brings: the requirements every release the
    version names pins, and where they were read."""

    requires: tuple[str, ...]
    source: str  # a URL (or several, ", "-separated)
    what: str  # "PyPI metadata of torch 2.5.1"


def _common(rows: tuple[PinnedRelease, ...], what: str) -> StatedPins | None:
    if not rows:
        return None
    common = [r for r in rows[0].requires if all(r in other.requires for other in rows[1:])]
    if not common:
        return None
    versions = ", ".join(r.version for r in rows)
    return StatedPins(
        requires=tuple(common),
        source=", ".join(r.source for r in rows[:3]) + (", …" if len(rows) > 3 else ""),
        what=f"PyPI metadata of {what} {versions}",
    )


def _torch_pins(version: str) -> StatedPins | None:
    from dlenv.kb.queries import torch_release, torch_variant

    base, _, local = version.partition("+")
    release = torch_release(base)
    default = release.default_variant if release is not None else None
    if not local or local == default:
        # PyPI's wheel (no local tag) or the pytorch.org build of PyPI's default variant
        return _common(pinned_releases("torch", base), "torch")
    if not local.startswith("cu"):
        return None  # +cpu, +rocm6.0: no nvidia wheels
    # another CUDA variant of download.pytorch.org: its metadata is not in the table, but the
    # release table names the cuDNN wheel it pins
    row = torch_variant(base, local)
    if row is None or not row.cudnn or release is None:
        return None
    major = row.cuda.split(".", 1)[0]
    return StatedPins(
        requires=(f"nvidia-cudnn-cu{major}=={row.cudnn}",),
        source=row.source or release.source,
        what=f"the cuDNN of torch {base}+{local} (knowledge base: torch.json)",
    )


def stated_pins(
    name: str, distribution: str, version: str, extras: tuple[str, ...], variant: str | None
) -> StatedPins | None:
    """The CUDA wheels a framework stated by version (and extras) pins on Linux x86_64, or
    None where it pins none or the table cannot tell: tensorflow only with [and-cuda], jax only
    with a cudaNN extra or plugin (not the -local one), torch from PyPI or its default variant."""
    if not version:
        return None
    if name == "torch" and distribution == "torch":
        return _torch_pins(version)
    if name == "tensorflow" and distribution == "tensorflow":
        if "and-cuda" not in extras:
            return None
        return _common(pinned_releases("tensorflow", version), "tensorflow[and-cuda]")
    if name == "jax":
        majors = [e.removeprefix("cuda") for e in extras if re.fullmatch(r"cuda1\d", e)]
        if not majors and variant and re.fullmatch(r"cuda1\d", variant):
            majors = [variant.removeprefix("cuda")]
        if len(majors) != 1:
            return None
        # jax <= 0.4.29 pins the wheels on its own cuda12 extra, later releases on the plugin's
        plugin = f"jax-cuda{majors[0]}-plugin"
        own = tuple(r for r in pinned_releases("jax", version) if r.requires)
        if majors[0] == "12" and own:
            return _common(own, "jax[cuda12]")
        return _common(pinned_releases(plugin, version), f"{plugin}[with-cuda]")
    if package_releases(distribution):
        return _common(pinned_releases(distribution, version), distribution)
    return None
