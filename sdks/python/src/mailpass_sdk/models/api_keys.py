"""Result models of the `api_keys` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class ApiKey(Model):
    """The `ApiKey` schema of openapi.json."""

    key_id: str
    name: str
    prefix: str
    last4: str
    permissions: list[str]
    test: bool
    created_at: str
    last_used_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKey:
        return cls(
            key_id=data["key_id"],
            name=data["name"],
            prefix=data["prefix"],
            last4=data["last4"],
            permissions=list(data["permissions"]),
            test=data["test"],
            created_at=data["created_at"],
            last_used_at=data.get("last_used_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreate(Model):
    """POST /api/v1/api-keys."""

    name: str
    permissions: list[str]
    test: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyCreate:
        return cls(
            name=data["name"],
            permissions=list(data["permissions"]),
            test=data.get("test"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(Model):
    """The `ApiKeyCreated` schema of openapi.json."""

    key_id: str
    name: str
    prefix: str
    last4: str
    permissions: list[str]
    test: bool
    created_at: str
    last_used_at: str | None
    key: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyCreated:
        return cls(
            key_id=data["key_id"],
            name=data["name"],
            prefix=data["prefix"],
            last4=data["last4"],
            permissions=list(data["permissions"]),
            test=data["test"],
            created_at=data["created_at"],
            last_used_at=data.get("last_used_at"),
            key=data["key"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyList(Model):
    """The `ApiKeyList` schema of openapi.json."""

    api_keys: list[ApiKey]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyList:
        return cls(
            api_keys=[ApiKey.from_dict(item) for item in data["api_keys"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(Model):
    """The `ApiKeyRevoked` schema of openapi.json."""

    key_id: str
    revoked: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyRevoked:
        return cls(
            key_id=data["key_id"],
            revoked=data["revoked"],
            raw=data,
        )


__all__ = [
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyList",
    "ApiKeyRevoked",
]
