"""One rank of the smoke all-reduce (stdlib + torch), run in the target interpreter; rank 0 is
the check's own process, which loads this file for `allreduce`.

Usage: python allreduce_worker.py RANK WORLD INIT_METHOD BACKEND TIMEOUT
Exit 0 when the all-reduced tensor is right, 3 when it is wrong.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any

ELEMENTS = 1 << 18  # 1 MiB of float32: quick on gloo, still a real transfer
REPEATS = 5


def allreduce(
    torch: Any, rank: int, world: int, init: str, backend: str, timeout: float
) -> dict[str, Any]:
    """All-reduce a tensor filled with rank+1 over `world` ranks; the sum is known."""
    dist = torch.distributed
    if backend == "nccl":
        device = torch.device("cuda", rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    dist.init_process_group(
        backend,
        init_method=init,
        rank=rank,
        world_size=world,
        timeout=timedelta(seconds=max(timeout, 1.0)),
    )
    expected = world * (world + 1) / 2
    try:
        tensor = torch.full((ELEMENTS,), float(rank + 1), device=device)
        dist.all_reduce(tensor)  # the first one sets up the connections: not timed
        ok = bool((tensor == expected).all())
        got = float(tensor[0])
        times = []
        for _ in range(REPEATS):
            tensor.fill_(float(rank + 1))
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            dist.all_reduce(tensor)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
            ok = ok and bool((tensor == expected).all())
        dist.barrier()
    finally:
        dist.destroy_process_group()
    times.sort()
    return {
        "ok": ok,
        "expected": expected,
        "got": got,
        "seconds": times[len(times) // 2],
        "bytes": ELEMENTS * 4,
    }


def main(argv: list[str]) -> int:
    import importlib

    torch = importlib.import_module("torch")

    rank, world, init, backend, timeout = (
        int(argv[1]),
        int(argv[2]),
        argv[3],
        argv[4],
        float(argv[5]),
    )
    outcome = allreduce(torch, rank, world, init, backend, timeout)
    return 0 if outcome["ok"] else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
