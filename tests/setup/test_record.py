"""dlenv.toml: the [check] policy that holds a built environment, and the record of the setup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import tomllib

from dlenv.check.policy import load_policy
from dlenv.cli.app import main
from dlenv.errors import DlenvError
from dlenv.setup.plan import plan
from dlenv.setup.record import (
    HEADER,
    check_record_target,
    installer_indexes,
    make_record,
    policy,
    record_path,
    redact,
    write_record,
)
from dlenv.setup.render import render_plan
from dlenv.setup.verify import Verification, verify
from tests.setup import machines as m

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def verified(versions: dict[str, str]) -> Verification:
    return Verification("/p/.venv/bin/python", [], [], versions, "3.11.7")


def test_policy_of_a_gpu_plan() -> None:
    the_plan = plan(m.pascal_new_driver(), ["torch", "keras"], pythons=m.PYTHONS)
    (env,) = the_plan.environments
    check = policy(env, verified({"torch": "2.14.1+cu126", "keras": "3.15.0"}))
    assert check == {
        "python": "==3.11.*",
        "min_gpus": 1,
        "gpu_frameworks": ["torch"],
        "driver_cuda": ">=12.6",
        "frameworks": {"torch": "==2.14.1", "keras": "==3.15.0"},
    }


def test_the_record_is_a_policy_dlenv_check_loads(tmp_path: Path) -> None:
    the_plan = plan(m.no_gpu(), ["torch", "tensorflow", "keras"], pythons=m.PYTHONS, path=str(
        tmp_path / ".venv"
    ))
    (steps,) = render_plan(the_plan)
    where = record_path(steps, False, tmp_path / "elsewhere")
    assert where == tmp_path / "dlenv.toml"
    made = make_record(
        where,
        the_plan,
        steps,
        verified({"torch": "2.14.0+cpu", "tensorflow": "2.21.0", "keras": "3.15.0"}),
        ["keras==3.15.0", "tensorflow-cpu==2.21.0", "torch==2.14.0+cpu"],
        ["pip extra-index-url: https://***@mirror.example/simple"],
        now=0,
    )
    write_record(made)
    assert made.text.startswith(HEADER)
    data = tomllib.loads(where.read_text())
    assert data["check"] == {
        "python": "==3.11.*",
        "frameworks": {"torch": "==2.14.0", "tensorflow": "==2.21.0", "keras": "==3.15.0"},
    }
    setup = data["setup"]
    assert setup["created"] == "1970-01-01T00:00:00Z"
    assert setup["packages"] == ["keras==3.15.0", "tensorflow-cpu==2.21.0", "torch==2.14.0+cpu"]
    assert setup["index_urls"] == ["https://download.pytorch.org/whl/cpu"]
    assert setup["env"] == {"KERAS_BACKEND": "tensorflow"}
    assert setup["machine"]["gpus"] == []
    assert [f["name"] for f in setup["frameworks"]] == ["torch", "tensorflow", "keras"]
    assert setup["frameworks"][0]["installed"] == "2.14.0+cpu"
    loaded = load_policy(where)
    assert loaded.frameworks == {"torch": "==2.14.0", "tensorflow": "==2.21.0", "keras": "==3.15.0"}
    assert loaded.python == "==3.11.*"
    write_record(made)  # its own file: rewritten


def test_a_dlenv_toml_someone_else_wrote_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "dlenv.toml"
    mine.write_text('[check]\nmin_gpus = 8\n')
    with pytest.raises(DlenvError) as info:
        check_record_target(mine)
    assert str(info.value) == (
        f"{mine} exists and was not written by dlenv setup: name another file with "
        "--record FILE, or leave it out with --no-record"
    )
    assert mine.read_text() == "[check]\nmin_gpus = 8\n"


def test_indexes_are_recorded_without_credentials() -> None:
    assert redact("https://user:s3cret@pypi.example/simple") == "https://user:***@pypi.example/simple"
    assert redact("https://tok@pypi.example/simple") == "https://***@pypi.example/simple"
    assert redact("file:///opt/wheels") == "file:///opt/wheels"
    config = (
        "global.extra-index-url='file:///opt/a/simple https://u:p@b.example/simple'\n"
        "global.cert='/etc/ssl/x.crt'\n"
        ":env:.find-links='/opt/wheels'\n"
    )
    assert installer_indexes({"PIP_INDEX_URL": "https://u:p@idx.example/simple"}, config) == [
        "PIP_INDEX_URL: https://u:***@idx.example/simple",
        "pip extra-index-url: file:///opt/a/simple",
        "pip extra-index-url: https://u:***@b.example/simple",
        "pip find-links: /opt/wheels",
    ]


@pytest.mark.integration
def test_dlenv_check_holds_the_real_environment_to_its_record(
    framework_python: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CPU plan, verified against the real framework venv, recorded; `dlenv check --policy`
    passes on that venv and fails on one without the frameworks."""
    the_plan = plan(m.no_gpu(), ["torch==2.13", "tensorflow", "keras"], pythons=m.PYTHONS)
    (steps,) = render_plan(the_plan)
    result = verify(steps.plan, framework_python, timeout=30, live_timeout=120)
    assert result.ok, result
    where = tmp_path / "dlenv.toml"
    write_record(make_record(where, the_plan, steps, result, [], []))
    args = ["check", "--policy", str(where), "--python", framework_python, "--quick"]
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr().out
    assert info.value.code == 0, out
    with pytest.raises(SystemExit) as info:
        main([*args[:3], "--python", sys.executable, "--quick"])
    assert info.value.code == 1


def test_the_lock_pins_every_package_with_the_plans_indexes(tmp_path: Path) -> None:
    from packaging.requirements import Requirement

    from dlenv.setup.record import lock_path, make_lock

    the_plan = plan(m.pascal_new_driver(), ["torch"], pythons=m.PYTHONS, path=str(tmp_path / ".venv"))
    (steps,) = render_plan(the_plan)
    where = lock_path(record_path(steps, False, tmp_path))
    assert where == tmp_path / "dlenv.lock.txt"
    frozen = ["filelock==3.20.0", "torch==2.14.1+cu126", "typing_extensions==4.15.0"]
    lock = make_lock(where, the_plan, steps, frozen)
    write_record(lock)
    lines = where.read_text().splitlines()
    assert lines[0].startswith(HEADER)
    assert lines[1] == (
        f"# The same environment again (a new one, same Python): {steps.python} -m pip install "
        "-r dlenv.lock.txt"
    )
    assert lines[2] == "--extra-index-url https://download.pytorch.org/whl/cu126"
    assert lines[3:] == frozen
    assert [Requirement(line).name for line in lines[3:]] == ["filelock", "torch", "typing_extensions"]
    # a lock someone else wrote is never replaced, as the record
    where.write_text("six==1.0\n")
    with pytest.raises(DlenvError):
        write_record(lock)
    assert where.read_text() == "six==1.0\n"
