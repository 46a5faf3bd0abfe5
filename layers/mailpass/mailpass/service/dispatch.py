"""The dispatcher: drains the send queue, and never sends a message twice.

Per received batch (up to 10 SQS messages):
  1. claim    one TransactWriteItems: queued -> claimed (token, lease). A claim whose dispatcher
              died before step 2 expires with its lease and the message is claimed again: it
              provably never reached the provider.
  2. hand-off per message: claimed -> sending (conditional on the token), then the provider.
              Transient refusals (4xx, timeouts, refused connections) release the claim and
              back off; permanent ones (5xx, rejected address) are final. Each SMTP provider is
              one lane, sent in order over its pooled connection; SES calls are independent, so
              each is its own lane. Lanes run concurrently up to `send_concurrency`.
  3. record   final states as RESULT items, in BatchWriteItems of `record_every` as they come:
              a crash between a send and its record leaves at most that many unknown.
  4. delete   one DeleteMessageBatch.
Queue messages are packs of up to ten (service/batch.py); a pack is deleted once every message
it carries is final, and otherwise comes back for the ones that are not.
SQS redelivery is the sweep: a redelivered message that cannot be claimed is settled by its
state. Done: drop it. `sending` past its lease: the hand-off was interrupted, so delivery is
unknown; it is not resent blindly but failed with a reason that says so."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailpass.errors import ProviderError
from mailpass.mime import Composition, OutgoingMessage, build_message
from mailpass.models import MessageStatus, Provider, ProviderKind, utcnow
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


@dataclass(frozen=True, slots=True)
class _Result:
    """What one hand-off decided; gathered on the calling thread."""

    outcome: Outcome | None = None
    delay: int | None = None  # seconds until SQS shows the message again
    retried: bool = False


_Ready = tuple[_Job, Provider | None]


class _Recorder:
    """Collects final states from every lane and writes them `every` at a time."""

    def __init__(self, store: BatchCapableStore, faults: Faults, every: int) -> None:
        self._store = store
        self._faults = faults
        self._every = every
        self._lock = threading.Lock()
        self._pending: list[Outcome] = []
        self.sent = 0
        self.failed = 0

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self._pending.append(outcome)
            if outcome.status == MessageStatus.SENT.value:
                self.sent += 1
            else:
                self.failed += 1
            if len(self._pending) < self._every:
                return
            ready, self._pending = self._pending, []
        self._write(ready)

    def flush(self) -> None:
        with self._lock:
            ready, self._pending = self._pending, []
        if ready:
            self._write(ready)

    def _write(self, outcomes: list[Outcome]) -> None:
        self._faults.at("before_record", "")
        self._store.record_outcomes(outcomes)


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
        receive_wait_seconds: int | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._senders = senders
        self._settings = settings
        self._dead_letters = dead_letters
        self._faults = faults or NoFaults()
        self._clock = clock
        self._wait = (
            settings.receive_wait_seconds if receive_wait_seconds is None else receive_wait_seconds
        )
        self._pool: ThreadPoolExecutor | None = None  # made on first concurrent batch, then kept

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
            self._process(batch, report, accounts, remaining_ms)
        if self._dead_letters is not None and remaining_ms() >= self._settings.drain_margin_ms:
            self._sweep_dead_letters(self._dead_letters, report)
        return report

    def _sweep_dead_letters(self, dlq: Queue, report: DrainReport) -> None:
        """SQS moves a message to the DLQ after too many deliveries (crash loops included). Give
        anything there a final state; the message stays for an operator to inspect or redrive."""
        outcomes = []
        for msg in dlq.receive(10, 0, self._settings.visibility_seconds):
            for job in _parse(msg) or []:
                state = self._store.dispatch_state(job.account_id, job.message_id)
                if state is None or state.has_result or state.status in FINAL:
                    continue
                outcomes.append(
                    Outcome(
                        job.account_id,
                        job.message_id,
                        "failed",
                        utcnow(),
                        error_message=DEAD_LETTERED.format(n=msg.receive_count),
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
        for msg in batch:
            jobs.extend(_parse(msg) or [])  # unreadable: nothing could ever send it; deleted
        report.received += len(jobs)
        now = self._clock()
        held = self._store.claim(
            [j.claim for j in jobs], now=now, lease_until=now + self._settings.lease_seconds
        )
        for job in jobs:
            self._faults.at("after_claim", job.message_id)
        # What became of each job: a final state (recorded as it comes), a delay before SQS
        # shows its message again, or `pending` (someone else holds a live claim: let the
        # visibility timeout run).
        recorder = _Recorder(self._store, self._faults, self._settings.record_every)
        delays: dict[str, int] = {}  # receipt -> the longest delay any of its jobs asked for
        pending: set[str] = set()
        ready: list[_Ready] = []
        for job in jobs:
            if job.message_id in held:
                ready.append((job, None if job.test else self._provider(job, accounts)))
                continue
            settled = self._settle(job, now)
            if settled is None:
                pending.add(job.msg.receipt)
                continue
            report.settled += 1
            if isinstance(settled, Outcome):
                recorder.add(settled)
        for job, result in self._send_all(ready, remaining_ms, recorder):
            if result.delay is not None:
                receipt = job.msg.receipt
                delays[receipt] = max(delays.get(receipt, 0), result.delay)
            report.retried += result.retried
        recorder.flush()
        report.sent += recorder.sent
        report.failed += recorder.failed
        # A message is done when every job it carries is final (recorded above, or already);
        # one that is waiting for a retry, or bound for the DLQ, stays.
        done = [m.receipt for m in batch if m.receipt not in delays and m.receipt not in pending]
        self._faults.at("before_delete", "")
        if done:
            self._queue.delete(done)
        delays = {r: d for r, d in delays.items() if r not in pending}
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

    def _send_all(
        self, ready: list[_Ready], remaining_ms: Callable[[], int], recorder: _Recorder
    ) -> list[tuple[_Job, _Result]]:
        lanes: dict[str, list[_Ready]] = {}
        for job, provider in ready:
            if provider is not None and provider.kind is ProviderKind.SES:
                key = "ses:" + job.message_id  # stateless HTTPS calls: no ordering to keep
            else:
                key = "smtp:" + (provider.provider_id if provider else "")
            lanes.setdefault(key, []).append((job, provider))
        if len(lanes) <= 1 or self._settings.send_concurrency <= 1:
            return [
                r for lane in lanes.values() for r in self._run_lane(lane, remaining_ms, recorder)
            ]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self._settings.send_concurrency, thread_name_prefix="send"
            )
        futures = [
            self._pool.submit(self._run_lane, lane, remaining_ms, recorder)
            for lane in lanes.values()
        ]
        wait(futures)  # all settle before any error propagates: nothing keeps running behind
        return [r for f in futures for r in f.result()]

    def _run_lane(
        self, lane: list[_Ready], remaining_ms: Callable[[], int], recorder: _Recorder
    ) -> list[tuple[_Job, _Result]]:
        results = []
        for job, provider in lane:
            if remaining_ms() < self._settings.drain_margin_ms:
                # Out of time (a slow provider ate it): hand it back untouched for the next run.
                self._store.release(job.claim)
                results.append((job, _Result(delay=0)))
                continue
            result = self._hand_off(job, provider)
            if result.outcome is not None:
                recorder.add(result.outcome)
            results.append((job, result))
        return results

    def _hand_off(self, job: _Job, provider: Provider | None) -> _Result:
        def final(status: str, **kw: Any) -> _Result:
            return _Result(Outcome(job.account_id, job.message_id, status, utcnow(), **kw))

        lease = self._clock() + self._settings.lease_seconds  # the hand-off gets a full lease
        if not self._store.begin_handoff(job.claim, at=utcnow(), lease_until=lease):
            return _Result()  # the claim was lost to a sweep; whoever holds it now decides
        self._faults.at("in_handoff", job.message_id)
        if job.test:
            return final("sent", note=TEST_KEY_NOTE)
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
                return _Result(
                    Outcome(
                        job.account_id,
                        job.message_id,
                        "failed",
                        utcnow(),
                        error_message=f"gave up after {attempts} attempts: {exc.reason}",
                    ),
                    delay=0,
                )
            self._store.release(job.claim)
            return _Result(delay=self._backoff(attempts), retried=True)
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


def _parse(msg: QueuedMessage) -> list[_Job] | None:
    """The jobs a queue message carries: a pack (version 2), or a single message (version 1)."""
    try:
        data = json.loads(msg.body)
        entries = data.get("messages", [data])
        return [
            _Job(
                msg=msg,
                account_id=data["account_id"],
                message_id=entry["message_id"],
                provider_id=data.get("provider_id"),
                test=bool(data.get("test")),
                fields=entry["message"],
            )
            for entry in entries
        ]
    except (ValueError, KeyError, TypeError):
        logger.error("unreadable queue message dropped", extra={"body": msg.body[:500]})
        return None
