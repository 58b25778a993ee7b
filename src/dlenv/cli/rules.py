"""List the diagnosis rules, or explain one (`dlenv rules DL101`).

Each rule's text is the same as in docs/rules.md.
"""

from __future__ import annotations

import json
from enum import Enum

import typer

from dlenv.errors import DlenvError


class Format(str, Enum):
    console = "console"
    json = "json"


def rules(
    code: str | None = typer.Argument(None, help="A rule code (DL101) or name to explain."),
    fmt: Format = typer.Option(
        Format.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: a table (or one rule's text); json: the same as data."
    ),
) -> None:
    from dlenv.rules import all_rules, get_rule
    from dlenv.rules.docs import sections

    if code is None:
        chosen = all_rules()
    else:
        found = get_rule(code)
        if found is None:
            raise DlenvError(f"unknown rule {code!r}: `dlenv rules` lists them")
        chosen = [found]
    if fmt is Format.json:
        data = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity,
                "area": r.area,
                "docs_url": r.docs_url,
                **({"doc": sections(r)} if code else {}),
            }
            for r in chosen
        ]
        typer.echo(json.dumps(data if code is None else data[0], indent=2))
        return
    if code is None:
        for r in chosen:
            typer.echo(f"{r.code}  {r.severity:<7}  {r.name}")
        return
    r = chosen[0]
    typer.echo(f"{r.code} {r.name} ({r.severity}, {r.area})\n")
    for name, text in sections(r).items():
        typer.echo(f"{name}:")
        typer.echo(f"  {text}\n")
    typer.echo(f"Docs: {r.docs_url}")
