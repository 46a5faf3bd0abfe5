"""Identifiers: Message-IDs, API keys and their hashes, record ids."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import time
from urllib.parse import unquote

BASE62 = string.digits + string.ascii_letters
LIVE_PREFIX = "mp_live_"
TEST_PREFIX = "mp_test_"
KEY_RANDOM_LENGTH = 40
_KEY_RE = re.compile(r"^mp_(live|test)_[0-9A-Za-z]{32,128}$")
_MESSAGE_ID_RE = re.compile(r"^[\x21-\x3b\x3d\x3f\x41-\x7e]+@[A-Za-z0-9.-]+$")


def random_base62(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_api_key(*, test: bool = False) -> str:
    return (TEST_PREFIX if test else LIVE_PREFIX) + random_base62(KEY_RANDOM_LENGTH)


def is_well_formed_key(raw: str) -> bool:
    return bool(_KEY_RE.match(raw))


def is_test_key(raw: str) -> bool:
    return raw.startswith(TEST_PREFIX)


def hash_api_key(raw: str) -> str:
    # Keys carry 238 random bits: a fast hash suffices, a slow KDF would only add latency.
    return hashlib.sha256(raw.encode()).hexdigest()


def key_display_prefix(raw: str) -> str:
    return raw[: len(LIVE_PREFIX) + 6]


def key_last4(raw: str) -> str:
    return raw[-4:]


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(20)}"


def new_message_id(domain: str, now: float | None = None) -> str:
    stamp = int(now if now is not None else time.time())
    return f"<{secrets.token_hex(12)}.{stamp}@{domain}>"


def normalize_message_id(raw: str) -> str | None:
    """Accept a Message-ID with or without angle brackets, URL-encoded (once or twice) or not.
    Returns the canonical `<local@domain>` form, or None when it cannot be one."""
    value = raw.strip()
    for _ in range(2):
        if "%" not in value:
            break
        value = unquote(value)
    # Brackets are optional, and a copy-paste may keep only one of them.
    value = value.strip().removeprefix("<").removesuffix(">")
    if not _MESSAGE_ID_RE.match(value) or len(value) > 250:
        return None
    return f"<{value}>"
