"""One table of delivery cases, run through both paths that deliver: /send (SendService) and
/send-batch + the dispatcher (BatchService, DispatchService.drain). Same input, same final
status, note, error, provider and events: the rules live in one place (service/delivery.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from mailpass.errors import ProviderError, SenderNotVerified, SendFailed, SendLimitExceeded
from mailpass.models import Principal, utcnow
from mailpass.provider_schemas import ProviderCreate, ProviderUpdate
from mailpass.schemas import BatchRequest, SendRequest
from mailpass.service.admin import AdminService
from mailpass.service.batch import BatchService
from mailpass.service.delivery import TEST_KEY_NOTE
from mailpass.service.dispatch import DispatchService
from mailpass.service.limits import Limits
from mailpass.service.providers import ProviderService
from mailpass.service.send import SendService
from mailpass.settings import Settings

from tests.fakes import FakeSenders, InMemorySecrets, InMemoryStore, NoProbe, RecordingSender
from tests.fakes.domains import set_verified
from tests.fakes.queue import InMemoryQueue
from tests.unit.conftest import World, public_dns


@dataclass
class Env:
    """One account with a default provider named "smtp" and a fallback named "backup"."""

    world: World
    store: InMemoryStore
    account: str
    default: str
    backup: str
    test: bool
    now: list[float]

    @property
    def principal(self) -> Principal:
        return Principal(self.account, "key_x", frozenset({"mail"}), self.test)

    @property
    def providers(self) -> ProviderService:
        return ProviderService(
            self.store, self.world.secrets, NoProbe(), self.world.settings, public_dns
        )

    def fails(self, provider_id: str, reason: str, *, permanent: bool) -> None:
        self.world.senders.by_provider[provider_id] = RecordingSender(
            error=ProviderError(reason, permanent=permanent)
        )

    def suppress(self, email: str, why: str) -> None:
        self.store.add_suppression(self.account, email, reason=why, at=utcnow(), message_id=None)

    def full(self, provider_id: str) -> None:
        self.providers.update(self.account, provider_id, ProviderUpdate(hourly_limit=0))

    def alone_and_full(self) -> None:
        self.providers.set_fallbacks(self.account, [])
        self.full(self.default)


def make_env(settings: Settings, *, test: bool) -> Env:
    store = InMemoryStore()
    secrets = InMemorySecrets()
    providers = ProviderService(store, secrets, NoProbe(), settings, public_dns)
    world = World(store, secrets, FakeSenders(), AdminService(store, providers), settings)
    account, _ = world.account_with_key(test=test)
    default = store.accounts[account].default_provider_id or ""
    backup = providers.create(
        account,
        ProviderCreate.model_validate(
            {"kind": "smtp", "name": "backup", "host": "backup.example.com", "port": 587}
        ),
    )["provider_id"]
    providers.set_fallbacks(account, [backup])
    return Env(world, store, account, default, backup, test, [1_000_000.0])


@dataclass(frozen=True)
class Case:
    name: str
    status: str
    provider: str  # "default" | "backup": whose id the message ends with
    note: str | None = None  # {default}: the default provider's id
    error: str | None = None
    setup: Callable[[Env], None] = lambda env: None
    request: tuple[tuple[str, Any], ...] = ()
    test_key: bool = False
    # Every provider over its limit: /send answers 429 and stores nothing (a synchronous call
    # cannot wait); a queued message waits, still queued, for the window to reopen.
    over_limit: bool = False


CASES = [
    Case("success", "sent", "default"),
    Case(
        "suppressed to",
        "failed",
        "default",
        error="user@example.com is on the suppression list (hard bounce)",
        setup=lambda env: env.suppress("user@example.com", "hard bounce"),
    ),
    Case(
        "suppressed cc",
        "sent",
        "default",
        note="not sent to suppressed: cc@example.com",
        setup=lambda env: env.suppress("cc@example.com", "complaint"),
        request=(("cc", ["cc@example.com"]),),
    ),
    Case(
        "transient then fallback",
        "sent",
        "backup",
        note="sent through a fallback after smtp ({default}): 421 busy",
        setup=lambda env: env.fails(env.default, "421 busy", permanent=False),
    ),
    Case(
        "permanent",
        "failed",
        "default",
        error="550 5.1.1 no such user",
        setup=lambda env: env.fails(env.default, "550 5.1.1 no such user", permanent=True),
    ),
    Case(
        "over limit, with a fallback",
        "sent",
        "backup",
        setup=lambda env: env.full(env.default),
    ),
    Case(
        "over limit, no fallback",
        "queued",
        "default",
        setup=lambda env: env.alone_and_full(),
        over_limit=True,
    ),
    Case("test key", "sent", "default", note=TEST_KEY_NOTE, test_key=True),
]


def request_of(case: Case) -> dict[str, Any]:
    return {"to": "user@example.com", "subject": "Hello", "text": "Hi", **dict(case.request)}


def via_send(env: Env, case: Case) -> str | None:
    service = SendService(env.store, env.world.senders, env.world.settings, Limits(env.store))
    try:
        return service.send(env.principal, SendRequest.model_validate(request_of(case))).message_id
    except SendFailed:
        (key,) = env.store.messages
        return key[1]
    except SendLimitExceeded:
        return None


def via_batch(env: Env, case: Case) -> str | None:
    clock: Callable[[], float] = lambda: env.now[0]  # noqa: E731
    queue = InMemoryQueue(clock, dead_letters=InMemoryQueue(clock))
    batch = BatchService(env.store, queue, env.world.settings)
    out = batch.enqueue(env.principal, BatchRequest(messages=[request_of(case)]))
    (item,) = out["messages"]
    dispatcher = DispatchService(
        env.store,
        queue,
        env.world.senders,
        env.world.settings,
        dead_letters=queue.dead_letters,
        clock=clock,
        receive_wait_seconds=0,
    )
    dispatcher.drain(lambda: 60_000)
    if case.over_limit:
        assert len(queue.entries) == 1  # kept for the window, not dropped
    mid: str = item["message_id"]
    return mid


def outcome(env: Env, case: Case, mid: str | None) -> dict[str, Any]:
    if mid is None:
        return {"stored": False, "delivered": 0}
    found = env.store.get_message(env.account, mid)
    assert found is not None
    record, events = found
    roles = {env.default: "default", env.backup: "backup"}
    delivered = [m for s in env.world.senders.by_provider.values() for m in s.delivered]
    return {
        "status": record.status.value,
        "note": record.note,
        "error": record.error_message,
        "provider": roles.get(record.provider_id or ""),
        "events": [e.event_type for e in events],
        "delivered": len(delivered + env.world.senders.sender.delivered),
        "recipients": [r for m in env.world.senders.sender.delivered for r in m.recipients],
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("path", [via_send, via_batch], ids=["send", "batch"])
def test_delivery_table(
    settings: Settings, case: Case, path: Callable[[Env, Case], str | None]
) -> None:
    env = make_env(settings, test=case.test_key)
    case.setup(env)
    got = outcome(env, case, path(env, case))
    if case.over_limit and path is via_send:
        assert got == {"stored": False, "delivered": 0}  # the 429: nothing accepted
        return
    assert got["status"] == case.status
    assert got["note"] == (case.note.format(default=env.default) if case.note else None)
    assert got["error"] == case.error
    assert got["provider"] == case.provider
    assert got["events"] == []
    sent = case.status == "sent" and not case.test_key
    assert got["delivered"] == (1 if sent else 0)
    assert "cc@example.com" not in got["recipients"]  # a suppressed cc is never sent to


def test_in_a_pack_the_suppressed_note_is_each_messages_own(settings: Settings) -> None:
    """Suppressions are looked up once per pack; each message notes only its own."""
    env = make_env(settings, test=False)
    env.suppress("cc@example.com", "complaint")
    clock: Callable[[], float] = lambda: env.now[0]  # noqa: E731
    queue = InMemoryQueue(clock)
    with_cc = {**request_of(CASES[0]), "cc": ["cc@example.com"]}
    out = BatchService(env.store, queue, settings).enqueue(
        env.principal, BatchRequest(messages=[with_cc, request_of(CASES[0])])
    )
    dispatcher = DispatchService(
        env.store, queue, env.world.senders, settings, clock=clock, receive_wait_seconds=0
    )
    assert dispatcher.drain(lambda: 60_000).sent == 2
    notes = []
    for item in out["messages"]:
        found = env.store.get_message(env.account, item["message_id"])
        assert found is not None
        notes.append(found[0].note)
    assert notes == ["not sent to suppressed: cc@example.com", None]


@dataclass(frozen=True)
class SenderCase:
    """The "check sender" step: who may send from `from_email`, through the same two paths."""

    name: str
    kind: str  # the default provider's: "ses" (a new one) or "smtp" (the env's)
    from_email: str
    sent_by: str | None  # "default" | "backup"; None: refused, SENDER_NOT_VERIFIED
    verified: tuple[str, ...] = ()
    restrict: bool = False
    fallback: bool = False  # keep the env's SMTP fallback
    identity: str | None = None  # named to SES


SENDER_CASES = [
    SenderCase("ses, unverified", "ses", "ceo@acme.example.net", None, ("mine.example.org",)),
    SenderCase(
        "ses, verified parent domain",
        "ses",
        "x@eu.mail.acme.example.net",
        "default",
        ("mail.acme.example.net",),
        identity="mail.acme.example.net",
    ),
    SenderCase(
        "ses, parent of a verified", "ses", "x@acme.example.net", None, ("m.acme.example.net",)
    ),
    SenderCase(
        "ses unverified, smtp fallback applies its own rule",
        "ses",
        "ceo@acme.example.net",
        "backup",
        fallback=True,
    ),
    SenderCase("smtp, restriction off", "smtp", "ceo@acme.example.net", "default"),
    SenderCase("smtp, restriction on", "smtp", "ceo@acme.example.net", None, restrict=True),
    SenderCase(
        "smtp, restriction on, verified",
        "smtp",
        "ceo@acme.example.net",
        "default",
        ("acme.example.net",),
        restrict=True,
    ),
]


def sender_env(settings: Settings, case: SenderCase) -> Env:
    env = make_env(settings, test=False)
    set_verified(env.store.memory, env.account, set(case.verified))
    env.store.update_account_settings(
        env.account, restrict_senders_to_verified_domains=case.restrict
    )
    if not case.fallback:
        env.providers.set_fallbacks(env.account, [])
    if case.kind == "ses":
        create = {"kind": "ses", "name": "ses", "region": "us-east-1", "make_default": True}
        ses = env.providers.create(env.account, ProviderCreate.model_validate(create))
        env.default = ses["provider_id"]
    return env


@pytest.mark.parametrize("case", SENDER_CASES, ids=[c.name for c in SENDER_CASES])
@pytest.mark.parametrize("path", ["send", "batch"])
def test_sender_domains(settings: Settings, case: SenderCase, path: str) -> None:
    env = sender_env(settings, case)
    request = {**request_of(CASES[0]), "from_email": case.from_email}
    mid: str | None = None
    if path == "send":
        service = SendService(env.store, env.world.senders, settings, Limits(env.store))
        if case.sent_by is None:
            with pytest.raises(SenderNotVerified, match=r"is not one of this account's verified"):
                service.send(env.principal, SendRequest.model_validate(request))
        else:
            mid = service.send(env.principal, SendRequest.model_validate(request)).message_id
    else:
        clock: Callable[[], float] = lambda: env.now[0]  # noqa: E731
        queue = InMemoryQueue(clock)
        out = BatchService(env.store, queue, settings).enqueue(
            env.principal, BatchRequest(messages=[request])
        )
        (item,) = out["messages"]
        if case.sent_by is None:  # decided at enqueue: never stored, never queued
            assert item["status"] == "failed"
            assert item["error"]["code"] == "SENDER_NOT_VERIFIED"
            assert "acme.example.net" in item["error"]["message"]
            assert not queue.entries
        else:
            dispatcher = DispatchService(
                env.store, queue, env.world.senders, settings, clock=clock, receive_wait_seconds=0
            )
            dispatcher.drain(lambda: 60_000)
            mid = item["message_id"]
    delivered = env.world.senders.sender.delivered
    if case.sent_by is None:
        assert mid is None
        assert env.store.messages == {}  # refused as a request: nothing recorded
        assert delivered == []
        return
    assert mid is not None
    found = env.store.get_message(env.account, mid)
    assert found is not None
    record = found[0]
    assert record.status.value == "sent"
    roles = {env.default: "default", env.backup: "backup"}
    assert roles.get(record.provider_id or "") == case.sent_by
    (message,) = delivered
    assert message.identity == case.identity
    if case.sent_by == "backup":
        assert record.note == f"passed over for the sender's unverified domain: ses ({env.default})"


def test_the_dispatcher_refuses_a_sender_whose_domain_is_gone_since_enqueue(
    settings: Settings,
) -> None:
    case = SENDER_CASES[1]  # SES, verified parent domain
    env = sender_env(settings, case)
    clock: Callable[[], float] = lambda: env.now[0]  # noqa: E731
    queue = InMemoryQueue(clock)
    request = {**request_of(CASES[0]), "from_email": case.from_email}
    out = BatchService(env.store, queue, settings).enqueue(
        env.principal, BatchRequest(messages=[request])
    )
    (item,) = out["messages"]
    assert item["status"] == "queued"
    set_verified(env.store.memory, env.account, set())  # the domain was deleted meanwhile
    dispatcher = DispatchService(
        env.store, queue, env.world.senders, settings, clock=clock, receive_wait_seconds=0
    )
    assert dispatcher.drain(lambda: 60_000).failed == 1
    found = env.store.get_message(env.account, item["message_id"])
    assert found is not None
    assert found[0].status.value == "failed"
    assert "eu.mail.acme.example.net is not one of this account's verified domains" in (
        found[0].error_message or ""
    )
    assert env.world.senders.sender.delivered == []
