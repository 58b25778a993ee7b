"""Time `dlenv doctor` as a whole process against `python -m torch.utils.collect_env`.

Not a test: run it by hand or in CI's benchmark step and read the figures.

    .venv/bin/python benchmarks/bench_doctor.py [--python FRAMEWORK_PYTHON] [--runs N]

Measures, each as the median of N runs of a fresh process:
  * `dlenv doctor --quick --format json` (static probes only) on this machine, targeting the
    framework environment, and `python -m torch.utils.collect_env` there, with their ratio;
  * the same doctor against a target venv grown by 1,000 generated distributions and a 200-entry
    sys.path (a .pth file), next to the same venv before it grew, to show the cost stays nearly
    flat; and with the 200 entries in PYTHONPATH instead (which dlenv's own process reads too);

Run it from an installed dlenv (pip install .): with PYTHONDONTWRITEBYTECODE set, as on some CI
images, a source checkout recompiles dlenv on every start and the figures include that.
  * `collect()` in process against a described machine with 8 GPUs (28 GPU pairs, a process on
    each) versus 1 GPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time_process(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _dlenv_argv(python: str, quick: bool) -> list[str]:
    argv = [sys.executable, "-m", "dlenv", "doctor", "--format", "json", "--python", python]
    if quick and _supports_quick():
        argv.append("--quick")
    return argv


def _supports_quick() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "dlenv", "doctor", "--help"], capture_output=True, text=True
    )
    return "--quick" in out.stdout


def _generated_dists(site: Path, dists: int) -> None:
    for i in range(dists):
        info = site / f"generated_pkg_{i:04d}-1.{i % 10}.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: generated-pkg-{i:04d}\nVersion: 1.{i % 10}.0\n"
        )
        (info / "INSTALLER").write_text("pip\n")


def _path_entries(base: Path, count: int) -> list[str]:
    entries = []
    for i in range(count):
        entry = base / f"path{i:03d}"
        entry.mkdir()
        entries.append(str(entry))
    return entries


def _site_packages(python: str) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def _fake_machine_collect(gpus: int, runs: int) -> float:
    from dlenv.probes import collect
    from dlenv.system.fake import Command, FakeSystem
    from dlenv.system.nvml import NvmlDevice, NvmlLink, NvmlProcess, NvmlReport

    devices = tuple(
        NvmlDevice(
            index=i,
            name="NVIDIA H100 80GB HBM3",
            uuid=f"GPU-{i:08d}-0000-0000-0000-000000000000",
            pci_bus_id=f"00000000:{i + 1:02X}:00.0",
            memory_total_bytes=80 << 30,
            memory_used_bytes=1 << 30,
            compute_capability="9.0",
            processes=1,
            compute_processes=(NvmlProcess(pid=1000 + i, used_memory_bytes=1 << 30),),
        )
        for i in range(gpus)
    )
    links = tuple(
        NvmlLink(a, b, topology=40, p2p_read=0, p2p_write=0, p2p_nvlink=0)
        for a in range(gpus)
        for b in range(a + 1, gpus)
    )
    fake = FakeSystem(
        env_vars={"PATH": "/usr/bin", "HOME": "/home/user"},
        nvml_report=NvmlReport(
            library_found=True,
            driver_version="550.54.15",
            cuda_driver_version=12040,
            devices=devices,
            links=links,
        ),
    )
    fake.add_file("/sys/module/nvidia/version", "550.54.15\n")
    fake.add_file("/usr/bin/python3", "")
    fake.add_command("python3", Command(returncode=1, stderr="not described"))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        collect(fake)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    default_fw = ROOT / ".venv-frameworks" / "bin" / "python"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", default=os.environ.get("DLENV_TEST_FRAMEWORK_PYTHON", str(default_fw))
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fw = args.python
    print(f"target interpreter: {fw}")
    doctor = _time_process(_dlenv_argv(fw, quick=True), args.runs)
    print(f"dlenv doctor (static)          {doctor * 1000:8.0f} ms")
    collect_env = _time_process([fw, "-m", "torch.utils.collect_env"], max(1, args.runs // 2))
    print(f"torch.utils.collect_env        {collect_env * 1000:8.0f} ms")
    print(f"ratio collect_env / doctor     {collect_env / doctor:8.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        target = str(venv / "bin" / "python")
        before = _time_process(_dlenv_argv(target, quick=True), args.runs)
        site = _site_packages(target)
        _generated_dists(site, 1000)
        entries = _path_entries(base, 199)
        (site / "zz_dlenv_bench.pth").write_text("\n".join(entries) + "\n")
        grown = _time_process(_dlenv_argv(target, quick=True), args.runs)
        (site / "zz_dlenv_bench.pth").unlink()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(entries)
        via_env = _time_process(_dlenv_argv(target, quick=True), args.runs, env=env)
    print(f"doctor, empty venv             {before * 1000:8.0f} ms")
    print(f"doctor, +1000 dists, 200 paths {grown * 1000:8.0f} ms ({grown / before:.2f}x)")
    print(f"  the paths in PYTHONPATH      {via_env * 1000:8.0f} ms ({via_env / before:.2f}x)")
    one = _fake_machine_collect(1, args.runs * 4)
    eight = _fake_machine_collect(8, args.runs * 4)
    print(f"collect(), described 1 GPU     {one * 1000:8.1f} ms")
    print(f"collect(), described 8 GPUs    {eight * 1000:8.1f} ms ({eight / one:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
