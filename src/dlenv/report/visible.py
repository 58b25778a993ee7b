"""Text from outside dlenv made safe to show: control characters become visible escapes.

Reports, pastes and environment values are data written by someone else; shown raw, an escape
sequence would drive the reader's terminal (OSC 52 sets the clipboard, OSC 8 hides a link, OSC 0
sets the title) and a carriage return would overwrite what dlenv printed. `visible()` is the one
function that decides how such text is shown, in the Python spelling: ESC reads `\\x1b`, a byte
that was not UTF-8 (a lone surrogate from surrogateescape) reads `\\xff`, any other lone
surrogate `\\ud800`. Line feeds and tabs are kept unless `newlines=False`.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

# C0 controls except TAB and LF, DEL, C1 controls, lone surrogates, the Unicode line and
# paragraph separators, and the bidirectional overrides/isolates that reorder what is shown.
_OTHERS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

T = TypeVar("T")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = True) -> str:
    """`text` with every control character shown as an escape; LF and TAB kept when `newlines`."""
    pattern = _UNSAFE if newlines else _UNSAFE_ONE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def has_control(text: str, *, newlines: bool = True) -> bool:
    """Whether `visible()` would change `text`."""
    return (_UNSAFE if newlines else _UNSAFE_ONE_LINE).search(text) is not None


def visible_data(data: Any) -> Any:
    """Every string (keys included) inside nested dicts and lists made visible."""
    if isinstance(data, dict):
        return {visible_data(k): visible_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [visible_data(v) for v in data]
    if isinstance(data, str):
        return visible(data)
    return data


def visible_object(obj: T) -> T:
    """A copy of a dataclass tree (a Report, a PolicyResult) whose strings are all visible."""
    from dlenv.snapshot.serde import from_data, to_data

    data = to_data(obj)
    shown = visible_data(data)
    if shown == data:
        return obj
    return from_data(type(obj), shown)
