"""The suppression list (ports.SuppressionStore), in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailpass.errors import NotFound
from mailpass.models import suppression_kind
from mailpass.ports_listing import Position, SuppressionPage

from tests.fakes.memory import Shared


class InMemorySuppressions(Shared):
    def suppressed(self, account_id: str, emails: list[str]) -> dict[str, str]:
        found = (self.memory.suppressions.get((account_id, e.lower())) for e in emails)
        return {f["email"]: f.get("reason", "suppressed") for f in found if f is not None}

    def add_suppression(
        self,
        account_id: str,
        email: str,
        *,
        reason: str,
        at: datetime,
        message_id: str | None,
        kind: str | None = None,
    ) -> bool:
        key = (account_id, email.lower())
        if key in self.memory.suppressions:
            return False
        entry: dict[str, Any] = {
            "email": email.lower(),
            "reason": reason[:1000],
            "kind": kind or suppression_kind(reason),
            "created_at": at.isoformat(),
        }
        if message_id is not None:
            entry["message_id"] = message_id
        self.memory.suppressions[key] = entry
        return True

    def remove_suppression(self, account_id: str, email: str) -> None:
        if self.memory.suppressions.pop((account_id, email.lower()), None) is None:
            raise NotFound(f"{email} is not on the suppression list")

    def list_suppressions(self, account_id: str) -> list[dict[str, Any]]:
        return [
            dict(v) for (a, _), v in sorted(self.memory.suppressions.items()) if a == account_id
        ]

    def suppression(self, account_id: str, email: str) -> dict[str, Any] | None:
        entry = self.memory.suppressions.get((account_id, email.lower()))
        return None if entry is None else dict(entry)

    def suppression_page(
        self, account_id: str, *, reason: str | None, limit: int, start: Position | None
    ) -> SuppressionPage:
        def order(e: dict[str, Any]) -> tuple[datetime, str]:
            return datetime.fromisoformat(e["created_at"]), e["email"]

        entries = sorted(
            (
                dict(v)
                for (a, _), v in self.memory.suppressions.items()
                if a == account_id and (reason is None or v["kind"] == reason)
            ),
            key=order,
        )
        if start is not None:
            after = (datetime.fromisoformat(start["at"]), start["email"])
            entries = [e for e in entries if order(e) > after]
        page = entries[:limit]
        more = len(entries) > limit
        last = page[-1] if page else None
        return SuppressionPage(
            page, {"at": last["created_at"], "email": last["email"]} if more and last else None
        )
