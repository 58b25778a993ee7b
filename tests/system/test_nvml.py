"""dlenv.system.nvml's GPU-pair queries against a stand-in for the pynvml module.

The ctypes path (symbol names, struct layouts) is exercised with a compiled fake libnvidia-ml in
tests/probes/test_nvml_ctypes.py; here the stand-in lets a test say how many GPUs there are,
which handles fail and how long NVML takes, without compiling anything.
"""

from __future__ import annotations

import time
from typing import Any

from dlenv.system.nvml import MAX_LINK_GPUS, NvmlLink, _query_links


class _NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__("GPU is lost")
        self.value = value


class StandIn:
    """What _query_links uses of pynvml: handles, the common ancestor and the P2P status."""

    NVMLError = _NVMLError
    NVML_ERROR_GPU_IS_LOST = 15

    def __init__(self, lost: frozenset[int] = frozenset(), delay_s: float = 0.0) -> None:
        self.lost = lost
        self.delay_s = delay_s
        self.calls = 0

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        if index in self.lost:
            raise _NVMLError(15)
        return index

    def nvmlDeviceGetTopologyCommonAncestor(self, a: int, b: int) -> int:
        self.calls += 1
        time.sleep(self.delay_s)
        return 10 if b - a == 1 else 50

    def nvmlDeviceGetP2PStatus(self, a: int, b: int, index: int) -> int:
        self.calls += 1
        time.sleep(self.delay_s)
        return 0 if index != 2 else 5


def links(stand_in: Any, count: int, budget_s: float = 1.0) -> tuple[NvmlLink, ...]:
    return _query_links(stand_in, count, budget_s)


def test_every_pair_once_in_order() -> None:
    stand_in = StandIn()
    found = links(stand_in, 3)
    assert found == (
        NvmlLink(0, 1, topology=10, p2p_read=0, p2p_write=0, p2p_nvlink=5),
        NvmlLink(0, 2, topology=50, p2p_read=0, p2p_write=0, p2p_nvlink=5),
        NvmlLink(1, 2, topology=10, p2p_read=0, p2p_write=0, p2p_nvlink=5),
    )
    assert stand_in.calls == 12


def test_no_pairs_for_one_gpu_or_more_than_the_limit() -> None:
    assert links(StandIn(), 1) == ()
    assert links(StandIn(), MAX_LINK_GPUS + 1) == ()


def test_a_gpu_without_a_handle_leaves_its_pairs_unknown() -> None:
    found = links(StandIn(lost=frozenset({1})), 3)
    why = "no NVML handle for GPU 1"
    assert found[0] == NvmlLink(
        0, 1, errors=dict.fromkeys(("topology", "p2p_read", "p2p_write", "p2p_nvlink"), why)
    )
    assert found[1].topology == 50
    assert found[2].errors["topology"] == why


def test_pairs_left_when_the_budget_is_spent_are_listed_unasked() -> None:
    stand_in = StandIn(delay_s=0.002)
    started = time.perf_counter()
    found = links(stand_in, 8, budget_s=0.005)
    assert time.perf_counter() - started < 0.1
    assert len(found) == 28  # every pair is still there, so a rule sees what is unknown
    asked = [link for link in found if not link.errors]
    assert 1 <= len(asked) < 28
    assert found[-1].errors["p2p_read"] == "not asked: the 5 ms for GPU pairs were spent"
