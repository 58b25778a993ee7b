"""Python environments as data: the target script's JSON answer and framework files on disk.

`python_env(...)` builds the document the target interpreter would print, `add_python` makes a
FakeSystem answer with it, and `add_torch`/`add_tensorflow`/`add_keras`/`add_dist` lay down the
files the static framework probe reads. File contents follow the real generated files.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dlenv.probes.pythonenv import MARKER, MODULE_PROVIDERS, target_argv
from dlenv.probes.target import canonical_name
from dlenv.system.fake import Command, FakeSystem

HOME = "/home/user"

# prefix, base_prefix, env_name, site-packages per kind of environment
KINDS: dict[str, tuple[str, str, str | None, str]] = {
    "venv": (
        f"{HOME}/venv",
        "/usr",
        "user/venv",  # a directory named venv is known by its parent's name too
        f"{HOME}/venv/lib/python3.11/site-packages",
    ),
    "uv": (
        f"{HOME}/proj/.venv",
        f"{HOME}/.local/share/uv/python/cpython-3.11.7-linux-x86_64-gnu",
        "proj/.venv",
        f"{HOME}/proj/.venv/lib/python3.11/site-packages",
    ),
    "conda": (
        "/opt/conda/envs/ml",
        "/opt/conda/envs/ml",
        "ml",
        "/opt/conda/envs/ml/lib/python3.11/site-packages",
    ),
    "pyenv": (
        f"{HOME}/.pyenv/versions/3.11.7",
        f"{HOME}/.pyenv/versions/3.11.7",
        "3.11.7",
        f"{HOME}/.pyenv/versions/3.11.7/lib/python3.11/site-packages",
    ),
    "system": ("/usr", "/usr", None, "/usr/lib/python3/dist-packages"),
}


def site_of(kind: str = "venv") -> str:
    """The site-packages directory of a kind of environment built by `python_env`."""
    return KINDS[kind][3]


def dist(
    name: str,
    version: str,
    location: str | None = None,
    *,
    installer: str | None = "pip",
    editable: bool = False,
    editable_path: str | None = None,
) -> dict[str, Any]:
    """One distribution as the target script reports it (in the venv's site-packages)."""
    out: dict[str, Any] = {
        "name": canonical_name(name),
        "version": version,
        "location": location or site_of("venv"),
        "editable": editable,
        "installer": installer,
    }
    if editable_path:
        out["editable_path"] = editable_path
    return out


def entry(path: str, origin: str, exists: bool = True) -> dict[str, Any]:
    return {"path": path, "exists": exists, "origin": origin}


def python_env(
    *,
    kind: str = "venv",
    dists: Sequence[Mapping[str, Any]] = (),
    sys_path: Sequence[Mapping[str, Any]] | None = None,
    pythonpath: Sequence[str] = (),
    modules: Mapping[str, str | None] | None = None,
    executable: str | None = None,
    version: str = "3.11.7",
    cwd: str = HOME,
    env_name: str | None = None,
    user_site_enabled: bool | None = None,
    platform: str = "linux",
    machine: str = "x86_64",
) -> dict[str, Any]:
    """The document `target_script` prints for an environment of `kind` holding `dists`.

    Module origins default to where the first providing distribution lives, so a shadowing case
    only has to name the module that goes astray.
    """
    prefix, base_prefix, default_name, site = KINDS[kind]
    stdlib = f"{base_prefix}/lib/python3.11"
    if sys_path is None:
        sys_path = [
            entry(cwd, "cwd"),
            *(entry(p, "PYTHONPATH", exists=False) for p in pythonpath),
            entry(f"{base_prefix}/lib/python311.zip", "stdlib", exists=False),
            entry(stdlib, "stdlib"),
            entry(f"{stdlib}/lib-dynload", "stdlib"),
            entry(site, "site-packages"),
        ]
    origins: dict[str, str | None] = {}
    for module, providers in MODULE_PROVIDERS.items():
        provider = next((d for d in dists if d["name"] in providers), None)
        origins[module] = posixpath.join(provider["location"], module) if provider else None
    origins.update(modules or {})
    return {
        "executable": executable or f"{prefix}/bin/python",
        "version": version,
        "version_full": f"{version} (main) [GCC 12.2.0]",
        "implementation": "cpython",
        "prefix": prefix,
        "base_prefix": base_prefix,
        "kind": kind,
        "env_name": env_name if env_name is not None else default_name,
        "platform": platform,
        "machine": machine,
        "cwd": cwd,
        "sys_path": list(sys_path),
        "pythonpath": [entry(p, "PYTHONPATH", exists=False) for p in pythonpath],
        "user_site": f"{HOME}/.local/lib/python3.11/site-packages",
        "user_site_enabled": kind == "system" if user_site_enabled is None else user_site_enabled,
        "site_packages": [site],
        "distributions": [dict(d) for d in dists],
        "modules": {
            name: ({"path": path, "kind": "package"} if path else None)
            for name, path in origins.items()
        },
    }


def script_output(data: Mapping[str, Any], noise: str = "") -> str:
    """What the interpreter prints: anything a .pth printed, the marker, the document."""
    return f"{noise}\n{MARKER}\n{json.dumps(data)}\n"


def add_python(
    system: FakeSystem, data: Mapping[str, Any] | None, executable: str | None = None
) -> FakeSystem:
    """Make `executable` (default: the document's) answer the target script with `data`."""
    exe = executable or (data or {}).get("executable") or f"{HOME}/venv/bin/python"
    system.add_executable(exe)
    if data is not None:
        system.add_command(" ".join(target_argv(exe)), Command(stdout=script_output(data)))
    return system


def python_machine(data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> FakeSystem:
    """A machine whose PATH starts with the environment's bin directory, as after `activate`."""
    exe = str(data["executable"])
    system = FakeSystem(
        env_vars={"PATH": f"{posixpath.dirname(exe)}:/usr/bin:/bin", "HOME": HOME, **(env or {})},
        working_dir=str(data.get("cwd", HOME)),
    )
    system.add_dir(HOME)
    return add_python(system, data)


# -- framework files --------------------------------------------------------------------------
def add_dist(
    system: FakeSystem,
    name: str,
    version: str,
    location: str | None = None,
    *,
    requires: Iterable[str] = (),
    extras: Iterable[str] = (),
    installer: str | None = "pip",
) -> dict[str, Any]:
    """A `<name>-<version>.dist-info` with METADATA (and INSTALLER); returns its `dist(...)`."""
    location = location or site_of("venv")
    folder = f"{location}/{name.replace('-', '_')}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {r}" for r in requires]
    system.add_file(f"{folder}/METADATA", "\n".join(lines) + "\n\nLong description.\n")
    if installer:
        system.add_file(f"{folder}/INSTALLER", installer + "\n")
    return dist(name, version, location, installer=installer)


def torch_version_py(
    version: str, cuda: str | None = None, hip: str | None = None, git: str = "0" * 40
) -> str:
    """torch/version.py as PyTorch's build writes it (e.g. torch 2.4.0+cu118)."""
    return (
        "from typing import Optional\n\n"
        "__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
        f"__version__ = '{version}'\n"
        "debug = False\n"
        f"cuda: Optional[str] = {cuda!r}\n"
        f"git_version = '{git}'\n"
        f"hip: Optional[str] = {hip!r}\n"
    )


# The Linux x86_64 torch 2.3.1 wheel pins CUDA 12.1 wheels (https://pypi.org/project/torch/2.3.1/,
# METADATA abridged; cuDNN 8.9.2.26 and cudart 12.1.105 are that release's pins)
TORCH_CU121_REQUIRES = (
    "filelock",
    'nvidia-cuda-runtime-cu12==12.1.105; platform_system == "Linux" and '
    'platform_machine == "x86_64"',
    'nvidia-cudnn-cu12==8.9.2.26; platform_system == "Linux" and platform_machine == "x86_64"',
    'triton==2.3.1; platform_system == "Linux" and platform_machine == "x86_64" and '
    'python_version < "3.12"',
    'opt-einsum>=3.3; extra == "opt-einsum"',
)


def add_torch(
    system: FakeSystem,
    version: str = "2.3.1+cu121",
    cuda: str | None = "12.1",
    hip: str | None = None,
    location: str | None = None,
    requires: Iterable[str] = TORCH_CU121_REQUIRES,
    version_py: str | None = None,
    dist_version: str | None = None,
) -> dict[str, Any]:
    """torch with its version.py; `dist_version` differs for PyPI's wheels (2.3.1 vs +cu121)."""
    location = location or site_of("venv")
    text = version_py if version_py is not None else torch_version_py(version, cuda, hip)
    system.add_file(f"{location}/torch/__init__.py", "")
    system.add_file(f"{location}/torch/version.py", text)
    return add_dist(system, "torch", dist_version or version, location, requires=requires)


def tf_build_info_py(entries: Sequence[tuple[str, object]]) -> str:
    """tensorflow/python/platform/build_info.py as TensorFlow >= 2.4 generates it."""
    return (
        '"""Auto-generated module providing information about the build."""\n'
        "import collections\n\n"
        f"build_info = collections.OrderedDict({list(entries)!r})\n"
    )


# A Linux CUDA build of tensorflow 2.15.0, in the generated file's own shape; CUDA 12.2 / cuDNN 8
# per the tensorflow-2.15.0 row of https://www.tensorflow.org/install/source#gpu (build_info
# records only cuDNN's major on Linux); the compiler and capability list are illustrative.
TF_CUDA_BUILD: tuple[tuple[str, object], ...] = (
    ("cpu_compiler", "/usr/lib/llvm-17/bin/clang"),
    ("cuda_compute_capabilities", ["sm_50", "sm_60", "sm_70", "sm_80", "compute_90"]),
    ("cuda_version", "12.2"),
    ("cudnn_version", "8"),
    ("is_cuda_build", True),
    ("is_rocm_build", False),
    ("is_tensorrt_build", True),
)
TF_CPU_BUILD: tuple[tuple[str, object], ...] = (
    ("is_cuda_build", False),
    ("is_rocm_build", False),
    ("is_tensorrt_build", False),
)
# the `and-cuda` extra of tensorflow 2.15.0 (abridged; pins as in its METADATA on PyPI)
TF_AND_CUDA_REQUIRES = (
    "numpy<2.0.0,>=1.23.5",
    "keras<2.16,>=2.15.0",
    'nvidia-cuda-runtime-cu12==12.2.140; extra == "and-cuda"',
    'nvidia-cudnn-cu12==8.9.4.25; extra == "and-cuda"',
    'tensorflow-io-gcs-filesystem>=0.23.1; extra == "gcs-filesystem"',
)


def add_tensorflow(
    system: FakeSystem,
    name: str = "tensorflow",
    version: str = "2.15.0",
    build: Sequence[tuple[str, object]] = TF_CUDA_BUILD,
    location: str | None = None,
    requires: Iterable[str] = TF_AND_CUDA_REQUIRES,
    build_info_py: str | None = None,
) -> dict[str, Any]:
    location = location or site_of("venv")
    text = build_info_py if build_info_py is not None else tf_build_info_py(build)
    system.add_file(f"{location}/tensorflow/__init__.py", "")
    system.add_file(f"{location}/tensorflow/python/platform/build_info.py", text)
    return add_dist(
        system, name, version, location, requires=requires, extras=("and-cuda", "gcs-filesystem")
    )


def add_keras(
    system: FakeSystem, version: str = "3.3.3", location: str | None = None
) -> dict[str, Any]:
    location = location or site_of("venv")
    system.add_file(f"{location}/keras/__init__.py", "")
    return add_dist(system, "keras", version, location, requires=("absl-py", "numpy"))
