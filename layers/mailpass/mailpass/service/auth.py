"""Resolving an API key into a Principal, and keeping the key's `last_used_at`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from mailpass.errors import Forbidden, Unauthorized
from mailpass.ids import hash_api_key, is_well_formed_key
from mailpass.models import Permission, Principal, utcnow
from mailpass.ports_account import AccountStore

# `last_used_at` is kept to this: at most one write per key per window.
LAST_USED_WINDOW = timedelta(hours=1)

type Later = Callable[[Callable[[], None]], None]


def parse_bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("Missing Authorization header; send 'Authorization: Bearer <api key>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <api key>'")
    return token.strip()


def in_background(work: Callable[[], None]) -> None:
    # A daemon thread, started at most once per key per window in a process: the request never
    # waits for the write. On Lambda a write still in flight when the function is frozen goes
    # on at the next invocation, or is lost with the environment; the next request that reads
    # a stale `last_used_at` tries again.
    threading.Thread(target=work, name="mailpass-last-used", daemon=True).start()


class AuthService:
    def __init__(
        self,
        store: AccountStore,
        later: Later = in_background,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._later = later
        self._clock = clock
        self._touching: set[str] = set()  # key hashes with a last_used_at write in flight

    def authenticate(self, authorization: str | None, required: Permission) -> Principal:
        raw = parse_bearer(authorization)
        # A malformed key cannot exist; answer without a database round trip.
        if not is_well_formed_key(raw):
            raise Unauthorized("Unknown API key")
        key = self._store.get_api_key(hash_api_key(raw))
        if key is None:
            raise Unauthorized("Unknown API key")
        if key.revoked:
            raise Unauthorized("This API key has been revoked")
        if required.value not in key.permissions:
            raise Forbidden(f"This API key lacks the '{required.value}' permission")
        # The lookup above (read on every request anyway) carries last_used_at: only a stale
        # one costs a write, so a key in steady use adds no DynamoDB request to its sends.
        now = self._clock()
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_WINDOW:
            self._touch(key.key_hash, now)
        return Principal(
            account_id=key.account_id,
            key_id=key.key_id,
            permissions=key.permissions,
            test=key.test,
        )

    def _touch(self, key_hash: str, now: datetime) -> None:
        if key_hash in self._touching:  # concurrent requests: one write is enough
            return
        self._touching.add(key_hash)

        def write() -> None:
            try:
                # Conditional: many processes may see the same stale value; one write lands.
                self._store.touch_api_key(key_hash, now, unless_since=now - LAST_USED_WINDOW)
            except Exception:  # a bookkeeping write never fails a request
                from mailpass.observability import logger

                logger.warning("could not record an API key's last use", exc_info=True)
            finally:
                self._touching.discard(key_hash)

        try:
            self._later(write)
        except Exception:  # e.g. no thread could be started: skip it, a later request retries
            self._touching.discard(key_hash)
