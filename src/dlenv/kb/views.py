"""The knowledge base's tables as plain rows for `dlenv kb` (console table or JSON).

A query keeps the rows whose cells contain all of its words (whole words), case-insensitively;
a version newer than a table's last row shows that last row, with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlenv.errors import DlenvError
from dlenv.kb.queries import (
    HorizonTable,
    cuda_majors_for_driver,
    framework_builds_for_driver,
    gpu_model,
    is_driver_version,
    kb_last_version,
    major_minor,
    max_toolkit_for_driver,
    minor_compat_floor,
    newer_than_kb,
)
from dlenv.kb.tables import MinorCompat, load


@dataclass(frozen=True)
class TableView:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]
    note: str | None = None  # e.g. the queried version is newer than the table
    as_of: str | None = None  # "2026-09-04: <what> (<url>)": the table's newest source


# Which data file each table is read from (for the date of its newest source).
_FILE = {"driver": "driver", "torch": "torch", "tensorflow": "tensorflow", "gpu": "gpus"}
_FILE.update({"cudnn": "cudnn", "keras": "keras", "jax": "jax"})


def table_as_of(name: str) -> str | None:
    """ "2026-09-04: PyTorch 2.15 notice (https://…)", or "date not recorded: …"."""
    if name == "pins":
        from dlenv.kb.pins import cuda_pins

        pins_as_of = cuda_pins().as_of
        return f"{pins_as_of.date}: {pins_as_of.what} ({pins_as_of.source})"
    as_of = load().as_of.get(_FILE.get(name, name))
    if as_of is None:
        return None
    return f"{as_of.date or 'date not recorded'}: {as_of.what} ({as_of.source})"


def _compat_row(c: MinorCompat) -> dict[str, str]:
    windows = f">={c.windows}" if c.windows else "-"
    if c.windows_other is not None:
        windows += f" (cuDNN matrix: >={c.windows_other.windows})"
    sources = [c.source]
    if c.windows_source:
        sources.append(f"Windows: {c.windows_source}")
    if c.windows_other is not None:
        sources.append(f"other Windows floor: {c.windows_other.source}")
    return {
        "cuda": f"{c.cuda_major}.x",
        "release": "minor-version compatibility (the floor dlenv's rules enforce)",
        "linux": f">={c.linux}",
        "windows": windows,
        "source": "; ".join(sources),
    }


def _driver() -> TableView:
    kb = load()
    rows = [
        {
            "cuda": r.cuda,
            "release": r.release,
            "linux": f">={r.linux}" if r.linux else "unknown",
            "windows": f">={r.windows}" if r.windows else "-",
            "source": r.source,
        }
        for r in kb.toolkit_drivers
    ]
    rows += [_compat_row(c) for c in kb.minor_compat]
    return TableView(
        "driver",
        "Minimum NVIDIA driver per CUDA toolkit",
        ("cuda", "release", "linux", "windows", "source"),
        rows,
    )


def _torch() -> TableView:
    rows = []
    for r in load().torch:
        for v in r.variants:
            rows.append(
                {
                    "torch": r.version,
                    "python": f"{r.python_min}-{r.python_max}",
                    "variant": v.name
                    + (" (default)" if v.name == r.default_variant else "")
                    + (" (experimental)" if v.experimental else ""),
                    "cuda": v.cuda,
                    "cudnn": v.cudnn or "-",
                    "arch": " ".join(v.arch_list) if v.arch_list else "unverified",
                    "index_url": load().torch_index_url.format(variant=v.name),
                    "source": v.arch_source or v.source or r.source,
                }
            )
    for a in load().torch_announced:
        for name, cuda in a.variants:
            rows.append(
                {
                    "torch": a.version,
                    "python": "not announced",
                    "variant": name
                    + (" (default)" if name == a.default_variant else "")
                    + " (announced)",
                    "cuda": cuda,
                    "cudnn": "-",
                    "arch": "unverified; no " + ", ".join(a.dropped) + " wheels",
                    "index_url": load().torch_index_url.format(variant=name),
                    "source": a.source,
                }
            )
    for u in load().torch_unknown:
        rows.append(
            {
                "torch": u.version,
                "python": "-",
                "variant": f"{u.name} (unknown)",
                "cuda": u.cuda,
                "cudnn": "-",
                "arch": "unknown whether published",
                "index_url": load().torch_index_url.format(variant=u.name),
                "source": u.source,
            }
        )
    rows.sort(key=lambda r: major_minor(r["torch"]) or (0, 0), reverse=True)
    return TableView(
        "torch",
        "PyTorch CUDA variants",
        ("torch", "python", "variant", "cuda", "cudnn", "arch", "index_url", "source"),
        rows,
    )


def _tensorflow() -> TableView:
    rows = [
        {
            "tensorflow": r.version,
            "python": f"{r.python_min}-{r.python_max}",
            "cuda": r.cuda,
            "cudnn": r.cudnn,
            "keras": r.keras,
            "source": r.source,
        }
        for r in load().tensorflow
    ]
    return TableView(
        "tensorflow",
        "TensorFlow tested GPU build configurations (Linux)",
        ("tensorflow", "python", "cuda", "cudnn", "keras", "source"),
        rows,
    )


def _gpu() -> TableView:
    kb = load()
    rows = [
        {
            "gpu": g.name,
            "compute_capability": g.compute_capability,
            "architecture": g.architecture,
            "source": g.source,
        }
        for g in kb.gpus
    ]
    rows += [
        {
            "gpu": f"CUDA {a.cuda_major}.x builds for",
            "compute_capability": f"{a.min_cc}-{a.max_cc}",
            "architecture": a.note,
            "source": a.source,
        }
        for a in kb.cuda_arch_support
    ]
    return TableView(
        "gpu",
        "GPU compute capabilities",
        ("gpu", "compute_capability", "architecture", "source"),
        rows,
    )


def _cudnn() -> TableView:
    rows = [
        {
            "cudnn": f"{p.cudnn_major}.x",
            "cuda": f"{p.cuda_major}.x",
            "pip_package": p.pip_package or "-",
            "linux": "-",
            "windows": "-",
            "compute_capability": "-",
            "source": p.source,
        }
        for p in load().cudnn
    ]
    rows += [
        {
            "cudnn": r.cudnn,
            "cuda": " ".join(r.cuda),
            "pip_package": f"nvidia-cudnn-cu{r.cuda_major}",
            "linux": f">={r.linux}",
            "windows": f">={r.windows}" if r.windows else "N/A",
            "compute_capability": " ".join(r.compute_capabilities),
            "source": r.source,
        }
        for r in load().cudnn_releases
    ]
    columns = ("cudnn", "cuda", "pip_package", "linux", "windows", "compute_capability", "source")
    return TableView("cudnn", "cuDNN: CUDA majors, and per release drivers and GPUs", columns, rows)


def _keras() -> TableView:
    kb = load()
    rows = [
        {
            "keras": "3",
            "what": f"backend {b.name}",
            "provided_by": ", ".join(b.distributions),
            "source": b.source,
        }
        for b in kb.keras_backends
    ]
    rows += [
        {
            "keras": "2 (tf-keras)",
            "what": f"needed by {u.distribution}",
            "provided_by": u.note,
            "source": u.source,
        }
        for u in kb.legacy_keras_users
    ]
    for k in kb.keras_releases:
        mins = k.backend_min or {}
        rows.append(
            {
                "keras": k.version,
                "what": f"released {k.date}, Python >={k.python_min}",
                "provided_by": ", ".join(f"{b} >={v}" for b, v in mins.items())
                or "backend minimums not published",
                "source": k.backend_source or k.source,
            }
        )
    return TableView(
        "keras",
        "Keras 3 backends, releases and tf.keras 2 users",
        ("keras", "what", "provided_by", "source"),
        rows,
    )


def _jax() -> TableView:
    rows = [
        {
            "jax": r.version,
            "released": r.date,
            "python": f">={r.python_min}",
            "plugins": " ".join(r.plugins),
            "min_gpu": " ".join(f"{k}: sm {v}" for k, v in r.min_compute_capability.items()) or "-",
            "cudnn": r.cudnn or "set at build time",
            "driver": "the CUDA toolkit's own (NVIDIA Table 3)",
            "source": r.source,
        }
        for r in load().jax
    ]
    columns = ("jax", "released", "python", "plugins", "min_gpu", "cudnn", "driver", "source")
    return TableView("jax", "JAX releases and their CUDA plugins (Linux)", columns, rows)


def _pin(requires: tuple[str, ...], *names: str) -> str:
    """The requirement on the first of `names`, short: "cudnn-cu12==9.1.0.70", or "-"."""
    for name in names:
        for r in requires:
            if re.match(rf"{re.escape(name)}(?:-cu1\d)?(?:\[|[<>=!~]|$)", r):
                return r.removeprefix("nvidia-")
    return "-"


def _pins() -> TableView:
    """One row per release; the console shows the cuDNN, NCCL and CUDA runtime pins, the JSON
    rows also every pin (`all_pins`)."""
    from dlenv.kb.pins import cuda_pins

    pins = cuda_pins()
    rows = [
        {
            "package": r.package + (f"[{r.extra}]" if r.extra else ""),
            "version": r.version,
            "cudnn": _pin(r.requires, "nvidia-cudnn"),
            "nccl": _pin(r.requires, "nvidia-nccl"),
            "cuda": _pin(r.requires, "nvidia-cuda-runtime", "cuda-toolkit"),
            "wheels": str(len(r.requires)),
            "all_pins": " ".join(r.requires) or "none",
            "source": r.source,
        }
        for r in pins.releases
    ]
    columns = ("package", "version", "cudnn", "nccl", "cuda", "wheels", "source")
    return TableView(
        "pins", f"CUDA wheels each release pins on PyPI ({pins.platform})", columns, rows
    )


TABLES = {
    "driver": _driver,
    "torch": _torch,
    "tensorflow": _tensorflow,
    "gpu": _gpu,
    "cudnn": _cudnn,
    "keras": _keras,
    "jax": _jax,
    "pins": _pins,
}
ALIASES = {
    "cuda-pins": "pins",
    "pytorch": "torch",
    "tf": "tensorflow",
    "gpus": "gpu",
    "cuda": "driver",
}


EXAMPLES = {
    "driver": "570.133.07",
    "torch": "2.9.1+cu128",
    "tensorflow": "2.16.1",
    "gpu": "NVIDIA GeForce RTX 4090",
    "cudnn": "9",
    "keras": "jax",
    "jax": "0.9.2",
    "pins": "torch 2.5.1",
}

_FULL_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)*(?:[.+-]?((?:cu|rocm)[\d.]+|cpu))?$")
_SM = re.compile(r"^(?:sm|compute)_?(\d+)(\d)$", re.IGNORECASE)


def _release_words(name: str, words: list[str]) -> list[str]:
    """ "2.9.1+cu128" -> ["2.9", "cu128"]; "latest" -> the table's newest release."""
    out: list[str] = []
    for word in words:
        if word == "latest" and name in _VERSIONED:
            out.append(kb_last_version(_VERSIONED[name]))
            continue
        match = _FULL_VERSION.match(word)
        if match and name in ("torch", "tensorflow") and word.count(".") + ("+" in word) >= 2:
            out.append(f"{match.group(1)}.{match.group(2)}")
            if match.group(3):
                out.append(match.group(3))
            continue
        out.append(word)
    return out


def _gpu_words(query: str) -> tuple[list[str], str | None]:
    """GPU names as probes read them (gpu_model), "sm_120" and "compute 8.6" as capabilities."""
    model = gpu_model(query)
    if model is not None:
        return [], model.name
    out: list[str] = []
    for word in query.split():
        match = _SM.match(word)
        if match:
            out.append(f"{int(match.group(1))}.{match.group(2)}")
        elif word not in ("compute", "capability", "cc"):
            out.append(word)
    return out, None


def guess_table(text: str) -> str | None:
    """The table a query typed without one belongs to: a GPU name the probes' matcher knows
    ("DGX Spark", "NVIDIA GeForce RTX 4090"), an architecture ("sm_120") or a driver version
    ("570.133.07"); None when it is none of these."""
    words = text.split()
    if not words:
        return None
    if gpu_model(text) is not None or _SM.match(words[0]):
        return "gpu"
    if "." in words[0] and is_driver_version(words[0]):
        return "driver"
    if _filter([{"gpu": r["gpu"]} for r in _gpu().rows], words):  # "4090", "Jetson Nano"
        return "gpu"
    return None


def table_view(table: str, query: str = "") -> TableView:
    """One table, filtered by the words of `query`. A first word that names no table is read as
    part of the query when `guess_table` can place it (`dlenv kb "DGX Spark"`)."""
    name = ALIASES.get(table.lower(), table.lower())
    if name not in TABLES:
        text = f"{table} {query}".strip()
        guessed = guess_table(text)
        if guessed is None:
            raise DlenvError(f"unknown table {table!r}: choose from {', '.join(TABLES)}")
        return table_view(guessed, text)
    view = _dated(name, TABLES[name]())
    words = query.lower().split()
    if not words:
        return view
    if name == "driver" and is_driver_version(words[0]):
        return driver_view(words[0], "Windows" if "windows" in words[1:] else "Linux")
    if name == "gpu":
        words, model = _gpu_words(query)
        if model is not None:
            rows = [r for r in view.rows if r["gpu"] == model]
            return TableView(view.name, view.title, view.columns, rows, as_of=view.as_of)
    words = _release_words(name, words)
    kept = _filter(view.rows, words)
    horizon_table = _VERSIONED.get(view.name)
    if name == "driver" and kept:
        return _with_minor_compat(view, words, kept)
    if kept or horizon_table is None:
        return TableView(view.name, view.title, view.columns, kept, as_of=view.as_of)
    # A release newer than the table (torch 2.17 with rows up to 2.14): show the last row
    # rather than nothing, and say why; the other words still filter it ("2.17 cu132").
    horizons = [h for w in words if (h := newer_than_kb(horizon_table, w)) is not None]
    if not horizons:
        return TableView(view.name, view.title, view.columns, kept, as_of=view.as_of)
    last = horizons[0].last
    swapped = [last if newer_than_kb(horizon_table, w) else w for w in words]
    note = f"{horizons[0].newer}: showing {last}"
    return TableView(
        view.name,
        f"{view.title} ({note})",
        view.columns,
        _filter(view.rows, swapped),
        note,
        view.as_of,
    )


def _dated(name: str, view: TableView) -> TableView:
    return TableView(view.name, view.title, view.columns, view.rows, view.note, table_as_of(name))


def _with_minor_compat(view: TableView, words: list[str], kept: list[dict[str, str]]) -> TableView:
    """`driver 12.4` shows the toolkit's own rows and the CUDA 12.x minor-version floor, which
    is what the rules enforce, so the command and the diagnosis never disagree."""
    cuda = next((w for w in words if major_minor(w) and not is_driver_version(w)), None)
    compat = minor_compat_floor(cuda)
    if cuda is None or compat is None:
        return TableView(view.name, view.title, view.columns, kept, as_of=view.as_of)
    row = _compat_row(compat)
    rows = kept if row in kept else [*kept, row]
    windows = f", Windows >={compat.windows}" if compat.windows else ", Windows not checked"
    note = (
        f"code built with CUDA {cuda} runs on drivers >={compat.linux} (Linux{windows}) under "
        f"minor-version compatibility: the floor dlenv's rules enforce; the toolkit's own "
        f"driver is only needed for features of the newer driver"
    )
    return TableView(view.name, view.title, view.columns, rows, note, view.as_of)


def driver_view(driver: str, os_name: str = "Linux") -> TableView:
    """ "What can driver 570.133.07 run?": the newest CUDA toolkit, the CUDA majors it runs
    under minor-version compatibility, and the builds of each framework release it runs."""
    newest = max_toolkit_for_driver(driver, os_name)
    majors = cuda_majors_for_driver(driver, os_name)
    toolkit = (
        f"runs CUDA toolkits up to {newest}" if newest else "runs no CUDA toolkit in the table"
    )
    compat = (
        "and code built with any CUDA " + " or ".join(f"{m}.x" for m in majors)
        if majors
        else "and meets no CUDA major's minor-version floor"
    )
    note = f"NVIDIA driver {driver} ({os_name}) {toolkit}, {compat}"
    rows = [
        {
            "framework": fit.framework,
            "release": fit.version,
            "builds_it_runs": " ".join(fit.builds) or "none",
            "needs_newer_driver": " ".join(fit.refused) or "-",
            "source": "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html",
        }
        for fit in framework_builds_for_driver(driver, os_name)
        if fit.builds or fit.refused
    ]
    return TableView(
        "driver",
        f"What NVIDIA driver {driver} runs ({os_name})",
        ("framework", "release", "builds_it_runs", "needs_newer_driver", "source"),
        rows,
        note,
        table_as_of("driver"),
    )


def nearest_rows(table: str, query: str, limit: int = 5) -> list[dict[str, str]]:
    """Rows that match some word of a query that matched no row as a whole."""
    name = ALIASES.get(table.lower(), table.lower())
    view = TABLES[name]()
    words = _release_words(name, query.lower().split())
    seen: list[dict[str, str]] = []
    for word in words:
        for row in _filter(view.rows, [word]):
            if row not in seen:
                seen.append(row)
    return seen[:limit]


# Tables whose rows are releases, and the release column a newer version is compared with.
_VERSIONED: dict[str, HorizonTable] = {
    "torch": "torch",
    "tensorflow": "tensorflow",
    "driver": "cuda",
}


def _filter(rows: list[dict[str, str]], words: list[str]) -> list[dict[str, str]]:
    # whole words: "2.8" finds torch 2.8 (and 2.8.1) but not CUDA 12.8
    patterns = [re.compile(rf"(?<![\w.]){re.escape(w)}(?!\w)", re.IGNORECASE) for w in words]
    return [
        row
        for row in rows
        if all(p.search(" ".join(v for k, v in row.items() if k != "source")) for p in patterns)
    ]
