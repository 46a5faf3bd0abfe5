"""The API's resources, one class each: here the sending side (`mail`, `stats`, the `mail`
permission); what an account configures (the `settings` permission) is in settings.py.
`_async/` is the source: sdks/python/scripts/generate.py writes `_sync/` from it with unasync,
so edit `_async/` and regenerate.

Each method builds a `Call` (what to send, how to read the answer) and hands it to the client's
core; `@operation` names the contract operation it implements (the coverage test reads it).
Keyword parameters carry the request schema's field names (a test holds them to openapi.json)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailpass_sdk._base import Record
from mailpass_sdk._core import Call, body, idempotency_headers, items, operation, path, query
from mailpass_sdk.models import (
    BatchResult,
    CancelResult,
    MessageStatusResult,
    MessageView,
    SendResult,
)

if TYPE_CHECKING:
    from mailpass_sdk._sync.client import MailPass


class Resource:
    def __init__(self, client: MailPass) -> None:
        self._client = client


class Mail(Resource):
    @operation("POST", "/api/v1/mail/send")
    def send(
        self,
        *,
        to: str,
        subject: str | None = None,
        html: str | None = None,
        text: str | None = None,
        from_email: str | None = None,
        from_name: str | None = None,
        reply_to: str | None = None,
        cc: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        template_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
        track_opens: bool | None = None,
        track_clicks: bool | None = None,
        attachments: Sequence[Mapping[str, Any]] | None = None,
        scheduled_at: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        """Send one message now (or at `scheduled_at`) through the account's default provider."""
        return self._client._request(
            Call(
                "POST",
                "/api/v1/mail/send",
                SendResult.from_dict,
                json=body(
                    to=to,
                    subject=subject,
                    html=html,
                    text=text,
                    from_email=from_email,
                    from_name=from_name,
                    reply_to=reply_to,
                    cc=cc,
                    bcc=bcc,
                    tags=tags,
                    metadata=metadata,
                    template_id=template_id,
                    variables=variables,
                    track_opens=track_opens,
                    track_clicks=track_clicks,
                    attachments=attachments,
                    scheduled_at=scheduled_at,
                ),
                headers=idempotency_headers(idempotency_key, self._client.options),
            )
        )

    @operation("POST", "/api/v1/mail/send-batch")
    def send_batch(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        from_email: str | None = None,
        from_name: str | None = None,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Queue up to 100 messages (each a dict of /send's fields)."""
        return self._client._request(
            Call(
                "POST",
                "/api/v1/mail/send-batch",
                BatchResult.from_dict,
                json=body(messages=messages, from_email=from_email, from_name=from_name),
                headers=idempotency_headers(idempotency_key, self._client.options),
            )
        )

    @operation("GET", "/api/v1/mail/status/{message_id}")
    def status(self, message_id: str) -> MessageStatusResult:
        """A message's state and its tracking events (`s.message.status`, `s.events`)."""
        return self._client._request(
            Call(
                "GET",
                path("/api/v1/mail/status/{message_id}", message_id=message_id),
                MessageStatusResult.from_dict,
            )
        )

    @operation("GET", "/api/v1/mail/messages")
    def list(
        self,
        *,
        status: str | None = None,
        to: str | None = None,
        tag: str | None = None,
        from_: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = None,
    ) -> Iterator[MessageView]:
        """This account's messages, newest first, every page (`limit` is the page size)."""
        call = Call(
            "GET",
            "/api/v1/mail/messages",
            _messages,
            params=query(status=status, to=to, tag=tag, from_=from_, until=until, limit=limit),
        )
        for page in self._client._pages(call):
            for message in page:
                yield message

    @operation("POST", "/api/v1/mail/cancel/{message_id}")
    def cancel(self, message_id: str) -> CancelResult:
        """Cancel a scheduled message (409 NOT_CANCELABLE once it was handed off)."""
        return self._client._request(
            Call(
                "POST",
                path("/api/v1/mail/cancel/{message_id}", message_id=message_id),
                CancelResult.from_dict,
            )
        )


def _messages(data: Any) -> list[MessageView]:
    return [MessageView.from_dict(m) for m in items(data, "messages")]


class Stats(Resource):
    @operation("GET", "/api/v1/stats")
    def get(
        self,
        *,
        from_: datetime | str | None = None,
        until: datetime | str | None = None,
        granularity: str | None = None,
    ) -> Record:
        """Counts per hour or day bucket (`buckets`) and `totals` with the bounce and
        complaint rates."""
        return self._client._request(
            Call(
                "GET",
                "/api/v1/stats",
                Record,
                params=query(from_=from_, until=until, granularity=granularity),
            )
        )
