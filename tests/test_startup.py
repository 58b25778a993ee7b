"""`dlenv --version` and `--help` import no probe and no framework, and answer fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "torch",
    "tensorflow",
    "keras",
    "jax",
    "numpy",
    "pynvml",
    "psutil",
    "dlenv.probes",
    "dlenv.rules.catalog",
    "dlenv.kb",
    "dlenv.live",
)

SCRIPT = """
import json, sys
from dlenv.cli.app import main
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}), file=sys.stderr)
"""


def _run(argv: list[str]) -> tuple[int, set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv)], capture_output=True, text=True, check=True
    )
    data = json.loads(proc.stderr.strip().splitlines()[-1])
    return data["code"], set(data["modules"]), proc.stdout


def test_version_imports_nothing_heavy() -> None:
    code, modules, out = _run(["--version"])
    from dlenv.kb.queries import kb_date

    assert (code, out) == (
        0,
        f"dlenv 0.1.0\nknowledge base: {kb_date()} (its newest dated source)\n",
    )
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY) == []


def test_help_imports_nothing_heavy() -> None:
    code, modules, out = _run(["--help"])
    assert code == 0
    assert "doctor" in out
    assert sorted(m for m in modules if m.startswith(HEAVY)) == []


def test_the_users_pythonpath_cannot_break_dlenv(tmp_path: Path) -> None:
    """A PYTHONPATH with broken copies of dlenv's own dependencies (another Python's
    site-packages, a project's `typer.py`) does not reach dlenv's imports, but is still
    reported as the user's PYTHONPATH."""
    shadow = tmp_path / "shadow"
    (shadow / "rich").mkdir(parents=True)
    (shadow / "rich" / "__init__.py").write_text("raise ImportError('wrong rich')\n")
    (shadow / "typer.py").write_text("raise ImportError('wrong typer')\n")
    py = sys.executable
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shadow), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "doctor", "--quick", "--format=json", f"--python={py}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    facts = json.loads(proc.stdout)["snapshot"]["python"]
    assert facts["pythonpath"][0]["path"] == str(shadow)
    assert {"path": str(shadow), "exists": True, "origin": "PYTHONPATH"} in facts["sys_path"]
