"""`make dev` after a restart: DynamoDB kept its data, moto's SQS did not. The messages left
`queued` or `scheduled` go back on the queue through the real services (the redrive, the
scheduler), from the dev stack's journal of queue bodies. On a stack of its own: it empties the
send queue and scans the table, which the session's shared stack must not see."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mailpass.container import get_container
from mailpass.models import Permission
from mailpass_api.app import create_app
from mailpass_dev.recover import Journal, journal_the_queue, requeue_lost
from mailpass_dev.seed import seed_dev
from mailpass_dev.stack import LocalStack, reset_process_caches

from tests.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def own(tmp_path: Path, stack: LocalStack) -> Iterator[LocalStack]:
    with LocalStack(outbox=tmp_path / "outbox", stack_name="mailpass-recover") as mine:
        mine.apply_env()
        yield mine
        get_container().smtp_pool.close_all()
    # The tests after this one talk to the session's stack again, through the environment.
    stack.apply_env()
    reset_process_caches()


def test_what_sqs_forgot_is_put_back_through_the_redrive_and_the_scheduler(
    own: LocalStack, tmp_path: Path
) -> None:
    assert own.smtp is not None
    container = get_container()
    journal = Journal(tmp_path / "journal.sqlite")
    journal_the_queue(container, journal)
    seeded = seed_dev(container.admin, "127.0.0.1", own.smtp.port)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    message = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hello</p>"}
    with TestClient(create_app(max_request_bytes=1 << 20)) as api:
        resp = api.post(
            "/api/v1/mail/send-batch",
            headers={"Authorization": f"Bearer {seeded.api_key}"},
            json={"messages": [message, {**message, "scheduled_at": later}]},
        )
    assert resp.status_code == 200, resp.text
    now_id, later_id = (m["message_id"] for m in resp.json()["data"]["messages"])
    assert [m["status"] for m in resp.json()["data"]["messages"]] == ["queued", "scheduled"]

    sqs = own.client("sqs")
    sqs.purge_queue(QueueUrl=own.queue_url)  # what a moto restart does

    def waiting() -> int:
        attrs = sqs.get_queue_attributes(
            QueueUrl=own.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return sum(int(v) for v in attrs.values())

    wait_until(lambda: waiting() == 0, "the purge to empty the queue")
    assert requeue_lost(container, journal) == {"queued": 1, "scheduled": 1, "unrecoverable": 0}

    sink = own.smtp

    def drained() -> bool:
        deadline = time.monotonic() + 30
        container.dispatcher.drain(lambda: int((deadline - time.monotonic()) * 1000))
        return bool(sink.find(now_id))

    wait_until(drained, "the queued message to be sent")
    assert len(sink.find(now_id)) == 1
    principal = container.auth.authenticate(f"Bearer {seeded.api_key}", Permission.MAIL)
    assert container.status.get(principal, now_id)["message"]["status"] == "sent"
    # The scheduled one waits in SQS with the delay left, not sent before its time.
    delayed = sqs.get_queue_attributes(
        QueueUrl=own.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]["ApproximateNumberOfMessagesDelayed"]
    assert delayed == "1"
    assert sink.find(later_id) == []
    journal.close()
