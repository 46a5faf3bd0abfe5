"""POST /send: validate, record, hand to the default provider, record the outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailpass import usage
from mailpass.errors import (
    NoSmtpProvider,
    NotFound,
    PayloadTooLarge,
    SenderNotVerified,
    SendFailed,
    SendLimitExceeded,
    ValidationFailed,
)
from mailpass.ids import new_id, new_message_id
from mailpass.mime import Attachment
from mailpass.models import MessageRecord, MessageStatus, Principal, Provider, utcnow
from mailpass.observability import metrics
from mailpass.ports import AttachmentStore, Reservation, ScheduledEntry, SenderFactory, SendStore
from mailpass.queue_payload import entry_json, pack_body, pack_head, with_attachments
from mailpass.schemas import SendRequest
from mailpass.senders import SenderPolicy
from mailpass.service.delivery import TEST_KEY_NOTE, Accepted, Delivery, Status, Step
from mailpass.service.limits import Limits, RateInfo, seconds_until
from mailpass.service.quota import MessageQuota
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.schedule import Scheduler
    from mailpass.service.templates import TemplateService
    from mailpass.service.tracking import TrackingService

__all__ = ["TEST_KEY_NOTE", "SendResult", "SendService"]


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    status: str
    to: str
    from_email: str
    provider_id: str | None = None
    rate: RateInfo | None = None


def _counted(msg: Accepted, at: datetime, count: str) -> usage.Tally | None:
    """The usage count of a /send; none for a test key (it reaches no provider, so counting
    it would dilute the bounce and complaint rates)."""
    return (
        None if msg.test else usage.one(msg.account_id, msg.message_id, at, count, msg.from_email)
    )


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


class SendService:
    def __init__(
        self,
        store: SendStore,
        senders: SenderFactory,
        settings: Settings,
        limits: Limits,
        tracking: TrackingService | None = None,
        *,
        templates: TemplateService | None = None,
        scheduler: Scheduler | None = None,
        attachments: Callable[[], AttachmentStore | None] | None = None,
    ) -> None:
        self._store = store
        # Made on first use: only a scheduled message with files needs the bucket; a /send
        # that sends now never touches S3.
        self._attachments = attachments
        self._settings = settings
        self._limits = limits
        self._delivery = Delivery(senders, tracking)
        self._templates = templates
        self._scheduler = scheduler

    def send(
        self, principal: Principal, request: SendRequest, tracking_base: str | None = None
    ) -> SendResult:
        """`tracking_base`: the public URL the request came in on, for tracking links."""
        request = self._rendered(principal, request)
        # Read while authenticating, in this request (service/auth.py), or read now.
        config = principal.config or self._store.get_account_config(principal.account_id)
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
        if self._scheduler is not None:
            from mailpass.service.schedule import is_ahead

            if is_ahead(request.scheduled_at, self._scheduler.now()):
                return self._schedule(principal, request, first, from_email, tracking_base)
        # Looked up only for accounts that have suppressed addresses at all.
        blocked = (
            self._store.suppressed(principal.account_id, request.recipients)
            if config and config.account.suppressions
            else {}
        )
        now = utcnow()
        msg = Accepted(
            account_id=principal.account_id,
            message_id=new_message_id(self._settings.message_id_domain, now.timestamp()),
            from_email=from_email,
            from_name=request.from_name if request.from_name is not None else first.from_name,
            to=request.to,
            subject=request.subject or "",  # set: a template gave it if the request did not
            cc=tuple(request.cc),
            bcc=tuple(request.bcc),
            reply_to=request.reply_to,
            html=request.html,
            text=request.text,
            track_opens=request.track_opens,
            track_clicks=request.track_clicks,
            tracking_base=tracking_base,
            test=principal.test,
            date=now,
            attachments=tuple(
                Attachment(a.filename, a.media_type(), a.data, a.content_id)
                for a in request.attachments
            ),
        )
        stored: list[str] = []

        def store(provider: Provider, raw: bytes) -> None:
            # Recorded before the hand-off, so a crash mid-send leaves a trace, never a loss.
            self._store.put_message(self._record(msg, request, provider, raw, now))
            stored.append(provider.provider_id)

        quota = MessageQuota(self._limits, principal.test)
        result = self._delivery.deliver(
            msg, chain, blocked, quota, before_hand_off=store, senders=SenderPolicy.of(config)
        )
        if result.status is Status.WAIT:  # nothing accepted, nothing stored: retry later
            raise _over_limit(quota.refused)
        if result.step is Step.SENDER:  # refused as a request, like a missing provider: no record
            raise SenderNotVerified(result.error)
        if result.step is Step.SIZE:  # refused before anything was stored or sent
            raise PayloadTooLarge(f"Too large to send: {result.error}")
        if not stored:  # suppressed: stored as failed, the provider never contacted
            store(first, self._delivery.compose(msg, first))
        at = utcnow()

        if result.status is not Status.SENT:
            reason = result.error or "not sent"
            self._store.mark_failed(
                msg.account_id,
                msg.message_id,
                reason=reason,
                at=at,
                tally=_counted(msg, at, "failed"),
            )
            if result.step is Step.SUPPRESSION:
                metrics.add_metric(name="MessagesSuppressed", unit="Count", value=1)
                raise SendFailed(f"Not sent: {reason}")
            metrics.add_metric(name="MessagesFailed", unit="Count", value=1)
            raise SendFailed(f"The provider did not take the message: {reason}")
        provider = result.provider or first  # a sent result always names its provider
        self._store.mark_sent(
            msg.account_id,
            msg.message_id,
            sent_at=at,
            provider_message_id=result.provider_message_id,
            note=result.note,
            provider=provider if provider.provider_id != stored[0] else None,
            tally=_counted(msg, at, "sent"),
        )
        if principal.test:
            metrics.add_metric(name="TestMessagesAccepted", unit="Count", value=1)
        else:
            if result.failovers:
                metrics.add_metric(name="MessagesFailedOver", unit="Count", value=result.failovers)
            metrics.add_metric(name="MessagesSent", unit="Count", value=1)
            metrics.add_metric(
                name="ProviderLatency", unit="Milliseconds", value=result.hand_off_ms or 0.0
            )
        return SendResult(
            msg.message_id,
            MessageStatus.SENT.value,
            request.to,
            from_email,
            provider.provider_id,
            Limits.rate(quota.taken.get(provider.provider_id, Reservation(1))),
        )

    def _rendered(self, principal: Principal, request: SendRequest) -> SendRequest:
        """The request with its template applied, if it names one. Rendered now, once: the
        message sent is the template as it is at this moment."""
        if request.template_id is None:
            return request
        if self._templates is None:
            raise NotFound(f"No template {request.template_id} in this account")
        return self._templates.apply(principal.account_id, request)

    def _schedule(
        self,
        principal: Principal,
        request: SendRequest,
        provider: Provider,
        from_email: str,
        tracking_base: str | None,
    ) -> SendResult:
        """Stored `scheduled`; its queue body waits for its time (service/schedule.py). The
        dispatcher sends it as it sends a batch's pack: suppression, limits and the provider
        chain are applied then, not now."""
        assert self._scheduler is not None
        assert request.scheduled_at is not None
        now = utcnow()
        fields = request.model_copy(
            update={
                "from_email": from_email,
                "from_name": request.from_name
                if request.from_name is not None
                else provider.from_name,
            }
        )
        message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
        expires = now + timedelta(days=self._settings.message_retention_days)
        record = MessageRecord(
            account_id=principal.account_id,
            message_id=message_id,
            status=MessageStatus.SCHEDULED,
            from_email=from_email,
            from_name=fields.from_name,
            to_email=request.to,
            cc=list(request.cc),
            bcc=list(request.bcc),
            reply_to=request.reply_to,
            subject=request.subject or "",  # set: a template gave it if the request did not
            tags=list(request.tags),
            metadata=dict(request.metadata),
            provider_id=provider.provider_id,
            provider_kind=provider.kind.value,
            created_at=now,
            template_id=request.template_id,
            # Kept the retention period past its time, as a message sent then would be.
            expires_at=int((expires + (request.scheduled_at - now)).timestamp()),
            test=principal.test,
            scheduled_at=request.scheduled_at,
        )
        # Here, not at import: a /send that sends now never needs it.
        from mailpass.service.attachments import SCHEDULED_PREFIX, Staged, files_too_big

        fields_json = fields.model_dump_json(exclude_none=True, exclude={"attachments"})
        staged = Staged(principal.account_id, new_id("sched"))
        files: AttachmentStore | None = None
        if request.attachments:  # the files wait in the bucket, the body names them
            files = self._attachments() if self._attachments is not None else None
            if files is None:
                raise ValidationFailed(
                    "Scheduled messages with attachments need the attachment bucket",
                    details=[{"field": "attachments", "message": "no attachment bucket"}],
                )
            too_big = files_too_big(len(fields_json), request.attachments, provider)
            if too_big is not None:
                raise PayloadTooLarge(too_big)
            refs = staged.add(request.attachments, prefix=SCHEDULED_PREFIX)
            fields_json = with_attachments(fields_json, refs)
        head = pack_head(
            account_id=principal.account_id,
            provider_id=provider.provider_id,
            test=principal.test,
            tracking_base=tracking_base,
            attachments=bool(staged.objects),
            scheduled=True,
        )
        entry = entry_json(message_id, None, fields_json)
        # The files are this message's alone: its pack deletes them once it is final.
        body = pack_body(head, new_id("pack"), [entry], tuple(sorted(staged.objects)))
        limit = self._settings.max_queued_message_bytes
        if len(body.encode()) > limit:  # it waits in SQS, as a batch's message does
            raise PayloadTooLarge(f"A scheduled message may be at most {limit} bytes")
        if files is not None:
            staged.store(files)  # before the record: nothing stored points at a missing file
        try:
            self._store.put_message(record)  # stored first: no waiting body points at nothing
        except BaseException:
            if files is not None:
                files.delete(list(staged.objects))
            raise
        entry_ = ScheduledEntry(principal.account_id, message_id, request.scheduled_at, body)
        if self._scheduler.place([entry_]):
            reason = "could not be scheduled"
            self._store.mark_failed(principal.account_id, message_id, reason=reason, at=utcnow())
            if files is not None:
                files.delete(list(staged.objects))
            raise SendFailed(f"The message {reason}; retry")
        metrics.add_metric(name="MessagesScheduled", unit="Count", value=1)
        return SendResult(message_id, MessageStatus.SCHEDULED.value, request.to, from_email)

    def _record(
        self,
        msg: Accepted,
        request: SendRequest,
        provider: Provider,
        raw: bytes,
        now: datetime,
    ) -> MessageRecord:
        expires = now + timedelta(days=self._settings.message_retention_days)
        return MessageRecord(
            account_id=msg.account_id,
            message_id=msg.message_id,
            status=MessageStatus.SENDING,
            from_email=msg.from_email,
            from_name=msg.from_name,
            to_email=msg.to,
            cc=list(msg.cc),
            bcc=list(msg.bcc),
            reply_to=msg.reply_to,
            subject=msg.subject,
            tags=list(request.tags),
            metadata=dict(request.metadata),
            provider_id=provider.provider_id,
            provider_kind=provider.kind.value,
            created_at=now,
            expires_at=int(expires.timestamp()),
            test=msg.test,
            size_bytes=len(raw),
            template_id=request.template_id,
        )
