"""In-memory stand-ins for the batch path's ports (the pack and RESULT items of the DynamoDB
store, and an SQS queue with a redrive policy), so /send-batch and the dispatcher run in unit
tests. Same rules as the real ones; state is kept, calls are not mocked."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from mailpass.models import MessageEvent, MessageRecord, MessageStatus
from mailpass.ports import Outcome, PackClaim, PackState, QueuedMessage

from tests.fakes import InMemoryStore


@dataclass
class _PackItem:
    state: str
    token: str | None
    lease_until: float
    attempts: int


@dataclass
class InMemoryBatchStore(InMemoryStore):
    packs: dict[str, _PackItem] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    next_queue_id: int = 1

    def allocate_queue_ids(self, count: int) -> int:
        first = self.next_queue_id
        self.next_queue_id += count
        return first

    def put_messages(self, records: list[MessageRecord]) -> list[MessageRecord]:
        for record in records:
            self.put_message(record)
        return []

    def claim_packs(self, claims: list[PackClaim], *, now: float, lease_until: float) -> set[str]:
        held = set()
        for c in claims:
            item = self.packs.get(c.pack_id)
            if (
                item is None
                or item.state == "queued"
                or (item.state == "claimed" and item.lease_until < now)
            ):
                attempts = item.attempts + 1 if item else 1
                self.packs[c.pack_id] = _PackItem("claimed", c.token, lease_until, attempts)
                held.add(c.pack_id)
        return held

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> int:
        item = self.packs.get(claim.pack_id)
        if item is None or item.state != "claimed" or item.token != claim.token:
            return 0
        item.state, item.lease_until = "sending", lease_until
        return item.attempts

    def release_pack(self, claim: PackClaim) -> None:
        item = self.packs.get(claim.pack_id)
        if item is not None and item.token == claim.token:
            item.state, item.token = "queued", None

    def pack_state(self, pack_id: str) -> PackState | None:
        item = self.packs.get(pack_id)
        return None if item is None else PackState(item.state, item.lease_until)

    def record_outcomes(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            self.outcomes[(o.account_id, o.message_id)] = o

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        return {
            m: self.outcomes[(account_id, m)]
            for m in message_ids
            if (account_id, m) in self.outcomes
        }

    def requeue(self, account_id: str, message_ids: list[str], pack_id: str) -> bool:
        if any(self.outcomes[(account_id, m)].status != "failed" for m in message_ids):
            return False
        for m in message_ids:
            del self.outcomes[(account_id, m)]
        item = self.packs.get(pack_id)
        if item is not None:
            item.state, item.token = "queued", None
        return True

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None:
        """The record with its RESULT applied, as DynamoStore reads it."""
        found = super().get_message(account_id, message_id)
        result = self.outcomes.get((account_id, message_id))
        if found is None or result is None:
            return found
        record, events = found
        record.status = MessageStatus(result.status)
        record.updated_at = result.at
        record.error_message = result.error_message
        if record.status is MessageStatus.SENT:
            record.sent_at = result.at
        record.note = result.note or record.note
        record.provider_message_id = result.provider_message_id or record.provider_message_id
        record.provider_id = result.provider_id or record.provider_id
        record.provider_kind = result.provider_kind or record.provider_kind
        return record, events


@dataclass
class _Entry:
    body: str
    receives: int = 0
    visible_at: float = 0.0
    receipt: str | None = None


@dataclass
class InMemoryQueue:
    """SQS as the dispatcher sees it: visibility timeouts on `clock`, and, with a
    `dead_letters` queue, a message received more than `max_receives` times moves there."""

    clock: Callable[[], float]
    dead_letters: InMemoryQueue | None = None
    max_receives: int = 8
    entries: dict[int, _Entry] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def send_batch(self, bodies: dict[str, str]) -> dict[str, str]:
        for body in bodies.values():
            self.entries[next(self._ids)] = _Entry(body)
        return {}

    def receive(self, max_messages: int, wait_seconds: int, visibility: int) -> list[QueuedMessage]:
        out: list[QueuedMessage] = []
        now = self.clock()
        for key, entry in list(self.entries.items()):
            if len(out) >= max_messages:
                break
            if entry.visible_at > now:
                continue
            if self.dead_letters is not None and entry.receives >= self.max_receives:
                del self.entries[key]
                self.dead_letters.send_batch({"0": entry.body})
                continue
            entry.receives += 1
            entry.visible_at = now + visibility
            entry.receipt = f"{key}#{entry.receives}"
            out.append(QueuedMessage(entry.receipt, entry.body, entry.receives))
        return out

    def _by_receipt(self, receipt: str) -> int | None:
        return next((k for k, e in self.entries.items() if e.receipt == receipt), None)

    def delete(self, receipts: list[str]) -> None:
        for receipt in receipts:
            key = self._by_receipt(receipt)
            if key is not None:
                del self.entries[key]

    def delay(self, receipts: dict[str, int]) -> None:
        for receipt, seconds in receipts.items():
            key = self._by_receipt(receipt)
            if key is not None:
                self.entries[key].visible_at = self.clock() + seconds

    def depth(self) -> dict[str, int]:
        now = self.clock()
        visible = sum(1 for e in self.entries.values() if e.visible_at <= now)
        return {"visible": visible, "in_flight": len(self.entries) - visible, "delayed": 0}

    def bodies(self) -> list[str]:
        return [copy.copy(e.body) for e in self.entries.values()]
