"""/api-keys: the account's API keys (permission `settings`). Loaded on the first request under
its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from mailpass import errors as e
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/api-keys", tags=["api-keys"])

PermissionName = Literal["mail", "settings"]


class ApiKeyCreate(BaseModel):
    """POST /api/v1/api-keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    permissions: list[PermissionName] = Field(
        min_length=1,
        max_length=2,
        description="Each must be one the calling key has (else 403 FORBIDDEN)",
    )
    test: StrictBool = Field(
        default=False,
        description="An `mp_test_...` key: runs the whole pipeline, never hands a message to a "
        "real provider. A test key can create test keys only.",
    )


class ApiKey(BaseModel):
    key_id: str
    name: str
    prefix: str = Field(description="The key's first characters (`mp_live_` and six more)")
    last4: str = Field(description="The key's last four characters")
    permissions: list[PermissionName]
    test: bool
    created_at: str
    last_used_at: str | None = Field(
        description="To the hour: written at most once per hour per key"
    )


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The key itself: shown this once, never again")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKey]


class ApiKeyRevoked(BaseModel):
    key_id: str
    revoked: Literal[True]


class ApiKeyCreatedResponse(Ok[ApiKeyCreated]):
    pass


class ApiKeyListResponse(Ok[ApiKeyList]):
    pass


class ApiKeyRevokedResponse(Ok[ApiKeyRevoked]):
    pass


KEY_EXAMPLE = {
    "key_id": "key_01J5Z8Q4N2",
    "name": "Billing service",
    "prefix": "mp_live_3fK9qA",
    "last4": "x7Qe",
    "permissions": ["mail"],
    "test": False,
    "created_at": "2026-01-30T12:00:00",
    "last_used_at": None,
}
LINKS = {
    "RevokeApiKey": {
        "operationId": "revokeApiKey",
        "parameters": {"key_id": "$response.body#/data/key_id"},
    },
    "ListApiKeys": {"operationId": "listApiKeys"},
}


@router.get(
    "",
    operation_id="listApiKeys",
    summary="The account's keys that work, oldest first",
    description="Never the keys themselves: their prefix and last four characters.",
    response_model=ApiKeyListResponse,
    responses={
        200: {
            "content": example(
                {"api_keys": [{**KEY_EXAMPLE, "last_used_at": "2026-01-30T13:00:00"}]}
            )
        },
        **failures(),
    },
)
async def list_api_keys(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok({"api_keys": await blocking(request, c.keys.list, principal.account_id)})


@router.post(
    "",
    status_code=201,
    operation_id="createApiKey",
    summary="Make a key",
    description="The answer carries `key`, the key itself, this once. A key cannot grant a "
    "permission the calling key lacks, and a test key makes test keys only: both 403 FORBIDDEN. "
    "An account has at most 100 live keys (409 TOO_MANY_API_KEYS): revoke one first.",
    response_model=ApiKeyCreatedResponse,
    responses={
        201: {
            "content": example({**KEY_EXAMPLE, "key": "mp_live_3fK9qA" + "0" * 30 + "x7Qe"}),
            "links": LINKS,
        },
        **failures(e.ValidationFailed, e.PayloadTooLarge, e.TooManyKeys),
    },
    openapi_extra=json_body(
        ApiKeyCreate,
        {
            "mail": {
                "summary": "A key that sends mail only",
                "value": {"name": "Billing service", "permissions": ["mail"]},
            },
            "test": {
                "summary": "A test key for CI",
                "value": {"name": "CI", "permissions": ["mail"], "test": True},
            },
        },
    ),
)
async def create_api_key(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, ApiKeyCreate)

    def work() -> dict[str, Any]:
        return c.keys.create(
            principal, name=body.name, permissions=list(body.permissions), test=body.test
        )

    return ok(await blocking(request, work))


@router.delete(
    "/{key_id}",
    operation_id="revokeApiKey",
    summary="Revoke a key",
    description="The key stops working with the very next request. The account's last key "
    "with `settings` cannot be revoked (409 LAST_SETTINGS_KEY): create another first.",
    response_model=ApiKeyRevokedResponse,
    responses={
        200: {"content": example({"key_id": "key_01J5Z8Q4N2", "revoked": True})},
        **failures(e.NotFound, e.LastSettingsKey),
    },
)
async def revoke_api_key(
    request: Request, key_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.keys.revoke, principal.account_id, key_id))
