"""`dlenv --version` and `--help` import no probe and no framework, and answer fast."""

from __future__ import annotations

import json
import subprocess
import sys

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
    assert (code, out) == (0, "dlenv 0.1.0\n")
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY) == []


def test_help_imports_nothing_heavy() -> None:
    code, modules, out = _run(["--help"])
    assert code == 0
    assert "doctor" in out
    assert sorted(m for m in modules if m.startswith(HEAVY)) == []
