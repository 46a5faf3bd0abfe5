"""The send queue's payload: what the producer writes is what the consumers read, older
versions still read, and a body that does not parse (poison) is never lost or fatal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mailpass.queue_payload import PAYLOAD_VERSION, Poison, parse, salvage
from mailpass.schemas import BatchRequest
from mailpass.service.batch import BatchService
from mailpass.service.dispatch import DispatchService
from mailpass.service.operations import QueueOperations
from mailpass.settings import Settings

from tests.fakes import InMemoryStore
from tests.fakes.queue import InMemoryQueue
from tests.unit.test_delivery_table import Env, make_env

MESSAGE = {"to": "user@example.com", "subject": "Hello", "text": "Hi", "cc": ["c@example.com"]}


def queues(env: Env) -> tuple[InMemoryQueue, InMemoryQueue]:
    clock: Callable[[], float] = lambda: env.now[0]  # noqa: E731
    dlq = InMemoryQueue(clock)
    return InMemoryQueue(clock, dead_letters=dlq), dlq


def dispatcher(env: Env, queue: InMemoryQueue, dlq: InMemoryQueue) -> DispatchService:
    return DispatchService(
        env.store,
        queue,
        env.world.senders,
        env.world.settings,
        dead_letters=dlq,
        clock=lambda: env.now[0],
        receive_wait_seconds=0,
    )


def status(store: InMemoryStore, account: str, mid: str) -> tuple[str, str | None]:
    found = store.get_message(account, mid)
    assert found is not None
    return found[0].status.value, found[0].error_message


def test_what_the_producer_writes_parses_to_the_typed_model(settings: Settings) -> None:
    env = make_env(settings, test=False)
    queue, _ = queues(env)
    out = BatchService(env.store, queue, settings).enqueue(
        env.principal, BatchRequest(messages=[MESSAGE, MESSAGE]), "https://api.example.com"
    )
    (body,) = queue.bodies()
    payload = parse(body)
    assert payload.version == PAYLOAD_VERSION == json.loads(body)["v"]
    assert payload.account_id == env.account
    assert payload.provider_id == env.default
    assert payload.tracking_base == "https://api.example.com"
    assert payload.message_ids == [m["message_id"] for m in out["messages"]]
    assert payload.messages[0].message.cc == ("c@example.com",)
    assert payload.messages[0].queue_id == out["messages"][0]["queue_id"]
    # Written back (redrive) it reads the same.
    assert parse(payload.dump()) == payload


def test_version_1_bodies_are_read_as_a_pack_of_one() -> None:
    body = json.dumps(
        {
            "v": 1,
            "account_id": "acc_1",
            "message_id": "<m1@x>",
            "queue_id": 7,
            "provider_id": "prov_1",
            "test": False,
            "message": {**MESSAGE, "from_email": "a@example.com"},
        }
    )
    payload = parse(body)
    assert (payload.version, payload.pack_id, payload.message_ids) == (1, "<m1@x>", ["<m1@x>"])
    assert payload.messages[0].queue_id == 7
    assert parse(payload.dump()).message_ids == ["<m1@x>"]


@pytest.mark.parametrize(
    ("body", "account", "ids"),
    [
        ("not json {", None, []),
        ('{"v": 9, "account_id": "acc_1", "pack_id": "p", "messages": []}', "acc_1", []),
        (  # a member without its fields: the ids are still read from the JSON
            '{"v": 2, "account_id": "acc_1", "pack_id": "p", '
            '"messages": [{"message_id": "<m1@x>"}, {"message_id": "<m2@x>", "message": {}}]}',
            "acc_1",
            ["<m1@x>", "<m2@x>"],
        ),
        (  # cut short: found by pattern
            '{"v":2,"account_id":"acc_1","pack_id":"p","messages":[{"message_id":"<m1@x>","mes',
            "acc_1",
            ["<m1@x>"],
        ),
    ],
)
def test_poison_names_what_it_can(body: str, account: str | None, ids: list[str]) -> None:
    with pytest.raises(Poison) as caught:
        parse(body)
    assert (caught.value.account_id, caught.value.message_ids) == (account, ids)
    assert salvage(body) == (account, ids)


def poison_for(env: Env, settings: Settings) -> tuple[str, str, str]:
    """A queued message whose queue body then broke (its fields lost): (id, broken body)."""
    holding, _ = queues(env)
    out = BatchService(env.store, holding, settings).enqueue(
        env.principal, BatchRequest(messages=[MESSAGE])
    )
    mid = out["messages"][0]["message_id"]
    (body,) = holding.bodies()
    data = json.loads(body)
    del data["messages"][0]["message"]["subject"]
    return mid, json.dumps(data), body


def test_a_poison_body_fails_what_it_names_and_goes_to_the_dlq(settings: Settings) -> None:
    env = make_env(settings, test=False)
    mid, broken, _ = poison_for(env, settings)
    queue, dlq = queues(env)
    queue.send_batch({"0": broken, "1": "not json {"})
    report = dispatcher(env, queue, dlq).drain(lambda: 60_000)  # does not raise
    assert (report.poison, report.failed, report.sent) == (2, 1, 0)
    state, why = status(env.store, env.account, mid)
    assert state == "failed"
    assert (why or "").startswith("the queue message could not be read (")
    assert "subject" in (why or "")
    assert sorted(dlq.bodies()) == sorted([broken, "not json {"])  # kept for an operator
    assert queue.entries == {}
    assert env.world.senders.sender.delivered == []


def test_without_a_dlq_a_poison_body_is_left_for_the_redrive_policy(settings: Settings) -> None:
    env = make_env(settings, test=False)
    mid, broken, _ = poison_for(env, settings)
    queue, dlq = queues(env)
    queue.send_batch({"0": broken})
    service = DispatchService(
        env.store,
        queue,
        env.world.senders,
        settings,
        clock=lambda: env.now[0],
        receive_wait_seconds=0,
    )
    assert service.drain(lambda: 60_000).poison == 1
    assert status(env.store, env.account, mid)[0] == "failed"
    assert queue.bodies() == [broken]  # not deleted: SQS moves it after maxReceiveCount
    env.now[0] += 3600
    for _ in range(10):  # each receive counts toward the redrive policy
        service.drain(lambda: 60_000)
        env.now[0] += 3600
    assert (queue.bodies(), dlq.bodies()) == ([], [broken])


def test_redrive_survives_poison_and_still_moves_the_rest(settings: Settings) -> None:
    env = make_env(settings, test=False)
    mid, broken, good = poison_for(env, settings)
    queue, dlq = queues(env)
    dlq.send_batch({"0": broken, "1": good})
    report = QueueOperations(env.store, queue, dlq).redrive()  # does not raise
    assert report.unreadable == 1
    assert report.as_dict()["unreadable"] == 1
    assert dlq.bodies() == [broken]  # the unreadable one stays, for an operator
    (back,) = queue.bodies()
    assert parse(back).message_ids == [mid]
