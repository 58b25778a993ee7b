"""Where frameworks publish no wheels (data/wheels.json): the platform gaps behind pip's
"from versions: none" that no Python version would fix.
"""

from __future__ import annotations

import json
import re
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


@dataclass(frozen=True)
class PlatformEnd:
    """The last release of `package` with wheels for `platform`: pip there lists up to it."""

    package: str
    last: str
    platform: str  # "an Intel Mac (macOS x86_64)"
    os: str | None
    arch: str | None
    source: str


@cache
def platform_ends() -> tuple[PlatformEnd, ...]:
    text = resources.files("dlenv.kb").joinpath("data").joinpath("wheels.json").read_text("utf-8")
    return tuple(
        PlatformEnd(
            package=row["package"],
            last=row["last"],
            platform=row["platform"],
            os=row.get("os"),
            arch=row.get("arch"),
            source=row["source"],
        )
        for row in json.loads(text).get("last_releases", [])
    )


def platform_end(package: str, listed_last: str) -> PlatformEnd | None:
    """The platform whose wheels of `package` stop at `listed_last` (the newest version pip
    listed), when the KB records one: torch's list ending at 2.2.2 is an Intel Mac's."""
    try:
        last = Version(listed_last.split("+", 1)[0])
    except InvalidVersion:
        return None
    for end in platform_ends():
        if end.package == package and Version(end.last) == last:
            return end
    return None


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


# -- manylinux tags and the glibc they need (PEP 600; the legacy aliases of PEP 513/571/599) ----
_MANYLINUX = re.compile(
    r"(?<![A-Za-z0-9])(?:manylinux_2_(?P<minor>\d{1,2})|(?P<legacy>manylinux(?:1|2010|2014)))"
    r"_(?P<arch>x86_64|aarch64|i686|ppc64le|s390x|armv7l)\b"
)
_LEGACY_GLIBC = {"manylinux1": "2.5", "manylinux2010": "2.12", "manylinux2014": "2.17"}
# the glibc each distribution release ships (what pip's manylinux check reads from the system)
_DISTRO_GLIBC = {
    ("centos", "6"): "2.12",
    ("centos", "7"): "2.17",
    ("centos", "8"): "2.28",
    ("rhel", "6"): "2.12",
    ("rhel", "7"): "2.17",
    ("rhel", "8"): "2.28",
    ("oracle", "7"): "2.17",
    ("scientific", "7"): "2.17",
    ("amazon", "2"): "2.26",
    ("ubuntu", "14.04"): "2.19",
    ("ubuntu", "16.04"): "2.23",
    ("ubuntu", "18.04"): "2.27",
    ("ubuntu", "20.04"): "2.31",
    ("ubuntu", "22.04"): "2.35",
    ("debian", "8"): "2.19",
    ("debian", "9"): "2.24",
    ("debian", "10"): "2.28",
    ("debian", "11"): "2.31",
}
_DISTRO_NAMES = (
    ("red hat", "rhel"),
    ("rhel", "rhel"),
    ("redhat", "rhel"),
    ("centos", "centos"),
    ("oracle", "oracle"),
    ("scientific", "scientific"),
    ("amazon", "amazon"),
    ("ubuntu", "ubuntu"),
    ("debian", "debian"),
)
# releases from which a package's Linux wheels need a newer glibc than before (their manylinux
# tag rose): pip on an older system lists only the releases before, and nothing newer
GLIBC_FLOORS: tuple[tuple[str, str, str, str], ...] = (
    # package, first release, glibc, source
    (
        # 2.6 built only its CUDA 12.6 (and aarch64/ROCm/XPU) Linux wheels on manylinux 2.28;
        # "for the next PyTorch 2.7 release we plan to switch all Linux builds to Manylinux 2.28"
        "torch",
        "2.7.0",
        "2.28",
        "https://github.com/pytorch/pytorch/issues/123649 (PyTorch 2.6 release notes; "
        "https://dev-discuss.pytorch.org/t/pytorch-linux-wheels-switching-to-new-wheel-build-"
        "platform-manylinux-2-28-on-november-12-2024/2581)",
    ),
    (
        "onnxruntime",
        "1.17.0",
        "2.28",
        "https://github.com/microsoft/onnxruntime/releases/tag/v1.17.0 (\"Dropped CentOS 7 "
        "support. All Linux binaries now require glibc version >=2.28\")",
    ),
)


def manylinux_glibc(wheel: str) -> tuple[str, str] | None:
    """(the oldest glibc a wheel file's manylinux tags admit, the CPU they name), or None for a
    wheel with no manylinux tag. "x-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl" ->
    ("2.27", "x86_64"); "manylinux2014_x86_64" -> ("2.17", "x86_64")."""
    found: list[tuple[Version, str, str]] = []
    for m in _MANYLINUX.finditer(wheel):
        glibc = _LEGACY_GLIBC[m["legacy"]] if m["legacy"] else f"2.{int(m['minor'])}"
        found.append((Version(glibc), glibc, m["arch"]))
    if not found:
        return None
    low = min(found)
    return low[1], low[2]


def distro_glibc(distro: str | None, version: str | None) -> str | None:
    """The glibc a distribution release ships ("CentOS", "7.9" -> "2.17"), when the KB knows it."""
    if not distro or not version:
        return None
    name = distro.strip().lower()
    key = next((k for word, k in _DISTRO_NAMES if word in name), None)
    if key is None:
        return None
    v = version.strip()
    major = v.split(".")[0]
    return _DISTRO_GLIBC.get((key, v)) or _DISTRO_GLIBC.get((key, major))


def glibc_older(have: str, need: str) -> bool:
    """Whether glibc `have` is older than `need` ("2.17" < "2.28")."""
    try:
        return Version(have) < Version(need)
    except InvalidVersion:
        return False


def glibc_floor(package: str, requested: str | None) -> tuple[str, str, str] | None:
    """(first release, glibc, source) of the glibc floor a requested release of `package` is at
    or past; with no release asked for, the newest floor (the newest release is asked for)."""
    rows = [r for r in GLIBC_FLOORS if r[0] == package]
    if not rows:
        return None
    if requested is None:
        row = max(rows, key=lambda r: Version(r[1]))
        return row[1], row[2], row[3]
    try:
        want = Version(requested.split("+", 1)[0])
    except InvalidVersion:
        return None
    past = [r for r in rows if want >= Version(r[1])]
    if not past:
        return None
    row = max(past, key=lambda r: Version(r[1]))
    return row[1], row[2], row[3]


@dataclass(frozen=True)
class CpuWithoutAvx:
    """x86 CPU models that offer no AVX (data/wheels.json "cpus_without_avx")."""

    pattern: re.Pattern[str]
    family: str
    source: str


@cache
def cpus_without_avx() -> tuple[CpuWithoutAvx, ...]:
    text = resources.files("dlenv.kb").joinpath("data").joinpath("wheels.json").read_text("utf-8")
    return tuple(
        CpuWithoutAvx(
            pattern=re.compile(row["pattern"], re.IGNORECASE),
            family=row["family"],
            source=row["source"],
        )
        for row in json.loads(text)["cpus_without_avx"]
    )


def cpu_without_avx(model: str | None) -> CpuWithoutAvx | None:
    """The row naming `model` ("Intel(R) Xeon(R) CPU X5650 @ 2.67GHz", "Pentium G4400T") as a
    CPU without AVX, or None (unknown, or a CPU with AVX)."""
    if not model:
        return None
    return next((row for row in cpus_without_avx() if row.pattern.search(model[:300])), None)


def _month(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)


@cache
def _python_release_months() -> dict[str, tuple[int, int]]:
    text = resources.files("dlenv.kb").joinpath("data").joinpath("wheels.json").read_text("utf-8")
    return {k: _month(v) for k, v in json.loads(text)["python_releases"].items()}


@cache
def _old_pip_months() -> dict[str, tuple[int, int]]:
    text = resources.files("dlenv.kb").joinpath("data").joinpath("wheels.json").read_text("utf-8")
    return {k: _month(v) for k, v in json.loads(text)["pip_releases_before_calver"].items()}


def pip_release_month(version: str) -> tuple[int, int] | None:
    """(year, month) pip `version` came out: calendar versions since 18.0 (YY.N, about one a
    quarter: N=0 in January), a table before; None when unknown."""
    m = re.match(r"(\d{1,2})\.(\d{1,2})", version.strip())
    if m is None:
        return None
    major, minor = int(m[1]), int(m[2])
    if major >= 18:
        return 2000 + major, min(12, 1 + 3 * minor)
    return _old_pip_months().get(f"{major}.{minor}")


def newest_python_at(month: tuple[int, int]) -> tuple[str, tuple[int, int]] | None:
    """The newest CPython minor released by `month` (year, month), with its release month."""
    out = [(k, v) for k, v in _python_release_months().items() if v <= month]
    return max(out, key=lambda kv: kv[1]) if out else None


@dataclass(frozen=True)
class FirstWheels:
    """The first release of `package` with wheels for CPython `python`, and its month."""

    package: str
    python: str
    release: str
    month: tuple[int, int]
    source: str


@cache
def _first_wheels() -> tuple[FirstWheels, ...]:
    from dlenv.kb.tables import read_data

    return tuple(
        FirstWheels(r["package"], r["python"], r["release"], _month(r["month"]), r["source"])
        for r in read_data("wheels")["first_wheels_for_python"]
    )


def first_wheels_for_python(package: str, python: str) -> FirstWheels | None:
    """The first `package` release (torch, tensorflow) with wheels for `python`'s minor, or None
    when the KB does not record it."""
    m = re.match(r"(\d+)\.(\d+)", python.strip())
    if m is None:
        return None
    minor = f"{m[1]}.{m[2]}"
    return next((r for r in _first_wheels() if r.package == package and r.python == minor), None)


def python_released_by(python: str) -> tuple[int, int] | None:
    """The earliest month CPython `python` ("3.8.5") can have come out: its minor's first
    release plus about 1.5 months per bugfix release (they come about every two months, PEP
    602), so a report naming it is at least that late. None for a minor the KB lacks."""
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", python.strip())
    if m is None:
        return None
    first = _python_release_months().get(f"{m[1]}.{m[2]}")
    if first is None or not m[3]:
        return first
    months = first[0] * 12 + first[1] - 1 + (int(m[3]) * 3) // 2
    return months // 12, months % 12 + 1


def bundled_python(app: str, version: str) -> tuple[str, str] | None:
    """(the CPython minor, the source) that release `version` of `app` ("blender", "3.2")
    bundles, from kb/data/wheels.json's bundled_pythons; None when the KB does not know it."""
    from dlenv.kb.tables import read_data

    try:
        want = Version(version)
    except InvalidVersion:
        return None
    for row in read_data("wheels")["bundled_pythons"]:
        if row["app"] == app and Version(row["first"]) <= want <= Version(row["last"]):
            return str(row["python"]), str(row["source"])
    return None


@cache
def _stdlib_removals() -> dict[str, tuple[str, str]]:
    from dlenv.kb.tables import read_data

    return {
        name: (str(row["python"]), str(row["source"]))
        for row in read_data("wheels")["stdlib_removals"]
        for name in row["names"]
    }


def stdlib_removal(name: str) -> tuple[str, str] | None:
    """(the CPython minor that removed it, the source) for a standard-library module or
    module-level name ("distutils", "pkgutil.ImpImporter", "collections.Mapping"), from
    kb/data/wheels.json's stdlib_removals; None when no release the KB knows removed it."""
    return _stdlib_removals().get(name.strip())
