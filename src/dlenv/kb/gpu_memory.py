"""How much memory a GPU model has (data/gpu_memory.json), for a report that names its GPU
but not its size: "K80", "Tesla T4", "V100", "2080 Ti". A maintainer's arithmetic: "Tried to
allocate 36 GiB on a T4 (15 GiB)" is a job too big for the card.

The common variant's size (per GPU for dual-GPU boards such as the K80); a size the report
states wins over it. Loaded on first use: only the memory rules ask for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from dlenv.errors import DlenvError
from dlenv.kb.tables import AsOf, read_data


@dataclass(frozen=True)
class GpuMemory:
    """One GPU model and its memory."""

    name: str  # "Tesla K80"
    keys: tuple[str, ...]  # names users write without the brand: "k80"
    memory_gib: float
    note: str
    source: str

    @property
    def memory_mib(self) -> float:
        return self.memory_gib * 1024


@dataclass(frozen=True)
class GpuMemoryTable:
    gpus: tuple[GpuMemory, ...]
    as_of: AsOf
    pattern: re.Pattern[str]  # any key, the longest first, as a whole word
    by_key: dict[str, GpuMemory]


def _norm(key: str) -> str:
    return re.sub(r"[ ]?ti\b", " ti", key.lower().strip())


@cache
def gpu_memory_table() -> GpuMemoryTable:
    try:
        data = read_data("gpu_memory")
        gpus = tuple(
            GpuMemory(
                name=r["name"],
                keys=tuple(_norm(k) for k in r["keys"]),
                memory_gib=float(r["memory_gib"]),
                note=r["note"],
                source=r["source"],
            )
            for r in data["gpus"]
        )
        as_of = AsOf(**data["as_of"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DlenvError(f"knowledge base file gpu_memory.json is unreadable: {exc}") from None
    by_key = {k: g for g in gpus for k in g.keys}
    keys = sorted(by_key, key=len, reverse=True)
    # a key as a whole word; "ti" spaced or not; not a size or a version ("t4" in "t4g",
    # "1080" in "1080p", "3060" in "3060x")
    alternatives = "|".join(re.escape(k).replace(r"\ ti", "[ ]?ti") for k in keys)
    pattern = re.compile(rf"(?i)(?<![\w.-])(?:{alternatives})(?![\w.])")
    return GpuMemoryTable(gpus, as_of, pattern, by_key)


def gpu_memory(text: str) -> GpuMemory | None:
    """The first GPU model `text` names ("a K80", "NVIDIA Tesla T4", "GeForce GTX 1080Ti",
    "rtx 2080 ti"), or None."""
    table = gpu_memory_table()
    m = table.pattern.search(text)
    if m is None:
        return None
    return table.by_key.get(_norm(m.group(0)))
