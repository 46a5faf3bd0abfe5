"""Verify MailPass webhook deliveries: Standard Webhooks signatures (standardwebhooks.com).

Each delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`:
space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` entries (two while a
rotated secret is in its 24-hour overlap). The secret is `whsec_` + base64 of the key bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from mailpass_sdk.errors import MailPassError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(MailPassError):
    """The delivery is not from MailPass, was altered, or is outside the timestamp tolerance."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="WEBHOOK_VERIFICATION_FAILED")


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        # Unpadded base64 is accepted too, as the reference libraries do.
        return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("The secret is not whsec_ + base64") from exc


def sign(secret: str | bytes, msg_id: str, timestamp: int, payload: str | bytes) -> str:
    """The `v1,<base64>` signature of one delivery (what MailPass sends; handy in tests)."""
    body = payload.encode() if isinstance(payload, str) else payload
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    payload: str | bytes,
    headers: Mapping[str, str],
    secret: str | bytes,
    tolerance: int = DEFAULT_TOLERANCE,
) -> Any:
    """Check a delivery's signature and timestamp and return its decoded JSON body.

    `payload` is the raw request body exactly as received (not re-serialized JSON), `headers`
    the request's headers (any case). Raises WebhookVerificationError on any mismatch."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
    now = time.time()
    if timestamp < now - tolerance:
        raise WebhookVerificationError("The delivery's timestamp is too old")
    if timestamp > now + tolerance:
        raise WebhookVerificationError("The delivery's timestamp is too new")
    expected = sign(secret, msg_id, timestamp, payload).split(",", 1)[1].encode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            body = payload.decode() if isinstance(payload, bytes) else payload
            return json.loads(body)
    raise WebhookVerificationError("No matching signature")


__all__ = ["WebhookVerificationError", "sign", "verify"]
