from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from dlenv.cli.app import app

runner = CliRunner()


def test_kb_lists_tables() -> None:
    result = runner.invoke(app, ["kb"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "driver      dlenv kb driver 570.133.07",
        "torch       dlenv kb torch 2.9.1+cu128",
        "tensorflow  dlenv kb tensorflow 2.16.1",
        "gpu         dlenv kb gpu NVIDIA GeForce RTX 4090",
        "cudnn       dlenv kb cudnn 9",
        "keras       dlenv kb keras jax",
        "jax         dlenv kb jax 0.9.2",
        "pins        dlenv kb pins torch 2.5.1",
    ]


def test_kb_gpu_query_json() -> None:
    result = runner.invoke(app, ["kb", "gpu", "RTX", "4090", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "table": "gpu",
        "title": "GPU compute capabilities",
        "rows": [
            {
                "gpu": "GeForce RTX 4090",
                "compute_capability": "8.9",
                "architecture": "Ada Lovelace",
                "source": "https://developer.nvidia.com/cuda-gpus",
            }
        ],
        "as_of": (
            "2026-09-10: NVIDIA H20 measured at compute capability 9.0 on real hardware "
            "(the other rows: developer.nvidia.com/cuda-gpus, undated) "
            "(https://github.com/RightNow-AI/AutoMegaKernel/pull/3)"
        ),
    }


def test_kb_torch_query_matches_whole_versions() -> None:
    result = runner.invoke(app, ["kb", "torch", "2.8", "-f", "json"])
    rows = json.loads(result.output)["rows"]
    assert [(r["torch"], r["variant"]) for r in rows] == [
        ("2.8", "cu126"),
        ("2.8", "cu128 (default)"),
        ("2.8", "cu129 (experimental)"),
    ]


def test_kb_driver_console_table() -> None:
    result = runner.invoke(app, ["kb", "driver", "12.4"])
    assert result.exit_code == 0
    assert "CUDA 12.4 GA" in result.output and ">=550.54.14" in result.output


def test_kb_unknown_table_is_a_usage_error() -> None:
    result = runner.invoke(app, ["kb", "nope"], standalone_mode=False)
    assert result.exit_code != 0
    assert str(result.exception) == (
        "unknown table 'nope': choose from driver, torch, tensorflow, gpu, cudnn, keras, jax, "
        "pins"
    )


def test_kb_no_match_exits_1() -> None:
    result = runner.invoke(app, ["kb", "gpu", "Voodoo5"])
    assert result.exit_code == 1
    assert result.output == (
        "No row of the gpu table matches 'Voodoo5'.\n"
        "No row shares a word with it; `dlenv kb gpu` lists the table.\n"
    )


def test_kb_no_match_shows_nearest_rows() -> None:
    result = runner.invoke(app, ["kb", "torch", "2.9", "cu999"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == ["No row of the torch table matches '2.9 cu999'.", "Nearest rows:"]
    assert lines[2].startswith("  2.9 | 3.10-3.14 | cu126 | 12.6 |")


def _rows(*argv: str) -> list[dict[str, str]]:
    result = runner.invoke(app, ["kb", *argv, "-f", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.output)["rows"]
    return rows


def test_kb_full_versions_and_tags() -> None:
    assert [r["variant"] for r in _rows("torch", "2.9.1")] == [
        "cu126",
        "cu128 (default)",
        "cu129 (experimental)",  # off-matrix, on download.pytorch.org/whl/cu129
        "cu130 (experimental)",
    ]
    assert [r["variant"] for r in _rows("torch", "2.9.1+cu128")] == ["cu128 (default)"]
    assert [r["tensorflow"] for r in _rows("tensorflow", "2.16.1")] == ["2.16"]
    assert {r["torch"] for r in _rows("torch", "latest")} == {"2.14"}
    assert [r["variant"] for r in _rows("torch", "1.2.0")] == ["cu92", "cu100 (default)"]


def test_kb_gpu_uses_the_probes_matcher() -> None:
    assert [r["gpu"] for r in _rows("gpu", "NVIDIA", "GeForce", "RTX", "4090")] == [
        "GeForce RTX 4090"
    ]
    assert [r["gpu"] for r in _rows("gpu", "4090")] == ["GeForce RTX 4090"]
    assert [r["gpu"] for r in _rows("gpu", "DGX", "Spark")] == ["GB10"]
    assert [r["gpu"] for r in _rows("gpu", "Jetson", "Nano")] == ["Jetson Nano"]
    assert [r["gpu"] for r in _rows("gpu", "A100-SXM4-80GB")] == ["A100"]
    assert {r["compute_capability"] for r in _rows("gpu", "sm_120")} >= {"12.0"}
    assert "GeForce RTX 3070" in [r["gpu"] for r in _rows("gpu", "compute", "8.6")]


def test_kb_cells_are_not_rich_markup() -> None:
    result = runner.invoke(app, ["kb", "keras"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "tensorflow-probability[tf]" in result.output


def test_kb_driver_version_says_what_it_runs() -> None:
    result = runner.invoke(app, ["kb", "driver", "570.133.07", "-f", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["title"] == "What NVIDIA driver 570.133.07 runs (Linux)"
    assert data["note"] == (
        "NVIDIA driver 570.133.07 (Linux) runs CUDA toolkits up to 12.8, "
        "and code built with any CUDA 12.x or 11.x"
    )
    rows = {(r["framework"], r["release"]): r for r in data["rows"]}
    assert rows["torch", "2.11"]["builds_it_runs"] == "cu126 cu128"
    assert rows["torch", "2.11"]["needs_newer_driver"] == "cu130"
    assert rows["tensorflow", "2.21"]["builds_it_runs"] == "CUDA 12.5"


def test_kb_driver_version_on_windows_checks_cuda_13() -> None:
    rows = _rows("driver", "576.57", "windows")
    fits = {(r["framework"], r["release"]): r for r in rows}
    assert fits["torch", "2.14"]["needs_newer_driver"] == "cu130 cu132"
    assert fits["torch", "2.14"]["builds_it_runs"] == "cu126"


def test_kb_cuda_version_shows_the_floor_the_rules_enforce() -> None:
    result = runner.invoke(app, ["kb", "cuda", "12.4", "-f", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [(r["cuda"], r["linux"], r["windows"]) for r in data["rows"]] == [
        ("12.4.1", ">=550.54.15", ">=551.78"),
        ("12.4.0", ">=550.54.14", ">=551.61"),
        ("12.x", ">=525.60.13", ">=528.33 (cuDNN matrix: >=527.41)"),
    ]
    assert data["note"].startswith(
        "code built with CUDA 12.4 runs on drivers >=525.60.13 (Linux, Windows >=528.33)"
    )
    # the same floor DL101 applies
    from dlenv.kb.queries import driver_requirement

    req = driver_requirement("12.4", "Windows")
    assert req is not None and req.minimum == "528.33"


def test_kb_cuda_13_4_and_13_5_rows_say_their_driver_is_unknown() -> None:
    rows = _rows("driver", "13.4")
    assert [(r["cuda"], r["linux"]) for r in rows] == [
        ("13.4.2", "unknown"),
        ("13.4.1", "unknown"),
        ("13.x", ">=580.65.06"),
    ]
    assert [r["release"] for r in _rows("driver", "13.5")] == [
        "CUDA 13.5 GA",
        "minor-version compatibility (the floor dlenv's rules enforce)",
    ]


def test_kb_tables_show_the_date_of_their_newest_source() -> None:
    result = runner.invoke(app, ["kb", "torch", "2.14"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    last = result.output.splitlines()[-1]
    assert last.startswith("Newest source: 2026-09-04: PyTorch 2.15 CUDA 12.6 notice")
    data = json.loads(runner.invoke(app, ["kb", "driver", "-f", "json"]).output)
    assert data["as_of"].startswith("2026-09-09: CUDA Toolkit 13.4 GA (13.4.1) release notes")


def test_kb_torch_2_15_is_announced_without_cu126() -> None:
    rows = _rows("torch", "2.15")
    assert [r["variant"] for r in rows] == ["cu130 (announced)", "cu132 (default) (announced)"]
    assert {r["python"] for r in rows} == {"not announced"}


def test_kb_torch_2_5_cu124_has_no_ptx() -> None:
    (row,) = _rows("torch", "2.5.1+cu124")
    assert row["arch"] == "sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90"
    assert row["source"] == (
        "https://github.com/pytorch/builder/blob/aec5fb5de2380a9084f4bb430eec4e576066a17c/"
        "manywheel/build_cuda.sh"
    )


def test_kb_cudnn_release_rows() -> None:
    rows = _rows("cudnn", "9.10.2", "12.8")
    assert [(r["linux"], r["windows"]) for r in rows] == [
        (">=570.26", ">=570.65"),
        (">=525.60.13", ">=527.41"),
    ]
    assert "12.0" in rows[0]["compute_capability"].split()
    assert "12.0" not in rows[1]["compute_capability"].split()


def test_kb_keras_release_rows() -> None:
    (row,) = _rows("keras", "3.13.0")
    assert row["what"] == "released 2025-12-17, Python >=3.11"
    assert row["provided_by"] == (
        "tensorflow >=2.16.1, jax >=0.4.20, torch >=2.1.0, openvino >=2025.3.0"
    )
    assert row["source"].startswith("https://github.com/keras-team/keras/blob/v3.13.0/README.md")


def test_kb_jax_table() -> None:
    (row,) = _rows("jax", "0.8.0")
    assert (row["python"], row["plugins"]) == (">=3.11", "jax-cuda12-plugin jax-cuda13-plugin")
    assert row["min_gpu"] == "cuda12: sm 5.2 cuda13: sm 7.5"
    (old,) = _rows("jax", "0.6.0")
    assert (old["plugins"], old["cudnn"]) == ("jax-cuda12-plugin", ">=9.8,<10.0")


def test_kb_every_table_shows_a_dated_newest_source() -> None:
    for table, query in (
        ("driver", "12.4"),
        ("driver", "570.133.07"),
        ("torch", "2.9"),
        ("tensorflow", "2.21"),
        ("gpu", "NVIDIA GeForce RTX 4090"),
        ("gpu", "sm_120"),
        ("cudnn", "9.17.0"),
        ("keras", "3.15.0"),
        ("jax", "0.9.2"),
        ("pins", "torch 2.5.1"),
    ):
        result = runner.invoke(app, ["kb", table, *query.split()], env={"COLUMNS": "400"})
        assert result.exit_code == 0, (table, query, result.output)
        last = result.output.splitlines()[-1]
        assert re.match(r"Newest source: 20\d\d-\d\d-\d\d: .+ \(https://", last), (table, last)


def test_kb_version_prints_the_newest_table_date() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    # the causes of recognised messages (cause_priors.json) were counted on 2026-12-07
    assert "knowledge base: 2026-12-07 (its newest dated source)" in result.output


def test_kb_ptx_rows_and_their_sources() -> None:
    (row,) = _rows("torch", "2.8.0+cu129")
    assert row["arch"].endswith("sm_120 compute_120")
    assert "00c7a380b8369d08e02dd400aa76dc6c0738b589/.ci/manywheel/build_cuda.sh" in row["source"]
    (row,) = _rows("torch", "2.10.0+cu130")
    assert row["arch"].endswith("sm_120 compute_120")
    (row,) = _rows("torch", "2.11.0+cu130")
    assert not row["arch"].endswith("compute_120")


def test_kb_off_matrix_cu129_rows() -> None:
    assert [(r["variant"], r["arch"], r["source"]) for r in _rows("torch", "2.10", "cu129")] == [
        ("cu129 (experimental)", "unverified", "https://github.com/rapidsai/rmm/pull/2541")
    ]
    for version in ("2.11", "2.12"):
        (row,) = _rows("torch", version, "cu129")
        assert (row["variant"], row["arch"]) == ("cu129 (unknown)", "unknown whether published")


def test_kb_h20_and_pasted_gpu_names() -> None:
    assert [(r["gpu"], r["compute_capability"]) for r in _rows("gpu", "NVIDIA H20")] == [
        ("H20", "9.0")
    ]
    assert [r["gpu"] for r in _rows("gpu", "NVIDIA H200")] == ["H200"]


def test_kb_without_a_table_places_gpus_and_drivers() -> None:
    assert [r["gpu"] for r in _rows("DGX Spark")] == ["GB10"]
    assert [r["gpu"] for r in _rows("NVIDIA", "GeForce", "RTX", "4090")] == ["GeForce RTX 4090"]
    assert [r["gpu"] for r in _rows("4090")] == ["GeForce RTX 4090"]
    assert "12.0" in {r["compute_capability"] for r in _rows("sm_120")}
    result = runner.invoke(app, ["kb", "570.133.07", "-f", "json"])
    assert json.loads(result.output)["title"] == "What NVIDIA driver 570.133.07 runs (Linux)"
    result = runner.invoke(app, ["kb", "Voodoo5"], standalone_mode=False)
    assert result.exit_code != 0
    assert str(result.exception).startswith("unknown table 'Voodoo5'")


def test_kb_dgx_spark_through_the_real_cli() -> None:
    # a real subprocess: exit code and output as a user sees them
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "kb", "DGX Spark", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [r["gpu"] for r in json.loads(proc.stdout)["rows"]] == ["GB10"]
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "kb", "gpu", "Voodoo5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", "kb", "Voodoo5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_kb_pins_shows_what_a_release_pins_on_pypi() -> None:
    result = runner.invoke(app, ["kb", "pins", "tensorflow", "2.15.1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (row,) = data["rows"]
    assert row["package"] == "tensorflow[and-cuda]" and row["version"] == "2.15.1"
    assert row["cudnn"] == "cudnn-cu12==8.9.4.25"
    assert "nvidia-nccl-cu12==2.16.5" in row["all_pins"].split()
    assert row["source"] == "https://pypi.org/project/tensorflow/2.15.1/"
    assert data["as_of"].startswith("2026-12-06: PyPI metadata")
    assert runner.invoke(app, ["kb", "pins", "torch", "3.0.0"]).exit_code == 1
