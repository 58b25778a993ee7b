"""Facts stated by people rather than tools: issue templates (TensorFlow's "### TensorFlow
version", PyTorch's old "- PyTorch Version (e.g., 1.0):"), `pip list`/`pip freeze` and `nvcc -V`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dlenv.importers.collect_env import _FRAMEWORK_DISTS, add_framework_version
from dlenv.importers.sheet import FactSheet, Part
from dlenv.snapshot.model import CudaToolkit, CudnnInstall

# Template field labels -> our key. Headings ("### TensorFlow version") or bullets ("- OS: x").
_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern, re.IGNORECASE))
    for key, pattern in (
        ("tensorflow", r"tensorflow version"),
        ("torch", r"pytorch version"),
        ("keras", r"keras version"),
        ("jax", r"jax version"),
        ("os", r"os platform and distribution|^os\b|operating system"),
        ("python", r"python version"),
        ("cuda_cudnn", r"cuda/cudnn version|cuda / cudnn version"),
        ("cuda", r"^cuda version"),
        ("cudnn", r"^cudnn version"),
        (
            "gpu",
            r"gpu model and memory|gpu models and configuration|^(?:nvidia )?gpu(?: model| type)?$"
            r"|^graphics card$",
        ),
        ("driver", r"^(?:nvidia )?driver version$"),
        ("installed", r"how you installed pytorch|tensorflow installed from"),
    )
)
_HEADING = re.compile(r"^#{2,4}\s+(?P<label>[^\n#]+?)\s*$")
_BULLET = re.compile(r"^\s*[-*]\s+\**(?P<label>[A-Za-z][^:\n]{2,80}?)\**\s*:\s*(?P<value>.*)$")
# a bold label without a bullet (NVIDIA's and many projects' templates: "**CUDA Version**: 11.3",
# "**Driver Version:** 470"): the markdown emphasis marks it as a form field, never tool output
_BOLD = re.compile(r"^\s*\*\*(?P<label>[A-Za-z][^:*\n]{2,80}?)(?::\*\*|\*\*\s*:)\s*(?P<value>.*)$")
# a plain "PyTorch Version (if applicable):1.12.1" (templates whose markdown was lost, or never
# had any): read only for a known label that names a version, outside collect_env's own lines
_PLAIN = re.compile(
    r"^\s*(?P<label>[A-Za-z][^:\n]{2,80}?version[^:\n]{0,40}?)\s*:\s*(?P<value>\S.*)$", re.I
)
_FIELD = re.compile(r"\s*[-*#]")
_FIELD_OPENERS = ("-", "*", "#")
_NO_ANSWER = {"_no response_", "no response", "n/a", "", "-", "none", "unknown", "na"}
_VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?(?:[-.]?(?:rc|dev|post)\d*)?(?:\+\w+)?)")
# a package line of `pip list`/`pip freeze`/`conda list`: found after a line break (a pattern
# that starts with a literal is searched for that character, not tried at every position as a
# MULTILINE "^" is: a third of the time on 50 MB), and on the text's first line by itself
_PACKAGE_LINE = (
    r"[ \t]*(?P<name>tensorflow(?:-gpu|-cpu|-intel|-macos|-metal)?|tf[-_]keras|tf-nightly|"
    r"keras|torch|jax|jaxlib|nvidia-[a-z0-9-]+)\s*(?:==|\s{2,}|\s+v?(?=\d))(?P<ver>\d[\w.+-]*)\b"
)
_FREEZE = re.compile(r"\n" + _PACKAGE_LINE, re.IGNORECASE)
_FREEZE_FIRST = re.compile(_PACKAGE_LINE, re.IGNORECASE)
_NVCC = re.compile(r"Cuda compilation tools, release (?P<rel>\d+\.\d+), V(?P<ver>[\d.]+)")


def _label_key(label: str) -> str | None:
    text = re.sub(r"\(.*?\)", "", label).strip()
    for key, pattern in _LABELS:
        if pattern.search(text):
            return key
    return None


def find_template(lines: list[str], plain: bool = True) -> dict[str, tuple[int, str]]:
    """Template answers: key -> (line index, answer); with `plain`, unmarked "Label: value"
    answers too (only where no tool's output was found: its lines look the same)."""
    answers: dict[str, tuple[int, str]] = {}
    # every field form starts with #, - or * after its indentation (_FIELD): only those lines
    # are read, found in one pass
    for i in [k for k, line in enumerate(lines) if line.lstrip().startswith(_FIELD_OPENERS)]:
        line = lines[i]
        if not _FIELD.match(line):
            continue
        h = _HEADING.match(line)
        if h:
            key = _label_key(h.group("label"))
            if key is None:
                continue
            for j in range(i + 1, min(i + 6, len(lines))):
                if _HEADING.match(lines[j]):
                    break
                if lines[j].strip():
                    answers.setdefault(key, (j, lines[j].strip()))
                    break
            continue
        b = _BULLET.match(line) or _BOLD.match(line)
        if b:
            key = _label_key(b.group("label"))
            if key is not None:
                answers.setdefault(key, (i, b.group("value").strip()))
    if plain and (answers or len(lines) <= 200):
        _plain_fields(lines, answers)
    return answers


def _plain_fields(lines: list[str], answers: dict[str, tuple[int, str]]) -> None:
    """Plain "Label: value" answers beside the marked ones, or in a short paste."""
    found: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(lines):
        if len(line) > 200 or ":" not in line or "ersion" not in line:
            continue
        m = _PLAIN.match(line)
        if m:
            key = _label_key(m.group("label"))
            if key is not None:
                found.setdefault(key, (i, m.group("value").strip()))
    if len(found) + len(answers) >= 2:
        for key, answer in found.items():
            answers.setdefault(key, answer)


# parts whose "Label: value" lines are a tool's, not a person's answers
_TOOL_PARTS = ("collect_env", "nvidia-smi", "nvidia-smi -q", "dlenv-json")


def parse_template(lines: list[str], sheet: FactSheet) -> Part | None:
    answers = find_template(lines, plain=not any(p.kind in _TOOL_PARTS for p in sheet.parts))
    useful = {k: v for k, v in answers.items() if v[1].lower() not in _NO_ANSWER}
    if len(answers) < 2:
        return None
    idx = [i for i, _ in answers.values()]
    part = Part("issue-template", min(idx) + 1, max(idx) + 1)
    sheet.parts.append(part)
    sheet.current = part
    for key in answers:
        if key not in useful:
            sheet.unknown(f"{key}: not answered")
    for fw in ("tensorflow", "torch", "keras", "jax"):
        if fw in useful:
            versions = _VERSION.findall(useful[fw][1])
            if versions:
                # "v2.13.0-rc2-7-g1cb1a030a62 2.13.0": the last version is the release
                sheet.set_framework(fw, "version", versions[-1])
                sheet.set_framework(fw, "build_source", "issue template (as stated)")
    if "os" in useful:
        parse_os(useful["os"][1], sheet)
    if "python" in useful:
        pv = _VERSION.search(useful["python"][1])
        sheet.set_python("version", pv.group(1) if pv else None)
    cuda = cudnn = None
    if "cuda_cudnn" in useful:
        both = re.split(r"\s*(?:/|,|\band\b|;)\s*", useful["cuda_cudnn"][1], maxsplit=1)
        cuda = _VERSION.search(both[0])
        cudnn = _VERSION.search(both[1]) if len(both) > 1 else None
    if "cuda" in useful:
        cuda = _VERSION.search(useful["cuda"][1])
    if "cudnn" in useful:
        cudnn = _VERSION.search(useful["cudnn"][1])
    if cuda:
        sheet.add_toolkit(
            CudaToolkit(
                path="(stated in the report)",
                version=cuda.group(1),
                version_source="issue template (as stated)",
            )
        )
    if cudnn:
        v = cudnn.group(1)
        sheet.add_cudnn(
            CudnnInstall(
                path="(stated in the report)",
                version=v,
                major=int(v.split(".")[0]),
                version_source="issue template (as stated)",
            )
        )
    if "driver" in useful:
        dv = re.search(r"(?<![\d.])(\d{3}\.\d{2,3}(?:\.\d{2,3})?)(?![\d.])", useful["driver"][1])
        if dv:
            sheet.set_driver("version", dv.group(1))
            sheet.set_driver("installed", True)
    if "gpu" in useful:
        name = re.split(r",|\s+\d+\s*G[Bi]?B?\b|\s+\d+GB", useful["gpu"][1])[0].strip()
        if name and not re.fullmatch(r"(?i)no(ne)?|cpu|n/?a", name):
            g = sheet.gpu(0)
            sheet.set_gpu(g, "name", name)
            mem = re.search(r"(\d+)\s*G(?:i)?B", useful["gpu"][1], re.IGNORECASE)
            if mem:
                sheet.set_gpu(g, "memory_total_mib", int(mem.group(1)) * 1024)
    sheet.current = None
    return part


def parse_os(answer: str, sheet: FactSheet) -> None:
    """An operating system as a person names it ("Windows 11", "Ubuntu 22.04", "WSL2")."""
    low = answer.lower()
    if "wsl" in low:
        sheet.set_host("os", "Linux")
        sheet.set_host("wsl", 1 if re.search(r"wsl\s*1\b", low) else 2)
    elif "windows" in low or re.search(r"\bwin(?:10|11| 10| 11)\b", low):
        sheet.set_host("os", "Windows")
    elif "mac" in low or "darwin" in low:
        sheet.set_host("os", "Darwin")
    elif any(d in low for d in ("linux", "ubuntu", "debian", "centos", "fedora", "rhel", "arch")):
        sheet.set_host("os", "Linux")
    dm = re.search(r"(ubuntu|debian|centos|fedora|rocky|rhel|arch)\s*(\d+(?:\.\d+)?)?", low)
    if dm:
        sheet.set_host("distro", dm.group(1).capitalize() if dm.group(1) != "rhel" else "RHEL")
        sheet.set_host("distro_version", dm.group(2))


def parse_packages(text: str, lines_offset: Sequence[int], sheet: FactSheet) -> Part | None:
    """`pip list` / `pip freeze` / `conda list` lines naming frameworks or nvidia-* wheels."""
    first = _FREEZE_FIRST.match(text)
    matches = ([first] if first else []) + list(_FREEZE.finditer(text))
    if not matches:
        return None
    import bisect

    line_nos = [bisect.bisect_right(lines_offset, m.start("name")) for m in matches]
    part = Part("package-list", min(line_nos), max(line_nos))
    sheet.parts.append(part)
    sheet.current = part
    for m in matches:
        name = m.group("name").lower().replace("_", "-")
        ver = m.group("ver")
        sheet.add_distribution(name, ver, None)
        fw = _FRAMEWORK_DISTS.get(name)
        if fw:
            add_framework_version(sheet, fw, name, ver)
    sheet.current = None
    return part


def parse_nvcc(text: str, sheet: FactSheet, line_no: int) -> Part | None:
    m = _NVCC.search(text)
    if not m:
        return None
    part = Part("nvcc --version", line_no, line_no)
    sheet.parts.append(part)
    sheet.current = part
    sheet.add_toolkit(
        CudaToolkit(
            path="(nvcc on PATH)",
            version=m.group("ver"),
            version_source="nvcc --version",
            kind="system",
            found_by=["PATH (nvcc)"],
            nvcc_version=m.group("rel"),
        )
    )
    sheet.current = None
    return part
