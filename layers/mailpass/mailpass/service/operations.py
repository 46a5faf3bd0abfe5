"""Operator use cases for the send queue: look at it, and redrive the dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mailpass.ports import BatchStore, Queue
from mailpass.service.dispatch import INTERRUPTED


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)
    skipped_unknown: list[str] = field(default_factory=list)
    dropped_not_failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "redriven": len(self.redriven),
            "skipped_unknown_delivery": self.skipped_unknown,
            "dropped_not_failed": len(self.dropped_not_failed),
        }


class QueueOperations:
    def __init__(self, store: BatchStore, queue: Queue, dead_letters: Queue) -> None:
        self._store = store
        self._queue = queue
        self._dlq = dead_letters

    def stats(self) -> dict[str, dict[str, int]]:
        return {"queue": self._queue.depth(), "dead_letter_queue": self._dlq.depth()}

    def redrive(self, *, limit: int = 1000, include_unknown: bool = False) -> RedriveReport:
        """Move dead letters back. A message whose hand-off was interrupted may already have
        been delivered: it stays unless `include_unknown`, since redriving it risks a duplicate."""
        report = RedriveReport()
        kept: dict[str, int] = {}
        seen = 0
        while seen < limit:
            batch = self._dlq.receive(10, 0, 60)
            if not batch:
                break
            seen += len(batch)
            back: dict[str, str] = {}
            done: list[str] = []
            for n, msg in enumerate(batch):
                data = json.loads(msg.body)
                account_id = data["account_id"]
                members = [e["message_id"] for e in data.get("messages", [data])]
                requeued: list[str] = []
                unknown: list[str] = []
                for message_id in members:
                    reason = self._store.failure_reason(account_id, message_id)
                    if reason is None:  # sent after all, or gone: nothing to redrive
                        report.dropped_not_failed.append(message_id)
                    elif reason == INTERRUPTED and not include_unknown:
                        unknown.append(message_id)
                    elif self._store.requeue(account_id, message_id):
                        requeued.append(message_id)
                report.redriven += requeued
                report.skipped_unknown += unknown
                if requeued:
                    back[str(n)] = _only(data, set(requeued))
                if unknown:  # it stays, for a later --include-unknown
                    kept[msg.receipt] = 0
                else:
                    done.append(msg.receipt)
            failed = self._queue.send_batch(back)
            if failed:
                raise RuntimeError(f"could not requeue {len(failed)} messages: {failed}")
            self._dlq.delete(done)
        if kept:  # visible again at once, not after this receive's timeout
            self._dlq.delay(kept)
        return report


def _only(data: dict[str, Any], message_ids: set[str]) -> str:
    """The queue body again, carrying just these messages."""
    if "messages" not in data:
        return json.dumps(data, ensure_ascii=False)
    kept = [e for e in data["messages"] if e["message_id"] in message_ids]
    return json.dumps({**data, "messages": kept}, ensure_ascii=False)
