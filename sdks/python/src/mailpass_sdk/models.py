"""Result models, generated from openapi.json by sdks/python/scripts/generate.py: do not
edit.

Each is a frozen dataclass with attribute access; `raw` keeps the JSON object as received, so a
field the server adds later is readable before the SDK is regenerated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailpass_sdk._base import Model, opt


@dataclass(frozen=True, kw_only=True)
class AccountSettings(Model):
    """The `AccountSettings` schema of openapi.json."""

    account_id: str
    default_provider_id: str | None
    fallback_provider_ids: list[str]
    restrict_senders_to_verified_domains: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountSettings:
        return cls(
            account_id=data["account_id"],
            default_provider_id=data.get("default_provider_id"),
            fallback_provider_ids=list(data["fallback_provider_ids"]),
            restrict_senders_to_verified_domains=data["restrict_senders_to_verified_domains"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class AccountUpdate(Model):
    """PATCH /api/v1/account: the settings given change."""

    restrict_senders_to_verified_domains: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountUpdate:
        return cls(
            restrict_senders_to_verified_domains=data["restrict_senders_to_verified_domains"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKey(Model):
    """The `ApiKey` schema of openapi.json."""

    key_id: str
    name: str
    prefix: str
    last4: str
    permissions: list[str]
    test: bool
    created_at: str
    last_used_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKey:
        return cls(
            key_id=data["key_id"],
            name=data["name"],
            prefix=data["prefix"],
            last4=data["last4"],
            permissions=list(data["permissions"]),
            test=data["test"],
            created_at=data["created_at"],
            last_used_at=data.get("last_used_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreate(Model):
    """POST /api/v1/api-keys."""

    name: str
    permissions: list[str]
    test: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyCreate:
        return cls(
            name=data["name"],
            permissions=list(data["permissions"]),
            test=data.get("test"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(Model):
    """The `ApiKeyCreated` schema of openapi.json."""

    key_id: str
    name: str
    prefix: str
    last4: str
    permissions: list[str]
    test: bool
    created_at: str
    last_used_at: str | None
    key: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyCreated:
        return cls(
            key_id=data["key_id"],
            name=data["name"],
            prefix=data["prefix"],
            last4=data["last4"],
            permissions=list(data["permissions"]),
            test=data["test"],
            created_at=data["created_at"],
            last_used_at=data.get("last_used_at"),
            key=data["key"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyList(Model):
    """The `ApiKeyList` schema of openapi.json."""

    api_keys: list[ApiKey]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyList:
        return cls(
            api_keys=[ApiKey.from_dict(item) for item in data["api_keys"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(Model):
    """The `ApiKeyRevoked` schema of openapi.json."""

    key_id: str
    revoked: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiKeyRevoked:
        return cls(
            key_id=data["key_id"],
            revoked=data["revoked"],
            raw=data,
        )


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
class DnsRecord(Model):
    """The `DnsRecord` schema of openapi.json."""

    type: str
    name: str
    value: str
    purpose: str
    required: bool
    status: str
    reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DnsRecord:
        return cls(
            type=data["type"],
            name=data["name"],
            value=data["value"],
            purpose=data["purpose"],
            required=data["required"],
            status=data["status"],
            reason=data.get("reason"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Domain(Model):
    """The `Domain` schema of openapi.json."""

    domain_id: str
    name: str
    status: str
    records: list[DnsRecord]
    failure_reason: str | None
    created_at: str | None
    verified_at: str | None
    last_checked_at: str | None
    next_check_at: str | None
    feedback: DomainFeedback
    stats: DomainStats

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        return cls(
            domain_id=data["domain_id"],
            name=data["name"],
            status=data["status"],
            records=[DnsRecord.from_dict(item) for item in data["records"]],
            failure_reason=data.get("failure_reason"),
            created_at=data.get("created_at"),
            verified_at=data.get("verified_at"),
            last_checked_at=data.get("last_checked_at"),
            next_check_at=data.get("next_check_at"),
            feedback=DomainFeedback.from_dict(data["feedback"]),
            stats=DomainStats.from_dict(data["stats"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainCreate(Model):
    """POST /api/v1/domains"""

    name: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainCreate:
        return cls(
            name=data["name"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainDeleted(Model):
    """The `DomainDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainFeedback(Model):
    """The `DomainFeedback` schema of openapi.json."""

    delivered: int
    bounced: int
    complained: int
    bounce_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainFeedback:
        return cls(
            delivered=data["delivered"],
            bounced=data["bounced"],
            complained=data["complained"],
            bounce_rate=data.get("bounce_rate"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainList(Model):
    """The `DomainList` schema of openapi.json."""

    domains: list[Domain]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainList:
        return cls(
            domains=[Domain.from_dict(item) for item in data["domains"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class DomainStats(Model):
    """The usage counters' view of the domain (GET /stats?domain=), over the last `days`."""

    days: int
    sent: int
    delivered: int
    bounced: int
    complained: int
    bounce_rate: float | None
    complaint_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainStats:
        return cls(
            days=data["days"],
            sent=data["sent"],
            delivered=data["delivered"],
            bounced=data["bounced"],
            complained=data["complained"],
            bounce_rate=data.get("bounce_rate"),
            complaint_rate=data.get("complaint_rate"),
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
class ErrorBody(Model):
    """The `ErrorBody` schema of openapi.json."""

    code: str
    message: str
    details: Any

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorBody:
        return cls(
            code=data["code"],
            message=data["message"],
            details=data["details"],
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
class FallbackOrder(Model):
    """PUT /api/v1/smtp-providers/fallbacks"""

    provider_ids: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FallbackOrder:
        return cls(
            provider_ids=list(data["provider_ids"]),
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
class ProbeStep(Model):
    """The `ProbeStep` schema of openapi.json."""

    step: str
    ok: bool
    detail: str | None
    ms: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeStep:
        return cls(
            step=data["step"],
            ok=data["ok"],
            detail=data.get("detail"),
            ms=data.get("ms"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Provider(Model):
    """The `Provider` schema of openapi.json."""

    provider_id: str
    kind: str
    name: str
    from_email: str | None
    from_name: str | None
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool
    track_clicks: bool
    max_message_bytes: int | None
    created_at: str | None
    updated_at: str | None
    is_default: bool
    fallback_rank: int | None
    usage: ProviderUsage | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provider:
        return cls(
            provider_id=data["provider_id"],
            kind=data["kind"],
            name=data["name"],
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data["track_opens"],
            track_clicks=data["track_clicks"],
            max_message_bytes=data.get("max_message_bytes"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            is_default=data["is_default"],
            fallback_rank=data.get("fallback_rank"),
            usage=opt(ProviderUsage.from_dict, data.get("usage")),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderCreate(Model):
    """POST /api/v1/smtp-providers"""

    name: str
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    from_email: str | None
    from_name: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool | None
    track_clicks: bool | None
    max_message_bytes: int | None
    kind: str
    make_default: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderCreate:
        return cls(
            name=data["name"],
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data.get("track_opens"),
            track_clicks=data.get("track_clicks"),
            max_message_bytes=data.get("max_message_bytes"),
            kind=data["kind"],
            make_default=data.get("make_default"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderDeleted(Model):
    """The `ProviderDeleted` schema of openapi.json."""

    deleted: str
    default_provider_id: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderDeleted:
        return cls(
            deleted=data["deleted"],
            default_provider_id=data.get("default_provider_id"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderList(Model):
    """The `ProviderList` schema of openapi.json."""

    providers: list[Provider]
    default_provider_id: str | None
    fallback_provider_ids: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderList:
        return cls(
            providers=[Provider.from_dict(item) for item in data["providers"]],
            default_provider_id=data.get("default_provider_id"),
            fallback_provider_ids=list(data["fallback_provider_ids"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderTestReport(Model):
    """The `ProviderTestReport` schema of openapi.json."""

    provider_id: str
    ok: bool
    failed_step: str | None
    steps: list[ProbeStep]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderTestReport:
        return cls(
            provider_id=data["provider_id"],
            ok=data["ok"],
            failed_step=data.get("failed_step"),
            steps=[ProbeStep.from_dict(item) for item in data["steps"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderUpdate(Model):
    """PATCH /api/v1/smtp-providers/{id}: only the fields given change; null clears a limit."""

    name: str | None
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    password: str | None
    region: str | None
    configuration_set: str | None
    from_email: str | None
    from_name: str | None
    hourly_limit: int | None
    daily_limit: int | None
    track_opens: bool | None
    track_clicks: bool | None
    max_message_bytes: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderUpdate:
        return cls(
            name=data.get("name"),
            host=data.get("host"),
            port=data.get("port"),
            security=data.get("security"),
            username=data.get("username"),
            password=data.get("password"),
            region=data.get("region"),
            configuration_set=data.get("configuration_set"),
            from_email=data.get("from_email"),
            from_name=data.get("from_name"),
            hourly_limit=data.get("hourly_limit"),
            daily_limit=data.get("daily_limit"),
            track_opens=data.get("track_opens"),
            track_clicks=data.get("track_clicks"),
            max_message_bytes=data.get("max_message_bytes"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class ProviderUsage(Model):
    """The `ProviderUsage` schema of openapi.json."""

    hour: int | None
    day: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderUsage:
        return cls(
            hour=data.get("hour"),
            day=data.get("day"),
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


@dataclass(frozen=True, kw_only=True)
class Stats(Model):
    """The `Stats` schema of openapi.json."""

    granularity: str
    from_: str
    until: str
    domain: str | None
    buckets: list[StatsBucket]
    totals: StatsTotals

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        return cls(
            granularity=data["granularity"],
            from_=data["from"],
            until=data["until"],
            domain=data.get("domain"),
            buckets=[StatsBucket.from_dict(item) for item in data["buckets"]],
            totals=StatsTotals.from_dict(data["totals"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class StatsBucket(Model):
    """The `StatsBucket` schema of openapi.json."""

    sent: int
    delivered: int
    failed: int
    bounced: int
    complained: int
    opened: int
    clicked: int
    start: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatsBucket:
        return cls(
            sent=data["sent"],
            delivered=data["delivered"],
            failed=data["failed"],
            bounced=data["bounced"],
            complained=data["complained"],
            opened=data["opened"],
            clicked=data["clicked"],
            start=data["start"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class StatsTotals(Model):
    """The `StatsTotals` schema of openapi.json."""

    sent: int
    delivered: int
    failed: int
    bounced: int
    complained: int
    opened: int
    clicked: int
    bounce_rate: float | None
    complaint_rate: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatsTotals:
        return cls(
            sent=data["sent"],
            delivered=data["delivered"],
            failed=data["failed"],
            bounced=data["bounced"],
            complained=data["complained"],
            opened=data["opened"],
            clicked=data["clicked"],
            bounce_rate=data.get("bounce_rate"),
            complaint_rate=data.get("complaint_rate"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Suppression(Model):
    """The `Suppression` schema of openapi.json."""

    email: str
    reason: str | None
    kind: str | None
    message_id: str | None
    created_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suppression:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            kind=data.get("kind"),
            message_id=data.get("message_id"),
            created_at=data.get("created_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionAdded(Model):
    """The `SuppressionAdded` schema of openapi.json."""

    email: str
    reason: str | None
    kind: str | None
    message_id: str | None
    created_at: str | None
    created: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionAdded:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            kind=data.get("kind"),
            message_id=data.get("message_id"),
            created_at=data.get("created_at"),
            created=data["created"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionCreate(Model):
    """POST /api/v1/suppressions"""

    email: str
    reason: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionCreate:
        return cls(
            email=data["email"],
            reason=data.get("reason"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionList(Model):
    """The `SuppressionList` schema of openapi.json."""

    suppressions: list[Suppression]
    next_cursor: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionList:
        return cls(
            suppressions=[Suppression.from_dict(item) for item in data["suppressions"]],
            next_cursor=data.get("next_cursor"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class SuppressionRemoved(Model):
    """The `SuppressionRemoved` schema of openapi.json."""

    email: str
    suppressed: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuppressionRemoved:
        return cls(
            email=data["email"],
            suppressed=data["suppressed"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Template(Model):
    """The `Template` schema of openapi.json."""

    template_id: str
    name: str
    subject: str
    html: str | None
    text: str | None
    variables: list[str]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Template:
        return cls(
            template_id=data["template_id"],
            name=data["name"],
            subject=data["subject"],
            html=data.get("html"),
            text=data.get("text"),
            variables=list(data["variables"]),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateCreate(Model):
    """POST /api/v1/templates. `{{ variable }}` placeholders, nothing else; `text` "" sends the
    HTML only (no generated text part), as on /send."""

    name: str
    subject: str
    html: str | None
    text: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateCreate:
        return cls(
            name=data["name"],
            subject=data["subject"],
            html=data.get("html"),
            text=data.get("text"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateDeleted(Model):
    """The `TemplateDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateList(Model):
    """The `TemplateList` schema of openapi.json."""

    templates: list[Template]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateList:
        return cls(
            templates=[Template.from_dict(item) for item in data["templates"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class TemplateUpdate(Model):
    """PATCH /api/v1/templates/{id}: only the fields given change; null clears html or text."""

    name: str | None
    subject: str | None
    html: str | None
    text: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateUpdate:
        return cls(
            name=data.get("name"),
            subject=data.get("subject"),
            html=data.get("html"),
            text=data.get("text"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class Webhook(Model):
    """The `Webhook` schema of openapi.json."""

    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    consecutive_failures: int
    failing_since: str | None
    previous_secret_expires_at: str | None
    updated_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Webhook:
        return cls(
            webhook_id=data["webhook_id"],
            url=data["url"],
            event_types=list(data["event_types"]),
            created_at=data.get("created_at"),
            enabled=data["enabled"],
            disabled_reason=data.get("disabled_reason"),
            disabled_at=data.get("disabled_at"),
            consecutive_failures=data["consecutive_failures"],
            failing_since=data.get("failing_since"),
            previous_secret_expires_at=data.get("previous_secret_expires_at"),
            updated_at=data.get("updated_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookCreate(Model):
    """POST /api/v1/webhooks"""

    url: str
    event_types: list[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookCreate:
        return cls(
            url=data["url"],
            event_types=list(data["event_types"]),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookCreated(Model):
    """The `WebhookCreated` schema of openapi.json."""

    webhook_id: str
    url: str
    event_types: list[str]
    created_at: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    consecutive_failures: int
    failing_since: str | None
    previous_secret_expires_at: str | None
    updated_at: str | None
    secret: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookCreated:
        return cls(
            webhook_id=data["webhook_id"],
            url=data["url"],
            event_types=list(data["event_types"]),
            created_at=data.get("created_at"),
            enabled=data["enabled"],
            disabled_reason=data.get("disabled_reason"),
            disabled_at=data.get("disabled_at"),
            consecutive_failures=data["consecutive_failures"],
            failing_since=data.get("failing_since"),
            previous_secret_expires_at=data.get("previous_secret_expires_at"),
            updated_at=data.get("updated_at"),
            secret=data["secret"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDeleted(Model):
    """The `WebhookDeleted` schema of openapi.json."""

    deleted: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDeleted:
        return cls(
            deleted=data["deleted"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveries(Model):
    """The `WebhookDeliveries` schema of openapi.json."""

    webhook_id: str
    deliveries: list[WebhookDelivery]
    next_cursor: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDeliveries:
        return cls(
            webhook_id=data["webhook_id"],
            deliveries=[WebhookDelivery.from_dict(item) for item in data["deliveries"]],
            next_cursor=data.get("next_cursor"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery(Model):
    """The `WebhookDelivery` schema of openapi.json."""

    event_id: str
    event_type: str
    attempt: int
    created_at: str | None
    delivered: bool
    status_code: int | None
    error: str | None
    detail: str
    duration_ms: int
    next_retry_at: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            event_id=data["event_id"],
            event_type=data["event_type"],
            attempt=data["attempt"],
            created_at=data.get("created_at"),
            delivered=data["delivered"],
            status_code=data.get("status_code"),
            error=data.get("error"),
            detail=data["detail"],
            duration_ms=data["duration_ms"],
            next_retry_at=data.get("next_retry_at"),
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookList(Model):
    """The `WebhookList` schema of openapi.json."""

    webhooks: list[Webhook]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookList:
        return cls(
            webhooks=[Webhook.from_dict(item) for item in data["webhooks"]],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookSecret(Model):
    """The `WebhookSecret` schema of openapi.json."""

    webhook_id: str
    secret: str
    previous_secret_expires_at: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookSecret:
        return cls(
            webhook_id=data["webhook_id"],
            secret=data["secret"],
            previous_secret_expires_at=data["previous_secret_expires_at"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookTestQueued(Model):
    """The `WebhookTestQueued` schema of openapi.json."""

    webhook_id: str
    event_id: str
    event_type: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookTestQueued:
        return cls(
            webhook_id=data["webhook_id"],
            event_id=data["event_id"],
            event_type=data["event_type"],
            raw=data,
        )


@dataclass(frozen=True, kw_only=True)
class WebhookUpdate(Model):
    """PATCH /api/v1/webhooks/{webhook_id}: only the fields given change."""

    url: str | None
    event_types: list[str] | None
    enabled: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookUpdate:
        return cls(
            url=data.get("url"),
            event_types=opt(list, data.get("event_types")),
            enabled=data.get("enabled"),
            raw=data,
        )


__all__ = [
    "AccountSettings",
    "AccountUpdate",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyList",
    "ApiKeyRevoked",
    "AttachmentFields",
    "BatchItem",
    "BatchRequest",
    "BatchResult",
    "CancelResult",
    "DnsRecord",
    "Domain",
    "DomainCreate",
    "DomainDeleted",
    "DomainFeedback",
    "DomainList",
    "DomainStats",
    "Engagement",
    "ErrorBody",
    "EventView",
    "FallbackOrder",
    "MessagePage",
    "MessageStatusResult",
    "MessageView",
    "ProbeStep",
    "Provider",
    "ProviderCreate",
    "ProviderDeleted",
    "ProviderList",
    "ProviderTestReport",
    "ProviderUpdate",
    "ProviderUsage",
    "SendRequest",
    "SendResult",
    "Stats",
    "StatsBucket",
    "StatsTotals",
    "Suppression",
    "SuppressionAdded",
    "SuppressionCreate",
    "SuppressionList",
    "SuppressionRemoved",
    "Template",
    "TemplateCreate",
    "TemplateDeleted",
    "TemplateList",
    "TemplateUpdate",
    "Webhook",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookDeliveries",
    "WebhookDelivery",
    "WebhookList",
    "WebhookSecret",
    "WebhookTestQueued",
    "WebhookUpdate",
]
