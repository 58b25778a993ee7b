"""Parse the output of PyTorch's `python -m torch.utils.collect_env`, every version since 2018.

Old versions lack fields (no Python platform, no CUDA_MODULE_LOADING, "Yes"/"No" for booleans);
"Could not collect", "N/A" and "No CUDA" are recorded as unknown, never as values.
"""

from __future__ import annotations

import re

from dlenv.importers.sheet import FactSheet, Part
from dlenv.snapshot.model import CudaToolkit, CudnnInstall, DriverReading, ToolkitKind

# The first field every version prints; "Collecting environment information..." may precede it.
START = re.compile(r"^[ \t]*(?:PyTorch version|PyTorch Version):[ \t]*\S", re.MULTILINE)
_FIELD = re.compile(r"^[ \t]*(?P<key>[A-Za-z][A-Za-z0-9_ ()/.-]{1,60}?):[ \t]*(?P<value>.*)$")
_NO_VALUE = {"could not collect", "n/a", "no cuda", "none", "", "unknown"}
# Fields whose value may continue on the next lines (GPU list, cuDNN candidates, CPU block…)
_MULTILINE = {
    "gpu models and configuration",
    "cudnn version",
    "cpu",
    "versions of relevant libraries",
}
KNOWN = {
    "pytorch version",
    "is debug build",
    "cuda used to build pytorch",
    "rocm used to build pytorch",
    "os",
    "gcc version",
    "clang version",
    "cmake version",
    "libc version",
    "python version",
    "python platform",
    "is cuda available",
    "cuda runtime version",
    "cuda_module_loading set to",
    "gpu models and configuration",
    "nvidia driver version",
    "cudnn version",
    "hip runtime version",
    "miopen runtime version",
    "is xnnpack available",
    "cpu",
    "versions of relevant libraries",
    "caching allocator config",
    "is xpu available",
    "xpu used to build pytorch",
}
_END = re.compile(r"^\s*(?:Traceback \(most recent call last\)|```|\$ |>>> |#{1,6} |\S+@\S+[:$])")
# a version starts with a digit, so "[conda] Could not collect" is no package "could"
_PIP = re.compile(
    r"^\s*\[(?P<tool>pip3?|conda)\]\s+(?P<name>[A-Za-z0-9_.-]+)(?:==|\s+)(?P<ver>v?\d\S*)"
    r"(?:\s+(?P<build>\S+))?"
)
_NO_PACKAGES = re.compile(r"^\s*\[(?:pip3?|conda)\]\s+Could not collect\s*$")
_CUDNN_FILE = re.compile(
    r"(?:lib)?cudnn(?:_\w+?)?(?:64_(?P<dllmajor>\d+)\.dll|\.so\.(?P<ver>\d+(?:\.\d+)*)"
    r"|\.(?P<macver>\d+(?:\.\d+)*)\.dylib)",
    re.IGNORECASE,
)
_FRAMEWORK_DISTS = {
    "torch": "torch",
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "tensorflow": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tensorflow-cpu": "tensorflow",
    "tf-nightly": "tensorflow",
    "tensorflow-intel": "tensorflow",
    "tensorflow-macos": "tensorflow",
    "keras": "keras",
    "tf-keras": "tf-keras",
    "tf_keras": "tf-keras",
    "jax": "jax",
    "jaxlib": "jaxlib",
}
# "N/A" here means "does not apply" (no ROCm, no glibc on Windows), not "could not tell"
_NOT_APPLICABLE = {"rocm used to build pytorch", "libc version", "cuda_module_loading set to"}
_WORD_BOOL = {"true": True, "yes": True, "false": False, "no": False}


def find(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line indexes of each collect_env block in the text."""
    blocks: list[tuple[int, int]] = []
    # START contains "PyTorch ": only the lines that do are tried (a long log has few)
    for i in [k for k, line in enumerate(lines) if "PyTorch " in line]:
        if blocks and i <= blocks[-1][1]:
            continue  # inside the block just read
        if START.match(lines[i]) and _looks_like_block(lines, i):
            start = i - 1 if i > 0 and "Collecting environment information" in lines[i - 1] else i
            end = _block_end(lines, i)
            blocks.append((start, end))
    return blocks


def _looks_like_block(lines: list[str], i: int) -> bool:
    """At least three known fields close together: not a lone "PyTorch version: 2.1" line."""
    known = 0
    for line in lines[i : i + 14]:
        m = _FIELD.match(line)
        if m and m.group("key").strip().lower() in KNOWN:
            known += 1
    return known >= 3


def _block_end(lines: list[str], start: int) -> int:
    last = start
    blank_run = 0
    in_libs = False
    for j in range(start + 1, len(lines)):
        line = lines[j]
        if not line.strip():
            blank_run += 1
            if blank_run > 2:
                break
            continue
        if _END.match(line):
            break
        m = _FIELD.match(line)
        key = m.group("key").strip().lower() if m else ""
        if key in KNOWN:
            in_libs = key == "versions of relevant libraries"
            last, blank_run = j, 0
            continue
        if in_libs and not (_PIP.match(line) or _NO_PACKAGES.match(line)):
            break
        if blank_run and not in_libs and not _continuation(line):
            break
        last, blank_run = j, 0
    return last


def _continuation(line: str) -> bool:
    s = line.strip()
    return bool(re.match(r"GPU \d+:|/|[A-Za-z]:\\|\[(?:pip3?|conda)\]|\w[\w ()]*[:=]", s))


def parse(lines: list[str], first: int, last: int, sheet: FactSheet) -> Part:
    """Record the facts of one collect_env block (lines[first..last]) into the sheet."""
    part = Part("collect_env", first + 1, last + 1)
    sheet.parts.append(part)
    sheet.current = part
    fields: dict[str, list[str]] = {}
    key: str | None = None
    for line in lines[first : last + 1]:
        m = _FIELD.match(line)
        k = m.group("key").strip().lower() if m else None
        if m and k in KNOWN:
            key = k
            fields[key] = [m.group("value").strip()]
        elif (key in _MULTILINE and line.strip()) or (key == "cpu" and line.strip()):
            fields[key].append(line.strip())
    _torch(fields, sheet)
    _host(fields, sheet)
    _nvidia(fields, sheet)
    _cudnn(fields, sheet)
    _packages(fields.get("versions of relevant libraries", []), sheet)
    missing = [
        k
        for k in (
            "cuda used to build pytorch",
            "nvidia driver version",
            "cudnn version",
            "gpu models and configuration",
        )
        if k not in fields
    ]
    if missing and last + 1 >= len(lines):
        part.notes.append("the paste ends early: no " + ", ".join(missing))
    sheet.current = None
    return part


def value(fields: dict[str, list[str]], key: str, sheet: FactSheet, label: str) -> str | None:
    """The field's value, or None (recording why) when it says nothing."""
    vals = fields.get(key)
    if vals is None:
        return None
    v = vals[0].strip()
    if v.lower() in _NO_VALUE:
        if not (v == "N/A" and key in _NOT_APPLICABLE):
            sheet.unknown(f"{label}: {v or 'empty'}")
        return None
    return v


def _torch(fields: dict[str, list[str]], sheet: FactSheet) -> None:
    raw_version = fields.get("pytorch version", [""])[0].strip()
    version = value(fields, "pytorch version", sheet, "PyTorch version")
    if version is None:
        if raw_version.lower() == "n/a":
            # collect_env prints N/A when `import torch` failed
            sheet.set_live("torch", "status", "import-error")
            sheet.set_live("torch", "error", "collect_env could not import torch")
        return
    sheet.set_framework("torch", "version", version, overwrite=True)
    sheet.set_framework("torch", "distribution", "torch")
    sheet.set_framework("torch", "build_source", "collect_env")
    plus = version.partition("+")[2]
    if plus:
        sheet.set_framework("torch", "variant", plus)
    raw_cuda = fields.get("cuda used to build pytorch", [None])[0]
    cuda = value(fields, "cuda used to build pytorch", sheet, "CUDA used to build PyTorch")
    rocm = value(fields, "rocm used to build pytorch", sheet, "ROCM used to build PyTorch")
    if cuda is not None and re.match(r"\d+\.\d+", cuda):
        sheet.set_framework("torch", "cuda_build", True, overwrite=True)
        sheet.set_framework("torch", "cuda_version", ".".join(cuda.split(".")[:2]), overwrite=True)
    elif raw_cuda is not None:
        # torch.version.cuda is None: printed "None" (no CUDA at all) or "Could not collect"
        sheet.set_framework("torch", "cuda_build", False, overwrite=True)
        if not plus:
            sheet.set_framework("torch", "variant", "rocm" if rocm else "cpu")
    if rocm is not None:
        sheet.set_framework("torch", "rocm_build", True)
    available = value(fields, "is cuda available", sheet, "Is CUDA available")
    if available is not None and available.lower() in _WORD_BOOL:
        sheet.set_live("torch", "status", "ok")
        sheet.set_live("torch", "version", version)
        sheet.set_live("torch", "gpu_available", _WORD_BOOL[available.lower()], overwrite=True)
        if cuda is not None and re.match(r"\d+\.\d+", cuda):
            sheet.set_live("torch", "cuda_version", cuda)


def _host(fields: dict[str, list[str]], sheet: FactSheet) -> None:
    os_name = value(fields, "os", sheet, "OS")
    if os_name:
        arch = re.search(r"\((x86_64|aarch64|arm64|AMD64|ppc64le)\)\s*$", os_name)
        if arch:
            sheet.set_host("arch", arch.group(1))
        if os_name.startswith(("Microsoft Windows", "Windows")):
            sheet.set_host("os", "Windows")
            sheet.set_host("distro", re.sub(r"\s*\(.*\)$", "", os_name))
        elif os_name.startswith(("macOS", "Mac OSX", "Mac OS")):
            sheet.set_host("os", "Darwin")
            sheet.set_host("distro", "macOS")
            ver = re.search(r"(\d+(?:\.\d+)*)", os_name)
            sheet.set_host("distro_version", ver.group(1) if ver else None)
        else:
            sheet.set_host("os", "Linux")
            dm = re.match(r"(?P<d>[A-Za-z][A-Za-z /]*?)\s+(?P<v>\d+(?:\.\d+)*)", os_name)
            if dm:
                sheet.set_host("distro", dm.group("d").strip())
                sheet.set_host("distro_version", dm.group("v"))
    libc = value(fields, "libc version", sheet, "Libc version")
    if libc and libc.startswith("glibc-"):
        sheet.set_host("glibc_version", libc.removeprefix("glibc-"))
    platform = value(fields, "python platform", sheet, "Python platform")
    if platform:
        pm = re.match(r"(?P<os>Linux|Windows|macOS)-(?P<rest>.+)$", platform)
        if pm and pm.group("os") == "Linux":
            kernel = re.match(r"(.+?)-(?:x86_64|aarch64|ppc64le)-with", pm.group("rest"))
            if kernel:
                sheet.set_host("kernel", kernel.group(1))
            if "microsoft-standard-WSL2" in platform or "-microsoft-standard" in platform:
                sheet.set_host("wsl", 2)
            elif "-Microsoft-" in platform:
                sheet.set_host("wsl", 1)
        sheet.set_python(
            "platform",
            {"Linux": "linux", "Windows": "win32", "macOS": "darwin"}.get(pm.group("os"))
            if pm
            else None,
        )
    py = value(fields, "python version", sheet, "Python version")
    if py:
        pv = re.match(r"(\d+\.\d+(?:\.\d+)?)", py)
        sheet.set_python("version", pv.group(1) if pv else None)
        if "conda-forge" in py or "Anaconda" in py or "| packaged by conda" in py:
            sheet.set_python("kind", "conda")
    cpu = fields.get("cpu")
    if cpu:
        for line in cpu:
            cm = re.match(r"(?:Model name|Name)\s*[:=]\s*(.+)", line)
            if cm:
                sheet.set_host("cpu_model", cm.group(1).strip())
                break


def _nvidia(fields: dict[str, list[str]], sheet: FactSheet) -> None:
    driver = value(fields, "nvidia driver version", sheet, "Nvidia driver version")
    if driver and re.match(r"\d+\.\d+", driver):
        sheet.set_driver("version", driver)
        sheet.set_driver("userspace_version", driver)
        sheet.set_driver("installed", True)
        sheet.add_reading(DriverReading(source="nvidia-smi", version=driver))
    gpu_lines = fields.get("gpu models and configuration", [])
    if gpu_lines and gpu_lines[0].strip().lower() in _NO_VALUE:
        sheet.unknown(f"GPU models and configuration: {gpu_lines[0] or 'empty'}")
        gpu_lines = gpu_lines[1:]
    for line in gpu_lines:
        gm = re.match(r"GPU (?P<idx>\d+): (?P<name>.+?)(?:\s*\(UUID: (?P<uuid>[^)]+)\))?\s*$", line)
        if gm:
            g = sheet.gpu(int(gm.group("idx")), listed=True)
            sheet.set_gpu(g, "name", gm.group("name"), overwrite=True)
            sheet.set_gpu(g, "uuid", gm.group("uuid"))
        elif line and not re.match(r"\w[\w ]*:", line) and not sheet.gpus:
            g = sheet.gpu(0, listed=True)
            sheet.set_gpu(g, "name", line.strip())
    runtime = value(fields, "cuda runtime version", sheet, "CUDA runtime version")
    if runtime and re.match(r"\d+\.\d+", runtime):
        # collect_env reads this from `nvcc --version`: the toolkit on PATH, not torch's runtime
        sheet.add_toolkit(
            CudaToolkit(
                path="(nvcc on PATH)",
                version=runtime,
                version_source="collect_env (nvcc --version)",
                kind="system",
                found_by=["PATH (nvcc)"],
                nvcc_version=runtime,
            )
        )
    loading = value(fields, "cuda_module_loading set to", sheet, "CUDA_MODULE_LOADING")
    if loading:
        sheet.set_live("torch", "details", {"CUDA_MODULE_LOADING": loading})


def _cudnn(fields: dict[str, list[str]], sheet: FactSheet) -> None:
    lines = fields.get("cudnn version")
    if not lines:
        return
    head = lines[0].strip()
    if head.lower() in _NO_VALUE:
        sheet.unknown(f"cuDNN version: {head or 'empty'}")
        return
    candidates = lines[1:] if head.lower().startswith("probably one of the following") else lines
    for cand in candidates:
        c = cand.strip()
        if not c:
            continue
        fm = _CUDNN_FILE.search(c)
        if re.fullmatch(r"\d+(?:\.\d+)*", c):
            parts = c.split(".")
            if len(parts) == 1 and len(c) >= 4:  # 8902 as torch.backends.cudnn.version() prints
                from dlenv.importers.signatures import CONVERTERS

                c = str(CONVERTERS["cudnn"](c))
            sheet.add_cudnn(
                CudnnInstall(
                    path="(reported by collect_env)",
                    version=c,
                    major=int(c.split(".")[0]),
                    version_source="collect_env",
                )
            )
            continue
        if not fm or not re.match(r"/|[A-Za-z]:\\|\\\\", c):
            continue
        sep = "\\" if "\\" in c else "/"
        directory, _, name = c.rpartition(sep)
        ver = fm.group("ver") or fm.group("macver")
        major = int(fm.group("dllmajor") or (ver or "0").split(".")[0]) or None
        full = ver if ver and ver.count(".") >= 1 else None
        kind: ToolkitKind = (
            "conda"
            if ("conda" in c.lower() and "envs" in c.lower()) or "/conda/" in c
            else ("pip" if "site-packages" in c else "system")
        )
        sheet.add_cudnn(
            CudnnInstall(
                path=directory,
                version=full,
                major=major,
                kind=kind,
                libraries=[name],
                version_source="file name",
            )
        )


def _packages(lines: list[str], sheet: FactSheet) -> None:
    for line in lines:
        pm = _PIP.match(line)
        if not pm:
            continue
        name = pm.group("name").lower().replace("_", "-")
        ver, tool, build = pm.group("ver"), pm.group("tool"), pm.group("build") or ""
        sheet.add_distribution(name, ver, "conda" if tool == "conda" else "pip")
        fw = _FRAMEWORK_DISTS.get(name)
        if fw == "torch" and tool == "conda":
            _conda_torch(ver, build, sheet)
        elif name in ("cpuonly",) or (name == "pytorch-mutex" and ver == "1.0" and build == "cpu"):
            sheet.set_framework("torch", "cuda_build", False)
            sheet.set_framework("torch", "variant", "cpu")
        elif fw and fw != "torch":
            add_framework_version(sheet, fw, name, ver)
        elif fw == "torch" and "torch" not in sheet.frameworks:
            add_framework_version(sheet, "torch", name, ver)


def _conda_torch(ver: str, build: str, sheet: FactSheet) -> None:
    """conda's pytorch build string tells the build: py3.10_cuda11.7_cudnn8.5.0_0, cpu_py310…"""
    if "torch" not in sheet.frameworks or not sheet.frameworks["torch"].get("version"):
        sheet.set_framework("torch", "version", ver)
    bm = re.search(r"cuda(?P<cuda>\d+\.\d+)(?:_cudnn(?P<cudnn>[\d.]+?))?_", build + "_")
    if bm:
        sheet.set_framework("torch", "cuda_build", True)
        sheet.set_framework("torch", "cuda_version", bm.group("cuda"))
        sheet.set_framework("torch", "cudnn_version", bm.group("cudnn"))
        sheet.set_framework("torch", "variant", "cu" + bm.group("cuda").replace(".", ""))
    elif "cpu" in build:
        sheet.set_framework("torch", "cuda_build", False)
        sheet.set_framework("torch", "variant", "cpu")


def add_framework_version(sheet: FactSheet, fw: str, dist: str, ver: str) -> None:
    """A framework known from a package list (pip freeze, conda list, collect_env's libraries)."""
    if fw == "jaxlib":
        plus = ver.partition("+")[2]
        if plus.startswith("cuda"):
            sheet.set_framework("jax", "cuda_build", True)
        sheet.set_framework("jax", "details", {"jaxlib": ver})
        return
    sheet.set_framework(fw, "version", ver)
    sheet.set_framework(fw, "distribution", dist)
    if fw == "tensorflow" and dist == "tensorflow-cpu":
        sheet.set_framework("tensorflow", "cuda_build", False)
        sheet.set_framework("tensorflow", "variant", "cpu")
    if fw == "torch":
        plus = ver.partition("+")[2]
        if plus:
            sheet.set_framework("torch", "variant", plus)
            if plus == "cpu":
                sheet.set_framework("torch", "cuda_build", False)
            elif plus.startswith("cu") and plus[2:].isdigit():
                sheet.set_framework("torch", "cuda_build", True)
                sheet.set_framework("torch", "cuda_version", f"{plus[2:-1]}.{plus[-1]}")
