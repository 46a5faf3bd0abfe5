"""Result models of the `mail` resource.

Generated from openapi.json by sdks/python/scripts/generate.py: do not edit. Each is a frozen
dataclass with attribute access; `raw` keeps the JSON object as received, so a field the server
adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model, opt
from mailpass_sdk.models.shared import ErrorBody


@dataclass(frozen=True, kw_only=True)
class AttachmentFields(Model):
    """One file: `content` is base64 (standard alphabet, padded; whitespace is ignored)."""

    filename: str
    content: str
    content_type: str | None
    content_id: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttachmentFields:
        return cls(
            filename=data["filename"],
            content=data["content"],
            content_type=data.get("content_type"),
            content_id=data.get("content_id"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class BatchItem(Model):
    """The `BatchItem` schema of openapi.json."""

    to: str | None
    status: str
    queue_id: int | None
    message_id: str | None
    scheduled_at: str | None
    error: ErrorBody | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchItem:
        return cls(
            to=data.get("to"),
            status=data["status"],
            queue_id=data.get("queue_id"),
            message_id=data.get("message_id"),
            scheduled_at=data.get("scheduled_at"),
            error=opt(ErrorBody.from_dict, data.get("error")),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class BatchRequest(Model):
    """POST /send-batch. Messages stay raw here: each is validated on its own, so one bad
    message fails alone while the request as a whole must still be well formed."""

    messages: list[dict[str, Any]]
    from_email: str | None
    from_name: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchRequest:
        return cls(
            messages=list(data["messages"]),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class BatchResult(Model):
    """The `BatchResult` schema of openapi.json."""

    total: int
    queued: int
    scheduled: int | None
    failed: int
    messages: list[BatchItem]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchResult:
        return cls(
            total=data["total"],
            queued=data["queued"],
            scheduled=data.get("scheduled"),
            failed=data["failed"],
            messages=[BatchItem.from_dict(item) for item in data["messages"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class CancelResult(Model):
    """The `CancelResult` schema of openapi.json."""

    message_id: str
    status: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CancelResult:
        return cls(
            message_id=data["message_id"],
            status=data["status"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Engagement(Model):
    """The `Engagement` schema of openapi.json."""

    opens: int
    machine_opens: int
    clicks: int
    machine_clicks: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Engagement:
        return cls(
            opens=data["opens"],
            machine_opens=data["machine_opens"],
            clicks=data["clicks"],
            machine_clicks=data["machine_clicks"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class EventView(Model):
    """The `EventView` schema of openapi.json."""

    event_type: str
    ip_address: str | None
    user_agent: str | None
    created_at: str | None
    machine: bool | None
    url: str | None
    bounce_type: str | None
    reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventView:
        return cls(
            event_type=data["event_type"],
            ip_address=data.get("ip_address"),
            user_agent=data.get("user_agent"),
            created_at=data.get("created_at"),
            machine=data.get("machine"),
            url=data.get("url"),
            bounce_type=data.get("bounce_type"),
            reason=data.get("reason"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class MessagePage(Model):
    """The `MessagePage` schema of openapi.json."""

    messages: list[MessageView]
    next_cursor: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessagePage:
        return cls(
            messages=[MessageView.from_dict(item) for item in data["messages"]],
            next_cursor=data.get("next_cursor"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class MessageStatusResult(Model):
    """The `MessageStatusResult` schema of openapi.json."""

    message: MessageView
    events: list[EventView]
    engagement: Engagement | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessageStatusResult:
        return cls(
            message=MessageView.from_dict(data["message"]),
            events=[EventView.from_dict(item) for item in data["events"]],
            engagement=opt(Engagement.from_dict, data.get("engagement")),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class MessageView(Model):
    """The `MessageView` schema of openapi.json."""

    message_id: str
    from_email: str
    from_name: str | None
    to_email: str
    cc: list[str]
    bcc: list[str]
    reply_to: str | None
    subject: str
    status: str
    error_message: str | None
    note: str | None
    tags: list[str]
    metadata: dict[str, Any]
    provider_id: str | None
    provider_message_id: str | None
    test: bool | None
    queue_id: int | None
    template_id: str | None
    scheduled_at: str | None
    sent_at: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessageView:
        return cls(
            message_id=data["message_id"],
            from_email=data["from_email"],
            from_name=data.get("from_name"),
            to_email=data["to_email"],
            cc=list(data.get("cc") or []),
            bcc=list(data.get("bcc") or []),
            reply_to=data.get("reply_to"),
            subject=data["subject"],
            status=data["status"],
            error_message=data.get("error_message"),
            note=data.get("note"),
            tags=list(data.get("tags") or []),
            metadata=dict(data.get("metadata") or {}),
            provider_id=data.get("provider_id"),
            provider_message_id=data.get("provider_message_id"),
            test=data.get("test"),
            queue_id=data.get("queue_id"),
            template_id=data.get("template_id"),
            scheduled_at=data.get("scheduled_at"),
            sent_at=data.get("sent_at"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SendRequest(Model):
    """POST /api/v1/mail/send"""

    to: str
    template_id: str | None
    variables: dict[str, Any] | None
    subject: str | None
    html: str | None
    text: str | None
    from_email: str | None
    from_name: str | None
    reply_to: str | None
    cc: list[str]
    bcc: list[str]
    tags: list[str]
    metadata: dict[str, Any]
    track_opens: bool | None
    track_clicks: bool | None
    attachments: list[AttachmentFields]
    scheduled_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SendRequest:
        return cls(
            to=data["to"],
            template_id=data.get("template_id"),
            variables=opt(dict, data.get("variables")),
            subject=data.get("subject"),
            html=data.get("html"),
            text=data.get("text"),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            reply_to=data.get("reply_to"),
            cc=list(data.get("cc") or []),
            bcc=list(data.get("bcc") or []),
            tags=list(data.get("tags") or []),
            metadata=dict(data.get("metadata") or {}),
            track_opens=data.get("track_opens"),
            track_clicks=data.get("track_clicks"),
            attachments=[
                AttachmentFields.from_dict(item) for item in data.get("attachments") or []
            ],
            scheduled_at=data.get("scheduled_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SendResult(Model):
    """The `SendResult` schema of openapi.json."""

    message_id: str
    status: str
    to: str
    from_: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SendResult:
        return cls(
            message_id=data["message_id"],
            status=data["status"],
            to=data["to"],
            from_=data["from"],
            raw=data,
        )


__all__ = [
    "AttachmentFields",
    "BatchItem",
    "BatchRequest",
    "BatchResult",
    "CancelResult",
    "Engagement",
    "EventView",
    "MessagePage",
    "MessageStatusResult",
    "MessageView",
    "SendRequest",
    "SendResult",
]
