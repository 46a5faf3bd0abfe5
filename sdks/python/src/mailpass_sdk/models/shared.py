"""Result models several resources use.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class ErrorBody(Model):
    """The `ErrorBody` schema of openapi.json."""

    code: str
    message: str
    details: Any

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorBody:
        return cls(
            code=data["code"],
            message=data["message"],
            details=data["details"],
            raw=data,
        )


__all__ = [
    "ErrorBody",
]
