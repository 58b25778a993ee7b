"""The script dlenv runs with the *target* interpreter (`python -c <this source>`) to describe it.

Standard library only, Python 3.6+, and it must never import a framework: it lists directory
names on sys.path, reads a few small files, and asks `importlib.util.find_spec` where the framework
modules would come from (a top-level `find_spec` runs the finders only, never the package). It
prints one marker line followed by one JSON document; dlenv parses the text after the marker, so
a `.pth` file or `sitecustomize` that prints something first cannot spoil the result. It writes
its JSON by hand and asks `sys.meta_path` directly: importing `json` (and with it `re` and `enum`)
and `importlib.util` would cost more than the whole scan of a large environment.
"""

import os
import site
import sys

MARKER = "@@dlenv-target-v1@@"

# Modules whose origin dlenv needs (to find shadowing and to read the frameworks' build files).
MODULES = ("torch", "tensorflow", "keras", "jax", "jaxlib", "tf_keras", "numpy")

# Distributions for which INSTALLER and direct_url.json are read: reading them for every one of
# 1,000 distributions would cost more than all the rest of the scan.
RELEVANT_PREFIXES = ("torch", "tensorflow", "tf-", "keras", "jax", "nvidia-", "triton", "libtpu")
RELEVANT_NAMES = ("numpy", "intel-tensorflow", "pytorch-triton", "ml-dtypes")

_SEPARATORS = str.maketrans({"_": "-", ".": "-"})


def canonical(name: str) -> str:
    """PEP 503 name: `Tensorflow_CPU` -> `tensorflow-cpu` (runs of separators become one `-`)."""
    out = name.lower().translate(_SEPARATORS)
    while "--" in out:
        out = out.replace("--", "-")
    return out


def is_relevant(name: str) -> bool:
    return name in RELEVANT_NAMES or name.startswith(RELEVANT_PREFIXES)


def read_small(path: str, limit: int = 65536) -> "str | None":
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except (OSError, ValueError):
        return None


def metadata_name_version(meta_dir: str) -> "tuple[str | None, str | None]":
    """Name and Version from METADATA/PKG-INFO (only for directory names that lack them)."""
    text = None
    if os.path.isdir(meta_dir):
        text = read_small(os.path.join(meta_dir, "METADATA")) or read_small(
            os.path.join(meta_dir, "PKG-INFO")
        )
    else:  # a flat `foo.egg-info` file is PKG-INFO itself
        text = read_small(meta_dir)
    name = version = None
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    return name, version


def parse_meta_name(entry: str, filename: str) -> "dict[str, object] | None":
    """One distribution from a `*.dist-info` / `*.egg-info` name; METADATA only if needed."""
    if filename.endswith(".dist-info"):
        stem = filename[: -len(".dist-info")]
        name, _, version = stem.partition("-")
        egg = False
    else:
        stem = filename[: -len(".egg-info")]
        parts = stem.split("-")
        name = parts[0]
        version = parts[1] if len(parts) > 1 else ""
        egg = True
    path = os.path.join(entry, filename)
    if not name or not version:
        meta_name, meta_version = metadata_name_version(path)
        name = name or meta_name or ""
        version = meta_version or ""
        if not name:
            return None
    return {
        "name": canonical(name),
        "version": version,
        "location": entry,
        "meta": path,
        # an egg-info without a version in its name sits in a source tree: `setup.py develop`
        "editable": bool(egg and len(stem.split("-")) == 1),
    }


def scan_entry(entry: str) -> "list[dict[str, object]]":
    found = []
    if entry.endswith(".egg") and os.path.isdir(os.path.join(entry, "EGG-INFO")):
        name, version = metadata_name_version(os.path.join(entry, "EGG-INFO"))
        if name:
            found.append(
                {
                    "name": canonical(name),
                    "version": version or "",
                    "location": entry,
                    "meta": os.path.join(entry, "EGG-INFO"),
                    "editable": False,
                }
            )
        return found
    try:
        names = os.listdir(entry)
    except OSError:
        return found
    names.sort()
    for filename in names:
        if filename.endswith((".dist-info", ".egg-info")):
            dist = parse_meta_name(entry, filename)
            if dist is not None:
                found.append(dist)
    return found


def add_install_details(dist: "dict[str, object]") -> None:
    meta = str(dist["meta"])
    installer = read_small(os.path.join(meta, "INSTALLER"), 256)
    dist["installer"] = (installer.strip() or None) if installer else None
    direct = read_small(os.path.join(meta, "direct_url.json"))
    if direct:
        import json  # only for the few distributions that have a direct_url.json

        try:
            data = json.loads(direct)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            info = data.get("dir_info")
            if isinstance(info, dict) and info.get("editable"):
                dist["editable"] = True
                url = data.get("url")
                if isinstance(url, str) and url.startswith("file://"):
                    dist["editable_path"] = url[len("file://") :]


def pth_entries(site_dirs: "list[str]") -> "set[str]":
    """Directories that `.pth` files in the site directories put on sys.path."""
    added = set()
    for site_dir in site_dirs:
        try:
            names = sorted(n for n in os.listdir(site_dir) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            text = read_small(os.path.join(site_dir, name)) or ""
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                added.add(os.path.normpath(os.path.join(site_dir, line)))
    return added


def find_spec(name: str) -> object:
    """`importlib.util.find_spec` for a top-level name: ask each finder on sys.meta_path."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:  # a legacy finder with find_module only
            continue
        spec = find(name, None)
        if spec is not None:
            return spec
    return None


def module_origin(name: str) -> "dict[str, object] | None":
    try:
        spec = find_spec(name)
    except Exception as exc:  # a broken third-party finder must not lose the whole report
        return {"path": None, "error": f"{type(exc).__name__}: {exc}"}
    if spec is None:
        return None
    locations = list(getattr(spec, "submodule_search_locations", None) or [])
    origin = getattr(spec, "origin", None) if getattr(spec, "has_location", False) else None
    if isinstance(origin, str) and os.path.basename(origin).startswith("__init__."):
        return {"path": os.path.dirname(origin), "kind": "package"}
    if isinstance(origin, str):
        return {"path": origin, "kind": "module"}
    if locations:
        return {"path": locations[0], "kind": "namespace", "locations": locations}
    return {"path": None, "kind": str(getattr(spec, "origin", None))}


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """A JSON string, ASCII only (stdout may be ASCII), lone surrogates from odd paths kept."""
    try:
        text.encode("ascii")
        if text.isprintable() and '"' not in text and "\\" not in text:
            return '"' + text + '"'
    except UnicodeError:
        pass
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


def dump(value: object) -> str:
    """JSON text of plain data (dict, list, str, int, bool, None)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, dict):
        return "{" + ",".join(quote(str(k)) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return quote(str(value))


def machine() -> str:
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform  # Windows: os.uname is missing

    return platform.machine()


def env_kind(prefix: str, base_prefix: str, environ: "dict[str, str]") -> "tuple[str, str | None]":
    """The kind of environment ("venv", "uv", "conda", "pyenv", "system") and its name."""
    cfg = os.path.join(prefix, "pyvenv.cfg")
    if prefix != base_prefix or os.path.isfile(cfg):
        text = read_small(cfg) or ""
        keys = {line.partition("=")[0].strip() for line in text.splitlines()}
        name = os.path.basename(prefix.rstrip("/\\"))
        if name in (".venv", "venv", "env", ".env"):
            # `.venv` says nothing; the project directory it belongs to does
            name = os.path.basename(os.path.dirname(prefix.rstrip("/\\"))) + "/" + name
        return ("uv" if "uv" in keys else "venv"), name
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        if environ.get("CONDA_PREFIX") == prefix and environ.get("CONDA_DEFAULT_ENV"):
            return "conda", environ["CONDA_DEFAULT_ENV"]
        if os.path.isdir(os.path.join(prefix, "condabin")):
            return "conda", "base"
        return "conda", os.path.basename(prefix.rstrip("/\\"))
    real = os.path.realpath(prefix).replace("\\", "/")
    if "/.pyenv/versions/" in real or "/pyenv/versions/" in real:
        return "pyenv", real.rstrip("/").rsplit("/", 1)[-1]
    if "/uv/python/" in real:
        return "uv", real.rstrip("/").rsplit("/", 1)[-1]
    return "system", None


def path_origin(
    index: int,
    entry: str,
    pythonpath: "list[str]",
    stdlib: "list[str]",
    site_dirs: "list[str]",
    user_site: "str | None",
    from_pth: "set[str]",
) -> str:
    norm = os.path.normpath(entry)
    safe_path = getattr(sys.flags, "safe_path", False)  # -P / PYTHONSAFEPATH (3.11+)
    if index == 0 and not safe_path and (entry == "" or norm == working_dir()):
        return "cwd"
    if norm in pythonpath:
        return "PYTHONPATH"
    if user_site and norm == os.path.normpath(user_site):
        return "user-site"
    if norm in site_dirs:
        return "site-packages"
    if any(norm == s or norm.startswith(s + os.sep) for s in stdlib):
        return "stdlib"
    if norm in from_pth:
        return ".pth"
    return "other"


def working_dir() -> str:
    """The working directory; a deleted one (the shell still stands in it) has no path to ask
    for, so the shell's $PWD stands in, which then does not exist, and is reported so."""
    try:
        return os.getcwd()
    except OSError:
        return os.environ.get("PWD") or "."


def main() -> None:
    cwd = working_dir()
    raw_entries: list[object] = list(sys.path)
    sys_path = [p for p in raw_entries if isinstance(p, str)]  # a broken .pth can add odd things
    raw_pythonpath = os.environ.get("PYTHONPATH", "")
    pythonpath_entries = [p for p in raw_pythonpath.split(os.pathsep) if p]
    pythonpath = [os.path.normpath(os.path.join(cwd, p)) for p in pythonpath_entries]

    # old virtualenv's own site.py has no getsitepackages
    getsitepackages = getattr(site, "getsitepackages", None)
    site_dirs = [os.path.normpath(p) for p in getsitepackages()] if getsitepackages else []
    for entry in sys_path:
        norm = os.path.normpath(entry) if entry else cwd
        if os.path.basename(norm) in ("site-packages", "dist-packages") and norm not in site_dirs:
            site_dirs.append(norm)
    user_site = getattr(site, "USER_SITE", None)
    user_enabled = bool(getattr(site, "ENABLE_USER_SITE", False))
    stdlib_dir = os.path.dirname(os.__file__)
    stdlib = [os.path.normpath(stdlib_dir)]
    stdlib += [os.path.normpath(p) for p in sys_path if p.endswith(".zip")]
    stdlib = [s for s in stdlib if "site-packages" not in s and "dist-packages" not in s]
    from_pth = pth_entries(site_dirs + ([user_site] if user_site and user_enabled else []))

    paths = []
    for index, raw in enumerate(sys_path):
        absolute = os.path.normpath(os.path.join(cwd, raw)) if raw else cwd
        origin = path_origin(index, raw, pythonpath, stdlib, site_dirs, user_site, from_pth)
        paths.append({"path": absolute, "exists": os.path.exists(absolute), "origin": origin})

    dists = []
    scanned = set()
    for item in paths:
        if not item["exists"]:
            continue
        real = os.path.realpath(str(item["path"]))
        if real in scanned:  # the same directory twice on sys.path is one install, not two
            continue
        scanned.add(real)
        dists.extend(scan_entry(str(item["path"])))

    counts = {}  # type: dict[str, int]
    for dist in dists:
        counts[str(dist["name"])] = counts.get(str(dist["name"]), 0) + 1
    for dist in dists:
        name = str(dist["name"])
        if is_relevant(name) or counts[name] > 1:
            add_install_details(dist)
        del dist["meta"]

    prefix = sys.prefix
    kind, env_name = env_kind(prefix, getattr(sys, "base_prefix", prefix), dict(os.environ))
    impl = sys.implementation
    result = {
        "executable": sys.executable,
        "version": ".".join(str(n) for n in sys.version_info[:3]),
        "version_full": sys.version,
        "implementation": impl.name,
        "prefix": prefix,
        "base_prefix": getattr(sys, "base_prefix", prefix),
        "kind": kind,
        "env_name": env_name,
        "platform": sys.platform,
        "machine": machine(),
        "bits": 64 if sys.maxsize > 2**32 else 32,
        "cwd": cwd,
        "sys_path": paths,
        "pythonpath": [
            {"path": p, "exists": os.path.exists(p), "origin": "PYTHONPATH"} for p in pythonpath
        ],
        "user_site": user_site,
        "user_site_enabled": user_enabled,
        "site_packages": site_dirs,
        "distributions": dists,
        "modules": {name: module_origin(name) for name in MODULES},
    }
    sys.stdout.write("\n" + MARKER + "\n" + dump(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
