"""Dispatch state (ports.PackStore), in memory, with DynamoDB's conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mailpass import usage
from mailpass.ports import LogPlace, Outcome, PackClaim, PackState

from tests.fakes.memory import Pack, Shared


class InMemoryPacks(Shared):
    def claim_packs(self, claims: list[PackClaim], *, now: float, lease_until: float) -> set[str]:
        held = set()
        for c in claims:
            p = self.memory.packs.get(c.pack_id)
            # New, released, or claimed by a dispatcher that died before its hand-off.
            if p is None or p.state == "queued" or (p.state == "claimed" and p.lease_until < now):
                attempts = (p.attempts if p else 0) + 1
                self.memory.packs[c.pack_id] = Pack("claimed", c.token, lease_until, attempts)
                held.add(c.pack_id)
        return held

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> int:
        p = self.memory.packs.get(claim.pack_id)
        if p is None or p.state != "claimed" or p.token != claim.token:
            return 0
        p.state, p.lease_until = "sending", lease_until
        return p.attempts

    def release_pack(self, claim: PackClaim) -> None:
        p = self.memory.packs.get(claim.pack_id)
        if p is not None and p.token == claim.token:
            p.state, p.token = "queued", None

    def pack_state(self, pack_id: str) -> PackState | None:
        p = self.memory.packs.get(pack_id)
        return None if p is None else PackState(p.state, p.lease_until)

    def record_outcomes(
        self,
        outcomes: list[Outcome],
        *,
        count: Mapping[str, str | None] | None = None,
        log: LogPlace | None = None,  # where the log entry lives: one place in memory
    ) -> None:
        if count:  # as the adapter: each message once, by its last outcome
            events = ((o.message_id, o.at, o.status) for o in outcomes)
            self.memory.add_tally(usage.of_outcomes(outcomes[0].account_id, events, count))
        for outcome in outcomes:
            # Stored as the adapter stores it: the reason is cut to 2,000 characters.
            o = (
                replace(outcome, error_message=outcome.error_message[:2000])
                if outcome.error_message
                else outcome
            )
            self.memory.results[(o.account_id, o.message_id)] = o

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        found = ((mid, self.memory.results.get((account_id, mid))) for mid in message_ids)
        return {mid: o for mid, o in found if o is not None}

    def requeue(
        self,
        account_id: str,
        message_ids: list[str],
        pack_id: str,
        log: LogPlace | None = None,  # as record_outcomes
    ) -> bool:
        results = [self.memory.results.get((account_id, mid)) for mid in message_ids]
        if any(r is None or r.status != "failed" for r in results):
            return False  # all or nothing, as DynamoDB's transaction
        for mid in message_ids:
            del self.memory.results[(account_id, mid)]
        p = self.memory.packs.get(pack_id)
        self.memory.packs[pack_id] = Pack("queued", None, 0.0, p.attempts if p else 0)
        return True
