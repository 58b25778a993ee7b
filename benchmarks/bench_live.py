"""Wall time of dlenv's live probes against the framework venv, next to PyTorch's collect_env.

Usage: python benchmarks/bench_live.py [--python /tmp/fwvenv/bin/python] [--repeat 3]
Prints the median of each measurement: `dlenv doctor` full and --quick, the live stage alone
(Keras sharing TensorFlow's process, and Keras alone), each framework alone, collect_env.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")

LIVE = (
    "import sys; from dlenv.live.runner import run_live_probes; "
    "ps = run_live_probes(sys.argv[1], sys.argv[3].split(','), keras_with_backend="
    "sys.argv[2] == 'joined'); "
    "bad = [p.framework + ':' + p.status for p in ps if p.status != 'ok']; "
    "sys.exit('failed: ' + ' '.join(bad) if bad else 0)"
)


def _time(cmd: list[str]) -> float | None:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env)
    took = time.perf_counter() - start
    doctor = "doctor" in cmd
    failed = done.returncode not in (0, 1)  # doctor exits 1 when it has findings
    if failed or (doctor and not done.stdout.lstrip().startswith(b"{")):
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        print(f"  ! {' '.join(cmd[:4])}…: exit {done.returncode} {tail}", file=sys.stderr)
        return None
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="/tmp/fwvenv/bin/python")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py, me = args.python, sys.executable
    doctor = [me, "-m", "dlenv", "doctor", "--python", py, "--format", "json"]
    cases = {
        "dlenv doctor (full)": doctor,
        "dlenv doctor --quick": [*doctor, "--quick"],
        "live: torch+tensorflow+keras (keras in TF's process)": [
            me,
            "-c",
            LIVE,
            py,
            "joined",
            "torch,tensorflow,keras",
        ],
        "live: torch+tensorflow+keras (keras alone)": [
            me,
            "-c",
            LIVE,
            py,
            "alone",
            "torch,tensorflow,keras",
        ],
        "live: torch alone": [me, "-c", LIVE, py, "joined", "torch"],
        "live: tensorflow alone": [me, "-c", LIVE, py, "joined", "tensorflow"],
        "live: keras alone": [me, "-c", LIVE, py, "joined", "keras"],
        "python -m torch.utils.collect_env": [py, "-m", "torch.utils.collect_env"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):  # interleaved, so that machine load hits every case alike
        for name, cmd in cases.items():
            took = _time(cmd)
            if took is not None:
                times[name].append(took)
    print(f"median of {args.repeat} runs, {os.cpu_count()} CPUs, {py}")
    for name, values in times.items():
        shown = f"{statistics.median(values):6.2f} s" if values else "   n/a"
        spread = f"  (min {min(values):.2f}, max {max(values):.2f})" if values else ""
        print(f"  {name:<55} {shown}{spread}")


if __name__ == "__main__":
    main()
