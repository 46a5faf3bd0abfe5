"""Webhook signatures: Standard Webhooks (https://www.standardwebhooks.com) and the legacy
`MailPass-Signature` header, which every delivery still carries for receivers built before.

Standard Webhooks: `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (unix
seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`,
space-separated when more than one secret signs (the 24 hours after a rotation). The secret is
`whsec_` + base64 of 32 random bytes; the HMAC key is those bytes.

Why a few lines of hmac and not the `standardwebhooks` package at run time: the package is tiny
and has no dependencies, so weight is not the reason. Signing is the easy half (its `sign` is the
same four lines), and ours must also read the secrets made before this scheme, which are the
URL-safe base64 alphabet (`standardwebhooks` silently drops `-` and `_` and so derives another
key). Above all the tests verify our deliveries with the package itself: a signer of our own
checked by the reference verifier proves interoperability, where the package checking its own
signatures would prove only that it agrees with itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105  # the spec's marker, not a secret
SECRET_BYTES = 32  # the spec allows 24 to 64
LEGACY_HEADER = "MailPass-Signature"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for. Secrets made before Standard Webhooks are the
    same 32 random bytes in base64's URL-safe alphabet, unpadded: read in either alphabet, so
    old webhooks sign with the very bytes their owners hold (the README tells how to convert)."""
    body = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    standard = body.replace("-", "+").replace("_", "/")
    return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(signing_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def standard_headers(
    msg_id: str, timestamp: int, body: bytes, secrets_in_use: list[str]
) -> dict[str, str]:
    """The Standard Webhooks headers, signed with each secret (the current one first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_use),
    }


def legacy_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret as text, "<t>.<body>")>`, as before."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_legacy(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver of the legacy header does (and what the README showed)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = legacy_signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
