"""Show the compatibility knowledge base: driver, torch, tensorflow, gpu, cudnn, keras, jax, pins.

Examples: `dlenv kb torch 2.9.1+cu128`, `dlenv kb driver 12.4`, `dlenv kb driver 570.133.07` (what
a driver runs), `dlenv kb gpu "NVIDIA GeForce RTX 4090"`, `dlenv kb pins tensorflow 2.15.0` (the
CUDA wheels a release pins on PyPI), and without a table `dlenv kb "DGX Spark"`, `dlenv kb
sm_120`, `dlenv kb 570.133.07`. A query that matches no row exits 1 and shows
the nearest rows. Each table ends with the date of its newest source.
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
        None,
        help="driver, torch, tensorflow, gpu, cudnn, keras, jax or pins (the CUDA wheels each "
        "release pins on PyPI); none: list the tables.",
    ),
    query: list[str] | None = typer.Argument(
        None, help="Keep rows containing all these words (e.g. 2.5, cu121, 'RTX 4090')."
    ),
    fmt: Format = typer.Option(
        Format.console,
        "--format",
        "-f",
        envvar="DLENV_FORMAT",
        help="console: a table; json: the rows as data.",
    ),
) -> None:
    from dlenv.kb.views import EXAMPLES, TABLES, nearest_rows, table_view

    if table is None:
        names = list(TABLES)
        if fmt is Format.json:
            typer.echo(json.dumps(names))
        else:
            width = max(map(len, names))
            typer.echo("\n".join(f"{n:<{width}}  dlenv kb {n} {EXAMPLES[n]}" for n in names))
        return
    text = " ".join(query or [])
    view = table_view(table, text)
    if fmt is Format.json:
        data = {"table": view.name, "title": view.title, "rows": view.rows}
        if view.note and view.note not in view.title:
            data["note"] = view.note
        if view.as_of:
            data["as_of"] = view.as_of
        typer.echo(json.dumps(data, indent=2))
        raise typer.Exit(0 if view.rows else 1)
    if not view.rows:
        typer.echo(f"No row of the {view.name} table matches {text!r}.")
        near = nearest_rows(view.name, text)
        if near:
            typer.echo("Nearest rows:")
            for row in near:
                typer.echo("  " + " | ".join(v for k, v in row.items() if k != "source"))
        else:
            typer.echo(f"No row shares a word with it; `dlenv kb {view.name}` lists the table.")
        raise typer.Exit(1)
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

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
        # cells are data, never Rich markup ("tensorflow-probability[tf]" prints whole)
        out.add_row(*(Text(row[c]) for c in columns), Text(f"[{sources.index(source) + 1}]"))
    console = Console(soft_wrap=False, highlight=False)
    if view.note and view.note not in view.title:
        console.print(view.note, markup=False, overflow="fold")
    console.print(out)
    for i, source in enumerate(sources, start=1):
        console.print(f"[{i}] {source}", markup=False, overflow="fold")
    if view.as_of:
        console.print(f"Newest source: {view.as_of}", markup=False, overflow="fold")
