"""Scheduled sends in the store: the minute buckets, the tick's cursor, and the two conditional
moves that race (cancel: scheduled -> canceled; the dispatcher: scheduled -> queued)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from mailpass.ids import new_id
from mailpass.models import MessageStatus, schedule_bucket, utcnow
from mailpass.ports import ScheduledEntry

from tests.contract.conftest import NOW, Stores, message, new_account

S = MessageStatus


def status_of(stores: Stores, account_id: str, message_id: str) -> MessageStatus:
    found = stores.messages.get_message(account_id, message_id)
    assert found is not None
    return found[0].status


def test_a_scheduled_message_reads_back_with_its_time(stores: Stores) -> None:
    account_id = new_account(stores)
    record = message(account_id, S.SCHEDULED, scheduled_at=NOW + timedelta(hours=3))
    stores.messages.put_message(record)
    found = stores.messages.get_message(account_id, record.message_id)
    assert found is not None
    assert (found[0].status, found[0].scheduled_at) == (S.SCHEDULED, NOW + timedelta(hours=3))


def test_entries_wait_in_their_minute_bucket_until_dropped(stores: Stores) -> None:
    account_id = new_account(stores)
    # A far minute of its own, so other tests' entries are not in it.
    due = NOW.replace(year=2090) + timedelta(seconds=int(new_id("x")[-4:], 36) % 50_000 * 60)
    entries = [
        ScheduledEntry(account_id, f"<{new_id('m')}@x>", due + timedelta(seconds=s), f"body{s}")
        for s in (5, 40)
    ]
    later = ScheduledEntry(account_id, f"<{new_id('m')}@x>", due + timedelta(minutes=1), "next")
    assert stores.schedules.put_scheduled([*entries, later]) == []
    bucket = schedule_bucket(due)
    mine = [e for e in stores.schedules.scheduled_in(bucket) if e.account_id == account_id]
    assert sorted(mine, key=lambda e: e.due) == entries
    assert [e.body for e in stores.schedules.scheduled_in(schedule_bucket(later.due))] == ["next"]
    stores.schedules.drop_scheduled(bucket, entries[:1])
    left = [e for e in stores.schedules.scheduled_in(bucket) if e.account_id == account_id]
    assert left == entries[1:]


def test_the_cursor_reads_back(stores: Stores) -> None:
    before = stores.schedules.schedule_cursor()
    mark = schedule_bucket(utcnow() - timedelta(minutes=1))
    stores.schedules.set_schedule_cursor(mark)
    try:
        assert stores.schedules.schedule_cursor() == mark
    finally:  # the table is shared with the integration tests' dispatcher ticks
        stores.schedules.set_schedule_cursor(before or mark)


@pytest.mark.parametrize("old", list(S))
def test_cancel_and_release_move_only_a_scheduled_message(stores: Stores, old: S) -> None:
    account_id = new_account(stores)
    canceled, released = message(account_id, old), message(account_id, old)
    stores.messages.put_message(canceled)
    stores.messages.put_message(released)
    assert stores.messages.cancel_scheduled(account_id, canceled.message_id, at=NOW) is (
        old is S.SCHEDULED
    )
    assert status_of(stores, account_id, canceled.message_id) is (
        S.CANCELED if old is S.SCHEDULED else old
    )
    # Released again when already queued: a retry of the same hand-off goes on.
    took = stores.messages.release_scheduled(account_id, released.message_id, at=NOW)
    assert took is (old in (S.SCHEDULED, S.QUEUED))
    assert status_of(stores, account_id, released.message_id) is (
        S.QUEUED if old is S.SCHEDULED else old
    )


def test_a_missing_message_is_neither_canceled_nor_released(stores: Stores) -> None:
    account_id = new_account(stores)
    missing = f"<{new_id('m')}@x>"
    assert not stores.messages.cancel_scheduled(account_id, missing, at=NOW)
    assert not stores.messages.release_scheduled(account_id, missing, at=NOW)
    assert stores.messages.get_message(account_id, missing) is None


def test_cancel_racing_the_hand_off_ends_with_exactly_one_winner(stores: Stores) -> None:
    account_id = new_account(stores)
    records = [message(account_id, S.SCHEDULED) for _ in range(12)]
    for r in records:
        stores.messages.put_message(r)
    with ThreadPoolExecutor(3) as pool:
        for r in records:
            mid = r.message_id
            cancels = [
                pool.submit(stores.messages.cancel_scheduled, account_id, mid, at=NOW)
                for _ in range(2)
            ]
            release = pool.submit(stores.messages.release_scheduled, account_id, mid, at=NOW)
            won = [c.result() for c in cancels]
            took = release.result()
            assert sum(won) + took == 1, (won, took)  # one cancel or the hand-off, never both
            final = status_of(stores, account_id, mid)
            assert final is (S.QUEUED if took else S.CANCELED)
