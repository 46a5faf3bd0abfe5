"""Batch attachments in S3 (ports.AttachmentStore): one object per distinct file of a batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailpass.errors import AttachmentMissing, AttachmentUnavailable
from mailpass.observability import logger


class S3Attachments:
    def __init__(self, client: Callable[[], Any], bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        # The bucket's default encryption (SSE-S3) applies; asked for explicitly all the same.
        self._client().put_object(
            Bucket=self._bucket, Key=key, Body=data, ServerSideEncryption="AES256"
        )

    def get(self, key: str) -> bytes:
        try:
            body = self._client().get_object(Bucket=self._bucket, Key=key)["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
        except Exception as exc:
            if _no_such_key(exc):  # gone for good: the messages naming it fail, not retry
                raise AttachmentMissing(f"{key}: no such object") from exc
            # Throttling, the network, permissions: "not now", tried again later.
            raise AttachmentUnavailable(f"{key}: {type(exc).__name__}: {exc}") from exc
        return data

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):  # DeleteObjects' own maximum
            chunk = [{"Key": k} for k in keys[i : i + 1000]]
            try:
                out = self._client().delete_objects(
                    Bucket=self._bucket, Delete={"Objects": chunk, "Quiet": True}
                )
            except Exception as exc:
                logger.warning(
                    "attachments not deleted", extra={"keys": len(chunk), "why": str(exc)}
                )
                continue
            if out.get("Errors"):
                logger.warning("attachments not deleted", extra={"errors": out["Errors"][:5]})


def _no_such_key(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    return code in ("NoSuchKey", "404")
