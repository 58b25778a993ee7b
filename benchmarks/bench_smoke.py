"""Wall time of the whole `dlenv smoke` against the framework venv (TensorFlow, PyTorch, Keras
on CPU), next to the same checks with every check in a process of its own (--isolate), and the
CPU time the children used (the floor a 2-core machine divides by two).

Usage: python benchmarks/bench_smoke.py [--python .venv-frameworks/bin/python] [--repeat 3]
           [--cases grouped,isolate]
Prints each run (wall s, children's CPU s, load average) and the median per case; cases are
interleaved so that machine load hits both alike. The issue's limit: under 30 s grouped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = {"grouped": [], "isolate": ["--isolate"]}


def once(python: str, case: str) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "smoke.json"
        argv = [sys.executable, "-m", "dlenv", "smoke", "--python", python, "--format", "json",
                "--output", str(out), *ARGS[case]]  # fmt: skip
        before = os.times()
        start = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        statuses = [c["status"] for c in json.loads(out.read_text())["snapshot"]["smoke"]["checks"]]
    if done.returncode != 0:
        raise SystemExit(f"{case}: exit {done.returncode}: {done.stderr[-2000:]}")
    passed = f"{statuses.count('passed')}/{len(statuses)} passed"
    return wall, cpu, passed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=str(ROOT / ".venv-frameworks" / "bin" / "python"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="grouped,isolate")
    args = parser.parse_args()
    cases = args.cases.split(",")
    walls: dict[str, list[float]] = {c: [] for c in cases}
    for _ in range(args.repeat):
        for case in cases:
            wall, cpu, passed = once(args.python, case)
            walls[case].append(wall)
            load = os.getloadavg()[0]
            line = f"{case:8} wall {wall:6.1f} s  children cpu {cpu:6.1f} s  load {load:4.1f}"
            print(line, passed)
    for case in cases:
        print(f"{case:8} median wall {statistics.median(walls[case]):6.1f} s over {args.repeat}")


if __name__ == "__main__":
    main()
