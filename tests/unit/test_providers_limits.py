"""Provider settings, send limits and failover on in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from mailpass.errors import (
    Conflict,
    NotFound,
    ProviderError,
    SendFailed,
    SendLimitExceeded,
    ValidationFailed,
)
from mailpass.models import Principal, Provider, ProviderKind
from mailpass.provider_schemas import ProviderCreate, ProviderUpdate
from mailpass.schemas import SendRequest
from mailpass.service.limits import Limits, windows_for
from mailpass.service.providers import ProviderService
from mailpass.service.send import SendService

from tests.fakes import NoProbe, RecordingSender
from tests.unit.conftest import World, public_dns


def service(world: World) -> ProviderService:
    return ProviderService(world.store, world.secrets, NoProbe(), world.settings, public_dns)


def smtp(**kw: Any) -> ProviderCreate:
    return ProviderCreate.model_validate(
        {"kind": "smtp", "name": "relay", "host": "smtp.example.com", "port": 587, **kw}
    )


REQ = SendRequest(to="user@example.com", subject="Hi", text="Hello")


def test_windows_are_utc_hours_and_days() -> None:
    p = Provider("p", "a", ProviderKind.SMTP, "x", hourly_limit=5, daily_limit=50)
    hour, day = windows_for(p, datetime(2026, 11, 25, 9, 41, 7, tzinfo=UTC))
    assert (hour.key, hour.limit, hour.resets_at.hour) == ("H#2026112509", 5, 10)
    assert (day.key, day.resets_at.day) == ("D#20261125", 26)


def test_a_failing_write_leaves_no_secret_behind(world: World) -> None:
    account, _ = world.account_with_key(provider=False)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("DynamoDB is down")

    world.store.put_provider = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        service(world).create(account, smtp(username="u", password="pw"))
    assert world.secrets.values == {}


def test_a_new_password_replaces_the_secret_only_after_the_switch(world: World) -> None:
    account, _ = world.account_with_key(provider=False)
    made = service(world).create(account, smtp(username="u", password="pw-1"))
    (old,) = world.secrets.values
    service(world).update(account, made["provider_id"], ProviderUpdate(password="pw-2"))
    (new,) = world.secrets.values
    assert new != old
    assert world.secrets.values[new] == "pw-2"


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        ({"kind": "ses", "name": "s"}, "region"),
        ({"kind": "ses", "name": "s", "region": "eu-west-1", "host": "h.example.com"}, "ses"),
        ({"kind": "sendgrid", "name": "s", "port": 2525, "password": "k"}, "sets"),
        ({"kind": "mailpass", "name": "m"}, "password"),
        ({"kind": "smtp", "name": "x", "host": "h.example.com"}, "port"),
    ],
)
def test_invalid_providers_are_refused_whole(
    world: World, request_: dict[str, Any], why: str
) -> None:
    account, _ = world.account_with_key(provider=False)
    with pytest.raises(ValidationFailed, match=why):
        service(world).create(account, ProviderCreate.model_validate(request_))
    assert world.store.providers.get(account, {}) == {}
    assert world.secrets.values == {}


def test_fallbacks_are_checked_and_deleting_one_takes_it_out(world: World) -> None:
    account, _ = world.account_with_key()
    svc = service(world)
    default = world.store.accounts[account].default_provider_id
    backup = svc.create(account, smtp(name="backup"))["provider_id"]
    with pytest.raises(ValidationFailed):
        svc.set_fallbacks(account, [default or ""])
    with pytest.raises(NotFound):
        svc.set_fallbacks(account, ["prov_missing"])
    assert svc.set_fallbacks(account, [backup])["fallback_provider_ids"] == [backup]
    svc.delete(account, backup)
    assert world.store.accounts[account].fallback_provider_ids == ()


def sender_for(world: World) -> tuple[SendService, Principal, str, str]:
    account, _ = world.account_with_key()
    svc = service(world)
    default = world.store.accounts[account].default_provider_id or ""
    backup = svc.create(account, smtp(name="backup", from_email="b@acme.example.com"))
    svc.set_fallbacks(account, [backup["provider_id"]])
    principal = Principal(account, "k", frozenset({"mail"}), False)
    return (
        SendService(world.store, world.senders, world.settings, Limits(world.store)),
        principal,
        default,
        backup["provider_id"],
    )


def test_transient_failure_goes_to_the_fallback_and_gives_the_place_back(world: World) -> None:
    send, principal, default, backup = sender_for(world)
    service(world).update(principal.account_id, default, ProviderUpdate(hourly_limit=1))
    world.senders.by_provider[default] = RecordingSender(
        error=ProviderError("421 busy", permanent=False)
    )
    result = send.send(principal, REQ)
    assert result.provider_id == backup
    assert world.senders.sender.delivered  # the fallback's sender
    # The default's place was given back: one more send fits its limit of one.
    assert sum(world.store.quota.values()) == 0
    record = world.store.messages[(principal.account_id, result.message_id)]
    assert record.provider_id == backup
    assert "421 busy" in (record.note or "")


def test_permanent_refusal_is_not_tried_elsewhere(world: World) -> None:
    send, principal, default, _ = sender_for(world)
    world.senders.by_provider[default] = RecordingSender(
        error=ProviderError("550 no such user", permanent=True)
    )
    with pytest.raises(SendFailed, match="550"):
        send.send(principal, REQ)
    assert not world.senders.sender.delivered


def test_all_providers_full_is_429_with_the_soonest_reset(world: World) -> None:
    send, principal, default, backup = sender_for(world)
    svc = service(world)
    svc.update(principal.account_id, default, ProviderUpdate(hourly_limit=0))
    svc.update(principal.account_id, backup, ProviderUpdate(daily_limit=0))
    with pytest.raises(SendLimitExceeded) as caught:
        send.send(principal, REQ)
    headers = caught.value.headers
    assert 0 < int(headers["Retry-After"]) <= 3600  # the hourly one resets first
    assert headers["RateLimit-Limit"] == "0"
    assert world.store.messages == {}  # nothing accepted, nothing stored


def test_a_new_default_is_written_with_its_provider_or_not_at_all(world: World) -> None:
    account, _ = world.account_with_key()  # has a default already
    svc = service(world)
    stale = world.store.get_account_config(account)
    assert stale is not None
    # The account moves on after `stale` was read (a change the store's guard sees)...
    other = svc.add(account, smtp(name="other", username="u2", password="pw2"))
    svc.set_fallbacks(account, [other.provider_id])
    world.secrets.values.clear()  # only what the racing create leaves behind counts below

    def racing(account_id: str) -> Any:
        return stale  # ...so the create below works from an outdated read

    world.store.get_account_config = racing  # type: ignore[method-assign]
    before = dict(world.store.providers[account])
    with pytest.raises(Conflict):
        svc.add(account, smtp(name="new", username="u", password="pw", make_default=True))
    assert world.store.providers[account] == before  # no provider without its default
    assert world.secrets.values == {}  # and no orphaned secret


def test_list_and_get_show_this_hours_and_days_sends_against_the_limits(world: World) -> None:
    account, _ = world.account_with_key()
    limits = Limits(world.store)
    svc = ProviderService(
        world.store, world.secrets, NoProbe(), world.settings, public_dns, limits=limits
    )
    default = world.store.accounts[account].default_provider_id or ""
    unlimited = svc.create(account, smtp(name="open"))
    assert unlimited["usage"] == {"hour": None, "day": None}  # no limit: nothing is counted
    svc.update(account, default, ProviderUpdate(hourly_limit=10, daily_limit=100))
    principal = Principal(account, "k", frozenset({"mail"}), False)
    send = SendService(world.store, world.senders, world.settings, limits)
    send.send(principal, REQ)
    send.send(principal, REQ)

    listed = {p["provider_id"]: p for p in svc.list_all(account)["providers"]}
    assert listed[default]["usage"] == {"hour": 2, "day": 2}
    assert svc.get(account, default)["usage"] == {"hour": 2, "day": 2}
    svc.update(account, default, ProviderUpdate(daily_limit=None))
    assert svc.get(account, default)["usage"] == {"hour": 2, "day": None}
