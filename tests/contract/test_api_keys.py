"""API keys over HTTP, the store's part: the last `settings` key stays (atomically, under
concurrent revokes), `last_used_at` is written at most once per window, and the account's
config read carries the grants of its live keys (at most MAX_LIVE_KEYS)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from mailpass.errors import LastSettingsKey, NotFound, TooManyKeys
from mailpass.ids import new_id
from mailpass.models import MAX_LIVE_KEYS, ApiKey, KeyGrant

from tests.contract.conftest import NOW, Stores, new_account


def key(account_id: str, *permissions: str, n: int = 0) -> ApiKey:
    return ApiKey(
        key_id=new_id("key"),
        account_id=account_id,
        key_hash=new_id("hash"),
        prefix="mp_live_abcdef",
        permissions=frozenset(permissions or ("mail", "settings")),
        revoked=False,
        test=False,
        created_at=NOW.replace(second=n),
        name=f"key {n}",
        last4="wxyz",
    )


def test_names_and_last_four_are_kept(stores: Stores) -> None:
    account_id = new_account(stores)
    made = key(account_id, "mail", n=3)
    stores.accounts.create_api_key(made)
    (listed,) = stores.accounts.list_api_keys(account_id)
    assert (listed.name, listed.last4, listed.last_used_at) == ("key 3", "wxyz", None)
    assert stores.accounts.get_api_key(made.key_hash) == made


def test_the_last_settings_key_cannot_be_revoked(stores: Stores) -> None:
    account_id = new_account(stores)
    admin, mail = key(account_id, n=1), key(account_id, "mail", n=2)
    stores.accounts.create_api_key(admin)
    stores.accounts.create_api_key(mail)
    with pytest.raises(LastSettingsKey):
        stores.accounts.revoke_api_key(account_id, admin.key_id)
    found = stores.accounts.get_api_key(admin.key_hash)
    assert found is not None
    assert not found.revoked

    stores.accounts.revoke_api_key(account_id, mail.key_id)  # mail only: always allowed
    with pytest.raises(NotFound):  # once
        stores.accounts.revoke_api_key(account_id, mail.key_id)

    other = key(account_id, "settings", n=3)
    stores.accounts.create_api_key(other)
    stores.accounts.revoke_api_key(account_id, admin.key_id)  # another one is left
    with pytest.raises(LastSettingsKey):
        stores.accounts.revoke_api_key(account_id, other.key_id)
    assert [k.revoked for k in stores.accounts.list_api_keys(account_id)] == [True, True, False]


def race_to_revoke_the_last_two(stores: Stores) -> list[str]:
    account_id = new_account(stores)
    pair = [key(account_id, n=1), key(account_id, n=2)]
    for k in pair:
        stores.accounts.create_api_key(k)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke(k: ApiKey) -> None:
        start.wait(timeout=10)
        try:
            stores.accounts.revoke_api_key(account_id, k.key_id)
            outcomes.append("revoked")
        except LastSettingsKey:
            outcomes.append("refused")

    threads = [threading.Thread(target=revoke, args=(k,)) for k in pair]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    left = [k for k in stores.accounts.list_api_keys(account_id) if not k.revoked]
    assert len(left) == 1
    return sorted(outcomes)


def test_two_concurrent_revokes_of_the_last_two_settings_keys_leave_one(stores: Stores) -> None:
    for _ in range(3):  # each round a fresh account: the race is tried more than once
        assert race_to_revoke_the_last_two(stores) == ["refused", "revoked"]


def test_last_used_at_is_written_at_most_once_per_window(stores: Stores) -> None:
    account_id = new_account(stores)
    made = key(account_id)
    stores.accounts.create_api_key(made)
    hour = timedelta(hours=1)

    assert stores.accounts.touch_api_key(made.key_hash, NOW, unless_since=NOW - hour)
    later = NOW + timedelta(minutes=30)
    assert not stores.accounts.touch_api_key(made.key_hash, later, unless_since=later - hour)
    found = stores.accounts.get_api_key(made.key_hash)
    assert found is not None
    assert found.last_used_at == NOW
    (listed,) = stores.accounts.list_api_keys(account_id)
    assert listed.last_used_at == NOW

    much_later = NOW + timedelta(minutes=61)
    assert stores.accounts.touch_api_key(made.key_hash, much_later, unless_since=much_later - hour)
    found = stores.accounts.get_api_key(made.key_hash)
    assert found is not None
    assert found.last_used_at == much_later
    assert not stores.accounts.touch_api_key(new_id("hash"), NOW, unless_since=NOW - hour)


def grants(stores: Stores, account_id: str) -> dict[str, KeyGrant]:
    config = stores.accounts.get_account_config(account_id)
    assert config is not None
    return dict(config.keys)


def test_the_config_read_carries_the_grants_of_live_keys(stores: Stores) -> None:
    account_id = new_account(stores)
    assert grants(stores, account_id) == {}
    admin, mail = key(account_id, n=1), key(account_id, "mail", n=2)
    test_key = replace(key(account_id, "mail", n=3), test=True)
    for k in (admin, mail, test_key):
        stores.accounts.create_api_key(k)
    assert grants(stores, account_id) == {
        admin.key_hash: KeyGrant(admin.key_id, frozenset({"mail", "settings"}), False),
        mail.key_hash: KeyGrant(mail.key_id, frozenset({"mail"}), False),
        test_key.key_hash: KeyGrant(test_key.key_id, frozenset({"mail"}), True),
    }
    # Revoked: gone from the grants in the same write.
    stores.accounts.revoke_api_key(account_id, mail.key_id)
    assert set(grants(stores, account_id)) == {admin.key_hash, test_key.key_hash}
    with pytest.raises(LastSettingsKey):
        stores.accounts.revoke_api_key(account_id, admin.key_id)
    assert admin.key_hash in grants(stores, account_id)  # a refused revoke changes nothing
    # Another account's config holds none of them.
    assert grants(stores, new_account(stores)) == {}


def test_an_account_has_at_most_max_live_keys(stores: Stores) -> None:
    account_id = new_account(stores)
    made = [key(account_id, "mail", n=i % 60) for i in range(MAX_LIVE_KEYS)]
    for k in made:
        stores.accounts.create_api_key(k)
    extra = key(account_id, "mail")
    with pytest.raises(TooManyKeys):
        stores.accounts.create_api_key(extra)
    assert stores.accounts.get_api_key(extra.key_hash) is None  # nothing of it was written
    stores.accounts.revoke_api_key(account_id, made[0].key_id)
    stores.accounts.create_api_key(extra)
    assert len(grants(stores, account_id)) == MAX_LIVE_KEYS
    with pytest.raises(NotFound):  # still NotFound for a missing account, not TooManyKeys
        stores.accounts.create_api_key(key(new_id("acct"), "mail"))
