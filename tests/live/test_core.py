"""The live part of the doctor pipeline (`dlenv.core.collect_with_live`): the live probes start
from inside the static probes, as soon as the interpreter and its frameworks are known, and an
error later in the static probes leaves no child process and no temporary file behind."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

import dlenv.probes.cuda
import dlenv.probes.host
from dlenv.core import collect_with_live
from dlenv.errors import DlenvError
from dlenv.live import LiveOptions
from dlenv.probes import CollectOptions, collect
from dlenv.snapshot.model import FrameworkFacts, PythonFacts
from dlenv.system.fake import FakeSystem
from tests.machines.python import HOME, add_python, add_torch, python_env

# writes its pid (atomically: the test polls for the file), then hangs in the import
HANG = """\
import os, time
with open({pid!r} + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename({pid!r} + ".tmp", {pid!r})
time.sleep(60)
"""


def _machine(python: str) -> FakeSystem:
    """A machine as data whose interpreter is the REAL framework venv's, with torch 2.13+cpu."""
    system = FakeSystem(env_vars={"PATH": "/usr/bin", "HOME": HOME})
    system.add_dir(HOME)
    dists = [add_torch(system, "2.13.0+cpu", None, requires=())]
    add_python(system, python_env(dists=dists, executable=python))
    return system


def test_hook_sees_interpreter_and_frameworks_before_the_other_probes(
    framework_python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    host = dlenv.probes.host.collect_host
    monkeypatch.setattr(
        dlenv.probes.host, "collect_host", lambda *a: seen.append("host") or host(*a)
    )

    def known(python: PythonFacts, frameworks: list[FrameworkFacts]) -> None:
        seen.append(f"{python.executable}: {', '.join(f.name for f in frameworks)}")

    system = _machine(framework_python)
    snapshot = collect(system, CollectOptions(python=framework_python), on_frameworks=known)
    assert seen == [f"{framework_python}: torch", "host"]
    without = collect(_machine(framework_python), CollectOptions(python=framework_python))
    assert (snapshot.python, snapshot.frameworks) == (without.python, without.frameworks)


def test_live_probes_start_during_the_static_probes(
    framework_python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    at_cuda: list[list[str]] = []
    cuda = dlenv.probes.cuda.collect_cuda
    monkeypatch.setattr(
        dlenv.probes.cuda, "collect_cuda", lambda *a: at_cuda.append(list(events)) or cuda(*a)
    )
    snapshot = collect_with_live(
        _machine(framework_python),
        CollectOptions(python=framework_python),
        LiveOptions(timeout=60),
        on_update=lambda fw, state, elapsed: events.append(f"{fw}:{state}"),
        while_live=lambda: events.append("while_live"),
    )
    assert at_cuda == [["torch:queued"]]  # started before the CUDA probe ran
    assert events[:2] == ["torch:queued", "while_live"]
    assert events[-1] == "torch:ok"
    [torch] = snapshot.live
    assert (torch.framework, torch.status, torch.version) == ("torch", "ok", "2.13.0+cpu")
    assert snapshot.timings["live"] >= snapshot.timings["live.torch"] > 0
    assert snapshot.timings["total"] > 0  # the static timings are kept


def test_quick_runs_no_live_probe(framework_python: str) -> None:
    snapshot = collect_with_live(
        _machine(framework_python), CollectOptions(python=framework_python), None
    )
    assert (snapshot.live, "live" in snapshot.timings) == ([], False)


def test_an_error_in_the_static_probes_kills_the_started_children(
    framework_python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted, private = tmp_path / "planted", tmp_path / "tmp"
    (planted / "torch").mkdir(parents=True)
    private.mkdir()
    pid_file = tmp_path / "pid"
    (planted / "torch" / "__init__.py").write_text(HANG.format(pid=str(pid_file)))
    monkeypatch.setenv("PYTHONPATH", str(planted))
    monkeypatch.setattr(tempfile, "tempdir", str(private))

    def broken(*args: object) -> None:
        deadline = time.perf_counter() + 20
        while not pid_file.exists() and time.perf_counter() < deadline:
            time.sleep(0.02)  # the child is importing "torch" and hangs there
        raise DlenvError("cuda probe failed")

    monkeypatch.setattr(dlenv.probes.cuda, "collect_cuda", broken)
    with pytest.raises(DlenvError):
        collect_with_live(
            _machine(framework_python),
            CollectOptions(python=framework_python),
            LiveOptions(timeout=60),
        )
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert list(private.iterdir()) == []
