"""Every `dlenv …` command shown in the README and docs/ parses: its options exist and its
values are valid (each is run with `--help` appended, so nothing touches the machine); and every
`console` example in docs/ shows exactly what running it prints, on the machine described as data
that its `<!-- dlenv-example: ... -->` comment names (scripts/docs_examples.py)."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dlenv.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(bash|console|sh|shell)\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for lang, block in FENCE.findall(doc.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip()
                if lang == "console":  # only the typed commands, not their output
                    if not line.startswith("$ "):
                        continue
                    line = line[2:]
                # the dlenv part of a pipeline: `pbpaste | dlenv explain -`, `.venv/bin/dlenv …`
                match = re.search(r"(?:^|[|&;]\s*|/)dlenv\s(.*)", line)
                if not match:
                    continue
                command = re.split(r"\s(?:#|\||&&|;|>|<|2>)", " " + match.group(1))[0]
                found.append((doc.name, command.strip()))
    return found


EXAMPLES = _examples()


def test_the_docs_show_examples() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("doc", "command"), EXAMPLES, ids=[f"{d}: {c}" for d, c in EXAMPLES])
def test_documented_command_parses(
    doc: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = shlex.split(command)
    if argv in (["--version"], ["-V"]):
        return  # `dlenv --version` is covered by tests/test_startup.py
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    out, err = capsys.readouterr()
    assert exc.value.code == 0, f"{doc}: `dlenv {command}` does not parse:\n{err}"
    assert "Usage: dlenv" in out


# ---- every `console` example in docs/ is produced by running it (scripts/docs_examples.py)


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


docs_examples = _load_script("docs_examples")
CONSOLE = docs_examples.examples()


def test_the_docs_show_console_examples() -> None:
    assert len(CONSOLE) >= 5
    assert {e.doc.name for e in CONSOLE} >= {"index.md", "fix.md", "validating-gpu-runners.md"}


@pytest.mark.parametrize("example", CONSOLE, ids=[e.name for e in CONSOLE])
def test_console_example_output_is_what_dlenv_prints(example: Any) -> None:
    assert example.fixtures is not None, (
        f"{example.name}: say which machine it runs on: <!-- dlenv-example: FIXTURE --> "
        "(fixtures: tests/machines/docs.py)"
    )
    assert example.body == docs_examples.produce(example), (
        f"{example.name}: the output drifted; run scripts/docs_examples.py --write"
    )


def test_a_drifted_example_is_reported_and_rewritten(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "Intro.\n\n<!-- dlenv-example: bad-policy -->\n```console\n$ dlenv check\nold output\n```\n",
        encoding="utf-8",
    )
    [example] = docs_examples.examples([doc])
    assert example.fixtures == ("bad-policy",)
    produced = docs_examples.produce(example)
    assert produced == (
        "$ dlenv check\ndlenv: error: dlenv.toml: check.min_gpu: unknown key (did you mean "
        '"min_gpus"?); known keys: ' + produced.split("known keys: ", 1)[1]
    )
    assert produced != example.body


def test_an_example_without_a_machine_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text("```console\n$ dlenv doctor\n```\n", encoding="utf-8")
    [example] = docs_examples.examples([doc])
    with pytest.raises(ValueError, match="no `<!-- dlenv-example"):
        docs_examples.produce(example)
