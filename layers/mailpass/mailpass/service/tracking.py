"""Tracking at send time (instrumenting the HTML) and at open/click time (recording the event)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from mailpass.models import MessageEvent, Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import EventNotifier, EventRecorder, HitLog, SecretStore
from mailpass.settings import Settings
from mailpass.tracking import (
    CLICK,
    Tracked,
    TrackingTokens,
    instrument,
    is_machine,
    safe_url,
)

# Repeated fetches by one client (an image proxy, a reload, a scanner in a loop) within this
# window count, but only the first is stored as an event and sent to webhooks.
HIT_WINDOW_SECONDS = 3600


class TrackingService:
    def __init__(
        self,
        store: EventRecorder,
        secrets: SecretStore,
        settings: Settings,
        notifier: EventNotifier | None = None,
        hits: HitLog | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        window_seconds: int = HIT_WINDOW_SECONDS,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._settings = settings
        self._notifier = notifier
        self._hits = hits
        self._clock = clock
        self._window = window_seconds

    def tokens(self) -> TrackingTokens | None:
        secret_id = self._settings.tracking_key_secret
        if not secret_id:
            return None
        # Cached by the secret store (Powertools Parameters), so this is a dict lookup when warm.
        return TrackingTokens(self._secrets.get(secret_id).encode("utf-8"))

    def html_for(
        self,
        body: str | None,
        *,
        account_id: str,
        message_id: str,
        provider: Provider,
        opens: bool | None,
        clicks: bool | None,
        base_url: str | None,
    ) -> str | None:
        """The HTML as sent: instrumented unless tracking is off for the message or provider."""
        track_opens = provider.track_opens if opens is None else opens
        track_clicks = provider.track_clicks if clicks is None else clicks
        base = self._settings.tracking_base_url or base_url
        if body is None or not base or not (track_opens or track_clicks):
            return body
        tokens = self.tokens()
        if tokens is None:
            return body
        return instrument(
            body,
            tokens=tokens,
            base_url=base,
            account_id=account_id,
            message_id=message_id,
            opens=track_opens,
            clicks=track_clicks,
        )

    def verify(self, token: str, kind: str | None = None) -> Tracked | None:
        """What the token stands for, if we signed it (and it is of `kind`, when given). A
        click's URL comes back percent-encoded, so links signed before URLs were encoded at
        send time redirect safely too."""
        tokens = self.tokens()
        tracked = tokens.verify(token) if tokens else None
        if tracked is None or (kind is not None and tracked.kind != kind):
            logger.info("tracking token refused", extra={"token": token[:80], "expected": kind})
            return None
        if tracked.url is not None:
            tracked = replace(tracked, url=safe_url(tracked.url))
        return tracked

    def record(
        self, token: str, ip: str | None, user_agent: str | None, kind: str
    ) -> Tracked | None:
        """Verify the token and record the open or click. None, and nothing recorded, for a
        token we did not sign or one of another kind than `kind` (an open token presented at
        the click endpoint). A repeat from the same client within the window is only counted."""
        tracked = self.verify(token, kind)
        if tracked is None:
            return None
        now = self._clock()
        event_type = "click" if tracked.kind == CLICK else "open"
        if self._hits is not None and not self._first_hit(
            self._hits, tracked, event_type, ip=ip, user_agent=user_agent, now=now
        ):
            return tracked
        event = MessageEvent(
            event_type=event_type,
            created_at=now,
            ip_address=ip,
            user_agent=user_agent[:512] if user_agent else None,
            data={
                "machine": is_machine(user_agent, ip),
                **({"url": tracked.url} if tracked.url else {}),
            },
        )
        self._store.add_event(tracked.account_id, tracked.message_id, event)
        if self._notifier is not None:
            self._notifier.notify(tracked.account_id, tracked.message_id, event)
        return tracked

    def _first_hit(
        self,
        hits: HitLog,
        tracked: Tracked,
        event_type: str,
        *,
        ip: str | None,
        user_agent: str | None,
        now: datetime,
    ) -> bool:
        # A client is its address and agent (and, for a click, the link), hashed: the marker's
        # key has a bounded size whatever the agent string is, and no address in the clear.
        client = hashlib.sha256(
            "\x1f".join((ip or "", user_agent or "", tracked.url or "")).encode(
                "utf-8", "surrogatepass"
            )
        ).hexdigest()[:32]
        window = int(now.timestamp()) // self._window
        ttl = (window + 2) * self._window
        return hits.hit(
            tracked.account_id,
            tracked.message_id,
            event_type,
            client,
            window=window,
            ttl=ttl,
            at=now,
        )
