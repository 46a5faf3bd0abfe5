"""Request shapes of the provider settings API. Kept apart from `schemas` so the API's cold
start does not build them: only the settings routes (and the CLI) import this module."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mailpass.schemas import MAX_NAME_CHARS, EmailAddress, HeaderText, clean_header_text

Hostname = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?$"),
]
Limit = Annotated[int, Field(ge=0, le=10_000_000)]
Secret = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(clean_header_text)]
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_header_text)]
Login = Annotated[str, Field(min_length=1, max_length=320), AfterValidator(clean_header_text)]
Region = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+-\d)?$")]


class ProviderFields(BaseModel):
    """What a provider may be given; which fields a kind takes is checked in the service."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    host: Hostname | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["none", "starttls", "tls"] | None = None
    username: Login | None = None
    # The SMTP password, or the API key for the sendgrid / mailgun / mailpass presets.
    password: Secret | None = None
    region: Region | None = None
    configuration_set: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    from_email: EmailAddress | None = None
    from_name: Annotated[HeaderText, Field(max_length=MAX_NAME_CHARS)] | None = None
    hourly_limit: Limit | None = None
    daily_limit: Limit | None = None
    track_opens: bool | None = None
    track_clicks: bool | None = None
    # SMTP kinds: the largest raw message the server takes (its SIZE); null: 40 MB, as SES.
    max_message_bytes: Annotated[int, Field(ge=64 * 1024, le=40_000_000)] | None = None


class ProviderCreate(ProviderFields):
    """POST /api/v1/smtp-providers"""

    kind: Literal["smtp", "ses", "sendgrid", "mailgun", "mailpass"]
    name: Name
    make_default: bool = False


class ProviderUpdate(ProviderFields):
    """PATCH /api/v1/smtp-providers/{id}: only the fields given change; null clears a limit."""


class FallbackOrder(BaseModel):
    """PUT /api/v1/smtp-providers/fallbacks"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=10)]
