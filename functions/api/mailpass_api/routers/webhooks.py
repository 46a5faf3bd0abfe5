"""/webhooks: an account's endpoints for delivery and engagement events, and what operating them
takes: the delivery log, test events, secret rotation, re-enabling (permission `settings`).
Loaded on the first request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from mailpass import errors as e
from mailpass.schemas import WebhookCreate, WebhookUpdate
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/webhooks", tags=["webhooks"])

SIGNATURES = (
    "Every delivery carries Standard Webhooks headers: `webhook-id`, `webhook-timestamp` and "
    '`webhook-signature: v1,<base64 HMAC-SHA256("<id>.<timestamp>.<body>")>` (the key is the '
    "base64 after `whsec_`), which the `standardwebhooks` libraries verify; and, as before, "
    '`MailPass-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.'
)


class Webhook(BaseModel):
    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None
    enabled: bool = Field(description="false once disabled (by the account or automatically)")
    disabled_reason: str | None = Field(
        description="Why it is off: a 410 Gone, 50 failed attempts in a row, 3 days of "
        "failing, or `disabled by the account`"
    )
    disabled_at: str | None
    consecutive_failures: int = Field(description="Failed attempts since the last success")
    failing_since: str | None = Field(description="When the current run of failures began")
    previous_secret_expires_at: str | None = Field(
        description="After a rotation: until when deliveries are signed with the previous "
        "secret too"
    )
    updated_at: str | None


class WebhookCreated(Webhook):
    secret: str = Field(
        description="The signing secret (`whsec_` + base64 of 32 random bytes), shown this "
        "once. " + SIGNATURES
    )


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class WebhookDeleted(BaseModel):
    deleted: str


class WebhookTestQueued(BaseModel):
    webhook_id: str
    event_id: str = Field(description="The test event's id: its `webhook-id` header")
    event_type: Literal["test"]


class WebhookSecret(BaseModel):
    webhook_id: str
    secret: str = Field(description="The new signing secret, shown this once")
    previous_secret_expires_at: str = Field(
        description="Until then every delivery carries two signatures, `v1,<new> v1,<old>`"
    )


class WebhookDelivery(BaseModel):
    event_id: str
    event_type: str
    attempt: int = Field(description="1 for the first post of the event, then each retry")
    created_at: str | None
    delivered: bool
    status_code: int | None = Field(description="The receiver's status; null without an answer")
    error: (
        Literal["timeout", "refused", "redirect", "dns", "tls", "blocked", "connection"] | None
    ) = Field(
        description="What stood in the way: no answer in time, the connection refused, a 3xx "
        "(redirects are not followed), a name that does not resolve, a TLS failure, an address "
        "the egress guard refuses, another connection failure; null when a status came back "
        "(a 3xx excepted)"
    )
    detail: str = Field(description="The reason phrase, or what the connection raised")
    duration_ms: int
    next_retry_at: str | None = Field(
        description="When the next attempt is due; null when delivered, disabled, or after the "
        "last attempt"
    )


class WebhookDeliveries(BaseModel):
    webhook_id: str
    deliveries: list[WebhookDelivery]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class WebhookResponse(Ok[Webhook]):
    pass


class WebhookCreatedResponse(Ok[WebhookCreated]):
    pass


class WebhookDeletedResponse(Ok[WebhookDeleted]):
    pass


class WebhookListResponse(Ok[WebhookList]):
    pass


class WebhookTestResponse(Ok[WebhookTestQueued]):
    pass


class WebhookSecretResponse(Ok[WebhookSecret]):
    pass


class WebhookDeliveriesResponse(Ok[WebhookDeliveries]):
    pass


WEBHOOK_EXAMPLE = {
    "webhook_id": "wh_01J5Z8Q4N2",
    "url": "https://yourdomain.com/hooks/mailpass",
    "event_types": ["delivery", "bounce", "open"],
    "created_at": "2026-01-30T12:00:00",
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "consecutive_failures": 0,
    "failing_since": None,
    "previous_secret_expires_at": None,
    "updated_at": None,
}
DISABLED_EXAMPLE = {
    **WEBHOOK_EXAMPLE,
    "enabled": False,
    "disabled_reason": "the endpoint answered 410 Gone",
    "disabled_at": "2026-02-03T08:15:02",
}
DELIVERY_EXAMPLE = {
    "event_id": "evt_4f9c1e8a2b7d4c6e9f0a1b2c3d4e5f60",
    "event_type": "bounce",
    "attempt": 2,
    "created_at": "2026-01-30T12:00:05",
    "delivered": False,
    "status_code": 500,
    "error": None,
    "detail": "Internal Server Error",
    "duration_ms": 182,
    "next_retry_at": "2026-01-30T12:05:12",
}


def _by_id(operation: str) -> dict[str, Any]:
    return {
        "operationId": operation,
        "parameters": {"webhook_id": "$response.body#/data/webhook_id"},
    }


# The stateful fuzz follows these: create -> test -> deliveries -> rotate (and get, patch, delete).
CREATED_LINKS = {
    "GetWebhook": _by_id("getWebhook"),
    "UpdateWebhook": _by_id("updateWebhook"),
    "TestWebhook": _by_id("testWebhook"),
    "ListWebhookDeliveries": _by_id("listWebhookDeliveries"),
    "RotateWebhookSecret": _by_id("rotateWebhookSecret"),
    "DeleteWebhook": _by_id("deleteWebhook"),
}


@router.post(
    "",
    status_code=201,
    operation_id="createWebhook",
    summary="Register an endpoint for some event types",
    description="Event types: open, click, delivery, bounce, complaint, reject, delivery_delay. "
    "The url must be https:// and reach a public address. " + SIGNATURES,
    response_model=WebhookCreatedResponse,
    responses={
        201: {
            "content": example(
                {**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            ),
            "links": CREATED_LINKS,
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


@router.get(
    "/{webhook_id}",
    operation_id="getWebhook",
    summary="One webhook, with its state (enabled, why not, its failure streak)",
    response_model=WebhookResponse,
    responses={200: {"content": example(DISABLED_EXAMPLE)}, **failures(e.NotFound)},
)
async def get_webhook(
    request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.webhooks.get, principal.account_id, webhook_id))


@router.patch(
    "/{webhook_id}",
    operation_id="updateWebhook",
    summary="Change the url or event types, or turn a webhook back on",
    description="Only the fields given change. A new url is checked like one at creation. "
    '`{"enabled": true}` re-enables a disabled webhook and forgets its failure streak.',
    response_model=WebhookResponse,
    responses={
        200: {"content": example(WEBHOOK_EXAMPLE)},
        **failures(e.ValidationFailed, e.NotFound, e.PayloadTooLarge),
    },
    openapi_extra=json_body(
        WebhookUpdate,
        {
            "enable": {"summary": "Turn it back on", "value": {"enabled": True}},
            "move": {
                "summary": "A new url and events",
                "value": {"url": "https://yourdomain.com/hooks/v2", "event_types": ["bounce"]},
            },
        },
    ),
)
async def update_webhook(
    request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, WebhookUpdate)

    def update() -> dict[str, Any]:
        return c.webhooks.update(
            principal.account_id,
            webhook_id,
            url=body.url,
            event_types=None if body.event_types is None else list(body.event_types),
            enabled=body.enabled,
        )

    return ok(await blocking(request, update))


@router.delete(
    "/{webhook_id}",
    operation_id="deleteWebhook",
    summary="Remove a webhook (and its signing secrets)",
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


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    operation_id="testWebhook",
    summary="Send a `test` event through the webhook queue",
    description="Queued like any event and posted by the webhook function, signed, retried and "
    "logged the same way; its attempts show in the delivery log. A disabled webhook is a 409: "
    "turn it on first.",
    response_model=WebhookTestResponse,
    responses={
        202: {
            "content": example(
                {
                    "webhook_id": "wh_01J5Z8Q4N2",
                    "event_id": "evt_4f9c1e8a2b7d4c6e9f0a1b2c3d4e5f60",
                    "event_type": "test",
                }
            ),
            "links": {"ListWebhookDeliveries": _by_id("listWebhookDeliveries")},
        },
        **failures(e.NotFound, e.Conflict),
    },
)
async def test_webhook(
    request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.webhooks.send_test, principal.account_id, webhook_id))


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="The webhook's delivery attempts, newest first",
    description="One entry per attempt (kept 30 days): the event, the attempt number, the "
    "status or the error, how long it took and when the next try is due.",
    response_model=WebhookDeliveriesResponse,
    responses={
        200: {
            "content": example(
                {
                    "webhook_id": "wh_01J5Z8Q4N2",
                    "deliveries": [DELIVERY_EXAMPLE],
                    "next_cursor": None,
                }
            ),
            "links": {"RotateWebhookSecret": _by_id("rotateWebhookSecret")},
        },
        **failures(e.ValidationFailed, e.NotFound),
    },
)
async def list_deliveries(
    request: Request,
    webhook_id: str,
    principal: SettingsPrincipal,
    c: Services,
    *,
    limit: Annotated[int, Query(ge=1, le=100, description="Entries per page")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the page before")
    ] = None,
) -> dict[str, Any]:
    account = principal.account_id
    return ok(await blocking(request, c.webhooks.deliveries, account, webhook_id, limit, cursor))


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Replace the signing secret (both sign for 24 hours)",
    description="Returns the new secret, shown this once. For 24 hours every delivery carries "
    "two Standard Webhooks signatures, `webhook-signature: v1,<new> v1,<old>`, so the receiver "
    "can switch secrets without rejecting a delivery (`MailPass-Signature` carries the new "
    "one only). Deliveries pick the new secret up within a minute.",
    response_model=WebhookSecretResponse,
    responses={
        200: {
            "content": example(
                {
                    "webhook_id": "wh_01J5Z8Q4N2",
                    "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                    "previous_secret_expires_at": "2026-01-31T12:00:00",
                }
            ),
            "links": {"GetWebhook": _by_id("getWebhook")},
        },
        **failures(e.NotFound, e.Conflict),
    },
)
async def rotate_secret(
    request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    account = principal.account_id
    return ok(await blocking(request, c.webhooks.rotate_secret, account, webhook_id))
