"""List the diagnosis rules, or explain one (`dlenv rules DL101`).

Each rule's text is the same as on its page of the documentation site; `--open` opens that
page in the web browser (the BROWSER environment variable chooses which).
"""

from __future__ import annotations

import json
from enum import Enum

import typer

from dlenv.errors import DlenvError


def _open(url: str) -> None:
    import webbrowser

    typer.echo(f"Opening {url}")
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        raise DlenvError(f"no web browser could be started: open {url} yourself")


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
    open_page: bool = typer.Option(
        False,
        "--open",
        help="Open the rule's page on the documentation site in the web browser (the BROWSER "
        "environment variable chooses which); without a CODE: the index of the rules.",
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
    if open_page:
        from dlenv.rules.registry import DOCS_BASE

        _open(chosen[0].docs_url if code is not None else f"{DOCS_BASE}/")
        return
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
