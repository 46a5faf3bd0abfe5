"""What the dispatcher handles and reports: a received pack, what became of it, the drain's
report, the words of its final states, and the step from a queued entry to an accepted
message. The drain loop itself (receive, claim, lease, hand off, release) is service/dispatch.py."""

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mailpass import usage
from mailpass.models import MessageStatus, Provider, utcnow
from mailpass.ports import (
    LogPlace,
    Outcome,
    PackClaim,
    PackStore,
    QueuedMessage,
)
from mailpass.queue_payload import Poison, QueuedFields, QueuePayload
from mailpass.senders import SenderPolicy
from mailpass.service.attachments import files_of
from mailpass.service.delivery import Accepted, Result
from mailpass.usage import Tally

POISON = "the queue message could not be read ({why}); it goes to the dead-letter queue"
DEAD_LETTERED = "moved to the dead-letter queue after {n} deliveries; an operator can redrive it"
INTERRUPTED = (
    "the dispatcher stopped during the hand-off to the provider, so delivery is unknown; "
    "not resent, to avoid a duplicate"
)


class Faults(Protocol):
    """Test seam: raise from `at` to simulate the process dying at that step."""

    def at(self, step: str, message_id: str) -> None: ...


class NoFaults:
    def at(self, step: str, message_id: str) -> None:
        return None


@dataclass
class DrainReport:
    received: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    settled: int = 0
    canceled: int = 0  # scheduled messages whose cancel came before their hand-off
    poison: int = 0  # queue messages that could not be read (left for the dead-letter queue)
    batches: int = 0
    stopped_for_time: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def count(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.status == MessageStatus.SENT.value:
                self.sent += 1
            elif outcome.status == MessageStatus.CANCELED.value:
                self.canceled += 1
            else:
                self.failed += 1


@dataclass
class Pack:
    msg: QueuedMessage
    payload: QueuePayload
    claim: PackClaim = field(init=False)
    senders: SenderPolicy = field(default_factory=SenderPolicy)  # the account's, when read

    def __post_init__(self) -> None:
        self.claim = PackClaim(self.payload.pack_id, uuid.uuid4().hex)

    @property
    def pack_id(self) -> str:
        return self.payload.pack_id

    @property
    def account_id(self) -> str:
        return self.payload.account_id

    @property
    def test(self) -> bool:
        return self.payload.test

    @property
    def members(self) -> list[tuple[str, QueuedFields]]:
        return [(e.message_id, e.message) for e in self.payload.messages]

    @property
    def message_ids(self) -> list[str]:
        return self.payload.message_ids

    @property
    def log(self) -> LogPlace | None:
        return self.log_of(self.payload)

    @staticmethod
    def log_of(p: QueuePayload) -> LogPlace | None:
        """Where a pack's messages sit in the message log, when their outcomes alone move them
        there: stored queued, with the time in the body. A scheduled one's log entry is on its
        message item (it was stored scheduled); an older body does not say."""
        if p.scheduled or p.created_at is None or p.expires_at is None:
            return None
        return LogPlace(p.created_at, p.expires_at)

    @property
    def counted(self) -> dict[str, str | None] | None:
        """Message id -> sender, for the usage stats; None for a test key's pack (it reaches
        no provider, so counting it would dilute the bounce and complaint rates)."""
        if self.test:
            return None
        return {mid: f.from_email for mid, f in self.members}


class LaneUsage:
    """The usage of a lane's packs whose final states are written, added when the lane ends:
    one ADD per account and hour instead of one per pack on the sends' critical path. The
    RESULTs decide (a retried pack skips what they hold), so a crash before the lane ends
    loses these counts and never doubles them."""

    def __init__(self) -> None:
        # account -> (message id, time, status) of the counted packs, and their senders
        self._outcomes: dict[str, list[tuple[str, datetime, str]]] = {}
        self._senders: dict[str, dict[str, str | None]] = {}
        self._lock = threading.Lock()  # packs are recorded on the writer threads

    def add(self, pack: Pack, outcomes: list[Outcome]) -> None:
        counted = pack.counted
        if not counted:
            return
        with self._lock:
            self._senders.setdefault(pack.account_id, {}).update(counted)
            self._outcomes.setdefault(pack.account_id, []).extend(
                (o.message_id, o.at, o.status) for o in outcomes
            )

    def tallies(self) -> list[Tally]:
        with self._lock:
            found = [
                usage.of_outcomes(account, outcomes, self._senders[account])
                for account, outcomes in self._outcomes.items()
            ]
            self._outcomes.clear()
            self._senders.clear()
        return [t for t in found if t is not None]


@dataclass
class Done:
    """What became of one pack: final states to count, and whether the queue message goes
    (delete), comes back after `delay` seconds, or is left alone (someone else holds it)."""

    outcomes: list[Outcome] = field(default_factory=list)
    delay: int | None = None
    leave: bool = False
    retried: int = 0
    # Put back on the queue as a new message (same pack), so waiting out send limits does not
    # use up the deliveries SQS allows before the DLQ.
    requeue: bool = False


Ready = tuple[Pack, list[Provider], dict[str, str]]  # pack, providers, suppressed


@dataclass(frozen=True, slots=True)
class Fetched:
    """One receive, parsed and claimed."""

    batch: list[QueuedMessage]
    packs: list[Pack]
    poison: list[tuple[QueuedMessage, Poison]]
    held: set[str]  # pack ids
    now: float


def fail_unfinished(
    store: PackStore,
    account_id: str | None,
    message_ids: list[str],
    reason: str,
    count: dict[str, str | None] | None = None,
) -> int:
    """Final `failed` for those of these messages that have no final state yet; how many.
    `count`: as Pack.counted, for the usage stats (an unreadable body names no sender)."""
    if account_id is None or not message_ids:
        return 0
    final = store.results(account_id, message_ids)
    outcomes = [
        Outcome(account_id, mid, "failed", utcnow(), error_message=reason)
        for mid in message_ids
        if mid not in final
    ]
    if outcomes:
        store.record_outcomes(outcomes, count=count)
    return len(outcomes)


def accepted_from(
    pack: Pack, message_id: str, f: QueuedFields, fetched: dict[str, bytes]
) -> Accepted:
    return Accepted(
        account_id=pack.account_id,
        message_id=message_id,
        from_email=f.from_email,
        to=f.to,
        subject=f.subject,
        from_name=f.from_name,
        cc=f.cc,
        bcc=f.bcc,
        reply_to=f.reply_to,
        html=f.html,
        text=f.text,
        track_opens=f.track_opens,
        track_clicks=f.track_clicks,
        tracking_base=pack.payload.tracking_base,
        test=pack.test,
        attachments=files_of(f, fetched),
    )


def outcome_of(
    pack: Pack, message_id: str, result: Result, status: str, error: str | None = None
) -> Outcome:
    provider = result.provider
    return Outcome(
        pack.account_id,
        message_id,
        status,
        utcnow(),
        error_message=error,
        note=result.note,
        provider_message_id=result.provider_message_id,
        provider_id=provider.provider_id if provider else None,
        provider_kind=provider.kind.value if provider else None,
    )
