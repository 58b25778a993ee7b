"""Every `dlenv …` command shown in the README and docs/ parses: its options exist and its
values are valid (each is run with `--help` appended, so nothing touches the machine)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

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
