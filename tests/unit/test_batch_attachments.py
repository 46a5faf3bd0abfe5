"""Batch attachments on the fakes: stored once per batch by content hash, referenced (never
carried) by the queue payload, read once per drain, a pack's own objects deleted when final,
and a bucket that cannot be read delays the pack instead of failing or duplicating it."""

from __future__ import annotations

import base64
import hashlib
import json
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from mailpass.queue_payload import WITH_ATTACHMENTS_VERSION, parse
from mailpass.schemas import BatchRequest
from mailpass.service.batch import BatchService
from mailpass.service.dispatch import DispatchService
from mailpass.settings import Settings

from tests.fakes.attachments import InMemoryAttachments
from tests.fakes.queue import InMemoryQueue
from tests.unit.test_delivery_table import Env, make_env
from tests.unit.test_queue_payload import queues, status

PDF = b"%PDF-1.4 " + bytes(range(256)) * 8


def file(name: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"filename": name, "content": base64.b64encode(data).decode(), **extra}


def messages(n: int, *files: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"to": f"u{i}@example.com", "subject": "s", "text": "t", "attachments": list(files)}
        for i in range(n)
    ]


def setup(
    settings: Settings,
) -> tuple[Env, InMemoryQueue, InMemoryAttachments, BatchService, DispatchService]:
    env = make_env(settings, test=False)
    queue, dlq = queues(env)
    bucket = InMemoryAttachments()
    batch = BatchService(env.store, queue, settings, attachments=bucket)
    dispatcher = DispatchService(
        env.store,
        queue,
        env.world.senders,
        settings,
        dead_letters=dlq,
        clock=lambda: env.now[0],
        receive_wait_seconds=0,
        attachments=bucket,
    )
    return env, queue, bucket, batch, dispatcher


def test_identical_files_are_stored_once_and_the_queue_carries_references(
    settings: Settings,
) -> None:
    env, queue, bucket, batch, _ = setup(settings)
    out = batch.enqueue(
        env.principal,
        BatchRequest(messages=messages(60, file("a.pdf", PDF), file("copy.pdf", PDF))),
    )
    assert out["queued"] == 60
    assert len(bucket.objects) == 1  # 120 file parts, one content
    (key,) = bucket.objects
    assert key.startswith(f"batch/{env.account}/")
    assert key.endswith(hashlib.sha256(PDF).hexdigest())
    bodies = queue.bodies()
    assert len(bodies) == 3
    for body in bodies:
        assert base64.b64encode(PDF).decode()[:60] not in body
        payload = parse(body)
        assert json.loads(body)["v"] == WITH_ATTACHMENTS_VERSION
        refs = payload.messages[0].message.attachments
        assert [(r.filename, r.content_type, r.key) for r in refs] == [
            ("a.pdf", "application/pdf", key),
            ("copy.pdf", "application/pdf", key),
        ]
        assert payload.delete_after == ()  # shared by three packs: the lifecycle rule's
        assert parse(payload.dump()) == payload


def test_the_drain_reads_each_object_once_and_sends_the_files(settings: Settings) -> None:
    env, _, bucket, batch, dispatcher = setup(settings)
    batch.enqueue(env.principal, BatchRequest(messages=messages(60, file("보고서.pdf", PDF))))
    assert dispatcher.drain(lambda: 60_000).sent == 60
    assert len(bucket.gets) == 1
    for sent in env.world.senders.sender.delivered:
        (part,) = list(message_from_bytes(sent.raw, policy=default).iter_attachments())
        assert part.get_filename() == "보고서.pdf"
        assert part.get_payload(decode=True) == PDF


def test_a_packs_own_objects_go_once_its_messages_are_final(settings: Settings) -> None:
    env, queue, bucket, batch, dispatcher = setup(settings)
    batch.enqueue(
        env.principal, BatchRequest(messages=messages(3, file("a.txt", b"a"), file("b", b"b")))
    )
    (body,) = queue.bodies()
    assert len(parse(body).delete_after) == 2
    assert len(bucket.objects) == 2
    assert dispatcher.drain(lambda: 60_000).sent == 3
    assert bucket.objects == {}


def test_an_unreadable_bucket_delays_the_pack_and_sends_nothing_twice(
    settings: Settings,
) -> None:
    env, _, bucket, batch, dispatcher = setup(settings)
    out = batch.enqueue(env.principal, BatchRequest(messages=messages(2, file("a.pdf", PDF))))
    bucket.unavailable = True
    report = dispatcher.drain(lambda: 60_000)
    assert (report.sent, report.failed, report.retried) == (0, 0, 2)
    mid = out["messages"][0]["message_id"]
    assert status(env.store, env.account, mid)[0] == "queued"  # not "interrupted": never began
    bucket.unavailable = False
    env.now[0] += 3600  # past the backoff
    assert dispatcher.drain(lambda: 60_000).sent == 2
    assert len(env.world.senders.sender.delivered) == 2
    assert status(env.store, env.account, mid)[0] == "sent"


def test_without_a_bucket_batch_files_are_refused_per_message(settings: Settings) -> None:
    env = make_env(settings, test=False)
    queue, _ = queues(env)
    msgs = [{"to": "a@example.com", "subject": "s", "text": "t"}, *messages(1, file("a", b"a"))]
    out = BatchService(env.store, queue, settings).enqueue(
        env.principal, BatchRequest(messages=msgs)
    )
    assert [m["status"] for m in out["messages"]] == ["queued", "failed"]
    assert "attachment bucket" in out["messages"][1]["error"]["message"]
    (body,) = queue.bodies()
    assert json.loads(body)["v"] == 2  # plain packs stay version 2


@pytest.mark.parametrize("bad", [file("x.exe", b"x"), {"filename": "a.pdf", "content": "@"}])
def test_an_invalid_file_fails_its_message_alone(settings: Settings, bad: dict[str, Any]) -> None:
    env, _, bucket, batch, _ = setup(settings)
    out = batch.enqueue(
        env.principal,
        BatchRequest(messages=[*messages(1, file("ok.txt", b"ok")), *messages(1, bad)]),
    )
    assert [m["status"] for m in out["messages"]] == ["queued", "failed"]
    assert bad["filename"] in json.dumps(out["messages"][1]["error"])
    assert len(bucket.objects) == 1
