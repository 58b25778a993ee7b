"""One worker of TensorFlow's smoke all-reduce (stdlib + tensorflow), run in the target
interpreter by `smoke/child_tensorflow.py`: `tf.distribute.MultiWorkerMirroredStrategy` with
ring collectives over gRPC on 127.0.0.1, as a parameter-server-free multi-worker job runs.

TensorFlow's collectives must be configured before its runtime starts, so every worker is a
fresh process (the check's own process has already used TensorFlow).

Usage: python allreduce_worker_tf.py INDEX PORT,PORT[,...] OUT_FILE
Writes one JSON object to OUT_FILE: ok, expected, got, seconds (median of the timed rounds).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

ELEMENTS = 1 << 18  # 1 MiB of float32, as the torch check
REPEATS = 5


def main(argv: list[str]) -> int:
    index, ports, out = int(argv[1]), argv[2].split(","), argv[3]
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": ["127.0.0.1:" + p for p in ports]},
            "task": {"type": "worker", "index": index},
        }
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf: Any = importlib.import_module("tensorflow")  # after TF_CONFIG, in this process only

    experimental = tf.distribute.experimental
    options = experimental.CommunicationOptions(
        implementation=experimental.CommunicationImplementation.RING
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    world = len(ports)
    expected = world * (world + 1) / 2

    @tf.function  # type: ignore[untyped-decorator]
    def reduce() -> Any:
        replica = tf.distribute.get_replica_context()
        block = tf.fill([ELEMENTS], float(index + 1))
        return replica.all_reduce(tf.distribute.ReduceOp.SUM, block)

    def once() -> Any:
        return strategy.experimental_local_results(strategy.run(reduce))[0]

    first = once()  # sets up the ring: not timed
    ok = bool(tf.reduce_all(tf.equal(first, expected)))
    got = float(first[0])
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = once()
        ok = ok and bool(tf.reduce_all(tf.equal(value, expected)))
        times.append(time.perf_counter() - start)
    times.sort()
    result = {
        "ok": ok,
        "expected": expected,
        "got": got,
        "seconds": times[len(times) // 2],
        "bytes": ELEMENTS * 4,
        "tensorflow": tf.__version__,
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if ok else 3)  # skip TensorFlow's teardown (seconds, for nothing)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
