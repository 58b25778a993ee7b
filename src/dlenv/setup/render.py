"""A SetupPlan as the steps of one environment manager: argv lists (venv + pip, uv) or an
environment.yml and the conda command that builds it. Judges nothing: the plan decided.

Package commands come from `dlenv fix`'s installer renderer, which validates every requirement
and index URL, so a report from elsewhere (`--for`) cannot smuggle an option into a command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from dlenv.fix.actions import InstallPackages
from dlenv.fix.render import format_argv
from dlenv.fix.render.installers import check_action, install_commands
from dlenv.setup.model import EnvironmentPlan, SetupPlan

StepKind = Literal["create", "install", "write", "kernel"]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    title: str
    argv: list[str]


@dataclass(frozen=True)
class EnvironmentSteps:
    """How one planned environment is built with one manager."""

    plan: EnvironmentPlan
    location: str  # the directory (or conda env name) it ends up in
    python: str  # its interpreter, for the verification and for --vscode/--jupyter
    steps: list[Step]
    files: dict[str, str] = field(default_factory=dict)  # path -> text (environment.yml)
    activate: str = ""  # how the user enters it


def env_python(path: str, os_name: str | None) -> str:
    if (os_name or "").lower().startswith("win"):
        return path.rstrip("\\/") + "\\Scripts\\python.exe"
    return path.rstrip("/") + "/bin/python"


def _creator(env: EnvironmentPlan, os_name: str | None) -> list[str]:
    if env.python_path:
        return [env.python_path]
    if (os_name or "").lower().startswith("win"):
        return ["py", f"-{env.python}"]
    return [f"python{env.python}"]


def _install_title(action: InstallPackages) -> str:
    where = f" from {action.index_url}" if action.index_url else ""
    return "install " + " ".join(action.packages) + where


def kernel_argv(env: EnvironmentPlan, python: list[str]) -> list[str]:
    """ipykernel's own registration, run by the environment's interpreter, for this user."""
    assert env.kernel is not None
    return [
        *python,
        "-m",
        "ipykernel",
        "install",
        "--user",
        "--name",
        env.kernel.name,
        "--display-name",
        env.kernel.display_name,
    ]


def _kernel_step(env: EnvironmentPlan, python: list[str]) -> list[Step]:
    if env.kernel is None:
        return []
    title = f"register the Jupyter kernel {env.kernel.name} ({env.kernel.display_name})"
    return [Step("kernel", title, kernel_argv(env, python))]


def render_venv(env: EnvironmentPlan, os_name: str | None, *, uv: bool) -> EnvironmentSteps:
    python = env_python(env.path, os_name)
    if uv:
        where = env.python_path or env.python
        create = Step(
            "create", f"create {env.path} (uv)", ["uv", "venv", "--python", where, env.path]
        )
    else:
        create = Step(
            "create", f"create {env.path}", [*_creator(env, os_name), "-m", "venv", env.path]
        )
    steps = [create]
    for action in env.installs:
        for cmd in install_commands(action, installer="uv" if uv else "pip", python=python):
            steps.append(Step("install", _install_title(action), cmd.argv))
    steps += _kernel_step(env, [python])
    windows = (os_name or "").lower().startswith("win")
    activate = (
        f"{env.path}\\Scripts\\Activate.ps1" if windows else f"source {env.path}/bin/activate"
    )
    return EnvironmentSteps(env, env.path, python, steps, activate=activate)


def environment_yml(env: EnvironmentPlan, name: str | None) -> str:
    """conda's environment file: Python from conda-forge, the frameworks through pip (the
    frameworks' own wheels, with the CUDA libraries they pin), variables for `conda activate`."""
    q = json.dumps  # a JSON string is a YAML double-quoted scalar
    lines = [f"name: {q(name)}"] if name else []
    lines += [
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={env.python}",
        "  - pip",
    ]
    pip: list[str] = []
    for action in env.installs:
        check_action(action)
        if action.index_url:  # environment.yml has one pip section: the index becomes extra
            pip.append(f"--extra-index-url {action.index_url}")
        pip += action.packages
    if pip:
        lines += ["  - pip:"] + [f"      - {q(p)}" for p in dict.fromkeys(pip)]
    if env.env:
        lines += ["variables:"] + [f"  {k}: {q(v)}" for k, v in env.env.items()]
    return "\n".join(lines) + "\n"


def render_conda(
    env: EnvironmentPlan, os_name: str | None, *, name: str | None, tool: str = "conda"
) -> EnvironmentSteps:
    label = f"-{env.label}" if env.label else ""
    yml = f"environment{label}.yml"
    conda_name = f"{name}{label}" if name else None
    where = ["--name", conda_name] if conda_name else ["--prefix", env.path]
    steps = [
        Step("write", f"write {yml}", []),
        Step(
            "create",
            f"create the conda environment {conda_name or env.path}",
            [tool, "env", "create", "--file", yml, *where],
        ),
    ]
    location = conda_name or env.path
    steps += _kernel_step(env, [tool, "run", *where, "python"])
    python = env_python(env.path, os_name) if not conda_name else ""
    return EnvironmentSteps(
        env,
        location,
        python,
        steps,
        files={yml: environment_yml(env, conda_name)},
        activate=f"conda activate {location}",
    )


def render_plan(
    plan: SetupPlan, *, conda_name: str | None = None, conda_tool: str = "conda"
) -> list[EnvironmentSteps]:
    os_name = plan.machine.os.split(" ")[0] if plan.machine.os else None
    out = []
    for env in plan.environments:
        if plan.manager == "conda":
            out.append(render_conda(env, os_name, name=conda_name, tool=conda_tool))
        else:
            out.append(render_venv(env, os_name, uv=plan.manager == "uv"))
    return out


def command_lines(steps: EnvironmentSteps, shell: str) -> list[str]:
    """Each step as one line for `shell` (a written file as a comment)."""
    lines = []
    for step in steps.steps:
        if step.argv:
            lines.append(format_argv(step.argv, shell))
        else:
            lines.append(f"# {step.title} (shown below)")
    return lines
