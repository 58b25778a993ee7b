"""Find a dlenv JSON report (`dlenv doctor --format json`) inside a pasted text and read it.

The report is read with `dlenv.report.json.parse_report`, so a bad one fails the same way as
`dlenv doctor --from`; text around it (a traceback) is combined by the caller.
"""

from __future__ import annotations

import json

from dlenv.snapshot.model import Snapshot


def find(text: str, source: str) -> tuple[Snapshot, int, int] | None:
    """The first dlenv report in the text: (its snapshot, first line, last line), 1-based."""
    if '"dlenv-report"' not in text:
        return None
    from dlenv.report.json import parse_report

    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(obj, dict) and obj.get("kind") == "dlenv-report":
            report = parse_report(text[start:end], source)
            first = text.count("\n", 0, start) + 1
            return report.snapshot, first, text.count("\n", 0, end) + 1
        start = text.find("{", end)
    return None
