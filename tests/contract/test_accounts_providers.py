"""Accounts and keys, providers (with the default/fallback guard), webhooks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from mailpass.errors import Conflict, NotFound
from mailpass.ids import new_id
from mailpass.models import Account, ApiKey, Webhook

from tests.contract.conftest import NOW, Stores, new_account, smtp


def key(account_id: str, n: int = 0) -> ApiKey:
    return ApiKey(
        key_id=new_id("key"),
        account_id=account_id,
        key_hash=new_id("hash"),
        prefix="mp_live_abc",
        permissions=frozenset({"mail", "settings"}),
        revoked=False,
        test=False,
        created_at=NOW.replace(second=n),
    )


def test_an_account_is_created_once_and_read_back(stores: Stores) -> None:
    account_id = new_account(stores)
    config = stores.accounts.get_account_config(account_id)
    assert config is not None
    assert config.account == Account(account_id, "acme", None, NOW)
    assert (config.providers, config.webhooks) == ([], ())
    with pytest.raises(Conflict):
        stores.accounts.create_account(Account(account_id, "again", None, NOW))
    assert stores.accounts.get_account_config(new_id("acct")) is None


def test_keys_are_found_by_hash_listed_in_order_and_revoked(stores: Stores) -> None:
    account_id = new_account(stores)
    second, first = key(account_id, 2), key(account_id, 1)
    stores.accounts.create_api_key(second)
    stores.accounts.create_api_key(first)
    assert stores.accounts.get_api_key(first.key_hash) == first
    assert stores.accounts.get_api_key(new_id("hash")) is None
    assert stores.accounts.list_api_keys(account_id) == [first, second]
    with pytest.raises(Conflict):
        stores.accounts.create_api_key(replace(first, key_id=new_id("key")))
    with pytest.raises(NotFound):
        stores.accounts.create_api_key(key(new_id("acct")))

    stores.accounts.revoke_api_key(account_id, first.key_id)
    found = stores.accounts.get_api_key(first.key_hash)
    assert found is not None
    assert found.revoked
    assert [k.revoked for k in stores.accounts.list_api_keys(account_id)] == [True, False]
    with pytest.raises(NotFound):
        stores.accounts.revoke_api_key(account_id, new_id("key"))


def test_providers_are_created_once_and_updated_only_when_there(stores: Stores) -> None:
    account_id = new_account(stores)
    provider = smtp(account_id, hourly_limit=10)
    with pytest.raises(NotFound):
        stores.providers.put_provider(smtp(new_id("acct")))
    stores.providers.put_provider(provider)
    with pytest.raises(Conflict):
        stores.providers.put_provider(provider)
    with pytest.raises(NotFound):
        stores.providers.put_provider(smtp(account_id), create=False)
    renamed = replace(provider, name="renamed", updated_at=NOW)
    stores.providers.put_provider(renamed, create=False)
    config = stores.providers.get_account_config(account_id)
    assert config is not None
    assert config.providers == [renamed]


def test_default_and_fallbacks_change_together_with_a_new_provider(stores: Stores) -> None:
    account_id = new_account(stores)
    a, b = smtp(account_id, "a"), smtp(account_id, "b")
    stores.providers.put_provider(a)
    config = stores.providers.get_account_config(account_id)
    assert config is not None
    stores.providers.update_account_providers(
        config, default_provider_id=b.provider_id, fallback_provider_ids=[a.provider_id], put=b
    )
    now = stores.providers.get_account_config(account_id)
    assert now is not None
    assert now.account.default_provider_id == b.provider_id
    assert now.account.fallback_provider_ids == (a.provider_id,)
    assert {p.provider_id for p in now.providers} == {a.provider_id, b.provider_id}
    assert [p.provider_id for p in now.chain()] == [b.provider_id, a.provider_id]

    # Delete the fallback, and the order with it.
    stores.providers.update_account_providers(
        now,
        default_provider_id=b.provider_id,
        fallback_provider_ids=[],
        delete_provider_id=a.provider_id,
    )
    after = stores.providers.get_account_config(account_id)
    assert after is not None
    assert [p.provider_id for p in after.providers] == [b.provider_id]
    assert after.account.fallback_provider_ids == ()


def test_a_change_from_a_stale_read_is_refused_whole(stores: Stores) -> None:
    account_id = new_account(stores)
    a, b = smtp(account_id, "a"), smtp(account_id, "b")
    stores.providers.put_provider(a)
    stores.providers.put_provider(b)
    stale = stores.providers.get_account_config(account_id)
    assert stale is not None
    stores.providers.update_account_providers(
        stale, default_provider_id=a.provider_id, fallback_provider_ids=[]
    )
    new = smtp(account_id, "new")
    with pytest.raises(Conflict):
        stores.providers.update_account_providers(
            stale, default_provider_id=new.provider_id, fallback_provider_ids=[], put=new
        )
    fresh = stores.providers.get_account_config(account_id)
    assert fresh is not None
    assert fresh.account.default_provider_id == a.provider_id
    assert new.provider_id not in {p.provider_id for p in fresh.providers}  # nothing applied

    # Fallbacks are guarded too.
    stores.providers.update_account_providers(
        fresh, default_provider_id=a.provider_id, fallback_provider_ids=[b.provider_id]
    )
    with pytest.raises(Conflict):
        stores.providers.update_account_providers(
            fresh, default_provider_id=b.provider_id, fallback_provider_ids=[]
        )


def test_naming_a_missing_provider_is_refused(stores: Stores) -> None:
    account_id = new_account(stores)
    a = smtp(account_id, "a")
    stores.providers.put_provider(a)
    config = stores.providers.get_account_config(account_id)
    assert config is not None
    for change in (
        {"default_provider_id": new_id("prov"), "fallback_provider_ids": []},
        {"default_provider_id": a.provider_id, "fallback_provider_ids": [new_id("prov")]},
        {
            "default_provider_id": a.provider_id,
            "fallback_provider_ids": [],
            "delete_provider_id": new_id("prov"),
        },
    ):
        with pytest.raises(NotFound):
            stores.providers.update_account_providers(config, **change)  # type: ignore[arg-type]
    with pytest.raises(Conflict):  # adding one that exists
        stores.providers.update_account_providers(
            config, default_provider_id=a.provider_id, fallback_provider_ids=[], put=a
        )
    unchanged = stores.providers.get_account_config(account_id)
    assert unchanged is not None
    assert unchanged.account == config.account


def test_webhooks_are_read_with_the_account(stores: Stores) -> None:
    account_id = new_account(stores)
    hook = Webhook(new_id("wh"), account_id, "https://hooks.example.com/x", ("open",), "sec", NOW)
    with pytest.raises(NotFound):
        stores.webhooks.put_webhook(replace(hook, account_id=new_id("acct")))
    stores.webhooks.put_webhook(hook)
    config = stores.webhooks.get_account_config(account_id)
    assert config is not None
    assert config.webhooks == (hook,)
    stores.webhooks.delete_webhook(account_id, hook.webhook_id)
    with pytest.raises(NotFound):
        stores.webhooks.delete_webhook(account_id, hook.webhook_id)
    config = stores.webhooks.get_account_config(account_id)
    assert config is not None
    assert config.webhooks == ()


def test_the_sender_restriction_is_stored_and_read_with_the_account(stores: Stores) -> None:
    account_id = new_id("acct")
    stores.accounts.create_account(
        Account(account_id, "acme", None, NOW, restrict_senders_to_verified_domains=True)
    )
    config = stores.accounts.get_account_config(account_id)
    assert config is not None
    assert config.account.restrict_senders_to_verified_domains is True
    assert config.verified_domains == frozenset()
    stores.accounts.update_account_settings(account_id, restrict_senders_to_verified_domains=False)
    # A change of providers (a conditional update of the same item) leaves the setting be.
    relay = smtp(account_id)
    fresh = stores.accounts.get_account_config(account_id)
    assert fresh is not None
    stores.providers.update_account_providers(
        fresh, default_provider_id=relay.provider_id, fallback_provider_ids=[], put=relay
    )
    stores.accounts.update_account_settings(account_id, restrict_senders_to_verified_domains=True)
    config = stores.providers.get_account_config(account_id)
    assert config is not None
    assert config.account == Account(
        account_id,
        "acme",
        relay.provider_id,
        NOW,
        restrict_senders_to_verified_domains=True,
    )
    with pytest.raises(NotFound):
        stores.accounts.update_account_settings(
            new_id("acct"), restrict_senders_to_verified_domains=True
        )
