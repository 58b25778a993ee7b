"""`nvidia-smi` as a fallback witness: one query-mode call, its exit code and its CSV, as data.

It is run at most once per collection and only when NVML could not answer in process: both ask
the same libnvidia-ml, so a second opinion costs 50 ms to seconds and adds nothing when NVML works.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field

from dlenv.snapshot.model import GpuFacts
from dlenv.system.base import System

# The fields every driver since R450 knows. An unknown field makes nvidia-smi reject the whole
# query (exit 2, 'Field "compute_cap" is not a valid field to query.'), so `compute_cap`, absent
# from 470.x (https://github.com/huggingface/candle/issues/733,
# https://github.com/NVIDIA/TensorRT-LLM/pull/735), is only asked of drivers known to be newer.
BASE_FIELDS: tuple[str, ...] = (
    "index",
    "name",
    "uuid",
    "pci.bus_id",
    "driver_version",
    "memory.total",
    "memory.used",
    "memory.free",
    "persistence_mode",
    "mig.mode.current",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "ecc.errors.uncorrected.aggregate.total",
    "retired_pages.sbe",
    "retired_pages.dbe",
)
COMPUTE_CAP_FIELD = "compute_cap"
COMPUTE_CAP_MIN_DRIVER = 515  # conservative: the field is reported on 515+ drivers

# nvidia-smi(1), RETURN VALUE (https://docs.nvidia.com/deploy/nvidia-smi/index.html). 18 is not
# in that table but is what nvidia-smi returns on "Driver/library version mismatch" (NVML's
# NVML_ERROR_LIB_RM_VERSION_MISMATCH): https://github.com/anderskm/gputil/issues/55,
# https://github.com/mozilla/translations/issues/1167.
EXIT_CODES: dict[int, str] = {
    2: "a supplied argument or flag is invalid",
    3: "the requested operation is not available on the target device",
    4: "the current user does not have permission to access this device or perform this operation",
    6: "a query to find an object was unsuccessful",
    8: "a device's external power cables are not properly attached",
    9: "the NVIDIA driver is not loaded",
    10: "the NVIDIA kernel detected an interrupt issue with a GPU",
    12: "the NVML shared library couldn't be found or loaded",
    13: "the local version of NVML doesn't implement this function",
    14: "the infoROM is corrupted",
    15: "the GPU has fallen off the bus or has otherwise become inaccessible",
    18: "the driver/library versions mismatch (NVML_ERROR_LIB_RM_VERSION_MISMATCH)",
    255: "another error or an internal driver error occurred",
}

_MISMATCH = re.compile(r"Driver/library version mismatch", re.IGNORECASE)
_LIBRARY_VERSION = re.compile(r"NVML library version:\s*([0-9][0-9.]*)")


@dataclass(frozen=True)
class SmiQuery:
    """What one `nvidia-smi --query-gpu` call said."""

    path: str
    returncode: int | None = None
    driver_version: str | None = None
    library_version: str | None = None  # "NVML library version: 545.23" after a mismatch
    mismatch: bool = False
    gpus: list[GpuFacts] = field(default_factory=list)
    error: str | None = None  # why it gave no usable answer
    detail: str | None = None  # the exit code's documented meaning, or the output's last line
    duration_s: float = 0.0


def query_fields(driver_version: str | None) -> tuple[str, ...]:
    """The fields to ask for, given the kernel module's version when it is already known."""
    major = _major(driver_version)
    if major is not None and major >= COMPUTE_CAP_MIN_DRIVER:
        return (*BASE_FIELDS, COMPUTE_CAP_FIELD)
    return BASE_FIELDS


def query_nvidia_smi(
    system: System, path: str, timeout: float, driver_version: str | None = None
) -> SmiQuery:
    """Run nvidia-smi once in query mode and parse what it printed, whatever its exit code."""
    fields = query_fields(driver_version)
    argv = [path, f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
    result = system.run(argv, timeout=timeout)
    if result.error is not None:
        return SmiQuery(path=path, error=f"nvidia-smi could not start: {result.error}")
    if result.timed_out:
        return SmiQuery(
            path=path,
            error=f"nvidia-smi did not answer within {timeout:g} s (killed)",
            detail="a GPU without persistence mode, or a driver in a bad state, can hang it",
            duration_s=result.duration_s,
        )
    output = f"{result.stdout}\n{result.stderr}"
    library = _LIBRARY_VERSION.search(output)
    mismatch = bool(_MISMATCH.search(output)) or result.returncode == 18
    gpus, messages = parse_query_csv(result.stdout, fields)
    code = result.returncode
    meaning = EXIT_CODES.get(code) if code is not None else None
    error: str | None = None
    if code is not None and code < 0:
        error = f"nvidia-smi was killed by signal {-code}"
    elif code != 0:
        # what it printed says more than the code: "Failed to initialize NVML: ..."
        stderr = result.stderr.strip().splitlines()
        error = messages[0] if messages else (stderr[-1] if stderr else None)
        error = error or meaning or f"nvidia-smi exited with {code}"
    driver = next(iter(_driver_versions(result.stdout, fields)), None)
    detail = f"exit code {code}: {meaning}" if code and meaning else None
    if detail is None and messages and code == 0:
        detail = messages[0]
    return SmiQuery(
        path=path,
        returncode=code,
        driver_version=driver,
        library_version=library.group(1) if library else None,
        mismatch=mismatch,
        gpus=gpus,
        error=error,
        detail=detail,
        duration_s=result.duration_s,
    )


def printable(text: str, limit: int = 200) -> str:
    """`text` safe to show on a terminal: a garbled binary answer must not send control
    sequences, so every unprintable character (and U+FFFD from undecodable bytes) becomes `?`."""
    return "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in text[:limit])


def parse_query_csv(text: str, fields: tuple[str, ...]) -> tuple[list[GpuFacts], list[str]]:
    """GPU rows of `--format=csv,noheader,nounits` output, and any other lines it printed."""
    gpus: list[GpuFacts] = []
    messages: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = next(csv.reader([line], skipinitialspace=True))
        except csv.Error:  # Python 3.10's csv refuses NUL bytes: a garbled line is no GPU row
            row = []
        # isdecimal, not isdigit: "²" is a digit that int() refuses
        if len(row) != len(fields) or not row[0].strip().isdecimal():
            messages.append(printable(line.strip()))
            continue
        gpus.append(_gpu_from_row(dict(zip(fields, (cell.strip() for cell in row), strict=True))))
    return gpus, messages


def _driver_versions(text: str, fields: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    position = fields.index("driver_version")
    for line in text.splitlines():
        row = next(csv.reader([line], skipinitialspace=True), [])
        if len(row) == len(fields) and row[0].strip().isdigit():
            value = row[position].strip()
            if _value(value) is not None:
                found.append(value)
    return found


def _value(cell: str) -> str | None:
    """None for nvidia-smi's placeholders: [N/A], [Not Supported], [ERR!], [Unknown Error]…
    (bracketed in CSV; a GPU in a bad state shows them bare too, as in the table view)."""
    bare = cell in ("N/A", "ERR!", "Unknown Error", "Not Supported", "Requested functionality")
    if not cell or bare or (cell.startswith("[") and cell.endswith("]")):
        return None
    return cell


def _gpu_from_row(row: dict[str, str]) -> GpuFacts:
    unknown: dict[str, str] = {}

    def text(name: str, fact: str) -> str | None:
        cell = row.get(name)
        if cell is None:
            unknown[fact] = f"nvidia-smi was not asked for {name} (older driver)"
            return None
        value = _value(cell)
        if value is None:
            unknown[fact] = f"nvidia-smi reported {cell or 'nothing'} for {name}"
        return value

    def number(name: str, fact: str) -> float | None:
        value = text(name, fact)
        if value is None:
            return None
        try:
            result = float(value)
        except ValueError:
            result = math.nan
        if not math.isfinite(result):  # "nan" and "inf" parse, but are no reading
            unknown[fact] = f"nvidia-smi reported {value!r} for {name}"
            return None
        return result

    def integer(name: str, fact: str) -> int | None:
        value = number(name, fact)
        return None if value is None else int(value)

    def enabled(name: str, fact: str) -> bool | None:
        value = text(name, fact)
        return None if value is None else value.lower() in ("enabled", "on", "1")

    sbe = integer("retired_pages.sbe", "retired_pages")
    dbe = integer("retired_pages.dbe", "retired_pages")
    return GpuFacts(
        index=int(row["index"]),
        name=text("name", "name"),
        uuid=text("uuid", "uuid"),
        pci_bus_id=text("pci.bus_id", "pci_bus_id"),
        memory_total_mib=integer("memory.total", "memory_total_mib"),
        memory_used_mib=integer("memory.used", "memory_used_mib"),
        memory_free_mib=integer("memory.free", "memory_free_mib"),
        compute_capability=text(COMPUTE_CAP_FIELD, "compute_capability"),
        mig_mode=enabled("mig.mode.current", "mig_mode"),
        persistence_mode=enabled("persistence_mode", "persistence_mode"),
        temperature_c=integer("temperature.gpu", "temperature_c"),
        power_w=number("power.draw", "power_w"),
        power_limit_w=number("power.limit", "power_limit_w"),
        ecc_uncorrectable=integer("ecc.errors.uncorrected.aggregate.total", "ecc_uncorrectable"),
        retired_pages=None if sbe is None or dbe is None else sbe + dbe,
        processes=None,
        source="nvidia-smi",
        unknown={**unknown, "processes": "nvidia-smi's GPU query does not count processes"},
    )


def _major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None
