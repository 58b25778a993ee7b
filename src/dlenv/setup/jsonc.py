"""Edit JSON with comments (VS Code's settings.json) in place: set one value by its key path and
keep every other byte — comments, trailing commas, key order, indentation, line endings.

A small scanner records where each member of each object starts and ends; an edit replaces one
value's span or inserts one member. Nothing is re-serialised, so nothing the user wrote is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class JsoncError(ValueError):
    """Not JSON with comments; the message names the line and column."""


@dataclass
class Node:
    start: int
    end: int  # one past the value's last character
    kind: str  # "object", "array", "scalar"
    members: list[Member] = field(default_factory=list)  # objects only


@dataclass
class Member:
    key: str
    key_start: int
    value: Node


_WS = " \t\r\n"
_LITERALS = ("true", "false", "null")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str, at: int | None = None) -> JsoncError:
        at = self.pos if at is None else at
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return JsoncError(f"line {line}, column {column}: {what}")

    def skip(self) -> None:
        """Whitespace and comments (`// …` to the end of the line, `/* … */`)."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in _WS:
                self.pos += 1
            elif text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = len(text) if newline < 0 else newline
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    raise self.error("a /* comment that is never closed")
                self.pos = close + 2
            else:
                return

    def value(self, depth: int = 0) -> Node:
        if depth > 200:
            raise self.error("nested too deeply")
        self.skip()
        if self.pos >= len(self.text):
            raise self.error("expected a value, found the end of the file")
        ch = self.text[self.pos]
        if ch == "{":
            return self.object(depth)
        if ch == "[":
            return self.array(depth)
        if ch == '"':
            start = self.pos
            self.string()
            return Node(start, self.pos, "scalar")
        start = self.pos
        for word in _LITERALS:
            if self.text.startswith(word, start):
                self.pos += len(word)
                return Node(start, self.pos, "scalar")
        end = start
        while end < len(self.text) and self.text[end] in "+-0123456789.eE":
            end += 1
        try:
            json.loads(self.text[start:end])
        except ValueError:
            raise self.error(f"unexpected {ch!r}") from None
        self.pos = end
        return Node(start, end, "scalar")

    def string(self) -> str:
        start = self.pos
        pos = start + 1
        text = self.text
        while True:
            if pos >= len(text) or text[pos] == "\n":
                raise self.error("a string that is never closed", start)
            if text[pos] == "\\":
                pos += 2
                continue
            if text[pos] == '"':
                break
            pos += 1
        self.pos = pos + 1
        try:
            value: str = json.loads(text[start : self.pos])
        except ValueError:
            raise self.error("a string with a bad escape", start) from None
        return value

    def expect_separator(self, close: str) -> bool:
        """After a member or element: True when a comma follows (skipped), False at `close`."""
        self.skip()
        if self.text.startswith(",", self.pos):
            self.pos += 1
            return True
        if self.text.startswith(close, self.pos):
            return False
        raise self.error(f"expected ',' or '{close}'")

    def object(self, depth: int) -> Node:
        node = Node(self.pos, self.pos, "object")
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                break
            if not self.text.startswith('"', self.pos):
                raise self.error("expected a key in double quotes or '}'")
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.error("expected ':' after the key")
            self.pos += 1
            node.members.append(Member(key, key_start, self.value(depth + 1)))
            if not self.expect_separator("}"):
                break
        self.pos += 1
        node.end = self.pos
        return node

    def array(self, depth: int) -> Node:
        node = Node(self.pos, self.pos, "array")
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                break
            self.value(depth + 1)
            if not self.expect_separator("]"):
                break
        self.pos += 1
        node.end = self.pos
        return node


def parse(text: str) -> Node | None:
    """The top-level object's outline; None for a file with nothing but comments or blanks."""
    scanner = _Scanner(text)
    scanner.skip()
    if scanner.pos >= len(text):
        return None
    if text[scanner.pos] != "{":
        raise scanner.error("the settings must be one JSON object ({ … })")
    root = scanner.value()
    scanner.skip()
    if scanner.pos < len(text):
        raise scanner.error("more after the closing '}'")
    return root


def loads(text: str) -> Any:
    """The value of a JSONC document (comments and trailing commas allowed)."""
    root = parse(text)
    return {} if root is None else _value(text, root)


def _value(text: str, node: Node) -> Any:
    if node.kind == "object":
        return {m.key: _value(text, m.value) for m in node.members}
    if node.kind == "array":
        return json.loads(_strip(text[node.start : node.end]))
    return json.loads(text[node.start : node.end])


def _strip(text: str) -> str:
    """An array's text without comments and trailing commas (for reading its value)."""
    out: list[str] = []
    scanner = _Scanner(text)
    while scanner.pos < len(text):
        before = scanner.pos
        scanner.skip()
        if scanner.pos != before:
            out.append(" ")
            continue
        ch = text[scanner.pos]
        if ch == '"':
            start = scanner.pos
            scanner.string()
            out.append(text[start : scanner.pos])
            continue
        if ch == ",":
            ahead = _Scanner(text)
            ahead.pos = scanner.pos + 1
            ahead.skip()
            if ahead.pos < len(text) and text[ahead.pos] in "]}":
                scanner.pos += 1
                continue
        out.append(ch)
        scanner.pos += 1
    return "".join(out)


# -- editing ----------------------------------------------------------------------------------
def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_before(text: str, pos: int) -> str | None:
    """The whitespace from the start of the line to `pos`, None when something else is there."""
    before = text[_line_start(text, pos) : pos]
    return before if not before.strip() else None


def _unit(text: str, root: Node) -> str:
    """The file's indentation step (four spaces when nothing says otherwise)."""
    for member in root.members:
        indent = _indent_before(text, member.key_start)
        if indent:
            return indent
    return "    "


def _dump(value: Any, indent: str, unit: str, nl: str) -> str:
    text = json.dumps(value, indent=unit, ensure_ascii=False)
    return text.replace("\n", nl + indent)


def _after_same_line_comments(text: str, pos: int) -> int:
    """Past blanks and comments that follow `pos` on its own line (they belong to that line)."""
    while pos < len(text):
        if text[pos] in " \t":
            pos += 1
        elif text.startswith("//", pos):
            newline = text.find("\n", pos)
            end = len(text) if newline < 0 else newline
            return end - 1 if end > 0 and text[end - 1] == "\r" else end
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0 or "\n" in text[pos:close]:
                return pos
            pos = close + 2
        else:
            return pos
    return pos


def _insert(text: str, node: Node, key: str, value: Any, unit: str, nl: str) -> str:
    """`text` with `"key": value` added as the last member of the object `node`."""
    close = node.end - 1
    if node.members:
        last = node.members[-1]
        indent = _indent_before(text, last.key_start)
        if indent is None:
            indent = (_indent_before(text, node.start) or "") + unit
        scanner = _Scanner(text)
        scanner.pos = last.value.end
        scanner.skip()
        trailing = text.startswith(",", scanner.pos) and scanner.pos < close
        anchor = scanner.pos + 1 if trailing else last.value.end
        at = _after_same_line_comments(text, anchor)
        member = f"{nl}{indent}{json.dumps(key, ensure_ascii=False)}: "
        member += _dump(value, indent, unit, nl) + ("," if trailing else "")
        comma = "" if trailing else ","
        return text[:anchor] + comma + text[anchor:at] + member + text[at:]
    line = text[_line_start(text, node.start) : node.start]
    base = line[: len(line) - len(line.lstrip(" \t"))]  # the indentation of the '{' line
    indent = base + unit
    member = f"{indent}{json.dumps(key, ensure_ascii=False)}: {_dump(value, indent, unit, nl)}"
    inside = text[node.start + 1 : close]
    if not inside.strip():
        return text[: node.start + 1] + nl + member + nl + base + text[close:]
    # comments only: the new member goes after them, on its own line
    head = text[:close].rstrip(" \t")
    if not head.endswith("\n"):
        head += nl
    return head + member + nl + base + text[close:]


def set_value(text: str, path: Sequence[str], value: Any) -> str:
    """`text` (a JSONC object) with the value at `path` set; objects on the way are merged into,
    never replaced, so the user's other keys in them stay. Raises JsoncError when malformed."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    nl = "\r\n" if "\r\n" in body else "\n"
    root = parse(body)
    if root is None:
        nested: Any = value
        for key in reversed(path):
            nested = {key: nested}
        sep = "" if not body or body.endswith("\n") else nl
        return bom + body + sep + _dump(nested, "", "    ", nl) + nl
    unit = _unit(body, root)
    node = root
    for depth, key in enumerate(path):
        member = next((m for m in reversed(node.members) if m.key == key), None)
        rest: Any = value
        for later in reversed(path[depth + 1 :]):
            rest = {later: rest}
        if member is None:
            return bom + _insert(body, node, key, rest, unit, nl)
        if depth == len(path) - 1 or member.value.kind != "object":
            indent = _indent_before(body, member.key_start) or ""
            new = _dump(rest, indent, unit, nl)
            return bom + body[: member.value.start] + new + body[member.value.end :]
        node = member.value
    raise AssertionError("unreachable: an empty key path")
