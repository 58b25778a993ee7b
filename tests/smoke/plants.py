"""Faults planted in a real framework interpreter: a fake interpreter script that runs the real
one with a `sitecustomize` which patches a module right after its import, hides packages, and
records the pid of every process it starts in (to prove they are all gone afterwards)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

SITECUSTOMIZE = '''
import importlib.abc, importlib.machinery, json, os, sys
_here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_here, "plants.json")) as _f:
    _cfg = json.load(_f)
os.makedirs(os.path.join(_here, "pids"), exist_ok=True)
open(os.path.join(_here, "pids", str(os.getpid())), "w").close()


class _Hide:
    """PathFinder, blind to the hidden packages (importlib.util.find_spec returns None)."""

    def __init__(self, inner):
        self.inner = inner

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _cfg["hide"]:
            return None
        return self.inner.find_spec(name, path, target)

    def invalidate_caches(self):
        return self.inner.invalidate_caches()


class _Patch(importlib.abc.MetaPathFinder):
    """Runs a plant's code right after its module is imported."""

    def find_spec(self, name, path=None, target=None):
        code = _cfg["patch"].get(name)
        if code is None:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            run(module)
            exec(code, {"module": module})

        loader.exec_module = exec_module
        return spec


sys.meta_path[:] = [_Hide(f) if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
sys.meta_path.insert(0, _Patch())
'''


def planted_python(
    where: Path, real: str, patch: dict[str, str] | None = None, hide: tuple[str, ...] = ()
) -> Path:
    """An interpreter script that is `real` with the plants; pids go to `where`/pids."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    (where / "plants.json").write_text(
        json.dumps({"patch": patch or {}, "hide": list(hide)}), encoding="utf-8"
    )
    script = where / "python"
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{where}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def alive(where: Path) -> list[int]:
    """The planted processes still running (zombies count as gone)."""
    left = []
    for entry in (where / "pids").iterdir():
        pid = int(entry.name)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "\nState:\tZ" not in status:
            left.append(pid)
    return left


__all__ = ["alive", "os", "planted_python"]
