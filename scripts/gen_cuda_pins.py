#!/usr/bin/env python3
"""Write src/dlenv/kb/data/cuda_pins.json: the CUDA component wheels (nvidia-*, cuda-toolkit,
cuda-bindings, tensorrt) each framework release on PyPI pins, read from PyPI's own metadata.

    python scripts/gen_cuda_pins.py            # regenerate (needs the network: pypi.org)
    python scripts/gen_cuda_pins.py --update   # keep the rows there are, read new releases only
    python scripts/gen_cuda_pins.py --check    # exit 1 when a release on PyPI is missing

pip reads each release's METADATA without downloading the wheel (PEP 658): for every release
`pip install --dry-run --no-deps --ignore-installed --report - --python-version 3.11 --platform
manylinux_2_28_x86_64 ... --only-binary=:all: --target <tmp> <name>==<version>`, then keeps the
Requires-Dist lines that name CUDA wheels and whose markers hold on Linux x86_64 with CPython
3.11 (a release without a 3.11 wheel: the first of 3.12, 3.13, 3.10 it has, recorded in the
row's "python") and the framework's CUDA extra (tensorflow "and-cuda", the jax plugins'
"with-cuda", onnxruntime-gpu "cuda" and "cudnn"). The releases are listed by PyPI's JSON API
(pre-releases and yanked releases skipped). pip's configuration on this machine is ignored
(PIP_CONFIG_FILE=/dev/null: a local cap or index must not change what PyPI says).
Tests never run this: the JSON is committed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "dlenv" / "kb" / "data" / "cuda_pins.json"

# (distribution, the extra that brings its CUDA wheels or None, the oldest release covered)
PACKAGES: tuple[tuple[str, str | None, str], ...] = (
    ("torch", None, "2.1.0"),
    # jax <= 0.4.29 pins the nvidia-* wheels on its own cuda12 extra, later on the plugin's
    ("jax", "cuda12", "0.4.26"),
    ("tensorflow", "and-cuda", "2.14.0"),
    ("jax-cuda12-plugin", "with-cuda", "0.4.26"),
    ("jax-cuda12-pjrt", None, "0.4.26"),
    ("jax-cuda13-plugin", "with-cuda", "0.4.26"),
    ("jax-cuda13-pjrt", None, "0.4.26"),
    ("onnxruntime-gpu", "cuda", "1.19.0"),
    ("paddlepaddle-gpu", None, "2.5.0"),
)
PYTHON = "3.11"
PYTHONS = (PYTHON, "3.12", "3.13", "3.10")
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)
ENVIRONMENT = {
    "platform_system": "Linux",
    "sys_platform": "linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "python_version": PYTHON,
    "python_full_version": f"{PYTHON}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
CUDA_PREFIXES = ("nvidia-", "cuda-toolkit", "cuda-bindings", "cuda-python", "tensorrt")
# onnxruntime-gpu puts cuDNN in an extra of its own
EXTRA_EXTRAS = {"onnxruntime-gpu": ("cudnn",)}


def releases(name: str, oldest: str) -> list[str]:
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=60) as answer:
        data = json.load(answer)
    out = []
    for text, files in data["releases"].items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or version < Version(oldest):
            continue
        if not files or all(f.get("yanked") for f in files):
            continue
        out.append(text)
    return sorted(out, key=Version)


def metadata(name: str, version: str) -> dict[str, Any] | None:
    """The METADATA of the Linux x86_64 CPython wheel pip would pick (3.11 first), or None."""
    for python in PYTHONS:
        got = _metadata(name, version, python)
        if got is not None:
            return {**got, "python": python}
    print(f"  {name}=={version}: no wheel for Linux x86_64 CPython {PYTHONS}", file=sys.stderr)
    return None


def _metadata(name: str, version: str, python: str) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--quiet",
            "--report",
            "-",
            "--python-version",
            python,
            *(a for p in PLATFORMS for a in ("--platform", p)),
            "--only-binary=:all:",
            "--ignore-requires-python",  # only the metadata is read, never installed
            "--target",
            tmp,
            f"{name}=={version}",
        ]
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1"}
        for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"):
            env.pop(var, None)
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        return None
    report = json.loads(done.stdout)
    item = report["install"][0]
    return {"metadata": item["metadata"], "url": item["download_info"]["url"]}


def cuda_requirements(
    name: str, extra: str | None, requires: list[str], python: str = PYTHON
) -> list[str]:
    """The CUDA wheels a release pins, markers evaluated for Linux x86_64 CPython `python`."""
    environment = {**ENVIRONMENT, "python_version": python, "python_full_version": f"{python}.0"}
    extras = ((extra,) if extra else ()) + EXTRA_EXTRAS.get(name, ())
    out: list[str] = []
    for line in requires:
        req = Requirement(line)
        if not canonicalize_name(req.name).startswith(CUDA_PREFIXES):
            continue
        if req.marker is not None:
            holds = any(req.marker.evaluate({**environment, "extra": e}) for e in (*extras, ""))
            if not holds:
                continue
        text = canonicalize_name(req.name)
        if req.extras:
            text += "[" + ",".join(sorted(req.extras)) + "]"
        out.append(text + str(req.specifier))
    return out


def row(name: str, extra: str | None, version: str) -> dict[str, Any] | None:
    got = metadata(name, version)
    if got is None:
        return None
    requires = got["metadata"].get("requires_dist") or []
    out = {
        "package": name,
        "version": version,
        "extra": extra,
        "wheel": got["url"].rsplit("/", 1)[-1],
        "requires": cuda_requirements(name, extra, requires, got["python"]),
        "source": f"https://pypi.org/project/{name}/{version}/",
    }
    if got["python"] != PYTHON:
        out["python"] = got["python"]
    return out


def generate(keep: list[dict[str, Any]]) -> dict[str, Any]:
    known = {(r["package"], r["version"]) for r in keep}
    jobs = [
        (n, e, v) for n, e, oldest in PACKAGES for v in releases(n, oldest) if (n, v) not in known
    ]
    print(f"{len(jobs)} releases to read", file=sys.stderr)
    with ThreadPoolExecutor(6) as pool:
        new = [r for r in pool.map(lambda j: row(*j), jobs) if r is not None]
    order = {n: i for i, (n, *_) in enumerate(PACKAGES)}
    rows = sorted(keep + new, key=lambda r: (order[r["package"]], Version(r["version"])))
    today = datetime.date.today().isoformat()
    newest = {
        n: max((r["version"] for r in rows if r["package"] == n), key=Version)
        for n, *_ in PACKAGES
        if any(r["package"] == n for r in rows)
    }
    return {
        "about": (
            "The CUDA component wheels each framework release on PyPI pins, read from the "
            "METADATA of its Linux x86_64 CPython 3.11 wheel (PEP 658) by "
            "scripts/gen_cuda_pins.py: Requires-Dist lines naming nvidia-*, cuda-toolkit, "
            "cuda-bindings or tensorrt whose markers hold on Linux x86_64 with the CUDA extra "
            "given in 'extra' (tensorflow's and-cuda, the JAX plugins' with-cuda; markers "
            "dropped). A torch row is PyPI's default build only: the download.pytorch.org "
            "variants (+cu118, +cu121, ...) pin their own CUDA's wheels. 'same_soname' lists "
            "the components whose library keeps one soname across CUDA majors (libnccl.so.2, "
            "libcudnn.so.9): their -cu12 and -cu13 wheels cannot serve two frameworks in one "
            "process."
        ),
        "as_of": {
            "date": today,
            "source": "https://pypi.org/",
            "what": "PyPI metadata, newest releases: "
            + ", ".join(f"{n} {v}" for n, v in newest.items()),
        },
        "platform": f"Linux x86_64, CPython {PYTHON}",
        "same_soname": {
            "components": ["cudnn", "nccl", "cusparselt", "nvshmem"],
            "note": "libcudnn.so.9, libnccl.so.2, libcusparseLt.so.0 and libnvshmem_host.so.3 "
            "carry no CUDA major in their soname; the runtime and math libraries do "
            "(libcudart.so.12 / .so.13) and so can coexist.",
            "source": "https://docs.nvidia.com/deeplearning/cudnn/backend/latest/reference/"
            "support-matrix.html, https://docs.nvidia.com/deeplearning/nccl/install-guide/index.html",
        },
        "releases": rows,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report missing releases only")
    parser.add_argument("--update", action="store_true", help="read only releases not there")
    args = parser.parse_args(argv)
    if args.check:
        have = json.loads(TARGET.read_text("utf-8"))
        known = {(r["package"], r["version"]) for r in have["releases"]}
        missing = [
            f"{n}=={v}" for n, _, o in PACKAGES for v in releases(n, o) if (n, v) not in known
        ]
        for m in missing:
            print(f"missing: {m}")
        return 1 if missing else 0
    keep = json.loads(TARGET.read_text("utf-8"))["releases"] if args.update else []
    data = generate(keep)
    TARGET.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {TARGET} ({len(data['releases'])} releases)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
