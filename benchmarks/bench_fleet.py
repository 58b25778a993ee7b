"""Time `dlenv fleet` merging N node reports (1,000 and 10,000 by default): in process, serial
and with a process per core, and as a whole command; CPU time, and memory: the peak RSS of
the command and the Python memory the merge holds (tracemalloc), for fleets that differ in how
many distinct values they have.

Not a test: run it by hand and read the figures.

    .venv/bin/python benchmarks/bench_fleet.py [--nodes 1000 10000] [--fleets same drift varied]
                                                [--policy] [--repeat 3]

Each report is a full `dlenv doctor --format json` document (~7 KB) of a 2×A100 node written
from tests/fleet/fleets.py, with its own host name. The fleets:

* `same`: every node alike but for its name (the distinct values do not grow with the nodes);
* `drift`: one node in ten has another driver (the drift table has work to do);
* `varied`: every node has its own driver, kernel and GPU health (the distinct values grow
  with the nodes: the worst case for memory, and for the reader's memo of nodes alike).

Wall times on a shared machine also count the waits for a core: the CPU time is printed beside
them, and the best of `--repeat` runs is kept. Without --policy each report is read lean
(`dlenv.fleet.lean`); with it, whole (the [check] table may read any fact), serially.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fleet.fleets import node, report_text  # noqa: E402

from dlenv.fleet.merge import FleetPolicies, merge_fleet  # noqa: E402

POLICY = "[check]\ndriver = '>=535'\n[fleet]\nsame_driver = true\nsame_frameworks = true\n"

# the command in a child, reporting its own CPU time and peak RSS (its pool's too)
CHILD = """\
import resource, sys, time
from dlenv.cli.app import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit:
    pass
wall = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(wall, cpu, max(me.ru_maxrss, kids.ru_maxrss) / 1024, file=sys.stderr)
"""


def write(folder: Path, count: int, fleet: str) -> int:
    template = json.loads(report_text(node(1)))
    snapshot = template["snapshot"]
    size = 0
    for i in range(count):
        snapshot["host"]["hostname"] = f"gpu{i:05d}"
        if fleet == "drift":
            snapshot["driver"]["version"] = "535.104.05" if i % 10 == 3 else "550.54.15"
        elif fleet == "varied":
            snapshot["driver"]["version"] = f"550.{i // 100}.{i % 100:02d}"
            snapshot["host"]["kernel"] = f"5.15.0-{i}-generic"
            snapshot["gpus"][1]["ecc_uncorrectable"] = i
        text = json.dumps(template, indent=2)
        size += len(text)
        (folder / f"gpu{i:05d}.json").write_text(text, encoding="utf-8")
    return size // count


def timed(folder: Path, policies: FleetPolicies | None, jobs: int | None) -> tuple[float, float]:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    merged = merge_fleet([str(folder)], policies, jobs=jobs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    cpu += (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert merged.nodes
    return wall, cpu


def held(folder: Path) -> tuple[float, float]:
    """MiB of Python memory at the merge's peak, and held by its result (serial read)."""
    gc.collect()
    tracemalloc.start()
    merged = merge_fleet([str(folder)], jobs=1)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert merged.nodes
    return peak / 2**20, current / 2**20


def command(folder: Path, jobs: str) -> tuple[float, float, float]:
    argv = ["fleet", str(folder), "--fail-on", "never", "--jobs", jobs]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        env=env,
    )
    wall, cpu, rss = (float(x) for x in done.stderr.split()[-3:])
    return wall, cpu, rss


def startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dlenv", "--version"], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--fleets", nargs="+", default=["same", "drift", "varied"])
    parser.add_argument("--policy", action="store_true", help="also hold each node to a policy")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"{cores} cores, load average {os.getloadavg()[0]:.1f}; "
        f"`dlenv --version` starts in {min(startup() for _ in range(3)):.2f} s"
    )
    for count in args.nodes:
        for fleet in args.fleets:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / "reports"
                folder.mkdir()
                size = write(folder, count, fleet)
                policies = None
                if args.policy:
                    (Path(tmp) / "dlenv.toml").write_text(POLICY, encoding="utf-8")
                    from dlenv.check.policy import load_fleet_policy

                    check, rules = load_fleet_policy(Path(tmp) / "dlenv.toml")
                    policies = FleetPolicies(source="dlenv.toml", check=check, fleet=rules)
                print(f"{count} reports of {size / 1024:.1f} KB, fleet '{fleet}':")
                for jobs in (1, None):
                    wall, cpu = min(timed(folder, policies, jobs) for _ in range(args.repeat))
                    what = "serial" if jobs == 1 else f"jobs={cores if count >= 2000 else 1}"
                    print(
                        f"  merge_fleet {what:<7} {wall:5.2f} s wall, {cpu:5.2f} s CPU "
                        f"({wall / count * 1000:.3f} ms/report)"
                    )
                for jobs_arg in ("1", str(cores)):
                    wall, cpu, rss = min(command(folder, jobs_arg) for _ in range(args.repeat))
                    print(
                        f"  `dlenv fleet --jobs {jobs_arg}` {wall:5.2f} s wall (+ start), "
                        f"{cpu:5.2f} s CPU, peak RSS {rss:.0f} MiB"
                    )
                peak, kept = held(folder)
                print(f"  Python memory: {peak:.1f} MiB at the peak, {kept:.1f} MiB in the result")


if __name__ == "__main__":
    main()
