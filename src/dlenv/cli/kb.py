"""Show the compatibility knowledge base: driver, torch, tensorflow, gpu, cudnn, keras tables.

Examples: `dlenv kb torch 2.5`, `dlenv kb driver 12.4`, `dlenv kb gpu RTX 4090`.
"""

from __future__ import annotations

import json
from enum import Enum

import typer


class Format(str, Enum):
    console = "console"
    json = "json"


def kb(
    table: str | None = typer.Argument(
        None, help="driver, torch, tensorflow, gpu, cudnn or keras; none: list the tables."
    ),
    query: list[str] | None = typer.Argument(
        None, help="Keep rows containing all these words (e.g. 2.5, cu121, 'RTX 4090')."
    ),
    fmt: Format = typer.Option(
        Format.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: a table; json: the rows as data."
    ),
) -> None:
    from dlenv.kb.views import TABLES, table_view

    if table is None:
        names = list(TABLES)
        typer.echo(json.dumps(names) if fmt is Format.json else "\n".join(names))
        return
    view = table_view(table, " ".join(query or []))
    if fmt is Format.json:
        data = {"table": view.name, "title": view.title, "rows": view.rows}
        typer.echo(json.dumps(data, indent=2))
        return
    if not view.rows:
        typer.echo(f"No row of the {view.name} table matches {' '.join(query or [])!r}.")
        return
    from rich.console import Console
    from rich.table import Table

    # Sources are long URLs: number them under the table instead of squeezing a column.
    columns = [c for c in view.columns if c != "source"]
    sources: list[str] = []
    out = Table(title=view.title, show_lines=False)
    for column in columns:
        out.add_column(column.replace("_", " "), overflow="fold")
    out.add_column("src", justify="right")
    for row in view.rows:
        source = row.get("source", "")
        if source not in sources:
            sources.append(source)
        out.add_row(*(row[c] for c in columns), f"[{sources.index(source) + 1}]")
    console = Console(soft_wrap=False, highlight=False)
    console.print(out)
    for i, source in enumerate(sources, start=1):
        console.print(f"[{i}] {source}", markup=False, overflow="fold")
