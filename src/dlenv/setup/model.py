"""The setup plan as data: which build of each framework, in which environment, and why.

Frozen dataclasses that `to_json` turns into plain JSON (`dlenv setup --dry-run --format json`);
every reason carries the knowledge-base source it rests on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from dlenv.fix.actions import InstallPackages

PLAN_SCHEMA_VERSION = 1
Manager = Literal["venv", "uv", "conda"]
MANAGERS: tuple[Manager, ...] = ("venv", "uv", "conda")


@dataclass(frozen=True)
class Reason:
    """One fact behind a choice, and where it comes from (a URL in the knowledge base)."""

    text: str
    source: str | None = None


@dataclass(frozen=True)
class FrameworkChoice:
    """The build of one framework the plan installs."""

    name: str  # "torch", "tensorflow", "keras", "jax"
    version: str  # the release, X.Y ("2.14") or X.Y.Z where the table records that ("0.9.2")
    build: str  # "cu126", "cpu", "mps", "and-cuda", "cuda12"
    gpu: bool  # the plan expects this framework to use the GPU
    requirement: str  # what the installer is given: "torch==2.14.*"
    index_url: str | None = None  # a wheel index of its own (PyTorch's), None: the default one
    python_min: str | None = None
    python_max: str | None = None
    why: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class KernelSpec:
    """A Jupyter kernel registered for the environment (`--jupyter`), in the user's kernels."""

    name: str  # "myproject-venv": Jupyter's kernel directory name
    display_name: str  # "Python 3.11 (myproject/.venv: torch, keras)"


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment to create: where, with which Python, and the install steps in order."""

    label: str  # "" for the only environment; the framework's name when they are split
    path: str  # the venv directory (venv/uv), or the conda env's prefix/name
    python: str  # "3.11"
    python_path: str | None  # the interpreter that creates it; None: none found (install one)
    frameworks: list[FrameworkChoice]
    installs: list[InstallPackages]
    env: dict[str, str] = field(default_factory=dict)  # variables the environment wants set
    why: list[Reason] = field(default_factory=list)
    kernel: KernelSpec | None = None


@dataclass(frozen=True)
class MachineSummary:
    """The facts the plan rests on, as read from the snapshot."""

    os: str | None
    arch: str | None
    wsl: int | None
    driver: str | None
    driver_cuda: str | None
    gpus: list[str]  # "NVIDIA GeForce GTX 1080 (6.1)"
    compute_capabilities: list[str]
    pythons: list[str]  # Python versions that can create the environment
    source: str  # "this machine" or the report's path


@dataclass(frozen=True)
class SetupPlan:
    requested: list[str]
    manager: Manager
    machine: MachineSummary
    environments: list[EnvironmentPlan]
    notes: list[Reason] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # what cannot be done as asked, and why
    schema_version: int = PLAN_SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return not self.refused
