"""Result models of the `account` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class AccountSettings(Model):
    """The `AccountSettings` schema of openapi.json."""

    account_id: str
    default_provider_id: str | None
    fallback_provider_ids: list[str]
    restrict_senders_to_verified_domains: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountSettings:
        return cls(
            account_id=data["account_id"],
            default_provider_id=data.get("default_provider_id"),
            fallback_provider_ids=list(data["fallback_provider_ids"]),
            restrict_senders_to_verified_domains=data["restrict_senders_to_verified_domains"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class AccountUpdate(Model):
    """PATCH /api/v1/account: the settings given change."""

    restrict_senders_to_verified_domains: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountUpdate:
        return cls(
            restrict_senders_to_verified_domains=data["restrict_senders_to_verified_domains"],
            raw=data,
        )


__all__ = [
    "AccountSettings",
    "AccountUpdate",
]
