"""Tests for dlenv.probes.collect: one probe that raises costs its own section, never the run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from dlenv.errors import DlenvError
from dlenv.probes import CollectOptions, collect, probe_failure
from dlenv.snapshot.model import CudaFacts, GpuLink, HostFacts, PythonFacts
from dlenv.system.fake import Command, FakeSystem
from dlenv.system.nvml import NvmlLink
from tests.machines.gpu import healthy_gpu_box
from tests.machines.python import HOME, add_python, add_torch, python_env


class _Raising(FakeSystem):
    """A machine on which reading one file raises, as a bug in a probe or an odd kernel would."""

    explode_on: str = ""

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        if path == self.explode_on:
            raise RuntimeError("unexpected\nkernel answer")
        return super().read_text(path, limit)


def _machine(explode_on: str, env: dict[str, str] | None = None) -> _Raising:
    """A venv with torch 2.3.1+cu121, on which reading `explode_on` raises."""
    system = _Raising(
        env_vars={"PATH": f"{HOME}/venv/bin:/usr/bin:/bin", "HOME": HOME, **(env or {})},
        working_dir=HOME,
    )
    system.explode_on = explode_on
    torch = add_torch(system)
    add_python(system, python_env(kind="venv", dists=[torch]))
    return system


def test_a_probe_that_raises_is_recorded_and_the_others_still_report() -> None:
    snapshot = collect(_machine("/proc/meminfo"))
    assert snapshot.unknown == {"host": "host probe failed: RuntimeError: unexpected kernel answer"}
    assert snapshot.host == HostFacts()
    assert [(f.name, f.version, f.cuda_version) for f in snapshot.frameworks] == [
        ("torch", "2.3.1+cu121", "12.1")
    ]
    assert snapshot.python.executable == "/home/user/venv/bin/python"
    assert set(snapshot.timings) >= {"host", "python", "cuda", "nvidia", "total"}


def test_the_target_interpreter_probe_failing_leaves_an_empty_python_section() -> None:
    def explode(argv: Sequence[str]) -> Command:
        raise ValueError("bad answer")

    system = _machine("")
    for key in list(system.commands):
        system.commands[key] = explode
    snapshot = collect(system)
    reason = "python probe failed: ValueError: bad answer"
    assert snapshot.unknown == {"python": reason}
    assert snapshot.python == PythonFacts(unknown={"python": reason})
    assert snapshot.frameworks == []
    assert snapshot.cuda == CudaFacts(cuda_home=None, nvcc_on_path=None)


def test_an_expected_failure_still_ends_the_run() -> None:
    system = FakeSystem(env_vars={"PATH": "/usr/bin"})
    with pytest.raises(DlenvError, match="--python /nowhere/python: no such interpreter"):
        collect(system, CollectOptions(python="/nowhere/python"))


def test_debug_prints_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    collect(_machine("/proc/meminfo", {"DLENV_DEBUG": "1"}))
    err = capsys.readouterr().err
    assert err.startswith("dlenv: host probe failed:\nTraceback (most recent call last):\n")
    assert err.endswith("RuntimeError: unexpected\nkernel answer\n")


def test_without_debug_nothing_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    collect(_machine("/proc/meminfo", {"DLENV_DEBUG": "0"}))
    assert capsys.readouterr() == ("", "")


def test_probe_failure_reason_is_one_bounded_line() -> None:
    assert probe_failure("cuda", KeyError()) == "cuda probe failed: KeyError"
    long = probe_failure("cuda", OSError("x " * 500))
    assert long == "cuda probe failed: OSError: " + ("x " * 150).strip()


def test_the_snapshot_carries_the_gpu_pairs_and_the_new_host_and_driver_facts() -> None:
    system = healthy_gpu_box(gpus=2)
    system.nvml_report = replace(system.nvml_report, links=(NvmlLink(0, 1, topology=30),))
    snapshot = collect(system)
    assert snapshot.gpu_links == [GpuLink(0, 1, path="PHB")]
    assert (snapshot.host.efi_boot, snapshot.host.secure_boot) == (True, False)
    assert snapshot.host.shm_total_bytes == 32 << 30
    assert snapshot.driver.dkms.headers is True
    assert snapshot.visibility.nvidia_uvm_loaded is True
