"""Result models of the `webhooks` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model, opt


@dataclass(frozen=True, kw_only=True)
class Webhook(Model):
    """The `Webhook` schema of openapi.json."""

    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    consecutive_failures: int
    failing_since: str | None
    previous_secret_expires_at: str | None
    updated_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Webhook:
        return cls(
            webhook_id=data["webhook_id"],
            url=data["url"],
            event_types=list(data["event_types"]),
            created_at=data.get("created_at"),
            enabled=data["enabled"],
            disabled_reason=data.get("disabled_reason"),
            disabled_at=data.get("disabled_at"),
            consecutive_failures=data["consecutive_failures"],
            failing_since=data.get("failing_since"),
            previous_secret_expires_at=data.get("previous_secret_expires_at"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookCreate(Model):
    """POST /api/v1/webhooks"""

    url: str
    event_types: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookCreate:
        return cls(
            url=data["url"],
            event_types=list(data["event_types"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookCreated(Model):
    """The `WebhookCreated` schema of openapi.json."""

    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    consecutive_failures: int
    failing_since: str | None
    previous_secret_expires_at: str | None
    updated_at: str | None
    secret: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookCreated:
        return cls(
            webhook_id=data["webhook_id"],
            url=data["url"],
            event_types=list(data["event_types"]),
            created_at=data.get("created_at"),
            enabled=data["enabled"],
            disabled_reason=data.get("disabled_reason"),
            disabled_at=data.get("disabled_at"),
            consecutive_failures=data["consecutive_failures"],
            failing_since=data.get("failing_since"),
            previous_secret_expires_at=data.get("previous_secret_expires_at"),
            updated_at=data.get("updated_at"),
            secret=data["secret"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDeleted(Model):
    """The `WebhookDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveries(Model):
    """The `WebhookDeliveries` schema of openapi.json."""

    webhook_id: str
    deliveries: list[WebhookDelivery]
    next_cursor: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDeliveries:
        return cls(
            webhook_id=data["webhook_id"],
            deliveries=[WebhookDelivery.from_dict(item) for item in data["deliveries"]],
            next_cursor=data.get("next_cursor"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery(Model):
    """The `WebhookDelivery` schema of openapi.json."""

    event_id: str
    event_type: str
    attempt: int
    created_at: str | None
    delivered: bool
    status_code: int | None
    error: str | None
    detail: str
    duration_ms: int
    next_retry_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            event_id=data["event_id"],
            event_type=data["event_type"],
            attempt=data["attempt"],
            created_at=data.get("created_at"),
            delivered=data["delivered"],
            status_code=data.get("status_code"),
            error=data.get("error"),
            detail=data["detail"],
            duration_ms=data["duration_ms"],
            next_retry_at=data.get("next_retry_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookList(Model):
    """The `WebhookList` schema of openapi.json."""

    webhooks: list[Webhook]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookList:
        return cls(
            webhooks=[Webhook.from_dict(item) for item in data["webhooks"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookSecret(Model):
    """The `WebhookSecret` schema of openapi.json."""

    webhook_id: str
    secret: str
    previous_secret_expires_at: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookSecret:
        return cls(
            webhook_id=data["webhook_id"],
            secret=data["secret"],
            previous_secret_expires_at=data["previous_secret_expires_at"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookTestQueued(Model):
    """The `WebhookTestQueued` schema of openapi.json."""

    webhook_id: str
    event_id: str
    event_type: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookTestQueued:
        return cls(
            webhook_id=data["webhook_id"],
            event_id=data["event_id"],
            event_type=data["event_type"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookUpdate(Model):
    """PATCH /api/v1/webhooks/{webhook_id}: only the fields given change."""

    url: str | None
    event_types: list[str] | None
    enabled: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookUpdate:
        return cls(
            url=data.get("url"),
            event_types=opt(list, data.get("event_types")),
            enabled=data.get("enabled"),
            raw=data,
        )


__all__ = [
    "Webhook",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookDeliveries",
    "WebhookDelivery",
    "WebhookList",
    "WebhookSecret",
    "WebhookTestQueued",
    "WebhookUpdate",
]
