"""The dispatcher: drains the send queue, and never sends a message twice.

Per received batch (up to 10 SQS messages):
  1. claim    one TransactWriteItems: queued -> claimed (token, lease). A claim whose dispatcher
              died before step 2 expires with its lease and the message is claimed again: it
              provably never reached the provider.
  2. hand-off per message: claimed -> sending (conditional on the token), then the provider.
              Transient refusals (4xx, timeouts, refused connections) release the claim and
              back off; permanent ones (5xx, rejected address) are final.
  3. record   every final state in one BatchWriteItem (RESULT items).
  4. delete   one DeleteMessageBatch.
SQS redelivery is the sweep: a redelivered message that cannot be claimed is settled by its
state. Done: drop it. `sending` past its lease: the hand-off was interrupted, so delivery is
unknown; it is not resent blindly but failed with a reason that says so."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailpass.errors import ProviderError
from mailpass.mime import Composition, OutgoingMessage, build_message
from mailpass.models import MessageStatus, Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import AccountConfig, Claim, Outcome, Queue, QueuedMessage, SenderFactory
from mailpass.service.batch import BatchCapableStore
from mailpass.service.send import TEST_KEY_NOTE
from mailpass.settings import Settings

FINAL = {s.value for s in MessageStatus} - {
    MessageStatus.QUEUED.value,
    MessageStatus.CLAIMED.value,
    MessageStatus.SENDING.value,
}
DEAD_LETTERED = "moved to the dead-letter queue after {n} deliveries; an operator can redrive it"
INTERRUPTED = (
    "the dispatcher stopped during the hand-off to the provider, so delivery is unknown; "
    "not resent, to avoid a duplicate"
)


class Faults(Protocol):
    """Test seam: raise from `at` to simulate the process dying at that step."""

    def at(self, step: str, message_id: str) -> None: ...


class NoFaults:
    def at(self, step: str, message_id: str) -> None:
        return None


@dataclass
class DrainReport:
    received: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    settled: int = 0
    batches: int = 0
    stopped_for_time: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Job:
    msg: QueuedMessage
    account_id: str
    message_id: str
    provider_id: str | None
    test: bool
    fields: dict[str, Any]
    claim: Claim = field(init=False)

    def __post_init__(self) -> None:
        self.claim = Claim(self.account_id, self.message_id, uuid.uuid4().hex)


class DispatchService:
    def __init__(
        self,
        store: BatchCapableStore,
        queue: Queue,
        senders: SenderFactory,
        settings: Settings,
        *,
        dead_letters: Queue | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
        receive_wait_seconds: int = 1,
    ) -> None:
        self._store = store
        self._queue = queue
        self._senders = senders
        self._settings = settings
        self._dead_letters = dead_letters
        self._faults = faults or NoFaults()
        self._clock = clock
        self._wait = receive_wait_seconds

    def drain(self, remaining_ms: Callable[[], int]) -> DrainReport:
        report = DrainReport()
        accounts: dict[str, AccountConfig | None] = {}
        while True:
            if remaining_ms() < self._settings.drain_margin_ms:
                report.stopped_for_time = True
                break
            batch = self._queue.receive(10, self._wait, self._settings.visibility_seconds)
            if not batch:
                break
            report.batches += 1
            report.received += len(batch)
            self._process(batch, report, accounts, remaining_ms)
        if self._dead_letters is not None and remaining_ms() >= self._settings.drain_margin_ms:
            self._sweep_dead_letters(self._dead_letters, report)
        return report

    def _sweep_dead_letters(self, dlq: Queue, report: DrainReport) -> None:
        """SQS moves a message to the DLQ after too many deliveries (crash loops included). Give
        anything there a final state; the message stays for an operator to inspect or redrive."""
        outcomes = []
        for msg in dlq.receive(10, 0, self._settings.visibility_seconds):
            job = _parse(msg)
            if job is None:
                continue
            state = self._store.dispatch_state(job.account_id, job.message_id)
            if state is None or state.has_result or state.status in FINAL:
                continue
            n = msg.receive_count
            outcomes.append(
                Outcome(
                    job.account_id,
                    job.message_id,
                    "failed",
                    utcnow(),
                    error_message=DEAD_LETTERED.format(n=n),
                )
            )
        if outcomes:
            self._store.record_outcomes(outcomes)
            report.failed += len(outcomes)

    # one received batch -------------------------------------------------------------------
    def _process(
        self,
        batch: list[QueuedMessage],
        report: DrainReport,
        accounts: dict[str, AccountConfig | None],
        remaining_ms: Callable[[], int],
    ) -> None:
        jobs: list[_Job] = []
        done: list[str] = []  # receipts to delete
        for msg in batch:
            job = _parse(msg)
            if job is None:
                done.append(msg.receipt)  # unreadable: nothing could ever send it
                continue
            jobs.append(job)
        now = self._clock()
        held = self._store.claim(
            [j.claim for j in jobs], now=now, lease_until=now + self._settings.lease_seconds
        )
        outcomes: list[tuple[_Job, Outcome]] = []
        delays: dict[str, int] = {}
        for job in jobs:
            self._faults.at("after_claim", job.message_id)
        for job in jobs:
            if job.message_id not in held:
                settled = self._settle(job, now)
                if settled is not None:
                    report.settled += 1
                    if isinstance(settled, Outcome):
                        outcomes.append((job, settled))  # deleted once recorded, below
                    else:
                        done.append(job.msg.receipt)
                continue
            if remaining_ms() < self._settings.drain_margin_ms:
                # Out of time: hand it back untouched for the next run.
                self._store.release(job.claim)
                delays[job.msg.receipt] = 0
                continue
            outcome = self._hand_off(job, accounts, delays, report)
            if outcome is not None:
                outcomes.append((job, outcome))
        self._faults.at("before_record", "")
        if outcomes:
            self._store.record_outcomes([o for _, o in outcomes])
        for job, outcome in outcomes:
            if outcome.status == MessageStatus.SENT.value:
                report.sent += 1
            else:
                report.failed += 1
            if job.msg.receipt not in delays:  # a DLQ-bound message stays for SQS to move
                done.append(job.msg.receipt)
        self._faults.at("before_delete", "")
        if done:
            self._queue.delete(done)
        if delays:
            self._queue.delay(delays)

    def _settle(self, job: _Job, now: float) -> Outcome | bool | None:
        """A message we could not claim. True: already final, just drop it. An Outcome: final
        now. None: someone else holds a live claim, leave it to them."""
        state = self._store.dispatch_state(job.account_id, job.message_id)
        if state is None or state.has_result or state.status in FINAL:
            return True
        if state.status == MessageStatus.SENDING.value and state.lease_until < now:
            logger.warning("interrupted hand-off", extra={"message_id": job.message_id})
            return Outcome(
                job.account_id, job.message_id, "failed", utcnow(), error_message=INTERRUPTED
            )
        return None

    def _provider(self, job: _Job, accounts: dict[str, AccountConfig | None]) -> Provider | None:
        if job.account_id not in accounts:
            accounts[job.account_id] = self._store.get_account_config(job.account_id)
        config = accounts[job.account_id]
        if config is None:
            return None
        chosen = next((p for p in config.providers if p.provider_id == job.provider_id), None)
        return chosen or config.default_provider

    def _hand_off(
        self,
        job: _Job,
        accounts: dict[str, AccountConfig | None],
        delays: dict[str, int],
        report: DrainReport,
    ) -> Outcome | None:
        def final(status: str, **kw: Any) -> Outcome:
            return Outcome(job.account_id, job.message_id, status, utcnow(), **kw)

        if not self._store.begin_handoff(job.claim, at=utcnow()):
            return None  # the claim was lost to a sweep; whoever holds it now decides
        self._faults.at("in_handoff", job.message_id)
        if job.test:
            return final("sent", note=TEST_KEY_NOTE)
        provider = self._provider(job, accounts)
        if provider is None:
            return final("failed", error_message="the account has no provider any more")
        f = job.fields
        try:
            raw = build_message(
                Composition(
                    message_id=job.message_id,
                    from_email=f["from_email"],
                    from_name=f.get("from_name"),
                    to=f["to"],
                    cc=tuple(f.get("cc", ())),
                    reply_to=f.get("reply_to"),
                    subject=f["subject"],
                    date=utcnow(),
                    html=f.get("html"),
                    text=f.get("text"),
                )
            )
            recipients = tuple(dict.fromkeys([f["to"], *f.get("cc", ()), *f.get("bcc", ())]))
            receipt = self._senders.for_provider(provider).send(
                OutgoingMessage(job.message_id, f["from_email"], recipients, raw)
            )
        except ProviderError as exc:
            if exc.permanent:
                return final("failed", error_message=exc.reason)
            attempts = job.msg.receive_count
            if attempts >= self._settings.max_receives:
                # Final here; SQS moves the message to the DLQ on its next receive.
                delays[job.msg.receipt] = 0
                return final(
                    "failed", error_message=f"gave up after {attempts} attempts: {exc.reason}"
                )
            self._store.release(job.claim)
            delays[job.msg.receipt] = self._backoff(attempts)
            report.retried += 1
            return None
        self._faults.at("after_send", job.message_id)
        note = None
        if receipt.refused:
            note = "refused recipients: " + "; ".join(
                f"{a}: {why}" for a, why in sorted(receipt.refused.items())
            )
        return final("sent", provider_message_id=receipt.provider_message_id, note=note)

    def _backoff(self, attempts: int) -> int:
        s = self._settings
        return int(min(s.backoff_base_seconds * 2 ** max(attempts - 1, 0), s.backoff_max_seconds))


def _parse(msg: QueuedMessage) -> _Job | None:
    try:
        data = json.loads(msg.body)
        return _Job(
            msg=msg,
            account_id=data["account_id"],
            message_id=data["message_id"],
            provider_id=data.get("provider_id"),
            test=bool(data.get("test")),
            fields=data["message"],
        )
    except (ValueError, KeyError, TypeError):
        logger.error("unreadable queue message dropped", extra={"body": msg.body[:500]})
        return None
