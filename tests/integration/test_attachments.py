"""Attachments end to end: over HTTP into the SMTP catcher, read back from the delivered .eml
with the stdlib parser (policy=default), as a mail client would."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
import pytest
from mailpass.adapters.sqs import SqsQueue
from mailpass.container import Container
from mailpass.schemas import BatchRequest
from mailpass.service.batch import BatchService
from mailpass.service.dispatch import DispatchService
from mailpass.service.pack import DrainReport
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

from tests.integration.test_batch import Pipeline, pipeline, principal
from tests.integration.test_batch import messages as batch_messages

__all__ = ["pipeline"]  # the fixture, shared with test_batch

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def delivered(sink: SmtpSink, message_id: str) -> EmailMessage:
    (caught,) = sink.find(message_id)
    return message_from_bytes(caught.data, policy=default)


def send(api: httpx.Client, account: Seeded, **fields: Any) -> httpx.Response:
    body = {"to": "user@example.com", "subject": "보고서", **fields}
    return api.post("/api/v1/mail/send", headers=auth(account), json=body)


def test_a_korean_file_name_arrives_intact(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    resp = send(
        api,
        account,
        text="첨부 파일을 확인하세요",
        attachments=[{"filename": "보고서.pdf", "content": b64(PDF)}],
    )
    assert resp.status_code == 200, resp.text
    msg = delivered(sink, resp.json()["data"]["message_id"])
    assert msg.get_content_type() == "multipart/mixed"
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "보고서.pdf"
    assert part.get_content_type() == "application/pdf"  # guessed from the name
    assert part.get_payload(decode=True) == PDF
    assert msg.get_body(("plain",)).get_content().strip() == "첨부 파일을 확인하세요"  # type: ignore[union-attr]


def test_an_inline_image_is_referenced_by_cid(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    resp = send(
        api,
        account,
        html='<p>Hi</p><img src="cid:logo">',
        attachments=[
            {"filename": "logo.png", "content": b64(PNG), "content_id": "logo"},
            {"filename": "terms.txt", "content": b64(b"terms"), "content_type": "text/plain"},
        ],
    )
    assert resp.status_code == 200, resp.text
    msg = delivered(sink, resp.json()["data"]["message_id"])
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert 'src="cid:logo"' in html.get_content()
    assert image["Content-ID"] == "<logo>"
    assert image.get_payload(decode=True) == PNG
    assert [p.get_filename() for p in msg.iter_attachments()] == ["terms.txt"]


def test_blocked_types_and_bad_base64_are_400s_naming_the_file(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    before = len(sink.caught)
    resp = send(api, account, text="x", attachments=[{"filename": "run.exe", "content": "eA=="}])
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "run.exe" in resp.text
    resp = send(api, account, text="x", attachments=[{"filename": "a.pdf", "content": "@@"}])
    assert resp.status_code == 400
    assert "'a.pdf': content is not valid base64" in resp.text
    assert len(sink.caught) == before


def test_a_message_over_the_providers_size_is_413_and_not_sent(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    patched = api.patch(
        f"/api/v1/smtp-providers/{account.provider_id}",
        headers=auth(account),
        json={"max_message_bytes": 100 * 1024},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["max_message_bytes"] == 100 * 1024
    before = len(sink.caught)
    big = [{"filename": "big.bin", "content": b64(bytes(90 * 1024))}]
    resp = send(api, account, text="x", attachments=big)
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "takes at most 102400" in resp.json()["error"]["message"]
    assert len(sink.caught) == before
    small = [{"filename": "small.bin", "content": b64(bytes(60 * 1024))}]
    assert send(api, account, text="x", attachments=small).status_code == 200


# batches: the files wait in S3 (moto, the bucket made from template.yaml) ----------------
def stored_keys(services: Container, prefix: str) -> list[str]:
    s3 = boto3_s3()
    bucket = services.settings.attachment_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def boto3_s3() -> Any:
    import boto3

    return boto3.session.Session().client("s3", region_name="us-east-1")


def batch_with_files(
    pipeline: Pipeline, account: Seeded, n: int, files: list[dict[str, Any]]
) -> dict[str, Any]:
    service = BatchService(
        pipeline.services.store,
        SqsQueue(lambda: pipeline.sqs, pipeline.url),
        pipeline.services.settings,
        attachments=pipeline.services.attachments,
    )
    request = BatchRequest(messages=[{**m, "attachments": files} for m in batch_messages(n)])
    return service.enqueue(principal(account), request)


def drain_with_files(pipeline: Pipeline) -> DrainReport:
    s = pipeline.services.settings.model_copy(
        update={"lease_seconds": 30, "visibility_seconds": 60, "drain_margin_ms": 0}
    )
    return DispatchService(
        pipeline.services.store,
        SqsQueue(lambda: pipeline.sqs, pipeline.url),
        pipeline.services.senders,
        s,
        receive_wait_seconds=0,
        attachments=pipeline.services.attachments,
    ).drain(lambda: 60_000)


def test_the_bucket_is_made_from_the_template(services: Container) -> None:
    bucket = services.settings.attachment_bucket
    assert bucket
    s3 = boto3_s3()
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    days = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules}
    # Batch files go with the message retention; scheduled files outlive a 30-day wait.
    assert days == {"batch/": services.settings.message_retention_days, "scheduled/": 45}
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert sse["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_a_100_message_batch_stores_its_shared_file_once_and_delivers_it_to_each(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    files = [{"filename": "보고서.pdf", "content": b64(PDF)}]
    result = batch_with_files(pipeline, account, 100, files)
    assert result["queued"] == 100, result["messages"][:2]
    keys = stored_keys(pipeline.services, f"batch/{account.account_id}/")
    assert len(keys) == 1  # one object for the hundred
    (body,) = [m["Body"] for m in peek(pipeline)][:1]
    assert b64(PDF)[:100] not in body  # the queue carries the reference, not the bytes
    assert drain_with_files(pipeline).sent == 100
    for item in result["messages"]:
        msg = delivered(sink, item["message_id"])
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == "보고서.pdf"
        assert part.get_payload(decode=True) == PDF
    # Shared by the batch's four packs: no pack knows when the others are done, so the bucket's
    # lifecycle rule expires it (see README, Attachments).
    assert stored_keys(pipeline.services, f"batch/{account.account_id}/") == keys


def test_a_packs_own_files_are_deleted_once_its_messages_are_final(
    pipeline: Pipeline, account: Seeded, sink: SmtpSink
) -> None:
    files = [
        {"filename": "logo.png", "content": b64(PNG), "content_id": "logo"},
        {"filename": "a.txt", "content": b64(b"a")},
    ]
    result = batch_with_files(pipeline, account, 3, files)
    assert result["queued"] == 3
    assert len(stored_keys(pipeline.services, f"batch/{account.account_id}/")) == 2
    assert drain_with_files(pipeline).sent == 3
    assert stored_keys(pipeline.services, f"batch/{account.account_id}/") == []
    msg = delivered(sink, result["messages"][0]["message_id"])
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo>"
    assert image.get_payload(decode=True) == PNG


def test_a_batch_file_over_the_providers_size_fails_that_message_alone(
    pipeline: Pipeline, account: Seeded, api: httpx.Client
) -> None:
    api.patch(
        f"/api/v1/smtp-providers/{account.provider_id}",
        headers=auth(account),
        json={"max_message_bytes": 100 * 1024},
    )
    service = BatchService(
        pipeline.services.store,
        SqsQueue(lambda: pipeline.sqs, pipeline.url),
        pipeline.services.settings,
        attachments=pipeline.services.attachments,
    )
    big = {"filename": "big.bin", "content": b64(bytes(90 * 1024))}
    msgs = batch_messages(2)
    msgs[1]["attachments"] = [big]
    result = service.enqueue(principal(account), BatchRequest(messages=msgs))
    assert [m["status"] for m in result["messages"]] == ["queued", "failed"]
    assert result["messages"][1]["error"]["code"] == "PAYLOAD_TOO_LARGE"


def peek(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The queue's bodies, made visible again at once."""
    got = pipeline.sqs.receive_message(
        QueueUrl=pipeline.url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return list(got.get("Messages", []))


def test_a_missing_object_is_missing_for_good_in_s3_as_in_the_fake(services: Container) -> None:
    # The dispatcher fails messages on AttachmentMissing and retries on AttachmentUnavailable:
    # the adapter and the fake must tell them apart the same way.
    from mailpass.errors import AttachmentMissing

    from tests.fakes.attachments import InMemoryAttachments

    store = services.attachments
    assert store is not None
    for bucket in (store, InMemoryAttachments()):
        bucket.put("batch/x/y/present", b"here")
        assert bucket.get("batch/x/y/present") == b"here"
        bucket.delete(["batch/x/y/present"])
        with pytest.raises(AttachmentMissing):
            bucket.get("batch/x/y/present")
