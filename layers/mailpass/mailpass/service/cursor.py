"""Opaque page cursors: a store's position, signed with HMAC-SHA256 over the account and the
filter set it was issued for. A client cannot forge one, nor replay one against another account
(another partition) or with other filters (another index); any of those is a 400."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from mailpass.errors import ValidationFailed
from mailpass.ports_listing import Position

_MAC_BYTES = 16  # 128 bits: forging is out of reach, and the cursor stays short


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key of its own for cursors, from a secret that has another use (tracking tokens):
    a MAC made for one purpose is never valid for the other."""
    return hmac.new(secret, f"mailpass cursor key: {purpose}".encode(), hashlib.sha256).digest()


class Cursors:
    def __init__(self, key: bytes, kind: str) -> None:
        self._key = key
        self._kind = kind

    def _mac(self, account_id: str, scope: str, body: str) -> bytes:
        message = "\0".join((self._kind, account_id, scope, body)).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def seal(self, account_id: str, scope: str, position: Position | None) -> str | None:
        if position is None:
            return None
        body = _b64(json.dumps(position, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{body}.{_b64(self._mac(account_id, scope, body))}"

    def open(self, account_id: str, scope: str, cursor: str | None) -> Position | None:
        if cursor is None:
            return None
        body, _, mac = cursor.partition(".")
        try:
            given = _unb64(mac)
            valid = hmac.compare_digest(given, self._mac(account_id, scope, body))
            position = json.loads(_unb64(body)) if valid else None
        except (ValueError, UnicodeDecodeError):
            position = None
        if not isinstance(position, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in position.items()
        ):
            raise ValidationFailed(
                "Invalid cursor: pass next_cursor back as given, with the same filters",
                details=[{"field": "cursor", "message": "invalid cursor", "type": "value_error"}],
            )
        return position
