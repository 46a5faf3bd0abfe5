"""What the use cases need from the outside world. Adapters implement these; tests use fakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mailpass.mime import OutgoingMessage
from mailpass.models import (
    FEEDBACK_STATUSES,
    Account,
    ApiKey,
    Domain,
    DomainStatus,
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
    Template,
    Webhook,
    WebhookAttempt,
)
from mailpass.usage import Tally


@dataclass(frozen=True, slots=True)
class AccountConfig:
    account: Account
    providers: list[Provider]
    webhooks: tuple[Webhook, ...] = ()
    # The account's sender domains (any status), read by the same Query as the rest.
    domains: tuple[Domain, ...] = ()

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


class AccountStore(AccountConfigReader, Protocol):
    """Accounts and their API keys."""

    def create_account(self, account: Account) -> None: ...
    def update_account_settings(
        self, account_id: str, *, restrict_senders_to_verified_domains: bool
    ) -> None:
        """NotFound when there is no such account."""
        ...

    def get_api_key(self, key_hash: str) -> ApiKey | None: ...
    def create_api_key(self, key: ApiKey) -> None:
        """NotFound when there is no such account. A key with `settings` adds one to the
        account's count of them, in the same write."""
        ...

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first, with `last_used_at`."""
        ...

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        """NotFound when the account has no such key, or it is revoked already;
        LastSettingsKey when it is the account's last unrevoked key with `settings` (decided
        atomically: two concurrent revokes of the last two cannot both succeed)."""
        ...

    def touch_api_key(self, key_hash: str, at: datetime, *, unless_since: datetime) -> bool:
        """Set the key's `last_used_at` to `at` unless it is already `unless_since` or later
        (a conditional write); whether it was written."""
        ...


class ProviderStore(AccountConfigReader, Protocol):
    """An account's providers, its default and its fallback order."""

    def put_provider(self, provider: Provider, *, create: bool = True) -> None: ...
    def update_account_providers(
        self,
        config: AccountConfig,
        *,
        default_provider_id: str | None,
        fallback_provider_ids: list[str],
        delete_provider_id: str | None = None,
        put: Provider | None = None,
    ) -> None:
        """Set the default and the fallback order, optionally adding or deleting a provider, in
        one step; refused (Conflict) when the account changed since `config` was read, NotFound
        when a provider named does not exist."""
        ...


class WebhookStore(AccountConfigReader, Protocol):
    """Webhooks (read with the account) and their delivery log. Updates raise NotFound for a
    webhook that does not exist, unless they say otherwise."""

    def put_webhook(self, webhook: Webhook) -> None: ...
    def delete_webhook(self, account_id: str, webhook_id: str) -> None: ...
    def update_webhook(
        self,
        account_id: str,
        webhook_id: str,
        *,
        at: datetime,
        url: str | None = None,
        event_types: tuple[str, ...] | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        """The fields given; a new url or enabled=True also ends the failure streak."""
        ...

    def rotate_secret(
        self,
        account_id: str,
        webhook_id: str,
        *,
        expected_secret_id: str,
        secret_id: str,
        previous_until: datetime,
        at: datetime,
    ) -> Webhook:
        """`secret_id` current, the current one previous; Conflict if it is not `expected`."""
        ...

    def record_failure(self, account_id: str, webhook_id: str, at: datetime) -> Webhook | None:
        """One more failure in the streak; the webhook after it (None: no such webhook)."""
        ...

    def clear_failures(self, account_id: str, webhook_id: str) -> None: ...
    def disable_webhook(self, account_id: str, webhook_id: str, reason: str, at: datetime) -> bool:
        """False when it was not enabled (or does not exist)."""
        ...

    def add_attempt(self, attempt: WebhookAttempt, expires_at: int) -> None: ...
    def list_attempts(
        self, account_id: str, webhook_id: str, limit: int, after: str | None
    ) -> tuple[list[WebhookAttempt], str | None]:
        """Newest first, at most `limit` after the position `after`; the next position."""
        ...


class TemplateStore(Protocol):
    """Message templates, in the account's partition (outside the CFG# range the send path
    reads with the account)."""

    def create_template(self, template: Template) -> None:
        """Conflict when the id is taken."""
        ...

    def get_template(self, account_id: str, template_id: str) -> Template | None: ...
    def list_templates(self, account_id: str) -> list[Template]:
        """Oldest first."""
        ...

    def replace_template(self, template: Template) -> None:
        """NotFound when it is gone."""
        ...

    def delete_template(self, account_id: str, template_id: str) -> None:
        """NotFound when it is not there."""
        ...


@dataclass(frozen=True, slots=True)
class DueCheck:
    """An entry of the re-check list: this domain's check is due at `at`."""

    account_id: str
    domain_id: str
    at: datetime


class DomainStore(AccountConfigReader, Protocol):
    """Sender domains (in the account's partition), who holds each name verified, and the
    list of domains due for a DNS re-check. A check's write is guarded by the next_check_at it
    read, so two checks of one domain at once (the schedule, a user's verify) cannot both apply:
    the later is refused (Conflict) and the due list stays one entry per pending domain."""

    def create_domain(self, domain: Domain) -> None:
        """NotFound without the account; Conflict when the account has this name already."""
        ...

    def get_domain(self, account_id: str, domain_id: str) -> Domain | None: ...
    def list_domains(self, account_id: str) -> list[Domain]: ...
    def save_check(self, domain: Domain, *, was_due: datetime | None) -> None:
        """Store a check's outcome (status, records, attempts), if the stored next_check_at is
        still `was_due` (else Conflict), and move the due entry to domain.next_check_at."""
        ...

    def claim_verified(self, domain: Domain, *, was_due: datetime | None) -> bool:
        """As save_check, for a domain now verified, also recording this account as the name's
        one verified holder, in one step; False (nothing written) when another account holds
        it."""
        ...

    def delete_domain(self, domain: Domain) -> int:
        """Remove the domain (and its hold on the name), if its status and next check are
        still as read (else Conflict; NotFound when gone); returns how many accounts still
        have the name (pending or verified)."""
        ...

    def due_domains(self, now: datetime, limit: int) -> list[DueCheck]:
        """The entries due at or before `now`, oldest first."""
        ...

    def drop_due(self, due: DueCheck) -> None:
        """Remove an entry that no longer matches its domain (deleted, or moved meanwhile)."""
        ...


class DomainCounter(Protocol):
    def count_domain_feedback(self, account_id: str, name: str, counter: str) -> bool:
        """Add one to a sender domain's feedback counter; False when the account has no
        such domain (nothing written)."""
        ...


class DnsLookup(Protocol):
    def lookup(self, name: str, rdtype: str) -> list[str]:
        """The record values (TXT strings joined, CNAME/MX targets without the final dot,
        MX as "<preference> <host>"); [] when the name or type does not exist. Raises
        DnsUnavailable when DNS did not answer."""
        ...


@dataclass(frozen=True, slots=True)
class DkimState:
    status: str  # SES's: PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE | NOT_STARTED
    tokens: tuple[str, ...] = ()


class SesIdentities(Protocol):
    """SES domain identities (Easy DKIM), shared by all accounts of the operator's AWS account."""

    def create(self, name: str) -> DkimState:
        """Create the identity (or find it, if it exists) and return its DKIM tokens."""
        ...

    def dkim(self, names: list[str]) -> dict[str, DkimState]: ...
    def delete(self, name: str) -> None: ...


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


class StatsStore(Protocol):
    """Usage counters (mailpass.usage), read back."""

    def add(self, tally: Tally, *, now: int) -> None: ...
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
        self, outcomes: list[Outcome], *, count: Mapping[str, str | None] | None = None
    ) -> None:
        """`count`: message id -> sender address of those counted in the usage stats; their
        final states and the counts are written together."""
        ...

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        """The final states recorded so far, by message id."""
        ...

    def requeue(self, account_id: str, message_ids: list[str], pack_id: str) -> bool:
        """Operator redrive: these failed messages back to queued, and their pack claimable."""
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
    AccountConfigReader, PackStore, SuppressionReader, QuotaStore, ScheduledHandOff, Protocol
):
    """The dispatcher."""


class SchedulingStore(MessageStore, ScheduleStore, Protocol):
    """Scheduled sends: their waiting entries, and cancel."""


class FeedbackStore(MessageStore, SuppressionStore, Protocol):
    """SES feedback and the suppression list API."""
