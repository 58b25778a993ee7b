"""The setup planner: a Snapshot (this machine, or another one's saved report) and the requested
frameworks -> a SetupPlan. Pure: it reads the knowledge base and touches nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dlenv.errors import DlenvError
from dlenv.fix.actions import InstallPackages
from dlenv.kb.queries import gpu_compute_capability, major_minor
from dlenv.setup.choose import (
    Constraint,
    Pick,
    Target,
    choose_jax,
    choose_keras,
    choose_tensorflow,
    choose_torch,
    share_problem,
)
from dlenv.setup.model import (
    EnvironmentPlan,
    FrameworkChoice,
    KernelSpec,
    MachineSummary,
    Manager,
    Reason,
    SetupPlan,
)
from dlenv.snapshot.model import Snapshot

FRAMEWORKS = ("torch", "tensorflow", "jax", "keras")
ALIASES = {"pytorch": "torch", "tf": "tensorflow", "keras3": "keras"}
KERAS_BACKENDS = ("tensorflow", "torch", "jax")
# Where nothing says which Python the machine has (another machine's report without one): the
# newest Python every current release of the four frameworks publishes wheels for.
FALLBACK_PYTHON = "3.12"
_REQUEST = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(?:==([0-9]+(?:\.[0-9]+){0,2}))?$")


@dataclass(frozen=True)
class Request:
    framework: str  # "torch", "tensorflow", "jax", "keras"
    pinned: str | None = None  # "2.13"
    backend: str | None = None  # keras only


@dataclass(frozen=True)
class Interpreter:
    version: str  # "3.11"
    path: str | None  # None: named only (another machine)


def parse_requests(items: Sequence[str]) -> list[Request]:
    """`torch`, `tf==2.20`, `keras-jax`, `keras-torch==3.14` -> Requests; bad names: exit 2."""
    if not items:
        raise DlenvError("name at least one framework: torch, tensorflow, jax, keras[-BACKEND]")
    out: dict[str, Request] = {}
    for item in items:
        match = _REQUEST.match(item.strip())
        if not match:
            raise DlenvError(f"not a framework request: {item!r} (e.g. torch, torch==2.13)")
        name, pinned = match.group(1).lower(), match.group(2)
        backend = None
        if name.startswith("keras-"):
            name, backend = "keras", ALIASES.get(name[6:], name[6:])
            if backend not in KERAS_BACKENDS:
                raise DlenvError(
                    f"unknown Keras backend in {item!r} (choose keras-tensorflow, keras-torch "
                    "or keras-jax)"
                )
        name = ALIASES.get(name, name)
        if name not in FRAMEWORKS:
            raise DlenvError(
                f"unknown framework {item!r} (choose from torch, tensorflow, jax, keras, "
                "keras-jax, keras-torch, keras-tensorflow)"
            )
        out[name] = Request(name, pinned, backend)
    keras = out.get("keras")
    if keras is not None:
        backend = keras.backend or next(
            (b for b in ("tensorflow", "torch", "jax") if b in out), "tensorflow"
        )
        out["keras"] = replace(keras, backend=backend)
        out.setdefault(backend, Request(backend))
    return [out[n] for n in FRAMEWORKS if n in out]


def target_of(snapshot: Snapshot) -> Target:
    host, python = snapshot.host, snapshot.python
    os_name = host.os or _os_from_platform(python.platform) or "Linux"
    names, ccs = [], []
    for gpu in snapshot.gpus:
        names.append(gpu.name or f"GPU {gpu.index}")
        cc = gpu_compute_capability(gpu.name, gpu.compute_capability)
        if cc:
            ccs.append(cc)
    return Target(
        os=os_name,
        arch=host.arch or python.machine,
        wsl=bool(host.wsl),
        driver=snapshot.driver.version,
        gpus=tuple(names),
        ccs=tuple(ccs),
    )


def _os_from_platform(platform: str | None) -> str | None:
    p = (platform or "").lower()
    return {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}.get(p)


def _choose(req: Request, t: Target, c: Constraint, force: bool, chosen: dict[str, Pick]) -> Pick:
    if req.framework == "torch":
        return choose_torch(t, c, force)
    if req.framework == "tensorflow":
        return choose_tensorflow(t, c)
    if req.framework == "jax":
        return choose_jax(t, c)
    backend = req.backend or "tensorflow"
    base = chosen.get(backend)
    return choose_keras(backend, base.choice.version if base else None, c)


def _choose_all(
    requests: list[Request], t: Target, python: str | None, force: bool, major: int | None = None
) -> dict[str, Pick]:
    chosen: dict[str, Pick] = {}
    for req in requests:
        gpu_framework = req.framework in ("torch", "tensorflow", "jax")
        c = Constraint(python, req.pinned, major if gpu_framework else None)
        chosen[req.framework] = _choose(req, t, c, force, chosen)
    return chosen


def _python_range(picks: Sequence[Pick]) -> tuple[tuple[int, int], tuple[int, int] | None]:
    lows = [mm for p in picks if (mm := major_minor(p.choice.python_min))]
    highs = [mm for p in picks if (mm := major_minor(p.choice.python_max))]
    return max(lows, default=(3, 0)), min(highs, default=None)


def _fits(version: str, low: tuple[int, int], high: tuple[int, int] | None) -> bool:
    mm = major_minor(version)
    return mm is not None and low <= mm and (high is None or mm <= high)


def _pick_python(
    picks: Sequence[Pick], pythons: Sequence[Interpreter], asked: str | None
) -> tuple[Interpreter | None, str, list[Reason]]:
    """(the interpreter that creates the environment, its X.Y, why)."""
    low, high = _python_range(picks)
    span = f"{low[0]}.{low[1]}" + (f"-{high[0]}.{high[1]}" if high else "+")
    if asked is not None:
        found = next((p for p in pythons if major_minor(p.version) == major_minor(asked)), None)
        mm = major_minor(asked)
        text = f"{mm[0]}.{mm[1]}" if mm else asked
        why = [Reason(f"Python {text} as asked (every chosen release supports {span})")]
        if found is None:
            why.append(Reason(f"no Python {text} found here: install it first"))
        return found, text, why
    fitting = [p for p in pythons if _fits(p.version, low, high)]
    if fitting:
        best = max(fitting, key=lambda p: major_minor(p.version) or (0, 0))
        return (
            best,
            best.version,
            [
                Reason(
                    f"Python {best.version}: the newest one here that every chosen release "
                    f"supports ({span})"
                )
            ],
        )
    fallback = major_minor(FALLBACK_PYTHON) or (3, 12)
    chosen = min(fallback, high) if high else fallback
    chosen = max(chosen, low)
    text = f"{chosen[0]}.{chosen[1]}"
    have = ", ".join(p.version for p in pythons) or "none known"
    return (
        None,
        text,
        [
            Reason(
                f"Python {text}: the chosen releases support {span}, and no Python here fits "
                f"(found: {have}); install Python {text} first"
            )
        ],
    )


def _installs(choices: list[FrameworkChoice], shared_index: str | None) -> list[InstallPackages]:
    """Frameworks from their own index first (PyTorch's), then the rest from the default one."""
    out = []
    own = [c for c in choices if c.index_url]
    rest = [c.requirement for c in choices if not c.index_url and c.requirement]
    for choice in own:
        out.append(
            InstallPackages(
                packages=[choice.requirement],
                index_url=choice.index_url,
                reason=f"{choice.name} {choice.build} from its own wheel index",
            )
        )
    if rest:
        out.append(InstallPackages(packages=rest, index_url=shared_index))
    return out


def _environment(
    label: str,
    path: str,
    picks: list[Pick],
    pythons: Sequence[Interpreter],
    asked_python: str | None,
    torch_index: str | None,
) -> EnvironmentPlan:
    interpreter, version, why = _pick_python(picks, pythons, asked_python)
    choices = [_with_index(p.choice, torch_index) for p in picks]
    env = {}
    keras = next((c for c in choices if c.name == "keras"), None)
    if keras is not None:
        env["KERAS_BACKEND"] = keras.build
    return EnvironmentPlan(
        label=label,
        path=path,
        python=version,
        python_path=interpreter.path if interpreter else None,
        frameworks=choices,
        installs=_installs(choices, None),
        env=env,
        why=why,
    )


def _with_index(choice: FrameworkChoice, torch_index: str | None) -> FrameworkChoice:
    """`torch_index` "" uses the installer's own configuration; a URL replaces PyTorch's host."""
    if torch_index is None or choice.index_url is None:
        return choice
    if torch_index == "":
        return replace(choice, index_url=None)
    return replace(choice, index_url=f"{torch_index.rstrip('/')}/{choice.build}")


def _align(
    requests: list[Request], t: Target, python: str | None, force: bool, picks: dict[str, Pick]
) -> tuple[dict[str, Pick] | None, list[Reason]]:
    """Picks whose GPU builds share one environment: as chosen, or moved to one CUDA major."""
    problems = _problems(picks)
    if not problems:
        return picks, []
    for major in (13, 12, 11):
        again = _choose_all(requests, t, python, force, major)
        gpu = [p for p in again.values() if p.choice.name != "keras"]
        if any(not p.choice.gpu or p.refused for p in gpu) or _problems(again):
            continue
        moved = [
            Reason(
                f"{name} {picks[name].choice.version} {picks[name].choice.build} -> "
                f"{p.choice.version} {p.choice.build}, so that every framework uses CUDA "
                f"{major} wheels in one environment ({problems[0].text})",
                problems[0].source,
            )
            for name, p in again.items()
            if p.choice != picks[name].choice
        ]
        return again, moved
    return None, problems


def _problems(picks: dict[str, Pick]) -> list[Reason]:
    gpu = [p for p in picks.values() if p.choice.gpu]
    out = []
    for i, a in enumerate(gpu):
        for b in gpu[i + 1 :]:
            problem = share_problem(a, b)
            if problem is not None:
                out.append(problem)
    return out


def machine_summary(
    snapshot: Snapshot, pythons: Sequence[Interpreter], source: str
) -> MachineSummary:
    t = target_of(snapshot)
    gpus = []
    for gpu in snapshot.gpus:
        cc = gpu_compute_capability(gpu.name, gpu.compute_capability)
        gpus.append(f"{gpu.name or f'GPU {gpu.index}'} ({cc or 'compute capability unknown'})")
    return MachineSummary(
        os=t.os + (" (WSL2)" if t.wsl else ""),
        arch=t.arch,
        wsl=snapshot.host.wsl,
        driver=t.driver,
        driver_cuda=snapshot.driver.cuda_version,
        gpus=gpus,
        compute_capabilities=list(t.ccs),
        pythons=[p.version for p in pythons],
        source=source,
    )


def plan(
    snapshot: Snapshot,
    frameworks: Sequence[str],
    *,
    manager: Manager = "venv",
    python: str | None = None,
    path: str = ".venv",
    pythons: Sequence[Interpreter] = (),
    torch_index: str | None = None,
    force: bool = False,
    source: str = "this machine",
    jupyter: bool = False,
) -> SetupPlan:
    """The environment(s) to build for `frameworks` on the machine `snapshot` describes.

    `pythons` are the interpreters that can create it (found on PATH; for another machine's
    report, its own). `torch_index`: None, PyTorch's index; "" the installer's configuration;
    a URL, a mirror of PyTorch's index (…/cu126, …/cpu are appended). `jupyter`: each
    environment also gets ipykernel and a Jupyter kernel of its own.
    """
    requests = parse_requests(frameworks)
    t = target_of(snapshot)
    if python is not None and major_minor(python) is None:
        raise DlenvError(f"--python: not a Python version: {python!r} (e.g. 3.12)")
    picks = _choose_all(requests, t, python, force)
    if python is None and pythons and not _python_fits(picks, pythons):
        # no Python here runs the newest releases: the newest ones that a Python here runs
        for interp in sorted(pythons, key=lambda p: major_minor(p.version) or (0, 0), reverse=True):
            again = _choose_all(requests, t, interp.version, force)
            if not any(p.refused for p in again.values()):
                picks = again
                break
    notes: list[Reason] = []
    if not t.cuda_gpu and not t.macos:
        notes.append(Reason(f"CPU builds only: {_why_cpu(t)}"))
    for p in picks.values():
        notes += p.notes
    refused = [p.refused for p in picks.values() if p.refused]
    aligned, reasons = _align(requests, t, python, force, picks)
    environments: list[EnvironmentPlan] = []
    if aligned is not None:
        notes += reasons
        environments.append(
            _environment("", path, list(aligned.values()), pythons, python, torch_index)
        )
    else:
        notes.append(
            Reason(
                "These frameworks cannot share one environment ("
                + "; ".join(r.text for r in reasons)
                + "): one environment each.",
                reasons[0].source if reasons else None,
            )
        )
        for group in _groups(picks):
            name = group[0].choice.name
            environments.append(
                _environment(name, f"{path}-{name}", group, pythons, python, torch_index)
            )
    if jupyter:
        environments = [with_kernel(e) for e in environments]
    return SetupPlan(
        requested=list(frameworks),
        manager=manager,
        machine=machine_summary(snapshot, pythons, source),
        environments=environments,
        notes=notes,
        refused=[r for r in refused if r],
    )


def with_kernel(env: EnvironmentPlan) -> EnvironmentPlan:
    """`env` with ipykernel installed last and a kernel named after its project and directory."""
    where = os.path.abspath(env.path)
    project = os.path.basename(os.path.dirname(where)) or "dlenv"
    directory = os.path.basename(where)
    name = re.sub(r"[^a-z0-9._-]+", "-", f"{project}-{directory}".lower())
    name = re.sub(r"-[.]+", "-", name).strip("-._") or "dlenv"
    names = ", ".join(f.name for f in env.frameworks)
    display = f"Python {env.python} ({project}/{directory}" + (f": {names})" if names else ")")
    install = InstallPackages(packages=["ipykernel"], reason="the Jupyter kernel (--jupyter)")
    return replace(
        env, installs=[*env.installs, install], kernel=KernelSpec(name, display)
    )


def _python_fits(picks: dict[str, Pick], pythons: Sequence[Interpreter]) -> bool:
    low, high = _python_range(list(picks.values()))
    return any(_fits(p.version, low, high) for p in pythons)


def _groups(picks: dict[str, Pick]) -> list[list[Pick]]:
    """One group per GPU framework; Keras with its backend; CPU frameworks with the first."""
    gpu = [p for p in picks.values() if p.choice.gpu]
    groups = [[p] for p in gpu]
    for p in picks.values():
        if p.choice.gpu:
            continue
        home = next(
            (g for g in groups if p.choice.name == "keras" and g[0].choice.name == p.choice.build),
            groups[0] if groups else None,
        )
        if home is None:
            groups.append([p])
        else:
            home.append(p)
    return groups


def _why_cpu(t: Target) -> str:
    if not t.driver and not t.gpus:
        return "no NVIDIA GPU or driver was found, so every framework gets its CPU build"
    if not t.driver:
        return "NVIDIA GPU found but no driver: install one, then run dlenv setup again"
    return "the driver is there but no GPU was found"
