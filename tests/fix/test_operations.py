"""dlenv.fix.operations: apply_plan and undo_all return what happened, ask through a callback,
and never print."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dlenv.fix.actions import SetEnv
from dlenv.fix.operations import Proposal, apply_plan, undo_all
from dlenv.fix.planner import Plan, Step
from dlenv.fix.render.installers import Command
from dlenv.fix.targets import Target


def plan(*argvs: list[str]) -> Plan:
    env = Step(1, "env", ["DL201"], "set CUDA_HOME", [SetEnv(name="CUDA_HOME", value="/cuda")])
    install = Step(
        2, "install", ["DL101"], "install", [], [Command(argv=a) for a in argvs]
    )
    return Plan(steps=[env, install], conflicts=[], python=sys.executable, installer="pip")


def test_declined_changes_nothing_and_prints_nothing(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_text("# mine\n")
    seen: list[Proposal] = []

    def no(proposal: Proposal) -> bool:
        seen.append(proposal)
        return False

    target = Target(kind="shell", rc_file=rc)
    result = apply_plan(plan(["true"]), target, confirm=no, install=True)
    assert result.status == "declined" and result.runs == []
    assert [c.path for c in seen[0].changes] == [
        isolated_home / "xdg_config_home" / "dlenv" / "env.sh",
        rc,
    ]
    assert seen[0].commands == [["true"]]
    assert rc.read_text() == "# mine\n"
    assert capsys.readouterr() == ("", "")


def test_applied_then_nothing_then_undone(isolated_home: Path) -> None:
    rc = isolated_home / ".bashrc"
    rc.write_text("# mine\n")
    target = Target(kind="shell", rc_file=rc)
    ran: list[list[str]] = []
    result = apply_plan(
        plan(["true"], ["false"], ["never-run"]),
        target,
        confirm=lambda _: True,
        install=True,
        on_command=ran.append,
    )
    assert result.status == "applied" and len(result.changes) == 2
    assert [(r.argv, r.returncode) for r in result.runs] == [(["true"], 0), (["false"], 1)]
    assert ran == [["true"], ["false"]]
    assert result.failed is not None and int(result.exit_code) == 1
    again = apply_plan(plan(), target, confirm=lambda _: pytest.fail("nothing to ask"))
    assert (again.status, again.had_env_steps) == ("nothing", True)
    undone = undo_all()
    assert undone.status == "restored" and rc.read_text() == "# mine\n"
    assert undo_all().status == "nothing"
