"""Records (NamedTuples and dataclasses) as the plain dicts that JSON output is made of."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeAlias, TypeGuard

if TYPE_CHECKING:

    class DataclassInstance(Protocol):
        __dataclass_fields__: ClassVar[dict[str, Any]]

    Record: TypeAlias = NamedTuple | DataclassInstance


def as_dict(record: Record, **renamed: str) -> dict[str, object]:
    """Every field of `record`, in field order, under its name or `renamed[name]`.

    Values come out as JSON writes them: a record within by its own `as_dict` (this
    one when it has none), tuples and lists as lists of such values, the rest as is.
    """
    names = _field_names(record)
    return {renamed.get(name, name): _plain(getattr(record, name)) for name in names}


def _field_names(record: Record) -> tuple[str, ...]:
    if isinstance(record, tuple):
        return record._fields
    return tuple(f.name for f in dataclasses.fields(record))


# What JSON writes as it is: most values are these, and need no look at their attributes.
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _plain(value: object) -> object:
    if type(value) in _LEAVES:
        return value
    own = getattr(value, "as_dict", None)
    if callable(own):
        return own()
    if _is_record(value):
        return as_dict(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _is_record(value: object) -> TypeGuard[Record]:
    is_named_tuple = isinstance(value, tuple) and hasattr(value, "_fields")
    return is_named_tuple or (dataclasses.is_dataclass(value) and not isinstance(value, type))
