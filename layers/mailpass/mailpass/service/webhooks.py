"""Webhooks: an account's HTTPS endpoints for chosen event types.

Recording an event never waits on a receiver: it only puts a delivery on the webhook queue (and
not even that when the account has no webhook for the event). The webhook function posts each
delivery, signed, and a failure goes back to the queue with exponential backoff until the DLQ.

Signature: `MailPass-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
A receiver recomputes it over the raw body with its secret, compares in constant time, and
refuses timestamps older than a few minutes (replays)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mailpass.egress import Resolve, resolve_public, system_resolve
from mailpass.errors import NotFound, ValidationFailed
from mailpass.ids import new_id
from mailpass.models import WEBHOOK_EVENTS, MessageEvent, Webhook, iso
from mailpass.observability import logger
from mailpass.ports import AccountConfig, Queue, SecretStore, WebhookPost, WebhookStore
from mailpass.settings import Settings

SIGNATURE_HEADER = "MailPass-Signature"
CONFIG_TTL_SECONDS = 60.0


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (and what the README shows)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _check_url(url: str, allow_local: bool, resolve: Resolve) -> str:
    """https:// to a public address (plain http and loopback too in the local stack). Checked
    again at each post (adapters/webhook_http.py): DNS may answer differently by then."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        raise ValidationFailed("url must be https://")
    if not parts.hostname or parts.username or parts.password:
        raise ValidationFailed("url needs a host and no credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationFailed("url has an invalid port") from None
    resolve_public(parts.hostname, port, allow_loopback=allow_local, resolve=resolve)
    return url


class WebhookService:
    def __init__(
        self,
        store: WebhookStore,
        secrets_store: SecretStore,
        settings: Settings,
        queue: Callable[[], Queue | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        resolve: Resolve = system_resolve,
    ) -> None:
        self._store = store
        self._secrets = secrets_store
        self._settings = settings
        self._queue = queue
        self._clock = clock
        self._resolve = resolve
        self._cache: dict[str, tuple[float, tuple[Webhook, ...]]] = {}

    # registration -----------------------------------------------------------------------
    def create(self, account_id: str, url: str, event_types: list[str]) -> dict[str, Any]:
        unknown = sorted(set(event_types) - set(WEBHOOK_EVENTS))
        if unknown or not event_types:
            raise ValidationFailed(
                f"event_types must be a non-empty subset of {list(WEBHOOK_EVENTS)}",
                details=[{"field": "event_types", "message": f"unknown: {unknown}"}],
            )
        _check_url(url, self._settings.allow_local_egress, self._resolve)
        webhook_id = new_id("wh")
        secret = "whsec_" + secrets.token_urlsafe(32)
        name = f"{self._settings.secrets_prefix}webhooks/{account_id}/{webhook_id}"
        secret_id = self._secrets.put(name, secret)
        hook = Webhook(webhook_id, account_id, url, tuple(dict.fromkeys(event_types)), secret_id)
        try:
            self._store.put_webhook(hook)
        except Exception:
            self._secrets.delete(secret_id)
            raise
        self._cache.pop(account_id, None)
        # The signing secret is shown this once.
        return {**hook.public(), "secret": secret}

    def list_all(self, account_id: str) -> dict[str, Any]:
        config = self._store.get_account_config(account_id)
        if config is None:
            raise NotFound(f"No account {account_id}")
        return {"webhooks": [w.public() for w in config.webhooks]}

    def delete(self, account_id: str, webhook_id: str) -> dict[str, Any]:
        config = self._store.get_account_config(account_id)
        hook = (
            next((w for w in config.webhooks if w.webhook_id == webhook_id), None)
            if config
            else None
        )
        if hook is None:
            raise NotFound("No such webhook for this account")
        self._store.delete_webhook(account_id, webhook_id)
        self._secrets.delete(hook.secret_id)
        self._cache.pop(account_id, None)
        return {"deleted": webhook_id}

    # when an event is recorded -----------------------------------------------------------
    def _hooks(self, account_id: str) -> tuple[Webhook, ...]:
        now = self._clock()
        cached = self._cache.get(account_id)
        if cached and now - cached[0] < CONFIG_TTL_SECONDS:
            return cached[1]
        config: AccountConfig | None = self._store.get_account_config(account_id)
        hooks = config.webhooks if config else ()
        self._cache[account_id] = (now, hooks)
        return hooks

    def notify(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        """Queue a delivery for each webhook that wants this event. Never raises: a webhook
        problem must not cost the caller (a tracking pixel, SES feedback) anything."""
        try:
            hooks = [w for w in self._hooks(account_id) if event.event_type in w.event_types]
            queue = self._queue() if hooks else None
            if not hooks or queue is None:
                return
            payload = {
                "id": f"evt_{uuid.uuid4().hex}",
                "type": event.event_type,
                "created_at": iso(event.created_at),
                "data": {
                    "message_id": message_id,
                    "ip_address": event.ip_address,
                    "user_agent": event.user_agent,
                    **event.data,
                },
            }
            failed = queue.send_batch(
                {
                    str(n): json.dumps(
                        {"webhook_id": w.webhook_id, "account_id": account_id, "event": payload}
                    )
                    for n, w in enumerate(hooks)
                }
            )
            if failed:
                logger.error("webhook deliveries not queued", extra={"failed": failed})
        except Exception:
            logger.exception("webhook notification failed", extra={"message_id": message_id})

    # the webhook function -----------------------------------------------------------------
    def deliver(self, body: str, post: WebhookPost) -> str:
        """Post one queued delivery. Returns what happened; raises DeliveryFailed to retry."""
        job = json.loads(body)
        hooks = self._hooks(job["account_id"])
        hook = next((w for w in hooks if w.webhook_id == job["webhook_id"]), None)
        if hook is None:
            return "dropped: the webhook no longer exists"
        raw = json.dumps(job["event"], separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "MailPass-Webhooks/1.0",
            "MailPass-Event-Id": job["event"]["id"],
            SIGNATURE_HEADER: signature(self._secrets.get(hook.secret_id), int(time.time()), raw),
        }
        status, reason = post.post(hook.url, raw, headers)
        if 200 <= status < 300:
            return f"delivered: {status}"
        # A 3xx lands here too: redirects are not followed (a second, unchecked destination).
        raise DeliveryFailed(hook.url, status, reason)


class DeliveryFailed(Exception):
    """The receiver did not take it (status 0: no answer); the queue tries again later."""

    def __init__(self, url: str, status: int, reason: str) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        super().__init__(f"{url}: {status} {reason}")
