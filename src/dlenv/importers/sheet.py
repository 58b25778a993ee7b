"""A fact sheet: the facts a pasted report states, gathered field by field, then one Snapshot.

Parsers and error signatures write dotted fact paths into it; it remembers which part of the text
stated each fact, so `dlenv explain` can say what it found, and overlays them on a probed machine.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from dlenv.snapshot.model import (
    CudaToolkit,
    CudnnInstall,
    Distribution,
    DriverReading,
    FrameworkFacts,
    InstallFailure,
    LibraryResolution,
    LiveDevice,
    LiveProbe,
    LoadedLibrary,
    PathEntry,
    PciDevice,
    PipCudaPackage,
    ReportedError,
    ResolvedLibrary,
    Shadowing,
    Snapshot,
)

PASTED = "(pasted report)"  # location of things known only from the text
PASTED_PATH = "pasted"  # PathEntry.origin of a directory a pasted traceback names


@dataclass
class Part:
    """One recognised piece of the pasted text."""

    kind: str  # "collect_env", "nvidia-smi", "nvidia-smi -q", "dlenv-json", "issue-template"…
    first_line: int  # 1-based, in the normalised text
    last_line: int
    found: list[str] = field(default_factory=list)  # "driver.version = 535.104.05"
    unknown: list[str] = field(default_factory=list)  # "cuDNN version: Could not collect"
    notes: list[str] = field(default_factory=list)  # "truncated: ends inside the GPU table"


def _norm_gpu_name(name: str) -> str:
    name = name.strip().rstrip(".").strip().lower()
    for prefix in ("nvidia ", "geforce "):
        name = name.removeprefix(prefix)
    return name


class FactSheet:
    """Mutable collector; `snapshot()` freezes it. Later statements never erase earlier ones
    unless `overwrite=True` (the most authoritative parser writes with it)."""

    def __init__(self) -> None:
        self.host: dict[str, Any] = {}
        self.driver: dict[str, Any] = {}
        self.driver_readings: list[DriverReading] = []
        self.visibility: dict[str, Any] = {}
        self.gpus: list[dict[str, Any]] = []
        # indices of the GPUs a table lists (nvidia-smi, collect_env): a GPU only named in
        # passing (prose, an lspci line, a message) does not say how many the machine has
        self.listed_gpus: set[int] = set()
        self.toolkits: list[CudaToolkit] = []
        self.cudnn: list[CudnnInstall] = []
        self.pip_cuda: dict[str, PipCudaPackage] = {}
        self.python: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.shadowing: list[Shadowing] = []
        self.install_failures: list[InstallFailure] = []
        self.paths: list[PathEntry] = []
        self.frameworks: dict[str, dict[str, Any]] = {}
        self.live: dict[str, dict[str, Any]] = {}
        self.libraries: dict[str, dict[str, ResolvedLibrary]] = {}
        self.reported: dict[str, ReportedError] = {}
        self.parts: list[Part] = []
        self.current: Part | None = None

    # -- recording ------------------------------------------------------------------------
    def note(self, fact: str, value: object) -> None:
        if self.current is not None:
            line = f"{fact} = {value}"
            if line not in self.current.found:
                self.current.found.append(line)

    def unknown(self, label: str) -> None:
        if self.current is not None and label not in self.current.unknown:
            self.current.unknown.append(label)

    def _put(
        self, target: dict[str, Any], key: str, value: Any, fact: str, overwrite: bool
    ) -> None:
        if value is None or (not overwrite and target.get(key) is not None):
            return
        target[key] = value
        self.note(fact, value)

    def set_host(self, key: str, value: Any, overwrite: bool = False) -> None:
        self._put(self.host, key, value, f"host.{key}", overwrite)

    def set_driver(self, key: str, value: Any, overwrite: bool = False) -> None:
        self._put(self.driver, key, value, f"driver.{key}", overwrite)

    def set_visibility(self, key: str, value: Any) -> None:
        self._put(self.visibility, key, value, f"visibility.{key}", False)

    def add_pci_device(self, device: PciDevice) -> None:
        devices: list[PciDevice] = self.visibility.setdefault("nvidia_pci_devices", [])
        if all(d.slot != device.slot for d in devices):
            devices.append(device)
            self.note(
                "visibility.nvidia_pci_devices[]", f"{device.slot} {device.name or ''}".strip()
            )

    def set_python(self, key: str, value: Any, overwrite: bool = False) -> None:
        self._put(self.python, key, value, f"python.{key}", overwrite)

    def add_reading(self, reading: DriverReading) -> None:
        if reading not in self.driver_readings:
            self.driver_readings.append(reading)

    def framework(self, name: str) -> dict[str, Any]:
        return self.frameworks.setdefault(name, {})

    def set_framework(self, name: str, key: str, value: Any, overwrite: bool = False) -> None:
        self._put(self.framework(name), key, value, f"frameworks.{name}.{key}", overwrite)

    def live_probe(self, name: str) -> dict[str, Any]:
        return self.live.setdefault(name, {})

    def set_live(self, name: str, key: str, value: Any, overwrite: bool = False) -> None:
        self._put(self.live_probe(name), key, value, f"live.{name}.{key}", overwrite)

    def add_live_item(self, name: str, key: str, item: Any) -> None:
        items: list[Any] = self.live_probe(name).setdefault(key, [])
        if item not in items:
            items.append(item)
            self.note(f"live.{name}.{key}[]", item)

    def set_live_map(self, name: str, key: str, sub: str, value: str) -> None:
        mapping: dict[str, str] = self.live_probe(name).setdefault(key, {})
        if sub not in mapping:
            mapping[sub] = value
            self.note(f"live.{name}.{key}.{sub}", value)

    def gpu(
        self, index: int | None = None, name: str | None = None, listed: bool = False
    ) -> dict[str, Any]:
        """The GPU with this index, else the one with this name, else a new one; `listed`: a
        table of the machine's GPUs names it (nvidia-smi, collect_env)."""
        g = self._gpu(index, name)
        if listed:
            self.listed_gpus.add(g["index"])
        return g

    def _gpu(self, index: int | None, name: str | None) -> dict[str, Any]:
        if index is not None:
            for g in self.gpus:
                if g["index"] == index:
                    return g
        if name is not None:
            wanted = _norm_gpu_name(name)
            for g in self.gpus:
                have = g.get("name")
                if have and (
                    _norm_gpu_name(have) == wanted
                    or wanted.startswith(_norm_gpu_name(have))
                    or _norm_gpu_name(have).startswith(wanted)
                ):
                    return g
        new_index = index if index is not None else len(self.gpus)
        g = {"index": new_index}
        self.gpus.append(g)
        return g

    def set_gpu(self, g: dict[str, Any], key: str, value: Any, overwrite: bool = False) -> None:
        self._put(g, key, value, f"gpus[{g['index']}].{key}", overwrite)

    def add_toolkit(self, toolkit: CudaToolkit) -> None:
        if toolkit not in self.toolkits:
            self.toolkits.append(toolkit)
            self.note("cuda.toolkits[]", toolkit.version or toolkit.nvcc_version)

    def add_cudnn(self, install: CudnnInstall) -> None:
        for i, have in enumerate(self.cudnn):
            if have.path == install.path and have.version == install.version:
                libs = have.libraries + [x for x in install.libraries if x not in have.libraries]
                self.cudnn[i] = dataclasses.replace(have, libraries=libs)
                return
        self.cudnn.append(install)
        self.note("cuda.cudnn[]", f"{install.version or '?'} at {install.path}")

    def add_distribution(self, name: str, version: str, installer: str | None) -> None:
        if name not in self.distributions:
            self.distributions[name] = Distribution(name, version, PASTED, installer)
            self.note(f"python.distributions.{name}", version)
        if name.startswith("nvidia-") and name not in self.pip_cuda:
            self.pip_cuda[name] = PipCudaPackage(name, version, PASTED)

    def add_requirement(
        self, who: str, version: str, package: str, spec: str, have: str | None = None
    ) -> None:
        """A requirement a resolver's message says `who` has ("torch 2.5.1 depends on
        nvidia-cudnn-cu12==9.1.0.70"): kept as the framework's `requires`, as a probe reads them
        from METADATA; `have` is the installed version the message names."""
        name = _framework_name(who)
        spec = "" if spec == "-" else spec.strip("()")  # "-": the message names no version
        if spec and spec[0].isdigit():
            spec = f"=={spec}"  # poetry and uv write a pin as "(2.16.5)"
        fw = self.framework(name)
        if who.split("[", 1)[0].lower() not in (name, "pytorch"):
            fw.setdefault("distribution", who.split("[", 1)[0].lower())
        if version and version[0].isdigit():
            self.set_framework(name, "version", version)
        requires: list[str] = fw.setdefault("requires", [])
        requirement = f"{package.lower()}{spec}"
        if requirement not in requires:
            requires.append(requirement)
            self.note(f"frameworks.{name}.requires[]", requirement)
        if have:
            self.add_distribution(package.lower(), have, None)

    def missing_library(self, framework: str, soname: str, reason: str | None) -> None:
        libs = self.libraries.setdefault(framework, {})
        if soname not in libs:
            libs[soname] = ResolvedLibrary(_library_name(soname), soname, None, reason=reason)
            self.note(f"libraries.{framework}.{soname}", "not found")

    def add_shadowing(self, module: str, path: str) -> None:
        item = Shadowing(module=module, path=path)
        if all(s.module != module for s in self.shadowing):
            self.shadowing.append(item)
            self.note("python.shadowing[]", f"{module} -> {path}")

    def add_install_failure(self, failure: InstallFailure) -> None:
        """One per package: a later message about the same package adds what it knows; a
        message that names no package (pip's "Ignored the following versions...") adds what
        it knows to the failure reported last, and is dropped when there is none."""
        if not failure.package:
            if not self.install_failures:
                return
            last = self.install_failures[-1]
            if not _may_be_its_versions(failure.message, last):
                return  # pip lists what it skipped for every package: not this one's
            self.install_failures[-1] = dataclasses.replace(
                last,
                mismatch=last.mismatch or failure.mismatch,
                requires_python=last.requires_python or failure.requires_python,
            )
            return
        for i, have in enumerate(self.install_failures):
            if have.package == failure.package:
                self.install_failures[i] = dataclasses.replace(
                    have,
                    requested=have.requested or failure.requested,
                    available=have.available if have.available is not None else failure.available,
                    wheel=have.wheel or failure.wheel,
                    mismatch=have.mismatch or failure.mismatch,
                    requires_python=have.requires_python or failure.requires_python,
                )
                return
        self.install_failures.append(failure)
        self.note("python.install_failures[]", failure.package)

    def add_path(self, path: str) -> None:
        """A directory a pasted traceback shows on the interpreter's sys.path."""
        path = path.rstrip("/\\")
        if path and all(p.path != path for p in self.paths):
            self.paths.append(PathEntry(path=path, exists=True, origin=PASTED_PATH))
            self.note("python.sys_path[]", path)

    def report(self, error: ReportedError) -> None:
        have = self.reported.get(error.signature)
        if have is None:
            self.reported[error.signature] = error
        else:
            self.reported[error.signature] = dataclasses.replace(
                have, count=have.count + error.count
            )

    def report_distinct(self, error: ReportedError) -> None:
        """A message kept apart from others of its signature (each unrecognised error line)."""
        self.reported[f"{error.signature}\n{error.text}"] = error

    @property
    def empty(self) -> bool:
        return not (self.parts or self.reported)

    # -- freezing -------------------------------------------------------------------------
    def snapshot(self, origin: str) -> Snapshot:
        from dlenv import __version__
        from dlenv.snapshot.model import (
            CudaFacts,
            DriverFacts,
            GpuFacts,
            HostFacts,
            PythonFacts,
            VisibilityFacts,
        )

        driver = dict(self.driver)
        if self.driver_readings:
            driver["readings"] = list(self.driver_readings)
        for name in self.live:
            # a framework that printed something is installed, even when its version is unknown
            if (
                name in ("torch", "tensorflow", "jax", "keras")
                and self.live[name].get("status") != "import-error"
            ):
                self.framework(name)
        python = dict(self.python)
        if self.distributions:
            python["distributions"] = sorted(self.distributions.values(), key=lambda d: d.name)
        if self.shadowing:
            python["shadowing"] = list(self.shadowing)
        if self.install_failures:
            python["install_failures"] = list(self.install_failures)
        if _mixed_pythons(self.paths, python.get("version")):
            python["sys_path"] = list(self.paths)
        return Snapshot(
            dlenv_version=__version__,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            origin=origin,
            host=HostFacts(**self.host),
            driver=DriverFacts(**driver),
            visibility=VisibilityFacts(**self.visibility),
            gpus=[
                GpuFacts(
                    **{
                        **g,
                        "source": "pasted" if g["index"] in self.listed_gpus else "mentioned",
                    }
                )
                for g in self.gpus
            ],
            cuda=CudaFacts(
                toolkits=list(self.toolkits),
                cudnn=list(self.cudnn),
                pip_packages=sorted(self.pip_cuda.values(), key=lambda p: p.name),
            ),
            python=PythonFacts(**python),
            frameworks=[self._framework(n, f) for n, f in sorted(self.frameworks.items())],
            libraries=[
                LibraryResolution(fw, list(libs.values()))
                for fw, libs in sorted(self.libraries.items())
            ],
            live=[self._live(n, p) for n, p in sorted(self.live.items())],
            reported_errors=list(self.reported.values()),
        )

    @staticmethod
    def _framework(name: str, facts: dict[str, Any]) -> FrameworkFacts:
        data = dict(facts)
        plus = str(data.get("version", "")).partition("+")[2]
        if name == "torch" and plus:
            # the local version tag names the build: 2.1.0+cu121, 2.1.0+cpu
            data.setdefault("variant", plus)
            if plus == "cpu":
                data.setdefault("cuda_build", False)
            elif plus.startswith("cu") and plus[2:].isdigit() and len(plus) >= 5:
                data.setdefault("cuda_build", True)
                data.setdefault("cuda_version", f"{plus[2:-1]}.{plus[-1]}")
        data.setdefault("distribution", name)
        if "version" not in data:
            data["version"] = ""
            data["unknown"] = {"version": "not stated in the pasted report"}
        data.setdefault("build_source", "pasted report")
        return FrameworkFacts(name=name, **data)

    @staticmethod
    def _live(name: str, facts: dict[str, Any]) -> LiveProbe:
        data = dict(facts)
        data.setdefault("status", "ok")
        data["devices"] = [
            d if isinstance(d, LiveDevice) else LiveDevice(**d) for d in data.get("devices", [])
        ]
        data["loaded_libraries"] = [
            lib if isinstance(lib, LoadedLibrary) else LoadedLibrary(**lib)
            for lib in data.get("loaded_libraries", [])
        ]
        return LiveProbe(framework=name, **data)


_PY_DIR = re.compile(
    r"python(?P<v>[23](?:\.\d+)?)(?=[/\\]|$)|Python(?P<w>[23])(?P<wm>\d{1,2})[/\\]"
)


def _mixed_pythons(paths: list[PathEntry], version: str | None) -> bool:
    """Whether the pasted site directories belong to more than one Python (or to another one
    than the paste states): only then are they worth keeping as facts."""
    found: set[str] = set()
    for p in paths:
        m = _PY_DIR.search(p.path)
        if m:
            found.add(m["v"] or f"{m['w']}.{m['wm']}")
    if version:
        found.add(".".join(version.split(".")[:2]))
    minors = {v for v in found if "." in v}
    majors = {v.split(".")[0] for v in found}
    return len(minors) > 1 or len(majors) > 1


def _framework_name(distribution: str) -> str:
    """ "tensorflow[and-cuda]" -> "tensorflow", "jax-cuda12-plugin" -> "jax", "torch" -> "torch";
    other packages keep their own name ("paddlepaddle-gpu")."""
    base = distribution.split("[", 1)[0].strip().lower().replace("_", "-")
    if base in ("tensorflow-gpu", "tensorflow-cpu", "tf-nightly", "tensorflow-intel"):
        return "tensorflow"
    if base == "jaxlib" or base.startswith("jax-cuda"):
        return "jax"
    if base == "pytorch":
        return "torch"
    return base


def _library_name(soname: str) -> str:
    """ "libcudnn_cnn_infer.so.8" -> "cudnn", "cudart64_110.dll" -> "cudart"."""
    base = soname.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].removeprefix("lib")
    for stop in (".so", ".dll", ".dylib"):
        base = base.split(stop, 1)[0]
    base = base.split("64_", 1)[0] if "64_" in base else base
    for family in (
        "cudnn",
        "cublasLt",
        "cublas",
        "cudart",
        "cufft",
        "curand",
        "cusolver",
        "cusparse",
        "nccl",
        "nvrtc",
        "nvJitLink",
        "cupti",
        "nvinfer",
        "cuda",
    ):
        if base.startswith(family):
            return family.lower() if family != "cublasLt" else "cublaslt"
    return base


def overlay(base: Snapshot, pasted: Snapshot, origin: str) -> Snapshot:
    """`base` (this machine, or a dlenv JSON report) with the pasted facts on top: every field the
    paste states wins; GPUs, frameworks and live probes are replaced item by item."""

    def over(a: Any, b: Any) -> Any:
        # a field the paste did not state still holds its default (None, False, []…)
        changes = {
            f.name: getattr(b, f.name)
            for f in dataclasses.fields(b)
            if f.name not in ("source", "unknown")
            and getattr(b, f.name) not in (None, [], {}, "")
            and (f.default is dataclasses.MISSING or getattr(b, f.name) != f.default)
        }
        return dataclasses.replace(a, **changes)

    def by_key(items_a: list[Any], items_b: list[Any], key: str) -> list[Any]:
        merged = {getattr(x, key): x for x in items_a}
        for y in items_b:
            k = getattr(y, key)
            merged[k] = over(merged[k], y) if k in merged else y
        return list(merged.values())

    return dataclasses.replace(
        base,
        origin=origin,
        host=over(base.host, pasted.host),
        driver=over(base.driver, pasted.driver),
        visibility=over(base.visibility, pasted.visibility),
        gpus=pasted.gpus or base.gpus,
        cuda=dataclasses.replace(
            base.cuda,
            toolkits=pasted.cuda.toolkits + base.cuda.toolkits,
            cudnn=pasted.cuda.cudnn + base.cuda.cudnn,
            pip_packages=by_key(base.cuda.pip_packages, pasted.cuda.pip_packages, "name"),
        ),
        python=dataclasses.replace(
            over(base.python, dataclasses.replace(pasted.python, distributions=[])),
            distributions=by_key(base.python.distributions, pasted.python.distributions, "name"),
        ),
        frameworks=by_key(base.frameworks, pasted.frameworks, "name"),
        libraries=by_key(base.libraries, pasted.libraries, "framework"),
        live=by_key(base.live, pasted.live, "framework"),
        reported_errors=base.reported_errors + pasted.reported_errors,
        reported_words=pasted.reported_words or base.reported_words,
    )


# pip's "Ignored the following versions that require a different python version: 1.21.2
# Requires-Python >=3.7,<3.11; ..."
_IGNORED = re.compile(r"(?:^|[:;])\s{0,4}([0-9][\w.+!-]{0,40}) Requires-Python ")


def _may_be_its_versions(ignored: str, failure: InstallFailure) -> bool:
    """Whether pip's list of releases it skipped for their Requires-Python can be the failed
    requirement's: pip lists what it skipped for every package it looked at (numpy's 1.21.x
    beside "requirement torch<3.0.0,>=2.3.0", instructlab/instructlab#1469), so a list none of
    whose versions the requirement's specifier admits says nothing about this failure."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    stated = failure.specifier
    versions = _IGNORED.findall(ignored)
    if stated is None or not versions:
        return True
    try:
        spec = SpecifierSet(stated)
    except InvalidSpecifier:
        return True
    for v in versions:
        try:
            if spec.contains(Version(v), prereleases=True):
                return True
        except InvalidVersion:
            return True
    return False
