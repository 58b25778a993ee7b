"""Facts a maintainer reads from prose: "laptop RTX 3070", "torch 1.2.0", "Windows 11",
"TensorFlow 2.7 with cuda_11.2", "driver 470.82", "Python 3.12".

Prose is the least authoritative part of a paste: it runs after every table and template parser
and never overwrites what they stated; each fact it adds is listed under its own part ("prose")
so that `dlenv explain` shows where it came from. Only specific statements count (a version
number beside a name); a bare "CUDA" or "my GPU" states nothing.
"""

from __future__ import annotations

import re

from dlenv.importers.sheet import FactSheet, Part
from dlenv.importers.signatures import matches, prose_edges, search
from dlenv.snapshot.model import CudaToolkit, CudnnInstall

PROSE = "(stated in prose)"

# a version may be a Markdown link to its release page: "keras [v3.2.1](https://...)"
# (the local part of a version, "+cu113", not a file's extension: "torch-1.10.0+cu113.html",
# nor the next part in a list: "pytorch1.3.0+Python 3.6+CUDA10.1", "tf1.8+cuda8+cudnn6")
_V = (
    r"\[?v?(?P<ver>\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?"
    r"(?:\+(?!(?i:python|py3|cuda|cudnn))\w+(?:\.(?!html?\b|whl\b)\w+)*)?)"
)
# "torch==2.1", "torch: 2.1", "**torch**: 2.1", "torch版本是2.4.0" (版本 "version", 是/为 "is"),
# "my torch version is 2.1.0"
_SEP = r"(?:\s*(?:==?|:|：|@|-|\bversion(?:\s+(?:is|was))?\b|版本号?|是|为|[*`]{1,3})\s*){1,3}|\s+"
# a word's start that a Chinese character may precede ("的torch版本", "的cuda"): \b is none
# there, since CJK characters are word characters
_B = r"(?<![A-Za-z0-9_])"
_EXTRAS = r"(?:\[[\w-]{1,30}(?:,\s?[\w-]{1,30}){0,4}\])?"
_FRAMEWORKS = (
    # also glued: "torch1.13", "tf2.10" (a version must follow: not "torchvision", "tf2onnx")
    ("torch", re.compile(rf"{_B}(?:py)?torch(?:{_SEP})?{_V}", re.IGNORECASE)),
    # "tf 2.10" only in capitals: "tf" is too common a word in lower case
    (
        "tensorflow",
        re.compile(
            rf"(?:(?:{_B}(?i:tensorflow)(?:-gpu)?{_EXTRAS}|\bTF)(?:{_SEP})|{_B}(?i:tf)(?=\d)){_V}"
        ),
    ),
    ("keras", re.compile(rf"{_B}keras(?:{_SEP}){_V}", re.IGNORECASE)),
    ("jax", re.compile(rf"{_B}jax(?:lib)?{_EXTRAS}(?:{_SEP}){_V}", re.IGNORECASE)),
)
# pip's own line for what is installed: "Requirement already satisfied: torch in
# /opt/conda/lib/python3.11/site-packages (2.2.2+cu121)" (jupyter/docker-stacks#2166; pip's
# req_install.py prints "Requirement already satisfied: {name} in {location} ({version})")
_PIP_FRAMEWORKS = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "jax": "jax"}
_PIP_SATISFIED = re.compile(
    r"Requirement already satisfied: (?P<dist>torch|tensorflow|keras|jax)(?:\[[\w,-]{0,60}\])?"
    r"(?:[<>=!~]=?[\w.*+]{1,20}(?:,[<>=!~]=?[\w.*+]{1,20}){0,3})? in [^\s()]{1,300}"
    r"(?: \(from [^()\n]{0,200}(?:\([^()\n]{0,40}\))?[^()\n]{0,40}\))?"
    r" \((?P<ver>\d+\.\d+(?:\.\d+)?(?:\+[\w.]{1,30})?)\)",
    re.IGNORECASE,
)
# the extras a requirement names ("tensorflow[and-cuda]==2.15.0", "jax[cuda12]"): which CUDA
# wheels the framework brings (rule DL209 reads them from the knowledge base's pins)
_EXTRAS_OF = re.compile(
    r"\b(?P<fw>tensorflow|jax)\[(?P<extras>[\w-]{1,30}(?:,\s?[\w-]{1,30}){0,4})\]", re.IGNORECASE
)
_CUDA = re.compile(
    _B + r"cuda(?:[ _-]?toolkit)?(?:[ _-]?version|\s?版本号?)?[*`]{0,3}\s*"
    r"(?:==?|:|：|_|是|为|\s(?:is\s)?)\s*[*`]{0,3}\s*"
    r"v?(?P<ver>\d{1,2}\.\d)\b"
    # glued to its version in a list of parts ("ubuntu20.04+nvidia530.30+cuda12.1+cudnn")
    r"|(?<![\w-])cuda(?P<glued>\d{1,2}\.\d)(?![\d.])"
    # what nvcc said, reported in words ("`nvcc --version` -> `9.2`", "nvcc -V says 11.8")
    r"|\bnvcc(?:\s+--version|\s+-V)?`?\s*(?:->|→|=>|:|=|\bis\b|\bsays\b|\bshows\b|\bgives\b)"
    r"\s*`?(?:release\s+)?v?(?P<nvcc>\d{1,2}\.\d)\b",
    re.IGNORECASE,
)
# an upgrade states what the machine has now: "I updated the cuda from 9.2 to 10.1"
_CUDA_NOW = re.compile(
    r"\bcuda(?:[ _-]?toolkit)?\s{1,3}from\s{1,3}v?\d{1,2}\.\d\s{1,3}to\s{1,3}"
    r"v?(?P<ver>\d{1,2}\.\d)\b",
    re.IGNORECASE,
)
# a bare major only where it states what the machine has: "on a CUDA 10 system", "CUDA 12
# installed", "my cuda 11 setup" (not "requires CUDA 12" or "the cuda12 build")
_CUDA_MAJOR = re.compile(
    r"\bcuda(?:[ _-]?toolkit)?[ -](?P<ver>\d{1,2})(?![.\d])[ \t]{1,3}"
    r"(?:system|setup|installation|installed|install|machine|environment|host|server|box)\b",
    re.IGNORECASE,
)
# a bare major stated as the version: "我的cuda版本是11", "my CUDA version is 12"
_CUDA_MAJOR_SAID = re.compile(
    _B + r"cuda(?:[ _-]?toolkit)?(?:[ _-]?version|\s?版本号?)[*`]{0,3}\s*"
    r"(?:是|为|[:：=]|\sis)\s*[*`]{0,3}\s*v?(?P<ver>\d{1,2})(?![.\d])",
    re.IGNORECASE,
)
_CUDNN = re.compile(
    _B + r"cudnn(?:\s*version|\s?版本号?)?"
    r"(?:[*`]{0,3}\s*(?:==?|:|：|是|为|\s(?:is\s|was\s)?)\s*[*`]{0,3}\s*|(?=[1-9]\.))"
    # no cuDNN 0.x ("cudnn 0.8.2" is torchvision's); glued, one digit ("cudnn7.6.5", not
    # "cudnn10.1", CUDA's)
    r"v?(?P<ver>[1-9]\d?\.\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_DRIVER = re.compile(
    r"(?:(?<![A-Za-z0-9_])(?:nvidia\s+)?driver(?:\s+version)?|(?:nvidia\s?)?驱动(?:程序)?(?:版本号?)?)[*`]{0,3}\s*"
    # "driver (450.36)": the version in brackets after the word
    r"(?:is|:|：|=|是|为)?\s*[*`(\[]{0,3}\s*(?:version\s*)?"
    r"(?P<ver>\d{3}\.\d{2,3}(?:\.\d{2,3})?)\b"
    r"|\b(?P<ver2>\d{3}\.\d{2,3}(?:\.\d{2,3})?)\s+(?:nvidia\s+)?driver\b",
    re.IGNORECASE,
)
_PYTHON = re.compile(
    r"(?<![A-Za-z0-9_])python\s*(?:version\s*)?[*`]{0,3}[:：]?\s*[*`]{0,3}\s*(?P<ver>3\.\d{1,2}(?:\.\d{1,2})?)\b"
    r"|(?<![\w.])(?P<before>3\.\d{1,2}(?:\.\d{1,2})?)\s+python\b"
    # in words: "latest python, which is 3.7", "my Python version is 3.12", "python版本为3.8"
    r"|\bpython(?:'s)?(?:[ ,]{1,2}(?:version|which|that|here|installed)){0,2}\s{0,2}"
    r"(?:is|was|=|:|为|是)\s{0,2}(?:now\s)?(?P<wordver>3\.\d{1,2}(?:\.\d{1,2})?)\b"
    r"|python\s{0,2}版本\s{0,2}(?:是|为|:|：)?\s{0,2}(?P<zhver>3\.\d{1,2}(?:\.\d{1,2})?)"
    # "py3.8" (a conda build string's "py3.8_cuda11.3_cudnn8.2.0_0" names it too)
    r"|(?<![\w.])py(?P<pyver>3\.\d{1,2})(?![\d.])"
    r"|python(?P<pathver>3\.\d{1,2})[/\\](?:site|dist)-packages"
    r"|[/\\]Python3(?P<winver>\d{1,2})[/\\]",
    re.IGNORECASE,
)
# a Python tag (a wheel pip chose, pip debug's tag list), weaker than a stated version; not the
# wheel pip refused ("X.whl is not a supported wheel"): that one names a Python that did not fit
_PYTHON_TAG = re.compile(
    r"\bcp3(?P<tag>\d{1,2})-cp3\d{1,2}(?![\w.+-]{0,200}\.whl is not)", re.IGNORECASE
)
_WHEEL_FILE = re.compile(r"[\w.+!%-]{0,200}\.whl\b")


def _python_tag(text: str) -> re.Match[str] | None:
    """The first Python tag of a wheel that fits this interpreter: not one of a wheel that pip
    refused anywhere in the paste ("pip3 install ~/x-cp36-cp36m-linux_aarch64.whl" and, lines
    later, "ERROR: x-cp36-...whl is not a supported wheel"): the reporter picked that file, and
    its tag names the Python it did not fit."""
    refused: set[str] | None = None  # the wheels pip refused, found at the first tag
    for m in matches(_PYTHON_TAG, text):
        line = text.rfind("\n", 0, m.start()) + 1
        start = max(text.rfind("/", line, m.start()), text.rfind(" ", line, m.start())) + 1
        wheel = _WHEEL_FILE.match(text, max(start, line))
        if wheel is None:
            return m
        if refused is None:
            refused = {r.group(1) for r in matches(_REFUSED_WHEEL, text)}
        if wheel.group(0) not in refused:
            return m
    return None


# a wheel's file name, whole (bounded: a hostile paste's endless token costs one bounded look)
_REFUSED_WHEEL = re.compile(r"(?<![\w.+!%-])([\w.+!%-]{1,200}\.whl) is not a supported wheel")


_OS = re.compile(
    # also the 64-bit platform's names: "Anaconda for Win64", conda's "win-64", "win_amd64"
    r"\b(?P<os>windows\s*(?:10|11|7|8(?:\.1)?|server)|win\s?(?:10|11|7|8)|win[-_]?(?:64|amd64)|"
    r"ubuntu\s*\d{2}(?:\.\d{2}(?:\.\d+)?)?(?!\.?\d)|"
    # an Apple Silicon Mac by its chip ("M1 Mac", "M2 Max MacBook"): macOS
    r"macbook|m[1-4](?:\s?(?:pro|max|ultra))?\s?mac(?:book)?|apple\s+silicon|"
    # "on a mac", "on my Mac": the reporter's machine (not "Mac OS X" alone, read below)
    r"(?:(?<=\bon\sa\s)|(?<=\bon\smy\s))mac(?!\s*os)|"
    # WSL by its name, with or without its version ("WSL2", "(WSL)", "Windows Subsystem for
    # Linux", misspelt or not): the version unstated is 2, the one with GPU support
    r"wsl\s*2|wsl\s*1|wsl|windows\s+sub\w{0,10}\s+for\s+linux|"
    r"macosx?|mac\s*os(?:\s*x)?|debian\s*\d+|centos\s*\d+|rocky\s*linux\s*\d+|"
    r"fedora\s*\d+|arch\s*linux)\b",
    re.IGNORECASE,
)
# GPU names: a KB lookup over lines that look like they name an NVIDIA card
_GPU_HINT = re.compile(
    # a name glued to CJK text counts ("在RTX5090上"): letters and digits bound it, not \b
    r"(?<![A-Za-z0-9_])(?:(?:RTX|GTX|GT|MX)(?=\d{2,4}(?:ti|super|s)?(?![A-Za-z0-9_]))|"
    # a GeForce 8/9 series card by its number and suffix ("a NVidia 8400 GS")
    r"[89]\d00\s?(?:GS|GSO|GTS|GT|GTX|GX2)(?![A-Za-z0-9_])|"
    r"(?:RTX|GTX|GT|MX|Tesla|Quadro|Titan|GeForce|Jetson|"
    r"A\d{1,3}G?|H\d{3}|B\d{3}|L4\d?S?|T4|V100|P100|K80)\b)",
    re.IGNORECASE,
)
# a compute capability the reporter states: "cuda capability 2.1", "compute capability of
# 3.0", "CC 6.1" (only when no table or message gave one)
_CC = re.compile(
    r"\b(?:cuda|compute)\s+capabilit(?:y|ies)\s*(?:of|is|=>?|:|->)?\s*(?P<cc>[1-9]\d?\.\d)\b"
    r"|\bCC\s*(?:=|:)?\s*(?P<cc2>[1-9]\d?\.\d)\b",
    re.IGNORECASE,
)
# "minimum required compute capability 3.5", "needs at least CC 7.0": a requirement
_REQUIRED_CC = re.compile(
    r"\b(?:minimum|min\.?|required|requires?|at least|needs?)\W+(?:\w+\W+)?$", re.I
)
# short KB names (A2, A10, L4, T4) need a GPU word nearby to count
_GPU_WORD = re.compile(r"\b(?:gpu|nvidia|tesla|card|graphics)\b", re.IGNORECASE)
# a GeForce model number without its series, where the words around it make it a card: "my
# 4090", "GPU 4090", "4080显卡", "2080Ti显卡", "5090 rtx" (not "3060 iterations", "my 2080 x
# 1080 image", "a 3060" alone: "the demo on a 3060/12GB" is a card, but "a 2070 release" not)
_BARE_NUMBER = (
    r"(?:10[5-8]0|16[56]0|20[5-8]0|30[5-9]0|40[5-9]0|50[5-9]0)(?:[ ]?(?:ti|super)(?![a-z0-9]))?"
)
_BARE_GPU = re.compile(
    rf"\b(?:my|gpu|gpus|card|nvidia|显卡|显卡是|显卡为)[ ]?[:：]?[ ]?(?P<n1>{_BARE_NUMBER})"
    r"(?![\w.]|[ ]?(?:x|×|\*[ ]?\d|px|mb|gb|mhz|%|iterations?|steps?|epochs?|images?|samples?|"
    r"rows?|lines?|tokens?|words?|times?|seconds?|ms)\b)"
    rf"|(?<![A-Za-z0-9_.])(?P<n2>{_BARE_NUMBER})[ ]?"
    r"(?:显卡|显存|\b(?:gpu|graphics|card|rtx|gtx)\b)",
    re.IGNORECASE,
)
_CJK = "\u3000-\u9fff\uff00-\uffef"  # CJK punctuation, kana, ideographs, full-width forms
_CJK_EDGE = re.compile(rf"(?<=[{_CJK}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{_CJK}])")
# a laptop's GPU; "notebook" also names Jupyter's ("I run the notebook on 8 V100 GPUs")
_LAPTOP = re.compile(
    r"\b(?:laptop|mobile|max-q)\b|(?<!jupyter )(?<!colab )(?<!kaggle )(?<!ipython )"
    r"(?<!databricks )(?<!the )(?<!this )(?<!a )\bnotebook\b",
    re.IGNORECASE,
)


def _laptop(name: str, line: str) -> str:
    """`name`, as its laptop variant where the line says laptop: GeForce and Quadro/RTX
    workstation cards only (no Tesla, A100 or other data-centre GPU comes in a laptop)."""
    mobile = name.startswith(("GeForce", "Quadro", "RTX")) and _LAPTOP.search(line)
    return name + (" Laptop GPU" if mobile else "")


def parse_prose(text: str, sheet: FactSheet) -> Part | None:
    """Add what the prose states and the parsers did not; a part listing it, or None."""
    part = Part("prose", 1, max(1, text.count("\n") + 1))
    sheet.current = part
    text, cut, skipped = _edges(text)
    # Markdown bold around a key ("- **PyTorch:** 2.9.1+cu130", issue forms' "**GPU:** RTX
    # 4090") is blanked to as many spaces, so every offset still points into the paste
    text = text.replace("**", "  ")
    where: list[int] = []  # the offsets of what was read: only the first and last are lines

    def at(pos: int) -> None:
        where.append(pos)

    for sat in matches(_PIP_SATISFIED, text):
        fw = _PIP_FRAMEWORKS[sat["dist"].lower()]
        if not sheet.framework(fw).get("version"):
            _framework(sheet, fw, sat["ver"])
            at(sat.start())
    for fw, pattern in _FRAMEWORKS:
        m = next((m for m in matches(pattern, text) if not _release_tag(m["ver"])), None)
        if m and not sheet.framework(fw).get("version"):
            _framework(sheet, fw, m.group("ver"))
            at(m.start())
    for m in matches(_EXTRAS_OF, text):
        fw = m.group("fw").lower()
        if fw in sheet.frameworks and sheet.frameworks[fw].get("version"):
            details: dict[str, str] = sheet.framework(fw).setdefault("details", {})
            extras = ",".join(e.strip().lower().replace("_", "-") for e in m["extras"].split(","))
            if details.setdefault("extras", extras) == extras:
                sheet.note(f"frameworks.{fw}.details.extras", extras)
                at(m.start())
    m = search(_CUDA_NOW, text) or _installed(_CUDA, text)
    m = m or search(_CUDA_MAJOR, text) or _installed(_CUDA_MAJOR_SAID, text)
    if m and not sheet.toolkits:
        sheet.add_toolkit(
            CudaToolkit(
                path=PROSE,
                version=m.group("ver") or m.groupdict().get("glued") or m.groupdict().get("nvcc"),
                version_source="prose",
                kind="system",
                found_by=["prose"],
            )
        )
        at(m.start())
    m = _installed(_CUDNN, text, _USED_BY)
    if m and not sheet.cudnn:
        # "cuDNN 8.9.7", "cudnn: 9.1" as the machine's (not "requires cuDNN 9"): DL202 weighs
        # it against the cuDNN major a failing program asked for (libcudnn.so.9, …64_8.dll)
        ver = m.group("ver")
        sheet.add_cudnn(
            CudnnInstall(
                path=PROSE,
                version=ver,
                major=int(ver.split(".")[0]),
                kind="system",
                version_source="prose",
            )
        )
        at(m.start())
    m = search(_DRIVER, text)
    if m and not sheet.driver.get("version"):
        sheet.set_driver("version", m.group("ver") or m.group("ver2"))
        sheet.set_driver("installed", True)
        at(m.start())
    m = _installed(_PYTHON, text, _PY_BOUND, _PY_OR_LATER) or _python_tag(text)
    if m and not sheet.python.get("version"):
        groups = m.groupdict()
        ver = groups.get("ver") or groups.get("before") or groups.get("pathver")
        ver = ver or groups.get("wordver") or groups.get("zhver") or groups.get("pyver")
        ver = ver or (f"3.{groups['winver']}" if groups.get("winver") else f"3.{groups['tag']}")
        sheet.set_python("version", ver)
        at(m.start())
    m = search(_OS, text)
    if m and not sheet.host.get("os"):
        _os(sheet, m.group("os"))
        at(m.start())
    if not any(g.get("name") for g in sheet.gpus):
        found = _gpu(text)
        found = found or _bare_gpu(text)
        if found is not None:
            name, pos = found
            g = sheet.gpu(name=name)
            sheet.set_gpu(g, "name", name)
            at(pos)
    if not any(g.get("compute_capability") or g.get("name") for g in sheet.gpus):
        m = search(_CC, text)
        before = text[max(0, m.start() - 40) : m.start()] if m is not None else ""
        if m is not None and not _REQUIRED_CC.search(before):
            g = sheet.gpus[0] if sheet.gpus else sheet.gpu(0)
            sheet.set_gpu(g, "compute_capability", m.group("cc") or m.group("cc2"))
            at(m.start())
    sheet.current = None
    if not part.found:
        return None
    # no list of line starts (a log is long): count the line breaks before the two ends only
    first, last = min(where), max(where)
    part.first_line = text.count("\n", 0, first) + 1 + (skipped if first > cut else 0)
    part.last_line = text.count("\n", 0, last) + 1 + (skipped if last > cut else 0)
    part.notes.append("read from prose: less certain than a pasted table")
    sheet.parts.append(part)
    return part


def _edges(text: str) -> tuple[str, int, int]:
    """The lines of a long paste that a person wrote: those that start in its first and last
    PROSE_EDGE characters (signatures.prose_edges, as the catalogue's sentence entries read),
    joined by one line break; the middle of a long paste is a program's log, and reading it for
    "torch 1.2.0" cost a second on 50 MB. Returns (that text, the offset of the joining break,
    how many line breaks the cut removed): a line number past the break is that many more."""
    head, tail = prose_edges(len(text))
    if head == len(text):
        return text, len(text), 0
    end = text.find("\n", head)
    start = text.rfind("\n", 0, tail) + 1
    if end < 0 or end >= start:
        return text, len(text), 0
    return text[:end] + text[start - 1 :], end, text.count("\n", end, start - 1)


# what a program needs or was built for, not what the machine has: "requires CUDA 12.8",
# "built with CUDA 11.8", "support for CUDA 12.4", "a wheel for cuda 12.1", "python is searching
# for cuda 8.0" (a bare "with CUDA 12.2" is what the reporter has)
_WANTED = re.compile(
    r"\b(?:requir\w*|needs?|needed|support\w*|built|compiled|against|wants?|expects?|"
    r"targets?|wheels?|builds?|search\w*|looking|asks?|asking)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


# the version a reporter moved to as the fix, not the one that failed: "Downgrading to python
# 3.7 solves that issue", "switched to CUDA 11.8 and it works" (the move before the version,
# the fix after it in the same sentence)
_MOVED_TO = re.compile(
    r"\b(?:downgrad\w*|upgrad\w*|switch\w*|mov(?:e|ed|ing)|roll\w*\s+back|revert\w*|"
    r"chang\w*|go(?:ing)?\s+back)\s+(?:\w+\s+){0,3}?to\s+(?:\w+\s*)?$",
    re.IGNORECASE,
)
_MOVE_FIXED = re.compile(
    r"[^.!?\n]{0,80}?\b(?:solv\w*|fix\w*|resolv\w*|works?|worked|working)\b", re.IGNORECASE
)


# what a program uses ("ctranslate2 4.5.0, which uses cuDNN 9.2", "torch ships cuDNN 9.1"):
# for cuDNN, a library's own, not the machine's
_USED_BY = re.compile(r"\b(?:uses|ships|bundles|brings)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


# a bound of a range, not the machine's Python: "wheels up to Python 3.9", "below python 3.12",
# "Python 3.8 or later", "python 3.9+"
_PY_BOUND = re.compile(
    r"(?:\bup\s+to|\buntil|\bthrough|\bbelow|\babove|\bthan|\bsince|\bfrom|[<>]=?|~=)\s*$",
    re.IGNORECASE,
)
_PY_OR_LATER = re.compile(
    r"(?:\.\d+)*\s*(?:\+|or\s+(?:later|newer|higher|above|greater|lower|older)|and\s+(?:up|above|"
    r"later|newer)|(?:-|to|through|~)\s*3\.\d)",
    re.IGNORECASE,
)


def _installed(
    pattern: re.Pattern[str],
    text: str,
    also: re.Pattern[str] | None = None,
    after: re.Pattern[str] | None = None,
) -> re.Match[str] | None:
    """The first version the text states as the machine's: one named as a requirement or
    a build target ("requires CUDA 12.8", "built with CUDA 11.8") states nothing about it
    (nor, with `also`, one that pattern finds before it, or with `after`, after it)."""
    for n, m in enumerate(matches(pattern, text)):
        if n >= 20:
            break
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[max(line_start, m.start() - 40) : m.start()]
        if _WANTED.search(before) or (also is not None and also.search(before)):
            continue
        if _MOVED_TO.search(before) and _MOVE_FIXED.match(text, m.end(), m.end() + 100):
            continue  # the version the reporter moved to as the fix
        if after is not None and after.match(text, m.end(), m.end() + 30):
            continue
        return m
    return None


def _release_tag(ver: str) -> bool:
    """A container's release, not the framework's version: NVIDIA's NGC images are tagged by
    year and month ("nvcr.io/nvidia/pytorch:23.10-py3", "merlin-pytorch:22.12", "the TensorFlow
    22.12 container"); no release of torch, TensorFlow, Keras or JAX has a major of 17 or more."""
    major, _, minor = ver.partition(".")
    return major.isdigit() and 17 <= int(major) <= 40 and minor[:2].isdigit() and (
        1 <= int(minor[:2]) <= 12
    )


def _framework(sheet: FactSheet, fw: str, ver: str) -> None:
    from dlenv.importers.collect_env import add_framework_version

    dist = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "jax": "jax"}[fw]
    add_framework_version(sheet, fw, dist, ver)


def _os(sheet: FactSheet, said: str) -> None:
    from dlenv.importers.templates import parse_os

    low = said.lower()
    if low.startswith("windows") and low.endswith("linux"):
        said = "WSL"  # "Windows Subsystem for Linux"
    elif low.replace("-", "").replace("_", "") in ("win64", "winamd64"):
        said = "Windows"  # the platform's name, not a release
    elif low.startswith("win") and not low.startswith("windows"):
        said = "Windows " + low[3:].strip()  # "win7", "Win 8"
    elif low.startswith(("m", "apple")) and not low.startswith("mac"):
        said = "macOS"  # "M1 Mac", "Apple Silicon"
    parse_os(said, sheet)


def _gpu(text: str) -> tuple[str, int] | None:
    """The first line that names a known GPU model, and where it starts; the lines are visited
    where `_GPU_HINT` occurs (it never crosses a line), not split into a list."""
    from dlenv.kb.queries import gpu_model

    done = -1  # the start of the last line looked at
    for hint in _GPU_HINT.finditer(text):
        start = text.rfind("\n", 0, hint.start()) + 1
        if start == done:
            continue
        done = start
        end = text.find("\n", hint.end())
        line = text[start : len(text) if end < 0 else end]
        if len(line) > 400:
            continue
        # sentence punctuation ends a word ("a GeForce GTX 780M.") without being part of it
        words = re.sub(r"[.!?;:](?=\s|$)", " ", line)
        words = _CJK_EDGE.sub(" ", words)  # "在RTX5090上": the name apart from the CJK around it
        model = gpu_model(words.replace(",", " ").replace("(", " ").replace(")", " "))
        if model is None:
            continue
        if " " not in model.name and len(model.name) <= 4 and not _GPU_WORD.search(line):
            continue
        return _laptop(model.name, line), start
    return None


def _bare_gpu(text: str) -> tuple[str, int] | None:
    """A GeForce card named by its model number alone ("my 4090", "4080显卡"): 10xx and 16xx
    are GTX cards, 20xx and later RTX; where the line starts."""
    from dlenv.kb.queries import gpu_model

    m = search(_BARE_GPU, text)
    if m is None:
        return None
    number = m.group("n1") or m.group("n2")
    series = "GTX" if number.startswith(("10", "16")) else "RTX"
    model = gpu_model(f"{series} {number}")
    if model is None:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    line = text[start : len(text) if end < 0 else end]
    return _laptop(model.name, line), start
