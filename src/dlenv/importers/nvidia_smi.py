"""Parse pasted `nvidia-smi` output: the default table (old and new layouts, Linux and Windows)
and the `nvidia-smi -q` key/value report. Truncated names ("GeForce RTX 208...") are kept as is.
A fragment pasted without the header (GPU rows, or only the process table) is read too, and the
process table's rows become each GPU's compute processes (PID, name, memory). gpustat's
one-line-per-GPU listing ("[0] Tesla V100-SXM2-16GB | 44'C,  0 % | 15836 / 16130 MB | u(15830M)")
is read too: each GPU's name, memory used and total, and how many processes it lists; and so is
`nvidia-smi --query-gpu=index,name,memory.used,memory.total --format=csv` (with its header).
"""

from __future__ import annotations

import re

from dlenv.importers.sheet import FactSheet, Part
from dlenv.snapshot.model import DriverReading, GpuProcess

HEADER = re.compile(
    r"NVIDIA-SMI (?P<smi>[\d.]+)\s+Driver Version: (?P<drv>[\d.]+)"
    r"(?:\s+(?:CUDA Version|CUDA UMD Version): (?P<cuda>[\d.]+|N/A))?"
)
_ROW1 = re.compile(
    r"^\|\s*(?P<idx>\d+)\s+(?P<name>.+?)\s+(?P<mode>On|Off|WDDM|TCC|N/A)\s*\|\s*"
    r"(?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s+(?P<disp>On|Off|N/A)\s*\|"
    r"\s*(?P<ecc>[^|]*?)\s*\|"
)
_ROW2 = re.compile(
    r"^\|\s*(?P<fan>\d+%|N/A|ERR!)\s+(?P<temp>\d+C|N/A|ERR!)\s+(?P<perf>P\d+|N/A|ERR!)\s+"
    r"(?P<pwr>[\d.]+W|N/A|ERR!)?\s*/\s*(?P<cap>[\d.]+W|N/A|ERR!)?\s*\|\s*"
    r"(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB\s*\|"
)
_MIG = re.compile(r"^\|[^|]*\|[^|]*\|\s*(?P<mig>Enabled|Disabled|N/A)\s*\|\s*$")
_PROCESS = re.compile(
    r"^\|\s+(?P<gpu>\d+)\s+(?:\S+\s+\S+\s+)?(?P<pid>\d+)\s+(?P<type>[CG](?:\+G)?)\s+"
    r"(?P<name>\S[^|]{0,200}?)\s+(?:(?P<mib>\d+)\s?MiB|N/A)\s*\|"
)
_PROCESS_ANY = re.compile(r"^\|\s+(?P<gpu>\d+)\s+(?:\S+\s+\S+\s+)?\d+\s+[CG](?:\+G)?\s+\S")
# where a fragment without the header starts: a GPU row or the process table's title
_FRAGMENT_START = re.compile(r"^\s*\|\s*(?:\d+\s+\S|Processes:)")
# gpustat: "[0] NAME | 44'C,  0 % | 15836 / 16130 MB | alice(15830M) bob:python/123(4M)"; with
# --show-power a "45 / 300 W" field sits before the memory; its MB are MiB (NVML's bytes / 2**20)
_GPUSTAT = re.compile(
    r"^\s{0,8}[`'\"]?\[(?P<idx>\d{1,2})\]\s{1,8}(?P<name>[^|\n\[\]]{1,80}?)\s{0,8}\|\s{0,8}-?\d{1,3}\s?['°]\s?C"
    r"[^|\n]{0,60}\|(?:[^|\n]{0,40}\bW\s{0,8}\|)?\s{0,8}(?P<used>\d{1,7})\s{0,4}/\s{0,4}"
    r"(?P<total>\d{1,7})\s{0,4}MB\s{0,8}(?:\|(?P<procs>[^\n]{0,4000}))?$",
    re.MULTILINE,
)
_GPUSTAT_PROC = re.compile(r"\((?:\d{1,7})M\)")
QUERY_START = re.compile(r"^=+\s*NVSMI LOG\s*=+\s*$", re.MULTILINE)


def find_table(lines: list[str]) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    # HEADER contains "NVIDIA-SMI ": only the lines that do are tried (a log has few)
    for i in [k for k, line in enumerate(lines) if "NVIDIA-SMI " in line]:
        if blocks and i <= blocks[-1][1]:
            continue  # inside the table just read
        if HEADER.search(lines[i]) and not lines[i].lstrip().startswith("Driver Version"):
            end = i
            # the table: the header line, then lines that start with | or +, and the date above
            j = i + 1
            while (j < len(lines) and re.match(r"^\s*[|+]", lines[j])) or (
                j < len(lines)
                and not lines[j].strip()
                and j + 1 < len(lines)
                and re.match(r"^\s*[|+]", lines[j + 1])
            ):
                end = j
                j += 1
            start = i
            if i > 0 and re.match(r"^\s*\+-", lines[i - 1]):
                start = i - 1
            if start > 0 and re.match(
                r"^\s*\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4}\s*$", lines[start - 1]
            ):
                start -= 1
            blocks.append((start, end))
    return blocks + _fragments(lines, blocks)


def _fragments(lines: list[str], tables: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of table lines pasted without the header: they count when they hold a GPU row
    (two lines: name and bus, then memory) or the process table."""
    inside = {i for first, last in tables for i in range(first, last + 1)}
    found: list[tuple[int, int]] = []
    after = 0  # the first line after the last run read
    # every _FRAGMENT_START line starts with "|" after its indentation: only those are tried
    for i in [k for k, line in enumerate(lines) if line.lstrip().startswith("|")]:
        if i < after or i in inside or not _FRAGMENT_START.match(lines[i]):
            continue
        start = i
        while start > 0 and start - 1 not in inside and re.match(r"^\s*[|+]", lines[start - 1]):
            start -= 1
        end = i
        while (
            end + 1 < len(lines)
            and end + 1 not in inside
            and re.match(r"^\s*[|+]", lines[end + 1])
        ):
            end += 1
        block = [line.strip() for line in lines[start : end + 1]]
        if any(_ROW1.match(x) for x in block) or any("Processes:" in x for x in block):
            found.append((start, end))
        after = end + 1
    return found


def parse_table(lines: list[str], first: int, last: int, sheet: FactSheet) -> Part:
    part = Part("nvidia-smi", first + 1, last + 1)
    sheet.parts.append(part)
    sheet.current = part
    current: dict[str, object] | None = None
    processes: dict[int, int] = {}
    listed: dict[int, list[GpuProcess]] = {}
    in_processes = False
    saw_rows = False
    for line in lines[first : last + 1]:
        h = HEADER.search(line)
        if h:
            _driver(sheet, h.group("drv"), h.group("cuda"))
            continue
        if "Processes:" in line:
            in_processes = True
            continue
        if in_processes:
            pm = _PROCESS_ANY.match(line)
            if pm:
                processes[int(pm.group("gpu"))] = processes.get(int(pm.group("gpu")), 0) + 1
            row = _PROCESS.match(line)
            if row and "C" in row.group("type"):
                # compute contexts hold the memory a new CUDA program needs (G: graphics only)
                listed.setdefault(int(row.group("gpu")), []).append(
                    GpuProcess(
                        pid=int(row.group("pid")),
                        used_memory_mib=int(row.group("mib")) if row.group("mib") else None,
                        name=row.group("name").strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1],
                    )
                )
            continue
        r1 = _ROW1.match(line.strip())
        if r1:
            saw_rows = True
            g = sheet.gpu(int(r1.group("idx")), listed=True)
            current = g
            name = r1.group("name").strip()
            sheet.set_gpu(g, "name", name, overwrite=not name.endswith("..."))
            if name.endswith("..."):
                part.notes.append(f"GPU {r1.group('idx')}: name truncated by nvidia-smi")
            sheet.set_gpu(g, "pci_bus_id", r1.group("bus"))
            if r1.group("mode") in ("On", "Off"):
                sheet.set_gpu(g, "persistence_mode", r1.group("mode") == "On")
            else:
                sheet.set_host("os", "Windows")
            ecc = r1.group("ecc").strip()
            if ecc.isdigit():
                sheet.set_gpu(g, "ecc_uncorrectable", int(ecc))
            continue
        r2 = _ROW2.match(line.strip())
        if r2 and current is not None:
            sheet.set_gpu(current, "memory_used_mib", int(r2.group("used")))
            sheet.set_gpu(current, "memory_total_mib", int(r2.group("total")))
            sheet.set_gpu(
                current, "memory_free_mib", int(r2.group("total")) - int(r2.group("used"))
            )
            temp = r2.group("temp")
            if temp.endswith("C"):
                sheet.set_gpu(current, "temperature_c", int(temp[:-1]))
            for key, grp in (("power_w", "pwr"), ("power_limit_w", "cap")):
                val = r2.group(grp)
                if val and val.endswith("W"):
                    sheet.set_gpu(current, key, float(val[:-1]))
            continue
        mig = _MIG.match(line.strip())
        if mig and current is not None and mig.group("mig") != "N/A":
            sheet.set_gpu(current, "mig_mode", mig.group("mig") == "Enabled")
    if in_processes:
        for idx in processes:
            sheet.gpu(idx)  # a process table alone still names its GPUs (not all of them)
        for g in sheet.gpus:
            sheet.set_gpu(g, "processes", processes.get(g["index"], 0))
            if listed.get(g["index"]):
                sheet.set_gpu(g, "compute_processes", listed[g["index"]])
    if not saw_rows:
        part.notes.append("no GPU rows (truncated paste, or no GPU found)")
    sheet.current = None
    return part


def _driver(sheet: FactSheet, version: str, cuda: str | None) -> None:
    sheet.set_driver("version", version, overwrite=True)
    sheet.set_driver("userspace_version", version)
    sheet.set_driver("installed", True)
    cuda_value = cuda if cuda and cuda != "N/A" else None
    sheet.set_driver("cuda_version", cuda_value, overwrite=True)
    sheet.set_driver("nvidia_smi_path", "nvidia-smi")
    sheet.add_reading(DriverReading(source="nvidia-smi", version=version, cuda_version=cuda_value))


def find_query(lines: list[str]) -> list[tuple[int, int]]:
    blocks = []
    # QUERY_START contains "NVSMI LOG": only the lines that do are tried
    for i in [k for k, line in enumerate(lines) if "NVSMI LOG" in line]:
        if QUERY_START.match(lines[i].strip()):
            end = i
            for j in range(i + 1, len(lines)):
                if lines[j].strip() and not re.match(r"^\s*[\w\[(].*?(?::|$)", lines[j]):
                    break
                if re.match(r"^\s*(?:```|\$ |>>> |Traceback)", lines[j]):
                    break
                if lines[j].strip():
                    end = j
            blocks.append((i, end))
    return blocks


_KV = re.compile(r"^(?P<indent>\s*)(?P<key>[^:]+?)\s*:\s*(?P<value>.*?)\s*$")


def parse_query(lines: list[str], first: int, last: int, sheet: FactSheet) -> Part:
    part = Part("nvidia-smi -q", first + 1, last + 1)
    sheet.parts.append(part)
    sheet.current = part
    gpu: dict[str, object] | None = None
    section: list[tuple[int, str]] = []  # (indent, title) of the enclosing headings
    index = 0
    drv: str | None = None
    cuda: str | None = None
    for line in lines[first + 1 : last + 1]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        gm = re.match(
            r"^GPU (?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s*$", line.strip()
        )
        if gm and indent == 0:
            gpu = sheet.gpu(index, listed=True)
            index += 1
            sheet.set_gpu(gpu, "pci_bus_id", gm.group("bus"))
            section = []
            continue
        kv = _KV.match(line)
        while section and section[-1][0] >= indent:
            section.pop()
        if not kv or not kv.group("value"):
            section.append((indent, line.strip().rstrip(":").strip()))
            continue
        key, val = kv.group("key").strip(), kv.group("value")
        path = " / ".join([t for _, t in section] + [key])
        if gpu is None:
            if key == "Driver Version":
                drv = val
            elif key in ("CUDA Version", "CUDA UMD Version") and val != "N/A":
                cuda = val
            continue
        _gpu_field(sheet, gpu, path, val)
    if drv:
        _driver(sheet, drv, cuda)
    sheet.current = None
    return part


def _number(val: str) -> float | None:
    m = re.match(r"([\d.]+)", val)
    return float(m.group(1)) if m else None


def _gpu_field(sheet: FactSheet, gpu: dict[str, object], path: str, val: str) -> None:
    if path == "Product Name":
        sheet.set_gpu(gpu, "name", val, overwrite=True)
    elif path == "GPU UUID":
        sheet.set_gpu(gpu, "uuid", val)
    elif path == "Persistence Mode":
        sheet.set_gpu(gpu, "persistence_mode", val == "Enabled")
    elif path == "MIG Mode / Current" and val != "N/A":
        sheet.set_gpu(gpu, "mig_mode", val == "Enabled")
    elif path.startswith("FB Memory Usage / ") and val.endswith("MiB"):
        key = {"Total": "memory_total_mib", "Used": "memory_used_mib", "Free": "memory_free_mib"}
        which = path.rsplit(" / ", 1)[1]
        n = _number(val)
        if which in key and n is not None:
            sheet.set_gpu(gpu, key[which], int(n))
    elif path == "Temperature / GPU Current Temp":
        n = _number(val)
        if n is not None:
            sheet.set_gpu(gpu, "temperature_c", int(n))
    elif (
        path.endswith(("Power Draw", "Average Power Draw")) and "GPU Power Readings" in path
    ) or path == "Power Readings / Power Draw":
        n = _number(val)
        sheet.set_gpu(gpu, "power_w", n)
    elif path.endswith(("/ Power Limit", "/ Current Power Limit")):
        sheet.set_gpu(gpu, "power_limit_w", _number(val))
    elif path.endswith("Volatile / DRAM Uncorrectable") or path.endswith(
        "Volatile / Double Bit / Total"
    ):
        n = _number(val)
        if n is not None:
            sheet.set_gpu(gpu, "ecc_uncorrectable", int(n))


def find_gpustat(lines: list[str]) -> list[tuple[int, int]]:
    """gpustat's GPU lines, as blocks of consecutive lines (0-based, inclusive)."""
    blocks: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if "MB" not in line or "[" not in line or not _GPUSTAT.match(line):
            continue
        if blocks and blocks[-1][1] == i - 1:
            blocks[-1] = (blocks[-1][0], i)
        else:
            blocks.append((i, i))
    return blocks


def parse_gpustat(lines: list[str], first: int, last: int, sheet: FactSheet) -> Part:
    """gpustat's lines: each GPU's name, memory used and total, and its listed processes (users'
    "name(NNNM)" entries; "(null)" or nothing: none)."""
    part = Part("gpustat", first + 1, last + 1)
    sheet.parts.append(part)
    sheet.current = part
    for line in lines[first : last + 1]:
        m = _GPUSTAT.match(line)
        if m is None:
            continue
        g = sheet.gpu(int(m.group("idx")), listed=True)
        sheet.set_gpu(g, "name", m.group("name").strip())
        used, total = int(m.group("used")), int(m.group("total"))
        sheet.set_gpu(g, "memory_used_mib", used)
        sheet.set_gpu(g, "memory_total_mib", total)
        sheet.set_gpu(g, "memory_free_mib", total - used)
        procs = m.group("procs")
        if procs is not None:
            sheet.set_gpu(g, "processes", len(_GPUSTAT_PROC.findall(procs)))
    sheet.current = None
    return part


# `nvidia-smi --query-gpu=... --format=csv`: a header naming the fields ("memory.used [MiB]"),
# then one comma-separated row per GPU ("0, NVIDIA GeForce RTX 3090, 23000 MiB, 24576 MiB")
_CSV_FIELD = re.compile(r"^(?P<key>[a-z_]{1,30}(?:\.[a-z_]{1,30}){0,3})(?:\s\[[^\]\n]{1,12}\])?$")
_CSV_MIB = re.compile(r"^(?P<v>\d{1,7})\s?MiB$")
_CSV_GPU_KEYS = {
    "memory.used": "memory_used_mib",
    "memory.total": "memory_total_mib",
    "memory.free": "memory_free_mib",
}


def find_query_csv(lines: list[str]) -> list[tuple[int, int]]:
    """The blocks of `nvidia-smi --query-gpu` CSV: a header with a memory field, then rows with
    as many fields (0-based, inclusive)."""
    blocks: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if "memory." not in line or "," not in line:
            continue
        keys = _csv_header(line)
        if keys is None:
            continue
        j = i + 1
        while j < len(lines) and lines[j].count(",") == len(keys) - 1 and lines[j].strip():
            j += 1
        if j > i + 1:
            blocks.append((i, j - 1))
    return blocks


def _csv_header(line: str) -> list[str] | None:
    fields = [f.strip() for f in line.strip().split(",")]
    if len(fields) < 2 or len(fields) > 20:
        return None
    keys = []
    for f in fields:
        m = _CSV_FIELD.match(f)
        if m is None:
            return None
        keys.append(m.group("key"))
    return keys if any(k in _CSV_GPU_KEYS for k in keys) else None


def parse_query_csv(lines: list[str], first: int, last: int, sheet: FactSheet) -> Part:
    """`nvidia-smi --query-gpu` rows: each GPU's index, name and memory (MiB)."""
    part = Part("nvidia-smi --query-gpu", first + 1, last + 1)
    sheet.parts.append(part)
    sheet.current = part
    keys = _csv_header(lines[first]) or []
    for n, line in enumerate(lines[first + 1 : last + 1]):
        row = dict(zip(keys, (v.strip() for v in line.split(",")), strict=False))
        idx = row.get("index", "")
        g = sheet.gpu(int(idx) if idx.isdigit() else n, listed=True)
        if row.get("name") and row["name"] != "[N/A]":
            sheet.set_gpu(g, "name", row["name"])
        for key, path in _CSV_GPU_KEYS.items():
            m = _CSV_MIB.match(row.get(key, ""))
            if m is not None:
                sheet.set_gpu(g, path, int(m.group("v")))
        drv = row.get("driver_version", "")
        if re.fullmatch(r"\d{2,3}\.\d{1,3}(?:\.\d{1,3})?", drv):
            _driver(sheet, drv, None)
    sheet.current = None
    return part
