"""Typed drafts stored as JSON: a flow's dataclass to and from chat_states.draft.

A draft is a dataclass whose fields all have defaults (a fresh start is `Draft()`). It is written
as a JSON object holding only the fields that differ from their defaults, nested dataclasses as
objects and dates as ISO strings; reading ignores keys it does not know and fills missing ones
with defaults, so drafts stored by an earlier version keep working. A value of the wrong type
raises DraftError, and the router starts the flow afresh instead of crashing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


class DraftError(ValueError):
    """A stored draft does not fit its flow's draft type."""


@dataclasses.dataclass(frozen=True)
class NoDraft:
    """The draft of a flow that keeps nothing between its steps."""


# The default of a field that has none (a nested value's required field).
REQUIRED = object()
_FIELDS: dict[type, tuple[tuple[str, Any, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    """Return (name, type, default) per field of a dataclass; REQUIRED when it has none."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    hints = get_type_hints(cls)
    found = []
    for item in dataclasses.fields(cls):
        if item.default is not dataclasses.MISSING:
            default = item.default
        elif item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        else:
            default = REQUIRED
        found.append((item.name, hints[item.name], default))
    _FIELDS[cls] = tuple(found)
    return _FIELDS[cls]


def check_draft_type(cls: type) -> None:
    """Raise TypeError unless cls is a dataclass whose fields all have defaults."""
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    for name, _kind, default in _fields(cls):
        if default is REQUIRED:
            raise TypeError(f"{cls.__name__}.{name} needs a default: a fresh start is empty")


def read_draft(cls: type[T], data: Mapping[str, Any] | None) -> T:
    """Return the draft a stored JSON object holds; raise DraftError when it does not fit."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise DraftError(f"{cls.__name__}: not an object")
    values = {}
    for name, kind, default in _fields(cls):
        if name in data:
            values[name] = _decode(kind, data[name], f"{cls.__name__}.{name}")
        elif default is REQUIRED:
            raise DraftError(f"{cls.__name__}.{name} is missing")
    return cls(**values)


def write_draft(draft: object) -> dict[str, Any]:
    """Return a draft as a JSON object: only the fields that differ from their defaults."""
    return {
        name: _encode(getattr(draft, name))
        for name, _kind, default in _fields(type(draft))
        if default is REQUIRED or getattr(draft, name) != default
    }


def _decode(kind: Any, value: Any, where: str) -> Any:
    origin = get_origin(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, value, where)
            except DraftError:
                continue
        raise DraftError(f"{where}: {value!r} fits none of {kind}")
    if origin is typing.Literal:
        if value in get_args(kind):
            return value
        raise DraftError(f"{where}: {value!r} is not one of {get_args(kind)}")
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise DraftError(f"{where}: not a list")
        inner = get_args(kind)[0] if get_args(kind) else Any
        items = [_decode(inner, item, where) for item in value]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise DraftError(f"{where}: not an object")
        inner = get_args(kind)[1] if get_args(kind) else Any
        return {str(key): _decode(inner, item, where) for key, item in value.items()}
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return read_draft(kind, value)
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise DraftError(f"{where}: {value!r} is not a date") from None
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise DraftError(f"{where}: {value!r} is not a number")
    if isinstance(kind, type) and isinstance(value, kind):
        return value
    raise DraftError(f"{where}: {value!r} is not a {kind}")


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: _encode(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    return value
