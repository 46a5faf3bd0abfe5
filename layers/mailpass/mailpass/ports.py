"""What the use cases need from the outside world. Adapters implement these; tests use fakes.

The delivery path's ports are here; what an account configures (keys, providers, webhooks,
templates, domains) is in ports_account.py, and the paged lists' ports in ports_listing.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mailpass.mime import OutgoingMessage
from mailpass.models import (
    FEEDBACK_STATUSES,
    Account,
    Domain,
    DomainStatus,
    KeyGrant,
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
    Webhook,
)
from mailpass.usage import Tally


@dataclass(frozen=True, slots=True)
class AccountConfig:
    account: Account
    providers: list[Provider]
    webhooks: tuple[Webhook, ...] = ()
    # The account's sender domains (any status), read by the same Query as the rest.
    domains: tuple[Domain, ...] = ()
    # Its live API keys by key hash, kept on the account item so that the same read answers
    # authentication (service/auth.py). A key missing here may still be live (made before
    # this existed): only the key's own item says it is not.
    keys: Mapping[str, KeyGrant] = field(default_factory=dict)

    @property
    def verified_domains(self) -> frozenset[str]:
        """The lowercased names of the domains this account proved it owns."""
        return frozenset(d.name for d in self.domains if d.status is DomainStatus.VERIFIED)

    @property
    def default_provider(self) -> Provider | None:
        wanted = self.account.default_provider_id
        return next((p for p in self.providers if p.provider_id == wanted), None)

    def provider(self, provider_id: str | None) -> Provider | None:
        return next((p for p in self.providers if p.provider_id == provider_id), None)

    def chain(self, first: str | None = None) -> list[Provider]:
        """The providers to try in order: `first` (default: the default provider), then the
        account's fallbacks. Empty when the account has no default provider."""
        if self.account.default_provider_id is None:
            return []
        ids = [first or self.account.default_provider_id, *self.account.fallback_provider_ids]
        seen: set[str] = set()
        out = []
        for pid in ids:
            found = self.provider(pid)
            if found is not None and pid not in seen:
                seen.add(pid)
                out.append(found)
        return out


@dataclass(frozen=True, slots=True)
class SendReceipt:
    provider_message_id: str | None
    refused: dict[str, str]


# The store, one narrow port per aggregate. All live in one DynamoDB table (adapters/dynamodb/),
# but each record type has one owner, and a service asks only for the ports it uses.


class AccountConfigReader(Protocol):
    def get_account_config(self, account_id: str) -> AccountConfig | None:
        """The account with its providers and webhooks, read consistently in one request."""
        ...


class EventRecorder(Protocol):
    def add_event(self, account_id: str, message_id: str, event: MessageEvent) -> None: ...


class MessageStore(EventRecorder, Protocol):
    """Messages and their events. Status changes follow `models.FOLLOWS`; a step the table
    does not allow is refused (and logged), never applied."""

    def put_message(self, record: MessageRecord) -> None: ...
    def put_messages(self, records: list[MessageRecord]) -> list[MessageRecord]:
        """Batched writes; returns the records that could not be stored."""
        ...

    def allocate_queue_ids(self, count: int) -> int:
        """Reserve `count` ids in one atomic step; returns the first."""
        ...

    def mark_sent(
        self,
        account_id: str,
        message_id: str,
        *,
        sent_at: datetime,
        provider_message_id: str | None,
        note: str | None,
        provider: Provider | None = None,
        tally: Tally | None = None,
    ) -> None:
        """`provider`: set when a fallback, not the recorded provider, sent it. `tally`: usage
        counts added if (and only if) the status changes, in the same write."""
        ...

    def mark_failed(
        self,
        account_id: str,
        message_id: str,
        *,
        reason: str,
        at: datetime,
        tally: Tally | None = None,
    ) -> None: ...
    def set_feedback_status(
        self,
        account_id: str,
        message_id: str,
        status: MessageStatus,
        at: datetime,
        reason: str | None,
        *,
        tally: Tally | None = None,
    ) -> None:
        """`tally` is added once per message and status, however often the feedback comes."""
        ...

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None: ...
    def cancel_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        """scheduled -> canceled, conditionally; False when it is anything else (or absent)."""
        ...


class ScheduledHandOff(Protocol):
    def release_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        """scheduled -> queued right before the dispatcher's hand-off, conditionally: True
        also when already queued (a retry of the same hand-off); False when canceled, final
        or absent. With cancel_scheduled, exactly one of the two wins."""
        ...


@dataclass(frozen=True, slots=True)
class ScheduledEntry:
    """A scheduled message waiting for its time: the queue body (a pack of one) to send then."""

    account_id: str
    message_id: str
    due: datetime
    body: str


class ScheduleStore(Protocol):
    """Scheduled messages by the UTC minute they are due in, so finding what is due reads only
    what is due (adapters/dynamodb/schedules.py)."""

    def put_scheduled(self, entries: list[ScheduledEntry]) -> list[ScheduledEntry]:
        """Batched writes; returns those that could not be stored."""
        ...

    def scheduled_in(self, bucket: str) -> list[ScheduledEntry]: ...
    def drop_scheduled(self, bucket: str, entries: list[ScheduledEntry]) -> None: ...
    def schedule_cursor(self) -> str | None:
        """The last minute bucket moved to the queue; None before the first tick."""
        ...

    def set_schedule_cursor(self, bucket: str) -> None: ...


class SuppressionReader(Protocol):
    def suppressed(self, account_id: str, emails: list[str]) -> dict[str, str]:
        """Which of these addresses are on the account's suppression list, and why."""
        ...


class SuppressionStore(SuppressionReader, Protocol):
    def add_suppression(
        self,
        account_id: str,
        email: str,
        *,
        reason: str,
        at: datetime,
        message_id: str | None,
        kind: str | None = None,
    ) -> bool:
        """False when the address was already on the list. `kind`: models.SUPPRESSION_KINDS,
        from the reason when not given."""
        ...

    def remove_suppression(self, account_id: str, email: str) -> None: ...
    def list_suppressions(self, account_id: str) -> list[dict[str, Any]]: ...


class HitLog(Protocol):
    def hit(
        self,
        account_id: str,
        message_id: str,
        kind: str,
        client: str,
        *,
        window: int,
        ttl: int,
        at: datetime | None = None,
    ) -> bool:
        """Count one open or click (kind) on the message, and say whether it is the first from
        `client` in `window`. What marks the client in the window may go once `ttl` (epoch
        seconds) has passed. The message's first open (first click) of all, at `at`, is
        counted once in the usage stats (`opened`, `clicked`), unless a test key sent it."""
        ...

    def counted(self, account_id: str, message_id: str) -> dict[str, int]:
        """Every hit counted on the message, first or repeat: {"open": n, "click": n}."""
        ...


class UsageCounter(Protocol):
    def add(self, tally: Tally, *, now: int) -> None:
        """The tally's ADDs to its hour buckets."""
        ...


class StatsStore(UsageCounter, Protocol):
    """Usage counters (mailpass.usage), read back."""

    def hours(self, account_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
        """The hour buckets from `first` to `last` (UTC hours, `2026-11-27T03`, both
        included) that have counts: hour -> attribute (`sent`, `<domain>#sent`, ...) -> n."""
        ...


class SecretStore(Protocol):
    def get(self, secret_id: str) -> str: ...
    def put(self, name: str, value: str) -> str: ...
    def delete(self, secret_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Window:
    """One send-limit window of a provider: a UTC hour or day."""

    key: str  # H#2026112509 | D#20261125
    limit: int
    resets_at: datetime


@dataclass(frozen=True, slots=True)
class Reservation:
    """What a quota request got. `granted` sends may go out; when fewer than asked, `refused_by`
    is the window that said no (and `used`, its count then). `remaining` is known when a single
    window decided."""

    granted: int
    windows: tuple[Window, ...] = ()
    refused_by: Window | None = None
    used: int | None = None
    remaining: int | None = None


class QuotaStore(Protocol):
    def reserve(self, provider_id: str, windows: list[Window], count: int) -> Reservation:
        """Atomically take `count` sends from every window, or nothing."""
        ...

    def peek(self, provider_id: str, windows: list[Window]) -> Reservation:
        """Would one more send fit? Reads only."""
        ...

    def refund(self, provider_id: str, windows: list[Window], count: int) -> None: ...

    def used(self, provider_id: str, windows: list[Window]) -> list[int]:
        """Each window's count so far (0 for one never touched), in order. Reads only."""
        ...


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> SendReceipt: ...


class SenderFactory(Protocol):
    def for_provider(self, provider: Provider) -> Sender: ...


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One SQS message as the dispatcher sees it."""

    receipt: str
    body: str
    receive_count: int


class Queue(Protocol):
    def send_batch(
        self, bodies: dict[str, str], delays: dict[str, int] | None = None
    ) -> dict[str, str]:
        """Send up to any number of bodies (batched in tens); returns {entry id: error}.
        `delays`: seconds (at most 900, SQS's DelaySeconds) before an entry is visible."""
        ...

    def receive(
        self, max_messages: int, wait_seconds: int, visibility: int
    ) -> list[QueuedMessage]: ...

    def delete(self, receipts: list[str]) -> None: ...
    def delay(self, receipts: dict[str, int]) -> None: ...
    def depth(self) -> dict[str, int]: ...


class AttachmentStore(Protocol):
    """Queued attachments (batch and scheduled messages) between the API and the dispatcher
    (S3), by key."""

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes:
        """Raises AttachmentMissing when there is no such object, AttachmentUnavailable when
        it cannot be read now (S3 failed)."""
        ...

    def delete(self, keys: list[str]) -> None:
        """Best effort: what is left the bucket's lifecycle rule expires."""
        ...


@dataclass(frozen=True, slots=True)
class PackClaim:
    """A dispatcher's hold on one queue message (a pack of up to ten queued messages)."""

    pack_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A final state for a queued message, written as its RESULT item."""

    account_id: str
    message_id: str
    status: str  # sent | failed | canceled
    at: datetime
    error_message: str | None = None
    note: str | None = None
    provider_message_id: str | None = None
    # Set when the message went (or was refused) through a provider other than the queued one.
    provider_id: str | None = None
    provider_kind: str | None = None

    def applied_to(self, record: MessageRecord) -> MessageRecord:
        """The message as its final state says (a queued message's record is not rewritten
        per outcome); feedback that moved it on since (delivered, bounced) still wins."""
        status = MessageStatus(self.status)
        # Canceled is final too: nothing was sent, whatever a later sweep of its pack wrote.
        if record.status not in FEEDBACK_STATUSES and record.status is not MessageStatus.CANCELED:
            record.status = status
            record.updated_at = self.at
            record.error_message = self.error_message
        if status is MessageStatus.SENT:
            record.sent_at = self.at
        record.note = self.note or record.note
        record.provider_message_id = self.provider_message_id or record.provider_message_id
        record.provider_id = self.provider_id or record.provider_id
        record.provider_kind = self.provider_kind or record.provider_kind
        return record


@dataclass(frozen=True, slots=True)
class LogPlace:
    """Where a pack's messages sit in the message log: stored `queued` at `created_at`, kept
    until `expires_at`. Given it, their RESULT items carry their status in the log."""

    created_at: datetime
    expires_at: int


@dataclass(frozen=True, slots=True)
class PackState:
    state: str  # claimed | sending | queued (released for a retry)
    lease_until: float


class PackStore(Protocol):
    """Dispatch state: a pack's claim and lease, and its messages' final states (RESULT)."""

    def claim_packs(self, claims: list[PackClaim], *, now: float, lease_until: float) -> set[str]:
        """Conditionally claim new, released or lease-expired (never handed-off) packs, in one
        request where possible; returns the pack ids now held."""
        ...

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> int:
        """claimed -> sending, if the claim is still ours: from here delivery may happen.
        Returns how many times the pack has been claimed (0: the claim is not ours any more)."""
        ...

    def release_pack(self, claim: PackClaim) -> None: ...
    def pack_state(self, pack_id: str) -> PackState | None: ...
    def record_outcomes(
        self,
        outcomes: list[Outcome],
        *,
        count: Mapping[str, str | None] | None = None,
        log: LogPlace | None = None,
    ) -> None:
        """`count`: message id -> sender address of those counted in the usage stats. `log`:
        the messages were stored queued then (one pack's), so their final states alone move
        them in the message log, and the counts follow the final states (a crash between the
        two loses them, never doubles them). Without it the final states, the messages' log
        entries and the counts are written together."""
        ...

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        """The final states recorded so far, by message id (not yet final: left out)."""
        ...

    def requeue(
        self,
        account_id: str,
        message_ids: list[str],
        pack_id: str,
        log: LogPlace | None = None,
    ) -> bool:
        """Operator redrive: these failed messages back to queued, and their pack claimable.
        `log`: the pack's, as for `record_outcomes`."""
        ...


class Idempotency(Protocol):
    def run(
        self,
        scope: str,
        account_id: str,
        key: str,
        body: bytes,
        work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """`work()`'s result, run once per (account, key) in the retention time; a repeat with
        the same body gets the first result, with another body IdempotencyConflict."""
        ...


class EventNotifier(Protocol):
    def notify(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        """Hand an event to the account's webhooks; never blocks or fails the caller."""
        ...


class WebhookPost(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """(HTTP status, a short reason); raises only for a programming error."""
        ...


# What the services that take a single `store` use of it: intersections of the ports above.


class SendStore(AccountConfigReader, MessageStore, SuppressionReader, Protocol):
    """POST /send."""


class EnqueueStore(AccountConfigReader, MessageStore, PackStore, Protocol):
    """POST /send-batch: stores the messages, records those that could not be queued."""


class DispatchStore(
    AccountConfigReader,
    PackStore,
    SuppressionReader,
    QuotaStore,
    ScheduledHandOff,
    UsageCounter,
    Protocol,
):
    """The dispatcher."""


class SchedulingStore(MessageStore, ScheduleStore, Protocol):
    """Scheduled sends: their waiting entries, and cancel."""


class FeedbackStore(MessageStore, SuppressionStore, Protocol):
    """SES feedback and the suppression list API."""
