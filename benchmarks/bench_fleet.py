"""Time `dlenv fleet` merging N node reports (1,000 and 10,000 by default), in process and
as a whole command, and the command's peak memory (RSS).

Not a test: run it by hand and read the figures.

    .venv/bin/python benchmarks/bench_fleet.py [--nodes 1000 10000] [--policy]

Each report is a full `dlenv doctor --format json` document (~10 KB) of a 2×A100 node written
from tests/fleet/fleets.py, with its own host name; one node in ten has another driver, so the
drift table has work to do. Reading is linear: the figure per 1,000 reports should stay flat.
The merge's CPU time is printed beside its wall time: on a shared machine the wall time also
counts the waits for a core. Without --policy each report is read lean (`dlenv.fleet.lean`);
with it, whole (the [check] table may read any fact).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fleet.fleets import node, report_text  # noqa: E402

from dlenv.fleet.merge import FleetPolicies, merge_fleet  # noqa: E402

POLICY = "[check]\ndriver = '>=535'\n[fleet]\nsame_driver = true\nsame_frameworks = true\n"


def write(folder: Path, count: int) -> int:
    template = json.loads(report_text(node(1)))
    size = 0
    for i in range(count):
        template["snapshot"]["host"]["hostname"] = f"gpu{i:05d}"
        template["snapshot"]["driver"]["version"] = "535.104.05" if i % 10 == 3 else "550.54.15"
        text = json.dumps(template, indent=2)
        size += len(text)
        (folder / f"gpu{i:05d}.json").write_text(text, encoding="utf-8")
    return size // count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--policy", action="store_true", help="also hold each node to a policy")
    args = parser.parse_args()
    for count in args.nodes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "reports"
            folder.mkdir()
            size = write(folder, count)
            policies = None
            if args.policy:
                (Path(tmp) / "dlenv.toml").write_text(POLICY, encoding="utf-8")
                from dlenv.check.policy import load_fleet_policy

                check, fleet = load_fleet_policy(Path(tmp) / "dlenv.toml")
                policies = FleetPolicies(source="dlenv.toml", check=check, fleet=fleet)
            start, cpu = time.perf_counter(), time.process_time()
            fleet_result = merge_fleet([str(folder)], policies)
            merged, cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "dlenv", "fleet", str(folder), "--fail-on", "never"],
                stdout=subprocess.DEVNULL,
                check=True,
            )
            command = time.perf_counter() - start
            # the largest child so far: each size runs after the smaller ones
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            assert len(fleet_result.nodes) == count
            print(
                f"{count:>6} reports of {size / 1024:.1f} KB: merge {merged:.2f} s "
                f"({merged / count * 1000:.2f} ms/report, CPU {cpu:.2f} s); "
                f"`dlenv fleet` command {command:.2f} s, "
                f"peak RSS {peak:.0f} MiB"
            )


if __name__ == "__main__":
    main()
