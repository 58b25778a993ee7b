"""The merged fleet as text: console (plain, greppable), Markdown, JSON and a standalone HTML page.

Renderers never judge: they show a finished `Fleet`. Every string from a report is made visible
first (`dlenv.report.visible`), and escaped for Markdown tables and HTML on top.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

from dlenv.check.model import OUTCOME_WORDS
from dlenv.check.text import MARKS, requirement_line
from dlenv.fleet.hostlist import compress
from dlenv.fleet.model import FactDrift, Fleet, FleetVerdict
from dlenv.report.visible import visible

SEVERITY_MARKS = {"error": "✗", "warning": "!", "info": "·"}
NODE_TEXT_LIMIT = 160  # characters of a node list on one line before it is cut


def nodes_text(names: list[str], limit: int = NODE_TEXT_LIMIT) -> str:
    """The hostlist of `names`, cut at a comma past `limit` (`… and N more`)."""
    text = compress(names)
    if len(text) <= limit:
        return text
    cut = text.rfind(",", 0, limit)
    shown = text[: cut if cut > 0 else limit]
    return f"{shown}, … ({len(names)} nodes)"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def headline(fleet: Fleet) -> str:
    parts = [_count(len(fleet.nodes), "node")]
    kinds = {"unreadable": 0, "duplicate": 0, "partial": 0}
    for p in fleet.problems:
        kinds[p.kind] += 1
    parts += [f"{n} {kind}" for kind, n in kinds.items() if n]
    drifting = sum(d.drifts for d in fleet.drift)
    parts.append(f"{drifting} of {len(fleet.drift)} facts differ")
    return "dlenv fleet: " + ", ".join(parts)


def verdict_line(verdict: FleetVerdict, nodes: int) -> str:
    failed = [c for c in verdict.consistency if c.requirement.outcome != "pass"]
    if verdict.passed:
        return f"PASSED: {_count(nodes, 'node')} meet the policy and agree"
    parts = [f"{len(verdict.failed_nodes)} of {_count(nodes, 'node')} fail"]
    if failed:
        parts.append(f"{_count(len(failed), 'fleet rule')} not met")
    return "FAILED: " + ", ".join(parts)


def visible_fleet(fleet: Fleet) -> Fleet:
    """The fleet with every string made visible, as `dlenv.report.visible.visible_object` makes
    it, in time that grows with the distinct strings and tables: each string is escaped once,
    a table nodes share is walked once, and what needs no escape is the same object."""
    strings: dict[str, str] = {}
    seen: dict[int, Any] = {}

    def shown(obj: Any) -> Any:
        if isinstance(obj, str):
            text = strings.get(obj)
            if text is None:
                text = strings[obj] = visible(obj)
            return obj if len(text) == len(obj) else text  # an escape is never shorter
        if not isinstance(obj, dict | list | tuple) and not dataclasses.is_dataclass(obj):
            return obj
        done = seen.get(id(obj))
        if done is not None:
            return done[1]
        new: Any
        if isinstance(obj, dict):
            items = [(shown(k), shown(v)) for k, v in obj.items()]
            same = all(a is k and b is v for (a, b), (k, v) in zip(items, obj.items(), strict=True))
            new = obj if same else dict(items)
        elif isinstance(obj, list | tuple):
            values = [shown(v) for v in obj]
            same = all(a is b for a, b in zip(values, obj, strict=True))
            new = obj if same else type(obj)(values)
        else:
            instance: Any = obj  # a dataclass instance (is_dataclass also admits classes)
            changes = {}
            for f in dataclasses.fields(instance):
                value = getattr(instance, f.name)
                after = shown(value)
                if after is not value:
                    changes[f.name] = after
            new = dataclasses.replace(instance, **changes) if changes else obj
        seen[id(obj)] = (obj, new)  # holds obj: its id is not reused during the walk
        return new

    result: Fleet = shown(fleet)
    return result


# -- console ------------------------------------------------------------------------------------
def render_console(fleet: Fleet, *, verbose: bool = False) -> str:
    fleet = visible_fleet(fleet)
    lines = [headline(fleet), ""]
    width = max(len(d.title) for d in fleet.drift) + 2
    drifting = [d for d in fleet.drift if d.drifts]
    if drifting:
        lines.append("Drift: the value most nodes have, then the nodes that differ")
        for d in drifting:
            lines += _drift_lines(d, width, verbose)
        lines.append("")
    uniform = [d for d in fleet.drift if not d.drifts]
    if uniform:
        lines.append("Same on every node")
        lines += [f"  {d.title:<{width}}{d.majority.value}" for d in uniform]
        lines.append("")
    if fleet.findings:
        lines.append("Findings across nodes")
        for g in fleet.findings:
            if g.severity == "info" and not verbose:
                continue
            where = "every node" if len(g.nodes) == len(fleet.nodes) else nodes_text(g.nodes)
            lines.append(
                f"  {SEVERITY_MARKS[g.severity]} {g.code} {g.name} ({g.severity}) on "
                f"{_count(len(g.nodes), 'node')}: {where}"
            )
            lines.append(f"      {g.title}")
        lines.append("")
    if fleet.problems:
        lines.append("Reports left out or partial")
        for p in fleet.problems:
            if p.kind == "partial" and not verbose:
                continue
            lines.append(f"  {p.source}: {p.kind}: {p.message}")
        partial = sum(p.kind == "partial" for p in fleet.problems)
        if partial and not verbose:
            lines.append(
                f"  {_count(partial, 'partial report')}: some facts could not be "
                "read (--verbose lists them)"
            )
        lines.append("")
    if fleet.verdict is not None:
        lines += _verdict_lines(fleet)
    return "\n".join(lines).rstrip("\n") + "\n"


MAX_VALUES_SHOWN = 10  # per fact on the console; --verbose and the other formats show all


def _drift_lines(d: FactDrift, width: int, verbose: bool) -> list[str]:
    lines = [f"  {d.title:<{width}}{d.majority.value} on {len(d.majority.nodes)} of {d.total}"]
    pad = " " * (width + 2)
    shown = d.others if verbose else d.others[:MAX_VALUES_SHOWN]
    lines += [f"{pad}{v.value} on {nodes_text(v.nodes)}" for v in shown]
    if len(shown) < len(d.others):
        rest = d.others[len(shown) :]
        nodes = sum(len(v.nodes) for v in rest)
        lines.append(f"{pad}… {len(rest)} more values on {_count(nodes, 'node')} (--verbose)")
    return lines


def _verdict_lines(fleet: Fleet) -> list[str]:
    verdict = fleet.verdict
    assert verdict is not None
    lines = [f"Policy {verdict.source}"]
    for c in verdict.consistency:
        line = "  " + requirement_line(c.requirement)
        lines.append(line)
    for node in fleet.nodes:
        if node.policy is None or node.policy.passed:
            continue
        bad = [
            f"{r.key}: needed {r.needed}, found {r.found}"
            for r in node.policy.requirements
            if r.outcome == "fail" or (verdict.strict and r.outcome == "unchecked")
        ]
        bad += [f"{f.code} {f.name}" for f in node.policy.findings if f.outcome == "fail"]
        lines.append(f"  {MARKS['fail']} {node.name}: " + "; ".join(bad))
    if verdict.failed_nodes:
        lines.append(f"Failing nodes: {nodes_text(verdict.failed_nodes)}")
    lines.append(f"dlenv fleet {verdict_line(verdict, len(fleet.nodes))}")
    return lines


# -- Markdown -----------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return visible(text, newlines=False).replace("|", "\\|")


def render_markdown(fleet: Fleet) -> str:
    lines = [f"## {_cell(headline(fleet))}", ""]
    if fleet.verdict is not None:
        lines += [
            f"**{_cell(verdict_line(fleet.verdict, len(fleet.nodes)))}** "
            f"(policy `{_cell(fleet.verdict.source)}`)",
            "",
        ]
    lines += ["| fact | majority | nodes | differs |", "|---|---|---|---|"]
    for d in fleet.drift:
        others = "<br>".join(f"{_cell(v.value)}: {_cell(nodes_text(v.nodes))}" for v in d.others)
        lines.append(
            f"| {_cell(d.title)} | {_cell(d.majority.value)} | {len(d.majority.nodes)} of "
            f"{d.total} | {others or '—'} |"
        )
    lines.append("")
    if fleet.findings:
        lines += ["| finding | severity | nodes | |", "|---|---|---|---|"]
        for g in fleet.findings:
            lines.append(
                f"| `{g.code}` {_cell(g.name)} | {g.severity} | {len(g.nodes)}: "
                f"{_cell(nodes_text(g.nodes))} | {_cell(g.title)} |"
            )
        lines.append("")
    if fleet.verdict is not None:
        icon = {"pass": "✅", "fail": "❌", "unchecked": "⚠️"}
        rows = [c.requirement for c in fleet.verdict.consistency]
        lines += ["| | fleet rule | needed | found |", "|---|---|---|---|"]
        for r in rows:
            lines.append(
                f"| {icon[r.outcome]} {OUTCOME_WORDS[r.outcome]} | {_cell(r.title)} (`{r.key}`) "
                f"| {_cell(r.needed)} | {_cell(r.found)} |"
            )
        lines.append("")
        if fleet.verdict.failed_nodes:
            lines += [f"Failing nodes: {_cell(nodes_text(fleet.verdict.failed_nodes, 2000))}", ""]
    if fleet.problems:
        lines.append("Reports left out or partial:")
        lines += [f"- `{_cell(p.source)}` {p.kind}: {_cell(p.message)}" for p in fleet.problems]
        lines.append("")
    return "\n".join(lines)


# -- JSON ---------------------------------------------------------------------------------------
def render_json(fleet: Fleet) -> str:
    from dlenv.report.json import dump_json
    from dlenv.snapshot.serde import to_data

    return dump_json(to_data(fleet))


# -- HTML ---------------------------------------------------------------------------------------
_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}.drift{background:#fff4e5}"
    ".fail{color:#b00020}.pass{color:#1b5e20}.unchecked{color:#8a6d00}code{font-size:.95em}"
)


def _h(text: str) -> str:
    return html.escape(visible(text, newlines=False))


def render_html(fleet: Fleet) -> str:
    """One self-contained page (no script, no external resource) to attach or publish."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(headline(fleet))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_h(headline(fleet))}</h1>",
    ]
    if fleet.verdict is not None:
        state = "pass" if fleet.verdict.passed else "fail"
        out.append(
            f'<p class="{state}"><strong>{_h(verdict_line(fleet.verdict, len(fleet.nodes)))}'
            f"</strong> (policy <code>{_h(fleet.verdict.source)}</code>)</p>"
        )
    out.append(
        "<h2>Facts</h2><table><tr><th>fact</th><th>majority</th><th>nodes</th><th>differs</th></tr>"
    )
    for d in fleet.drift:
        others = "<br>".join(f"{_h(v.value)}: {_h(compress(v.nodes))}" for v in d.others)
        row = ' class="drift"' if d.drifts else ""
        out.append(
            f"<tr{row}><td>{_h(d.title)}</td><td>{_h(d.majority.value)}</td>"
            f"<td>{len(d.majority.nodes)} of {d.total}</td><td>{others or '—'}</td></tr>"
        )
    out.append("</table>")
    if fleet.findings:
        out.append(
            "<h2>Findings</h2><table><tr><th>finding</th><th>severity</th><th>nodes</th>"
            "<th>title</th></tr>"
        )
        for g in fleet.findings:
            out.append(
                f"<tr><td><code>{_h(g.code)}</code> {_h(g.name)}</td><td>{_h(g.severity)}</td>"
                f"<td>{len(g.nodes)}: {_h(compress(g.nodes))}</td><td>{_h(g.title)}</td></tr>"
            )
        out.append("</table>")
    if fleet.verdict is not None:
        out.append(
            "<h2>Policy</h2><table><tr><th></th><th>rule</th><th>needed</th><th>found</th></tr>"
        )
        for c in fleet.verdict.consistency:
            r = c.requirement
            out.append(
                f'<tr><td class="{r.outcome}">{_h(OUTCOME_WORDS[r.outcome])}</td>'
                f"<td>{_h(r.title)} (<code>{_h(r.key)}</code>)</td><td>{_h(r.needed)}</td>"
                f"<td>{_h(r.found)}</td></tr>"
            )
        out.append("</table>")
        if fleet.verdict.failed_nodes:
            out.append(f"<p>Failing nodes: {_h(compress(fleet.verdict.failed_nodes))}</p>")
    if fleet.problems:
        out.append("<h2>Reports left out or partial</h2><ul>")
        out += [
            f"<li><code>{_h(p.source)}</code> {_h(p.kind)}: {_h(p.message)}</li>"
            for p in fleet.problems
        ]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(fleet: Fleet, fmt: str, *, verbose: bool = False) -> str:
    if fmt == "json":
        return render_json(fleet)
    if fmt == "markdown":
        return render_markdown(fleet)
    if fmt == "html":
        return render_html(fleet)
    return render_console(fleet, verbose=verbose)
