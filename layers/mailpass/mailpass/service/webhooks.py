"""Webhooks: an account's HTTPS endpoints for chosen event types, and what operating them takes
(a delivery log, test events, secret rotation, auto-disable).

Recording an event never waits on a receiver: it only puts a delivery on the webhook queue (and
not even that when the account has no enabled webhook for the event). The webhook function posts
each delivery, signed (service/webhook_signing.py), logs the attempt and, on a failure, hands the
queue the wait before the next one (RETRY_SCHEDULE); after the last, the queue's DLQ keeps it.

Auto-disable: a webhook whose attempts keep failing is turned off, with the reason on the
webhook, after 50 failed attempts in a row or 3 days of failing (both counted on the webhook
item, reset by any success), and at once on `410 Gone`. PATCH turns it back on."""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from mailpass.egress import Resolve, resolve_public, system_resolve
from mailpass.errors import Conflict, MailPassError, NotFound, ValidationFailed
from mailpass.ids import new_id
from mailpass.models import WEBHOOK_EVENTS, MessageEvent, Webhook, WebhookAttempt, iso, utcnow
from mailpass.observability import logger
from mailpass.ports import AccountConfig, Queue, SecretStore, WebhookPost
from mailpass.ports_account import WebhookStore
from mailpass.service.webhook_signing import (
    LEGACY_HEADER,
    legacy_signature,
    new_secret,
    standard_headers,
    verify_legacy,
)
from mailpass.settings import Settings

# Kept for the receivers and tests that import them from here.
SIGNATURE_HEADER = LEGACY_HEADER
verify = verify_legacy
CONFIG_TTL_SECONDS = 60.0

# Standard Webhooks' schedule (the wait after attempt n is RETRY_SCHEDULE[n - 1]): 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 10 h; eight attempts over about 27.6 hours. Each wait is one change of
# the SQS message's visibility, which SQS caps at 12 hours: that is why the spec's longer
# variants (14, 20, 24 h) are not used. template.yaml's maxReceiveCount is MAX_ATTEMPTS.
RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# Up to this share of a wait is added at random, so receivers that failed together (one outage)
# are not all retried in the same second.
JITTER = 0.1
DISABLE_AFTER_FAILURES = 50
DISABLE_AFTER_FAILING = timedelta(days=3)
ROTATION_OVERLAP = timedelta(hours=24)
LOG_RETENTION = timedelta(days=30)
# What HttpPost's reason starts with when no status came back (adapters/webhook_http.py).
ERRORS = frozenset({"timeout", "refused", "dns", "tls", "blocked", "connection"})
_POSITION = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[^#\s]{1,100}#\d{3}$")


def retry_in(attempt: int, rand: Callable[[], float] = random.random) -> int | None:
    """Seconds to wait after failed attempt `attempt` (1-based); None after the last one."""
    if attempt >= MAX_ATTEMPTS:
        return None
    wait = RETRY_SCHEDULE[max(attempt, 1) - 1]
    return wait + int(wait * JITTER * rand())


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


def _check_events(event_types: list[str]) -> tuple[str, ...]:
    unknown = sorted(set(event_types) - set(WEBHOOK_EVENTS))
    if unknown or not event_types:
        raise ValidationFailed(
            f"event_types must be a non-empty subset of {list(WEBHOOK_EVENTS)}",
            details=[{"field": "event_types", "message": f"unknown: {unknown}"}],
        )
    return tuple(dict.fromkeys(event_types))


def encode_cursor(position: str | None) -> str | None:
    return None if position is None else base64.urlsafe_b64encode(position.encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """A cursor is a position in the one webhook's log the path names (its partition comes from
    the account and the path, never from the cursor), so it needs no signature: only a shape."""
    if cursor is None:
        return None
    try:
        position = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        position = ""
    if not _POSITION.match(position):
        raise ValidationFailed(
            "cursor is not one this API gave",
            details=[{"field": "cursor", "message": "pass next_cursor back unchanged"}],
        )
    return position


class WebhookService:
    def __init__(
        self,
        store: WebhookStore,
        secrets_store: SecretStore,
        settings: Settings,
        queue: Callable[[], Queue | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        resolve: Resolve = system_resolve,
    ) -> None:
        self._store = store
        self._secrets = secrets_store
        self._settings = settings
        self._queue = queue
        self._clock = clock
        self._now = now
        self._resolve = resolve
        self._cache: dict[str, tuple[float, tuple[Webhook, ...]]] = {}

    # registration and operation ---------------------------------------------------------
    def create(self, account_id: str, url: str, event_types: list[str]) -> dict[str, Any]:
        types = _check_events(event_types)
        _check_url(url, self._settings.allow_local_egress, self._resolve)
        webhook_id = new_id("wh")
        secret = new_secret()
        name = f"{self._settings.secrets_prefix}webhooks/{account_id}/{webhook_id}"
        secret_id = self._secrets.put(name, secret)
        hook = Webhook(webhook_id, account_id, url, types, secret_id)
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

    def _get(self, account_id: str, webhook_id: str) -> Webhook:
        config = self._store.get_account_config(account_id)
        hook = (
            next((w for w in config.webhooks if w.webhook_id == webhook_id), None)
            if config
            else None
        )
        if hook is None:
            raise NotFound("No such webhook for this account")
        return hook

    def get(self, account_id: str, webhook_id: str) -> dict[str, Any]:
        return self._get(account_id, webhook_id).public()

    def update(
        self,
        account_id: str,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        enabled: bool | None = None,
    ) -> dict[str, Any]:
        """Change the url (through the egress guard, as at creation; a new url starts the
        failure count afresh), the event types, or turn it on again (which forgets the failures
        too) or off."""
        types = None if event_types is None else _check_events(event_types)
        if url is not None:
            _check_url(url, self._settings.allow_local_egress, self._resolve)
        hook = self._store.update_webhook(
            account_id, webhook_id, at=self._now(), url=url, event_types=types, enabled=enabled
        )
        self._cache.pop(account_id, None)
        return hook.public()

    def delete(self, account_id: str, webhook_id: str) -> dict[str, Any]:
        hook = self._get(account_id, webhook_id)
        self._store.delete_webhook(account_id, webhook_id)
        for secret_id in {hook.secret_id, hook.previous_secret_id} - {None}:
            assert secret_id is not None
            self._secrets.delete(secret_id)
        self._cache.pop(account_id, None)
        return {"deleted": webhook_id}

    def rotate_secret(self, account_id: str, webhook_id: str) -> dict[str, Any]:
        """A new secret, shown this once. The current one keeps signing too (a second
        signature) for ROTATION_OVERLAP, so receivers can switch without dropping a delivery."""
        hook = self._get(account_id, webhook_id)
        now = self._now()
        secret = new_secret()
        name = f"{self._settings.secrets_prefix}webhooks/{account_id}/{webhook_id}/{new_id('s')}"
        secret_id = self._secrets.put(name, secret)
        until = now + ROTATION_OVERLAP
        try:
            self._store.rotate_secret(
                account_id,
                webhook_id,
                expected_secret_id=hook.secret_id,
                secret_id=secret_id,
                previous_until=until,
                at=now,
            )
        except Exception:
            self._secrets.delete(secret_id)
            raise
        # The secret before the previous one signs nothing any more.
        if hook.previous_secret_id and hook.previous_secret_id != hook.secret_id:
            try:
                self._secrets.delete(hook.previous_secret_id)
            except Exception:
                logger.exception("old webhook secret not deleted", extra={"webhook": webhook_id})
        self._cache.pop(account_id, None)
        return {
            "webhook_id": webhook_id,
            "secret": secret,
            "previous_secret_expires_at": iso(until),
        }

    def send_test(self, account_id: str, webhook_id: str) -> dict[str, Any]:
        """A `test` event for this one webhook, through the webhook queue like any other."""
        hook = self._get(account_id, webhook_id)
        if not hook.enabled:
            raise Conflict(
                f"The webhook is disabled ({hook.disabled_reason}); "
                'turn it on with PATCH {"enabled": true} first'
            )
        queue = self._queue()
        if queue is None:
            raise MailPassError("Webhook deliveries are not configured on this deployment")
        event_id = f"evt_{uuid.uuid4().hex}"
        event = {
            "id": event_id,
            "type": "test",
            "created_at": iso(self._now()),
            "data": {"webhook_id": webhook_id, "message": "A test event from MailPass"},
        }
        job = {"webhook_id": webhook_id, "account_id": account_id, "event": event}
        failed = queue.send_batch({"0": json.dumps(job)})
        if failed:
            raise MailPassError(f"The test event could not be queued: {failed['0']}")
        return {"webhook_id": webhook_id, "event_id": event_id, "event_type": "test"}

    def deliveries(
        self, account_id: str, webhook_id: str, limit: int = 20, cursor: str | None = None
    ) -> dict[str, Any]:
        """The webhook's delivery attempts, newest first, a page at a time."""
        after = decode_cursor(cursor)
        self._get(account_id, webhook_id)
        page, position = self._store.list_attempts(account_id, webhook_id, limit, after)
        return {
            "webhook_id": webhook_id,
            "deliveries": [a.public() for a in page],
            "next_cursor": encode_cursor(position),
        }

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
        """Queue a delivery for each enabled webhook that wants this event. Never raises: a
        webhook problem must not cost the caller (a tracking pixel, SES feedback) anything."""
        try:
            hooks = [
                w
                for w in self._hooks(account_id)
                if w.enabled and event.event_type in w.event_types
            ]
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
    def _secrets_in_use(self, hook: Webhook, now: datetime) -> list[str]:
        """The current secret, then the previous one while its overlap lasts."""
        current = [self._secrets.get(hook.secret_id)]
        until = hook.previous_secret_until
        if hook.previous_secret_id is None or until is None or until <= now:
            return current
        try:
            return [*current, self._secrets.get(hook.previous_secret_id)]
        except Exception:  # deleted by a second rotation meanwhile: the current one signs
            logger.warning("previous webhook secret unreadable", extra={"hook": hook.webhook_id})
            return current

    def deliver(self, body: str, post: WebhookPost, attempt: int = 1) -> str:
        """Post one queued delivery (`attempt`: the queue's receive count) and log it. Returns
        what happened; raises DeliveryFailed to have the queue try again after `retry_in`."""
        job = json.loads(body)
        hooks = self._hooks(job["account_id"])
        hook = next((w for w in hooks if w.webhook_id == job["webhook_id"]), None)
        if hook is None:
            return "dropped: the webhook no longer exists"
        if not hook.enabled:
            return f"dropped: the webhook is disabled ({hook.disabled_reason})"
        event = job["event"]
        raw = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        now = self._now()
        stamp = int(now.timestamp())
        in_use = self._secrets_in_use(hook, now)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "MailPass-Webhooks/1.0",
            "MailPass-Event-Id": event["id"],
            # The legacy header keeps its one signature, by the current secret.
            SIGNATURE_HEADER: legacy_signature(in_use[0], stamp, raw),
            **standard_headers(event["id"], stamp, raw, in_use),
        }
        started = time.perf_counter()
        status, reason = post.post(hook.url, raw, headers)
        took = int((time.perf_counter() - started) * 1000)
        return self._settle(hook, event, attempt, now, took=took, status=status, reason=reason)

    def _settle(
        self,
        hook: Webhook,
        event: dict[str, Any],
        attempt: int,
        now: datetime,
        *,
        took: int,
        status: int,
        reason: str,
    ) -> str:
        """After a post: the failure streak (and auto-disable), the log entry, the outcome."""
        error: str | None = None
        if not status:
            kind = reason.split(":", 1)[0]
            error = kind if kind in ERRORS else "connection"
        elif 300 <= status < 400:
            # Redirects are not followed (a second, unchecked destination): a failed attempt.
            error = "redirect"
        delivered = 200 <= status < 300
        wait: int | None = None
        disabled: str | None = None
        if delivered:
            self._quietly(self._store.clear_failures, hook.account_id, hook.webhook_id)
        else:
            disabled = self._after_failure(hook, now, status, reason)
            wait = None if disabled else retry_in(attempt)
        self._quietly(
            self._store.add_attempt,
            WebhookAttempt(
                account_id=hook.account_id,
                webhook_id=hook.webhook_id,
                event_id=event["id"],
                event_type=event.get("type", ""),
                attempt=attempt,
                at=now,
                duration_ms=took,
                status_code=status or None,
                error=error,
                detail=reason[:300],
                next_retry_at=None if wait is None else now + timedelta(seconds=wait),
            ),
            int((now + LOG_RETENTION).timestamp()),
        )
        if delivered:
            return f"delivered: {status}"
        if disabled:
            return f"dropped: {disabled}"
        raise DeliveryFailed(hook.url, status, reason, wait)

    def _after_failure(self, hook: Webhook, now: datetime, status: int, reason: str) -> str | None:
        """Count the failure; disable the webhook when it is time. Returns the reason it was
        disabled for, or None while it stays on."""
        last = f"{status} {reason}".strip() if status else reason
        if status == 410:
            why = "the endpoint answered 410 Gone"
        else:
            state = self._store.record_failure(hook.account_id, hook.webhook_id, now)
            if state is None:
                return "the webhook no longer exists"
            since = state.failing_since or now
            if state.failures >= DISABLE_AFTER_FAILURES:
                why = f"{state.failures} failed attempts in a row (the last: {last})"
            elif now - since >= DISABLE_AFTER_FAILING:
                why = f"failing since {iso(since)}Z (the last: {last})"
            else:
                return None
        why = why[:300]
        if self._store.disable_webhook(hook.account_id, hook.webhook_id, why, now):
            logger.warning("webhook disabled", extra={"webhook_id": hook.webhook_id, "reason": why})
        self._cache.pop(hook.account_id, None)
        return why

    @staticmethod
    def _quietly(fn: Callable[..., object], *args: Any) -> None:
        """A bookkeeping write after the post: its failure is logged, never raised, because
        raising would have the queue post a delivered event again."""
        try:
            fn(*args)
        except Exception:
            logger.exception("webhook bookkeeping failed", extra={"write": fn.__name__})


class DeliveryFailed(Exception):
    """The receiver did not take it (status 0: no answer); the queue tries again after
    `retry_in` seconds, or leaves it to the dead-letter queue when that is None."""

    def __init__(self, url: str, status: int, reason: str, retry_in: int | None = None) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        self.retry_in = retry_in
        super().__init__(f"{url}: {status} {reason}")
