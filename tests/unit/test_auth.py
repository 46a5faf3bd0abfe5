"""Authentication reads: a key seen before is answered by its account's config read (the grants
on the account item), which the use case then reuses; revocation still stops the very next
request; a key the grants do not hold is read from its own item."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from mailpass.errors import Forbidden, TooManyKeys, Unauthorized
from mailpass.ids import hash_api_key
from mailpass.models import MAX_LIVE_KEYS, Permission
from mailpass.ports import AccountConfig
from mailpass.schemas import SendRequest
from mailpass.service.auth import AuthService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService

from tests.fakes import InMemoryStore
from tests.unit.conftest import World


class CountingStore(InMemoryStore):
    """The fake store, counting the reads authentication and sending make."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__(store.memory)
        self.reads: Counter[str] = Counter()

    def get_api_key(self, key_hash: str) -> Any:
        self.reads["key"] += 1
        return super().get_api_key(key_hash)

    def get_account_config(self, account_id: str) -> AccountConfig | None:
        self.reads["config"] += 1
        return super().get_account_config(account_id)


class OlderAccount(CountingStore):
    """An account whose grants hold none of its keys: they were made before grants existed."""

    def get_account_config(self, account_id: str) -> AccountConfig | None:
        config = super().get_account_config(account_id)
        return config and replace(config, keys={})


def now_later(work: Any) -> None:
    work()


@pytest.fixture
def counted(world: World) -> CountingStore:
    return CountingStore(world.store)


def test_a_key_seen_before_costs_one_read_for_the_key_and_the_config(
    world: World, counted: CountingStore
) -> None:
    account_id, key = world.account_with_key()
    auth = AuthService(counted, later=now_later)
    send = SendService(counted, world.senders, world.settings, Limits(counted))
    request = SendRequest(to="user@example.com", subject="Hi", text="Hello")

    first = auth.authenticate(f"Bearer {key}", Permission.MAIL)
    assert (first.account_id, first.config) == (account_id, None)
    assert counted.reads == {"key": 1}
    send.send(first, request)
    assert counted.reads == {"key": 1, "config": 1}

    counted.reads.clear()
    again = auth.authenticate(f"Bearer {key}", Permission.MAIL)
    assert again == first  # the same principal; the config rides along, uncompared
    assert again.config is not None
    assert again.config.account.account_id == account_id
    send.send(again, request)
    assert counted.reads == {"config": 1}  # one read answered both
    assert len(world.senders.sender.delivered) == 2


def test_revocation_stops_the_very_next_request_of_a_key_seen_before(
    world: World, counted: CountingStore
) -> None:
    account_id, admin = world.account_with_key(permissions=("mail", "settings"))
    made = world.admin.create_api_key(account_id, ["mail"])
    auth = AuthService(counted, later=now_later)
    for _ in range(2):
        auth.authenticate(f"Bearer {made.api_key}", Permission.MAIL)

    counted.revoke_api_key(account_id, made.key_id)
    counted.reads.clear()
    with pytest.raises(Unauthorized, match="revoked"):
        auth.authenticate(f"Bearer {made.api_key}", Permission.MAIL)
    # Not among the grants: its own item says why.
    assert counted.reads == {"config": 1, "key": 1}
    assert auth.authenticate(f"Bearer {admin}", Permission.SETTINGS).account_id == account_id


def test_a_live_key_the_grants_do_not_hold_is_read_from_its_own_item(
    world: World, counted: CountingStore
) -> None:
    """A key made before grants were kept on the account item: not in them, still live."""

    older = OlderAccount(world.store)
    account_id, key = world.account_with_key()
    auth = AuthService(older, later=now_later)
    auth.authenticate(f"Bearer {key}", Permission.MAIL)
    older.reads.clear()
    again = auth.authenticate(f"Bearer {key}", Permission.MAIL)
    assert again.account_id == account_id
    assert again.config is not None  # read anyway: handed on
    assert older.reads == {"config": 1, "key": 1}


def test_permissions_and_test_mode_come_from_the_grant(world: World) -> None:
    _, key = world.account_with_key(permissions=("settings",), test=True)
    auth = AuthService(world.store, later=now_later)
    for _ in range(2):  # the first from the key's item, the second from the grant
        with pytest.raises(Forbidden):
            auth.authenticate(f"Bearer {key}", Permission.MAIL)
        principal = auth.authenticate(f"Bearer {key}", Permission.SETTINGS)
        assert (principal.permissions, principal.test) == (frozenset({"settings"}), True)


def test_unknown_keys_are_not_remembered(world: World, counted: CountingStore) -> None:
    auth = AuthService(counted, later=now_later, remember=2)
    stranger = "mp_live_" + "A" * 40
    for _ in range(2):
        with pytest.raises(Unauthorized):
            auth.authenticate(f"Bearer {stranger}", Permission.MAIL)
    assert counted.reads == {"key": 2}

    # Bounded: the least recently used key is read from its item again.
    keys = [world.account_with_key()[1] for _ in range(3)]
    for key in keys:
        auth.authenticate(f"Bearer {key}", Permission.MAIL)
    counted.reads.clear()
    auth.authenticate(f"Bearer {keys[2]}", Permission.MAIL)
    assert counted.reads == {"config": 1}
    auth.authenticate(f"Bearer {keys[0]}", Permission.MAIL)
    assert counted.reads == {"config": 1, "key": 1}


def test_an_account_holds_at_most_max_live_keys(world: World) -> None:
    account_id, _ = world.account_with_key(permissions=("mail", "settings"))
    made = [world.admin.create_api_key(account_id, ["mail"]) for _ in range(MAX_LIVE_KEYS - 1)]
    with pytest.raises(TooManyKeys):
        world.admin.create_api_key(account_id, ["mail"])
    world.store.revoke_api_key(account_id, made[0].key_id)
    world.admin.create_api_key(account_id, ["mail"])
    config = world.store.get_account_config(account_id)
    assert config is not None
    assert len(config.keys) == MAX_LIVE_KEYS
    assert hash_api_key(made[0].api_key) not in config.keys
    assert hash_api_key(made[1].api_key) in config.keys


def test_after_one_miss_a_key_without_a_grant_costs_its_own_read_only(world: World) -> None:
    """An older live key, and a revoked one: the config read that could not answer them is
    made once, not on every request."""

    older = OlderAccount(world.store)
    _, key = world.account_with_key()
    auth = AuthService(older, later=now_later)
    for _ in range(2):  # seen, then the grants read once
        auth.authenticate(f"Bearer {key}", Permission.MAIL)
    older.reads.clear()
    for _ in range(3):
        principal = auth.authenticate(f"Bearer {key}", Permission.MAIL)
    assert principal.config is None  # not read: the use case reads it, as before grants
    assert older.reads == {"key": 3}

    counted = CountingStore(world.store)
    account_id, _ = world.account_with_key(permissions=("mail", "settings"))
    made = world.admin.create_api_key(account_id, ["mail"])
    auth = AuthService(counted, later=now_later)
    auth.authenticate(f"Bearer {made.api_key}", Permission.MAIL)
    counted.revoke_api_key(account_id, made.key_id)
    for _ in range(3):
        with pytest.raises(Unauthorized, match="revoked"):
            auth.authenticate(f"Bearer {made.api_key}", Permission.MAIL)
    assert counted.reads == {"key": 4, "config": 1}
