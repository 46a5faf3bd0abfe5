"""Result models of the `suppressions` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class Suppression(Model):
    """The `Suppression` schema of openapi.json."""

    email: str
    reason: str | None
    kind: str | None
    message_id: str | None
    created_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suppression:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            kind=data.get("kind"),
            message_id=data.get("message_id"),
            created_at=data.get("created_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionAdded(Model):
    """The `SuppressionAdded` schema of openapi.json."""

    email: str
    reason: str | None
    kind: str | None
    message_id: str | None
    created_at: str | None
    created: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionAdded:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            kind=data.get("kind"),
            message_id=data.get("message_id"),
            created_at=data.get("created_at"),
            created=data["created"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionCreate(Model):
    """POST /api/v1/suppressions"""

    email: str
    reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionCreate:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionList(Model):
    """The `SuppressionList` schema of openapi.json."""

    suppressions: list[Suppression]
    next_cursor: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionList:
        return cls(
            suppressions=[Suppression.from_dict(item) for item in data["suppressions"]],
            next_cursor=data.get("next_cursor"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionRemoved(Model):
    """The `SuppressionRemoved` schema of openapi.json."""

    email: str
    suppressed: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionRemoved:
        return cls(
            email=data["email"],
            suppressed=data["suppressed"],
            raw=data,
        )


__all__ = [
    "Suppression",
    "SuppressionAdded",
    "SuppressionCreate",
    "SuppressionList",
    "SuppressionRemoved",
]
