"""The policy `dlenv check` enforces: found in dlenv.toml or pyproject.toml, validated strictly.

The policy lives in the `[check]` table of `dlenv.toml` or in `[tool.dlenv.check]` of
`pyproject.toml`, found from the working directory upward (the first directory with either file
that has the table wins; `dlenv.toml` before `pyproject.toml` in the same directory), or named
with `--policy FILE`. An unknown key, a bad version specifier or a wrong type is a `DlenvError`
naming the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dlenv.errors import DlenvError

# frameworks dlenv knows how to find statically and probe live
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "tf-keras")
CODE_RE = re.compile(r"^DL\d{3}$")
CC_RE = re.compile(r"^(\d+)\.(\d+)$")
# the checks of `dlenv smoke` (dlenv.smoke.plan.CHECKS; not imported: policies load light)
SMOKE_CHECKS = ("train", "save_load", "tensorboard", "allreduce", "memory")


@dataclass(frozen=True)
class NamePattern:
    """A GPU name pattern: a case-insensitive glob, or a regular expression written `re:...`."""

    text: str

    @property
    def is_regex(self) -> bool:
        return self.text.startswith("re:")

    def matches(self, name: str) -> bool:
        if self.is_regex:
            return re.search(self.text[3:], name, re.IGNORECASE) is not None
        return fnmatchcase(name.lower(), self.text.lower())


@dataclass(frozen=True)
class HealthLimits:
    """Limits on what NVML reports per GPU; None: not checked."""

    max_temperature_c: int | None = None
    max_ecc_uncorrectable: int | None = None
    max_retired_pages: int | None = None
    max_processes: int | None = None  # 0: the GPU must not be busy with other processes


@dataclass(frozen=True)
class Policy:
    source: str  # the file it came from
    table: str = "check"  # "check" or "tool.dlenv.check"
    min_gpus: int | None = None
    gpu_name: tuple[NamePattern, ...] = ()  # every GPU must match one of them
    min_gpu_memory_gib: float | None = None
    min_compute_capability: str | None = None  # "8.0"
    driver: str | None = None  # PEP 440 specifiers, compared as numeric release tuples
    driver_cuda: str | None = None  # the highest CUDA version the driver supports
    cuda: str | None = None  # CUDA toolkit
    cudnn: str | None = None
    python: str | None = None
    frameworks: dict[str, str] = field(default_factory=dict)  # name -> specifiers
    gpu_frameworks: tuple[str, ...] = ()  # must see and use the GPU (live probe)
    tensorflow_memory_growth: bool = False
    health: HealthLimits = field(default_factory=HealthLimits)
    ignore: tuple[str, ...] = ()  # finding codes that never fail the check
    fail_on_warnings: bool | tuple[str, ...] = False  # True: every warning; or these codes
    smoke: tuple[str, ...] = ()  # `dlenv smoke` checks that must pass: "train", "save_load"…


# -- reading ----------------------------------------------------------------------------------
def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    from dlenv.safeio import read_regular

    raw = read_regular(path)  # a FIFO or a device would block or be read forever
    if raw is None:
        raise DlenvError(f"{path}: cannot read (No such file or directory)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DlenvError(f"{path}: not a UTF-8 text file") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DlenvError(f"{path}: not valid TOML: {exc}") from None
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        raise DlenvError(f"{path}: not a policy (a number too long to read)") from None
    return data


def _policy_table(path: Path, data: dict[str, Any]) -> tuple[str, Any] | None:
    """The policy table of a parsed file and its dotted name, or None when the file has none."""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        dlenv = tool.get("dlenv", {}) if isinstance(tool, dict) else {}
        if isinstance(dlenv, dict) and "check" in dlenv:
            return "tool.dlenv.check", dlenv["check"]
        return None
    if "check" in data:
        return "check", data["check"]
    return None


def find_policy(start: Path) -> Path | None:
    """The nearest dlenv.toml with [check], or pyproject.toml with [tool.dlenv.check]."""
    for directory in (start, *start.parents):
        for name in ("dlenv.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file() and _policy_table(candidate, _load_toml(candidate)):
                return candidate
    return None


def load_policy(path: Path | None = None, cwd: Path | None = None) -> Policy:
    """The policy in `path`, or the one found from `cwd` upward; `DlenvError` when bad or none."""
    if path is None:
        start = (cwd or Path.cwd()).resolve()
        path = find_policy(start)
        if path is None:
            raise DlenvError(
                f"no policy found: no dlenv.toml with a [check] table or pyproject.toml with "
                f"[tool.dlenv.check] in {start} or above; write one or pass --policy FILE"
            )
    elif not path.is_file():
        raise DlenvError(f"{path}: policy file not found")
    data = _load_toml(path)
    found = _policy_table(path, data)
    if found is None:
        wanted = "[tool.dlenv.check]" if path.name == "pyproject.toml" else "[check]"
        raise DlenvError(f"{path}: no {wanted} table")
    table, body = found
    return parse_policy(body, source=str(path), table=table)


# -- validation -------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    if isinstance(value, dict):
        return "table"
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Pulls typed values out of one table, naming the file and the key in every error."""

    def __init__(self, source: str, table: str, body: dict[str, Any]) -> None:
        self.source, self.table, self.body = source, table, body

    def fail(self, key: str, expected: str, value: Any = None, *, show: bool = True) -> DlenvError:
        got = f", got {value!r} ({_kind(value)})" if show else ""
        return DlenvError(f"{self.source}: {self.table}.{key}: expected {expected}{got}")

    def check_keys(self, known: tuple[str, ...], moved: dict[str, str] | None = None) -> None:
        for key in self.body:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                if moved and key in moved:
                    hint = f" ({moved[key]})"
                raise DlenvError(
                    f"{self.source}: {self.table}.{key}: unknown key{hint}; "
                    f"known keys: {', '.join(known)}"
                )

    def integer(self, key: str, minimum: int = 0) -> int | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"a whole number >= {minimum}", value)
        return value

    def number(self, key: str) -> float | None:
        value = self.body.get(key)
        if value is None:
            return None
        # TOML has nan and inf: neither is an amount of memory (nan even passes `<= 0`)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise self.fail(key, "a finite number > 0", value)
        return float(value)

    def boolean(self, key: str) -> bool:
        value = self.body.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def specifier(self, key: str, value: Any = None) -> str | None:
        value = self.body.get(key) if value is None else value
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, 'a version specifier string such as ">=2.3"', value)
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise self.fail(
                key, 'PEP 440 version specifiers such as ">=2.3" or ">=2.3,<2.6"', value
            ) from None
        if not value.strip():
            raise self.fail(key, 'PEP 440 version specifiers such as ">=2.3"', value)
        return value

    def strings(
        self, key: str, expected: str, valid: Callable[[str], bool], *, single: bool = False
    ) -> tuple[str, ...]:
        value = self.body.get(key)
        if value is None:
            return ()
        items = [value] if single and isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            what = f"a string or an array of {expected}" if single else f"an array of {expected}"
            raise self.fail(key, what, value)
        for item in items:
            if not valid(item):
                raise self.fail(key, expected, item)
        return tuple(items)

    def table_of(self, key: str) -> dict[str, Any]:
        value = self.body.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return value


def _valid_regex(text: str) -> bool:
    if not text.startswith("re:"):
        return bool(text)
    try:
        re.compile(text[3:])
    except re.error:
        return False
    return True


def parse_policy(body: Any, source: str = "<policy>", table: str = "check") -> Policy:
    """Validate one policy table (already parsed from TOML)."""
    if not isinstance(body, dict):
        raise DlenvError(f"{source}: {table}: expected a table, got {_kind(body)}")
    r = _Reader(source, table, body)
    r.check_keys(
        (
            "min_gpus",
            "gpu_name",
            "min_gpu_memory_gib",
            "min_compute_capability",
            "driver",
            "driver_cuda",
            "cuda",
            "cudnn",
            "python",
            "frameworks",
            "gpu_frameworks",
            "tensorflow_memory_growth",
            "health",
            "ignore",
            "fail_on_warnings",
            "smoke",
        ),
        moved={
            name: f'framework versions go in [{table}.frameworks]: {name} = ">=…"'
            for name in FRAMEWORKS
        },
    )
    cc = body.get("min_compute_capability")
    if cc is not None and not (isinstance(cc, str) and CC_RE.match(cc)):
        raise r.fail("min_compute_capability", 'a string "MAJOR.MINOR" such as "8.0"', cc)

    frameworks_body = r.table_of("frameworks")
    fw = _Reader(source, f"{table}.frameworks", frameworks_body)
    fw.check_keys(FRAMEWORKS)
    frameworks = {name: str(fw.specifier(name)) for name in frameworks_body}

    health_body = r.table_of("health")
    health = _Reader(source, f"{table}.health", health_body)
    health.check_keys(
        ("max_temperature_c", "max_ecc_uncorrectable", "max_retired_pages", "max_processes")
    )

    fail_on_warnings: bool | tuple[str, ...]
    if isinstance(body.get("fail_on_warnings"), bool):
        fail_on_warnings = body["fail_on_warnings"]
    else:
        fail_on_warnings = r.strings(
            "fail_on_warnings",
            'rule codes such as "DL701" (or true for every warning)',
            lambda c: bool(CODE_RE.match(c)),
        )
    return Policy(
        source=source,
        table=table,
        min_gpus=r.integer("min_gpus"),
        gpu_name=tuple(
            NamePattern(p)
            for p in r.strings(
                "gpu_name",
                'non-empty GPU name patterns (a glob such as "*A100*", or "re:REGEX")',
                _valid_regex,
                single=True,
            )
        ),
        min_gpu_memory_gib=r.number("min_gpu_memory_gib"),
        min_compute_capability=cc,
        driver=r.specifier("driver"),
        driver_cuda=r.specifier("driver_cuda"),
        cuda=r.specifier("cuda"),
        cudnn=r.specifier("cudnn"),
        python=r.specifier("python"),
        frameworks=frameworks,
        gpu_frameworks=r.strings(
            "gpu_frameworks",
            f"framework names ({', '.join(FRAMEWORKS)})",
            lambda n: n in FRAMEWORKS,
        ),
        tensorflow_memory_growth=r.boolean("tensorflow_memory_growth"),
        health=HealthLimits(
            max_temperature_c=health.integer("max_temperature_c"),
            max_ecc_uncorrectable=health.integer("max_ecc_uncorrectable"),
            max_retired_pages=health.integer("max_retired_pages"),
            max_processes=health.integer("max_processes"),
        ),
        ignore=r.strings("ignore", 'rule codes such as "DL701"', lambda c: bool(CODE_RE.match(c))),
        fail_on_warnings=fail_on_warnings,
        smoke=r.strings(
            "smoke",
            f"smoke check names ({', '.join(SMOKE_CHECKS)})",
            lambda n: n in SMOKE_CHECKS,
        ),
    )


# -- explaining -------------------------------------------------------------------------------
def explain_policy(policy: Policy) -> str:
    """The policy as dlenv understood it, one requirement a line (`--explain-policy`)."""
    lines = [f"Policy from {policy.source} [{policy.table}]:"]
    add = lines.append
    if policy.min_gpus is not None:
        add(f"  min_gpus: at least {policy.min_gpus} visible GPU(s)")
    if policy.gpu_name:
        kinds = ", ".join(
            f"regex {p.text[3:]!r}" if p.is_regex else f"glob {p.text!r}" for p in policy.gpu_name
        )
        add(f"  gpu_name: every GPU's name matches {kinds} (case-insensitive)")
    if policy.min_gpu_memory_gib is not None:
        add(f"  min_gpu_memory_gib: every GPU has at least {policy.min_gpu_memory_gib:g} GiB")
    if policy.min_compute_capability is not None:
        add(f"  min_compute_capability: every GPU is at least {policy.min_compute_capability}")
    versions = (
        ("driver", "NVIDIA driver", policy.driver),
        ("driver_cuda", "highest CUDA the driver supports", policy.driver_cuda),
        ("cuda", "a CUDA toolkit", policy.cuda),
        ("cudnn", "a cuDNN install", policy.cudnn),
        ("python", "Python", policy.python),
    )
    for key, what, spec in versions:
        if spec is not None:
            add(f"  {key}: {what} {spec}")
    for name, spec in policy.frameworks.items():
        add(f"  frameworks.{name}: {name} {spec}")
    for name in policy.gpu_frameworks:
        add(f"  gpu_frameworks: {name} sees a GPU and computes on it (live probe)")
    if policy.tensorflow_memory_growth:
        add("  tensorflow_memory_growth: TensorFlow allocates GPU memory on demand")
    limits = (
        ("max_temperature_c", "every GPU at most {} °C"),
        ("max_ecc_uncorrectable", "every GPU at most {} uncorrectable ECC error(s)"),
        ("max_retired_pages", "every GPU at most {} retired page(s)"),
        ("max_processes", "every GPU used by at most {} other process(es)"),
    )
    for key, text in limits:
        value = getattr(policy.health, key)
        if value is not None:
            add(f"  health.{key}: {text.format(value)}")
    for name in policy.smoke:
        add(f"  smoke: the {name} smoke check passes wherever it runs (dlenv smoke)")
    if policy.ignore:
        add(f"  ignore: findings {', '.join(policy.ignore)} never fail the check")
    if policy.fail_on_warnings is True:
        add("  fail_on_warnings: every warning fails the check")
    elif policy.fail_on_warnings:
        add(f"  fail_on_warnings: warnings {', '.join(policy.fail_on_warnings)} fail the check")
    if len(lines) == 1:
        add("  (no requirements: only the doctor's findings are checked)")
    add(
        "  findings: every error"
        + (", and the warnings above," if policy.fail_on_warnings else "")
        + " fails the check"
    )
    return "\n".join(lines) + "\n"


# -- [fleet]: consistency across the nodes of `dlenv fleet` -----------------------------------
# `same_<group> = true` asks every node to show the same value of these drift-table facts
# (dlenv.fleet.facts defines them); `same = [...]` names facts one by one.
FLEET_SAME_GROUPS: dict[str, tuple[str, ...]] = {
    "same_driver": ("driver", "driver_cuda"),
    "same_cuda": ("cuda",),
    "same_cudnn": ("cudnn",),
    "same_frameworks": ("frameworks.*",),
    "same_gpus": ("gpu_models", "gpu_count", "gpu_memory"),
    "same_python": ("python",),
    "same_kernel": ("kernel",),
    "same_os": ("os",),
    "same_container_toolkit": ("container_toolkit",),
    "same_dlenv": ("dlenv",),
}
FLEET_FACTS = (
    "dlenv",
    "os",
    "kernel",
    "python",
    "driver",
    "driver_cuda",
    "gpu_models",
    "gpu_count",
    "gpu_memory",
    "gpu_health",
    "container_toolkit",
    "cuda",
    "cudnn",
)
FLEET_FACT_RE = re.compile(r"^(?:frameworks|live)\.(?:\*|[a-z0-9][a-z0-9_-]*)$")


@dataclass(frozen=True)
class FleetPolicy:
    """The [fleet] table: what the nodes must share, and what the fleet as a whole must have."""

    source: str
    table: str = "fleet"  # "fleet" or "tool.dlenv.fleet"
    same: tuple[str, ...] = ()  # fact keys ("driver", "frameworks.*") equal on every node
    min_nodes: int | None = None  # readable reports
    min_total_gpus: int | None = None  # GPUs over all nodes
    max_unreadable: int = 0  # reports that could not be read before the gate fails


def _fleet_fact_ok(key: str) -> bool:
    return key in FLEET_FACTS or FLEET_FACT_RE.match(key) is not None


def parse_fleet_policy(body: Any, source: str = "<policy>", table: str = "fleet") -> FleetPolicy:
    """Validate one [fleet] table (already parsed from TOML)."""
    if not isinstance(body, dict):
        raise DlenvError(f"{source}: {table}: expected a table, got {_kind(body)}")
    r = _Reader(source, table, body)
    r.check_keys(
        (*FLEET_SAME_GROUPS, "same", "min_nodes", "min_total_gpus", "max_unreadable"),
    )
    same: list[str] = []
    for key, facts in FLEET_SAME_GROUPS.items():
        if r.boolean(key):
            same += facts
    same += r.strings(
        "same",
        f"drift-table fact names ({', '.join(FLEET_FACTS)}, frameworks.NAME, live.NAME)",
        _fleet_fact_ok,
    )
    return FleetPolicy(
        source=source,
        table=table,
        same=tuple(dict.fromkeys(same)),
        min_nodes=r.integer("min_nodes"),
        min_total_gpus=r.integer("min_total_gpus"),
        max_unreadable=r.integer("max_unreadable") or 0,
    )


def load_fleet_policy(path: Path) -> tuple[Policy | None, FleetPolicy | None]:
    """The [check] and [fleet] tables of `path` (pyproject.toml: [tool.dlenv.check] and
    [tool.dlenv.fleet]); either may be absent, not both."""
    if not path.is_file():
        raise DlenvError(f"{path}: policy file not found")
    data = _load_toml(path)
    found = _policy_table(path, data)
    check = parse_policy(found[1], source=str(path), table=found[0]) if found else None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        dlenv = tool.get("dlenv", {}) if isinstance(tool, dict) else {}
        body = dlenv.get("fleet") if isinstance(dlenv, dict) else None
        table = "tool.dlenv.fleet"
    else:
        body, table = data.get("fleet"), "fleet"
    fleet = parse_fleet_policy(body, source=str(path), table=table) if body is not None else None
    if check is None and fleet is None:
        wanted = "[check] or [fleet]"
        if table != "fleet":
            wanted = "[tool.dlenv.check] or [tool.dlenv.fleet]"
        raise DlenvError(f"{path}: no {wanted} table")
    return check, fleet


def explain_fleet_policy(policy: FleetPolicy) -> str:
    """The [fleet] table as dlenv understood it, one rule a line."""
    lines = [f"Fleet policy from {policy.source} [{policy.table}]:"]
    for key in policy.same:
        lines.append(f"  same: every node has the same {key}")
    if policy.min_nodes is not None:
        lines.append(f"  min_nodes: at least {policy.min_nodes} readable node report(s)")
    if policy.min_total_gpus is not None:
        lines.append(f"  min_total_gpus: at least {policy.min_total_gpus} GPU(s) over all nodes")
    lines.append(f"  max_unreadable: at most {policy.max_unreadable} unreadable report(s)")
    return "\n".join(lines) + "\n"
