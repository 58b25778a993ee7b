"""The Python interpreters on this machine that can create an environment: python3.8 ...
python3.15 on PATH, and the one dlenv would inspect, each asked (in parallel) for its version
and whether it has venv and ensurepip; a pyenv shim for a version that is not installed, or a
Debian python3 without python3-venv, does not count."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from dlenv.kb.queries import major_minor
from dlenv.setup.plan import Interpreter

_MINORS = range(8, 16)
_ASK = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"


def ask_python(path: str, timeout: float = 10.0) -> Interpreter | None:
    """The interpreter `path` really runs (a shim resolved), if it can create a venv."""
    try:
        done = subprocess.run(
            [path, "-I", "-c", _ASK],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or major_minor(lines[0]) is None:
        return None
    return Interpreter(lines[0], lines[1])


def find_pythons(inspected: str | None = None, timeout: float = 10.0) -> list[Interpreter]:
    """Usable interpreters, one per X.Y (the versioned name on PATH first), oldest first."""
    candidates = [p for m in _MINORS if (p := shutil.which(f"python3.{m}"))]
    if inspected:
        candidates.append(inspected)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda p: ask_python(p, timeout), candidates))
    found: dict[str, Interpreter] = {}
    for answer in answers:
        if answer is not None:
            found.setdefault(answer.version, answer)
    return sorted(found.values(), key=lambda p: major_minor(p.version) or (0, 0))
