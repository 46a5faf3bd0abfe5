"""/api-keys over real HTTP on the local stack: make a key, send with it, find it listed without
the secret and with its last use, revoke it and see 401; the last settings key stays, also
under two concurrent revokes; a key cannot grant what it lacks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

from tests.waiting import wait_until

pytestmark = pytest.mark.integration

SEND = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hello World</p>"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def listed(api: httpx.Client, key: str) -> list[dict[str, Any]]:
    resp = api.get("/api/v1/api-keys", headers=bearer(key))
    assert resp.status_code == 200, resp.text
    keys: list[dict[str, Any]] = resp.json()["data"]["api_keys"]
    return keys


def test_create_use_list_and_revoke(api: httpx.Client, account: Seeded, sink: SmtpSink) -> None:
    made = api.post(
        "/api/v1/api-keys",
        headers=bearer(account.api_key),
        json={"name": "billing", "permissions": ["mail"]},
    )
    assert made.status_code == 201, made.text
    new = made.json()["data"]
    sent = api.post("/api/v1/mail/send", headers=bearer(new["key"]), json=SEND)
    assert sent.status_code == 200, sent.text
    assert len(sink.find(sent.json()["data"]["message_id"])) == 1

    keys = listed(api, account.api_key)
    assert new["key"] not in str(keys)
    assert account.api_key not in str(keys)
    mine = next(k for k in keys if k["key_id"] == new["key_id"])
    assert (mine["name"], mine["prefix"], mine["last4"]) == (
        "billing",
        new["key"][:14],
        new["key"][-4:],
    )
    # Written in the background after the send: it lands shortly after, not within the send.
    wait_until(
        lambda: next(k for k in listed(api, account.api_key) if k["key_id"] == new["key_id"])[
            "last_used_at"
        ],
        "the new key's last use to be recorded",
    )

    gone = api.delete(f"/api/v1/api-keys/{new['key_id']}", headers=bearer(account.api_key))
    assert gone.status_code == 200, gone.text
    refused = api.post("/api/v1/mail/send", headers=bearer(new["key"]), json=SEND)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert new["key_id"] not in {k["key_id"] for k in listed(api, account.api_key)}


def test_the_last_settings_key_stays_even_under_concurrent_revokes(
    api: httpx.Client, account: Seeded
) -> None:
    (me,) = listed(api, account.api_key)
    alone = api.delete(f"/api/v1/api-keys/{me['key_id']}", headers=bearer(account.api_key))
    assert alone.status_code == 409
    assert alone.json()["error"]["code"] == "LAST_SETTINGS_KEY"

    other = api.post(
        "/api/v1/api-keys",
        headers=bearer(account.api_key),
        json={"name": "second admin", "permissions": ["settings"]},
    ).json()["data"]

    def revoke(key_id: str) -> int:
        return api.delete(f"/api/v1/api-keys/{key_id}", headers=bearer(account.api_key)).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(revoke, [me["key_id"], other["key_id"]]))
    assert statuses == [200, 409]
    working = [k for k in (account.api_key, other["key"]) if api.get(
        "/api/v1/api-keys", headers=bearer(k)
    ).status_code == 200]  # fmt: skip
    assert len(working) == 1


def test_a_key_cannot_grant_what_it_lacks(api: httpx.Client, account: Seeded) -> None:
    settings_only = api.post(
        "/api/v1/api-keys",
        headers=bearer(account.api_key),
        json={"name": "admin only", "permissions": ["settings"]},
    ).json()["data"]["key"]
    escalate = api.post(
        "/api/v1/api-keys",
        headers=bearer(settings_only),
        json={"name": "sneaky", "permissions": ["mail", "settings"]},
    )
    assert escalate.status_code == 403
    assert escalate.json()["error"]["code"] == "FORBIDDEN"
    assert (
        api.post("/api/v1/mail/send", headers=bearer(settings_only), json=SEND).status_code == 403
    )


def test_keys_and_accounts_from_before_the_grants_keep_working(services: Any, env: Any) -> None:
    """An account item without `live_keys` or `settings_keys`, and a key written as before
    (its APIKEY item and listing, no grant): the key authenticates, from its own item; the
    first key made afterwards adds both fields; revoking the old key stops it at once."""
    from datetime import UTC, datetime

    from mailpass.adapters.dynamodb.marshal import to_item
    from mailpass.errors import Unauthorized
    from mailpass.ids import hash_api_key, new_api_key, new_id
    from mailpass.models import Permission
    from mailpass.service.auth import AuthService

    db, table = env.client("dynamodb"), env.table_name
    account_id, key_id, raw = new_id("acct"), new_id("key"), new_api_key(test=False)
    now = datetime.now(UTC).isoformat()
    common = {
        "key_id": key_id,
        "account_id": account_id,
        "prefix": raw[:14],
        "permissions": ["mail", "settings"],
        "revoked": False,
        "test": False,
        "created_at": now,
    }
    for item in (
        {"pk": f"ACCOUNT#{account_id}", "sk": "CFG#ACCOUNT", "type": "account", "name": "old"},
        {"pk": f"APIKEY#{hash_api_key(raw)}", "sk": "APIKEY", "type": "api_key", **common},
        {
            "pk": f"ACCOUNT#{account_id}",
            "sk": f"KEY#{key_id}",
            "type": "api_key_listing",
            "key_hash": hash_api_key(raw),
            **common,
        },
    ):
        db.put_item(TableName=table, Item=to_item(item))

    accounts = services.accounts
    auth = AuthService(accounts, later=lambda work: work())
    for _ in range(2):  # the second time through the (grant-less) config read, then its item
        principal = auth.authenticate(f"Bearer {raw}", Permission.SETTINGS)
        assert (principal.account_id, principal.key_id) == (account_id, key_id)
    config = accounts.get_account_config(account_id)
    assert config is not None
    assert config.keys == {}

    newer = services.keys.create(principal, name="new", permissions=["mail"], test=False)
    config = accounts.get_account_config(account_id)
    assert config is not None
    assert set(config.keys) == {hash_api_key(newer["key"])}
    assert auth.authenticate(f"Bearer {newer['key']}", Permission.MAIL).key_id == newer["key_id"]
    account = db.get_item(
        TableName=table, Key=to_item({"pk": f"ACCOUNT#{account_id}", "sk": "CFG#ACCOUNT"})
    )["Item"]
    assert account["settings_keys"] == {"N": "1"}  # counted from the listing: the old key

    other_admin = services.keys.create(
        principal, name="admin", permissions=["settings"], test=False
    )
    services.keys.revoke(account_id, key_id)
    with pytest.raises(Unauthorized, match="revoked"):
        auth.authenticate(f"Bearer {raw}", Permission.SETTINGS)
    assert auth.authenticate(f"Bearer {other_admin['key']}", Permission.SETTINGS)
