"""GET /status/{message_id}: a message of this account and its events, in time order."""

from __future__ import annotations

from typing import Any

from mailpass.errors import NotFound
from mailpass.ids import normalize_message_id
from mailpass.models import MessageEvent, MessageRecord, Principal, iso
from mailpass.ports import MessageStore


def message_view(m: MessageRecord) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "from_email": m.from_email,
        "from_name": m.from_name,
        "to_email": m.to_email,
        "cc": m.cc,
        "bcc": m.bcc,
        "reply_to": m.reply_to,
        "subject": m.subject,
        "status": m.status.value,
        "error_message": m.error_message,
        "note": m.note,
        "tags": m.tags,
        "metadata": m.metadata,
        "provider_id": m.provider_id,
        "provider_message_id": m.provider_message_id,
        "test": m.test,
        "queue_id": m.queue_id,
        "template_id": m.template_id,
        "scheduled_at": iso(m.scheduled_at),
        "sent_at": iso(m.sent_at),
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    }


def event_view(e: MessageEvent) -> dict[str, Any]:
    view = {
        "event_type": e.event_type,
        "ip_address": e.ip_address,
        "user_agent": e.user_agent,
        "created_at": iso(e.created_at),
    }
    # Beyond the spec's four fields, only what tells events apart: a machine open or click
    # (privacy proxy, scanner), the link clicked, a bounce's kind.
    for key in ("machine", "url", "bounce_type", "reason"):
        if key in e.data:
            view[key] = e.data[key]
    return view


def engagement(events: list[MessageEvent]) -> dict[str, int]:
    """Counts that stay honest: opens by people, apart from machine fetches."""
    opens = [e for e in events if e.event_type == "open"]
    clicks = [e for e in events if e.event_type == "click"]
    return {
        "opens": sum(1 for e in opens if not e.data.get("machine")),
        "machine_opens": sum(1 for e in opens if e.data.get("machine")),
        "clicks": sum(1 for e in clicks if not e.data.get("machine")),
        "machine_clicks": sum(1 for e in clicks if e.data.get("machine")),
    }


class StatusService:
    def __init__(self, store: MessageStore) -> None:
        self._store = store

    def get(self, principal: Principal, raw_message_id: str) -> dict[str, Any]:
        message_id = normalize_message_id(raw_message_id)
        # Another account's message and a malformed id look exactly like a missing one.
        found = self._store.get_message(principal.account_id, message_id) if message_id else None
        if found is None:
            raise NotFound("No such message for this account")
        record, events = found
        ordered = sorted(events, key=lambda e: e.created_at)
        return {
            "message": message_view(record),
            "events": [event_view(e) for e in ordered],
            "engagement": engagement(ordered),
        }
