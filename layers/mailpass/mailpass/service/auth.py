"""Resolving an API key into a Principal."""

from __future__ import annotations

from mailpass.errors import Forbidden, Unauthorized
from mailpass.ids import hash_api_key, is_well_formed_key
from mailpass.models import Permission, Principal
from mailpass.ports import AccountStore


def parse_bearer(header: str | None) -> str:
    if not header:
        raise Unauthorized("Missing Authorization header; send 'Authorization: Bearer <api key>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <api key>'")
    return token.strip()


class AuthService:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

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
        return Principal(
            account_id=key.account_id,
            key_id=key.key_id,
            permissions=key.permissions,
            test=key.test,
        )
