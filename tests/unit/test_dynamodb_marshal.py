"""Attribute values to and from DynamoDB's wire format: round trips, and the same format
boto3's own (de)serializer reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from mailpass.adapters.dynamodb.marshal import from_attr, from_item, to_attr, to_item

NESTED: dict[str, Any] = {
    "text": "héllo ✉",
    "empty": "",
    "int": 42,
    "negative": -7,
    "big": 2**63 + 1,
    "float": 1.25,
    "small": 1e-7,
    "yes": True,
    "no": False,
    "nothing": None,
    "bytes": b"\x00\xffraw",
    "list": [1, "two", None, [3.5, {"deep": [b"x", False]}]],
    "map": {"a": {"b": {"c": [1, 2, 3]}}, "empty": {}, "none": None},
    "empty_list": [],
}


def test_nested_values_round_trip() -> None:
    back = from_attr(to_attr(NESTED))
    assert back == NESTED
    assert type(back["float"]) is float
    assert type(back["int"]) is int
    present = {k: v for k, v in NESTED.items() if v is not None}
    assert from_item(to_item(NESTED)) == present


@pytest.mark.parametrize(
    ("value", "back"),
    [
        (Decimal("10"), 10),
        (Decimal("-1.50"), -1.5),
        (frozenset({"settings", "mail"}), ["mail", "settings"]),  # sets: sorted lists
        ((1, "a"), [1, "a"]),
        (bytearray(b"ab"), b"ab"),
        (datetime(2026, 11, 25, 9, 30, tzinfo=UTC), "2026-11-25T09:30:00+00:00"),
    ],
)
def test_other_values_come_back_as_their_plain_equivalent(value: Any, back: Any) -> None:
    assert from_attr(to_attr(value)) == back


def test_top_level_none_is_no_attribute_at_all() -> None:
    assert to_item({"a": 1, "b": None}) == {"a": {"N": "1"}}


def test_what_is_not_storable_is_refused() -> None:
    with pytest.raises(TypeError):
        to_attr(object())


def test_the_format_is_boto3s() -> None:
    """What we write, boto3 reads as the same value; what boto3 writes (sets included), we
    read. Floats are ours alone (boto3 wants Decimal) and are compared as Decimal."""
    plain = {k: v for k, v in NESTED.items() if k not in ("float", "small", "list")}
    boto3_reads: Any = TypeDeserializer().deserialize  # typed for its own TypedDicts
    assert _plain(boto3_reads(to_attr(plain))) == plain
    assert boto3_reads(to_attr(1.25)) == Decimal("1.25")

    serializer = TypeSerializer()
    written = {
        "ss": serializer.serialize({"b", "a"}),
        "ns": serializer.serialize({Decimal(1), Decimal("2.5")}),
        "bs": serializer.serialize({b"x"}),
        "m": serializer.serialize({"n": Decimal(3), "l": [None, "s"]}),
    }
    got = from_item(written)
    assert sorted(got["ss"]) == ["a", "b"]
    assert sorted(got["ns"]) == [1, 2.5]
    assert got["bs"] == [b"x"]
    assert got["m"] == {"n": 3, "l": [None, "s"]}


def _plain(v: Any) -> Any:
    """boto3 reads numbers as Decimal and binary as Binary: compare as plain values."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if hasattr(v, "value") and isinstance(v.value, bytes):
        return v.value
    return v
