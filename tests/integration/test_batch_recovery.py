"""/send-batch when things go wrong, against the real local stack: the dispatcher killed at every
step, the dead-letter queue and the operator's redrive, send limits and a failing default."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from mailpass.adapters.sqs import SqsQueue
from mailpass.container import Container
from mailpass.models import utcnow
from mailpass.schemas import BatchRequest
from mailpass.service.dispatch import DispatchService
from mailpass.service.pack import INTERRUPTED
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.test_batch import (
    Pipeline,
    down_port,
    messages,
    pipeline,
    principal,
    status_of,
)
from tests.waiting import wait_until

__all__ = ["down_port", "pipeline"]  # the fixtures, shared with test_batch

pytestmark = pytest.mark.integration


class Crash(BaseException):
    """A simulated kill: nothing below catches BaseException, so no cleanup runs."""


@dataclass
class CrashAt:
    step: str
    after: int  # crash on the n-th time this step is reached
    seen: int = 0

    def at(self, step: str, message_id: str) -> None:
        if step == self.step:
            self.seen += 1
            if self.seen == self.after:
                raise Crash(step)


STEPS = ["after_claim", "in_handoff", "after_send", "before_record", "before_delete"]
# What a killed run held comes back in seconds, as its lease and then its visibility run out.
KILLABLE: dict[str, Any] = {"lease_seconds": 1, "visibility_seconds": 2}


def test_crash_at_every_step_over_500_messages_delivers_each_at_most_once_and_loses_none(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    mids: list[str] = []
    for _ in range(5):
        result = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(100)))
        mids += [m["message_id"] for m in result["messages"]]
    crashes: Counter[str] = Counter()
    for step in STEPS:  # one kill at every step of the dispatcher ...
        try:
            # The delete comes once per receive (100 messages): kill it on the first.
            after = 1 if step == "before_delete" else 3
            pipeline.dispatcher(faults=CrashAt(step, after), **KILLABLE).drain(lambda: 60_000)
        except Crash:
            crashes[step] += 1
            pipeline.services.smtp_pool.close_all()  # a dead process keeps no connections
            # What it held (a prefetched batch too) comes back, as after a kill.
            pipeline.wait_all_visible(f"the messages held by the run killed at {step}")
    assert set(crashes) == set(STEPS), crashes

    def drained() -> bool:  # ... then drain again, while the killed runs' leases run out
        pipeline.drain(**KILLABLE)
        return pipeline.depth(pipeline.url) == 0

    wait_until(drained, "the queue to drain after the kills", timeout=120, interval=0.5)

    delivered = Counter(
        c.headers()["Message-ID"] for c in sink.caught if c.headers()["Message-ID"] in set(mids)
    )
    assert max(delivered.values()) == 1  # never twice
    statuses = {mid: status_of(pipeline.services, account, mid) for mid in mids}
    assert {s["status"] for s in statuses.values()} <= {"sent", "failed"}  # none left in flight
    for mid, s in statuses.items():
        if s["status"] == "sent":
            assert delivered[mid] == 1
        else:
            # Only an interrupted hand-off may end unknown, and it says so.
            assert s["error_message"] == INTERRUPTED, s
    sent = sum(1 for s in statuses.values() if s["status"] == "sent")
    # Only the kills inside a hand-off (in_handoff, after_send, before_record) can leave a
    # message unknown, at most one pack (25) each; everything else was sent exactly once.
    assert sent >= 500 - 3 * pipeline.services.settings.queue_pack_size


def test_operator_sees_the_dlq_and_redrives_all_but_unknown_deliveries(
    env: LocalStack,
    services: Container,
    account: Seeded,
    sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mailpass.ports import Outcome
    from mailpass_admin.cli import main

    sqs = env.client("sqs")
    dlq_url = env.env["MAILPASS_DEAD_LETTER_QUEUE_URL"]
    result = services.batch.enqueue(principal(account), BatchRequest(messages=messages(2, "ops")))
    gave_up, unknown = (m["message_id"] for m in result["messages"])
    # Dead-letter their pack, as the dispatcher would have: one it gave up on, one interrupted.
    services.store.record_outcomes(
        [
            Outcome(account.account_id, gave_up, "failed", utcnow(), "gave up after 8: 421 busy"),
            Outcome(account.account_id, unknown, "failed", utcnow(), INTERRUPTED),
        ]
    )

    def moved() -> bool:
        found = False
        for msg in sqs.receive_message(QueueUrl=env.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            carried = [e["message_id"] for e in json.loads(msg["Body"])["messages"]]
            if carried == [gave_up, unknown]:  # one pack carries both
                sqs.send_message(QueueUrl=dlq_url, MessageBody=msg["Body"])
                found = True
            sqs.delete_message(QueueUrl=env.queue_url, ReceiptHandle=msg["ReceiptHandle"])
        return found

    wait_until(moved, "their pack on the shared queue", interval=0)

    assert main(["queue", "stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["dead_letter_queue"]["visible"] == 1

    assert main(["queue", "redrive"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["redriven"] == 1
    assert report["skipped_unknown_delivery"] == [unknown]
    assert status_of(services, account, gave_up)["status"] == "queued"
    assert status_of(services, account, unknown)["status"] == "failed"

    s = services.settings.model_copy(update={"drain_margin_ms": 0})
    DispatchService(
        services.store, services.queue, services.senders, s, receive_wait_seconds=0
    ).drain(lambda: 60_000)
    assert len(sink.find(gave_up)) == 1
    assert status_of(services, account, gave_up)["status"] == "sent"
    assert not sink.find(unknown)

    # The pack stayed in the DLQ for the unknown one; an operator may still choose to resend it.
    assert main(["queue", "redrive", "--include-unknown"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["redriven"], report["dropped_not_failed"]) == (1, 1)
    DispatchService(
        services.store, services.queue, services.senders, s, receive_wait_seconds=0
    ).drain(lambda: 60_000)
    assert len(sink.find(unknown)) == 1
    assert len(sink.find(gave_up)) == 1  # not again
    assert services.operations.stats()["dead_letter_queue"]["visible"] == 0


def set_limit(services: Container, account: Seeded, hourly: int | None) -> None:
    from mailpass.provider_schemas import ProviderUpdate

    services.providers.update(
        account.account_id, account.provider_id, ProviderUpdate(hourly_limit=hourly)
    )


class RecordingQueue(SqsQueue):
    """The real queue, remembering the visibility delays the dispatcher asked for."""

    delays: dict[str, int]

    def delay(self, receipts: dict[str, int]) -> None:
        self.delays.update(receipts)
        super().delay(receipts)


def test_over_the_send_limit_messages_wait_queued_for_the_window_not_failed(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    set_limit(pipeline.services, account, 3)
    mids = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(8)))[
            "messages"
        ]
    ]
    queue = RecordingQueue(lambda: pipeline.sqs, pipeline.url)
    queue.delays = {}
    report = pipeline.dispatcher(queue=queue).drain(lambda: 60_000)
    assert (report.sent, report.failed) == (3, 0)
    statuses = [status_of(pipeline.services, account, m)["status"] for m in mids]
    assert statuses.count("sent") == 3
    assert statuses.count("queued") == 5  # waiting, not failed
    ((receipt, delay),) = queue.delays.items()
    now = utcnow()
    to_the_hour = 3600 - (now.minute * 60 + now.second)
    # Hidden until the window resets. Modulo the hour: if the hour turned between the drain and
    # `now`, 3599 and 1 are 2 s apart, not 3598.
    off = (delay - to_the_hour) % 3600
    assert min(off, 3600 - off) <= 5, (delay, to_the_hour)
    assert pipeline.drain().received == 0

    # The hour turns (here: the limit is raised and the message made visible, as SQS would).
    set_limit(pipeline.services, account, 100)
    queue.delay({receipt: 0})
    assert pipeline.drain().sent == 5
    for mid in mids:
        assert len(sink.find(mid)) == 1
        assert status_of(pipeline.services, account, mid)["status"] == "sent"


def test_waiting_on_a_limit_does_not_use_up_deliveries_toward_the_dlq(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    set_limit(pipeline.services, account, 0)
    mids = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(3)))[
            "messages"
        ]
    ]
    # With max_receives 3 the first delivery is already near the end: the pack goes back as a
    # fresh queue message (same pack), visible at once, and nothing is failed.
    report = pipeline.drain(max_receives=3)
    assert (report.sent, report.failed) == (0, 0)
    (msg,) = pipeline.sqs.receive_message(
        QueueUrl=pipeline.url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )["Messages"]
    assert msg["Attributes"]["ApproximateReceiveCount"] == "1"
    assert [e["message_id"] for e in json.loads(msg["Body"])["messages"]] == mids
    pipeline.sqs.change_message_visibility(
        QueueUrl=pipeline.url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
    )
    set_limit(pipeline.services, account, None)
    assert pipeline.drain(max_receives=3).sent == 3
    assert all(len(sink.find(m)) == 1 for m in mids)
    assert pipeline.depth(pipeline.dlq_url) == 0


def test_fallback_provider_takes_the_pack_when_the_default_is_down(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink, down_port: int
) -> None:
    from mailpass.provider_schemas import ProviderCreate

    services = pipeline.services
    down = services.providers.create(
        account.account_id,
        ProviderCreate(
            kind="smtp",
            name="down",
            host="127.0.0.1",
            port=down_port,
            security="none",
            from_email="dev@example.com",
            make_default=True,
        ),
    )
    services.providers.set_fallbacks(account.account_id, [account.provider_id])
    mids = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(6)))[
            "messages"
        ]
    ]
    report = pipeline.drain()
    assert (report.sent, report.failed, report.retried) == (6, 0, 0)
    for mid in mids:
        assert len(sink.find(mid)) == 1
        status = status_of(services, account, mid)
        assert status["provider_id"] == account.provider_id
        assert "connection refused" in status["note"]
    assert down["provider_id"] != account.provider_id
