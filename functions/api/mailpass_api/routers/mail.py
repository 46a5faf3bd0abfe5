"""/mail: send now, queue a batch, read a message's state (permission `mail`). The send path."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from mailpass import errors as e
from mailpass.schemas import BatchRequest, SendRequest
from pydantic import BaseModel, Field

from mailpass_api.contract import (
    IDEMPOTENCY_PARAMETER,
    RATE_LIMIT_HEADERS,
    REPLAYED_HEADER,
    example,
    failures,
    json_body,
)
from mailpass_api.deps import (
    API,
    MailPrincipal,
    Services,
    blocking,
    ok,
    once,
    parse_body,
    public_base,
)
from mailpass_api.models import ErrorBody, Ok

router = APIRouter(prefix=f"{API}/mail", tags=["mail"])

MessageState = Literal[
    "scheduled",
    "canceled",
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "bounced",
    "complained",
]


class SendResult(BaseModel):
    message_id: str = Field(description="RFC 5322 Message-ID, angle brackets included")
    status: MessageState
    to: str
    from_: str = Field(alias="from")


class BatchItem(BaseModel):
    to: str | None
    status: Literal["queued", "scheduled", "failed"]
    queue_id: int | None = Field(default=None, description="Positive, unique and increasing")
    message_id: str | None = None
    scheduled_at: str | None = Field(default=None, description="When it goes (UTC)")
    error: ErrorBody | None = Field(default=None, description="Why this message failed")


class BatchResult(BaseModel):
    total: int
    queued: int
    scheduled: int = Field(default=0, description="Waiting for their scheduled_at")
    failed: int
    messages: list[BatchItem]


class MessageView(BaseModel):
    message_id: str
    from_email: str
    from_name: str | None = None
    to_email: str
    cc: list[str] = []
    bcc: list[str] = []
    reply_to: str | None = None
    subject: str
    status: MessageState
    error_message: str | None = None
    note: str | None = None
    tags: list[str] = []
    metadata: dict[str, Any] = {}
    provider_id: str | None = None
    provider_message_id: str | None = None
    test: bool = False
    queue_id: int | None = None
    template_id: str | None = Field(default=None, description="The template it was rendered from")
    scheduled_at: str | None = Field(default=None, description="When it goes (UTC)")
    sent_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class EventView(BaseModel):
    event_type: str = Field(
        description="open, click, delivery, bounce, complaint, reject or delivery_delay"
    )
    ip_address: str | None = None
    user_agent: str | None = None
    created_at: str | None = None
    machine: bool | None = Field(default=None, description="A privacy proxy or scanner")
    url: str | None = Field(default=None, description="The link clicked")
    bounce_type: str | None = None
    reason: str | None = None


class Engagement(BaseModel):
    opens: int
    machine_opens: int
    clicks: int
    machine_clicks: int


class MessageStatusResult(BaseModel):
    message: MessageView
    events: list[EventView]
    engagement: Engagement | None = None


class CancelResult(BaseModel):
    message_id: str
    status: Literal["canceled"]


class CancelResponse(Ok[CancelResult]):
    pass


class BatchResponse(Ok[BatchResult]):
    pass


class MessageStatusResponse(Ok[MessageStatusResult]):
    pass


class SendResponse(Ok[SendResult]):
    pass


SEND_EXAMPLE = {
    "to": "user@example.com",
    "subject": "Order Confirmation",
    "html": "<h1>Thank you for your order</h1><p>Order #12345 has been confirmed.</p>",
    "text": "Thank you for your order. Order #12345 has been confirmed.",
    "from_email": "support@yourdomain.com",
    "from_name": "My Shop",
    "tags": ["order", "confirmation"],
    "metadata": {"order_id": "12345"},
}
BATCH_EXAMPLE = {
    "messages": [
        {"to": "a@example.com", "subject": "Hello A", "html": "<p>Hello A</p>"},
        {"to": "b@example.com", "subject": "Hello B", "text": "Hello B"},
    ],
    "from_email": "noreply@yourdomain.com",
    "from_name": "My Service",
}


@router.post(
    "/send",
    operation_id="sendMail",
    summary="Send one message now, or at its scheduled_at",
    description="Sends immediately through the account's default SMTP provider (then its "
    "fallbacks, in order). With `scheduled_at` (RFC 3339 with an offset, at most 30 days "
    "ahead) it answers `status: scheduled` and is sent at that time; cancel it with "
    "/cancel.",
    response_model=SendResponse,
    response_model_exclude_unset=True,
    responses={
        200: {
            "headers": {**RATE_LIMIT_HEADERS, **REPLAYED_HEADER},
            "content": example(
                {
                    "message_id": "<abc123.1706600000@mailpass.im>",
                    "status": "sent",
                    "to": "user@example.com",
                    "from": "support@yourdomain.com",
                }
            ),
            "links": {
                "GetMessageStatus": {
                    "operationId": "getMessageStatus",
                    "parameters": {"message_id": "$response.body#/data/message_id"},
                },
                "CancelMessage": {
                    "operationId": "cancelMessage",
                    "parameters": {"message_id": "$response.body#/data/message_id"},
                },
            },
        },
        **failures(
            e.ValidationFailed,
            e.NotFound,
            e.IdempotencyConflict,
            e.IdempotencyInProgress,
            e.PayloadTooLarge,
            e.NoSmtpProvider,
            e.SenderNotVerified,
            e.SendLimitExceeded,
            e.SendFailed,
        ),
    },
    openapi_extra={
        **json_body(
            SendRequest,
            {
                "order": {"summary": "An order mail", "value": SEND_EXAMPLE},
                "template": {
                    "summary": "From a stored template",
                    "value": {
                        "to": "user@example.com",
                        "template_id": "tpl_01J5Z8Q4N2",
                        "variables": {"name": "Kim", "order": "A-1042"},
                    },
                },
            },
        ),
        **IDEMPOTENCY_PARAMETER,
    },
)
async def send(
    request: Request, response: Response, principal: MailPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, SendRequest)

    base = public_base(request)

    def work() -> dict[str, Any]:
        result = c.sending.send(principal, body, base)
        data = {
            "message_id": result.message_id,
            "status": result.status,
            "to": result.to,
            "from": result.from_email,
        }
        return {"data": data, "headers": result.rate.headers() if result.rate else {}}

    out = await once(request, response, principal, c, "send", work)
    response.headers.update(out["headers"])
    return ok(out["data"])


@router.post(
    "/send-batch",
    operation_id="sendBatch",
    summary="Queue up to 100 messages",
    description="Queues the messages; they are sent shortly after. One invalid message fails "
    "alone (`status: failed` with its error, such as VALIDATION_ERROR or SENDER_NOT_VERIFIED); "
    "the others are queued.",
    response_model=BatchResponse,
    response_model_exclude_unset=True,
    responses={
        200: {
            "headers": REPLAYED_HEADER,
            "content": example(
                {
                    "total": 2,
                    "queued": 2,
                    "failed": 0,
                    "messages": [
                        {
                            "to": "a@example.com",
                            "status": "queued",
                            "queue_id": 101,
                            "message_id": "<abc124.1706600000@mailpass.im>",
                        },
                        {
                            "to": "b@example.com",
                            "status": "queued",
                            "queue_id": 102,
                            "message_id": "<abc125.1706600000@mailpass.im>",
                        },
                    ],
                }
            ),
            "links": {
                "GetFirstMessageStatus": {
                    "operationId": "getMessageStatus",
                    "parameters": {"message_id": "$response.body#/data/messages/0/message_id"},
                }
            },
        },
        **failures(
            e.ValidationFailed,
            e.IdempotencyConflict,
            e.IdempotencyInProgress,
            e.PayloadTooLarge,
            e.NoSmtpProvider,
        ),
    },
    openapi_extra={
        **json_body(BatchRequest, {"two": {"summary": "Two messages", "value": BATCH_EXAMPLE}}),
        **IDEMPOTENCY_PARAMETER,
    },
)
async def send_batch(
    request: Request, response: Response, principal: MailPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, BatchRequest)
    out = await once(
        request,
        response,
        principal,
        c,
        "send-batch",
        lambda: {"data": c.batch.enqueue(principal, body, public_base(request))},
    )
    return ok(out["data"])


@router.get(
    "/status/{message_id:path}",
    operation_id="getMessageStatus",
    summary="A message's state and tracking events",
    description="`message_id` is accepted with or without its angle brackets, URL-encoded or "
    "not. Another account's message is indistinguishable from a missing one.",
    response_model=MessageStatusResponse,
    response_model_exclude_unset=True,
    responses={
        200: {
            "content": example(
                {
                    "message": {
                        "message_id": "<abc123@mailpass.im>",
                        "from_email": "support@yourdomain.com",
                        "to_email": "user@example.com",
                        "subject": "Order Confirmation",
                        "status": "sent",
                        "error_message": None,
                        "sent_at": "2026-01-30T12:00:00",
                        "created_at": "2026-01-30T12:00:00",
                    },
                    "events": [
                        {
                            "event_type": "open",
                            "ip_address": "192.168.1.1",
                            "user_agent": "Mozilla/5.0...",
                            "created_at": "2026-01-30T12:05:00",
                        }
                    ],
                }
            )
        },
        **failures(e.NotFound),
    },
)
async def status(
    request: Request, message_id: str, principal: MailPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.status.get, principal, message_id))


@router.post(
    "/cancel/{message_id:path}",
    operation_id="cancelMessage",
    summary="Cancel a scheduled message",
    description="A `scheduled` message becomes `canceled` and is never sent. One already handed "
    "off for sending, or final, cannot be canceled (409 `NOT_CANCELABLE`). `message_id` is "
    "accepted as on /status.",
    response_model=CancelResponse,
    responses={
        200: {
            "content": example({"message_id": "<abc123@mailpass.im>", "status": "canceled"}),
        },
        **failures(e.NotFound, e.NotCancelable),
    },
)
async def cancel(
    request: Request, message_id: str, principal: MailPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.scheduler.cancel, principal, message_id))
