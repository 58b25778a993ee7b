"""The knowledge base's date for `dlenv --version`, read without importing dlenv.kb.

`--version` must stay fast and import nothing heavy (tests/test_startup.py), so this reads only
the `as_of` entries of the data files; `dlenv.kb.queries.kb_date` is this same reading.
"""

from __future__ import annotations

import json
from pathlib import Path

_DATA = Path(__file__).parent / "kb" / "data"


def knowledge_base_date() -> str | None:
    """The newest dated source of any table ("2026-09-04"), or None when none is dated."""
    dates: list[str] = []
    for path in sorted(_DATA.glob("*.json")):
        try:
            as_of = json.loads(path.read_text("utf-8")).get("as_of") or {}
        except (OSError, ValueError):
            continue
        if isinstance(as_of, dict) and isinstance(as_of.get("date"), str):
            dates.append(as_of["date"])
    return max(dates) if dates else None
