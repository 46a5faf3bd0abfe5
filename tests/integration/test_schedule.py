"""Scheduled sends over HTTP against the local stack: /send and /send-batch with scheduled_at,
the dispatcher's handler driven as EventBridge would (its tick, then its drain), the .eml read
back from the SMTP catcher, and cancel winning and losing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from mailpass.adapters.sqs import SqsQueue
from mailpass.container import Container
from mailpass.errors import NotCancelable
from mailpass.mime import OutgoingMessage
from mailpass.models import Principal, Provider, iso, utcnow
from mailpass.ports import Sender, SenderFactory, SendReceipt
from mailpass.schemas import SendRequest
from mailpass.service.pack import DrainReport
from mailpass.service.schedule import Scheduler
from mailpass.service.send import SendService
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import Caught, SmtpSink

from tests.integration.conftest import EVENTS
from tests.integration.test_attachments import PDF, PNG, b64, stored_keys
from tests.integration.test_batch import Countdown, Pipeline, pipeline  # noqa: F401
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

# Past the "sends now" window (10 s), near enough to wait for.
AHEAD = timedelta(seconds=13)


def tick() -> dict[str, Any]:
    """One EventBridge run of the dispatcher: the schedule tick, then the drain."""
    from mailpass_dispatcher.handler import lambda_handler

    schedule = json.loads((EVENTS / "schedule.json").read_text())
    out: dict[str, Any] = lambda_handler(schedule, Countdown())
    return out


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def schedule(api: httpx.Client, account: Seeded, at: datetime, **extra: Any) -> str:
    resp = api.post(
        "/api/v1/mail/send",
        json={
            "to": "later@example.com",
            "subject": "Scheduled",
            "text": "It is time.",
            "scheduled_at": at.isoformat(),
            **extra,
        },
        headers=auth(account),
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert data["status"] == "scheduled"
    mid: str = data["message_id"]
    return mid


def status(api: httpx.Client, account: Seeded, mid: str) -> dict[str, Any]:
    resp = api.get(f"/api/v1/mail/status/{quote(mid, safe='')}", headers=auth(account))
    assert resp.status_code == 200, resp.text
    view: dict[str, Any] = resp.json()["data"]["message"]
    return view


def delivered_after(sink: SmtpSink, mid: str, at: datetime) -> list[Caught]:
    """Ticks the dispatcher once and returns what the catcher holds for `mid`; anything caught
    before `at` fails the test at once."""
    tick()
    caught = sink.find(mid)
    for c in caught:
        assert c.path.stat().st_mtime >= at.timestamp(), "delivered before its scheduled time"
    return caught


def test_a_scheduled_send_is_delivered_after_its_time_and_not_before(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    at = (utcnow() + AHEAD).astimezone()  # any offset: a local one here
    mid = schedule(api, account, at)
    view = status(api, account, mid)
    assert (view["status"], view["scheduled_at"]) == ("scheduled", iso(at))
    caught = wait_until(lambda: delivered_after(sink, mid, at), "the scheduled message", timeout=90)
    assert len(caught) == 1
    eml = caught[0].path.read_bytes()
    assert b"Subject: Scheduled" in eml
    assert b"It is time." in eml
    assert status(api, account, mid)["status"] == "sent"
    tick()
    assert len(sink.find(mid)) == 1  # exactly once


def test_a_scheduled_message_with_files_waits_with_them_in_s3_and_delivers_them(
    api: httpx.Client, account: Seeded, sink: SmtpSink, services: Container
) -> None:
    at = utcnow() + AHEAD
    mid = schedule(
        api,
        account,
        at,
        html='<p>Report</p><img src="cid:logo">',
        attachments=[
            {"filename": "보고서.pdf", "content": b64(PDF)},
            {"filename": "logo.png", "content": b64(PNG), "content_id": "logo"},
        ],
    )
    prefix = f"scheduled/{account.account_id}/"
    assert len(stored_keys(services, prefix)) == 2  # waiting in the bucket, not in DynamoDB
    caught = wait_until(lambda: delivered_after(sink, mid, at), "the scheduled message", timeout=90)
    assert len(caught) == 1
    eml = message_from_bytes(caught[0].path.read_bytes(), policy=default)
    files = {p.get_filename(): p.get_payload(decode=True) for p in eml.iter_attachments()}
    assert files["보고서.pdf"] == PDF
    inline = [p for p in eml.walk() if p.get("Content-ID") == "<logo>"]
    assert [p.get_payload(decode=True) for p in inline] == [PNG]
    assert status(api, account, mid)["status"] == "sent"
    assert stored_keys(services, prefix) == []  # its own files, deleted once it is final


def test_a_cancel_before_its_time_wins(api: httpx.Client, account: Seeded, sink: SmtpSink) -> None:
    at = utcnow() + AHEAD
    mid = schedule(api, account, at)
    # The id forms /status takes: URL-encoded, brackets or not.
    resp = api.post(f"/api/v1/mail/cancel/{quote(mid.strip('<>'), safe='')}", headers=auth(account))
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"] == {"message_id": mid, "status": "canceled"}
    again = api.post(f"/api/v1/mail/cancel/{quote(mid, safe='')}", headers=auth(account))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "NOT_CANCELABLE")

    canceled = [0]

    def past_its_time_and_taken() -> bool:
        canceled[0] += tick()["canceled"]
        return canceled[0] >= 1 and utcnow() > at

    # Ticks until the dispatcher came to it, past its time, and found it canceled.
    wait_until(past_its_time_and_taken, "the dispatcher to pass the canceled message", timeout=90)
    assert sink.find(mid) == []
    assert status(api, account, mid)["status"] == "canceled"


def test_a_cancel_after_the_hand_off_loses(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    at = utcnow() + AHEAD
    mid = schedule(api, account, at)
    wait_until(lambda: delivered_after(sink, mid, at), "the scheduled message", timeout=90)
    resp = api.post(f"/api/v1/mail/cancel/{quote(mid, safe='')}", headers=auth(account))
    assert resp.status_code == 409, resp.text
    assert resp.json()["error"]["code"] == "NOT_CANCELABLE"
    assert status(api, account, mid)["status"] == "sent"


def test_unknown_and_invalid_times(api: httpx.Client, account: Seeded) -> None:
    missing = api.post("/api/v1/mail/cancel/%3Cnope%40example.com%3E", headers=auth(account))
    assert missing.status_code == 404
    for bad in ("2030-01-01T00:00:00", (utcnow() + timedelta(days=31)).isoformat()):
        resp = api.post(
            "/api/v1/mail/send",
            json={"to": "u@example.com", "subject": "s", "text": "t", "scheduled_at": bad},
            headers=auth(account),
        )
        assert resp.status_code == 400, resp.text


def test_batch_messages_with_scheduled_at(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    at = utcnow() + AHEAD
    resp = api.post(
        "/api/v1/mail/send-batch",
        json={
            "messages": [
                {"to": "now@example.com", "subject": "Now", "text": "now"},
                {
                    "to": "later@example.com",
                    "subject": "Later",
                    "text": "later",
                    "scheduled_at": at.isoformat(),
                },
            ]
        },
        headers=auth(account),
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert (data["queued"], data["scheduled"], data["failed"]) == (1, 1, 0)
    now_item, later_item = data["messages"]
    assert later_item["status"] == "scheduled"
    assert status(api, account, later_item["message_id"])["status"] == "scheduled"
    wait_until(lambda: tick() and sink.find(now_item["message_id"]), "the batch's other message")
    caught = wait_until(
        lambda: delivered_after(sink, later_item["message_id"], at),
        "the batch's scheduled message",
        timeout=90,
    )
    assert len(caught) == 1
    assert b"Subject: Later" in caught[0].path.read_bytes()


class CancelInHandOff:
    """Faults seam: cancels one message right after its pack's claim, before the dispatcher's
    conditional status move (the cancel must win)."""

    def __init__(self, scheduler: Scheduler, principal: Principal, message_id: str) -> None:
        self.scheduler, self.principal, self.message_id = scheduler, principal, message_id
        self.answers: list[str] = []

    def at(self, step: str, message_id: str) -> None:
        if step == "in_handoff" and message_id == self.message_id:
            self.answers.append(cancel_answer(self.scheduler, self.principal, message_id))


def cancel_answer(scheduler: Scheduler, principal: Principal, message_id: str) -> str:
    try:
        return str(scheduler.cancel(principal, message_id)["status"])
    except NotCancelable:
        return "409"


class CancelWhileSending:
    """Senders that cancel one message while the provider has it (the cancel must lose)."""

    def __init__(self, real: SenderFactory, cancel: Callable[[], str], message_id: str) -> None:
        self._real, self._cancel, self._message_id = real, cancel, message_id
        self.answers: list[str] = []

    def for_provider(self, provider: Provider) -> Sender:
        inner, outer = self._real.for_provider(provider), self

        class Wrapped:
            def send(self, message: OutgoingMessage) -> SendReceipt:
                if message.message_id == outer._message_id:
                    outer.answers.append(outer._cancel())
                return inner.send(message)

        return Wrapped()


def test_cancel_racing_the_dispatcher_on_dynamodb_local(
    pipeline: Pipeline,  # noqa: F811 (the fixture, from test_batch)
    account: Seeded,
    sink: SmtpSink,
) -> None:
    services = pipeline.services
    who = Principal(account.account_id, "key_test", frozenset({"mail"}), False)
    scheduler = Scheduler(services.store, lambda: SqsQueue(lambda: pipeline.sqs, pipeline.url))
    sending = SendService(
        services.store, services.senders, services.settings, services.limits, scheduler=scheduler
    )
    at = utcnow() + timedelta(seconds=11)
    ids = [
        sending.send(
            who,
            SendRequest.model_validate(
                {"to": f"r{n}@example.com", "subject": "Race", "text": "t", "scheduled_at": at}
            ),
        ).message_id
        for n in range(2)
    ]
    early, late = ids
    faults = CancelInHandOff(scheduler, who, early)
    senders = CancelWhileSending(
        services.senders, lambda: cancel_answer(scheduler, who, late), late
    )
    dispatcher = pipeline.dispatcher(faults=faults, senders=senders)
    reports: list[DrainReport] = []

    def both_taken() -> bool:
        reports.append(dispatcher.drain(lambda: 60_000))
        return sum(r.sent + r.canceled for r in reports) >= 2

    wait_until(both_taken, "the dispatcher to take both scheduled messages", timeout=90)
    assert (faults.answers, senders.answers) == (["canceled"], ["409"])
    assert (sum(r.sent for r in reports), sum(r.canceled for r in reports)) == (1, 1)
    assert sink.find(early) == []
    assert len(sink.find(late)) == 1
    for mid, final in ((early, "canceled"), (late, "sent")):
        found = services.store.get_message(account.account_id, mid)
        assert found is not None
        assert found[0].status.value == final
