"""/api-keys on the in-memory fakes: the key shown once, never listed, usable at once, revoked
for good; no escalation; the last settings key stays; last_used_at once per hour."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mailpass.ids import hash_api_key
from mailpass.models import Permission, iso
from mailpass.service.auth import AuthService
from mailpass.service.keys import KeyService
from mailpass_api.app import create_app
from mailpass_api.deps import container

from tests.unit.conftest import World


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeContainer:
    auth: AuthService
    keys: KeyService
    later: list[Callable[[], None]] = field(default_factory=list)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(world: World, clock: Clock) -> FakeContainer:
    pending: list[Callable[[], None]] = []
    # last_used_at writes are collected, not run in a thread: the test runs them when it wants.
    auth = AuthService(world.store, later=pending.append, clock=clock)
    return FakeContainer(auth, KeyService(world.store), pending)


@pytest.fixture
def client(fake: FakeContainer) -> Iterator[TestClient]:
    app = create_app(max_request_bytes=64 * 1024, inline_blocking=True)
    app.dependency_overrides[container] = lambda: fake
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def error(resp: Any, status: int) -> str:
    assert resp.status_code == status, resp.text
    return str(resp.json()["error"]["code"])


def create(client: TestClient, key: str, **body: Any) -> Any:
    return client.post("/api/v1/api-keys", headers=bearer(key), json=body)


def test_a_key_is_shown_once_listed_without_it_and_revoked_for_good(
    client: TestClient, world: World
) -> None:
    _, admin = world.account_with_key(permissions=("mail", "settings"))
    made = create(client, admin, name="Billing", permissions=["mail"])
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    new_key = data["key"]
    assert new_key.startswith("mp_live_")
    assert (data["prefix"], data["last4"]) == (new_key[:14], new_key[-4:])
    assert (data["name"], data["permissions"], data["test"]) == ("Billing", ["mail"], False)

    listed = client.get("/api/v1/api-keys", headers=bearer(admin)).json()["data"]["api_keys"]
    assert new_key not in str(listed)
    mine = next(k for k in listed if k["key_id"] == data["key_id"])
    assert set(mine) == {
        "key_id", "name", "prefix", "last4", "permissions", "test", "created_at", "last_used_at"
    }  # fmt: skip

    # The new key works at once, for what it was given only.
    assert client.get("/api/v1/api-keys", headers=bearer(new_key)).status_code == 403
    gone = client.delete(f"/api/v1/api-keys/{data['key_id']}", headers=bearer(admin))
    assert gone.json() == {"success": True, "data": {"key_id": data["key_id"], "revoked": True}}
    assert error(client.get("/api/v1/api-keys", headers=bearer(new_key)), 401) == "UNAUTHORIZED"
    listed = client.get("/api/v1/api-keys", headers=bearer(admin)).json()["data"]["api_keys"]
    assert data["key_id"] not in {k["key_id"] for k in listed}
    again = client.delete(f"/api/v1/api-keys/{data['key_id']}", headers=bearer(admin))
    assert error(again, 404) == "NOT_FOUND"


def test_a_key_cannot_grant_what_its_creator_lacks(client: TestClient, world: World) -> None:
    _, settings_only = world.account_with_key(permissions=("settings",))
    refused = create(client, settings_only, name="x", permissions=["mail"])
    assert error(refused, 403) == "FORBIDDEN"
    assert "mail" in refused.json()["error"]["message"]
    assert create(client, settings_only, name="x", permissions=["settings"]).status_code == 201

    _, test_admin = world.account_with_key(permissions=("mail", "settings"), test=True)
    assert error(create(client, test_admin, name="live", permissions=["mail"]), 403) == "FORBIDDEN"
    made = create(client, test_admin, name="ci", permissions=["mail"], test=True)
    assert made.json()["data"]["key"].startswith("mp_test_")


@pytest.mark.parametrize(
    "body",
    [
        {"permissions": ["mail"]},
        {"name": "x", "permissions": []},
        {"name": "x", "permissions": ["admin"]},
        {"name": "x", "permissions": ["mail"], "test": "yes"},
        {"name": "x", "permissions": ["mail"], "extra": 1},
    ],
)
def test_invalid_bodies_are_400(client: TestClient, world: World, body: dict[str, Any]) -> None:
    _, admin = world.account_with_key(permissions=("mail", "settings"))
    assert error(create(client, admin, **body), 400) == "VALIDATION_ERROR"


def test_the_last_settings_key_cannot_be_revoked(client: TestClient, world: World) -> None:
    _, admin = world.account_with_key(permissions=("mail", "settings"))
    (me,) = client.get("/api/v1/api-keys", headers=bearer(admin)).json()["data"]["api_keys"]
    refused = client.delete(f"/api/v1/api-keys/{me['key_id']}", headers=bearer(admin))
    assert error(refused, 409) == "LAST_SETTINGS_KEY"

    other = create(client, admin, name="second admin", permissions=["settings"]).json()["data"]
    assert client.delete(f"/api/v1/api-keys/{me['key_id']}", headers=bearer(admin)).is_success
    refused = client.delete(f"/api/v1/api-keys/{other['key_id']}", headers=bearer(other["key"]))
    assert error(refused, 409) == "LAST_SETTINGS_KEY"


def test_last_used_at_is_written_at_most_once_an_hour(
    client: TestClient, world: World, fake: FakeContainer, clock: Clock
) -> None:
    _, admin = world.account_with_key(permissions=("mail", "settings"))

    def requests(n: int) -> None:
        for _ in range(n):
            assert client.get("/api/v1/api-keys", headers=bearer(admin)).status_code == 200

    def last_used() -> datetime | None:
        key = world.store.get_api_key(hash_api_key(admin))
        assert key is not None
        return key.last_used_at

    requests(3)  # before the first write lands, one write only is started
    assert len(fake.later) == 1
    fake.later.pop()()
    assert last_used() == clock.now
    first = clock.now

    clock.now += timedelta(minutes=59)
    requests(3)
    assert fake.later == []
    assert last_used() == first

    clock.now += timedelta(minutes=2)
    requests(1)
    fake.later.pop()()
    assert last_used() == clock.now
    listed = client.get("/api/v1/api-keys", headers=bearer(admin)).json()["data"]["api_keys"]
    assert listed[0]["last_used_at"] == iso(clock.now)


def test_a_failing_last_used_write_never_fails_the_request(world: World, clock: Clock) -> None:
    _, key = world.account_with_key(permissions=("mail",))

    def broken(key_hash: str, at: datetime, *, unless_since: datetime) -> bool:
        raise RuntimeError("DynamoDB is down")

    world.store.touch_api_key = broken  # type: ignore[method-assign]
    auth = AuthService(world.store, later=lambda work: work(), clock=clock)

    assert auth.authenticate(f"Bearer {key}", Permission.MAIL).test is False


def test_an_account_with_max_live_keys_is_refused_another(client: TestClient, world: World) -> None:
    from mailpass.models import MAX_LIVE_KEYS

    _, admin = world.account_with_key(permissions=("mail", "settings"))
    made = [
        create(client, admin, name=f"k{i}", permissions=["mail"]).json()["data"]
        for i in range(MAX_LIVE_KEYS - 1)
    ]
    refused = create(client, admin, name="one too many", permissions=["mail"])
    assert error(refused, 409) == "TOO_MANY_API_KEYS"
    assert "revoke" in refused.json()["error"]["message"]
    client.delete(f"/api/v1/api-keys/{made[0]['key_id']}", headers=bearer(admin))
    assert create(client, admin, name="now fits", permissions=["mail"]).status_code == 201
