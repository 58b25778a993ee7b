"""What the scanning engine should find, for comparisons against its fast paths."""

from __future__ import annotations

import re

from dlenv.importers import signatures
from dlenv.importers.catalog import Signature, is_prose


def finditer(sig: Signature, text: str) -> list[re.Match[str]]:
    """`finditer`'s matches, as the engine reads them: a person's words (a `sentence` entry, an
    entry of a prose family) only in the lines that start in a long text's first and last
    PROSE_EDGE characters."""
    found = list(sig.regex.finditer(text))
    if not (sig.groups or is_prose(sig.family)):
        return found
    head, tail = signatures.prose_edges(len(text))
    return [
        m
        for m in found
        if (line := text.rfind("\n", 0, m.start()) + 1) < head or line >= tail
    ]
