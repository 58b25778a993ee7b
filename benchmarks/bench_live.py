"""Wall time of dlenv's live probes against the framework venv, next to PyTorch's collect_env.

Usage: python benchmarks/bench_live.py [--python /tmp/fwvenv/bin/python] [--repeat 5]
           [--cases doctor,collect_env] [--baseline OTHER_CHECKOUT/src]
Prints the median of each measurement (cases interleaved, so machine load hits all alike):
`dlenv doctor` full and --quick, the live stage alone, each framework alone, the bare
`import tensorflow` (the floor), collect_env; then full doctor against collect_env and --quick.
With --baseline, the doctor cases also run from another source tree (before/after a change).
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
FULL, QUICK, COLLECT_ENV, TF_IMPORT = (
    "doctor (full)",
    "doctor --quick",
    "python -m torch.utils.collect_env",
    "import tensorflow (bare, no teardown)",
)


def _time(cmd: list[str], src: str) -> float | None:
    env = {**os.environ, "PYTHONPATH": src, "NO_COLOR": "1"}
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


def _cases(py: str, me: str) -> dict[str, list[str]]:
    doctor = [me, "-m", "dlenv", "doctor", "--python", py, "--format", "json"]

    def live(mode: str, frameworks: str) -> list[str]:
        return [me, "-c", LIVE, py, mode, frameworks]

    return {
        FULL: doctor,
        QUICK: [*doctor, "--quick"],
        "live: torch+tensorflow+keras (keras in TF's process)": live(
            "joined", "torch,tensorflow,keras"
        ),
        "live: torch+tensorflow+keras (keras alone)": live("alone", "torch,tensorflow,keras"),
        "live: torch alone": live("joined", "torch"),
        "live: tensorflow alone": live("joined", "tensorflow"),
        "live: keras alone": live("joined", "keras"),
        # the floor: TensorFlow's import alone (exiting as the probes do, without the teardown)
        TF_IMPORT: [py, "-c", "import os, tensorflow; os._exit(0)"],
        COLLECT_ENV: [py, "-m", "torch.utils.collect_env"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--python", default="/tmp/fwvenv/bin/python")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cases", default="", help="comma-separated substrings of case names to run (all)"
    )
    parser.add_argument("--baseline", help="another dlenv src/ to time the doctor cases from")
    args = parser.parse_args()
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    runs: dict[str, tuple[list[str], str]] = {}
    for name, cmd in _cases(args.python, sys.executable).items():
        if chosen and not any(c in name for c in chosen):
            continue
        runs[name] = (cmd, SRC)
        if args.baseline and "doctor" in name:
            runs[f"{name} [baseline]"] = (cmd, args.baseline)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # interleaved, so that machine load hits every case alike
        for name, (cmd, src) in runs.items():
            took = _time(cmd, src)
            if took is not None:
                times[name].append(took)
    medians = {n: statistics.median(v) for n, v in times.items() if v}
    print(f"median of {args.repeat} runs, {os.cpu_count()} CPUs, {args.python}")
    for name, values in times.items():
        shown = f"{medians[name]:6.2f} s" if values else "   n/a"
        spread = f"  (min {min(values):.2f}, max {max(values):.2f})" if values else ""
        print(f"  {name:<55} {shown}{spread}")
    for suffix in ("", " [baseline]"):
        full = medians.get(FULL + suffix)
        if full is None:
            continue
        parts = [f"full doctor{suffix} {full:.2f} s"]
        for label, other in (
            ("collect_env", COLLECT_ENV),
            ("bare TF import", TF_IMPORT),
            ("--quick", QUICK + suffix),
        ):
            if other in medians:
                parts.append(f"{full - medians[other]:+.2f} s vs {label}")
        print("  " + "; ".join(parts))


if __name__ == "__main__":
    main()
