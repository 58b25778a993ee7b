"""The plan for people (text) and for programs (JSON): the why with its sources, then the
exact commands per environment, quoted for the user's shell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlenv.setup.model import Reason, SetupPlan
from dlenv.setup.render import EnvironmentSteps, command_lines

if TYPE_CHECKING:
    from dlenv.setup.vscode import VscodeEdit


def _reason(r: Reason, indent: str) -> list[str]:
    lines = [f"{indent}- {r.text}"]
    if r.source:
        lines.append(f"{indent}  source: {r.source}")
    return lines


def plan_text(plan: SetupPlan, built: list[EnvironmentSteps], shell: str) -> str:
    m = plan.machine
    out = [f"dlenv setup {' '.join(plan.requested)}  (for {m.source})", ""]
    gpus = "; ".join(m.gpus) or "none"
    driver = f"{m.driver} (CUDA {m.driver_cuda or '?'})" if m.driver else "none"
    out += [
        f"Machine: {m.os or 'unknown OS'} {m.arch or ''}".rstrip(),
        f"  NVIDIA driver: {driver}",
        f"  GPUs: {gpus}",
        f"  Python here: {', '.join(m.pythons) or 'none known'}",
    ]
    if plan.refused:
        out += ["", "Refused (add --force to install anyway):"]
        out += [f"  - {r}" for r in plan.refused]
    if plan.notes:
        out += ["", "Notes:"]
        for note in plan.notes:
            out += _reason(note, "  ")
    for steps in built:
        env = steps.plan
        title = f"Environment {steps.location}" + (f" ({env.label})" if env.label else "")
        out += ["", f"{title}: Python {env.python}, {plan.manager}"]
        for r in env.why:
            out += _reason(r, "  ")
        for fw in env.frameworks:
            device = "GPU" if fw.gpu else "CPU" if fw.build in ("cpu", "none") else fw.build
            if fw.name == "keras":
                device = f"{fw.build} backend"
            out.append(f"  {fw.name} {fw.version} [{fw.build}] -> {device}")
            for r in fw.why:
                out += _reason(r, "    ")
        if env.kernel is not None:
            out.append(f"  Jupyter kernel: {env.kernel.name} ({env.kernel.display_name!r})")
        out += ["", f"  Commands ({shell}):"]
        out += [f"    {line}" for line in command_lines(steps, shell)]
        for path, text in steps.files.items():
            out += ["", f"  {path}:"] + [f"    {line}" for line in text.splitlines()]
        if env.env:
            values = " ".join(f"{k}={v}" for k, v in env.env.items())
            out += ["", f"  Set in it: {values}"]
        out.append(f"  Then: {steps.activate}")
    return "\n".join(out) + "\n"


def vscode_text(edit: VscodeEdit) -> str:
    """What --vscode will write: each file's unified diff (or that nothing changes)."""
    from dlenv.fix.apply import diff

    out = ["", f"VS Code ({edit.settings_file}):"]
    if not edit.changes:
        out.append("  already set; nothing to change")
    for change in edit.changes:
        out += ["  " + line for line in diff(change).splitlines()]
    out += [f"  note: {note}" for note in edit.notes]
    out.append("  `dlenv fix --undo` takes these changes back.")
    return "\n".join(out) + "\n"


def vscode_json(edit: VscodeEdit) -> dict[str, Any]:
    from dlenv.fix.apply import diff

    return {
        "settings_file": edit.settings_file,
        "settings": edit.settings,
        "files": [str(c.path) for c in edit.changes],
        "diff": "".join(diff(c) for c in edit.changes),
        "notes": edit.notes,
    }


def plan_json(plan: SetupPlan, built: list[EnvironmentSteps], shell: str) -> dict[str, Any]:
    data = plan.to_json()
    data["kind"] = "dlenv-setup-plan"
    for env, steps in zip(data["environments"], built, strict=True):
        env["location"] = steps.location
        env["interpreter"] = steps.python or None
        env["steps"] = [
            {"kind": s.kind, "title": s.title, "argv": s.argv or None} for s in steps.steps
        ]
        env["commands"] = command_lines(steps, shell)
        env["files"] = steps.files
        env["activate"] = steps.activate
    return data
