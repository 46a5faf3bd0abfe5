"""Result models of the `templates` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model


@dataclass(frozen=True, kw_only=True)
class Template(Model):
    """The `Template` schema of openapi.json."""

    template_id: str
    name: str
    subject: str
    html: str | None
    text: str | None
    variables: list[str]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Template:
        return cls(
            template_id=data["template_id"],
            name=data["name"],
            subject=data["subject"],
            html=data.get("html"),
            text=data.get("text"),
            variables=list(data["variables"]),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateCreate(Model):
    """POST /api/v1/templates. `{{ variable }}` placeholders, nothing else; `text` "" sends the
    HTML only (no generated text part), as on /send."""

    name: str
    subject: str
    html: str | None
    text: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateCreate:
        return cls(
            name=data["name"],
            subject=data["subject"],
            html=data.get("html"),
            text=data.get("text"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateDeleted(Model):
    """The `TemplateDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateList(Model):
    """The `TemplateList` schema of openapi.json."""

    templates: list[Template]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateList:
        return cls(
            templates=[Template.from_dict(item) for item in data["templates"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateUpdate(Model):
    """PATCH /api/v1/templates/{id}: only the fields given change; null clears html or text."""

    name: str | None
    subject: str | None
    html: str | None
    text: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateUpdate:
        return cls(
            name=data.get("name"),
            subject=data.get("subject"),
            html=data.get("html"),
            text=data.get("text"),
            raw=data,
        )


__all__ = [
    "Template",
    "TemplateCreate",
    "TemplateDeleted",
    "TemplateList",
    "TemplateUpdate",
]
