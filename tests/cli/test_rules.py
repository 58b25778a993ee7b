from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dlenv.cli.app import app, main
from dlenv.rules import all_rules

runner = CliRunner()


def test_rules_lists_codes() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "DL101  error    driver-too-old-for-cuda-runtime"
    # one line per registered rule (the count grows as rules are added)
    assert len(lines) == len(all_rules())


def test_rules_explains_one_in_json() -> None:
    result = runner.invoke(app, ["rules", "dl303", "--format", "json"])
    data = json.loads(result.output)
    assert data["code"] == "DL303"
    assert data["docs_url"] == "https://dlenv.github.io/dlenv/rules/dl303/"
    assert list(data["doc"]) == ["What it checks", "Why it matters", "Example", "Fix"]


def test_rules_by_name() -> None:
    result = runner.invoke(app, ["rules", "nouveau-loaded"])
    assert result.output.startswith("DL104 nouveau-loaded (error, driver)\n\nWhat it checks:\n")


def test_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rules", "DL999"])
    assert exc.value.code == 2
    assert (
        capsys.readouterr().err == "dlenv: error: unknown rule 'DL999': `dlenv rules` lists them\n"
    )


def test_help_does_not_load_the_knowledge_base() -> None:
    code = (
        "import sys\n"
        "from dlenv.cli.app import app\n"
        "bad = [m for m in ('dlenv.kb.tables', 'dlenv.rules.driver', 'rich.table') "
        "if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"
