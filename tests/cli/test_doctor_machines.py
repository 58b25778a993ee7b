"""`dlenv doctor` on machines described as data: each family's probe facts are shown, and a
fact that could not be read is shown as unknown, with the reason.

The machine is one of tests/machines/named.py, collected by the real probes and saved as a
report; the real CLI renders it again (`doctor --from … --verbose`), as a user would show a
report captured on the machine itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.cli.app import main
from dlenv.probes import collect
from dlenv.report.json import dump_report
from dlenv.report.model import make_report
from dlenv.rules import diagnose
from dlenv.snapshot.model import Snapshot
from tests.machines.named import MACHINES, snapshot_of


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("HOME", str(tmp_path))


def doctor(snapshot: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    saved = tmp_path / "report.json"
    saved.write_text(dump_report(make_report(snapshot, diagnose(snapshot))))
    with pytest.raises(SystemExit):
        main(["doctor", "--from", str(saved), "--verbose"])
    out, _ = capsys.readouterr()
    return " ".join(out.split())  # the table wraps long lines: compare words


FACTS = {
    # Secure Boot, the module files and headers for the running kernel, DKMS, loaded modules
    "secure-boot-rejects-module": [
        "boot UEFI, Secure Boot on",
        "kernel 6.8.0-31-generic: 4 nvidia module file(s), headers present",
        "dkms nvidia 535.161.07 for 6.8.0-31-generic",
        "modules loaded: no nvidia module",
    ],
    "dkms-not-built-for-new-kernel": [
        "boot UEFI, Secure Boot off",
        "kernel 6.1.0-21-cloud-amd64: 0 nvidia module file(s), no headers",
        "dkms nvidia 550.54.15 for 6.1.0-20-cloud-amd64",
    ],
    # nvidia loaded, nvidia_uvm not
    "sandbox-without-nvidia-uvm": ["modules loaded: nvidia ·"],
    "cuda-workstation": ["modules loaded: nvidia, nvidia_uvm"],
    # /dev/shm in a Kubernetes pod; the firmware a container cannot see
    "kubeflow-pod-with-small-shm": [
        "container: kubernetes",
        "/dev/shm 64 MiB, 0 MiB free",
        "boot unknown (/sys/firmware is hidden here (in kubernetes))",
        "kernel 5.15.0-105-generic: /lib/modules/5.15.0-105-generic absent (as in a container "
        "or under WSL: the kernel is the host's)",
    ],
    # IOMMU and the GPUs' topology and peer-to-peer status
    "iommu-on-multi-gpu": [
        "iommu units: dmar0, dmar1 · kernel flags: intel_iommu=on",
        "gpu 0-1 PIX · P2P read ok, write ok, NVLink not-supported",
    ],
    # the processes holding GPU memory
    "memory-held-by-leftover-processes": [
        "gpu 1 Tesla V100-SXM2-16GB · 15.8 GiB · sm_70 · 98% used · 1 process(es)",
        "pid 41231 python · 15.4 GiB",
    ],
}


@pytest.mark.parametrize("name", sorted(FACTS))
def test_doctor_shows_each_familys_probe_facts(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = doctor(snapshot_of(name), tmp_path, capsys)
    for fact in FACTS[name]:
        assert fact in out, fact


def test_facts_that_cannot_be_read_show_as_unknown_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workstation of cuda-workstation, locked down: /proc/modules, the EFI variables,
    /proc/cmdline and /sys/class unreadable, no /sys/module and no /dev/shm at all."""
    fs = MACHINES["cuda-workstation"]().system
    fs.unreadable |= {"/proc/modules", "/proc/cmdline", "/sys/class"}
    fs.unreadable |= {p for p in fs.files if p.startswith("/sys/firmware/efi/efivars/")}
    fs.dirs.discard("/dev/shm")
    for path in [p for p in fs.files if p.startswith("/sys/module/")]:
        del fs.files[path]
    snapshot = collect(fs)
    out = doctor(snapshot, tmp_path, capsys)
    assert "/dev/shm unknown (/dev/shm absent)" in out
    assert "Secure Boot unknown (" in out
    reason = snapshot.host.unknown["secure_boot"]
    assert f"Secure Boot unknown ({reason})" in out
    assert "? = unknown (" in out
    modules = snapshot.visibility.unknown.get("nvidia_modules")
    assert modules and f"modules unknown ({modules})" in out
    assert snapshot.gpus  # the rest of the machine still reads
