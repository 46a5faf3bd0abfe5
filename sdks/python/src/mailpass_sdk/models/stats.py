"""Result models of the `stats` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class Stats(Model):
    """The `Stats` schema of openapi.json."""

    granularity: str
    from_: str
    until: str
    domain: str | None
    buckets: list[StatsBucket]
    totals: StatsTotals

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        return cls(
            granularity=data["granularity"],
            from_=data["from"],
            until=data["until"],
            domain=data.get("domain"),
            buckets=[StatsBucket.from_dict(item) for item in data["buckets"]],
            totals=StatsTotals.from_dict(data["totals"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class StatsBucket(Model):
    """The `StatsBucket` schema of openapi.json."""

    sent: int
    delivered: int
    failed: int
    bounced: int
    complained: int
    opened: int
    clicked: int
    start: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatsBucket:
        return cls(
            sent=data["sent"],
            delivered=data["delivered"],
            failed=data["failed"],
            bounced=data["bounced"],
            complained=data["complained"],
            opened=data["opened"],
            clicked=data["clicked"],
            start=data["start"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class StatsTotals(Model):
    """The `StatsTotals` schema of openapi.json."""

    sent: int
    delivered: int
    failed: int
    bounced: int
    complained: int
    opened: int
    clicked: int
    bounce_rate: float | None
    complaint_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatsTotals:
        return cls(
            sent=data["sent"],
            delivered=data["delivered"],
            failed=data["failed"],
            bounced=data["bounced"],
            complained=data["complained"],
            opened=data["opened"],
            clicked=data["clicked"],
            bounce_rate=data.get("bounce_rate"),
            complaint_rate=data.get("complaint_rate"),
            raw=data,
        )


__all__ = [
    "Stats",
    "StatsBucket",
    "StatsTotals",
]
