"""Find a dlenv JSON report (`dlenv doctor --format json`) inside a pasted text and read it.

The report is read with `dlenv.report.json.parse_report`, so a bad one fails the same way as
`dlenv doctor --from`; text around it (a traceback) is combined by the caller.
"""

from __future__ import annotations

import json

from dlenv.errors import DlenvError
from dlenv.snapshot.model import Snapshot


def find(text: str, source: str) -> tuple[Snapshot, int, int] | None:
    """The first dlenv report in the text: (its snapshot, first line, last line), 1-based."""
    if '"dlenv-report"' not in text:
        return None
    from dlenv.report.json import json_decoder, parse_report

    decoder = json_decoder()
    start = text.find("{")
    while start >= 0:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        except RecursionError:  # nested deeper than Python's recursion limit
            raise DlenvError(f"{source}: holds JSON nested too deeply to read") from None
        except ValueError as exc:  # a number no fact can be (the decoder's hooks)
            raise DlenvError(f"{source}: holds JSON that is not a dlenv report ({exc})") from None
        if isinstance(obj, dict) and obj.get("kind") == "dlenv-report":
            report = parse_report(text[start:end], source)
            first = text.count("\n", 0, start) + 1
            return report.snapshot, first, text.count("\n", 0, end) + 1
        start = text.find("{", end)
    return None
