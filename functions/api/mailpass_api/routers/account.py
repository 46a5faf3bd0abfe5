"""/account: the calling account's own settings (permission `settings`). Loaded on the first
request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from mailpass import errors as e
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/account", tags=["account"])

RESTRICT = (
    "SMTP-family providers (smtp, sendgrid, mailgun, mailpass) too send only from the account's "
    "verified domains and their subdomains; SES providers always do. Default false."
)


class AccountSettings(BaseModel):
    account_id: str
    default_provider_id: str | None
    fallback_provider_ids: list[str]
    restrict_senders_to_verified_domains: bool = Field(description=RESTRICT)


class AccountUpdate(BaseModel):
    """PATCH /api/v1/account: the settings given change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    restrict_senders_to_verified_domains: StrictBool = Field(description=RESTRICT)


class AccountSettingsResponse(Ok[AccountSettings]):
    pass


EXAMPLE = {
    "account_id": "acct_01J5Z8Q4N1",
    "default_provider_id": "prov_01J5Z8Q4N2",
    "fallback_provider_ids": ["prov_01J5Z8Q4N3"],
    "restrict_senders_to_verified_domains": False,
}


@router.get(
    "",
    operation_id="getAccount",
    summary="The account's settings",
    response_model=AccountSettingsResponse,
    responses={200: {"content": example(EXAMPLE)}, **failures(e.NotFound)},
)
async def get_account(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.account_settings.get, principal.account_id))


@router.patch(
    "",
    operation_id="updateAccount",
    summary="Change the account's settings",
    response_model=AccountSettingsResponse,
    responses={
        200: {"content": example({**EXAMPLE, "restrict_senders_to_verified_domains": True})},
        **failures(e.ValidationFailed, e.PayloadTooLarge, e.NotFound),
    },
    openapi_extra=json_body(
        AccountUpdate,
        {
            "restrict": {
                "summary": "Every provider sends only from verified domains",
                "value": {"restrict_senders_to_verified_domains": True},
            }
        },
    ),
)
async def update_account(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, AccountUpdate)

    def work() -> dict[str, Any]:
        return c.account_settings.update(
            principal.account_id,
            restrict_senders_to_verified_domains=body.restrict_senders_to_verified_domains,
        )

    return ok(await blocking(request, work))
