"""/mail/messages: the message log (permission `mail`). Loaded on its first request like the
settings routers (app.SETTINGS_ROUTERS), so a /send cold start never imports it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from mailpass import errors as e
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures
from mailpass_api.deps import API, MailPrincipal, Services, blocking, ok
from mailpass_api.models import Ok
from mailpass_api.routers.mail import MessageState, MessageView

router = APIRouter(prefix=f"{API}/mail/messages", tags=["mail"])


class MessagePage(BaseModel):
    messages: list[MessageView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null at the end"
    )


class MessagePageResponse(Ok[MessagePage]):
    pass


@router.get(
    "",
    operation_id="listMessages",
    summary="This account's messages, newest first",
    description="Filters combine (all must hold). `from` and `until` bound `created_at` "
    "(RFC 3339 with an offset, both inclusive). A page may hold fewer than `limit` messages "
    "when filters combine and still have a `next_cursor`; the last page has none. A cursor is "
    "signed: it works only for this account and the same filters (otherwise 400).",
    response_model=MessagePageResponse,
    responses={
        200: {
            "content": example(
                {
                    "messages": [
                        {
                            "message_id": "<abc123@mailpass.im>",
                            "from_email": "support@yourdomain.com",
                            "to_email": "user@example.com",
                            "subject": "Order Confirmation",
                            "status": "delivered",
                            "tags": ["order"],
                            "created_at": "2026-01-30T12:00:00",
                        }
                    ],
                    "next_cursor": "eyJwayI6Ik1TRyM...Q.3q2-7fW1...",
                }
            )
        },
        **failures(e.ValidationFailed),
    },
)
async def list_messages(
    request: Request,
    *,
    principal: MailPrincipal,
    c: Services,
    status: Annotated[MessageState | None, Query(description="Only this status")] = None,
    to: Annotated[
        str | None, Query(max_length=320, description="Only to this address (exact)")
    ] = None,
    tag: Annotated[str | None, Query(max_length=256, description="Only with this tag")] = None,
    since: Annotated[
        str | None,
        Query(alias="from", max_length=64, description="created_at at or after (RFC 3339)"),
    ] = None,
    until: Annotated[
        str | None, Query(max_length=64, description="created_at at or before (RFC 3339)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    def page() -> dict[str, Any]:
        return c.message_log.list(
            principal,
            status=status,
            to=to,
            tag=tag,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )

    return ok(await blocking(request, page))
