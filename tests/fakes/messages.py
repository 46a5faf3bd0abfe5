"""Messages and events (ports.MessageStore), in memory, on the same state machine as
DynamoDB (models.FOLLOWS): a step it does not allow is ignored, as the adapter's condition
refuses it."""

from __future__ import annotations

import copy
from datetime import datetime

from mailpass.models import MessageEvent, MessageRecord, MessageStatus, Provider, may_follow
from mailpass.usage import Tally

from tests.fakes.memory import Shared


class InMemoryMessages(Shared):
    def put_message(self, record: MessageRecord) -> None:
        # Ids are fresh: no check for an existing one, as DynamoDB's put makes none.
        self.memory.messages[(record.account_id, record.message_id)] = copy.deepcopy(record)

    def put_messages(self, records: list[MessageRecord]) -> list[MessageRecord]:
        for r in records:  # BatchWriteItem overwrites
            self.memory.messages[(r.account_id, r.message_id)] = copy.deepcopy(r)
        return []

    def allocate_queue_ids(self, count: int) -> int:
        self.memory.queue_id += count
        return self.memory.queue_id - count + 1

    def _moving(self, account_id: str, message_id: str, new: MessageStatus) -> MessageRecord | None:
        m = self.memory.messages.get((account_id, message_id))
        return m if m is not None and may_follow(new, m.status) else None

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
        m = self._moving(account_id, message_id, MessageStatus.SENT)
        if m is None:
            return
        self.memory.add_tally(tally)
        m.status = MessageStatus.SENT
        m.sent_at = m.updated_at = sent_at
        if provider_message_id:
            m.provider_message_id = provider_message_id
        if note:
            m.note = note
        if provider is not None:
            m.provider_id, m.provider_kind = provider.provider_id, provider.kind.value

    def mark_failed(
        self,
        account_id: str,
        message_id: str,
        *,
        reason: str,
        at: datetime,
        tally: Tally | None = None,
    ) -> None:
        m = self._moving(account_id, message_id, MessageStatus.FAILED)
        if m is not None:
            self.memory.add_tally(tally)
            m.status = MessageStatus.FAILED
            m.error_message = reason[:2000]
            m.updated_at = at

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
        m = self._moving(account_id, message_id, status)
        if m is not None:
            # As the adapter's mark: once per message and status.
            counted = self.memory.counted.setdefault((account_id, message_id), set())
            if tally is not None and status.value not in counted:
                counted.add(status.value)
                self.memory.add_tally(tally)
            m.status = status
            m.updated_at = at
            if reason:
                m.error_message = reason[:2000]

    def cancel_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        m = self._moving(account_id, message_id, MessageStatus.CANCELED)
        if m is None:
            return False
        m.status, m.updated_at = MessageStatus.CANCELED, at
        return True

    def release_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        m = self.memory.messages.get((account_id, message_id))
        if m is not None and m.status is MessageStatus.QUEUED:
            return True  # moved by an earlier try of the same hand-off
        m = self._moving(account_id, message_id, MessageStatus.QUEUED)
        if m is None:
            return False
        m.status, m.updated_at = MessageStatus.QUEUED, at
        return True

    def add_event(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        self.memory.events.setdefault((account_id, message_id), []).append(event)

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None:
        key = (account_id, message_id)
        m = self.memory.messages.get(key)
        if m is None:
            return None
        record = copy.deepcopy(m)
        result = self.memory.results.get(key)
        if result is not None:
            record = result.applied_to(record)
        events = sorted(self.memory.events.get(key, []), key=lambda e: e.created_at)
        return record, events
