"""/webhooks: an account's endpoints for delivery and engagement events (permission `settings`).
Loaded on the first request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from mailpass import errors as e
from mailpass.schemas import WebhookCreate
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/webhooks", tags=["webhooks"])


class Webhook(BaseModel):
    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None


class WebhookCreated(Webhook):
    secret: str = Field(
        description="The signing secret (`whsec_...`), shown this once: verify "
        '`MailPass-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`'
    )


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class WebhookDeleted(BaseModel):
    deleted: str


class WebhookCreatedResponse(Ok[WebhookCreated]):
    pass


class WebhookDeletedResponse(Ok[WebhookDeleted]):
    pass


class WebhookListResponse(Ok[WebhookList]):
    pass


WEBHOOK_EXAMPLE = {
    "webhook_id": "wh_01J5Z8Q4N2",
    "url": "https://yourdomain.com/hooks/mailpass",
    "event_types": ["delivery", "bounce", "open"],
    "created_at": "2026-01-30T12:00:00",
}


@router.post(
    "",
    status_code=201,
    operation_id="createWebhook",
    summary="Register an endpoint for some event types",
    description="Event types: open, click, delivery, bounce, complaint, reject, delivery_delay. "
    "The url must be https:// and reach a public address.",
    response_model=WebhookCreatedResponse,
    responses={
        201: {
            "content": example({**WEBHOOK_EXAMPLE, "secret": "whsec_3q2+7w..."}),
            "links": {
                "DeleteWebhook": {
                    "operationId": "deleteWebhook",
                    "parameters": {"webhook_id": "$response.body#/data/webhook_id"},
                }
            },
        },
        **failures(e.ValidationFailed, e.PayloadTooLarge),
    },
    openapi_extra=json_body(
        WebhookCreate,
        {
            "delivery": {
                "summary": "Deliveries and bounces",
                "value": {
                    "url": "https://yourdomain.com/hooks/mailpass",
                    "event_types": ["delivery", "bounce"],
                },
            }
        },
    ),
)
async def create_webhook(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, WebhookCreate)
    events = list(body.event_types)
    return ok(await blocking(request, c.webhooks.create, principal.account_id, body.url, events))


@router.get(
    "",
    operation_id="listWebhooks",
    summary="The account's webhooks",
    response_model=WebhookListResponse,
    responses={
        200: {"content": example({"webhooks": [WEBHOOK_EXAMPLE]})},
        **failures(e.NotFound),
    },
)
async def list_webhooks(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.webhooks.list_all, principal.account_id))


@router.delete(
    "/{webhook_id}",
    operation_id="deleteWebhook",
    summary="Remove a webhook (and its signing secret)",
    response_model=WebhookDeletedResponse,
    responses={
        200: {"content": example({"deleted": "wh_01J5Z8Q4N2"})},
        **failures(e.NotFound),
    },
)
async def delete_webhook(
    request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.webhooks.delete, principal.account_id, webhook_id))
