"""Which Python the user would run, and what is on its path: sys.path, distributions, shadowing.

The target interpreter describes itself by running `target_script` (`python -c <source>`, so that
sys.path[0] is the working directory exactly as in the user's own `python -c`); this module picks
the interpreter, parses its answer and derives shadowing and duplicate installs from it.
"""

from __future__ import annotations

import json
import ntpath
import posixpath
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dlenv.errors import DlenvError, ExitCode
from dlenv.probes.target import TargetInterpreter, canonical_name
from dlenv.snapshot.model import (
    Distribution,
    DuplicateDistribution,
    PathEntry,
    PythonFacts,
    Shadowing,
)
from dlenv.system.base import System

TARGET_TIMEOUT_S = 20.0  # a cold start on a network filesystem with a long sys.path is slow
MARKER = "@@dlenv-target-v1@@"

# Which distributions provide each module dlenv cares about (PEP 503 names).
MODULE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "tensorflow": (
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-intel",
        "tensorflow-macos",
        "tensorflow-aarch64",
        "tensorflow-cpu-aws",
        "tensorflow-rocm",
        "tensorflow-directml",
        "intel-tensorflow",
        "tf-nightly",
        "tf-nightly-cpu",
        "tf-nightly-gpu",
        "tf-nightly-intel",
        "tf-nightly-macos",
    ),
    "keras": ("keras", "keras-nightly"),
    "tf_keras": ("tf-keras", "tf-keras-nightly"),
    "jax": ("jax",),
    "jaxlib": ("jaxlib",),
    "numpy": ("numpy",),
}


def is_relevant(name: str) -> bool:
    """Distributions kept in `PythonFacts.distributions`: frameworks, CUDA wheels, numpy."""
    return name in ("numpy", "intel-tensorflow", "ml-dtypes") or name.startswith(
        ("torch", "tensorflow", "tf-", "keras", "jax", "nvidia-", "triton", "pytorch-triton")
    )


@cache
def script_source() -> str:
    """The source of `target_script`, sent with `python -c`."""
    from dlenv.probes import target_script

    return Path(target_script.__file__).read_text(encoding="utf-8")


def target_argv(executable: str) -> list[str]:
    """The command line that makes `executable` describe itself."""
    return [executable, "-c", script_source()]


# -- choosing the interpreter ---------------------------------------------------------------
def _venv_python(system: System, prefix: str) -> str:
    if system.platform == "win32":
        return prefix.rstrip("\\/") + "\\Scripts\\python.exe"
    return posixpath.join(prefix, "bin", "python")


def _conda_python(system: System, prefix: str) -> str:
    if system.platform == "win32":
        return prefix.rstrip("\\/") + "\\python.exe"
    return posixpath.join(prefix, "bin", "python")


def _first_on_path(system: System) -> str | None:
    """`python3` or `python`, whichever comes first on PATH (python3 first within a directory)."""
    windows = system.platform == "win32"
    sep = ";" if windows else ":"
    names = ("python.exe", "python3.exe") if windows else ("python3", "python")
    join = ntpath.join if windows else posixpath.join  # C:\venv\Scripts\python.exe
    for directory in system.env.get("PATH", "").split(sep):
        if not directory:
            continue
        for name in names:
            candidate = join(directory, name)
            if system.is_file(candidate):
                return candidate
    return None


NO_INTERPRETER = "no Python interpreter found"


def choose_interpreter(system: System, python: str | None) -> tuple[str | None, str]:
    """The interpreter to inspect and why (None: the machine has none); raises DlenvError for
    a named one that is missing."""
    if python:
        found = python if ("/" in python or "\\" in python) else system.which(python)
        if not found or not system.exists(found):
            raise DlenvError(f"--python {python}: no such interpreter", ExitCode.USAGE)
        return found, "--python"
    skipped: list[str] = []
    env = system.env
    for var, make in (("VIRTUAL_ENV", _venv_python), ("CONDA_PREFIX", _conda_python)):
        prefix = env.get(var)
        if prefix:
            candidate = make(system, prefix)
            if system.exists(candidate):
                return candidate, f"${var}" + _skipped_note(skipped)
            skipped.append(f"${var} is set but {candidate} does not exist")
    on_path = _first_on_path(system)
    if on_path:
        base = ntpath.basename if system.platform == "win32" else posixpath.basename
        because = f"{base(on_path)} on PATH" + _skipped_note(skipped)
        resolved = resolve_pyenv_shim(system, on_path)
        if resolved:
            return resolved, f"{because}, a pyenv shim for {resolved}"
        return on_path, because
    # dlenv's own interpreter is a last resort only where it is on the machine described (it
    # always is on the machine dlenv runs on; a described machine says what it holds)
    if system.exists(sys.executable):
        return sys.executable, "dlenv's own interpreter (no python on PATH)" + _skipped_note(
            skipped
        )
    return None, f"{NO_INTERPRETER} (no python3 or python on PATH)" + _skipped_note(skipped)


def resolve_pyenv_shim(system: System, path: str) -> str | None:
    """The interpreter a pyenv shim would exec, found as pyenv does, without running pyenv.

    A shim is a shell script that runs `pyenv exec`, which costs about 0.1 s on every start; the
    version comes from $PYENV_VERSION, else the nearest .python-version file from the working
    directory up, else $PYENV_ROOT/version. None ("system", unknown): run the shim itself.
    """
    shims = posixpath.dirname(path)
    if posixpath.basename(shims) != "shims":
        return None
    root = posixpath.dirname(shims)
    if not system.is_dir(posixpath.join(root, "versions")):
        return None
    names = system.env.get("PYENV_VERSION", "")
    if not names:
        directory = system.cwd()
        while True:
            text = system.read_text(posixpath.join(directory, ".python-version"))
            if text is not None:
                names = text
                break
            parent = posixpath.dirname(directory)
            if parent == directory:
                names = system.read_text(posixpath.join(root, "version")) or ""
                break
            directory = parent
    for name in names.replace(":", " ").split():
        if name.startswith("#"):
            continue
        if name == "system":
            return None
        candidate = posixpath.join(root, "versions", name, "bin", posixpath.basename(path))
        if system.is_file(candidate):
            return candidate
    return None


def _skipped_note(skipped: list[str]) -> str:
    return f" ({'; '.join(skipped)})" if skipped else ""


# -- running and parsing ----------------------------------------------------------------------
def collect_python(
    system: System, python: str | None, timeout: float = TARGET_TIMEOUT_S
) -> TargetInterpreter:
    """Describe the interpreter the user would run (or the one named with --python)."""
    executable, because = choose_interpreter(system, python)
    if executable is None:
        return TargetInterpreter(
            facts=PythonFacts(chosen_because=because, unknown={"python": because})
        )
    result = system.run(target_argv(executable), timeout=timeout)
    reason: str | None = None
    data: dict[str, Any] | None = None
    if not result.ok:
        reason = result.describe_failure()
        if "SyntaxError" in result.stderr:
            reason += " (the probe needs Python 3.6 or newer)"
    else:
        data, reason = parse_output(result.stdout)
    if data is None:
        why = f"{executable}: {reason}"
        if python:
            raise DlenvError(f"--python {python}: cannot inspect it ({reason})", ExitCode.USAGE)
        return TargetInterpreter(
            facts=PythonFacts(
                executable=executable, chosen_because=because, unknown={"python": why}
            )
        )
    return build_target(system, data, because)


def parse_output(stdout: str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON document after the marker line, or None and why it is unusable."""
    _, marker, tail = stdout.rpartition(MARKER)
    if not marker:
        first = stdout.strip().splitlines()[:1]
        return None, "printed no report" + (f" (got {first[0][:80]!r})" if first else "")
    try:
        data = json.loads(tail.strip())
    except ValueError as exc:
        return None, f"printed malformed JSON ({exc})"
    if not isinstance(data, dict):
        return None, "printed JSON that is not an object"
    return data, None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _entries(raw: object) -> list[PathEntry]:
    entries: list[PathEntry] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            entries.append(
                PathEntry(
                    path=item["path"],
                    exists=bool(item.get("exists")),
                    origin=str(item.get("origin") or "other"),
                )
            )
    return entries


def _distributions(raw: object) -> tuple[list[Distribution], dict[str, str]]:
    dists: list[Distribution] = []
    editable_paths: dict[str, str] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        name, location = _str(item.get("name")), _str(item.get("location"))
        if not name or location is None:
            continue
        dist = Distribution(
            name=canonical_name(name),
            version=_str(item.get("version")) or "",
            location=location,
            installer=_str(item.get("installer")),
            editable=bool(item.get("editable")),
        )
        dists.append(dist)
        path = _str(item.get("editable_path"))
        if path:
            editable_paths.setdefault(dist.name, path)
    return dists, editable_paths


def build_target(system: System, data: Mapping[str, Any], because: str) -> TargetInterpreter:
    """PythonFacts and the full distribution list from the script's JSON document."""
    dists, editable_paths = _distributions(data.get("distributions"))
    modules = data.get("modules")
    origins: dict[str, str | None] = {}
    unknown: dict[str, str] = {}
    for name, info in (modules if isinstance(modules, dict) else {}).items():
        if isinstance(info, dict):
            origins[name] = _str(info.get("path"))
            if info.get("error"):
                unknown[f"module:{name}"] = str(info["error"])
        else:
            origins[name] = None
    site_packages = data.get("site_packages")
    user_enabled = data.get("user_site_enabled")
    facts = PythonFacts(
        executable=_str(data.get("executable")),
        version=_str(data.get("version")),
        implementation=_str(data.get("implementation")),
        kind=_str(data.get("kind")),
        env_name=_str(data.get("env_name")),
        prefix=_str(data.get("prefix")),
        base_prefix=_str(data.get("base_prefix")),
        platform=_str(data.get("platform")),
        machine=_str(data.get("machine")),
        bits=data["bits"] if data.get("bits") in (32, 64) else None,
        sys_path=_entries(data.get("sys_path")),
        pythonpath=_entries(data.get("pythonpath")),
        user_site=_str(data.get("user_site")),
        user_site_enabled=user_enabled if isinstance(user_enabled, bool) else None,
        site_packages=[p for p in site_packages if isinstance(p, str)]
        if isinstance(site_packages, list)
        else [],
        distribution_count=len(dists),
        distributions=[d for d in dists if is_relevant(d.name)],
        shadowing=find_shadowing(system, dists, origins, editable_paths),
        duplicates=find_duplicates(system, dists),
        chosen_because=because,
        unknown=unknown,
    )
    return TargetInterpreter(facts=facts, distributions=tuple(dists), module_origins=origins)


def _norm(system: System, path: str) -> str:
    return posixpath.normpath(system.realpath(path))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def find_shadowing(
    system: System,
    dists: list[Distribution],
    origins: Mapping[str, str | None],
    editable_paths: Mapping[str, str] | None = None,
) -> list[Shadowing]:
    """Framework modules that `import` would load from somewhere no installed distribution owns."""
    editable_paths = editable_paths or {}
    found: list[Shadowing] = []
    for module, providers in MODULE_PROVIDERS.items():
        origin = origins.get(module)
        if not origin:
            continue
        installs = [d for d in dists if d.name in providers]
        loaded_from = _norm(system, posixpath.dirname(origin))
        owned = any(_norm(system, d.location) == loaded_from for d in installs) or any(
            _inside(_norm(system, origin), _norm(system, editable_paths[d.name]))
            for d in installs
            if d.name in editable_paths
        )
        if owned:
            continue
        first = installs[0] if installs else None
        found.append(
            Shadowing(
                module=module,
                path=origin,
                shadows=posixpath.join(first.location, module) if first else None,
                distribution=first.name if first else None,
            )
        )
    return found


def find_duplicates(system: System, dists: list[Distribution]) -> list[DuplicateDistribution]:
    """Distributions installed more than once on sys.path (other places or other versions)."""
    by_name: dict[str, list[Distribution]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    duplicates: list[DuplicateDistribution] = []
    for name, installs in by_name.items():
        if len(installs) < 2:
            continue
        distinct = {(_norm(system, d.location), d.version) for d in installs}
        if len(distinct) > 1:
            duplicates.append(DuplicateDistribution(name=name, installs=installs))
    return duplicates
