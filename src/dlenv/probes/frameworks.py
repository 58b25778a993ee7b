"""How each installed framework was built, read from its files without importing it.

PyTorch's generated `torch/version.py`, TensorFlow's generated `build_info.py`, the wheels'
METADATA and Keras's `keras.json` are parsed (with `ast`, never executed) through the `System`
seam; a corrupt or missing file is recorded in the fact's `unknown`, never raised.
"""

from __future__ import annotations

import ast
import json
import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace

from dlenv.probes.pythonenv import MODULE_PROVIDERS
from dlenv.probes.target import TargetInterpreter, canonical_name
from dlenv.snapshot.model import Distribution, FrameworkFacts
from dlenv.system.base import System

# Requirements worth recording: the CUDA wheels and the framework pieces that must match.
_REQUIRE_PREFIXES = ("nvidia-", "triton", "pytorch-triton", "jax", "keras", "tf-keras", "libtpu")

# JAX's CUDA support ships as plugins next to jaxlib, one pair per CUDA major
# (https://docs.jax.dev/en/latest/installation.html: `pip install -U "jax[cuda12]"`, `jax[cuda13]`).
_JAX_PLUGIN = re.compile(r"^jax-cuda(\d+)-(plugin|pjrt)$")
# jaxlib < 0.4.26 shipped CUDA builds as local versions: "0.4.23+cuda12.cudnn89".
_JAXLIB_LOCAL = re.compile(r"\+cuda(\d+)(?:\.cudnn(\d+))?")


def collect_frameworks(system: System, target: TargetInterpreter) -> list[FrameworkFacts]:
    """Static build facts of torch, tensorflow, keras, tf-keras and jax, as installed."""
    found: list[FrameworkFacts] = []
    for collect in (_torch, _tensorflow, _keras, _tf_keras, _jax):
        fact = collect(system, target)
        if fact is not None:
            found.append(_with_nccl(system, target, fact))
    return found


# -- NCCL, as shipped -------------------------------------------------------------------------
_NCCL_REQUIREMENT = re.compile(r"^\s*(nvidia-nccl[\w.-]*)", re.IGNORECASE)
_NCCL_FILE = re.compile(r"^libnccl\.so\.(\d+(?:\.\d+)+)$")


def _with_nccl(system: System, target: TargetInterpreter, fact: FrameworkFacts) -> FrameworkFacts:
    """The NCCL a CUDA build ships with: the nvidia-nccl wheel it requires (PyTorch, and
    TensorFlow's and JAX's CUDA extras), else a libnccl in the package's own lib directory."""
    if fact.name not in ("torch", "tensorflow", "jax") or not fact.cuda_build:
        return fact
    wanted = [m.group(1) for r in fact.requires if (m := _NCCL_REQUIREMENT.match(r))]
    for name in wanted:
        dist = target.distribution(name)
        if dist is not None:
            return replace(fact, nccl_version=dist.version, nccl_source=f"{dist.name} wheel")
    if fact.name == "torch" and fact.location:
        # conda-forge's and older builds keep libnccl beside libtorch_cuda.so
        for path in system.glob(posixpath.join(fact.location, "lib", "libnccl*.so*")):
            match = _NCCL_FILE.match(posixpath.basename(path))
            if match:
                where = f"torch/lib/{posixpath.basename(path)}"
                return replace(fact, nccl_version=match.group(1), nccl_source=where)
    if wanted:
        why = f"{', '.join(wanted)} required but not installed"
    elif fact.name == "torch":
        why = (
            "no nvidia-nccl wheel required and no versioned libnccl in torch/lib: NCCL is "
            "linked into libtorch_cuda.so (the live probe reads its version)"
        )
    else:
        why = f"{fact.name} requires no nvidia-nccl wheel: NCCL is linked into the build"
    return replace(fact, unknown={**fact.unknown, "nccl_version": why})


# -- reading files ----------------------------------------------------------------------------
def read_metadata_headers(system: System, dist: Distribution) -> list[tuple[str, str]] | None:
    """The METADATA (or PKG-INFO) header fields of an installed distribution, in order."""
    for meta in _metadata_files(system, dist):
        text = system.read_text(meta)
        if text is None:
            continue
        headers: list[tuple[str, str]] = []
        for line in text.splitlines():
            if not line.strip():
                break
            if line[:1] in (" ", "\t") and headers:  # folded continuation line
                key, value = headers[-1]
                headers[-1] = (key, value + " " + line.strip())
                continue
            key, sep, value = line.partition(":")
            if sep:
                headers.append((key.strip(), value.strip()))
        return headers
    return None


def _metadata_files(system: System, dist: Distribution) -> list[str]:
    """Where the distribution's metadata lies; dist-info names use `_` for `-` (any case)."""
    wanted = canonical_name(dist.name)
    out: list[str] = []
    for entry in system.listdir(dist.location):
        suffix = next((s for s in (".dist-info", ".egg-info") if entry.endswith(s)), None)
        if suffix is None:
            continue
        stem = entry[: -len(suffix)]
        name, _, version = stem.partition("-")
        if canonical_name(name) != wanted:
            continue
        if dist.version and version and not version.startswith(dist.version.split("+")[0]):
            continue
        base = posixpath.join(dist.location, entry)
        out += [posixpath.join(base, "METADATA"), posixpath.join(base, "PKG-INFO"), base]
    return out


def relevant_requires(
    headers: Iterable[tuple[str, str]], extras: tuple[str, ...] = ()
) -> list[str]:
    """Requires-Dist values naming CUDA wheels or framework pieces, unconditional or `extras`."""
    out: list[str] = []
    for key, value in headers:
        if key != "Requires-Dist":
            continue
        requirement, _, marker = value.partition(";")
        name = canonical_name(re.split(r"[\s<>=!~\[(;@]", requirement.strip(), maxsplit=1)[0])
        if not name.startswith(_REQUIRE_PREFIXES):
            continue
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if extra and canonical_name(extra.group(1)) not in extras:
            continue
        out.append(value)
    return out


def parse_assignments(source: str) -> dict[str, object]:
    """Module-level `NAME = <literal>` (annotated or not) of a generated file; never executes."""
    tree = ast.parse(source)
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for tgt in targets:
            if isinstance(tgt, ast.Name):
                try:
                    values[tgt.id] = ast.literal_eval(value)
                except ValueError:
                    values[tgt.id] = _literal_mapping(value)
    return {k: v for k, v in values.items() if v is not _NOT_LITERAL}


_NOT_LITERAL = object()


def _literal_mapping(node: ast.expr) -> object:
    """`collections.OrderedDict([...])` or `dict(...)` of literals, as build_info.py writes it."""
    if isinstance(node, ast.Call) and node.args and not node.keywords:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("OrderedDict", "dict"):
            try:
                items = ast.literal_eval(node.args[0])
            except ValueError:
                return _NOT_LITERAL
            try:
                return dict(items)
            except (TypeError, ValueError):
                return _NOT_LITERAL
    return _NOT_LITERAL


def _package_dir(system: System, target: TargetInterpreter, module: str, dist: Distribution) -> str:
    """The package directory `import module` would use, else the distribution's own."""
    origin = target.module_origins.get(module)
    if origin and system.is_dir(origin):
        return origin
    return posixpath.join(dist.location, module)


def _read_python_file(
    system: System, path: str, label: str
) -> tuple[dict[str, object], str | None]:
    text = system.read_text(path)
    if text is None:
        return {}, f"{label} not found or unreadable ({path})"
    try:
        return parse_assignments(text), None
    except SyntaxError as exc:
        return {}, f"{label} is not valid Python (line {exc.lineno}: {exc.msg})"
    except (ValueError, RecursionError) as exc:
        return {}, f"{label} could not be parsed ({exc})"


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# -- PyTorch ----------------------------------------------------------------------------------
def torch_variant(version: str, cuda: str | None, hip: str | None) -> str:
    """ "cu121", "cpu", "rocm6.0": the local version label, else derived from the build."""
    local = version.partition("+")[2]
    if re.fullmatch(r"cu\d+|cpu|rocm[\d.]+|xpu", local):
        return local
    if cuda:
        return "cu" + "".join(cuda.split(".")[:2])
    if hip:
        return "rocm" + ".".join(hip.split(".")[:2])
    return "cpu"


def _torch(system: System, target: TargetInterpreter) -> FrameworkFacts | None:
    dist = target.distribution("torch")
    if dist is None:
        return None
    package = _package_dir(system, target, "torch", dist)
    values, problem = _read_python_file(
        system, posixpath.join(package, "version.py"), "torch/version.py"
    )
    unknown: dict[str, str] = {}
    version = _opt_str(values.get("__version__")) or dist.version
    details: dict[str, str] = {}
    if version != dist.version:
        details["distribution_version"] = dist.version
    cuda = _opt_str(values.get("cuda"))
    hip = _opt_str(values.get("hip"))
    for key in ("git_version", "hip", "rocm", "xpu", "debug"):
        if key in values and values[key] is not None:
            details[key] = str(values[key])
    if problem:
        unknown["cuda_version"] = problem
    headers = read_metadata_headers(system, dist)
    if headers is None:
        unknown["requires"] = f"METADATA of torch {dist.version} not found in {dist.location}"
    return FrameworkFacts(
        name="torch",
        distribution=dist.name,
        version=version,
        location=package,
        cuda_build=None if problem else cuda is not None,
        rocm_build=None if problem else hip is not None,
        cuda_version=cuda,
        variant=None if problem else torch_variant(version, cuda, hip),
        build_source="METADATA" if problem else "torch/version.py",
        requires=relevant_requires(headers or []),
        details=details,
        unknown=unknown,
    )


# -- TensorFlow -------------------------------------------------------------------------------
def normalise_tf_version(raw: str | None) -> str | None:
    """Windows builds say "64_112" for CUDA 11.2 and "64_8" for cuDNN 8."""
    if raw is None:
        return None
    match = re.fullmatch(r"64_(\d+)", raw)
    if not match:
        return raw
    digits = match.group(1)
    return digits if len(digits) == 1 else f"{digits[:-1]}.{digits[-1]}"


def _tensorflow(system: System, target: TargetInterpreter) -> FrameworkFacts | None:
    dist = target.first_of(MODULE_PROVIDERS["tensorflow"])
    if dist is None:
        return None
    package = _package_dir(system, target, "tensorflow", dist)
    path = posixpath.join(package, "python", "platform", "build_info.py")
    values, problem = _read_python_file(system, path, "tensorflow/python/platform/build_info.py")
    info = values.get("build_info")
    build: dict[str, object] = dict(info) if isinstance(info, dict) else {}
    if not build and not problem:
        # TensorFlow < 2.3 wrote module-level constants instead of one dict
        build = {
            "is_cuda_build": values.get("is_cuda_build"),
            "is_rocm_build": values.get("is_rocm_build"),
            "cuda_version": values.get("cuda_version_number"),
            "cudnn_version": values.get("cudnn_version_number"),
        }
        if all(v is None for v in build.values()):
            problem = "tensorflow/python/platform/build_info.py has no build_info"
    unknown: dict[str, str] = {}
    if problem:
        unknown["cuda_build"] = problem
    cuda_build = build.get("is_cuda_build")
    rocm_build = build.get("is_rocm_build")
    raw_cuda = _opt_str(build.get("cuda_version"))
    raw_cudnn = _opt_str(build.get("cudnn_version"))
    details: dict[str, str] = {}
    for key, value in sorted(build.items()):
        if key in ("is_cuda_build", "is_rocm_build", "cuda_version", "cudnn_version"):
            continue
        if isinstance(value, list):
            details[key] = ",".join(str(v) for v in value)
        elif value is not None:
            details[key] = str(value)
    if raw_cuda and normalise_tf_version(raw_cuda) != raw_cuda:
        details["cuda_version_raw"] = raw_cuda
    is_cuda = cuda_build if isinstance(cuda_build, bool) else None
    is_rocm = rocm_build if isinstance(rocm_build, bool) else None
    variant = None
    if is_cuda is not None or is_rocm is not None:
        variant = "cuda" if is_cuda else "rocm" if is_rocm else "cpu"
    headers = read_metadata_headers(system, dist)
    if headers is None:
        unknown["requires"] = f"METADATA of {dist.name} {dist.version} not found in {dist.location}"
    return FrameworkFacts(
        name="tensorflow",
        distribution=dist.name,
        version=dist.version,
        location=package,
        cuda_build=is_cuda,
        rocm_build=is_rocm,
        cuda_version=normalise_tf_version(raw_cuda) if is_cuda is not False else None,
        cudnn_version=normalise_tf_version(raw_cudnn) if is_cuda is not False else None,
        variant=variant,
        build_source=None if problem else "build_info.py",
        requires=relevant_requires(headers or [], extras=("and-cuda",)),
        details=details,
        unknown=unknown,
    )


# -- Keras ------------------------------------------------------------------------------------
def keras_config_path(system: System) -> str:
    """Where Keras 3 reads keras.json: $KERAS_HOME, else ~/.keras (/tmp/.keras if ~ is not
    writable), as keras/src/backend/config.py decides."""
    env = system.env
    if "KERAS_HOME" in env:
        return posixpath.join(env["KERAS_HOME"], "keras.json")
    home = env.get("HOME") or env.get("USERPROFILE") or "~"
    if not system.access(home, os.W_OK):
        home = "/tmp"
    return posixpath.join(home, ".keras", "keras.json")


def keras_backend(system: System) -> tuple[str, str, str | None]:
    """The backend Keras 3 will use, where that came from, and a problem with keras.json."""
    path = keras_config_path(system)
    backend, source, problem = "tensorflow", "default", None
    if system.exists(path):
        text = system.read_text(path)
        try:
            config = json.loads(text) if text is not None else None
        except json.JSONDecodeError as exc:
            # Keras itself ignores a keras.json it cannot parse and uses its defaults
            problem = f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})"
            config = None
        if text is None:
            problem = f"{path} is not readable"
        if isinstance(config, dict) and isinstance(config.get("backend"), str):
            backend, source = config["backend"], path
    env_backend = system.env.get("KERAS_BACKEND")
    if env_backend:  # an empty KERAS_BACKEND is ignored by Keras
        backend, source = env_backend, "KERAS_BACKEND"
    return backend, source, problem


def _keras(system: System, target: TargetInterpreter) -> FrameworkFacts | None:
    dist = target.first_of(MODULE_PROVIDERS["keras"])
    if dist is None:
        return None
    major = dist.version.split(".", 1)[0]
    unknown: dict[str, str] = {}
    details = {"major": major}
    if major.isdigit() and int(major) >= 3:
        backend, source, problem = keras_backend(system)
        if problem:
            unknown["backend_config"] = problem
    else:
        # Keras 2 runs on TensorFlow only; KERAS_BACKEND and keras.json do not change that
        backend, source = "tensorflow", "keras 2"
    headers = read_metadata_headers(system, dist) or []
    return FrameworkFacts(
        name="keras",
        distribution=dist.name,
        version=dist.version,
        location=posixpath.join(dist.location, "keras"),
        build_source="METADATA",
        requires=relevant_requires(headers),
        backend=backend,
        backend_source=source,
        details=details,
        unknown=unknown,
    )


def _tf_keras(system: System, target: TargetInterpreter) -> FrameworkFacts | None:
    dist = target.first_of(MODULE_PROVIDERS["tf_keras"])
    if dist is None:
        return None
    return FrameworkFacts(
        name="tf-keras",
        distribution=dist.name,
        version=dist.version,
        location=posixpath.join(dist.location, "tf_keras"),
        build_source="METADATA",
        backend="tensorflow",
        backend_source="tf-keras",
    )


# -- JAX --------------------------------------------------------------------------------------
def _jax(system: System, target: TargetInterpreter) -> FrameworkFacts | None:
    jax = target.distribution("jax")
    jaxlib = target.distribution("jaxlib")
    main = jax or jaxlib
    if main is None:
        return None
    details: dict[str, str] = {}
    requires: list[str] = []
    cuda_majors: list[str] = []
    cudnn: str | None = None
    if jaxlib is not None:
        details["jaxlib"] = jaxlib.version
        local = _JAXLIB_LOCAL.search(jaxlib.version)
        if local:
            cuda_majors.append(local.group(1))
            if local.group(2):  # "cudnn89" -> "8.9"
                digits = local.group(2)
                cudnn = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits
    for dist in target.distributions:
        match = _JAX_PLUGIN.match(dist.name)
        if match and dist.name not in details:
            details[dist.name] = dist.version
            if match.group(1) not in cuda_majors:
                cuda_majors.append(match.group(1))
            headers = read_metadata_headers(system, dist) or []
            requires += [r for r in relevant_requires(headers, ("with-cuda",)) if r not in requires]
        elif dist.name == "libtpu" and "libtpu" not in details:
            details["libtpu"] = dist.version
    variant = f"cuda{cuda_majors[0]}" if cuda_majors else "tpu" if "libtpu" in details else "cpu"
    if jax is not None:
        requires = relevant_requires(read_metadata_headers(system, jax) or []) + requires
    return FrameworkFacts(
        name="jax",
        distribution=main.name,
        version=main.version,
        location=posixpath.join(main.location, main.name),
        cuda_build=bool(cuda_majors),
        cuda_version=cuda_majors[0] if cuda_majors else None,
        cudnn_version=cudnn,
        variant=variant,
        build_source="METADATA",
        requires=requires,
        details=details,
    )
