"""collect_python: choosing the interpreter, parsing its answer, shadowing and duplicates.

Machines are data (FakeSystem with the target script's canned answer); the script itself is run
for real with this interpreter in a temporary directory with planted problems.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError, ExitCode
from dlenv.probes import target_script
from dlenv.probes.pythonenv import collect_python, parse_output, script_source, target_argv
from dlenv.snapshot.model import (
    Distribution,
    DuplicateDistribution,
    PathEntry,
    PythonFacts,
    Shadowing,
)
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.real import RealSystem
from tests.machines.python import (
    HOME,
    add_python,
    dist,
    python_env,
    python_machine,
    script_output,
    site_of,
)

VENV_SITE = site_of("venv")
VENV_PY = f"{HOME}/venv/bin/python"


def test_activated_venv_is_described_whole() -> None:
    data = python_env(
        dists=[
            dist("torch", "2.3.1"),
            dist("nvidia-cudnn-cu12", "8.9.2.26"),
            dist("requests", "2.32.0", installer=None),
            dist("numpy", "1.26.4"),
        ],
        pythonpath=["/opt/missing"],
    )
    system = python_machine(data, env={"VIRTUAL_ENV": f"{HOME}/venv"})
    target = collect_python(system, None)
    site = VENV_SITE
    assert target.facts == PythonFacts(
        executable=VENV_PY,
        version="3.11.7",
        implementation="cpython",
        kind="venv",
        env_name="user/venv",
        prefix=f"{HOME}/venv",
        base_prefix="/usr",
        platform="linux",
        machine="x86_64",
        sys_path=[
            PathEntry(HOME, True, "cwd"),
            PathEntry("/opt/missing", False, "PYTHONPATH"),
            PathEntry("/usr/lib/python311.zip", False, "stdlib"),
            PathEntry("/usr/lib/python3.11", True, "stdlib"),
            PathEntry("/usr/lib/python3.11/lib-dynload", True, "stdlib"),
            PathEntry(site, True, "site-packages"),
        ],
        pythonpath=[PathEntry("/opt/missing", False, "PYTHONPATH")],
        user_site=f"{HOME}/.local/lib/python3.11/site-packages",
        user_site_enabled=False,
        site_packages=[site],
        distribution_count=4,
        distributions=[
            Distribution("torch", "2.3.1", site, "pip"),
            Distribution("nvidia-cudnn-cu12", "8.9.2.26", site, "pip"),
            Distribution("numpy", "1.26.4", site, "pip"),
        ],
        chosen_because="$VIRTUAL_ENV",
    )
    assert target.distribution("Requests") == Distribution("requests", "2.32.0", site, None)
    assert target.module_origins["torch"] == f"{site}/torch"
    assert target.module_origins["jax"] is None
    assert system.calls == [tuple(target_argv(VENV_PY))]


def test_target_is_run_with_the_script_source_by_python_c() -> None:
    argv = target_argv("/x/python")
    assert argv[:2] == ["/x/python", "-c"]
    assert argv[2] == script_source()
    assert "def main()" in argv[2]


def test_deleted_venv_falls_back_to_path_and_says_so() -> None:
    data = python_env(kind="system", executable="/usr/bin/python3")
    system = python_machine(data, env={"VIRTUAL_ENV": "/gone/venv", "PATH": "/usr/bin:/bin"})
    target = collect_python(system, None)
    assert target.facts.chosen_because == (
        "python3 on PATH ($VIRTUAL_ENV is set but /gone/venv/bin/python does not exist)"
    )
    assert target.facts.executable == "/usr/bin/python3"


def test_conda_prefix_is_used_when_no_venv() -> None:
    data = python_env(kind="conda")
    system = python_machine(data, env={"CONDA_PREFIX": "/opt/conda/envs/ml"})
    target = collect_python(system, None)
    assert (target.facts.chosen_because, target.facts.kind, target.facts.env_name) == (
        "$CONDA_PREFIX",
        "conda",
        "ml",
    )


def test_first_python_on_path_wins_whatever_its_name() -> None:
    first = python_env(kind="pyenv", executable="/opt/a/python")
    system = FakeSystem(env_vars={"PATH": "/opt/a:/usr/bin"})
    add_python(system, first)
    add_python(system, python_env(kind="system", executable="/usr/bin/python3"))
    target = collect_python(system, None)
    assert (target.facts.executable, target.facts.chosen_because) == (
        "/opt/a/python",
        "python on PATH",
    )


def test_no_python_anywhere_is_no_interpreter_not_dlenvs_own() -> None:
    # a described machine with no Python: dlenv's own interpreter is not on it
    system = FakeSystem(env_vars={"PATH": "/nowhere"})
    target = collect_python(system, None)
    why = "no Python interpreter found (no python3 or python on PATH)"
    assert target.facts == PythonFacts(chosen_because=why, unknown={"python": why})
    assert system.calls == []  # nothing was run


def test_no_python_on_path_falls_back_to_dlenvs_own_where_it_exists() -> None:
    # the machine dlenv runs on always holds its own interpreter (the real CLI's default)
    system = FakeSystem(env_vars={"PATH": "/nowhere"}).add_executable(sys.executable)
    target = collect_python(system, None)
    assert target.facts.executable == sys.executable
    assert target.facts.chosen_because == "dlenv's own interpreter (no python on PATH)"


def test_named_interpreter_that_does_not_exist_is_a_usage_error() -> None:
    system = FakeSystem(env_vars={"PATH": "/usr/bin"})
    with pytest.raises(DlenvError) as err:
        collect_python(system, "/opt/py/bin/python")
    assert (err.value.message, err.value.code) == (
        "--python /opt/py/bin/python: no such interpreter",
        ExitCode.USAGE,
    )
    with pytest.raises(DlenvError, match=r"^--python python3\.9: no such interpreter$"):
        collect_python(system, "python3.9")


def test_named_interpreter_that_fails_is_a_usage_error() -> None:
    system = FakeSystem(env_vars={"PATH": "/usr/bin"})
    system.add_executable("/opt/py/bin/python")
    system.add_command(
        " ".join(target_argv("/opt/py/bin/python")),
        Command(
            stderr="error while loading shared libraries: libpython3.11.so.1.0", returncode=127
        ),
    )
    with pytest.raises(DlenvError) as err:
        collect_python(system, "/opt/py/bin/python")
    assert err.value.message == (
        "--python /opt/py/bin/python: cannot inspect it (/opt/py/bin/python exited with 127: "
        "error while loading shared libraries: libpython3.11.so.1.0)"
    )
    assert err.value.code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (Command(hang=True), f"{VENV_PY} timed out after 20.0 s"),
        (Command(returncode=-11), f"{VENV_PY} was killed by signal 11"),
        (Command(stdout="Python 2.7.18\n"), "printed no report (got 'Python 2.7.18')"),
        (
            Command(stderr='  File "<string>", line 44\nSyntaxError: invalid syntax', returncode=1),
            f"{VENV_PY} exited with 1: SyntaxError: invalid syntax "
            "(the probe needs Python 3.6 or newer)",
        ),
        (
            Command(stdout="@@dlenv-target-v1@@\n{not json"),
            "printed malformed JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        ),
        (Command(stdout="@@dlenv-target-v1@@\n[1]"), "printed JSON that is not an object"),
    ],
)
def test_auto_chosen_interpreter_failure_becomes_unknown(command: Command, reason: str) -> None:
    system = FakeSystem(env_vars={"PATH": f"{HOME}/venv/bin"})
    system.add_executable(VENV_PY)
    system.add_command(" ".join(target_argv(VENV_PY)), command)
    target = collect_python(system, None)
    assert target.facts.unknown == {"python": f"{VENV_PY}: {reason}"}
    assert target.facts.executable == VENV_PY
    assert target.distributions == ()


def test_output_printed_by_a_pth_file_before_the_report_is_ignored() -> None:
    data = python_env()
    assert parse_output(script_output(data, noise="hello from sitecustomize\n")) == (data, None)


def test_cwd_torch_py_shadows_the_installed_torch() -> None:
    data = python_env(
        dists=[dist("torch", "2.3.1")], modules={"torch": f"{HOME}/torch.py"}, cwd=HOME
    )
    target = collect_python(python_machine(data), None)
    assert target.facts.shadowing == [
        Shadowing("torch", f"{HOME}/torch.py", f"{VENV_SITE}/torch", "torch")
    ]


def test_keras_dir_on_pythonpath_shadows_keras_and_stale_tensorflow_has_no_owner() -> None:
    data = python_env(
        dists=[dist("keras", "3.3.3"), dist("numpy", "1.26.4")],
        pythonpath=["/opt/lib"],
        modules={"keras": "/opt/lib/keras", "tensorflow": f"{VENV_SITE}/tensorflow"},
    )
    target = collect_python(python_machine(data), None)
    assert target.facts.shadowing == [
        Shadowing("tensorflow", f"{VENV_SITE}/tensorflow", None, None),
        Shadowing("keras", "/opt/lib/keras", f"{VENV_SITE}/keras", "keras"),
    ]


def test_near_misses_are_not_shadowing() -> None:
    # lib64 -> lib: the same directory under two names; an editable torch from a source tree;
    # tensorflow from the tensorflow-cpu distribution.
    lib64 = f"{HOME}/venv/lib64/python3.11/site-packages"
    data = python_env(
        dists=[
            dist("numpy", "1.26.4"),
            dist("torch", "2.4.0a0", editable=True, editable_path=f"{HOME}/src/pytorch"),
            dist("tensorflow-cpu", "2.16.1"),
        ],
        modules={"numpy": f"{lib64}/numpy", "torch": f"{HOME}/src/pytorch/torch"},
    )
    system = python_machine(data)
    system.add_symlink(f"{HOME}/venv/lib64", "lib")
    target = collect_python(system, None)
    assert target.facts.shadowing == []
    assert target.facts.distributions[1] == Distribution(
        "torch", "2.4.0a0", VENV_SITE, "pip", editable=True
    )


def test_same_distribution_twice_is_a_duplicate_but_one_dir_listed_twice_is_not() -> None:
    user_site = f"{HOME}/.local/lib/python3.11/site-packages"
    data = python_env(
        kind="system",
        dists=[
            dist("numpy", "2.0.0", user_site),
            dist("numpy", "1.21.5", "/usr/lib/python3/dist-packages", installer="debian"),
            dist("six", "1.16.0", "/usr/lib/python3/dist-packages"),
            dist("six", "1.16.0", "/usr/lib/python3/dist-packages/../dist-packages"),
            dist("idna", "3.6", "/usr/lib/python3/dist-packages"),
            dist("idna", "3.7", "/usr/lib/python3/dist-packages"),
        ],
        executable="/usr/bin/python3",
    )
    target = collect_python(python_machine(data), None)
    assert target.facts.duplicates == [
        DuplicateDistribution(
            "numpy",
            [
                Distribution("numpy", "2.0.0", user_site, "pip"),
                Distribution("numpy", "1.21.5", "/usr/lib/python3/dist-packages", "debian"),
            ],
        ),
        DuplicateDistribution(
            "idna",
            [
                Distribution("idna", "3.6", "/usr/lib/python3/dist-packages", "pip"),
                Distribution("idna", "3.7", "/usr/lib/python3/dist-packages", "pip"),
            ],
        ),
    ]
    assert target.distribution("numpy") == Distribution("numpy", "2.0.0", user_site, "pip")
    assert [d.version for d in target.installs("numpy")] == ["2.0.0", "1.21.5"]


# -- the target script, for real ------------------------------------------------------------
def _dist_info(site: Path, name: str, version: str, installer: str | None = "pip") -> None:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if installer:
        (folder / "INSTALLER").write_text(installer + "\n")


def _real_system(pythonpath: list[Path]) -> RealSystem:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env.pop("PYTHONSAFEPATH", None)
    return RealSystem(env)


def test_script_for_real_finds_shadow_missing_path_and_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, first, second, missing = (tmp_path / n for n in ("work", "a", "b", "missing"))
    work.mkdir()
    (work / "torch.py").write_text("raise SystemExit('the shadow was imported')\n")
    (second / "torch").mkdir(parents=True)
    (second / "torch" / "__init__.py").write_text("raise SystemExit('torch was imported')\n")
    _dist_info(second, "torch", "2.3.1")
    _dist_info(first, "dlenv_dup_probe", "1.0")
    _dist_info(second, "dlenv_dup_probe", "2.0", installer="uv")
    monkeypatch.chdir(work)

    target = collect_python(_real_system([first, missing, second]), sys.executable)
    facts = target.facts
    assert facts.unknown == {}
    assert facts.executable == sys.executable
    assert facts.sys_path[:4] == [
        PathEntry(str(work), True, "cwd"),
        PathEntry(str(first), True, "PYTHONPATH"),
        PathEntry(str(missing), False, "PYTHONPATH"),
        PathEntry(str(second), True, "PYTHONPATH"),
    ]
    assert facts.pythonpath == [
        PathEntry(str(first), True, "PYTHONPATH"),
        PathEntry(str(missing), False, "PYTHONPATH"),
        PathEntry(str(second), True, "PYTHONPATH"),
    ]
    assert [e.origin for e in facts.sys_path[4:]].count("stdlib") >= 1
    assert target.module_origins["torch"] == str(work / "torch.py")
    assert Shadowing("torch", str(work / "torch.py"), str(second / "torch"), "torch") in (
        facts.shadowing
    )
    assert (
        DuplicateDistribution(
            "dlenv-dup-probe",
            [
                Distribution("dlenv-dup-probe", "1.0", str(first), "pip"),
                Distribution("dlenv-dup-probe", "2.0", str(second), "uv"),
            ],
        )
        in facts.duplicates
    )
    assert Distribution("torch", "2.3.1", str(second), "pip") in facts.distributions
    assert facts.version == "{}.{}.{}".format(*sys.version_info[:3])


def test_script_imports_no_framework_and_no_metadata_machinery(tmp_path: Path) -> None:
    check = (
        "\nbad = [m for m in ('torch', 'tensorflow', 'keras', 'jax', 'numpy', "
        "'importlib.metadata', 'email') if m in sys.modules]\nsys.stderr.write(repr(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script_source() + check],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert proc.stderr == "[]"


def test_script_scales_to_a_thousand_distributions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    names = {f"pkg-{i:04d}": f"1.{i}.0" for i in range(1000)}
    for i, (name, version) in enumerate(names.items()):
        if i % 100 == 0:  # a name without a version: read from METADATA
            folder = site / f"{name.replace('-', '_')}.egg-info"
            folder.mkdir(parents=True)
            (folder / "PKG-INFO").write_text(f"Name: {name}\nVersion: {version}\n\nbody\n")
        else:
            _dist_info(site, name.replace("-", "_"), version)
    monkeypatch.chdir(tmp_path)
    system = _real_system([site])
    baseline = collect_python(_real_system([]), sys.executable).facts.distribution_count
    start = time.perf_counter()
    target = collect_python(system, sys.executable)
    elapsed = time.perf_counter() - start
    found = {d.name: d.version for d in target.distributions if d.location == str(site)}
    assert found == names
    assert target.facts.distribution_count == baseline + 1000
    assert elapsed < 5.0  # measured about 0.05 s; generous for slow CI disks


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_script_json_writer_round_trips_through_json(value: object) -> None:
    text = target_script.dump(value)
    assert text.isascii()
    assert json.loads(text) == value


def test_script_json_writer_keeps_undecodable_path_bytes() -> None:
    path = os.fsdecode(b"/data/caf\xe9/site-packages")  # a Latin-1 name on a UTF-8 system
    assert json.loads(target_script.dump({"path": path})) == {"path": path}


# -- the script's pure parts, on real directories ---------------------------------------------
def test_env_kind(tmp_path: Path) -> None:
    venv, uv_venv, conda_env, conda_base = (
        tmp_path / "proj" / ".venv",
        tmp_path / "uvproj" / ".venv",
        tmp_path / "conda" / "envs" / "ml",
        tmp_path / "conda",
    )
    venv.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    uv_venv.mkdir(parents=True)
    (uv_venv / "pyvenv.cfg").write_text("home = /x/bin\nuv = 0.4.0\nversion_info = 3.12.4\n")
    (conda_env / "conda-meta").mkdir(parents=True)
    (conda_base / "condabin").mkdir()
    (conda_base / "conda-meta").mkdir()
    pyenv = tmp_path / ".pyenv" / "versions" / "3.10.14"
    pyenv.mkdir(parents=True)
    kind = target_script.env_kind
    assert kind(str(venv), "/usr", {}) == ("venv", "proj/.venv")
    assert kind(str(uv_venv), "/x", {}) == ("uv", "uvproj/.venv")
    active = {"CONDA_PREFIX": str(conda_env), "CONDA_DEFAULT_ENV": "ml-active"}
    assert kind(str(conda_env), str(conda_env), active) == ("conda", "ml-active")
    assert kind(str(conda_env), str(conda_env), {}) == ("conda", "ml")
    assert kind(str(conda_base), str(conda_base), active) == ("conda", "base")
    assert kind(str(pyenv), str(pyenv), {}) == ("pyenv", "3.10.14")
    assert kind(str(tmp_path), str(tmp_path), {}) == ("system", None)


def test_path_origin_and_pth_entries(tmp_path: Path) -> None:
    site, user = tmp_path / "site-packages", tmp_path / "user-site"
    site.mkdir()
    (site / "easy-install.pth").write_text("./src-tree\n# comment\nimport os; os.getcwd()\n")
    (site / "__editable__.proj.pth").write_text(str(tmp_path / "proj" / "src") + "\n")
    from_pth = target_script.pth_entries([str(site), str(tmp_path / "missing")])
    assert from_pth == {str(site / "src-tree"), str(tmp_path / "proj" / "src")}

    def origin(index: int, entry: str) -> str:
        return target_script.path_origin(
            index, entry, ["/pp"], ["/usr/lib/python3.11"], [str(site)], str(user), from_pth
        )

    assert origin(0, "") == "cwd"
    assert origin(1, "/pp") == "PYTHONPATH"
    assert origin(2, "/usr/lib/python3.11/lib-dynload") == "stdlib"
    assert origin(3, str(site)) == "site-packages"
    assert origin(4, str(user)) == "user-site"
    assert origin(5, str(site / "src-tree")) == ".pth"
    assert origin(6, "/usr/lib/python3.11-extra") == "other"


def _pyenv_machine(**env: str) -> FakeSystem:
    fake = FakeSystem(env_vars={"PATH": "/home/u/.pyenv/shims:/usr/bin", **env})
    fake.working_dir = "/home/u/project/sub"
    fake.add_executable("/home/u/.pyenv/shims/python3")
    fake.add_executable("/home/u/.pyenv/versions/3.11.7/bin/python3")
    fake.add_executable("/home/u/.pyenv/versions/3.12.1/bin/python3")
    fake.add_file("/home/u/.pyenv/version", "3.11.7\n")
    return fake


def test_pyenv_shim_resolves_to_the_global_version_without_running_pyenv() -> None:
    from dlenv.probes.pythonenv import choose_interpreter

    path, because = choose_interpreter(_pyenv_machine(), None)
    assert path == "/home/u/.pyenv/versions/3.11.7/bin/python3"
    assert because == "python3 on PATH, a pyenv shim for /home/u/.pyenv/versions/3.11.7/bin/python3"


def test_pyenv_local_version_file_and_env_override() -> None:
    from dlenv.probes.pythonenv import resolve_pyenv_shim

    fake = _pyenv_machine()
    fake.add_file("/home/u/project/.python-version", "3.12.1\n")
    assert resolve_pyenv_shim(fake, "/home/u/.pyenv/shims/python3") == (
        "/home/u/.pyenv/versions/3.12.1/bin/python3"
    )
    fake.env_vars["PYENV_VERSION"] = "3.11.7"
    assert resolve_pyenv_shim(fake, "/home/u/.pyenv/shims/python3") == (
        "/home/u/.pyenv/versions/3.11.7/bin/python3"
    )


def test_pyenv_system_or_unknown_version_runs_the_shim_itself() -> None:
    from dlenv.probes.pythonenv import resolve_pyenv_shim

    assert (
        resolve_pyenv_shim(_pyenv_machine(PYENV_VERSION="system"), "/home/u/.pyenv/shims/python3")
        is None
    )
    assert (
        resolve_pyenv_shim(_pyenv_machine(PYENV_VERSION="3.9.0"), "/home/u/.pyenv/shims/python3")
        is None
    )
    assert resolve_pyenv_shim(_pyenv_machine(), "/usr/bin/python3") is None


def test_windows_path_entries_are_joined_with_backslashes() -> None:
    # PATH on native Windows: `;`-separated, the venv's interpreter at Scripts\python.exe
    exe = "C:\\Users\\user\\venv\\Scripts\\python.exe"
    system = FakeSystem(
        platform_name="win32",
        env_vars={"PATH": "C:\\Users\\user\\venv\\Scripts;C:\\Windows\\system32"},
    )
    add_python(system, python_env(executable=exe, platform="win32"))
    target = collect_python(system, None)
    assert (target.facts.executable, target.facts.chosen_because) == (exe, "python.exe on PATH")
    # a POSIX machine keeps `/`
    posix = FakeSystem(env_vars={"PATH": "/opt/a"})
    add_python(posix, python_env(executable="/opt/a/python3"))
    assert collect_python(posix, None).facts.executable == "/opt/a/python3"
