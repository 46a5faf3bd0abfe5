"""The suppression list, and send-limit counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mailpass.errors import NotFound
from mailpass.ids import new_id
from mailpass.ports import Reservation, Window

from tests.contract.conftest import NOW, Stores, new_account


def count(stores: Stores, account_id: str) -> int:
    config = stores.accounts.get_account_config(account_id)
    assert config is not None
    return config.account.suppressions


def test_an_address_is_suppressed_once_whatever_its_case(stores: Stores) -> None:
    account_id = new_account(stores)
    sup = stores.suppressions
    assert sup.add_suppression(
        account_id, "Bob@Example.com", reason="bounce", at=NOW, message_id="m1"
    )
    assert not sup.add_suppression(
        account_id, "bob@example.com", reason="again", at=NOW, message_id=None
    )
    assert count(stores, account_id) == 1
    assert sup.suppressed(account_id, ["BOB@example.com", "eve@example.com"]) == {
        "bob@example.com": "bounce"
    }
    assert sup.suppressed(new_id("acct"), ["bob@example.com"]) == {}
    (listed,) = sup.list_suppressions(account_id)
    assert (listed["email"], listed["reason"], listed["message_id"]) == (
        "bob@example.com",
        "bounce",
        "m1",
    )

    sup.remove_suppression(account_id, "BOB@example.com")
    assert sup.suppressed(account_id, ["bob@example.com"]) == {}
    assert count(stores, account_id) == 0
    with pytest.raises(NotFound):
        sup.remove_suppression(account_id, "bob@example.com")


def test_many_addresses_are_looked_up_in_bounded_batches(stores: Stores) -> None:
    account_id = new_account(stores)
    blocked = [f"user{i}@example.com" for i in range(0, 250, 2)]  # 125
    for email in blocked:
        stores.suppressions.add_suppression(
            account_id, email, reason="bounce", at=NOW, message_id=None
        )
    asked = [f"USER{i}@example.com" for i in range(250)] + blocked  # repeats, other case
    assert stores.suppressions.suppressed(account_id, asked) == dict.fromkeys(blocked, "bounce")
    assert count(stores, account_id) == 125


HOUR = Window(f"H#{new_id('h')}", 3, NOW + timedelta(hours=1))


def windows(hour_limit: int = 3, day_limit: int = 5) -> list[Window]:
    tag = new_id("w")
    return [
        Window(f"H#{tag}", hour_limit, NOW + timedelta(hours=1)),
        Window(f"D#{tag}", day_limit, NOW + timedelta(days=1)),
    ]


def test_one_window_grants_until_full_and_says_how_full(stores: Stores) -> None:
    q, pid = stores.quotas, new_id("prov")
    (w,) = windows()[:1]
    assert q.reserve(pid, [w], 2) == Reservation(2, (w,), remaining=1)
    assert q.peek(pid, [w]) == Reservation(1, (w,))
    assert q.reserve(pid, [w], 2) == Reservation(0, (w,), w, used=2)
    assert q.reserve(pid, [w], 1) == Reservation(1, (w,), remaining=0)
    assert q.peek(pid, [w]) == Reservation(0, (w,), w, used=3)
    q.refund(pid, [w], 2)
    assert q.reserve(pid, [w], 2) == Reservation(2, (w,), remaining=0)
    assert q.reserve(pid, [w], 4) == Reservation(0, (w,), w, used=3)  # more than it could hold


def test_several_windows_grant_all_or_nothing(stores: Stores) -> None:
    q, pid = stores.quotas, new_id("prov")
    hour, day = ws = windows(hour_limit=3, day_limit=4)
    assert q.reserve(pid, ws, 3) == Reservation(3, (hour, day))
    # The hour is full: nothing is taken from the day either.
    assert q.reserve(pid, ws, 1) == Reservation(0, (hour, day), hour, used=3)
    assert q.peek(pid, [day]) == Reservation(1, (day,))
    q.refund(pid, ws, 3)
    assert q.reserve(pid, ws, 1) == Reservation(1, (hour, day))
    # A new hour, the same day: now the day says no.
    next_hour = Window(hour.key + "x", 3, hour.resets_at + timedelta(hours=1))
    q.reserve(pid, [next_hour, day], 3)
    assert q.reserve(pid, [next_hour, day], 1) == Reservation(
        0, (next_hour, day), next_hour, used=3
    )
    assert q.peek(pid, [day]) == Reservation(0, (day,), day, used=4)
    assert q.reserve(pid, [day], 5) == Reservation(0, (day,), day, used=4)


def test_used_reads_each_windows_count_without_taking_any(stores: Stores) -> None:
    q, pid = stores.quotas, new_id("prov")
    hour, day = ws = windows(hour_limit=3, day_limit=5)
    assert q.used(pid, ws) == [0, 0]
    q.reserve(pid, ws, 2)
    q.reserve(pid, [day], 1)
    assert q.used(pid, ws) == [2, 3]
    assert q.used(pid, ws) == [2, 3]  # reading took nothing
    q.refund(pid, ws, 1)
    assert q.used(pid, [day, hour]) == [2, 1]
