"""Result models of the `domains` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class DnsRecord(Model):
    """The `DnsRecord` schema of openapi.json."""

    type: str
    name: str
    value: str
    purpose: str
    required: bool
    status: str
    reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DnsRecord:
        return cls(
            type=data["type"],
            name=data["name"],
            value=data["value"],
            purpose=data["purpose"],
            required=data["required"],
            status=data["status"],
            reason=data.get("reason"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Domain(Model):
    """The `Domain` schema of openapi.json."""

    domain_id: str
    name: str
    status: str
    records: list[DnsRecord]
    failure_reason: str | None
    created_at: str | None
    verified_at: str | None
    last_checked_at: str | None
    next_check_at: str | None
    feedback: DomainFeedback
    stats: DomainStats

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        return cls(
            domain_id=data["domain_id"],
            name=data["name"],
            status=data["status"],
            records=[DnsRecord.from_dict(item) for item in data["records"]],
            failure_reason=data.get("failure_reason"),
            created_at=data.get("created_at"),
            verified_at=data.get("verified_at"),
            last_checked_at=data.get("last_checked_at"),
            next_check_at=data.get("next_check_at"),
            feedback=DomainFeedback.from_dict(data["feedback"]),
            stats=DomainStats.from_dict(data["stats"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainCreate(Model):
    """POST /api/v1/domains"""

    name: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainCreate:
        return cls(
            name=data["name"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainDeleted(Model):
    """The `DomainDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainFeedback(Model):
    """The `DomainFeedback` schema of openapi.json."""

    delivered: int
    bounced: int
    complained: int
    bounce_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainFeedback:
        return cls(
            delivered=data["delivered"],
            bounced=data["bounced"],
            complained=data["complained"],
            bounce_rate=data.get("bounce_rate"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainList(Model):
    """The `DomainList` schema of openapi.json."""

    domains: list[Domain]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainList:
        return cls(
            domains=[Domain.from_dict(item) for item in data["domains"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainStats(Model):
    """The usage counters' view of the domain (GET /stats?domain=), over the last `days`."""

    days: int
    sent: int
    delivered: int
    bounced: int
    complained: int
    bounce_rate: float | None
    complaint_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainStats:
        return cls(
            days=data["days"],
            sent=data["sent"],
            delivered=data["delivered"],
            bounced=data["bounced"],
            complained=data["complained"],
            bounce_rate=data.get("bounce_rate"),
            complaint_rate=data.get("complaint_rate"),
            raw=data,
        )


__all__ = [
    "DnsRecord",
    "Domain",
    "DomainCreate",
    "DomainDeleted",
    "DomainFeedback",
    "DomainList",
    "DomainStats",
]
