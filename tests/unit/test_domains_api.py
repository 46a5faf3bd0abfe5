"""/api/v1/domains over HTTP on fakes: shapes, permission, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from mailpass.service.auth import AuthService
from mailpass.service.domains import DomainService
from mailpass.service.stats import StatsService
from mailpass_api.app import container, create_app

from tests.fakes import FakeDns, FakeSesIdentities
from tests.unit.conftest import World
from tests.unit.test_app import assert_error, bearer


@dataclass
class FakeContainer:
    auth: AuthService
    domains: DomainService
    stats: StatsService


@dataclass
class Api:
    client: TestClient
    dns: FakeDns
    ses: FakeSesIdentities


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    app = create_app(max_request_bytes=64 * 1024)
    dns, ses = FakeDns(), FakeSesIdentities()
    fake = FakeContainer(
        AuthService(world.store),
        DomainService(world.store, dns, ses, world.settings),
        StatsService(world.store),
    )
    app.dependency_overrides[container] = lambda: fake
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Api(c, dns, ses)


def test_the_domain_life_cycle(api: Api, world: World) -> None:
    _, key = world.account_with_key(permissions=("settings",), provider=False)
    h = bearer(key)
    created = api.client.post("/api/v1/domains", json={"name": "Mail.Acme.com"}, headers=h)
    assert created.status_code == 201, created.text
    domain = created.json()["data"]
    assert (domain["name"], domain["status"]) == ("mail.acme.com", "pending")
    did = domain["domain_id"]
    listed = api.client.get("/api/v1/domains", headers=h).json()["data"]["domains"]
    assert [d["domain_id"] for d in listed] == [did]
    assert api.client.get(f"/api/v1/domains/{did}", headers=h).json()["data"] == domain
    for r in domain["records"]:
        api.dns.set(r["name"], r["type"], r["value"])
    api.ses.succeed("mail.acme.com")
    verified = api.client.post(f"/api/v1/domains/{did}/verify", headers=h)
    assert verified.status_code == 200, verified.text
    assert verified.json()["data"]["status"] == "verified"
    again = api.client.post("/api/v1/domains", json={"name": "mail.acme.com"}, headers=h)
    assert_error(again, 409, "CONFLICT")
    deleted = api.client.delete(f"/api/v1/domains/{did}", headers=h)
    assert deleted.json() == {"success": True, "data": {"deleted": did}}
    assert_error(api.client.get(f"/api/v1/domains/{did}", headers=h), 404, "NOT_FOUND")


def test_errors(api: Api, world: World) -> None:
    _, settings_key = world.account_with_key(permissions=("settings",), provider=False)
    _, mail_key = world.account_with_key(permissions=("mail",), provider=False)
    h = bearer(settings_key)
    forbidden = api.client.get("/api/v1/domains", headers=bearer(mail_key))
    assert_error(forbidden, 403, "FORBIDDEN")
    for name in ("localhost", "10.1.2.3", "printer.local"):
        resp = api.client.post("/api/v1/domains", json={"name": name}, headers=h)
        assert_error(resp, 400, "VALIDATION_ERROR")
    extra = api.client.post("/api/v1/domains", json={"name": "a.com", "x": 1}, headers=h)
    assert_error(extra, 400, "VALIDATION_ERROR")
    assert_error(api.client.get("/api/v1/domains/nope", headers=h), 400, "VALIDATION_ERROR")
    unknown = api.client.post("/api/v1/domains/dom_" + "0" * 24 + "/verify", headers=h)
    assert_error(unknown, 404, "NOT_FOUND")


def test_a_domain_shows_its_bounce_and_complaint_rates(api: Api, world: World) -> None:
    from mailpass import usage
    from mailpass.models import utcnow

    account, key = world.account_with_key(permissions=("settings",), provider=False)
    h = bearer(key)
    created = api.client.post("/api/v1/domains", json={"name": "acme.com"}, headers=h)
    assert created.json()["data"]["stats"]["sent"] == 0
    now = utcnow()
    for i, count in enumerate(("sent", "sent", "sent", "sent", "bounced", "complained")):
        world.store.add(usage.one(account, f"m{i}", now, count, "a@news.acme.com"), now=0)
    world.store.add(usage.one(account, "x", now, "bounced", "a@other.com"), now=0)
    (listed,) = api.client.get("/api/v1/domains", headers=h).json()["data"]["domains"]
    assert listed["stats"] == {
        "days": 30,
        "sent": 4,
        "delivered": 0,
        "bounced": 1,
        "complained": 1,
        "bounce_rate": 0.25,
        "complaint_rate": 0.25,
    }
    one = api.client.get(f"/api/v1/domains/{listed['domain_id']}", headers=h).json()["data"]
    assert one["stats"] == listed["stats"]
