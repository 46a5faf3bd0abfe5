"""Scheduled messages with attachments, on the fakes: the files wait in the bucket (under their
own prefix, with its longer lifecycle rule) and the waiting body only names them; the message
goes at its time with its files, and its own files are deleted once it is final, canceled
included. A file gone for good fails its message at once instead of retrying to the DLQ."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from mailpass.errors import PayloadTooLarge, ValidationFailed
from mailpass.models import schedule_bucket
from mailpass.queue_payload import parse
from mailpass.schemas import BatchRequest
from mailpass.service.batch import BatchService
from mailpass.service.dispatch import DispatchService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService

from tests.fakes.attachments import InMemoryAttachments
from tests.unit.conftest import World
from tests.unit.test_schedule import Env, make_env

PDF = b"%PDF-1.4 " + bytes(range(256)) * 8


def file(name: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"filename": name, "content": base64.b64encode(data).decode(), **extra}


@dataclass
class Files:
    env: Env
    bucket: InMemoryAttachments


@pytest.fixture
def files(world: World) -> Files:
    """test_schedule's Env, with a bucket wired into /send, the batch and the dispatcher."""
    env = make_env(world)
    bucket = InMemoryAttachments()
    env.sending = SendService(
        world.store,
        world.senders,
        world.settings,
        Limits(world.store),
        scheduler=env.scheduler,
        attachments=lambda: bucket,
    )
    env.batch = BatchService(
        world.store, env.queue, world.settings, scheduler=env.scheduler, attachments=bucket
    )
    env.dispatcher = DispatchService(
        world.store,
        env.queue,
        world.senders,
        world.settings,
        clock=lambda: env.now[0].timestamp(),  # noqa: PLW0108 (reads `now` as the test moves it)
        receive_wait_seconds=0,
        attachments=bucket,
    )
    return Files(env, bucket)


def waiting_body(env: Env, message_id: str, due_in: timedelta) -> str:
    (entry,) = env.world.store.scheduled_in(schedule_bucket(env.now[0] + due_in))
    assert entry.message_id == message_id
    return entry.body


def test_a_scheduled_message_keeps_its_files_in_the_bucket_and_sends_them_at_its_time(
    files: Files,
) -> None:
    env, bucket = files.env, files.bucket
    mid = env.send(
        timedelta(hours=2),
        attachments=[file("보고서.pdf", PDF), file("logo.png", b"\x89PNG", content_id="logo")],
        html='<p>Report</p><img src="cid:logo">',
    )
    assert env.status(mid)["status"] == "scheduled"
    assert sorted(bucket.objects.values()) == sorted([PDF, b"\x89PNG"])
    assert all(k.startswith(f"scheduled/{env.principal.account_id}/") for k in bucket.objects)
    body = waiting_body(env, mid, timedelta(hours=2))
    assert base64.b64encode(PDF).decode()[:60] not in body  # named, never carried
    payload = parse(body)
    assert payload.scheduled
    assert sorted(payload.delete_after) == sorted(bucket.objects)  # its files alone
    assert env.tick_and_drain() == 0
    assert env.delivered == []
    env.advance(timedelta(hours=2))
    assert env.tick_and_drain() == 1
    (sent,) = env.delivered
    parsed = message_from_bytes(sent.raw, policy=default)
    parts = {p.get_filename(): p.get_payload(decode=True) for p in parsed.iter_attachments()}
    assert parts["보고서.pdf"] == PDF
    inline = [p for p in parsed.walk() if p.get("Content-ID") == "<logo>"]
    assert [p.get_payload(decode=True) for p in inline] == [b"\x89PNG"]
    assert env.status(mid)["status"] == "sent"
    assert bucket.objects == {}  # final: its own files are gone


def test_a_canceled_message_never_sends_and_its_files_go_when_its_pack_is_final(
    files: Files,
) -> None:
    env, bucket = files.env, files.bucket
    mid = env.send(timedelta(minutes=30), attachments=[file("a.pdf", PDF)])
    assert len(bucket.objects) == 1
    env.scheduler.cancel(env.principal, mid)
    env.advance(timedelta(minutes=30))
    env.tick_and_drain()
    assert env.tick_and_drain() == 0
    assert env.delivered == []
    assert env.status(mid)["status"] == "canceled"
    assert bucket.objects == {}


def test_a_file_gone_for_good_fails_its_message_at_once_with_the_reason(files: Files) -> None:
    env, bucket = files.env, files.bucket
    mid = env.send(timedelta(minutes=5), attachments=[file("a.pdf", PDF)])
    bucket.objects.clear()  # expired or deleted while it waited
    env.advance(timedelta(minutes=5))
    report = env.dispatcher.drain(lambda: 60_000)
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    view = env.status(mid)
    assert view["status"] == "failed"
    assert "a.pdf" in view["error_message"]
    assert "no longer stored" in view["error_message"]


def test_a_bucket_that_fails_for_now_delays_the_message_and_does_not_fail_it(
    files: Files,
) -> None:
    env, bucket = files.env, files.bucket
    mid = env.send(timedelta(minutes=5), attachments=[file("a.pdf", PDF)])
    env.advance(timedelta(minutes=5))
    bucket.unavailable = True
    report = env.dispatcher.drain(lambda: 60_000)
    assert (report.sent, report.failed, report.retried) == (0, 0, 1)
    bucket.unavailable = False
    env.advance(timedelta(hours=1))  # past the backoff
    assert env.dispatcher.drain(lambda: 60_000).sent == 1
    assert env.status(mid)["status"] == "sent"


def test_a_scheduled_message_too_large_for_the_provider_is_refused_and_stores_nothing(
    files: Files,
) -> None:
    env, bucket = files.env, files.bucket
    config = env.world.store.get_account_config(env.principal.account_id)
    assert config is not None
    assert config.default_provider is not None
    limit = config.default_provider.message_size_limit
    big = b"x" * (limit // 4 * 3 + 1)  # base64 puts it over the provider's limit
    with pytest.raises(PayloadTooLarge):
        env.send(timedelta(hours=1), attachments=[file("big.bin", big)])
    assert bucket.objects == {}
    assert env.world.store.scheduled_in(schedule_bucket(env.now[0] + timedelta(hours=1))) == []


def test_without_a_bucket_a_scheduled_message_with_files_is_a_clear_400(world: World) -> None:
    env = make_env(world)  # its SendService has no bucket
    with pytest.raises(ValidationFailed, match="attachment bucket"):
        env.send(timedelta(hours=1), attachments=[file("a.pdf", PDF)])


def test_a_batch_schedules_messages_with_files_next_to_messages_sent_now(files: Files) -> None:
    env, bucket = files.env, files.bucket
    later = (env.now[0] + timedelta(hours=1)).isoformat()
    shared = file("terms.pdf", PDF)

    def message(i: int, **extra: Any) -> dict[str, Any]:
        return {"to": f"u{i}@example.com", "subject": "s", "text": "t", **extra}

    out = env.batch.enqueue(
        env.principal,
        BatchRequest(
            messages=[
                message(0, attachments=[shared]),  # now
                message(1, attachments=[shared], scheduled_at=later),
                message(2, attachments=[shared, file("own.txt", b"mine")], scheduled_at=later),
            ]
        ),
    )
    assert (out["queued"], out["scheduled"]) == (1, 2)
    now_keys = [k for k in bucket.objects if k.startswith("batch/")]
    later_keys = [k for k in bucket.objects if k.startswith("scheduled/")]
    assert len(now_keys) == 1  # the batch's copy for the message sent now
    assert len(later_keys) == 2  # the shared file once, own.txt once
    assert env.dispatcher.drain(lambda: 60_000).sent == 1
    assert [k for k in bucket.objects if k.startswith("batch/")] == []  # its pack's own
    env.advance(timedelta(hours=1))
    assert env.tick_and_drain() == 2
    names = sorted(
        tuple(
            sorted(
                str(p.get_filename()) for p in message_from_bytes(m.raw).walk() if p.get_filename()
            )
        )
        for m in env.delivered
    )
    assert names == [("own.txt", "terms.pdf"), ("terms.pdf",), ("terms.pdf",)]
    # own.txt was one pack's alone; the shared file is left to the lifecycle rule.
    assert [k for k in bucket.objects if k.startswith("scheduled/")] == [
        k for k in later_keys if bucket.objects.get(k) == PDF
    ]
