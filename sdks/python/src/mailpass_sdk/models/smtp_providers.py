"""Result models of the `smtp_providers` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model, opt


@dataclass(frozen=True, kw_only=True)
class FallbackOrder(Model):
    """PUT /api/v1/smtp-providers/fallbacks"""

    provider_ids: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FallbackOrder:
        return cls(
            provider_ids=list(data["provider_ids"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProbeStep(Model):
    """The `ProbeStep` schema of openapi.json."""

    step: str
    ok: bool
    detail: str | None
    ms: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeStep:
        return cls(
            step=data["step"],
            ok=data["ok"],
            detail=data.get("detail"),
            ms=data.get("ms"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Provider(Model):
    """The `Provider` schema of openapi.json."""

    provider_id: str
    kind: str
    name: str
    from_email: str | None
    from_name: str | None
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool
    track_clicks: bool
    max_message_bytes: int | None
    created_at: str | None
    updated_at: str | None
    is_default: bool
    fallback_rank: int | None
    usage: ProviderUsage | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provider:
        return cls(
            provider_id=data["provider_id"],
            kind=data["kind"],
            name=data["name"],
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data["track_opens"],
            track_clicks=data["track_clicks"],
            max_message_bytes=data.get("max_message_bytes"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            is_default=data["is_default"],
            fallback_rank=data.get("fallback_rank"),
            usage=opt(ProviderUsage.from_dict, data.get("usage")),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderCreate(Model):
    """POST /api/v1/smtp-providers"""

    name: str
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    from_email: str | None
    from_name: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool | None
    track_clicks: bool | None
    max_message_bytes: int | None
    kind: str
    make_default: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderCreate:
        return cls(
            name=data["name"],
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data.get("track_opens"),
            track_clicks=data.get("track_clicks"),
            max_message_bytes=data.get("max_message_bytes"),
            kind=data["kind"],
            make_default=data.get("make_default"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderDeleted(Model):
    """The `ProviderDeleted` schema of openapi.json."""

    deleted: str
    default_provider_id: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderDeleted:
        return cls(
            deleted=data["deleted"],
            default_provider_id=data.get("default_provider_id"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderList(Model):
    """The `ProviderList` schema of openapi.json."""

    providers: list[Provider]
    default_provider_id: str | None
    fallback_provider_ids: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderList:
        return cls(
            providers=[Provider.from_dict(item) for item in data["providers"]],
            default_provider_id=data.get("default_provider_id"),
            fallback_provider_ids=list(data["fallback_provider_ids"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderTestReport(Model):
    """The `ProviderTestReport` schema of openapi.json."""

    provider_id: str
    ok: bool
    failed_step: str | None
    steps: list[ProbeStep]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderTestReport:
        return cls(
            provider_id=data["provider_id"],
            ok=data["ok"],
            failed_step=data.get("failed_step"),
            steps=[ProbeStep.from_dict(item) for item in data["steps"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderUpdate(Model):
    """PATCH /api/v1/smtp-providers/{id}: only the fields given change; null clears a limit."""

    name: str | None
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    from_email: str | None
    from_name: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool | None
    track_clicks: bool | None
    max_message_bytes: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderUpdate:
        return cls(
            name=data.get("name"),
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data.get("track_opens"),
            track_clicks=data.get("track_clicks"),
            max_message_bytes=data.get("max_message_bytes"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderUsage(Model):
    """The `ProviderUsage` schema of openapi.json."""

    hour: int | None
    day: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderUsage:
        return cls(
            hour=data.get("hour"),
            day=data.get("day"),
            raw=data,
        )


__all__ = [
    "FallbackOrder",
    "ProbeStep",
    "Provider",
    "ProviderCreate",
    "ProviderDeleted",
    "ProviderList",
    "ProviderTestReport",
    "ProviderUpdate",
    "ProviderUsage",
]
