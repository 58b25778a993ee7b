"""Prove a new environment works: dlenv's own probes (static and live) run against its
interpreter, and each planned framework is checked against what the plan promised."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from dlenv.kb.queries import major_minor
from dlenv.setup.model import EnvironmentPlan

if TYPE_CHECKING:
    from dlenv.report.model import Report


@dataclass(frozen=True)
class Check:
    framework: str
    expected: str  # "torch 2.14 on the GPU", "tensorflow 2.21 on the CPU"
    status: Literal["ok", "failed"]
    found: str


@dataclass(frozen=True)
class Verification:
    interpreter: str
    checks: list[Check]
    errors: list[str] = field(default_factory=list)  # the doctor's error findings: "DL101 …"
    versions: dict[str, str] = field(default_factory=dict)  # framework -> installed version
    python_version: str | None = None  # "3.11.9", as the new interpreter reports it

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)


def judge(env: EnvironmentPlan, report: Report, interpreter: str) -> Verification:
    """Each planned framework: installed, of the planned release, imported by its live probe,
    and on the GPU where the plan said so."""
    s = report.snapshot
    checks = []
    for fw in env.frameworks:
        where = "the GPU" if fw.gpu else "the CPU"
        expected = f"{fw.name} {fw.version} ({fw.build}) on {where}"
        if fw.name == "keras":
            expected = f"keras {fw.version} with the {fw.build} backend"
        facts = s.framework(fw.name)
        probe = s.live_probe(fw.name)
        problem = None
        found = "not installed"
        if facts is not None:
            found = f"{facts.distribution} {facts.version}"
            if major_minor(facts.version) != major_minor(fw.version):
                problem = f"installed {facts.version}, planned {fw.version}"
            elif probe is None:
                problem = "no live probe ran"
            elif probe.status != "ok":
                problem = f"import {probe.status}: {probe.error or probe.stderr_tail or '?'}"
            elif fw.gpu and probe.gpu_available is not True:
                problem = f"does not see the GPU: {probe.gpu_unavailable_reason or 'no reason'}"
            else:
                device = "GPU" if probe.gpu_available else "CPU"
                found += f", imports, runs on the {device}"
        else:
            problem = "not installed"
        checks.append(Check(fw.name, expected, "failed" if problem else "ok", problem or found))
    errors = [f"{f.code} {f.title}" for f in report.findings if f.severity == "error"]
    versions = {
        fw.name: facts.version
        for fw in env.frameworks
        if (facts := s.framework(fw.name)) is not None and facts.version
    }
    return Verification(interpreter, checks, errors, versions, s.python.version)


def verify(
    env: EnvironmentPlan, interpreter: str, *, timeout: float, live_timeout: float
) -> Verification:
    """Run the doctor (live probes included) on `interpreter` and judge the result."""
    from dlenv.core import build_report
    from dlenv.live import LiveOptions

    saved = {k: os.environ.get(k) for k in env.env}
    os.environ.update(env.env)  # KERAS_BACKEND: what `activate` would set
    try:
        report = build_report(
            python=interpreter,
            timeout=timeout,
            live=LiveOptions(timeout=live_timeout, only=tuple(f.name for f in env.frameworks)),
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return judge(env, report, interpreter)
