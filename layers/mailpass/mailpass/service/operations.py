"""Operator use cases for the send queue: look at it, and redrive the dead-letter queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailpass.models import MessageStatus
from mailpass.ports import PackStore, Queue
from mailpass.queue_payload import Poison, parse
from mailpass.service.pack import INTERRUPTED, POISON, Pack, fail_unfinished


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)
    skipped_unknown: list[str] = field(default_factory=list)
    dropped_not_failed: list[str] = field(default_factory=list)
    # Unreadable dead letters: left in the DLQ for an operator; what they name is failed.
    unreadable: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "redriven": len(self.redriven),
            "skipped_unknown_delivery": self.skipped_unknown,
            "dropped_not_failed": len(self.dropped_not_failed),
            "unreadable": self.unreadable,
        }


class QueueOperations:
    def __init__(self, store: PackStore, queue: Queue, dead_letters: Queue) -> None:
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
                try:
                    payload = parse(msg.body)
                except Poison as bad:  # nothing to redrive: it stays where an operator sees it
                    fail_unfinished(
                        self._store, bad.account_id, bad.message_ids, POISON.format(why=bad.reason)
                    )
                    report.unreadable += 1
                    kept[msg.receipt] = 0
                    continue
                account_id, members = payload.account_id, payload.message_ids
                pack_id = payload.pack_id
                final = self._store.results(account_id, members)
                failed: list[str] = []  # RESULT to clear
                redrive: list[str] = []
                unknown: list[str] = []
                for mid in members:
                    result = final.get(mid)
                    if result is not None and result.status != MessageStatus.FAILED.value:
                        report.dropped_not_failed.append(mid)  # sent after all
                    elif (
                        result is not None
                        and result.error_message == INTERRUPTED
                        and not (include_unknown)
                    ):
                        unknown.append(mid)
                    else:
                        redrive.append(mid)
                        if result is not None:
                            failed.append(mid)
                if redrive and not self._store.requeue(
                    account_id, failed, pack_id, Pack.log_of(payload)
                ):
                    continue  # changed under us; left in the DLQ for another try
                report.redriven += redrive
                report.skipped_unknown += unknown
                if redrive:
                    back[str(n)] = payload.only(set(redrive)).dump()
                if unknown:  # it stays, for a later --include-unknown
                    kept[msg.receipt] = 0
                else:
                    done.append(msg.receipt)
            not_sent = self._queue.send_batch(back)
            if not_sent:
                raise RuntimeError(f"could not requeue {len(not_sent)} packs: {not_sent}")
            self._dlq.delete(done)
        if kept:  # visible again at once, not after this receive's timeout
            self._dlq.delay(kept)
        return report
