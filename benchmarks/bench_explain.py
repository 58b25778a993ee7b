"""Time `dlenv explain` on typical reports and on a long generated log.

Not a test: run it by hand or in CI's benchmark step and read the figures.

    .venv/bin/python benchmarks/bench_explain.py [--mb 1 10 50] [--log train|build|corpus|all]
        [--runs 3] [--skip-log] [--profile]

Measures:
  * every typical report (tests/importers/data/real/*.txt and tests/corpus/reports/*/*.txt)
    explained in process by `explain_text(probe=False)` (`dlenv explain --no-probe` without
    starting Python and rendering): the
    median, 90th percentile and slowest, in ms, over the median of --runs runs of each;
  * generated logs of each --mb size (1, 10 and 50 MB), explained by a fresh `dlenv explain
    --no-probe --format json` process each: wall time, CPU time and peak RSS of that process
    alone. Three kinds (--log): `train`, TensorFlow start-up noise, training-progress lines and
    a few real error lines at its start, middle and end; `build`, a CI build log whose lines
    hardly repeat (numbered files, hexadecimal ids), with the same error lines; `corpus`, the
    real corpus reports, each many times, between runs of that noise;
  * with --profile, where the time of the longest log of each --log kind goes inside
    `import_text` (cProfile, top 25).

To compare two versions on the same inputs, point DLENV_BENCH_SRC at the other checkout's
`src` (`DLENV_BENCH_SRC=/path/to/old/src .venv/bin/python benchmarks/bench_explain.py`): both
the in-process timings and the child processes then run that code (PYTHONPATH alone does not
reach the in-process part: this script puts its source tree first).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(os.environ.get("DLENV_BENCH_SRC") or ROOT / "src")  # the code measured
sys.path.insert(0, str(SRC))
sys.path.insert(1, str(ROOT))

# a TensorFlow start-up as it prints, once per process (a long log holds many starts)
_STARTUP = [
    "2024-01-15 10:02:11.352719: E external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:9261] "
    "Unable to register cuDNN factory: Attempting to register factory for plugin cuDNN when one "
    "has already been registered",
    "2024-01-15 10:02:11.361020: I tensorflow/core/platform/cpu_feature_guard.cc:182] This "
    "TensorFlow binary is optimized to use available CPU instructions in performance-critical "
    "operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "2024-01-15 10:02:12.405560: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT "
    "Warning: Could not find TensorRT",
    "2024-01-15 10:02:13.690115: I external/local_xla/xla/stream_executor/cuda/cuda_executor.cc:"
    "901] successful NUMA node read from SysFS had negative value (-1), but there must be at "
    "least one NUMA node, so returning NUMA node zero. See more at https://github.com/torvalds/"
    "linux/blob/v6.0/Documentation/ABI/testing/sysfs-bus-pci#L344-L355",
    "2024-01-15 10:02:14.101010: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1929] "
    "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 22282 MB memory:  -> "
    "device: 0, name: NVIDIA GeForce RTX 3090, pci bus id: 0000:01:00.0, compute capability: 8.6",
]
# real error lines: one block near the start, one in the middle, one at the end
_ERRORS = [
    [
        "2020-10-13 06:52:14.998217: W tensorflow/stream_executor/platform/default/dso_loader.cc:"
        "60] Could not load dynamic library 'libcusparse.so.11'; dlerror: libcusparse.so.11: "
        "cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: "
        "/usr/local/cuda/lib64",
    ],
    [
        "Traceback (most recent call last):",
        '  File "train.py", line 88, in <module>',
        "    loss.backward()",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 "
        "GiB total capacity; 20.10 GiB already allocated; 1.02 GiB free; 21.00 GiB reserved in "
        "total by PyTorch)",
    ],
    [
        "2023-06-02 10:14:55.000000: E tensorflow/compiler/xla/stream_executor/cuda/cuda_dnn.cc:"
        "417] Loaded runtime CuDNN library: 8.6.0 but source was compiled with: 8.9.4.  CuDNN "
        "library needs to have matching major version and equal or higher minor version.",
        "/bin/bash: line 1:  4242 Killed                  python train.py",
    ],
]


def _assemble(size: int, blocks: Iterator[list[str]]) -> str:
    """About `size` characters of the `blocks`' lines, with _ERRORS at the start, in the middle
    and at the end."""
    out: list[str] = list(_ERRORS[0])
    total = sum(len(s) + 1 for s in out)
    middle_done = False
    for block in blocks:
        if total >= size:
            break
        if not middle_done and total >= size // 2:
            out.extend(_ERRORS[1])
            middle_done = True
        out.extend(block)
        total += sum(len(s) + 1 for s in block)
    out.extend(_ERRORS[2])
    return "\n".join(out) + "\n"


def generate_log(size: int, seed: int = 0) -> str:
    """A training log of about `size` characters: start-ups, epochs of progress lines (many
    repeated exactly, as a log written without carriage returns repeats them), and _ERRORS."""
    rng = random.Random(seed)

    def epochs() -> Iterator[list[str]]:
        for epoch in itertools.count(1):
            block: list[str] = list(_STARTUP) if epoch % 50 == 1 else []
            block.append(f"Epoch {epoch}/1000")
            for step in range(1, 201):
                if step % 20 == 0:
                    loss = rng.random()
                    block.append(
                        f"{step * 10}/2000 [{'=' * (step // 7)}>{'.' * (29 - step // 7)}] - "
                        f"ETA: {rng.randint(1, 99)}s - loss: {loss:.4f} - accuracy: "
                        f"{1 - loss / 3:.4f}"
                    )
                else:
                    block.append("WARNING:tensorflow:Callback method `on_train_batch_end` is "
                                 "slow compared to the batch time. Check your callbacks.")
            block.append(
                f"2000/2000 [==============================] - 41s 20ms/step - loss: "
                f"{rng.random():.4f} - accuracy: {rng.random():.4f} - val_loss: "
                f"{rng.random():.4f}"
            )
            yield block

    return _assemble(size, epochs())


def build_log(size: int, seed: int = 0) -> str:
    """A CI build log of about `size` characters whose lines hardly repeat: compiler steps and
    warnings naming numbered files and variables, timestamped steps with hexadecimal ids, and
    runs of words, with _ERRORS at its start, middle and end (no line index helps here: each
    signature's words are looked up among the text's runs of letters)."""
    rng = random.Random(seed)
    words = ["tensor", "cuda", "kernel", "launch", "grad", "buffer", "alloc", "stream", "device"]
    words += ["host", "module", "layer"]

    def lines() -> Iterator[list[str]]:
        for i in itertools.count(1):
            name = f"{rng.choice(words)}_{rng.randrange(10**6)}"
            yield [
                rng.choice(
                    [
                        f"[{i}/900000] Building CUDA object src/ops/{name}.cu.o",
                        f"/home/ci/src/ops/{name}.cc:{rng.randrange(999)}:{rng.randrange(80)}: "
                        f"warning: unused variable '{rng.choice(words)}_{rng.randrange(10**5)}' "
                        "[-Wunused-variable]",
                        f"2024-01-15 10:{rng.randrange(60):02d}:{rng.randrange(60):02d}: I step "
                        f"{i} loss {rng.random():.6f} id={rng.getrandbits(64):x}",
                        "  " + " ".join(f"{w}{rng.randrange(99)}" for w in rng.choices(words, k=8)),
                    ]
                )
            ]

    return _assemble(size, lines())


_KINDS = {"train": generate_log, "build": build_log}


def _log(kind: str, size: int) -> str:
    return _KINDS[kind](size) if kind in _KINDS else corpus_log(size)


def corpus_log(size: int, seed: int = 0) -> str:
    """A log of about `size` characters made of the real corpus reports (each body many times,
    in a random order) between runs of training-progress and TensorFlow start-up lines: every
    signature the corpus holds, at every distance from every other, and noise that repeats."""
    from tests.corpus.corpus import body

    from dlenv.importers import decode

    rng = random.Random(seed)
    paths = sorted((ROOT / "tests/corpus/reports").glob("*/*.txt"))
    bodies = [body(decode(p.read_bytes(), p.name)) for p in paths]
    noise = generate_log(200_000, seed).split("\n")
    out: list[str] = []
    total = 0
    while total < size:
        chunk = rng.choice(bodies)
        at = rng.randrange(len(noise) - 60)
        chunk += "\n".join(noise[at : at + rng.randint(5, 60)]) + "\n"
        out.append(chunk)
        total += len(chunk)
    return "".join(out)


def typical_reports() -> list[Path]:
    real = sorted((ROOT / "tests/importers/data/real").glob("*.txt"))
    corpus = sorted((ROOT / "tests/corpus/reports").glob("*/*.txt"))
    return real + corpus


def bench_typical(runs: int) -> None:
    from tests.corpus.corpus import body

    from dlenv.errors import DlenvError
    from dlenv.importers import decode
    from dlenv.importers.explain import explain_text

    times: list[tuple[float, str]] = []
    for path in typical_reports():
        text = body(decode(path.read_bytes(), path.name))
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            with contextlib.suppress(DlenvError):
                explain_text(text, path.name, probe=False)
            samples.append(time.perf_counter() - start)
        times.append((statistics.median(samples) * 1000, path.name))
    ms = sorted(t for t, _ in times)
    p90 = ms[int(len(ms) * 0.9)]
    slowest = max(times)
    print(
        f"typical reports ({len(ms)}): median {statistics.median(ms):.1f} ms, "
        f"p90 {p90:.1f} ms, slowest {slowest[0]:.1f} ms ({slowest[1]})"
    )


def _run_child(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall s, CPU s and peak RSS MiB of one child process alone (os.wait4: its own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(SRC)})
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        print(err.decode("utf-8", "replace")[-2000:])
    # ru_maxrss is in KiB on Linux
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def bench_log(mb: int, kind: str = "train") -> None:
    """One fresh `dlenv explain --no-probe --format json` over a generated log of `mb` MB:
    `train` (generate_log), `build` (build_log) or `corpus` (corpus_log)."""
    text = _log(kind, mb * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.log"
        path.write_text(text, "utf-8")
        lines = text.count("\n")
        del text
        argv = [sys.executable, "-m", "dlenv", "explain", "--no-probe", "--format", "json",
                str(path)]
        wall, cpu, rss, rc = _run_child(argv)
    print(
        f"{mb:>3} MB {kind} log ({lines} lines): wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS "
        f"{rss:.0f} MiB, exit {rc}"
    )


def profile_log(mb: int, kind: str = "train") -> None:
    import cProfile
    import pstats

    from dlenv.importers.detect import import_text

    text = _log(kind, mb * 1_000_000)
    prof = cProfile.Profile()
    prof.runcall(import_text, text, "train.log")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, nargs="+", default=[1, 10, 50],
                    help="sizes of the generated logs (MB)")
    ap.add_argument("--log", choices=("train", "build", "corpus", "all"), default="all",
                    help="which generated log: training noise, a build log of distinct lines, "
                    "or corpus reports among noise")
    ap.add_argument("--runs", type=int, default=3, help="runs per typical report")
    ap.add_argument("--skip-log", action="store_true", help="only the typical reports")
    ap.add_argument("--profile", action="store_true", help="profile import_text on the log")
    args = ap.parse_args()
    bench_typical(args.runs)
    kinds = ("train", "build", "corpus") if args.log == "all" else (args.log,)
    if not args.skip_log:
        for kind in kinds:
            for mb in args.mb:
                bench_log(mb, kind)
    if args.profile:
        for kind in kinds:
            profile_log(max(args.mb), kind)


if __name__ == "__main__":
    main()
