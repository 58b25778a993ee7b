"""Tests for dlenv.probes.nvidia_smi: the one query's fields, its CSV, and its exit codes."""

from __future__ import annotations

from dlenv.probes.nvidia_smi import (
    BASE_FIELDS,
    COMPUTE_CAP_FIELD,
    SmiQuery,
    parse_query_csv,
    query_fields,
    query_nvidia_smi,
)
from dlenv.system.fake import Command
from tests.machines.gpu import SMI, add_smi, healthy_gpu_box, linux_host


def test_compute_cap_is_asked_only_of_drivers_known_to_have_it() -> None:
    assert query_fields("535.104.05") == (*BASE_FIELDS, COMPUTE_CAP_FIELD)
    assert query_fields("470.239.06") == BASE_FIELDS
    assert query_fields(None) == BASE_FIELDS


def test_non_row_lines_are_kept_as_messages() -> None:
    gpus, messages = parse_query_csv(
        "No devices were found\n\n0, only, two\n", ("index", "name", "uuid", "pci.bus_id")
    )
    assert gpus == []
    assert messages == ["No devices were found", "0, only, two"]


def test_garbled_binary_output_is_a_printable_message_not_a_row() -> None:
    fields = ("index", "name", "uuid", "pci.bus_id")
    garbage = "0\x00, \x1b[2J\ufffd, x, y\n\x07bell\n"
    gpus, messages = parse_query_csv(garbage, fields)
    assert gpus == []
    assert messages == ["0?, ?[2J?, x, y", "?bell"]


def test_bare_err_nan_and_inf_cells_are_unknown_not_values() -> None:
    fields = ("index", "name", "memory.total", "power.draw", "temperature.gpu", "mig.mode.current")
    gpus, messages = parse_query_csv("0, ERR!, inf, nan, 1e999, Unknown Error\n²\n", fields)
    assert messages == ["²"]
    assert [(g.index, g.name, g.memory_total_mib, g.power_w, g.temperature_c) for g in gpus] == [
        (0, None, None, None, None)
    ]
    assert gpus[0].mig_mode is None
    assert gpus[0].unknown == {
        "name": "nvidia-smi reported ERR! for name",
        "memory_total_mib": "nvidia-smi reported 'inf' for memory.total",
        "power_w": "nvidia-smi reported 'nan' for power.draw",
        "temperature_c": "nvidia-smi reported '1e999' for temperature.gpu",
        "mig_mode": "nvidia-smi reported Unknown Error for mig.mode.current",
        "uuid": "nvidia-smi was not asked for uuid (older driver)",
        "pci_bus_id": "nvidia-smi was not asked for pci.bus_id (older driver)",
        "memory_used_mib": "nvidia-smi was not asked for memory.used (older driver)",
        "memory_free_mib": "nvidia-smi was not asked for memory.free (older driver)",
        "compute_capability": "nvidia-smi was not asked for compute_cap (older driver)",
        "persistence_mode": "nvidia-smi was not asked for persistence_mode (older driver)",
        "power_limit_w": "nvidia-smi was not asked for power.limit (older driver)",
        "ecc_uncorrectable": (
            "nvidia-smi was not asked for ecc.errors.uncorrected.aggregate.total (older driver)"
        ),
        "retired_pages": "nvidia-smi was not asked for retired_pages.dbe (older driver)",
        "processes": "nvidia-smi's GPU query does not count processes",
    }


def test_no_devices_found_exit_6() -> None:
    fs = linux_host()
    add_smi(fs, "535.104.05", Command(stdout="No devices were found\n", returncode=6))
    assert query_nvidia_smi(fs, SMI, 5.0, "535.104.05") == SmiQuery(
        path=SMI,
        returncode=6,
        error="No devices were found",
        detail="exit code 6: a query to find an object was unsuccessful",
    )


def test_unknown_exit_code_without_output() -> None:
    fs = linux_host()
    add_smi(fs, None, Command(returncode=77))
    assert query_nvidia_smi(fs, SMI, 5.0) == SmiQuery(
        path=SMI, returncode=77, error="nvidia-smi exited with 77"
    )


def test_killed_by_a_signal() -> None:
    fs = linux_host()
    add_smi(fs, None, Command(returncode=-11))
    assert query_nvidia_smi(fs, SMI, 5.0).error == "nvidia-smi was killed by signal 11"


def test_healthy_answer_has_no_error_and_the_driver_version() -> None:
    fs = healthy_gpu_box(gpus=2)
    rows = "0, A, GPU-a, 00000000:18:00.0, 535.104.05, 1, 1, 0, Enabled, Disabled, 30, 60.50, 400.00, 0, 0, 0, 8.0\n"
    add_smi(fs, "535.104.05", Command(stdout=rows))
    query = query_nvidia_smi(fs, SMI, 5.0, "535.104.05")
    assert (query.error, query.detail, query.driver_version, query.mismatch) == (
        None,
        None,
        "535.104.05",
        False,
    )
    assert [(g.index, g.compute_capability, g.power_w) for g in query.gpus] == [(0, "8.0", 60.5)]
