"""The tracking hit log: the first hit per client and window is told apart from repeats, and
every hit on a stored message is counted on it."""

from __future__ import annotations

from tests.contract.conftest import Stores, message, new_account


def test_first_hit_per_client_and_window_then_repeats(stores: Stores) -> None:
    account = new_account(stores)
    record = message(account)
    stores.messages.put_message(record)
    mid = record.message_id
    assert stores.hits.hit(account, mid, "open", "client-a", window=1, ttl=2_000_000_000)
    assert not stores.hits.hit(account, mid, "open", "client-a", window=1, ttl=2_000_000_000)
    # Another client, another window, another kind: each is a first again.
    assert stores.hits.hit(account, mid, "open", "client-b", window=1, ttl=2_000_000_000)
    assert stores.hits.hit(account, mid, "open", "client-a", window=2, ttl=2_000_000_000)
    assert stores.hits.hit(account, mid, "click", "client-a", window=1, ttl=2_000_000_000)
    assert stores.hits.counted(account, mid) == {"open": 4, "click": 1}


def test_hits_on_a_message_that_is_gone_are_not_counted_on_it(stores: Stores) -> None:
    account = new_account(stores)
    mid = message(account).message_id  # never stored
    assert stores.hits.hit(account, mid, "open", "client-a", window=1, ttl=2_000_000_000)
    assert stores.hits.counted(account, mid) == {"open": 0, "click": 0}
    found = stores.messages.get_message(account, mid)
    assert found is None
