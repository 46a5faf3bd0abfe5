"""/smtp-providers: the spec's "dashboard > SMTP settings", as an API (permission `settings`).
Loaded on the first request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from mailpass import errors as e
from mailpass.provider_schemas import FallbackOrder, ProviderCreate, ProviderUpdate
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/smtp-providers", tags=["smtp-providers"])


class ProviderUsage(BaseModel):
    hour: int | None = Field(description="Sends this UTC hour; null without an hourly limit")
    day: int | None = Field(description="Sends this UTC day; null without a daily limit")


class Provider(BaseModel):
    provider_id: str
    kind: Literal["smtp", "ses", "sendgrid", "mailgun", "mailpass"]
    name: str
    from_email: str | None
    from_name: str | None
    host: str | None
    port: int | None
    security: Literal["none", "starttls", "tls"] | None = Field(description="null for ses")
    username: str | None
    password: Literal["********"] | None = Field(
        description="Never the secret itself: `********` when one is set"
    )
    region: str | None
    configuration_set: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool
    track_clicks: bool
    max_message_bytes: int | None = Field(
        default=None, description="SMTP kinds: the largest raw message taken; null: 40 MB"
    )
    created_at: str | None
    updated_at: str | None
    is_default: bool
    fallback_rank: int | None = Field(description="1 for the first fallback; null if none")
    usage: ProviderUsage | None = Field(
        default=None,
        description="Current sends against hourly_limit and daily_limit (list and get only)",
    )


class ProviderList(BaseModel):
    providers: list[Provider]
    default_provider_id: str | None
    fallback_provider_ids: list[str]


class ProviderDeleted(BaseModel):
    deleted: str
    default_provider_id: str | None


class ProbeStep(BaseModel):
    step: str
    ok: bool
    detail: str | None = None
    ms: float | None = None


class ProviderTestReport(BaseModel):
    provider_id: str
    ok: bool
    failed_step: str | None
    steps: list[ProbeStep]


class ProviderResponse(Ok[Provider]):
    pass


class ProviderDeletedResponse(Ok[ProviderDeleted]):
    pass


class ProviderListResponse(Ok[ProviderList]):
    pass


class ProviderTestResponse(Ok[ProviderTestReport]):
    pass


PROVIDER_EXAMPLE = {
    "provider_id": "prov_01J5Z8Q4N2",
    "kind": "smtp",
    "name": "Main relay",
    "from_email": "support@yourdomain.com",
    "from_name": "My Shop",
    "host": "smtp.yourdomain.com",
    "port": 587,
    "security": "starttls",
    "username": "mailer",
    "password": "********",
    "region": None,
    "configuration_set": None,
    "hourly_limit": 500,
    "daily_limit": 5000,
    "track_opens": True,
    "track_clicks": True,
    "created_at": "2026-01-30T12:00:00",
    "updated_at": None,
    "is_default": True,
    "fallback_rank": None,
}
LIST_EXAMPLE = {
    "providers": [PROVIDER_EXAMPLE],
    "default_provider_id": "prov_01J5Z8Q4N2",
    "fallback_provider_ids": [],
}
ID = {"provider_id": "$response.body#/data/provider_id"}
# What a client can do next with the provider it just made (and what schemathesis chains).
LINKS = {
    name: {"operationId": op, "parameters": ID}
    for name, op in (
        ("GetProvider", "getProvider"),
        ("UpdateProvider", "updateProvider"),
        ("TestProvider", "testProvider"),
        ("MakeDefaultProvider", "makeDefaultProvider"),
        ("DeleteProvider", "deleteProvider"),
    )
}
WRITE = (e.ValidationFailed, e.PayloadTooLarge, e.NotFound, e.Conflict)
# Create and update: an SES provider's from_email (any provider's, when the account restricts
# senders) must be in one of the account's verified domains.
SENDER_WRITE = (*WRITE, e.SenderNotVerified)


@router.get(
    "",
    operation_id="listProviders",
    summary="The account's providers, its default and fallback order",
    response_model=ProviderListResponse,
    responses={200: {"content": example(LIST_EXAMPLE)}, **failures(e.NotFound)},
)
async def list_providers(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.providers.list_all, principal.account_id))


@router.post(
    "",
    status_code=201,
    operation_id="createProvider",
    summary="Add a provider (optionally as the default)",
    description="`smtp` takes host, port, security and an optional login; `ses` takes region; "
    "the `sendgrid`, `mailgun` and `mailpass` presets set host and port themselves and take the "
    "API key as `password`.",
    response_model=ProviderResponse,
    responses={
        201: {"content": example(PROVIDER_EXAMPLE), "links": LINKS},
        **failures(*SENDER_WRITE),
    },
    openapi_extra=json_body(
        ProviderCreate,
        {
            "smtp": {
                "summary": "An SMTP server, made the default",
                "value": {
                    "kind": "smtp",
                    "name": "Main relay",
                    "host": "smtp.yourdomain.com",
                    "port": 587,
                    "security": "starttls",
                    "username": "mailer",
                    "password": "s3cret",
                    "from_email": "support@yourdomain.com",
                    "hourly_limit": 500,
                    "make_default": True,
                },
            },
            "ses": {
                "summary": "Amazon SES",
                "value": {"kind": "ses", "name": "SES", "region": "us-east-1"},
            },
        },
    ),
)
async def create_provider(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, ProviderCreate)
    return ok(await blocking(request, c.providers.create, principal.account_id, body))


@router.put(
    "/fallbacks",
    operation_id="setFallbackProviders",
    summary="Set the fallback order (tried after the default)",
    response_model=ProviderListResponse,
    responses={200: {"content": example(LIST_EXAMPLE)}, **failures(*WRITE)},
    openapi_extra=json_body(
        FallbackOrder,
        {"one": {"summary": "One fallback", "value": {"provider_ids": ["prov_01J5Z8Q4N3"]}}},
    ),
)
async def set_fallbacks(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, FallbackOrder)
    ids = list(body.provider_ids)
    return ok(await blocking(request, c.providers.set_fallbacks, principal.account_id, ids))


@router.get(
    "/{provider_id}",
    operation_id="getProvider",
    summary="One provider",
    response_model=ProviderResponse,
    responses={200: {"content": example(PROVIDER_EXAMPLE)}, **failures(e.NotFound)},
)
async def get_provider(
    request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.providers.get, principal.account_id, provider_id))


@router.patch(
    "/{provider_id}",
    operation_id="updateProvider",
    summary="Change some of a provider's fields",
    description="Only the fields given change; `null` clears a limit or the sender name.",
    response_model=ProviderResponse,
    responses={200: {"content": example(PROVIDER_EXAMPLE)}, **failures(*SENDER_WRITE)},
    openapi_extra=json_body(
        ProviderUpdate,
        {"limits": {"summary": "New limits", "value": {"hourly_limit": 1000, "daily_limit": None}}},
    ),
)
async def update_provider(
    request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, ProviderUpdate)
    account = principal.account_id
    return ok(await blocking(request, c.providers.update, account, provider_id, body))


@router.delete(
    "/{provider_id}",
    operation_id="deleteProvider",
    summary="Remove a provider (and its stored credential)",
    response_model=ProviderDeletedResponse,
    responses={
        200: {"content": example({"deleted": "prov_01J5Z8Q4N2", "default_provider_id": None})},
        **failures(e.NotFound, e.Conflict),
    },
)
async def delete_provider(
    request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.providers.delete, principal.account_id, provider_id))


@router.post(
    "/{provider_id}/default",
    operation_id="makeDefaultProvider",
    summary="Make a provider the account's default",
    response_model=ProviderListResponse,
    responses={
        200: {"content": example(LIST_EXAMPLE)},
        **failures(e.NotFound, e.Conflict, e.SenderNotVerified),
    },
)
async def make_default(
    request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    account = principal.account_id
    return ok(await blocking(request, c.providers.set_default, account, provider_id))


@router.post(
    "/{provider_id}/test",
    operation_id="testProvider",
    summary="Connect to the provider and report each step",
    description="A real connection (or SES call), step by step; nothing is sent. A failed step "
    "is a 200 with `ok: false`: the report is the answer.",
    response_model=ProviderTestResponse,
    responses={
        200: {
            "content": example(
                {
                    "provider_id": "prov_01J5Z8Q4N2",
                    "ok": True,
                    "failed_step": None,
                    "steps": [
                        {"step": "connect", "ok": True, "detail": "connected", "ms": 12.5},
                        {"step": "ehlo", "ok": True, "detail": "offers: STARTTLS", "ms": 3.1},
                    ],
                }
            )
        },
        **failures(e.NotFound),
    },
)
async def test_provider(
    request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.providers.test, principal.account_id, provider_id))
