"""The shipped GitHub Action and workflows, parsed and checked for structure.

PyYAML (a test dependency) parses them; run steps are checked with `bash -n`, and every option
the action passes must exist on `dlenv check`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dlenv.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
Yaml = Any


def load(path: str) -> Yaml:
    doc = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the bare key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


ACTION = "action.yml"
WORKFLOWS = [
    ".github/workflows/ci.yml",
    ".github/workflows/docs.yml",
    "examples/workflows/gpu-runner.yml",
]


def steps_of(doc: Yaml) -> list[dict[str, Yaml]]:
    if "runs" in doc:
        return list(doc["runs"]["steps"])
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def _bash_syntax(script: str) -> None:
    # GitHub expressions are substituted before bash runs; any word will do for a syntax check
    text = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr


def test_action_is_a_composite_action() -> None:
    action = load(ACTION)
    assert set(action) == {"name", "description", "author", "branding", "inputs", "outputs", "runs"}
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "policy",
        "frameworks",
        "python",
        "allow-unknown",
        "strict",
        "version",
        "installer-python",
        "artifact-name",
    }
    for spec in action["inputs"].values():
        assert set(spec) == {"description", "required", "default"}
    text = (ROOT / ACTION).read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) == set(action["inputs"])
    for step in steps_of(action):
        if "run" in step:
            assert step["shell"] == "bash"  # composite run steps must name their shell
            _bash_syntax(step["run"])
        else:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"])


def test_action_installs_runs_uploads_and_fails() -> None:
    install, check, upload = steps_of(load(ACTION))
    assert 'pip install -q --disable-pip-version-check "$DLENV_ACTION_PATH"' in install["run"]
    assert '"dlenv==$DLENV_VERSION"' in install["run"]
    assert install["env"]["DLENV_ACTION_PATH"] == "${{ github.action_path }}"
    assert check["id"] == "check" and 'exit "$code"' in check["run"]
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] == "always()"
    assert upload["with"]["path"].splitlines() == [
        "${{ runner.temp }}/dlenv-check.json",
        "${{ runner.temp }}/dlenv-check.xml",
    ]
    # every option the action passes exists on `dlenv check`
    options = set(re.findall(r"(--[a-z][a-z-]+)", check["run"]))
    assert options == {"--github", "--junit", "--json", "--only", "--allow-unknown"}
    help_text = CliRunner().invoke(app, ["check", "--help"], env={"COLUMNS": "200"}).output
    for option in options:
        assert option in help_text


@pytest.mark.parametrize("path", WORKFLOWS)
def test_workflows_are_well_formed(path: str) -> None:
    doc = load(path)
    assert {"name", "on", "jobs"} <= set(doc)
    inputs = set(load(ACTION)["inputs"])
    for name, job in doc["jobs"].items():
        assert job["runs-on"], name
        assert int(job["timeout-minutes"]) > 0
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
            if "run" in step:
                _bash_syntax(step["run"])
            elif step["uses"] in ("./", "dlenv/dlenv@v1"):
                assert set(step.get("with", {})) <= inputs
            else:
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_ci_runs_the_test_script_on_every_python() -> None:
    ci = load(".github/workflows/ci.yml")
    test = ci["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert [s["run"] for s in test["steps"] if "run" in s][-1] == "./scripts/test.sh -q"
    assert any(s.get("uses") == "./" for s in ci["jobs"]["action"]["steps"])


def test_the_example_checks_the_runner_before_its_tests() -> None:
    (job,) = load("examples/workflows/gpu-runner.yml")["jobs"].values()
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    names = [s.get("uses") or s["run"].split()[0] for s in job["steps"]]
    assert names.index("dlenv/dlenv@v1") < len(names) - 1


def test_workflow_references_resolve() -> None:
    """What actionlint would catch first (it is a Go binary, not installable here from PyPI or
    Debian): `needs` names a job of the workflow, `steps.ID` a step of the same job."""
    for path in WORKFLOWS:
        doc = load(path)
        for name, job in doc["jobs"].items():
            needs = job.get("needs", [])
            for need in [needs] if isinstance(needs, str) else needs:
                assert need in doc["jobs"], f"{path}: {name} needs unknown job {need}"
            ids = {s["id"] for s in job.get("steps", []) if "id" in s}
            text = yaml.safe_dump(job)
            for ref in re.findall(r"steps\.([\w-]+)\.", text):
                assert ref in ids, f"{path}: {name} refers to unknown step {ref}"


def test_docs_workflow_builds_strictly_and_deploys_main_to_pages() -> None:
    docs = load(".github/workflows/docs.yml")
    assert docs["on"]["push"]["branches"] == ["main"] and "pull_request" in docs["on"]
    assert docs["permissions"] == {"contents": "read"}
    build, deploy = docs["jobs"]["build"], docs["jobs"]["deploy"]
    runs = [s["run"] for s in build["steps"] if "run" in s]
    assert 'python -m pip install -q ".[docs]"' in runs
    assert "mkdocs build --strict --site-dir site" in runs
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "site"
    main_only = "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    assert upload["if"] == main_only and deploy["if"] == main_only
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v4"]
