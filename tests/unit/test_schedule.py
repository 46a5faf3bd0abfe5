"""Scheduled sends on the fakes: where a message waits, the tick that queues what is due, the
dispatcher's conditional hand-off, and cancel racing it (controlled interleavings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from mailpass.errors import NotCancelable, NotFound
from mailpass.mime import OutgoingMessage
from mailpass.models import MessageStatus, Permission, Principal, iso, schedule_bucket
from mailpass.ports import SendReceipt
from mailpass.schemas import BatchRequest, SendRequest
from mailpass.service.batch import BatchService
from mailpass.service.delivery import TEST_KEY_NOTE
from mailpass.service.dispatch import DispatchService
from mailpass.service.limits import Limits
from mailpass.service.schedule import Scheduler
from mailpass.service.send import SendService
from mailpass.service.status import StatusService
from pydantic import ValidationError

from tests.fakes.queue import InMemoryQueue
from tests.unit.conftest import World

S = MessageStatus


@dataclass
class Env:
    world: World
    principal: Principal
    now: list[datetime] = field(default_factory=lambda: [datetime.now(UTC).replace(microsecond=0)])

    def __post_init__(self) -> None:
        # Lambdas, not bound methods: the clock must read `now` as the test moves it.
        self.queue = InMemoryQueue(lambda: self.now[0].timestamp())  # noqa: PLW0108
        self.scheduler = Scheduler(self.world.store, lambda: self.queue, lambda: self.now[0])
        self.sending = SendService(
            self.world.store,
            self.world.senders,
            self.world.settings,
            Limits(self.world.store),
            scheduler=self.scheduler,
        )
        self.batch = BatchService(
            self.world.store, self.queue, self.world.settings, scheduler=self.scheduler
        )
        self.dispatcher = DispatchService(
            self.world.store,
            self.queue,
            self.world.senders,
            self.world.settings,
            clock=lambda: self.now[0].timestamp(),  # noqa: PLW0108
            receive_wait_seconds=0,
        )

    def advance(self, delta: timedelta) -> None:
        self.now[0] += delta

    def send(self, ahead: timedelta | None, **extra: Any) -> str:
        body: dict[str, Any] = {"to": "user@example.com", "subject": "Later", "text": "Hi"}
        if ahead is not None:
            body["scheduled_at"] = (self.now[0] + ahead).isoformat()
        result = self.sending.send(self.principal, SendRequest.model_validate({**body, **extra}))
        return result.message_id

    def status(self, message_id: str) -> dict[str, Any]:
        view: dict[str, Any] = StatusService(self.world.store).get(self.principal, message_id)
        return dict(view["message"])

    def tick_and_drain(self) -> int:
        self.scheduler.tick()
        return self.dispatcher.drain(lambda: 60_000).sent

    @property
    def delivered(self) -> list[OutgoingMessage]:
        return self.world.senders.sender.delivered


def make_env(world: World, *, test: bool = False) -> Env:
    from mailpass.service.auth import AuthService

    _, key = world.account_with_key(test=test)
    principal = AuthService(world.store).authenticate(f"Bearer {key}", Permission.MAIL)
    return Env(world, principal)


@pytest.fixture
def env(world: World) -> Env:
    return make_env(world)


def test_a_scheduled_message_waits_in_its_minute_bucket_and_goes_at_its_time(env: Env) -> None:
    due = env.now[0] + timedelta(hours=1)
    mid = env.send(timedelta(hours=1))
    view = env.status(mid)
    assert (view["status"], view["scheduled_at"]) == ("scheduled", iso(due))
    assert env.queue.entries == {}  # not in SQS: beyond its 15 minutes
    assert [e.message_id for e in env.world.store.scheduled_in(schedule_bucket(due))] == [mid]
    assert env.tick_and_drain() == 0  # an hour early: the tick leaves its bucket alone
    env.advance(timedelta(minutes=46))  # 14 min before: its bucket is not moved yet
    assert env.tick_and_drain() == 0
    assert len(env.world.store.scheduled_in(schedule_bucket(due))) == 1
    env.advance(timedelta(minutes=1))  # 13 min before: within the tick's horizon
    assert env.tick_and_drain() == 0  # queued with a delay, not receivable yet
    assert env.world.store.scheduled_in(schedule_bucket(due)) == []
    assert len(env.queue.entries) == 1
    env.advance(timedelta(minutes=13) - timedelta(seconds=1))
    assert env.tick_and_drain() == 0  # one second early: still not sent
    assert env.status(mid)["status"] == "scheduled"
    env.advance(timedelta(seconds=1))
    assert env.tick_and_drain() == 1
    assert [m.message_id for m in env.delivered] == [mid]
    assert env.status(mid)["status"] == "sent"
    env.advance(timedelta(minutes=5))
    assert env.tick_and_drain() == 0  # exactly once
    assert len(env.delivered) == 1


def test_a_near_time_goes_to_the_queue_with_its_delay_at_once(env: Env) -> None:
    mid = env.send(timedelta(minutes=3))
    assert env.status(mid)["status"] == "scheduled"
    assert len(env.queue.entries) == 1  # its bucket may be one the tick already moved
    env.advance(timedelta(minutes=3) - timedelta(seconds=1))
    assert env.dispatcher.drain(lambda: 60_000).sent == 0
    env.advance(timedelta(seconds=1))
    assert env.dispatcher.drain(lambda: 60_000).sent == 1


@pytest.mark.parametrize("ahead", [timedelta(seconds=-30), timedelta(seconds=8)])
def test_a_time_past_or_within_seconds_sends_now(env: Env, ahead: timedelta) -> None:
    mid = env.send(ahead)
    assert env.status(mid)["status"] == "sent"
    assert len(env.delivered) == 1


def test_missed_ticks_catch_up_from_the_cursor(env: Env) -> None:
    mid = env.send(timedelta(minutes=30))
    env.scheduler.tick()
    env.advance(timedelta(hours=2))  # no tick for two hours
    assert env.tick_and_drain() == 1
    assert env.status(mid)["status"] == "sent"
    assert env.world.store.schedule_cursor() == schedule_bucket(env.now[0] + timedelta(minutes=13))


def test_a_cancel_before_its_time_wins_and_it_is_never_sent(env: Env) -> None:
    mid = env.send(timedelta(hours=1))
    raw = mid.strip("<>")  # the id forms /status takes
    assert env.scheduler.cancel(env.principal, raw) == {"message_id": mid, "status": "canceled"}
    assert env.status(mid)["status"] == "canceled"
    env.advance(timedelta(hours=1))
    report = env.dispatcher.drain(lambda: 60_000)
    env.scheduler.tick()
    report = env.dispatcher.drain(lambda: 60_000)
    assert (report.sent, report.canceled) == (0, 1)
    assert env.delivered == []
    assert env.status(mid)["status"] == "canceled"
    with pytest.raises(NotCancelable):  # canceled is final
        env.scheduler.cancel(env.principal, mid)


def test_cancel_of_a_sent_or_unknown_message(env: Env) -> None:
    mid = env.send(None)
    with pytest.raises(NotCancelable) as caught:
        env.scheduler.cancel(env.principal, mid)
    assert caught.value.details["status"] == "sent"
    with pytest.raises(NotFound):
        env.scheduler.cancel(env.principal, "<nope@test.mailpass.im>")
    with pytest.raises(NotFound):
        env.scheduler.cancel(env.principal, "not an id")


class CancelAt:
    """Faults seam: cancels the message at one step of the dispatcher's hand-off."""

    def __init__(self, env: Env, step: str) -> None:
        self.env, self.step = env, step
        self.answers: list[str] = []

    def at(self, step: str, message_id: str) -> None:
        if step == self.step:
            self.answers.append(cancel_answer(self.env, message_id))


def cancel_answer(env: Env, message_id: str) -> str:
    try:
        return str(env.scheduler.cancel(env.principal, message_id)["status"])
    except NotCancelable:
        return "409"


def test_race_a_cancel_just_before_the_hand_off_wins(env: Env) -> None:
    mid = env.send(timedelta(minutes=2))
    env.advance(timedelta(minutes=2))
    faults = CancelAt(env, "in_handoff")  # after the pack's claim, before the status move
    env.dispatcher._faults = faults
    report = env.dispatcher.drain(lambda: 60_000)
    assert faults.answers == ["canceled"]
    assert (report.sent, report.canceled) == (0, 1)
    assert env.delivered == []
    assert env.status(mid)["status"] == "canceled"


def test_race_a_cancel_during_the_hand_off_loses(env: Env) -> None:
    mid = env.send(timedelta(minutes=2))
    env.advance(timedelta(minutes=2))
    answers: list[str] = []
    real = env.world.senders.sender

    class CancelWhileSending:
        def send(self, message: OutgoingMessage) -> SendReceipt:
            answers.append(cancel_answer(env, mid))  # the provider has it now
            return real.send(message)

    env.world.senders.by_provider = {
        p.provider_id: CancelWhileSending()  # type: ignore[misc]
        for p in env.world.store.providers[env.principal.account_id].values()
    }
    report = env.dispatcher.drain(lambda: 60_000)
    assert answers == ["409"]
    assert (report.sent, report.canceled) == (1, 0)
    assert env.status(mid)["status"] == "sent"
    with pytest.raises(NotCancelable):
        env.scheduler.cancel(env.principal, mid)


def test_limits_apply_when_sent_not_when_scheduled(env: Env) -> None:
    env.send(timedelta(hours=1))
    assert env.world.store.quota == {}  # nothing reserved while it waits


def test_test_keys_schedule_and_cancel_and_never_reach_a_provider(world: World) -> None:
    env = make_env(world, test=True)
    kept = env.send(timedelta(minutes=5))
    dropped = env.send(timedelta(minutes=5))
    env.scheduler.cancel(env.principal, dropped)
    env.advance(timedelta(minutes=5))
    report = env.dispatcher.drain(lambda: 60_000)
    assert (report.sent, report.canceled) == (1, 1)
    assert env.delivered == []
    view = env.status(kept)
    assert (view["status"], view["note"]) == ("sent", TEST_KEY_NOTE)
    assert env.status(dropped)["status"] == "canceled"


def test_batch_messages_with_scheduled_at(env: Env) -> None:
    later = (env.now[0] + timedelta(hours=2)).isoformat()
    out = env.batch.enqueue(
        env.principal,
        BatchRequest(
            messages=[
                {"to": "a@example.com", "subject": "Now", "text": "1"},
                {"to": "b@example.com", "subject": "Later", "text": "2", "scheduled_at": later},
            ]
        ),
    )
    assert (out["queued"], out["scheduled"], out["failed"]) == (1, 1, 0)
    now_item, later_item = out["messages"]
    assert later_item["status"] == "scheduled"
    assert later_item["scheduled_at"] == iso(env.now[0] + timedelta(hours=2))
    assert env.tick_and_drain() == 1
    assert env.status(later_item["message_id"])["status"] == "scheduled"
    env.advance(timedelta(hours=2))
    assert env.tick_and_drain() == 1
    assert [m.message_id for m in env.delivered] == [
        now_item["message_id"],
        later_item["message_id"],
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2030-01-30T12:00:00", "timezone"),
        (1893456000, "RFC 3339"),
        ((datetime.now(UTC) + timedelta(days=31)).isoformat(), "30 days"),
        ("tomorrow", "datetime"),
    ],
)
def test_scheduled_at_must_be_rfc3339_with_an_offset_within_30_days(value: Any, why: str) -> None:
    body = {"to": "u@example.com", "subject": "s", "text": "t", "scheduled_at": value}
    with pytest.raises(ValidationError, match=why):
        SendRequest.model_validate(body)
    ok = (datetime.now(UTC) + timedelta(days=29)).astimezone(timezone(timedelta(hours=9)))
    parsed = SendRequest.model_validate({**body, "scheduled_at": ok.isoformat()})
    assert parsed.scheduled_at == ok


def test_a_canceled_message_stays_canceled_whatever_a_later_sweep_records(env: Env) -> None:
    from mailpass.ports import Outcome

    mid = env.send(timedelta(hours=1))
    env.scheduler.cancel(env.principal, mid)
    # e.g. the dead-letter sweep failing what its pack names that has no final state yet
    env.world.store.record_outcomes(
        [Outcome(env.principal.account_id, mid, "failed", env.now[0], error_message="dlq")]
    )
    assert env.status(mid)["status"] == "canceled"
