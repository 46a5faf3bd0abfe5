"""/send-batch -> SQS -> the dispatcher, against DynamoDB Local, moto's SQS and aiosmtpd."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from mailpass.adapters.sqs import SqsQueue
from mailpass.container import Container
from mailpass.mime import OutgoingMessage
from mailpass.models import Principal, Provider, SmtpSecurity
from mailpass.ports import Sender, SenderFactory, SendReceipt
from mailpass.schemas import BatchRequest
from mailpass.service.batch import BatchService
from mailpass.service.dispatch import DispatchService
from mailpass.service.pack import DEAD_LETTERED, DrainReport
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink, free_port
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import EVENTS, LambdaContext, load_event, verify_domain
from tests.integration.test_send_lambda import invoke
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


@dataclass
class Pipeline:
    """A fresh queue pair per test (no leftovers between tests) and services bound to it."""

    services: Container
    url: str
    dlq_url: str
    sqs: Any
    batch: BatchService

    def dispatcher(
        self,
        faults: Any = None,
        senders: SenderFactory | None = None,
        queue: SqsQueue | None = None,
        **settings: Any,
    ) -> DispatchService:
        s = self.services.settings.model_copy(
            update={
                # Long enough that a loaded machine finishes every hand-off inside its lease (no
                # send starts in a lease's last half); only runs that are killed need them short.
                "lease_seconds": 30,
                "visibility_seconds": 60,
                "backoff_base_seconds": 0,
                "drain_margin_ms": 0,
                **settings,
            }
        )
        return DispatchService(
            self.services.store,
            queue or SqsQueue(lambda: self.sqs, self.url),
            senders or self.services.senders,
            s,
            faults=faults,
            dead_letters=SqsQueue(lambda: self.sqs, self.dlq_url),
            receive_wait_seconds=0,
        )

    def drain(self, **settings: Any) -> DrainReport:
        return self.dispatcher(**settings).drain(lambda: 60_000)

    def counts(self, url: str) -> tuple[int, int]:
        """(visible, in flight): moto works visibility out from the clock when asked, so a
        message whose visibility timeout ran out counts as visible again."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        )

    def depth(self, url: str) -> int:
        return sum(self.counts(url))

    def wait_all_visible(self, what: str) -> None:
        wait_until(lambda: self.counts(self.url)[1] == 0, what)


@pytest.fixture
def pipeline(env: LocalStack, services: Container, request: pytest.FixtureRequest) -> Pipeline:
    sqs = env.client("sqs")
    name = f"t{abs(hash(request.node.nodeid)) % 10**8}-{int(time.time() * 1000) % 10**6}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "8"})
        },
    )["QueueUrl"]
    batch = BatchService(services.store, SqsQueue(lambda: sqs, url), services.settings)
    return Pipeline(services, url, dlq, sqs, batch)


def principal(account: Seeded, *, test: bool = False) -> Principal:
    return Principal(account.account_id, "key_test", frozenset({"mail"}), test)


def messages(n: int, prefix: str = "user") -> list[dict[str, Any]]:
    return [
        {"to": f"{prefix}{i}@example.com", "subject": f"Hello {i}", "text": f"Hi {i}"}
        for i in range(n)
    ]


def status_of(services: Container, account: Seeded, mid: str) -> dict[str, Any]:
    message: dict[str, Any] = services.status.get(principal(account), mid)["message"]
    return message


def test_batch_event_queues_valid_messages_and_fails_the_invalid_one(
    env: LocalStack, account: Seeded, lambda_context: LambdaContext
) -> None:
    code, body = invoke(load_event("send-batch.json", key=account.api_key), lambda_context)
    assert code == 200, body
    data = body["data"]
    assert (data["total"], data["queued"], data["failed"]) == (3, 2, 1)
    a, b, bad = data["messages"]
    assert a["status"] == b["status"] == "queued"
    assert a["queue_id"] > 0
    assert b["queue_id"] == a["queue_id"] + 1
    assert a["message_id"].startswith("<")
    assert a["message_id"] != b["message_id"]
    assert bad == {"to": "not-an-address", "status": "failed", "error": bad["error"]}
    assert bad["error"]["code"] == "VALIDATION_ERROR"
    _, status = invoke(
        load_event(
            "status.json", key=account.api_key, path=f"/api/v1/mail/status/{a['message_id']}"
        ),
        lambda_context,
    )
    assert status["data"]["message"]["status"] == "queued"
    assert status["data"]["message"]["queue_id"] == a["queue_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"messages": messages(101)},
        {"messages": "nope"},
        {"messages": messages(1), "unknown": True},
        {},
    ],
)
def test_malformed_batches_are_rejected_whole(
    account: Seeded, lambda_context: LambdaContext, body: dict[str, Any]
) -> None:
    code, err = invoke(
        load_event("send-batch.json", key=account.api_key, body=body), lambda_context
    )
    assert code == 400
    assert err["error"]["code"] == "VALIDATION_ERROR"


def test_queue_ids_increase_across_batches(pipeline: Pipeline, account: Seeded) -> None:
    first = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(3)))
    second = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(2)))
    ids = [m["queue_id"] for r in (first, second) for m in r["messages"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_batch_is_drained_and_delivered_once_each(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    result = pipeline.batch.enqueue(
        principal(account), BatchRequest(messages=messages(30), from_name="Batch")
    )
    mids = [m["message_id"] for m in result["messages"]]
    assert pipeline.depth(pipeline.url) == 2  # packed 25 to a queue message: 25 + 5
    report = pipeline.drain()
    assert report.sent == 30
    assert report.failed == 0
    # Redelivery of anything already done must not send again.
    assert pipeline.drain().sent == 0
    for mid in mids:
        (caught,) = sink.find(mid)
        assert caught.headers()["From"] == "Batch <dev@example.com>"
        assert status_of(pipeline.services, account, mid)["status"] == "sent"
    assert pipeline.depth(pipeline.url) == 0


def test_packs_stay_within_the_sqs_size_limit(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    big = [{**m, "text": "x" * 100_000} for m in messages(5, "big")]  # ~100 KB each
    result = pipeline.batch.enqueue(principal(account), BatchRequest(messages=big))
    assert result["queued"] == 5
    bodies: list[str] = []

    def all_three() -> bool:  # SQS may hand them out over several receives
        got = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10)
        bodies.extend(m["Body"] for m in got.get("Messages", []))
        return len(bodies) >= 3

    wait_until(all_three, "the three queue messages to be received", interval=0)
    assert sorted(len(json.loads(b)["messages"]) for b in bodies) == [1, 2, 2]
    assert all(len(b.encode()) <= 256 * 1024 for b in bodies)


def test_451_then_250_delivers_once(pipeline: Pipeline, account: Seeded, sink: SmtpSink) -> None:
    (mid,) = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(1)))[
            "messages"
        ]
    ]
    sink.script("451 4.3.0 Try again later")
    report = pipeline.drain()
    assert (report.retried, report.sent) == (1, 0)
    assert status_of(pipeline.services, account, mid)["status"] == "queued"
    assert pipeline.drain().sent == 1  # no backoff here: back at the next run
    assert pipeline.drain().sent == 0
    assert len(sink.find(mid)) == 1
    assert status_of(pipeline.services, account, mid)["status"] == "sent"


def test_550_fails_with_the_reason(pipeline: Pipeline, account: Seeded, sink: SmtpSink) -> None:
    (mid,) = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(1)))[
            "messages"
        ]
    ]
    sink.script("550 5.1.1 No such user here")
    assert pipeline.drain().failed == 1
    status = status_of(pipeline.services, account, mid)
    assert status["status"] == "failed"
    assert status["error_message"] == "550 5.1.1 No such user here"
    assert pipeline.depth(pipeline.url) == 0


@pytest.fixture
def down_port(services: Container, account: Seeded) -> int:
    port = free_port()
    services.admin.add_smtp_provider(
        account.account_id,
        name="flaky",
        host="127.0.0.1",
        port=port,
        security=SmtpSecurity.NONE,
        from_email="dev@example.com",
        make_default=True,
    )
    return port


def test_smtp_down_then_up_delivers_everything(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink, down_port: int
) -> None:
    mids = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(12)))[
            "messages"
        ]
    ]
    report = pipeline.drain(backoff_base_seconds=1)
    assert report.retried == 12
    assert report.sent == 0
    assert {status_of(pipeline.services, account, m)["status"] for m in mids} == {"queued"}
    up = SmtpSink(sink.outbox, port=down_port).start()
    try:
        pipeline.wait_all_visible("the pack to come back after its backoff")
        assert pipeline.drain().sent == 12
        assert all(len(up.find(m)) == 1 for m in mids)
    finally:
        up.stop()


def test_after_max_receives_it_lands_in_the_dlq_and_is_failed(
    pipeline: Pipeline, account: Seeded, down_port: int
) -> None:
    (mid,) = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(1)))[
            "messages"
        ]
    ]
    for _ in range(10):  # no backoff here: each drain re-receives until SQS gives up on it
        pipeline.drain(max_receives=8)
        if pipeline.depth(pipeline.dlq_url):
            break
    status = status_of(pipeline.services, account, mid)
    assert status["status"] == "failed"
    assert status["error_message"].startswith("gave up after 8 attempts: 127.0.0.1:")
    assert pipeline.depth(pipeline.dlq_url) == 1
    assert pipeline.depth(pipeline.url) == 0


def test_a_message_dead_lettered_by_crashes_is_given_a_final_state(
    pipeline: Pipeline, account: Seeded
) -> None:
    (mid,) = [
        m["message_id"]
        for m in pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(1)))[
            "messages"
        ]
    ]
    # Move it to the DLQ as SQS would after its dispatchers kept dying: claimed, never finished.
    (msg,) = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=1)["Messages"]
    pipeline.sqs.send_message(QueueUrl=pipeline.dlq_url, MessageBody=msg["Body"])
    pipeline.sqs.delete_message(QueueUrl=pipeline.url, ReceiptHandle=msg["ReceiptHandle"])
    assert status_of(pipeline.services, account, mid)["status"] == "queued"
    assert pipeline.drain().failed == 1
    status = status_of(pipeline.services, account, mid)
    assert status["status"] == "failed"
    assert status["error_message"] == DEAD_LETTERED.format(n=1)
    assert pipeline.depth(pipeline.dlq_url) == 1  # still there, for an operator to redrive


def test_test_keys_are_dispatched_without_a_provider(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    before = len(sink.caught)
    (mid,) = [
        m["message_id"]
        for m in pipeline.batch.enqueue(
            principal(account, test=True), BatchRequest(messages=messages(1))
        )["messages"]
    ]
    assert pipeline.drain().sent == 1
    assert len(sink.caught) == before
    assert "no provider was contacted" in status_of(pipeline.services, account, mid)["note"]


@dataclass
class Countdown(LambdaContext):
    """A context whose remaining time runs down like Lambda's."""

    function_name: str = "mailpass-test-DispatcherFunction"
    budget_ms: int = 100_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.budget_ms - (time.monotonic() - self.started) * 1000)


def test_scheduled_event_drains_through_the_dispatcher_handler(
    env: LocalStack, account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    from mailpass_dispatcher.handler import lambda_handler

    _, body = invoke(load_event("send-batch.json", key=account.api_key), lambda_context)
    queued = [m["message_id"] for m in body["data"]["messages"] if m["status"] == "queued"]
    schedule = json.loads((EVENTS / "schedule.json").read_text())

    # Under the safety margin at the start: it takes nothing and stops cleanly.
    early = lambda_handler(schedule, Countdown(budget_ms=15_000))
    assert early["stopped_for_time"] is True
    assert early["received"] == 0

    report = lambda_handler(schedule, Countdown())
    assert report["stopped_for_time"] is False
    assert report["sent"] >= len(queued) == 2
    for mid in queued:
        assert len(sink.find(mid)) == 1
    _, status = invoke(
        load_event("status.json", key=account.api_key, path=f"/api/v1/mail/status/{queued[0]}"),
        lambda_context,
    )
    assert status["data"]["message"]["status"] == "sent"
    assert lambda_handler(schedule, Countdown())["sent"] == 0  # nothing left, nothing resent


class InFlight:
    """Wraps the real senders and counts hand-offs in flight at once. The first `meet` sends
    are held until that many are in flight together, so a dispatcher that runs `meet` lanes at
    once shows it however slowly a loaded machine schedules its threads, with no guess at how
    long a send takes; one that runs fewer cannot get there and, past the deadline, the peak
    it reached is what the test sees. Sends after the first `meet` are not held."""

    def __init__(self, real: SenderFactory, meet: int = 1, timeout: float = 10.0) -> None:
        self._real = real
        self._changed = threading.Condition()
        self._meet = meet
        self._timeout = timeout
        self._arrived = 0
        self._deadline = 0.0  # one for all the held sends, from the first one's arrival
        self.now = 0
        self.peak = 0

    def for_provider(self, provider: Provider) -> Sender:
        inner = self._real.for_provider(provider)
        outer = self

        class Counting:
            def send(self, message: OutgoingMessage) -> SendReceipt:
                with outer._changed:
                    outer.now += 1
                    outer.peak = max(outer.peak, outer.now)
                    outer._arrived += 1
                    outer._changed.notify_all()
                    if outer._arrived == 1:
                        outer._deadline = time.monotonic() + outer._timeout
                    if outer._arrived <= outer._meet:
                        outer._changed.wait_for(
                            lambda: outer.peak >= outer._meet,
                            timeout=max(outer._deadline - time.monotonic(), 0),
                        )
                try:
                    return inner.send(message)
                finally:
                    with outer._changed:
                        outer.now -= 1

        return Counting()


def test_ses_sends_run_concurrently_within_the_bound_and_smtp_stays_on_one_connection(
    env: LocalStack, pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    from tests.integration.test_providers import ses_raw_messages

    smtp_batch = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(12)))
    env.client("ses").verify_email_identity(EmailAddress="bulk@example.com")
    verify_domain(pipeline.services, account.account_id, "example.com")
    pipeline.services.admin.add_ses_provider(
        account.account_id,
        name="ses",
        region="us-east-1",
        from_email="bulk@example.com",
        make_default=True,
    )
    ses_batch = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(100)))
    pipeline.services.smtp_pool.close_all()  # so the drain's SMTP connections are its own

    # Held at most 10 s, far inside the lease's first half (when sends may start): a dispatcher
    # that never gets to 4 at once fails on the peak below, not on sends cut off by the lease.
    ses_counter = InFlight(pipeline.services.senders, meet=4, timeout=10)
    ses_only = pipeline.dispatcher(
        senders=ses_counter, send_concurrency=4, lease_seconds=120, visibility_seconds=240
    )
    report = ses_only.drain(lambda: 60_000)
    assert (report.sent, report.failed) == (112, 0)
    assert ses_counter.peak == 4  # concurrent, and never past the bound

    raw = [m["raw_data"] for m in ses_raw_messages(env.moto.url)]  # type: ignore[union-attr]
    for m in ses_batch["messages"]:
        assert sum(m["message_id"] in r for r in raw) == 1
        assert status_of(pipeline.services, account, m["message_id"])["status"] == "sent"
    peers = set()
    for m in smtp_batch["messages"]:
        (caught,) = sink.find(m["message_id"])
        peers.add(caught.peer)
    assert len(peers) == 1  # the SMTP lane went out in order over one pooled connection


def test_concurrency_of_one_sends_in_order(pipeline: Pipeline, account: Seeded) -> None:
    pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(5)))
    counter = InFlight(pipeline.services.senders)
    assert pipeline.dispatcher(senders=counter, send_concurrency=1).drain(lambda: 60_000).sent == 5
    assert counter.peak == 1
