"""Python values to DynamoDB's attribute values and back.

Hand-written rather than boto3's TypeSerializer/TypeDeserializer: it stores datetimes (as ISO
strings) and string sets (as sorted lists, the format existing items already have), reads
numbers as int/float rather than Decimal, and costs less per item on the send path (a
message item, measured: 74 us to write and 29 us to read here, against 123 us and 92 us with
boto3's pair). tests/unit/test_dynamodb_marshal.py checks round trips, and that boto3 reads
what this writes and the other way round.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

Item = dict[str, Any]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, datetime):
        return {"S": value.isoformat()}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"L": [to_attr(v) for v in sorted(value)]}
    raise TypeError(f"cannot store {type(value).__name__}")


def to_item(values: dict[str, Any]) -> Item:
    """Top-level None means "no such attribute" (absent, not NULL)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind in {"S", "BOOL"}:
        return value
    if kind == "N":
        return _number(value)
    if kind == "B":
        return bytes(value)
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    if kind == "SS":
        return list(value)
    if kind == "NS":
        return [_number(v) for v in value]
    if kind == "BS":
        return [bytes(v) for v in value]
    raise TypeError(f"unexpected attribute type {kind}")


def from_item(item: Item) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
