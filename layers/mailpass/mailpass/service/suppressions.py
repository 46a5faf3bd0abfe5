"""The suppression list as the API shows it: the listing (oldest first, by reason kind, paged
with signed cursors) and addresses added by hand. Feedback adds bounces and complaints
(service/feedback.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from mailpass.errors import ValidationFailed
from mailpass.models import SUPPRESSION_KINDS, iso, utcnow
from mailpass.ports import SuppressionStore
from mailpass.ports_listing import SuppressionLister
from mailpass.service.cursor import Cursors
from mailpass.service.message_log import parse_limit

MANUAL_REASON = "manual"


class Store(SuppressionStore, SuppressionLister, Protocol):
    pass


def view(entry: dict[str, Any]) -> dict[str, Any]:
    at = entry.get("created_at")
    return {
        "email": entry["email"],
        "reason": entry.get("reason"),
        "kind": entry.get("kind"),
        "message_id": entry.get("message_id"),
        "created_at": iso(datetime.fromisoformat(at)) if at else None,
    }


class SuppressionService:
    def __init__(self, store: Store, cursors: Cursors) -> None:
        self._store = store
        self._cursors = cursors

    def list(
        self,
        account_id: str,
        *,
        reason: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        if reason is not None and reason not in SUPPRESSION_KINDS:
            raise ValidationFailed(
                f"reason must be one of {', '.join(SUPPRESSION_KINDS)}",
                details=[{"field": "reason", "message": "unknown reason", "type": "value_error"}],
            )
        scope = json.dumps([reason])
        page = self._store.suppression_page(
            account_id,
            reason=reason,
            limit=parse_limit(limit),
            start=self._cursors.open(account_id, scope, cursor),
        )
        return {
            "suppressions": [view(e) for e in page.entries],
            "next_cursor": self._cursors.seal(account_id, scope, page.next),
        }

    def add(self, account_id: str, email: str, reason: str | None) -> tuple[dict[str, Any], bool]:
        """Idempotent: an address already on the list stays as it is (its first reason and
        time); the bool says whether this call added it."""
        added = self._store.add_suppression(
            account_id,
            email,
            reason=reason or MANUAL_REASON,
            at=utcnow(),
            message_id=None,
            kind="manual",
        )
        entry = self._store.suppression(account_id, email)
        if entry is None:  # removed again in between: report what this call did
            entry = {"email": email.lower(), "reason": reason or MANUAL_REASON, "kind": "manual"}
        return view(entry), added
