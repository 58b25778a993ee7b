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
