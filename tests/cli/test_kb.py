from __future__ import annotations

import json

from typer.testing import CliRunner

from dlenv.cli.app import app

runner = CliRunner()


def test_kb_lists_tables() -> None:
    result = runner.invoke(app, ["kb"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "driver      dlenv kb driver 12.4",
        "torch       dlenv kb torch 2.9.1+cu128",
        "tensorflow  dlenv kb tensorflow 2.16.1",
        "gpu         dlenv kb gpu NVIDIA GeForce RTX 4090",
        "cudnn       dlenv kb cudnn 9",
        "keras       dlenv kb keras jax",
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
        "unknown table 'nope': choose from driver, torch, tensorflow, gpu, cudnn, keras"
    )


def test_kb_no_match_exits_1() -> None:
    result = runner.invoke(app, ["kb", "gpu", "Voodoo5"])
    assert result.exit_code == 1
    assert result.output == "No row of the gpu table matches 'Voodoo5'.\n"


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
