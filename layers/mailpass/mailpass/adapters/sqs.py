"""The send queue on SQS: every call batched in tens, the API's own maximum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailpass.ports import QueuedMessage


class SqsQueue:
    def __init__(self, client: Callable[[], Any], url: str) -> None:
        self._client = client
        self._url = url

    def send_batch(
        self, bodies: dict[str, str], delays: dict[str, int] | None = None
    ) -> dict[str, str]:
        failed: dict[str, str] = {}
        items = list(bodies.items())
        delays = delays or {}
        for i in range(0, len(items), 10):
            entries: list[dict[str, Any]] = [
                {"Id": k, "MessageBody": v, **({"DelaySeconds": delays[k]} if k in delays else {})}
                for k, v in items[i : i + 10]
            ]
            try:
                out = self._client().send_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as exc:  # the whole call failed: every entry in it did
                failed.update({e["Id"]: f"{type(exc).__name__}: {exc}" for e in entries})
                continue
            for f in out.get("Failed", []):
                failed[f["Id"]] = f"{f.get('Code', '')}: {f.get('Message', '')}"
        return failed

    def receive(self, max_messages: int, wait_seconds: int, visibility: int) -> list[QueuedMessage]:
        out = self._client().receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=visibility,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            QueuedMessage(
                receipt=m["ReceiptHandle"],
                body=m["Body"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
            )
            for m in out.get("Messages", [])
        ]

    def delete(self, receipts: list[str]) -> None:
        receipts = list(dict.fromkeys(receipts))  # SQS refuses a batch naming one twice
        for i in range(0, len(receipts), 10):
            entries = [
                {"Id": str(n), "ReceiptHandle": r} for n, r in enumerate(receipts[i : i + 10])
            ]
            self._client().delete_message_batch(QueueUrl=self._url, Entries=entries)

    def delay(self, receipts: dict[str, int]) -> None:
        items = list(receipts.items())
        for i in range(0, len(items), 10):
            entries = [
                {"Id": str(n), "ReceiptHandle": r, "VisibilityTimeout": s}
                for n, (r, s) in enumerate(items[i : i + 10])
            ]
            self._client().change_message_visibility_batch(QueueUrl=self._url, Entries=entries)

    def depth(self) -> dict[str, int]:
        attrs = self._client().get_queue_attributes(
            QueueUrl=self._url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return {
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        }
