from __future__ import annotations

import json

from typer.testing import CliRunner

from dlenv.cli.app import app

runner = CliRunner()


def test_kb_lists_tables() -> None:
    result = runner.invoke(app, ["kb"])
    assert result.exit_code == 0
    assert result.output == "driver\ntorch\ntensorflow\ngpu\ncudnn\nkeras\n"


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


def test_kb_no_match() -> None:
    result = runner.invoke(app, ["kb", "gpu", "Voodoo5"])
    assert result.exit_code == 0
    assert result.output == "No row of the gpu table matches 'Voodoo5'.\n"
