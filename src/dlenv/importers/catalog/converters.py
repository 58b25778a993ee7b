"""Value converters a catalogue fact names with `convert = "..."` (they stay Python).

Each takes the text a fact's template produced and returns the value to record.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable

from dlenv.kb.packages import SHADOWED_PACKAGES


def _cuda_int(v: str) -> str:
    """CUDA's integer version: 11040 -> "11.4", 10010 -> "10.1", 6050 -> "6.5"."""
    n = int(v)
    return f"{n // 1000}.{(n % 1000) // 10}"


def _sm(v: str) -> str:
    """ "sm_120" digits -> "12.0", "86" -> "8.6"."""
    return f"{v[:-1]}.{v[-1]}"


def _cudnn(v: str) -> str:
    """cuDNN versions as frameworks print them: "(8, 9, 2)", "8.9.2", "7102", "8902", "90100"."""
    v = v.strip().rstrip(".")
    if v.startswith("("):
        return ".".join(p.strip() for p in v.strip("()").split(",") if p.strip())
    if v.isdigit():
        n = int(v)
        if n >= 10000:  # cuDNN 9+: major*10000 + minor*100 + patch
            return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
        return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"
    return v


def _archs(v: str) -> list[str]:
    return v.split()


def _bool(v: str) -> bool:
    return v.strip().lower() in ("true", "yes", "1")


_UNITS = {
    "bytes": 1 / 2**20,
    "B": 1 / 2**20,
    "KiB": 1 / 1024,
    "MiB": 1.0,
    "GiB": 1024.0,
    "TiB": 2**20,
}


def _mib(v: str) -> str:
    """A size as PyTorch prints it ("7.79 GiB", "3.94 MiB", "0 bytes") -> MiB, "7976.96"."""
    number, _, unit = v.strip().partition(" ")
    return f"{float(number) * _UNITS[unit.strip()]:.2f}"


def _mib_sum(v: str) -> str:
    """ "6.81 GiB+17.19 MiB" -> their sum in MiB (allocated plus reserved-but-unallocated)."""
    return f"{sum(float(_mib(part)) for part in v.split('+')):.2f}"


SIZE = r"[\d.]+ (?:bytes|[KMGT]iB)"  # a size as PyTorch's format_size prints it
_PROCESS = re.compile(rf"Process (\d+) has ({SIZE}) memory in use")


def _processes(v: str) -> str:
    """PyTorch's "Process 1234 has 7.78 GiB memory in use." sentences -> "1234=7966.72,…"."""
    return ",".join(f"{pid}={_mib(size)}" for pid, size in _PROCESS.findall(v))


def _lower(v: str) -> str:
    return v.strip().lower()


_COUNTS = {"one": 1, "single": 1, "单": 1, "two": 2, "双": 2, "three": 3, "four": 4, "eight": 8}


def _count(v: str) -> str:
    """A number as prose says it: "one", "single", "单" (Chinese) -> "1"; digits stay."""
    word = v.strip().lower()
    return str(_COUNTS[word]) if word in _COUNTS else str(int(word))


# standard-library modules that do something when imported: never imported to be looked at
_NOISY = frozenset(
    {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__main__"}
)


def _top(v: str) -> str:
    return v.strip().split(".")[0]


def _shadowable(v: str) -> str | None:
    """A module name that a user's own file or folder plausibly shadows (a standard-library
    module or a well-known package), else None (the fact is not stated)."""
    top = _top(v)
    return v.strip() if top in sys.stdlib_module_names or top in SHADOWED_PACKAGES else None


def _stdlib_attr(v: str) -> str | None:
    """ "random:randint" -> "random" when `random` is a standard-library module that really has
    `randint`: "module 'random' has no attribute 'randint'" then means another `random` was
    imported (the user's random.py). A name some Python release removed (the knowledge base's
    stdlib_removals) is judged the same whatever Python runs dlenv: not a shadowing module.
    Anything else -> None."""
    mod, _, attr = v.partition(":")
    mod, attr = mod.strip(), attr.strip()
    if "." in mod or mod not in sys.stdlib_module_names or mod in _NOISY or not attr:
        return None
    from dlenv.kb.wheels import stdlib_removal

    if stdlib_removal(f"{mod}.{attr}") is not None:
        return None  # a name a newer Python removed (pkgutil.ImpImporter): not another module
    try:
        real = importlib.import_module(mod)
    except Exception:  # a module this platform lacks (winreg on Linux)
        return None
    return mod if hasattr(real, attr) else None


# names every release of these packages has had at the top level (a user's file of the same
# name lacks them); names a release added or removed (tf.placeholder, np.float) are not here
_CORE_NAMES = {
    "torch": "tensor Tensor nn cuda zeros ones randn rand no_grad device float32 int64 "
    "from_numpy manual_seed optim utils save load cat stack",
    "numpy": "array ndarray zeros ones arange linspace random dot sqrt float32 int64 mean sum "
    "asarray reshape pi",
    "tensorflow": "constant Variable keras compat float32 Tensor zeros ones __version__ data "
    "nn math",
    "jax": "numpy jit grad random vmap devices",
    "keras": "layers models Model Sequential backend utils",
    "pandas": "DataFrame Series read_csv concat",
    "cv2": "imread imwrite imshow cvtColor resize VideoCapture",
    "requests": "get post Session",
}


def _core_attr(v: str) -> str | None:
    """ "torch:tensor" -> "torch" when every release of torch has `tensor`: "module 'torch' has
    no attribute 'tensor'" then means another `torch` (the user's torch.py) was imported."""
    mod, _, attr = v.partition(":")
    names = _CORE_NAMES.get(mod.strip())
    return mod.strip() if names is not None and attr.strip() in names.split() else None


# conda's platform subdirectories (conda/base/constants.py KNOWN_SUBDIRS) -> (os, arch)
_CONDA_SUBDIRS = {
    "win-64": ("Windows", "x86_64"),
    "win-32": ("Windows", "x86"),
    "win-arm64": ("Windows", "arm64"),
    "osx-64": ("Darwin", "x86_64"),
    "osx-arm64": ("Darwin", "arm64"),
    "linux-64": ("Linux", "x86_64"),
    "linux-aarch64": ("Linux", "aarch64"),
    "linux-ppc64le": ("Linux", "ppc64le"),
    "linux-armv7l": ("Linux", "armv7l"),
}


def _conda_os(v: str) -> str | None:
    """A conda subdir ("win-64", "osx-arm64") -> the OS it is built for."""
    found = _CONDA_SUBDIRS.get(v.strip().lower())
    return found[0] if found else None


def _conda_arch(v: str) -> str | None:
    """A conda subdir -> the machine architecture it is built for."""
    found = _CONDA_SUBDIRS.get(v.strip().lower())
    return found[1] if found else None


CONVERTERS: dict[str, Callable[[str], object]] = {
    "cuda_int": _cuda_int,
    "sm": _sm,
    "cudnn": _cudnn,
    "archs": _archs,
    "bool": _bool,
    "int": int,
    "env": str,  # kept as written, even when empty
    "mib": _mib,
    "mib_sum": _mib_sum,
    "processes": _processes,
    "lower": _lower,
    "count": _count,
    "shadowable": _shadowable,
    "stdlib_attr": _stdlib_attr,
    "core_attr": _core_attr,
    "conda_os": _conda_os,
    "conda_arch": _conda_arch,
}
