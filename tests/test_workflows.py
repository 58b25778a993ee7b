"""The shipped GitHub Action and workflows, parsed and checked for structure.

PyYAML is not a dependency, so a strict reader for the block-style YAML subset these files use
(mappings, sequences, block scalars, flow lists, quoted scalars) parses them; anything outside
that subset fails the test rather than being misread.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dlenv.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
Yaml = Any


def _strip_comment(text: str) -> str:
    quote = None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] == " "):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text: str) -> Yaml:
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_scalar(p.strip()) for p in re.findall(r'\s*("[^"]*"|\'[^\']*\'|[^,]+)', inner)]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.startswith(("{", "&", "*", "!", ">", "|")):
        raise ValueError(f"outside the supported YAML subset: {text!r}")
    return text


def _split_key(text: str) -> tuple[str, str] | None:
    match = re.match(r"""^("[^"]*"|'[^']*'|[^\s"'#][^:]*?):(?:\s+(.*)|$)""", text)
    if not match:
        return None
    return str(_scalar(match[1])), (match[2] or "").strip()


class _Reader:
    def __init__(self, text: str) -> None:
        self.raw = text.split("\n")
        self.i = 0

    def peek(self) -> tuple[int, str] | None:
        while self.i < len(self.raw):
            line = _strip_comment(self.raw[self.i])
            if line.strip():
                return len(line) - len(line.lstrip(" ")), line.strip()
            self.i += 1
        return None

    def block_scalar(self, indent: int, style: str) -> str:
        lines = []
        while self.i < len(self.raw):
            line = self.raw[self.i]
            if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
                break
            lines.append(line)
            self.i += 1
        while lines and not lines[-1].strip():
            lines.pop()
        cut = min(len(x) - len(x.lstrip(" ")) for x in lines if x.strip())
        body = [x[cut:] for x in lines]
        if style.startswith(">"):
            return " ".join(x.strip() for x in body if x.strip())
        return "\n".join(body) + ("" if style.endswith("-") else "\n")

    def value_after(self, indent: int, rest: str) -> Yaml:
        if rest in ("|", "|-", ">", ">-"):
            return self.block_scalar(indent, rest)
        if rest:
            return _scalar(rest)
        nxt = self.peek()
        if nxt is None or nxt[0] < indent or (nxt[0] == indent and not nxt[1].startswith("-")):
            return None
        return self.node(nxt[0])

    def node(self, indent: int) -> Yaml:
        first = self.peek()
        assert first is not None and first[0] == indent
        if first[1] == "-" or first[1].startswith("- "):
            items = []
            while (cur := self.peek()) and cur[0] == indent and cur[1].startswith("-"):
                item = cur[1][1:].strip()
                if not item:
                    self.i += 1
                    items.append(self.node(self.peek()[0]))  # type: ignore[index]
                elif _split_key(item) and not item.startswith(("'", '"', "[")):
                    # "- key: value" opens a mapping indented past the dash
                    self.raw[self.i] = " " * (indent + 2) + item
                    items.append(self.node(indent + 2))
                else:
                    self.i += 1
                    items.append(_scalar(item))
            return items
        mapping: dict[str, Yaml] = {}
        while (cur := self.peek()) and cur[0] == indent and not cur[1].startswith("- "):
            split = _split_key(cur[1])
            if split is None:
                raise ValueError(f"line {self.i + 1}: not a key: {cur[1]!r}")
            key, rest = split
            if key in mapping:
                raise ValueError(f"line {self.i + 1}: duplicate key {key!r}")
            self.i += 1
            mapping[key] = self.value_after(indent, rest)
        return mapping


def load_yaml(text: str) -> Yaml:
    reader = _Reader(text)
    first = reader.peek()
    data = reader.node(first[0]) if first else None
    if reader.peek() is not None:
        raise ValueError(f"line {reader.i + 1}: unexpected indentation")
    return data


def test_the_yaml_reader() -> None:
    doc = load_yaml(
        "a: 1  # comment\nb:\n  - x\n  - k: v\n    m: 'q # not a comment'\nc: [p, \"r, s\"]\n"
        "d: |\n  line 1\n\n  line 2\ne: >-\n  folded\n  text\nf:\n- y\n"
    )
    assert doc == {
        "a": "1",
        "b": ["x", {"k": "v", "m": "q # not a comment"}],
        "c": ["p", "r, s"],
        "d": "line 1\n\nline 2\n",
        "e": "folded text",
        "f": ["y"],
    }
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        load_yaml("a: 1\na: 2\n")
    with pytest.raises(ValueError, match="outside the supported YAML subset"):
        load_yaml("a: &anchor 1\n")


def load(path: str) -> Yaml:
    return load_yaml((ROOT / path).read_text(encoding="utf-8"))


ACTION = "action.yml"
WORKFLOWS = [".github/workflows/ci.yml", "examples/workflows/gpu-runner.yml"]


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
    assert options == {"--github", "--junit", "--json", "--only", "--strict"}
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
