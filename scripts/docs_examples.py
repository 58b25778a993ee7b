#!/usr/bin/env python3
"""Run the `console` examples of docs/*.md and compare (or rewrite) their output.

Every ```console block in docs/ is produced by running it. The comment just above a block
names the fixtures its working directory holds (machines described as data, policy files:
tests/machines/docs.py):

    <!-- dlenv-example: old-driver -->
    ```console
    $ dlenv doctor --from old-driver.json
    ...output...
    ```

Each `$ dlenv ...` line runs as a real `python -m dlenv` process in an empty temporary directory
with those files, NO_COLOR=1, COLUMNS=88 and HOME pointed there; stdout and stderr are shown
together, as a terminal shows them, with the temporary directory's path removed.

    scripts/docs_examples.py            # exit 1 and a diff when an example's output drifted
    scripts/docs_examples.py --write    # rewrite the blocks with the real output
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WIDTH = 88
BLOCK = re.compile(
    r"(?P<marker><!-- dlenv-example:(?P<fixtures>[^>]*)-->\n)?```console\n(?P<body>.*?)```",
    re.S,
)


@dataclass(frozen=True)
class Example:
    doc: Path
    fixtures: tuple[str, ...] | None  # None: the block has no dlenv-example comment
    body: str  # the block as written, commands and output
    start: int  # where the body starts in the file
    end: int

    @property
    def commands(self) -> list[str]:
        return [line[2:] for line in self.body.splitlines() if line.startswith("$ ")]

    @property
    def name(self) -> str:
        first = self.commands[0] if self.commands else "?"
        doc = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc
        return f"{doc}: {first}"


def examples(docs: list[Path] | None = None) -> list[Example]:
    found = []
    for doc in docs or sorted((ROOT / "docs").glob("**/*.md")):
        text = doc.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            fixtures = (
                tuple(f.strip() for f in m.group("fixtures").split(",") if f.strip())
                if m.group("marker")
                else None
            )
            found.append(Example(doc, fixtures, m.group("body"), m.start("body"), m.end("body")))
    return found


def _run_one(command: str, cwd: Path) -> str:
    argv = shlex.split(command)
    if not argv or argv[0] != "dlenv":
        raise ValueError(f"an example runs dlenv, not {command!r}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DLENV_", "GITHUB_"))}
    env.update(
        {
            "NO_COLOR": "1",
            "COLUMNS": str(WIDTH),
            "TERM": "dumb",
            "SHELL": "/bin/bash",
            "HOME": str(cwd),
            "XDG_CONFIG_HOME": str(cwd / ".config"),
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "dlenv", *argv[1:]],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
    )
    out = proc.stdout.replace(f"{cwd}{os.sep}", "").replace(str(cwd), ".")
    lines = [line.rstrip() for line in out.splitlines()]
    return "\n".join(lines).strip("\n")


def produce(example: Example) -> str:
    """The block's body as running its commands produces it."""
    from tests.machines.docs import FIXTURES

    if example.fixtures is None:
        raise ValueError(f"{example.name}: no `<!-- dlenv-example: ... -->` comment above it")
    unknown = [f for f in example.fixtures if f not in FIXTURES]
    if unknown:
        raise ValueError(f"{example.name}: unknown fixture {unknown[0]!r}")
    if not example.commands:
        raise ValueError(f"{example.name}: no `$ dlenv ...` line")
    parts = []
    with tempfile.TemporaryDirectory(prefix="dlenv-example-") as tmp:
        cwd = Path(os.path.realpath(tmp))
        for fixture in example.fixtures:
            for filename, make in FIXTURES[fixture].items():
                (cwd / filename).write_text(make(), encoding="utf-8")
        for command in example.commands:
            output = _run_one(command, cwd)
            parts.append(f"$ {command}" + (f"\n{output}" if output else ""))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    write = "--write" in argv
    drifted = 0
    updates: dict[Path, list[tuple[int, int, str]]] = {}
    for example in examples():
        new = produce(example)
        if new == example.body:
            continue
        drifted += 1
        if write:
            updates.setdefault(example.doc, []).append((example.start, example.end, new))
        else:
            sys.stdout.writelines(
                difflib.unified_diff(
                    example.body.splitlines(True), new.splitlines(True), example.name, "ran"
                )
            )
    for doc, changes in updates.items():
        text = doc.read_text(encoding="utf-8")
        for start, end, new in sorted(changes, reverse=True):
            text = text[:start] + new + text[end:]
        doc.write_text(text, encoding="utf-8")
    if drifted and not write:
        print(f"{drifted} example(s) drifted: rerun with --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
