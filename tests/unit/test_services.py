from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from mailpass.errors import (
    Forbidden,
    NoSmtpProvider,
    NotFound,
    ProviderError,
    SendFailed,
    Unauthorized,
    ValidationFailed,
)
from mailpass.ids import hash_api_key
from mailpass.models import (
    MessageEvent,
    MessageStatus,
    Permission,
    Principal,
    SmtpSecurity,
    utcnow,
)
from mailpass.schemas import SendRequest
from mailpass.service.auth import AuthService
from mailpass.service.limits import Limits
from mailpass.service.send import TEST_KEY_NOTE, SendService
from mailpass.service.status import StatusService

from tests.unit.conftest import World

REQ = SendRequest(
    to="user@example.com",
    subject="Hello",
    html="<p>Hi</p>",
    bcc=["hidden@example.com"],
    metadata={"order_id": "12345"},
    tags=["order"],
)


def auth(world: World, key: str, perm: Permission = Permission.MAIL) -> Principal:
    return AuthService(world.store).authenticate(f"Bearer {key}", perm)


def sender(world: World) -> SendService:
    return SendService(world.store, world.senders, world.settings, Limits(world.store))


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer mp_live_short", "Bearer " + "mp_live_" + "A" * 40],
)
def test_missing_malformed_or_unknown_keys_are_401(world: World, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        AuthService(world.store).authenticate(header, Permission.MAIL)


def test_revoked_key_is_401(world: World) -> None:
    _, key = world.account_with_key()
    world.store.keys[hash_api_key(key)] = replace(world.store.keys[hash_api_key(key)], revoked=True)
    with pytest.raises(Unauthorized, match="revoked"):
        auth(world, key)


def test_missing_permission_is_403(world: World) -> None:
    _, key = world.account_with_key(permissions=("settings",))
    with pytest.raises(Forbidden):
        auth(world, key)


def test_send_records_then_hands_off_and_marks_sent(world: World) -> None:
    account, key = world.account_with_key()
    result = sender(world).send(auth(world, key), REQ)
    assert result.status == "sent"
    assert result.from_email == "noreply@acme.example.com"
    (out,) = world.senders.sender.delivered
    assert out.message_id == result.message_id
    assert out.recipients == ("user@example.com", "hidden@example.com")
    assert b"hidden@example.com" not in out.raw  # Bcc only in the envelope
    record = world.store.messages[(account, result.message_id)]
    assert record.status is MessageStatus.SENT
    assert record.sent_at is not None
    assert record.metadata == {"order_id": "12345"}
    assert record.bcc == ["hidden@example.com"]
    assert record.message_id.endswith("@test.mailpass.im>")


def test_no_default_provider_is_no_smtp_provider(world: World) -> None:
    _, key = world.account_with_key(provider=False)
    with pytest.raises(NoSmtpProvider):
        sender(world).send(auth(world, key), REQ)
    assert world.store.messages == {}


def test_sender_comes_from_provider_unless_given_and_is_required(world: World) -> None:
    account, key = world.account_with_key()
    given = REQ.model_copy(update={"from_email": "me@acme.example.com", "from_name": "Me"})
    result = sender(world).send(auth(world, key), given)
    assert result.from_email == "me@acme.example.com"
    provider = next(iter(world.store.providers[account].values()))
    world.store.put_provider(replace(provider, from_email=None), create=False)
    with pytest.raises(ValidationFailed, match="from_email"):
        sender(world).send(auth(world, key), REQ)


@pytest.mark.parametrize("permanent", [True, False])
def test_provider_failure_is_send_failed_with_reason_stored(world: World, permanent: bool) -> None:
    _account, key = world.account_with_key()
    world.senders.sender.error = ProviderError("550 5.1.1 no such user", permanent=permanent)
    with pytest.raises(SendFailed, match=r"550 5\.1\.1"):
        sender(world).send(auth(world, key), REQ)
    (record,) = world.store.messages.values()
    assert record.status is MessageStatus.FAILED
    assert record.error_message == "550 5.1.1 no such user"


def test_refused_cc_is_noted_on_a_sent_message(world: World) -> None:
    account, key = world.account_with_key()
    world.senders.sender.refused = {"hidden@example.com": "550 unknown"}
    result = sender(world).send(auth(world, key), REQ)
    record = world.store.messages[(account, result.message_id)]
    assert record.status is MessageStatus.SENT
    assert record.note == "refused recipients: hidden@example.com: 550 unknown"


def test_test_keys_run_the_pipeline_but_never_reach_a_provider(world: World) -> None:
    account, key = world.account_with_key(test=True)
    result = sender(world).send(auth(world, key), REQ)
    assert world.senders.sender.delivered == []
    assert world.senders.asked_for == []
    record = world.store.messages[(account, result.message_id)]
    assert record.status is MessageStatus.SENT
    assert record.test
    assert record.note == TEST_KEY_NOTE


def test_test_keys_still_need_a_provider(world: World) -> None:
    _, key = world.account_with_key(test=True, provider=False)
    with pytest.raises(NoSmtpProvider):
        sender(world).send(auth(world, key), REQ)


def test_status_is_scoped_to_the_account_and_orders_events(world: World) -> None:
    account, key = world.account_with_key()
    _, other_key = world.account_with_key()
    result = sender(world).send(auth(world, key), REQ)
    now = utcnow()
    world.store.events[(account, result.message_id)] = [
        MessageEvent("click", now, "10.0.0.1", "UA"),
        MessageEvent("open", now - timedelta(minutes=1), "10.0.0.1", "UA"),
    ]
    status = StatusService(world.store)
    view = status.get(auth(world, key), result.message_id.strip("<>"))
    assert view["message"]["status"] == "sent"
    assert view["message"]["to_email"] == "user@example.com"
    assert [e["event_type"] for e in view["events"]] == ["open", "click"]
    assert set(view["events"][0]) == {"event_type", "ip_address", "user_agent", "created_at"}
    with pytest.raises(NotFound):
        status.get(auth(world, other_key), result.message_id)
    with pytest.raises(NotFound):
        status.get(auth(world, key), "not a message id")


def test_admin_keeps_passwords_in_the_secret_store_only(world: World) -> None:
    account = world.admin.create_account("acme")
    provider = world.admin.add_smtp_provider(
        account.account_id,
        name="relay",
        host="smtp.example.com",
        port=587,
        security=SmtpSecurity.STARTTLS,
        username="u",
        password="hunter2-secret",
    )
    assert provider.secret_id
    assert world.secrets.values[provider.secret_id] == "hunter2-secret"
    assert "hunter2-secret" not in repr(world.store)
    assert provider.public()["password"] == "********"
    with pytest.raises(ValidationFailed):
        world.admin.add_smtp_provider(
            account.account_id,
            name="x",
            host="h",
            port=25,
            security=SmtpSecurity.NONE,
            username="u",
        )
