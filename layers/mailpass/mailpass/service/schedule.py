"""Scheduled sends: where a message waits for its time, the tick that queues what is due, and
cancel.

A scheduled message is stored `scheduled`, and its queue body (a pack of one, marked
`scheduled`) waits either in the store's minute bucket for its time (ports.ScheduleStore) or,
when its time is near, in SQS itself with DelaySeconds. The dispatcher's tick moves the buckets
due up to HORIZON ahead to SQS, each with the delay that is left, so the message becomes
receivable at its time and the drain after that sends it: within one tick of its time, through
the claim and exactly-once machinery of every queued pack.

Cancel and the hand-off race on the message's status: cancel moves it scheduled -> canceled,
the dispatcher scheduled -> queued right before its hand-off, each conditionally, so exactly
one of them wins (models.FOLLOWS). Nothing is reserved when scheduling: send limits apply when
the dispatcher sends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mailpass.errors import NotCancelable, NotFound
from mailpass.ids import normalize_message_id
from mailpass.models import MessageStatus, Principal, iso, schedule_bucket, utcnow
from mailpass.ports import Queue, ScheduledEntry, SchedulingStore

# Within this of now, a scheduled_at sends now: a tick could not make it any sooner.
SEND_NOW_WITHIN = timedelta(seconds=10)
# SQS holds a message back at most 15 minutes (DelaySeconds 900).
MAX_DELAY_SECONDS = 900
# The tick moves the buckets that start up to HORIZON ahead (every message in them is due
# within HORIZON + 1 min, inside SQS's 15 minutes). A message due sooner than DIRECT goes to SQS
# when it is accepted: its bucket may be one the tick has moved already. DIRECT - HORIZON is
# the margin for a tick running while a message is accepted, and for clock skew.
HORIZON = timedelta(minutes=13)
DIRECT = timedelta(minutes=14)
# Where the first tick ever starts (no cursor yet): nothing can be waiting in an older bucket.
FIRST_LOOKBACK = timedelta(hours=1)


def is_ahead(at: datetime | None, now: datetime) -> bool:
    """Whether `at` is far enough ahead to wait for (else the message goes now)."""
    return at is not None and at - now > SEND_NOW_WITHIN


def _bucket_start(bucket: str) -> datetime:
    return datetime.strptime(bucket, "%Y%m%d%H%M").replace(tzinfo=UTC)


def _next(bucket: str) -> str:
    return schedule_bucket(_bucket_start(bucket) + timedelta(minutes=1))


def _delay(due: datetime, now: datetime) -> int:
    return max(0, min(MAX_DELAY_SECONDS, int((due - now).total_seconds() + 0.999)))


class Scheduler:
    def __init__(
        self,
        store: SchedulingStore,
        queue: Callable[[], Queue],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._queue = queue  # made on first use: /send never needs it unless it schedules
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def place(self, entries: list[ScheduledEntry]) -> set[str]:
        """Put scheduled messages where they wait; returns the ids of those that could not be
        placed (their callers fail them)."""
        now = self._clock()
        direct = [e for e in entries if e.due - now < DIRECT]
        later = [e for e in entries if e.due - now >= DIRECT]
        failed = self._to_queue(direct, now)
        failed |= {e.message_id for e in self._store.put_scheduled(later)} if later else set()
        return failed

    def _to_queue(self, entries: list[ScheduledEntry], now: datetime) -> set[str]:
        if not entries:
            return set()
        # SQS entry ids allow [A-Za-z0-9_-] only: indexes, not message ids.
        bodies = {str(n): e.body for n, e in enumerate(entries)}
        delays = {str(n): _delay(e.due, now) for n, e in enumerate(entries)}
        not_sent = self._queue().send_batch(bodies, delays)
        return {entries[int(n)].message_id for n in not_sent}

    def tick(self, time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """Move every bucket from the cursor up to HORIZON ahead to the queue. Missed ticks
        catch up from the cursor. A bucket's entries are dropped after they are queued, and
        the cursor moves after that: a crash in between queues them again, and the pack's
        claim (same pack id) keeps that from sending twice."""
        now = self._clock()
        last = schedule_bucket(now + HORIZON)
        cursor = self._store.schedule_cursor() or schedule_bucket(now - FIRST_LOOKBACK)
        bucket, moved, buckets = _next(cursor), 0, 0
        # A long catch-up leaves the drain at least half the run; the next tick carries on.
        stop_below = max(2000, time_left_ms() // 2) if time_left_ms is not None else 0
        while bucket <= last:
            if time_left_ms is not None and time_left_ms() < stop_below:
                break
            entries = self._store.scheduled_in(bucket)
            if entries:
                failed = self._to_queue(entries, self._clock())
                if failed:  # left in the bucket; the cursor stays, the next tick retries
                    raise RuntimeError(f"{len(failed)} scheduled messages could not be queued")
                self._store.drop_scheduled(bucket, entries)
                moved += len(entries)
            self._store.set_schedule_cursor(bucket)
            buckets += 1
            bucket = _next(bucket)
        return {"moved": moved, "buckets": buckets}

    def cancel(self, principal: Principal, raw_message_id: str) -> dict[str, Any]:
        message_id = normalize_message_id(raw_message_id)
        if not message_id:
            raise NotFound("No such message for this account")
        at = self._clock()
        if self._store.cancel_scheduled(principal.account_id, message_id, at=at):
            return {"message_id": message_id, "status": MessageStatus.CANCELED.value}
        found = self._store.get_message(principal.account_id, message_id)
        if found is None:
            raise NotFound("No such message for this account")
        record = found[0]
        raise NotCancelable(
            f"The message is {record.status.value}: only a scheduled message can be canceled",
            details={"status": record.status.value, "scheduled_at": iso(record.scheduled_at)},
        )
