"""Node names in Slurm's compressed hostlist form: gpu017, gpu018, gpu031 -> gpu[017-018,031].

The form admins already paste into `scontrol`, `sinfo -n` and `srun -w`; `scontrol show
hostnames 'gpu[017-018,031]'` expands it back. Names that do not end in digits, or hold
characters the form cannot carry, are listed as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBERED = re.compile(r"^([A-Za-z0-9._-]*?)(\d+)$")


def natural_key(name: str) -> tuple[str, int, str]:
    """Sort gpu2 before gpu10 (and gpu002 before gpu010)."""
    match = _NUMBERED.match(name)
    if match is None:
        return (name, -1, name)
    return (match[1], int(match[2]), name)


def _ranges(numbers: list[int], width: int) -> str:
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        a, b = f"{start:0{width}d}", f"{prev:0{width}d}"
        parts.append(a if start == prev else f"{a}-{b}")
        if n is not None:
            start = prev = n
    return ",".join(parts)


def compress(names: Iterable[str]) -> str:
    """The hostlist expression of `names` (duplicates dropped), in natural order."""
    groups: dict[tuple[str, int], list[int]] = {}
    plain: list[str] = []
    for name in sorted(set(names), key=natural_key):
        match = _NUMBERED.match(name)
        if match is None or "[" in name:
            plain.append(name)
            continue
        groups.setdefault((match[1], len(match[2])), []).append(int(match[2]))
    out: list[tuple[tuple[str, int, str], str]] = []
    for (prefix, width), numbers in groups.items():
        numbers = sorted(set(numbers))
        first = f"{prefix}{numbers[0]:0{width}d}"
        if len(numbers) == 1:
            out.append((natural_key(first), first))
        else:
            out.append((natural_key(first), f"{prefix}[{_ranges(numbers, width)}]"))
    out += [(natural_key(name), name) for name in plain]
    return ",".join(text for _, text in sorted(out))
