"""The JSON Schema of `dlenv doctor --format json`, generated from the dataclasses.

The generated schema ships as `dlenv/report/report.schema.json`; a test keeps the two in step,
so the published schema can never drift from what dlenv writes.
"""

from __future__ import annotations

import dataclasses
import json
import types
from importlib import resources
from typing import Any, Literal, Union, get_args, get_origin

from dlenv.report.model import Report
from dlenv.snapshot.serde import _hints

SCHEMA_ID = "https://github.com/dlenv/dlenv/blob/main/src/dlenv/report/report.schema.json"


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if origin in (Union, types.UnionType):
        options = [_type_schema(a, defs) for a in get_args(tp)]
        return {"anyOf": options}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (list, tuple):
        args = get_args(tp)
        return {"type": "array", "items": _type_schema(args[0], defs) if args else {}}
    if origin is dict:
        args = get_args(tp)
        return {
            "type": "object",
            "additionalProperties": _type_schema(args[1], defs) if args else {},
        }
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = _hints(tp)
            fields = dataclasses.fields(tp)
            defs[name] = {
                "type": "object",
                "properties": {f.name: _type_schema(hints[f.name], defs) for f in fields},
                "required": [f.name for f in fields],
                "additionalProperties": False,
            }
            doc = (tp.__doc__ or "").strip()
            if doc and not doc.startswith(f"{name}("):
                defs[name]["description"] = doc.splitlines()[0]
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is type(None):
        return {"type": "null"}
    raise TypeError(f"no schema for {tp!r}")


def generate_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _type_schema(Report, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dlenv report",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    return json.dumps(generate_schema(), indent=2, sort_keys=False) + "\n"


def shipped_schema_text() -> str:
    return resources.files("dlenv.report").joinpath("report.schema.json").read_text("utf-8")
