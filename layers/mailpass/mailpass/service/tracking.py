"""Tracking at send time (instrumenting the HTML) and at open/click time (recording the event)."""

from __future__ import annotations

from mailpass.models import MessageEvent, Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import EventNotifier, EventRecorder, SecretStore
from mailpass.settings import Settings
from mailpass.tracking import CLICK, Tracked, TrackingTokens, instrument, is_machine


class TrackingService:
    def __init__(
        self,
        store: EventRecorder,
        secrets: SecretStore,
        settings: Settings,
        notifier: EventNotifier | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._settings = settings
        self._notifier = notifier

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

    def record(self, token: str, ip: str | None, user_agent: str | None) -> Tracked | None:
        """Verify the token and store the event. None (and nothing stored) for a bad token."""
        tokens = self.tokens()
        tracked = tokens.verify(token) if tokens else None
        if tracked is None:
            logger.info("tracking token refused", extra={"token": token[:80]})
            return None
        event = MessageEvent(
            event_type="click" if tracked.kind == CLICK else "open",
            created_at=utcnow(),
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
