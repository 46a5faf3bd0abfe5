"""SES feedback: configuration-set events (through SNS or EventBridge) recorded against the message
they are about, moving its status on, and feeding the suppression list.

A message is found by the tags it was sent with (adapters/ses.py), so no lookup table is needed;
an event without them is about mail MailPass did not send and is ignored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailpass import usage
from mailpass.models import ACCOUNT_TAG, MESSAGE_TAG, MessageEvent, MessageStatus, utcnow
from mailpass.observability import logger
from mailpass.ports import EventNotifier, FeedbackStore
from mailpass.ports_account import DomainCounter
from mailpass.tracking import is_machine

# SES event type -> our event type
EVENT_TYPES = {
    "Delivery": "delivery",
    "Bounce": "bounce",
    "Complaint": "complaint",
    "Reject": "reject",
    "DeliveryDelay": "delivery_delay",
    "Open": "open",
    "Click": "click",
}


@dataclass(frozen=True, slots=True)
class Feedback:
    account_id: str
    message_id: str
    event: MessageEvent
    status: MessageStatus | None = None
    reason: str | None = None
    suppress: tuple[str, ...] = ()
    ses: dict[str, Any] = field(default_factory=dict, repr=False)


def _ts(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return utcnow()


def ses_events(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The SES event JSONs in a Lambda event: SNS records, an EventBridge event, or one raw."""
    if "Records" in event:
        out = []
        for record in event["Records"]:
            message = record.get("Sns", {}).get("Message")
            if message:
                try:
                    out.append(json.loads(message))
                except ValueError:
                    logger.warning("SNS message is not JSON", extra={"message": message[:300]})
        return out
    if "detail" in event and "detail-type" in event:
        return [event["detail"]]
    return [event]


def parse(ses: dict[str, Any]) -> Feedback | None:
    kind = ses.get("eventType") or ses.get("notificationType")
    our = EVENT_TYPES.get(str(kind))
    mail = ses.get("mail", {})
    tags = mail.get("tags", {})
    account = (tags.get(ACCOUNT_TAG) or [None])[0]
    message = (tags.get(MESSAGE_TAG) or [None])[0]
    if our is None or not account or not message:
        return None
    message_id = f"<{message}>"
    data: dict[str, Any] = {}
    status: MessageStatus | None = None
    reason: str | None = None
    suppress: tuple[str, ...] = ()
    ip = ua = None
    if our == "delivery":
        d = ses.get("delivery", {})
        at = _ts(d.get("timestamp"))
        status = MessageStatus.DELIVERED
        data["reason"] = d.get("smtpResponse")
    elif our == "bounce":
        b = ses.get("bounce", {})
        at = _ts(b.get("timestamp"))
        recipients = b.get("bouncedRecipients", [])
        data["bounce_type"] = f"{b.get('bounceType')}/{b.get('bounceSubType')}"
        diagnostic = "; ".join(
            f"{r.get('emailAddress')}: {r.get('diagnosticCode') or r.get('status') or 'bounced'}"
            for r in recipients
        )
        data["reason"] = diagnostic or None
        if b.get("bounceType") == "Permanent":  # a hard bounce: the address is gone
            status = MessageStatus.BOUNCED
            reason = f"hard bounce: {diagnostic or b.get('bounceSubType')}"
            suppress = tuple(r["emailAddress"] for r in recipients if r.get("emailAddress"))
    elif our == "complaint":
        c = ses.get("complaint", {})
        at = _ts(c.get("timestamp"))
        status = MessageStatus.COMPLAINED
        kind_of = c.get("complaintFeedbackType") or "abuse"
        reason = f"complaint ({kind_of})"
        data["reason"] = reason
        suppress = tuple(
            r["emailAddress"] for r in c.get("complainedRecipients", []) if r.get("emailAddress")
        )
    elif our == "reject":
        at = _ts(mail.get("timestamp"))
        status = MessageStatus.FAILED
        reason = f"rejected by SES: {ses.get('reject', {}).get('reason', 'unknown')}"
        data["reason"] = reason
    elif our == "delivery_delay":
        d = ses.get("deliveryDelay", {})
        at = _ts(d.get("timestamp"))
        data["reason"] = d.get("delayType")
    else:  # open, click tracked by SES itself
        d = ses.get(str(kind).lower(), {})
        at = _ts(d.get("timestamp"))
        ip, ua = d.get("ipAddress"), d.get("userAgent")
        data["machine"] = is_machine(ua, ip)
        if our == "click":
            data["url"] = d.get("link")
    return Feedback(
        account_id=account,
        message_id=message_id,
        event=MessageEvent(our, at, ip, ua, {k: v for k, v in data.items() if v is not None}),
        status=status,
        reason=reason,
        suppress=suppress,
        ses=ses,
    )


# The per-domain counters a final status adds to (a sender domain's bounce rate).
DOMAIN_COUNTER_OF = {
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.BOUNCED: "bounced",
    MessageStatus.COMPLAINED: "complained",
}


# The usage count a status set by feedback adds to (once per message and status).
USAGE_OF = {
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.BOUNCED: "bounced",
    MessageStatus.COMPLAINED: "complained",
    MessageStatus.FAILED: "failed",  # SES rejected it after taking it
}


def sender_domains(ses: dict[str, Any]) -> list[str]:
    """The sending address's domain, then its parents (mail from news.acme.com counts for
    acme.com when only that is the account's domain), down to two labels."""
    source = str(ses.get("mail", {}).get("source") or "")
    domain = source.rpartition("@")[2].strip(" >").lower()
    labels = domain.split(".") if "@" in source and domain else []
    return [".".join(labels[i:]) for i in range(max(len(labels) - 1, 0))]


class FeedbackService:
    def __init__(
        self,
        store: FeedbackStore,
        notifier: EventNotifier | None = None,
        domains: DomainCounter | None = None,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._domains = domains

    def _count_domain(self, feedback: Feedback) -> None:
        counter = DOMAIN_COUNTER_OF.get(feedback.status) if feedback.status else None
        if self._domains is None or counter is None:
            return
        # Usually one conditional ADD: the exact domain is the account's.
        for name in sender_domains(feedback.ses):
            if self._domains.count_domain_feedback(feedback.account_id, name, counter):
                return

    def record(self, feedback: Feedback) -> None:
        a, m = feedback.account_id, feedback.message_id
        self._store.add_event(a, m, feedback.event)
        if feedback.status is not None:
            at = feedback.event.created_at
            sender = str(feedback.ses.get("mail", {}).get("source") or "") or None
            count = USAGE_OF[feedback.status]
            self._store.set_feedback_status(
                a, m, feedback.status, at, feedback.reason, tally=usage.one(a, m, at, count, sender)
            )
        self._count_domain(feedback)
        for email in feedback.suppress:
            self._store.add_suppression(
                a, email, reason=feedback.reason or "suppressed", at=utcnow(), message_id=m
            )
        if self._notifier is not None:
            self._notifier.notify(a, m, feedback.event)

    def handle(self, event: dict[str, Any]) -> dict[str, int]:
        counts = {"recorded": 0, "ignored": 0}
        for ses in ses_events(event):
            feedback = parse(ses)
            if feedback is None:
                counts["ignored"] += 1
                logger.info(
                    "feedback not for a MailPass message", extra={"type": ses.get("eventType")}
                )
                continue
            self.record(feedback)
            counts["recorded"] += 1
        return counts

    # the suppression list: its listing and manual adds are service/suppressions.py
    def unsuppress(self, account_id: str, email: str) -> dict[str, Any]:
        self._store.remove_suppression(account_id, email)
        return {"email": email.lower(), "suppressed": False}
