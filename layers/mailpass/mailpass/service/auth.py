"""Resolving an API key into a Principal, and keeping the key's `last_used_at`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailpass.errors import Forbidden, Unauthorized
from mailpass.ids import hash_api_key, is_well_formed_key
from mailpass.models import Permission, Principal, utcnow
from mailpass.ports import AccountConfig
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


@dataclass
class _Known:
    """A key this process has authenticated: its account (which never changes) and its
    `last_used_at` as last read or written here."""

    account_id: str
    last_used_at: datetime | None
    # False for a live key its account's grants do not hold: made before they were kept, it
    # never gets one, so its own item answers it straight away (one read, as before grants).
    granted: bool = True


class AuthService:
    """An API key, resolved on every request against the database, consistently: a revoked key
    stops working with the very next request.

    A key seen before in this process is answered by the account's config Query, which carries
    the grants of the account's live keys (ports.AccountConfig.keys), and the config read is
    handed on with the Principal for the use case to reuse: a warm /send makes one read for
    both. Only the key hash -> account mapping is remembered, as it never changes; whether the
    key is live and what it may do is read each time. A key the process has not seen, or one
    its account's grants do not hold (revoked, or made before grants were kept there), is read
    from its own item; after that, only its item is read for it (a revoked key is forgotten,
    an older live key marked), so neither pays for the config read it cannot use."""

    def __init__(
        self,
        store: AccountStore,
        later: Later = in_background,
        clock: Callable[[], datetime] = utcnow,
        remember: int = 10_000,
    ) -> None:
        self._store = store
        self._later = later
        self._clock = clock
        self._touching: set[str] = set()  # key hashes with a last_used_at write in flight
        # Key hash -> _Known, least recently used first; bounded, and only keys that exist.
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None, required: Permission) -> Principal:
        raw = parse_bearer(authorization)
        # A malformed key cannot exist; answer without a database round trip.
        if not is_well_formed_key(raw):
            raise Unauthorized("Unknown API key")
        key_hash = hash_api_key(raw)
        known = self._recall(key_hash)
        config: AccountConfig | None = None
        if known is not None and known.granted:
            config = self._store.get_account_config(known.account_id)
            grant = config.keys.get(key_hash) if config is not None else None
            if grant is not None:
                principal = Principal(
                    known.account_id, grant.key_id, grant.permissions, grant.test, config
                )
                return self._admitted(principal, key_hash, known, required)
        key = self._store.get_api_key(key_hash)
        if key is None:
            raise Unauthorized("Unknown API key")
        if key.revoked:
            self._forget(key_hash)  # for good: its own item answers it from now on
            raise Unauthorized("This API key has been revoked")
        looked = config is not None  # its account's grants were read, and did not hold it
        known = self._learn(key_hash, key.account_id, key.last_used_at)
        if looked:
            known.granted = False
        principal = Principal(key.account_id, key.key_id, key.permissions, key.test, config)
        return self._admitted(principal, key_hash, known, required)

    def _admitted(
        self, principal: Principal, key_hash: str, known: _Known, required: Permission
    ) -> Principal:
        if required.value not in principal.permissions:
            raise Forbidden(f"This API key lacks the '{required.value}' permission")
        # Only a stale last_used_at (as this process knows it) costs a write, so a key in
        # steady use adds no DynamoDB request to its sends.
        now = self._clock()
        if known.last_used_at is None or known.last_used_at < now - LAST_USED_WINDOW:
            self._touch(key_hash, known, now)
        return principal

    def _recall(self, key_hash: str) -> _Known | None:
        with self._lock:
            known = self._known.get(key_hash)
            if known is not None:
                self._known.move_to_end(key_hash)
            return known

    def _forget(self, key_hash: str) -> None:
        with self._lock:
            self._known.pop(key_hash, None)

    def _learn(self, key_hash: str, account_id: str, last_used_at: datetime | None) -> _Known:
        with self._lock:
            known = self._known.get(key_hash)
            if known is None:
                known = self._known[key_hash] = _Known(account_id, last_used_at)
                if len(self._known) > self._remember:
                    self._known.popitem(last=False)
            elif last_used_at is not None and (
                known.last_used_at is None or known.last_used_at < last_used_at
            ):
                known.last_used_at = last_used_at
            return known

    def _touch(self, key_hash: str, known: _Known, now: datetime) -> None:
        if key_hash in self._touching:  # concurrent requests: one write is enough
            return
        self._touching.add(key_hash)

        def write() -> None:
            try:
                # Conditional: many processes may see the same stale value; one write lands.
                # Either way a value of the last hour is stored now.
                self._store.touch_api_key(key_hash, now, unless_since=now - LAST_USED_WINDOW)
                known.last_used_at = now
            except Exception:  # a bookkeeping write never fails a request
                from mailpass.observability import logger

                logger.warning("could not record an API key's last use", exc_info=True)
            finally:
                self._touching.discard(key_hash)

        try:
            self._later(write)
        except Exception:  # e.g. no thread could be started: skip it, a later request retries
            self._touching.discard(key_hash)
