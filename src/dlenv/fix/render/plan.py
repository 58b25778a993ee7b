"""The plan shown to a person (console), as data (JSON), or as a runnable script for a shell.

Text from a report goes into comments and titles only with its line breaks and other control
characters made visible (`dlenv.report.visible`), so it stays a comment and cannot drive a
terminal; the console plan is made visible as a whole.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from dlenv.errors import DlenvError
from dlenv.fix.actions import SetEnv
from dlenv.fix.planner import Plan, Step, looks_secret
from dlenv.fix.render import format_argv, render_env
from dlenv.report.json import dump_json
from dlenv.report.visible import visible
from dlenv.snapshot.serde import to_data

PLAN_KIND = "dlenv-fix-plan"
PLAN_VERSION = 1
_COMMENT = {"bash": "# ", "zsh": "# ", "fish": "# ", "pwsh": "# ", "cmd": "rem "}


def _redacted(step: Step) -> Step:
    actions = [
        replace(a, value="<redacted>") if isinstance(a, SetEnv) and looks_secret(a.name) else a
        for a in step.actions
    ]
    return replace(step, actions=actions)


def step_lines(step: Step, shell: str) -> list[str]:
    """What to run (or do) for one step, in `shell`'s syntax."""
    if step.kind == "install":
        return [format_argv(c.argv, shell) for c in step.commands]
    if step.kind == "env":
        return render_env(step.actions, shell).replace("\r\n", "\n").splitlines()  # type: ignore[arg-type]
    (manual,) = step.actions
    assert manual.kind == "manual"
    return list(manual.commands)


def refusal(step: Step, shell: str) -> str | None:
    """Why `step` cannot be written for `shell` (a value from the report no quoting can carry),
    or None; such a step is shown with its reason instead of failing the whole plan."""
    try:
        step_lines(step, shell)
    except DlenvError as exc:
        return exc.message
    return None


def _lines_or_refusal(step: Step, shell: str, comment: str) -> list[str]:
    reason = refusal(step, shell)
    if reason is not None:
        return [f"{comment}not written for {shell}: {_one_line(reason)}"]
    return step_lines(step, shell)


def render_plan_console(plan: Plan, shell: str, apply_hint: str | None = None) -> str:
    if not plan.steps and not plan.conflicts:
        return "dlenv fix: nothing to do: no finding has a fix.\n"
    codes = sorted({c for s in plan.steps for c in s.codes})
    out = [
        f"dlenv fix: {len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''} for "
        f"{', '.join(codes) or 'no finding'} (python: {plan.python}; shell: {shell})",
        "",
    ]
    for step in plan.steps:
        shown = _redacted(step)
        label = {"install": "", "env": "", "manual": "By hand: "}[step.kind]
        out.append(f"{step.number}. {label}{_one_line(step.title)}  [{', '.join(step.codes)}]")
        out.extend(f"     {line}" for line in _lines_or_refusal(shown, shell, ""))
        for command in step.commands:
            if command.note:
                out.append(f"     ({command.note})")
        if step.kind == "manual":
            (manual,) = step.actions
            if manual.kind == "manual" and manual.url:
                out.append(f"     See {manual.url}")
    if plan.conflicts:
        out += ["", "Left out, because the findings disagree (decide, then set it yourself):"]
        out.extend(f"  - {_one_line(c)}" for c in plan.conflicts)
    out.append("")
    if plan.env_actions and apply_hint:
        out.append(apply_hint)
    if plan.install_steps:
        out.append(
            "Package steps are not run: run them yourself, or add --install to `dlenv fix --apply`."
        )
    return visible("\n".join(out).rstrip("\n")) + "\n"


def render_plan_json(plan: Plan, shell: str) -> str:
    steps: list[dict[str, Any]] = []
    for step in plan.steps:
        shown = _redacted(step)
        steps.append(
            {
                "number": step.number,
                "kind": step.kind,
                "codes": step.codes,
                "title": step.title,
                "actions": to_data(shown.actions),
                "commands": [
                    {"argv": c.argv, "line": format_argv(c.argv, shell), "note": c.note}
                    for c in step.commands
                ],
                "lines": [] if refusal(shown, shell) else step_lines(shown, shell),
                "refused": refusal(shown, shell),
            }
        )
    data = {
        "kind": PLAN_KIND,
        "schema_version": PLAN_VERSION,
        "python": plan.python,
        "installer": plan.installer,
        "shell": shell,
        "steps": steps,
        "conflicts": plan.conflicts,
    }
    return dump_json(data)


def render_plan_script(plan: Plan, shell: str) -> str:
    """A script to review and run: package commands, then the environment; manual steps as
    comments. Source it (`. ./fix.sh`, `source fix.fish`, `. .\\fix.ps1`, `call fix.cmd`) so
    that the environment changes reach the current shell."""
    c = _COMMENT.get(shell, "# ")
    codes = sorted({code for s in plan.steps for code in s.codes})
    out: list[str] = []
    if shell == "cmd":
        out.append("@echo off")
    out.append(f"{c}dlenv fix for {', '.join(codes) or 'no finding'}; review before running.")
    for step in plan.steps:
        out.append(
            f"{c}{step.number}. {_comment_text(step.title, shell)}  [{', '.join(step.codes)}]"
        )
        lines = _lines_or_refusal(step, shell, c)
        if step.kind == "manual":
            out.extend(f"{c}   {_comment_text(line, shell)}" for line in lines)
            (manual,) = step.actions
            if manual.kind == "manual" and manual.url:
                out.append(f"{c}   See {_comment_text(manual.url, shell)}")
        else:
            out.extend(lines)
    for conflict in plan.conflicts:
        out.append(f"{c}left out: {_comment_text(conflict, shell)}")
    nl = "\r\n" if shell == "cmd" else "\n"
    return nl.join(out) + nl


def _one_line(text: str) -> str:
    return visible(text, newlines=False)


def _comment_text(text: str, shell: str) -> str:
    text = _one_line(text)
    if shell == "cmd":
        text = re.sub(r"[&|<>^%!\"()]", "?", text)
    return text
