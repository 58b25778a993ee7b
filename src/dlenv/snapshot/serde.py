"""Turn the frozen dataclasses of dlenv into JSON-ready dicts and back, driven by type hints.

Unions of dataclasses are told apart by their `kind` field (a `Literal`). Unknown keys in the
input are ignored, so that a newer report can still be read; wrong types raise `ValueError`.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

T = TypeVar("T")


def to_data(obj: Any) -> Any:
    """A dataclass tree as plain dicts, lists and scalars, fields in declaration order."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls, globalns=vars(module))


def from_data(cls: type[T], data: Any, path: str = "$") -> T:
    """Build `cls` from plain data, checking types on the way."""
    return typing.cast(T, _convert(cls, data, path))


def _convert(tp: Any, data: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        non_none = [o for o in options if o is not type(None)]
        if len(non_none) == 1:
            return _convert(non_none[0], data, path)
        return _convert_union(non_none, data, path)
    if origin is Literal:
        if data not in get_args(tp):
            raise ValueError(f"{path}: expected one of {list(get_args(tp))}, got {data!r}")
        return data
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list, got {type(data).__name__}")
        (item,) = get_args(tp) or (Any,)
        return [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(data)]
    if origin is tuple:
        if not isinstance(data, list | tuple):
            raise ValueError(f"{path}: expected a list, got {type(data).__name__}")
        args = get_args(tp)
        item = args[0] if args else Any
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(data))
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object, got {type(data).__name__}")
        _, value_tp = get_args(tp) or (str, Any)
        return {str(k): _convert(value_tp, v, f"{path}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{path}: missing field {f.name!r}")
        return tp(**kwargs)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"{path}: expected a number, got {data!r}")
        return float(data)
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"{path}: expected {tp.__name__}, got {data!r}")
        return data
    if tp is type(None):
        if data is not None:
            raise ValueError(f"{path}: expected null, got {data!r}")
        return None
    raise TypeError(f"{path}: cannot convert to {tp!r}")  # a programming error, not bad input


def _convert_union(options: list[Any], data: Any, path: str) -> Any:
    if isinstance(data, dict) and "kind" in data:
        for option in options:
            if isinstance(option, type) and dataclasses.is_dataclass(option):
                kind_tp = _hints(option).get("kind")
                if get_origin(kind_tp) is Literal and data["kind"] in get_args(kind_tp):
                    return _convert(option, data, path)
        raise ValueError(f"{path}: unknown kind {data['kind']!r}")
    errors = []
    for option in options:
        try:
            return _convert(option, data, path)
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError(errors[0] if errors else f"{path}: no type matches {data!r}")
