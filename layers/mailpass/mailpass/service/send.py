"""POST /send: validate, record, hand to the default provider, record the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from mailpass.errors import (
    NoSmtpProvider,
    ProviderError,
    SendFailed,
    SendLimitExceeded,
    ValidationFailed,
)
from mailpass.ids import new_message_id
from mailpass.mime import Composition, OutgoingMessage, build_message
from mailpass.models import MessageRecord, MessageStatus, Principal, Provider, utcnow
from mailpass.observability import logger, metrics
from mailpass.ports import Reservation, SenderFactory, SendStore
from mailpass.schemas import SendRequest
from mailpass.service.limits import Limits, RateInfo, seconds_until
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.tracking import TrackingService

TEST_KEY_NOTE = "test key: the pipeline ran, no provider was contacted"


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    status: str
    to: str
    from_email: str
    provider_id: str | None = None
    rate: RateInfo | None = None


def _over_limit(refused: list[tuple[Provider, Reservation]]) -> SendLimitExceeded:
    """429 for the first provider tried; Retry-After is when the soonest of them has room."""
    now = utcnow()
    first = Limits.rate(refused[0][1], now)
    soonest = min(
        seconds_until(r.refused_by.resets_at, now) for _, r in refused if r.refused_by is not None
    )
    headers = {"Retry-After": str(soonest), **(first.headers() if first else {})}
    window = refused[0][1].refused_by
    which = "hourly" if window and window.key.startswith("H#") else "daily"
    return SendLimitExceeded(
        f"The provider's {which} send limit is used up; retry in {soonest} s",
        details=[
            {
                "provider_id": p.provider_id,
                "window": "hourly"
                if r.refused_by and r.refused_by.key.startswith("H#")
                else "daily",
                "limit": r.refused_by.limit if r.refused_by else None,
                "resets_in": seconds_until(r.refused_by.resets_at, now) if r.refused_by else None,
            }
            for p, r in refused
        ],
        headers=headers,
    )


def _explain(failures: list[tuple[Provider, str]], *, named: bool = False) -> str:
    """The providers' own words; each named when there is more than one (or when asked)."""
    if len(failures) == 1 and not named:
        return failures[0][1]
    return "; ".join(f"{p.name} ({p.provider_id}): {why}" for p, why in failures)


class SendService:
    def __init__(
        self,
        store: SendStore,
        senders: SenderFactory,
        settings: Settings,
        limits: Limits,
        tracking: TrackingService | None = None,
    ) -> None:
        self._store = store
        self._senders = senders
        self._settings = settings
        self._limits = limits
        self._tracking = tracking

    def _take(
        self, chain: list[Provider], test: bool, refused: list[tuple[Provider, Reservation]]
    ) -> tuple[Provider, Reservation] | None:
        """The first provider in `chain` with room for one more send, its place taken."""
        while chain:
            provider = chain.pop(0)
            got = self._limits.take(provider, dry_run=test)
            if got.granted:
                return provider, got
            refused.append((provider, got))
        return None

    def send(
        self, principal: Principal, request: SendRequest, tracking_base: str | None = None
    ) -> SendResult:
        """`tracking_base`: the public URL the request came in on, for tracking links."""
        config = self._store.get_account_config(principal.account_id)
        chain = config.chain() if config else []
        if not chain:
            raise NoSmtpProvider()
        first = chain[0]
        from_email = request.from_email or first.from_email
        if not from_email:
            raise ValidationFailed(
                "from_email is required: the default provider has no configured sender",
                details=[{"field": "from_email", "message": "required"}],
            )
        from_name = request.from_name if request.from_name is not None else first.from_name
        # Looked up only for accounts that have suppressed addresses at all.
        blocked = (
            self._store.suppressed(principal.account_id, request.recipients)
            if config and config.account.suppressions
            else {}
        )
        to_blocked = request.to.lower() in blocked
        refused: list[tuple[Provider, Reservation]] = []
        taken = (
            (chain[0], Reservation(1)) if to_blocked else self._take(chain, principal.test, refused)
        )
        if taken is None:  # nothing accepted, nothing stored: the caller retries later
            raise _over_limit(refused)
        provider, reservation = taken
        now = utcnow()
        message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
        html = request.html
        if self._tracking is not None and not principal.test:
            html = self._tracking.html_for(
                html,
                account_id=principal.account_id,
                message_id=message_id,
                provider=provider,
                opens=request.track_opens,
                clicks=request.track_clicks,
                base_url=tracking_base,
            )
        raw = build_message(
            Composition(
                message_id=message_id,
                from_email=from_email,
                from_name=from_name,
                to=request.to,
                cc=tuple(request.cc),
                reply_to=request.reply_to,
                subject=request.subject,
                date=now,
                html=html,
                text=request.text,
            )
        )
        expires = now + timedelta(days=self._settings.message_retention_days)
        record = MessageRecord(
            account_id=principal.account_id,
            message_id=message_id,
            status=MessageStatus.SENDING,
            from_email=from_email,
            from_name=from_name,
            to_email=request.to,
            cc=list(request.cc),
            bcc=list(request.bcc),
            reply_to=request.reply_to,
            subject=request.subject,
            tags=list(request.tags),
            metadata=dict(request.metadata),
            provider_id=provider.provider_id,
            provider_kind=provider.kind.value,
            created_at=now,
            expires_at=int(expires.timestamp()),
            test=principal.test,
            size_bytes=len(raw),
        )
        # Recorded before the hand-off, so a crash mid-send leaves a trace, never a silent loss.
        self._store.put_message(record)
        if to_blocked:
            # A hard bounce or complaint put it there: no provider is contacted.
            reason = f"{request.to} is on the suppression list ({blocked[request.to.lower()]})"
            self._store.mark_failed(principal.account_id, message_id, reason=reason, at=utcnow())
            metrics.add_metric(name="MessagesSuppressed", unit="Count", value=1)
            raise SendFailed(f"Not sent: {reason}")
        if principal.test:
            self._store.mark_sent(
                principal.account_id,
                message_id,
                sent_at=utcnow(),
                provider_message_id=None,
                note=TEST_KEY_NOTE,
            )
            metrics.add_metric(name="TestMessagesAccepted", unit="Count", value=1)
            return SendResult(
                message_id,
                MessageStatus.SENT.value,
                request.to,
                from_email,
                provider.provider_id,
                Limits.rate(reservation),
            )

        outgoing = OutgoingMessage(
            message_id=message_id,
            envelope_from=from_email,
            recipients=tuple(r for r in request.recipients if r.lower() not in blocked),
            raw=raw,
            account_id=principal.account_id,
        )
        failures: list[tuple[Provider, str]] = []
        while True:
            started = time.perf_counter()
            try:
                receipt = self._senders.for_provider(provider).send(outgoing)
                break
            except ProviderError as exc:
                # Not taken by the provider: the send must not count against its limit.
                self._limits.give_back(provider, reservation)
                failures.append((provider, exc.reason))
                logger.warning(
                    "send failed",
                    extra={
                        "message_id": message_id,
                        "provider_id": provider.provider_id,
                        "reason": exc.reason,
                        "permanent": exc.permanent,
                    },
                )
                # A permanent refusal is about this message (say, the address): the next
                # provider would refuse it too. Anything else may go through the next one.
                taken = None if exc.permanent else self._take(chain, False, refused)
                if taken is None:
                    reason = _explain(failures)
                    if refused:
                        reason += "; fallbacks over their send limit: " + ", ".join(
                            p.provider_id for p, _ in refused
                        )
                    self._store.mark_failed(
                        principal.account_id, message_id, reason=reason, at=utcnow()
                    )
                    metrics.add_metric(name="MessagesFailed", unit="Count", value=1)
                    raise SendFailed(f"The provider did not take the message: {reason}") from exc
                provider, reservation = taken
                metrics.add_metric(name="MessagesFailedOver", unit="Count", value=1)
        notes = []
        if blocked:
            notes.append("not sent to suppressed: " + ", ".join(sorted(blocked)))
        if failures:
            notes.append("sent through a fallback after " + _explain(failures, named=True))
        if receipt.refused:
            notes.append(
                "refused recipients: "
                + "; ".join(f"{addr}: {why}" for addr, why in sorted(receipt.refused.items()))
            )
        self._store.mark_sent(
            principal.account_id,
            message_id,
            sent_at=utcnow(),
            provider_message_id=receipt.provider_message_id,
            note=" | ".join(notes) or None,
            provider=provider if provider.provider_id != record.provider_id else None,
        )
        metrics.add_metric(name="MessagesSent", unit="Count", value=1)
        metrics.add_metric(
            name="ProviderLatency",
            unit="Milliseconds",
            value=(time.perf_counter() - started) * 1000,
        )
        return SendResult(
            message_id,
            MessageStatus.SENT.value,
            request.to,
            from_email,
            provider.provider_id,
            Limits.rate(reservation),
        )
