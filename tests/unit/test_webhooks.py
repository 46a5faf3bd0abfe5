"""Webhooks people can operate, on the in-memory fakes: Standard Webhooks signatures (checked with
the `standardwebhooks` package itself), rotation, the delivery log, the retry schedule on a queue
with SQS's rules, auto-disable, re-enabling, and test events."""

from __future__ import annotations

import base64
import json
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import standardwebhooks.webhooks
from mailpass.egress import Address
from mailpass.errors import Conflict, EgressRefused, NotFound, ValidationFailed
from mailpass.models import MessageEvent, Webhook, WebhookAttempt, iso
from mailpass.service import webhooks as wh
from mailpass.service.webhook_signing import signing_key, verify_legacy
from mailpass.service.webhooks import DeliveryFailed, WebhookService
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from tests.fakes.queue import InMemoryQueue
from tests.unit.conftest import World

URL = "https://public.example/hook"
DNS: dict[str, list[Address]] = {
    "public.example": [(socket.AF_INET, "93.184.216.34")],
    "v6.example": [(socket.AF_INET6, "2606:2800:220:1:248:1893:25c8:1946")],
    "intranet.example": [(socket.AF_INET, "10.1.2.3")],
    "metadata.example": [(socket.AF_INET, "169.254.169.254")],
}


def table(host: str, port: int) -> list[Address]:
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return DNS[host]


@dataclass
class Receiver:
    """Stands in for HttpPost: answers each post with the next of `answers` (200 when empty)."""

    answers: list[tuple[int, str]] = field(default_factory=list)
    got: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        self.got.append((url, body, headers))
        return self.answers.pop(0) if self.answers else (200, "OK")


@dataclass
class Clock:
    """Wall time for the service and the queue's seconds, moved by the test."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.at

    def seconds(self) -> float:
        return self.at.timestamp()

    def move(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Setup:
    service: WebhookService
    queue: InMemoryQueue
    dead: InMemoryQueue
    clock: Clock
    account: str
    world: World

    def hook(self, webhook_id: str) -> Webhook:
        config = self.world.store.get_account_config(self.account)
        assert config is not None
        (found,) = [w for w in config.webhooks if w.webhook_id == webhook_id]
        return found

    def drain(self, receiver: Receiver) -> list[str]:
        """One pass of the webhook function over what the queue shows now, as the handler
        does it: a failure waits `retry_in` (or is left for the dead-letter queue)."""
        outcomes: list[str] = []
        for msg in self.queue.receive(10, 0, 60):
            try:
                outcomes.append(self.service.deliver(msg.body, receiver, msg.receive_count))
            except DeliveryFailed as exc:
                if exc.retry_in is not None:
                    self.queue.delay({msg.receipt: exc.retry_in})
                outcomes.append(f"failed: {exc.status}")
            else:
                self.queue.delete([msg.receipt])
        return outcomes


@pytest.fixture
def setup(world: World) -> Setup:
    clock = Clock()
    dead = InMemoryQueue(clock.seconds)
    queue = InMemoryQueue(clock.seconds, dead_letters=dead, max_receives=wh.MAX_ATTEMPTS)
    service = WebhookService(
        world.store,
        world.secrets,
        # As deployed, whatever the environment says (the local stack's allows plain http).
        world.settings.model_copy(update={"allow_local_egress": False}),
        lambda: queue,
        clock=clock.seconds,
        now=clock.now,
        resolve=table,
    )
    account, _ = world.account_with_key(provider=False)
    return Setup(service, queue, dead, clock, account, world)


def opened(setup: Setup) -> None:
    event = MessageEvent("open", setup.clock.now(), "203.0.113.9", "Firefox")
    setup.service.notify(setup.account, "<m1@test.mailpass.im>", event)


def create(setup: Setup, events: tuple[str, ...] = ("open",)) -> dict[str, str]:
    made = setup.service.create(setup.account, URL, list(events))
    setup.service._cache.clear()  # another process (the webhook function) reads it fresh
    return made


def test_the_secret_follows_the_spec_and_deliveries_verify_with_standardwebhooks(
    setup: Setup,
) -> None:
    made = create(setup)
    secret = made["secret"]
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert 24 <= len(key) <= 64
    opened(setup)
    receiver = Receiver()
    assert setup.drain(receiver) == ["delivered: 200"]
    ((_, body, headers),) = receiver.got
    event = json.loads(body)
    assert Verifier(secret).verify(body, headers) == event
    assert headers["webhook-id"] == event["id"] == headers["MailPass-Event-Id"]
    assert headers["webhook-timestamp"] == str(int(setup.clock.seconds()))
    assert headers["webhook-signature"].startswith("v1,")
    # Today's header is still there and still verifies.
    assert verify_legacy(secret, headers["MailPass-Signature"], body)
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()).verify(
            body, headers
        )


def test_a_webhook_made_before_keeps_its_secret_and_signs_with_the_same_bytes(
    setup: Setup,
) -> None:
    made = create(setup)
    hook = setup.hook(made["webhook_id"])
    old = "whsec_" + secrets.token_urlsafe(32)  # what create() made before Standard Webhooks
    while "-" not in old and "_" not in old:
        old = "whsec_" + secrets.token_urlsafe(32)
    setup.world.secrets.values[hook.secret_id] = old
    opened(setup)
    receiver = Receiver()
    setup.drain(receiver)
    ((_, body, headers),) = receiver.got
    assert verify_legacy(old, headers["MailPass-Signature"], body)
    # The README's conversion: the same bytes in the standard alphabet.
    converted = "whsec_" + base64.b64encode(signing_key(old)).decode()
    assert signing_key(converted) == signing_key(old)
    Verifier(converted).verify(body, headers)


def test_rotation_signs_with_both_secrets_for_a_day_then_only_the_new(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The verifier refuses timestamps 5 minutes off its clock: it reads the test's clock too.
    clock = setup.clock

    class Now(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Now:
            return cls.fromtimestamp(clock.seconds(), tz)

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", Now)
    made = create(setup)
    old = made["secret"]
    rotated = setup.service.rotate_secret(setup.account, made["webhook_id"])
    new = rotated["secret"]
    assert new != old
    assert new.startswith("whsec_")
    assert rotated["previous_secret_expires_at"] == iso(setup.clock.now() + timedelta(hours=24))
    assert setup.service.get(setup.account, made["webhook_id"])["previous_secret_expires_at"]
    receiver = Receiver()
    opened(setup)
    setup.drain(receiver)
    ((_, body, headers),) = receiver.got
    assert len(headers["webhook-signature"].split(" ")) == 2
    Verifier(new).verify(body, headers)
    Verifier(old).verify(body, headers)
    assert verify_legacy(new, headers["MailPass-Signature"], body)

    setup.clock.move(24 * 3600 + 1)
    opened(setup)
    setup.drain(receiver)
    (_, body, headers) = receiver.got[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Verifier(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(old).verify(body, headers)

    # A second rotation retires the first secret from Secrets Manager.
    first_id = setup.hook(made["webhook_id"]).previous_secret_id
    assert first_id in setup.world.secrets.values
    setup.service.rotate_secret(setup.account, made["webhook_id"])
    assert first_id not in setup.world.secrets.values
    with pytest.raises(NotFound):
        setup.service.rotate_secret(setup.account, "wh_nope")


def test_a_rotation_racing_another_is_a_conflict_and_leaves_no_secret_behind(
    setup: Setup,
) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    store = setup.world.store
    real = store.rotate_secret

    def racing(*args: Any, **kwargs: Any) -> Webhook:
        store.rotate_secret = real  # type: ignore[method-assign]
        setup.service.rotate_secret(setup.account, hook_id)  # the other request wins
        return real(*args, **kwargs)

    store.rotate_secret = racing  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        setup.service.rotate_secret(setup.account, hook_id)
    hook = setup.hook(hook_id)
    mine = {k for k in setup.world.secrets.values if f"/{hook_id}" in k}
    assert mine == {hook.secret_id, hook.previous_secret_id}


def test_the_delivery_log_lists_each_attempt_newest_first_with_the_next_retry(
    setup: Setup,
) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    opened(setup)
    receiver = Receiver([(500, "Internal Server Error"), (0, "refused: ConnectionRefusedError")])
    assert setup.drain(receiver) == ["failed: 500"]
    setup.clock.move(4)
    assert setup.drain(receiver) == []  # the first retry waits 5 s
    setup.clock.move(2)
    assert setup.drain(receiver) == ["failed: 0"]
    setup.clock.move(wh.RETRY_SCHEDULE[1] * (1 + wh.JITTER))
    assert setup.drain(receiver) == ["delivered: 200"]

    log = setup.service.deliveries(setup.account, hook_id)
    third, second, first = log["deliveries"]
    assert log["next_cursor"] is None
    event_id = json.loads(receiver.got[0][1])["id"]
    assert {d["event_id"] for d in log["deliveries"]} == {event_id}
    assert [d["attempt"] for d in log["deliveries"]] == [3, 2, 1]
    assert (first["status_code"], first["error"], first["delivered"]) == (500, None, False)
    assert first["detail"] == "Internal Server Error"
    assert (second["status_code"], second["error"]) == (None, "refused")
    assert (third["status_code"], third["error"], third["delivered"]) == (200, None, True)
    assert third["next_retry_at"] is None
    assert first["event_type"] == "open"
    for entry, wait in ((first, wh.RETRY_SCHEDULE[0]), (second, wh.RETRY_SCHEDULE[1])):
        made_at = datetime.fromisoformat(entry["created_at"])
        due = datetime.fromisoformat(entry["next_retry_at"])
        assert wait <= (due - made_at).total_seconds() <= wait * (1 + wh.JITTER) + 1
        assert entry["duration_ms"] >= 0
    # Kept 30 days (the table's TTL attribute).
    for attempt, expires in setup.world.store.memory.webhook_log[(setup.account, hook_id)].values():
        assert expires == int((attempt.at + timedelta(days=30)).timestamp())


def test_the_delivery_log_pages_with_a_cursor_that_cannot_be_made_up(setup: Setup) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    receiver = Receiver()
    for _ in range(5):
        opened(setup)
        setup.clock.move(1)
    setup.drain(receiver)
    first = setup.service.deliveries(setup.account, hook_id, limit=2)
    second = setup.service.deliveries(setup.account, hook_id, 2, first["next_cursor"])
    third = setup.service.deliveries(setup.account, hook_id, 2, second["next_cursor"])
    assert third["next_cursor"] is None
    pages = [first, second, third]
    ids = [d["event_id"] for page in pages for d in page["deliveries"]]
    assert len(ids) == len(set(ids)) == 5
    assert [len(p["deliveries"]) for p in pages] == [2, 2, 1]
    for bad in ("nope", base64.urlsafe_b64encode(b"WHLOG#acct_x#wh_y").decode(), "%%%"):
        with pytest.raises(ValidationFailed):
            setup.service.deliveries(setup.account, hook_id, 2, bad)
    with pytest.raises(NotFound):
        setup.service.deliveries(setup.account, "wh_unknown")


def test_retries_follow_the_schedule_then_the_dead_letter_queue(setup: Setup) -> None:
    create(setup)
    opened(setup)
    receiver = Receiver([(503, "Service Unavailable")] * wh.MAX_ATTEMPTS)
    for wait in (0, *wh.RETRY_SCHEDULE):
        setup.clock.move(wait * (1 + wh.JITTER) + 1)
        assert setup.drain(receiver) == ["failed: 503"]
    assert len(receiver.got) == wh.MAX_ATTEMPTS == 8
    setup.clock.move(3600)
    assert setup.drain(receiver) == []
    assert len(setup.dead.entries) == 1
    assert wh.retry_in(wh.MAX_ATTEMPTS) is None
    assert [wh.retry_in(n, lambda: 0.0) for n in range(1, 8)] == list(wh.RETRY_SCHEDULE)


def test_the_schedule_matches_the_queues_redrive_policy() -> None:
    from mailpass_dev.template import load

    queue = load()["Resources"]["WebhookQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == wh.MAX_ATTEMPTS
    # Every wait is one visibility change, which SQS caps at 12 hours.
    assert max(wh.RETRY_SCHEDULE) * (1 + wh.JITTER) <= 43200
    assert sum(wh.RETRY_SCHEDULE) * (1 + wh.JITTER) < queue["MessageRetentionPeriod"]


def test_410_gone_disables_at_once_and_nothing_more_is_sent(setup: Setup) -> None:
    made = create(setup)
    opened(setup)
    receiver = Receiver([(410, "Gone")])
    assert setup.drain(receiver) == ["dropped: the endpoint answered 410 Gone"]
    hook = setup.service.get(setup.account, made["webhook_id"])
    assert (hook["enabled"], hook["disabled_reason"]) == (False, "the endpoint answered 410 Gone")
    assert hook["disabled_at"] == iso(setup.clock.now())
    (entry,) = setup.service.deliveries(setup.account, made["webhook_id"])["deliveries"]
    assert (entry["status_code"], entry["next_retry_at"]) == (410, None)
    assert not setup.queue.entries  # not retried
    opened(setup)  # a disabled webhook gets nothing queued
    assert not setup.queue.entries
    with pytest.raises(Conflict):
        setup.service.send_test(setup.account, made["webhook_id"])


def test_fifty_failures_in_a_row_disable_and_a_success_resets_the_count(setup: Setup) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    receiver = Receiver([(500, "Internal Server Error")] * 49 + [(200, "OK")])
    for _ in range(50):
        opened(setup)
    setup.drain(receiver)  # the queue shows ten at a time
    while setup.queue.entries and len(receiver.got) < 50:
        setup.clock.move(6)
        setup.drain(receiver)
    assert len(receiver.got) == 50
    hook = setup.service.get(setup.account, hook_id)
    assert (hook["enabled"], hook["consecutive_failures"], hook["failing_since"]) == (True, 0, None)

    receiver.answers = [(0, "timeout: TimeoutError: timed out")] * 50
    sent = len(receiver.got)
    while setup.service.get(setup.account, hook_id)["enabled"]:
        setup.clock.move(40000)
        setup.service._cache.clear()
        assert setup.drain(receiver)
    assert len(receiver.got) - sent == wh.DISABLE_AFTER_FAILURES
    hook = setup.service.get(setup.account, hook_id)
    assert (
        hook["disabled_reason"]
        == "50 failed attempts in a row (the last: timeout: TimeoutError: timed out)"
    )
    # What is still queued for it is dropped, not posted.
    setup.clock.move(40000)
    assert set(setup.drain(receiver)) <= {
        f"dropped: the webhook is disabled ({hook['disabled_reason']})"
    }
    assert len(receiver.got) - sent == wh.DISABLE_AFTER_FAILURES


def test_three_days_of_failing_disable_and_patch_turns_it_back_on(setup: Setup) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    receiver = Receiver([(502, "Bad Gateway")] * 10)
    opened(setup)
    setup.drain(receiver)
    started = setup.clock.now()
    setup.clock.move(3 * 86400 - 10)
    opened(setup)
    setup.drain(receiver)  # the new event fails too; the first one still waits its retry
    assert setup.service.get(setup.account, hook_id)["enabled"]
    setup.clock.move(10)
    opened(setup)
    setup.drain(receiver)
    hook = setup.service.get(setup.account, hook_id)
    assert hook["enabled"] is False
    assert hook["consecutive_failures"] == 4  # the first event's retry, then the second's
    assert hook["disabled_reason"] == f"failing since {iso(started)}Z (the last: 502 Bad Gateway)"

    again = setup.service.update(setup.account, hook_id, enabled=True)
    assert (again["enabled"], again["disabled_reason"], again["disabled_at"]) == (True, None, None)
    assert (again["consecutive_failures"], again["failing_since"]) == (0, None)
    assert again["updated_at"] == iso(setup.clock.now())
    setup.service.send_test(setup.account, hook_id)
    setup.clock.move(40000)
    outcomes = setup.drain(Receiver())
    assert "delivered: 200" in outcomes


def test_patch_changes_url_and_events_through_the_egress_guard(setup: Setup) -> None:
    made = create(setup)
    hook_id = made["webhook_id"]
    changed = setup.service.update(
        setup.account, hook_id, url="https://v6.example/new", event_types=["bounce", "bounce"]
    )
    assert (changed["url"], changed["event_types"]) == ("https://v6.example/new", ["bounce"])
    assert changed["enabled"] is True
    for url in (
        "https://intranet.example/x",
        "http://public.example/x",
        "https://169.254.169.254/",
    ):
        with pytest.raises(ValidationFailed):
            setup.service.update(setup.account, hook_id, url=url)
    with pytest.raises(EgressRefused):
        setup.service.update(setup.account, hook_id, url="https://metadata.example/")
    with pytest.raises(ValidationFailed):
        setup.service.update(setup.account, hook_id, event_types=["sent"])
    with pytest.raises(NotFound):
        setup.service.update(setup.account, "wh_nope", enabled=True)
    off = setup.service.update(setup.account, hook_id, enabled=False)
    assert (off["enabled"], off["disabled_reason"]) == (False, "disabled by the account")
    assert setup.service.get(setup.account, hook_id)["url"] == "https://v6.example/new"
    opened(setup)
    assert not setup.queue.entries


def test_a_test_event_goes_through_the_queue_to_this_webhook_only(setup: Setup) -> None:
    made = create(setup, ("bounce",))
    other = create(setup, ("bounce",))
    queued = setup.service.send_test(setup.account, made["webhook_id"])
    assert queued["event_type"] == "test"
    assert len(setup.queue.entries) == 1
    receiver = Receiver()
    assert setup.drain(receiver) == ["delivered: 200"]
    ((_, body, headers),) = receiver.got
    event = json.loads(body)
    assert (event["id"], event["type"]) == (queued["event_id"], "test")
    assert event["data"]["webhook_id"] == made["webhook_id"]
    Verifier(made["secret"]).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(other["secret"]).verify(body, headers)
    (entry,) = setup.service.deliveries(setup.account, made["webhook_id"])["deliveries"]
    assert (entry["event_id"], entry["event_type"]) == (queued["event_id"], "test")
    assert setup.service.deliveries(setup.account, other["webhook_id"])["deliveries"] == []
    with pytest.raises(NotFound):
        setup.service.send_test(setup.account, "wh_nope")


def test_a_redirect_and_errors_without_an_answer_are_named_in_the_log(setup: Setup) -> None:
    made = create(setup)
    answers = [
        (302, "Found"),
        (0, "timeout: TimeoutError: timed out"),
        (0, "dns: cannot resolve public.example"),
        (0, "tls: SSLCertVerificationError: certificate verify failed"),
        (0, "blocked: public.example is not a public internet address"),
        (0, "connection: RemoteDisconnected: Remote end closed connection"),
        (0, "something else"),
    ]
    receiver = Receiver(list(answers))
    for _ in answers:
        opened(setup)
    setup.drain(receiver)  # all in one pass, in the order queued
    log = setup.service.deliveries(setup.account, made["webhook_id"])["deliveries"]
    errors = sorted((d["status_code"] or 0, d["error"]) for d in log)
    assert errors == [
        (0, "blocked"),
        (0, "connection"),
        (0, "connection"),
        (0, "dns"),
        (0, "timeout"),
        (0, "tls"),
        (302, "redirect"),
    ]


def test_a_log_write_failing_after_a_success_does_not_deliver_again(setup: Setup) -> None:
    create(setup)
    opened(setup)

    def broken(attempt: WebhookAttempt, expires_at: int) -> None:
        raise ConnectionError("DynamoDB is down")

    setup.world.store.add_attempt = broken  # type: ignore[method-assign]
    assert setup.drain(Receiver()) == ["delivered: 200"]
    assert not setup.queue.entries


def test_the_documented_event_types_are_the_ones_served() -> None:
    from typing import get_args

    from mailpass.models import WEBHOOK_EVENTS
    from mailpass.schemas import WebhookEvent

    assert get_args(WebhookEvent) == WEBHOOK_EVENTS
