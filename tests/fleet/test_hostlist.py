"""Node lists in Slurm's hostlist form, as `scontrol show hostnames` expands them back."""

from __future__ import annotations

import pytest

from dlenv.fleet.hostlist import compress, natural_key


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["gpu017", "gpu018", "gpu031"], "gpu[017-018,031]"),
        (["gpu031", "gpu017", "gpu018", "gpu017"], "gpu[017-018,031]"),
        (["gpu017"], "gpu017"),
        (["n9", "n10", "n11"], "n9,n[10-11]"),
        (["a1", "b1", "b2", "login"], "a1,b[1-2],login"),
        (["node-1.cluster", "x[1]"], "node-1.cluster,x[1]"),
        (["dgx-a-01", "dgx-a-02", "dgx-b-01"], "dgx-a-[01-02],dgx-b-01"),
        ([], ""),
    ],
)
def test_compress(names: list[str], expected: str) -> None:
    assert compress(names) == expected


def test_natural_order() -> None:
    assert sorted(["gpu10", "gpu2", "login", "gpu1"], key=natural_key) == [
        "gpu1",
        "gpu2",
        "gpu10",
        "login",
    ]
