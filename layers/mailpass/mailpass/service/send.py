"""POST /send: validate, record, hand to the default provider, record the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from mailpass.errors import NoSmtpProvider, ProviderError, SendFailed, ValidationFailed
from mailpass.ids import new_message_id
from mailpass.mime import Composition, OutgoingMessage, build_message
from mailpass.models import MessageRecord, MessageStatus, Principal, Provider, utcnow
from mailpass.observability import logger, metrics
from mailpass.ports import SenderFactory, Store
from mailpass.schemas import SendRequest
from mailpass.settings import Settings

TEST_KEY_NOTE = "test key: the pipeline ran, no provider was contacted"


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    status: str
    to: str
    from_email: str


class SendService:
    def __init__(self, store: Store, senders: SenderFactory, settings: Settings) -> None:
        self._store = store
        self._senders = senders
        self._settings = settings

    def _default_provider(self, account_id: str) -> Provider:
        config = self._store.get_account_config(account_id)
        provider = config.default_provider if config else None
        if provider is None:
            raise NoSmtpProvider()
        return provider

    def send(self, principal: Principal, request: SendRequest) -> SendResult:
        provider = self._default_provider(principal.account_id)
        from_email = request.from_email or provider.from_email
        if not from_email:
            raise ValidationFailed(
                "from_email is required: the default provider has no configured sender",
                details=[{"field": "from_email", "message": "required"}],
            )
        from_name = request.from_name if request.from_name is not None else provider.from_name
        now = utcnow()
        message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
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
                html=request.html,
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
        if principal.test:
            self._store.mark_sent(
                principal.account_id,
                message_id,
                sent_at=utcnow(),
                provider_message_id=None,
                note=TEST_KEY_NOTE,
            )
            metrics.add_metric(name="TestMessagesAccepted", unit="Count", value=1)
            return SendResult(message_id, MessageStatus.SENT.value, request.to, from_email)

        outgoing = OutgoingMessage(
            message_id=message_id,
            envelope_from=from_email,
            recipients=tuple(request.recipients),
            raw=raw,
        )
        started = time.perf_counter()
        try:
            receipt = self._senders.for_provider(provider).send(outgoing)
        except ProviderError as exc:
            self._store.mark_failed(
                principal.account_id, message_id, reason=exc.reason, at=utcnow()
            )
            metrics.add_metric(name="MessagesFailed", unit="Count", value=1)
            logger.warning(
                "send failed",
                extra={
                    "message_id": message_id,
                    "provider_id": provider.provider_id,
                    "reason": exc.reason,
                    "permanent": exc.permanent,
                },
            )
            raise SendFailed(f"The provider did not take the message: {exc.reason}") from exc
        note = None
        if receipt.refused:
            note = "refused recipients: " + "; ".join(
                f"{addr}: {why}" for addr, why in sorted(receipt.refused.items())
            )
        self._store.mark_sent(
            principal.account_id,
            message_id,
            sent_at=utcnow(),
            provider_message_id=receipt.provider_message_id,
            note=note,
        )
        metrics.add_metric(name="MessagesSent", unit="Count", value=1)
        metrics.add_metric(
            name="ProviderLatency",
            unit="Milliseconds",
            value=(time.perf_counter() - started) * 1000,
        )
        return SendResult(message_id, MessageStatus.SENT.value, request.to, from_email)
