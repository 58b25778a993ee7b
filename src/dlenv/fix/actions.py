"""Typed fix actions: what a finding proposes, before any rendering for a shell or installer.

Rules build these from facts; `dlenv fix` renders them per target (pip/conda/uv, bash, zsh, fish,
PowerShell, conda activate.d, dotenv, GitHub Actions) and applies the environment ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class InstallPackages:
    """Install (and first remove) Python packages in the target interpreter."""

    kind: Literal["install"] = "install"
    packages: list[str]  # PEP 508 requirements: "torch==2.5.1", "tensorflow[and-cuda]==2.17.*"
    uninstall: list[str] = field(default_factory=list)  # distributions to remove first
    index_url: str | None = None  # e.g. https://download.pytorch.org/whl/cu121
    extra_index_url: str | None = None
    conda_packages: list[str] = field(default_factory=list)  # the conda equivalent, if any
    conda_channels: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SetEnv:
    kind: Literal["set-env"] = "set-env"
    name: str
    value: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnsetEnv:
    kind: Literal["unset-env"] = "unset-env"
    name: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class PrependPath:
    """Put entries in front of a path-list variable (PATH, LD_LIBRARY_PATH), once each."""

    kind: Literal["prepend-path"] = "prepend-path"
    name: str
    entries: list[str]
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveFromPath:
    """Drop entries from a path-list variable."""

    kind: Literal["remove-path"] = "remove-path"
    name: str
    entries: list[str]
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManualStep:
    """Something only a person can do (install a driver, reboot), with commands to copy."""

    kind: Literal["manual"] = "manual"
    text: str
    commands: list[str] = field(default_factory=list)
    url: str | None = None


Action = InstallPackages | SetEnv | UnsetEnv | PrependPath | RemoveFromPath | ManualStep
EnvAction = SetEnv | UnsetEnv | PrependPath | RemoveFromPath
