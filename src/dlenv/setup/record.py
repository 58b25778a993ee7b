"""The record of a built environment: `dlenv.toml` beside it, with a `[check]` policy that holds
the result (so CI gates on the same environment with `dlenv check`) and a `[setup]` table of what
was chosen, for which machine, from which indexes, and every package as installed.

`dlenv check` reads only `[check]` and ignores the rest. A file dlenv setup did not write is never
replaced: --record names another one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.version import InvalidVersion, Version

from dlenv.errors import DlenvError
from dlenv.setup.model import EnvironmentPlan, SetupPlan
from dlenv.setup.render import EnvironmentSteps
from dlenv.setup.verify import Verification

HEADER = "# Written by `dlenv setup`"
RECORD_SCHEMA_VERSION = 1
INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
)
_PIP_CONFIG_KEYS = re.compile(r"^[\w:.-]*\.(index-url|extra-index-url|find-links)='?(.*?)'?$")
_CU = re.compile(r"^cu(\d+)(\d)$")


def record_path(steps: EnvironmentSteps, several: bool, cwd: Path) -> Path:
    """`dlenv.toml` in the directory that holds the environment (`dlenv-LABEL.toml` when the
    frameworks have one environment each); a named conda environment's goes in `cwd`."""
    name = f"dlenv-{steps.plan.label}.toml" if several and steps.plan.label else "dlenv.toml"
    if not steps.python:
        return cwd / name
    return Path(os.path.abspath(steps.location)).parent / name


def check_record_target(path: Path) -> None:
    """Refuse, before anything is built, to replace a dlenv.toml that someone else wrote."""
    from dlenv.safeio import read_regular

    data = read_regular(path, limit=1 << 20, note="; nothing was changed")
    if data is not None and not data.startswith(HEADER.encode()):
        raise DlenvError(
            f"{path} exists and was not written by dlenv setup: name another file with "
            "--record FILE, or leave it out with --no-record"
        )


def redact(url: str) -> str:
    """A URL without its password or token (`https://user:***@host/…`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None and not (parts.username and "@" in parts.netloc):
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}:***" if parts.password is not None else "***"
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def installer_indexes(
    environ: Mapping[str, str], pip_config: str = ""
) -> list[str]:
    """Where the installer looked besides the plan's own indexes: its environment variables and
    `pip config list` (credentials redacted)."""
    out = []
    for name in INDEX_VARIABLES:
        for url in environ.get(name, "").split():
            out.append(f"{name}: {redact(url)}")
    for line in pip_config.splitlines():
        match = _PIP_CONFIG_KEYS.match(line.strip())
        if match:
            for url in match.group(2).split():
                out.append(f"pip {match.group(1)}: {redact(url)}")
    return list(dict.fromkeys(out))


def _run(argv: list[str], timeout: float) -> str | None:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def freeze_argv(manager: str, python: str) -> list[str]:
    if manager == "uv":
        return ["uv", "pip", "freeze", "--python", python]
    return [python, "-m", "pip", "freeze"]


def freeze(manager: str, python: str, timeout: float = 120.0) -> list[str] | None:
    """Every package in the new environment as `name==version` (None: could not be read)."""
    out = _run(freeze_argv(manager, python), timeout)
    if out is None:
        return None
    return sorted((line.strip() for line in out.splitlines() if line.strip()), key=str.lower)


def pip_config(manager: str, python: str, timeout: float = 30.0) -> str:
    if manager == "uv":
        return ""
    return _run([python, "-m", "pip", "config", "list"], timeout) or ""


def policy(env: EnvironmentPlan, result: Verification) -> dict[str, Any]:
    """The `[check]` table that holds this environment: its Python, each framework at the
    release installed, on the GPU where the plan put it (and a driver for its CUDA)."""
    check: dict[str, Any] = {}
    if result.python_version:
        major_minor = ".".join(result.python_version.split(".")[:2])
        check["python"] = f"=={major_minor}.*"
    gpu = [fw.name for fw in env.frameworks if fw.gpu]
    if gpu:
        check["min_gpus"] = 1
        check["gpu_frameworks"] = gpu
    floors = [m for fw in env.frameworks if fw.gpu and (m := _CU.match(fw.build))]
    if floors:
        check["driver_cuda"] = ">=" + max(
            (f"{m.group(1)}.{m.group(2)}" for m in floors), key=lambda v: Version(v)
        )
    frameworks = {}
    for fw in env.frameworks:
        installed = result.versions.get(fw.name)
        try:
            frameworks[fw.name] = f"=={Version(installed).public}" if installed else None
        except InvalidVersion:
            frameworks[fw.name] = None
    check["frameworks"] = {k: v for k, v in frameworks.items() if v}
    return check


# -- TOML, written by hand (a few tables of strings, numbers, booleans and arrays) -----------------
def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        if len(value) > 3 or sum(len(_value(v)) for v in value) > 60:
            return "[\n" + "".join(f"  {_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _table(name: str, body: Mapping[str, Any], *, array: bool = False) -> list[str]:
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    nested = []
    for key, value in body.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            nested.append((key, value))
            continue
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested:
        lines += ["", *_table(f"{name}.{_key(key)}", value)]
    return lines


@dataclass(frozen=True)
class Record:
    path: Path
    text: str
    packages: int  # how many were recorded (0: the freeze could not be read)


def make_record(
    path: Path,
    plan: SetupPlan,
    steps: EnvironmentSteps,
    result: Verification,
    packages: Sequence[str] | None,
    indexes: Sequence[str],
    *,
    now: float | None = None,
) -> Record:
    from dlenv import __version__

    env = steps.plan
    interpreter = steps.python
    with_check = f" --python {interpreter}" if interpreter else ""
    relative = os.path.relpath(path) if os.path.isabs(path) else str(path)
    lines = [
        f"{HEADER} {__version__}; a new `dlenv setup` rewrites this file.",
        "# [check] holds the environment as it was built: in CI, "
        f"`dlenv check --policy {relative}{with_check}`.",
        "# [setup] records what was chosen, why, for which machine, and every package installed.",
        "",
        *_table("check", policy(env, result)),
        "",
    ]
    m = plan.machine
    setup: dict[str, Any] = {
        "schema_version": RECORD_SCHEMA_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "requested": plan.requested,
        "manager": plan.manager,
        "environment": steps.location,
        "interpreter": interpreter or None,
        "python": result.python_version or env.python,
        "verified": result.ok,
        "env": dict(env.env) or None,
        "jupyter_kernel": env.kernel.name if env.kernel else None,
        "index_urls": [a.index_url for a in env.installs if a.index_url],
        "installer_indexes": list(indexes),
        "packages": list(packages) if packages is not None else None,
    }
    lines += _table("setup", setup)
    machine = {
        "os": m.os,
        "arch": m.arch,
        "wsl": m.wsl,
        "driver": m.driver,
        "driver_cuda": m.driver_cuda,
        "gpus": m.gpus,
        "compute_capabilities": m.compute_capabilities,
        "source": m.source,
    }
    lines += ["", *_table("setup.machine", machine)]
    for fw in env.frameworks:
        body = {
            "name": fw.name,
            "version": fw.version,
            "installed": result.versions.get(fw.name),
            "build": fw.build,
            "gpu": fw.gpu,
            "requirement": fw.requirement,
            "index_url": fw.index_url,
            "why": [r.text for r in fw.why],
            "sources": sorted({r.source for r in fw.why if r.source}),
        }
        lines += ["", *_table("setup.frameworks", body, array=True)]
    return Record(path, "\n".join(lines) + "\n", len(packages or ()))


def write_record(record: Record) -> None:
    from dlenv.safeio import write_output

    check_record_target(record.path)
    write_output(record.path, record.text.encode())


def lock_path(record: Path) -> Path:
    """The requirements lock beside a record: dlenv.toml -> dlenv.lock.txt."""
    return record.with_name(record.stem + ".lock.txt")


def make_lock(
    path: Path, plan: SetupPlan, steps: EnvironmentSteps, packages: Sequence[str]
) -> Record:
    """Every package as installed, pinned, in pip's requirements format (uv reads it too), with
    the plan's own indexes as --extra-index-url lines (credentials redacted): the environment
    again with `pip install -r` / `uv pip install -r`. Exact versions, no hashes: pip records no
    archive hash for what is already installed."""
    from dlenv import __version__

    name = path.name
    python = steps.python or "PYTHON"
    again = (
        f"uv pip install --python {python} -r {name}"
        if plan.manager == "uv"
        else f"{python} -m pip install -r {name}"
    )
    lines = [
        f"{HEADER} {__version__}: every package of {steps.location} as installed.",
        f"# The same environment again (a new one, same Python): {again}",
    ]
    urls = [a.index_url for a in steps.plan.installs if a.index_url]
    urls += [a.extra_index_url for a in steps.plan.installs if a.extra_index_url]
    for url in dict.fromkeys(urls):
        lines.append(f"--extra-index-url {redact(url)}")
    lines += [p for p in packages if p and not p.startswith("#")]
    return Record(path, "\n".join(lines) + "\n", len(packages))
