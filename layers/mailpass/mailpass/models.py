"""Domain records. Plain dataclasses: cheap to build and free of any storage format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailpass.ports import AccountConfig


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    # The contract shows naive seconds ("2026-01-30T12:00:00"); every timestamp we emit is UTC.
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def schedule_bucket(at: datetime) -> str:
    """The UTC minute a scheduled message is due in, as its store bucket (yyyymmddHHMM)."""
    return at.astimezone(UTC).strftime("%Y%m%d%H%M")


# SES message tags that carry a message's identity into SES's feedback events.
ACCOUNT_TAG = "mailpass_account"
MESSAGE_TAG = "mailpass_message"


class Permission(StrEnum):
    MAIL = "mail"
    SETTINGS = "settings"


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELED = "canceled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


_S = MessageStatus
# The message state machine: each status, and the statuses it may follow. A message is created
# scheduled (scheduled_at ahead), queued (/send-batch) or sending (/send); nothing moves back to
# any of them. The store refuses any other step (the DynamoDB adapter builds its condition
# expressions from this table).
FOLLOWS: dict[MessageStatus, frozenset[MessageStatus]] = {
    _S.SCHEDULED: frozenset(),
    # Only a message still waiting for its time can be canceled; canceled is final.
    _S.CANCELED: frozenset({_S.SCHEDULED}),
    # The dispatcher takes a scheduled message (conditionally) right before its hand-off.
    _S.QUEUED: frozenset({_S.SCHEDULED}),
    _S.SENDING: frozenset(),
    _S.SENT: frozenset({_S.SENDING}),
    # The provider refused it, or SES rejected it after taking it (feedback).
    _S.FAILED: frozenset({_S.SCHEDULED, _S.QUEUED, _S.SENDING, _S.SENT}),
    # Only from before delivery: a late duplicate must not undo a bounce or complaint.
    _S.DELIVERED: frozenset({_S.QUEUED, _S.SENDING, _S.SENT}),
    # A bounce or complaint may come at any time, even after a delivery notice.
    # Never sent, never bounced: a canceled or still scheduled message has no feedback.
    _S.BOUNCED: frozenset(_S) - {_S.SCHEDULED, _S.CANCELED},
    _S.COMPLAINED: frozenset(_S) - {_S.SCHEDULED, _S.CANCELED},
}
# Set by SES's feedback, after the hand-off: such a status outranks the dispatcher's record.
FEEDBACK_STATUSES = frozenset({_S.DELIVERED, _S.BOUNCED, _S.COMPLAINED})


SUPPRESSION_KINDS = ("bounce", "complaint", "manual")


def suppression_kind(reason: str | None) -> str:
    """What put an address on the suppression list, for the listing's reason filter: feedback
    adds hard bounces ("hard bounce: ...") and complaints ("complaint (...)"); the API adds
    `manual` ones (and says so)."""
    return "complaint" if (reason or "").startswith("complaint") else "bounce"


def may_follow(new: MessageStatus, old: MessageStatus) -> bool:
    return old in FOLLOWS[new]


def predecessors(new: MessageStatus) -> list[MessageStatus]:
    """The statuses `new` may follow, in declaration order (stable expressions for the store)."""
    return [s for s in MessageStatus if s in FOLLOWS[new]]


class ProviderKind(StrEnum):
    SMTP = "smtp"
    SES = "ses"
    # Presets: SMTP relays whose host, port and login convention we know.
    SENDGRID = "sendgrid"
    MAILGUN = "mailgun"
    MAILPASS = "mailpass"

    @property
    def is_ses(self) -> bool:
        return self is ProviderKind.SES


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str
    default_provider_id: str | None
    created_at: datetime
    # Tried in order after the default when it fails transiently or is over its limit.
    fallback_provider_ids: tuple[str, ...] = ()
    # How many addresses are on the suppression list: sends look it up only when there are any.
    suppressions: int = 0
    # SMTP-family providers too send only from the account's verified domains (SES always does).
    restrict_senders_to_verified_domains: bool = False


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    account_id: str
    key_hash: str
    prefix: str
    permissions: frozenset[str]
    revoked: bool
    test: bool
    created_at: datetime
    name: str = ""
    # The key's last four characters: with the prefix, enough to tell keys apart in a list.
    last4: str = ""
    # Kept to the hour (service/auth.py): at most one write per key per hour.
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from the API key on every request."""

    account_id: str
    key_id: str
    permissions: frozenset[str]
    test: bool
    # The account's configuration when authentication read it (service/auth.py: the key's
    # grant lives on the account item, so one consistent Query answers both). This request's
    # use case reuses it instead of reading it again; None when it was not read.
    config: AccountConfig | None = field(default=None, compare=False, repr=False)


# An account's unrevoked API keys at most (errors.TooManyKeys): their grants live on the
# account item, read with every request. SendGrid's limit too; 100 grants are about 12 KB.
MAX_LIVE_KEYS = 100


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a live API key may do, as its account's item holds it (one per unrevoked key made
    since keys were kept there; adapters/dynamodb/accounts.py)."""

    key_id: str
    permissions: frozenset[str]
    test: bool


# SES v2's limit on a whole raw message, attachments (base64) included.
SES_MAX_MESSAGE_BYTES = 40_000_000


@dataclass(frozen=True, slots=True)
class Provider:
    provider_id: str
    account_id: str
    kind: ProviderKind
    name: str
    from_email: str | None = None
    from_name: str | None = None
    # smtp
    host: str | None = None
    port: int | None = None
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    secret_id: str | None = None
    # ses
    region: str | None = None
    configuration_set: str | None = None
    # Sends per UTC hour / day through this provider; None: no limit.
    hourly_limit: int | None = None
    daily_limit: int | None = None
    # Open/click tracking for messages through this provider (a message may still turn it off).
    track_opens: bool = True
    track_clicks: bool = True
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime | None = None
    # The largest raw message (bytes) this SMTP server takes; None: SES's 40 MB. SES ignores it.
    max_message_bytes: int | None = None

    @property
    def message_size_limit(self) -> int:
        if self.kind.is_ses or self.max_message_bytes is None:
            return SES_MAX_MESSAGE_BYTES
        return self.max_message_bytes

    def public(self) -> dict[str, Any]:
        """What an operator may see: never the secret itself, only whether one is set."""
        return {
            "provider_id": self.provider_id,
            "kind": self.kind.value,
            "name": self.name,
            "from_email": self.from_email,
            "from_name": self.from_name,
            "host": self.host,
            "port": self.port,
            "security": None if self.kind.is_ses else self.security.value,
            "username": self.username,
            "password": "********" if self.secret_id else None,
            "region": self.region,
            "configuration_set": self.configuration_set,
            "hourly_limit": self.hourly_limit,
            "daily_limit": self.daily_limit,
            "track_opens": self.track_opens,
            "track_clicks": self.track_clicks,
            "max_message_bytes": None if self.kind.is_ses else self.max_message_bytes,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(slots=True)
class MessageRecord:
    account_id: str
    message_id: str
    status: MessageStatus
    from_email: str
    to_email: str
    subject: str
    created_at: datetime
    expires_at: int
    from_name: str | None = None
    reply_to: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    provider_id: str | None = None
    provider_kind: str | None = None
    provider_message_id: str | None = None
    error_message: str | None = None
    # Something the caller should know about a sent message (refused cc, test key).
    note: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    test: bool = False
    size_bytes: int = 0
    queue_id: int | None = None
    template_id: str | None = None  # the template it was rendered from, if any
    # When a scheduled message is due (UTC); None: sent when accepted.
    scheduled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A stored message template: `{{ variable }}` placeholders in subject, html and text.
    `text` "" is the HTML-only opt-out, as on /send."""

    account_id: str
    template_id: str
    name: str
    subject: str
    created_at: datetime
    html: str | None = None
    text: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageEvent:
    event_type: str
    created_at: datetime
    ip_address: str | None = None
    user_agent: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


WEBHOOK_EVENTS = ("open", "click", "delivery", "bounce", "complaint", "reject", "delivery_delay")


@dataclass(frozen=True, slots=True)
class Webhook:
    webhook_id: str
    account_id: str
    url: str
    event_types: tuple[str, ...]
    secret_id: str  # the signing secret lives in Secrets Manager
    created_at: datetime = field(default_factory=utcnow)
    # Auto-disable (service/webhooks.py): off after 3 days or 50 attempts of failing, or a 410.
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    # The current failure streak: failed attempts in a row and when the first of them was made.
    failures: int = 0
    failing_since: datetime | None = None
    # After a rotation, deliveries are signed with the previous secret too until this time.
    previous_secret_id: str | None = None
    previous_secret_until: datetime | None = None
    updated_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "event_types": list(self.event_types),
            "created_at": iso(self.created_at),
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "disabled_at": iso(self.disabled_at),
            "consecutive_failures": self.failures,
            "failing_since": iso(self.failing_since),
            "previous_secret_expires_at": iso(self.previous_secret_until),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One post of one event to one webhook, as the delivery log keeps it (30 days)."""

    account_id: str
    webhook_id: str
    event_id: str
    event_type: str
    attempt: int  # 1 for the first post of the event, then each retry
    at: datetime
    duration_ms: int
    status_code: int | None  # the receiver's answer; None when there was none
    # None when a 2xx or any other status came back; else what stood in the way:
    # timeout | refused | redirect | dns | tls | blocked | connection
    error: str | None
    detail: str  # the reason phrase, or what the connection raised
    next_retry_at: datetime | None  # None: delivered, or no more tries

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def position(self) -> str:
        """Where it sorts in its webhook's log (by time, then event and attempt): the stores'
        key and the service's paging cursor."""
        return f"{self.at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}#{self.event_id}#{self.attempt:03d}"

    def public(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "attempt": self.attempt,
            "created_at": iso(self.at),
            "delivered": self.delivered,
            "status_code": self.status_code,
            "error": self.error,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
            "next_retry_at": iso(self.next_retry_at),
        }


class DomainStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"
    # DNS did not answer (timeout, no server): checked again, never turned failed by itself.
    TEMPORARY_FAILURE = "temporary_failure"


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """One record the domain's owner publishes. `status` is this record's last check:
    pending (not checked yet), verified, failed (absent or another value), temporary_failure."""

    type: str  # CNAME | TXT | MX
    name: str
    value: str
    purpose: str  # dkim | ownership | spf | mail_from | dmarc
    status: str = "pending"
    reason: str | None = None
    required: bool = True

    def public(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "value": self.value,
            "purpose": self.purpose,
            "required": self.required,
            "status": self.status,
            "reason": self.reason,
        }


def domain_id_for(account_id: str, name: str) -> str:
    """A domain's id follows from its account and name, so feedback about mail from a domain
    finds the domain's item without a lookup, and an account cannot add a name twice."""
    import hashlib

    digest = hashlib.sha256(f"{account_id}\n{name}".encode()).hexdigest()
    return f"dom_{digest[:24]}"


# Feedback counted per sender domain (one ADD on the domain item per event).
DOMAIN_COUNTERS = ("delivered", "bounced", "complained")


@dataclass(frozen=True, slots=True)
class Domain:
    """A sender domain of one account. It is the account's only once its ownership TXT token
    was found in DNS (and SES's DKIM for it succeeded); until then several accounts may have the
    same name pending."""

    domain_id: str
    account_id: str
    name: str  # lowercased, IDNA (ASCII) form
    token: str  # the ownership TXT value's secret part, random per account and domain
    status: DomainStatus = DomainStatus.PENDING
    records: tuple[DnsRecord, ...] = ()
    dkim_tokens: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=utcnow)
    verified_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    attempts: int = 0
    failure_reason: str | None = None
    counters: dict[str, int] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        delivered, bounced = self.counters.get("delivered", 0), self.counters.get("bounced", 0)
        return {
            "domain_id": self.domain_id,
            "name": self.name,
            "status": self.status.value,
            "records": [r.public() for r in self.records],
            "failure_reason": self.failure_reason,
            "created_at": iso(self.created_at),
            "verified_at": iso(self.verified_at),
            "last_checked_at": iso(self.last_checked_at),
            "next_check_at": iso(self.next_check_at),
            "feedback": {
                **{k: self.counters.get(k, 0) for k in DOMAIN_COUNTERS},
                "bounce_rate": round(bounced / (delivered + bounced), 4)
                if delivered + bounced
                else None,
            },
        }
