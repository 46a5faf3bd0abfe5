"""The dispatcher: drains the send queue, and never sends a message twice.

A queue message is a pack of up to 25 queued messages of one account (service/batch.py), and
the pack is the unit of dispatch state (its PACK item), so the bookkeeping costs a few requests
per pack rather than per message. Per received batch (up to 10 packs):
  1. claim    one TransactWriteItems: each pack new/queued -> claimed (token, lease). A claim
              whose dispatcher died before step 2 expires with its lease and the pack is
              claimed again: none of it reached a provider.
  2. hand-off per pack: claimed -> sending (conditional on the token), then its messages go,
              in order, through the delivery pipeline that /send uses too (service/delivery.py:
              suppression, provider chain, MIME, hand-off, the outcome's words). A message
              every provider refused transiently is left for a retry of the pack, with backoff;
              the pipeline's other outcomes are final. A scheduled message's pack (of one,
              service/schedule.py) first moves it scheduled -> queued, conditionally: a cancel
              that came first wins, and it is recorded canceled, never sent.
  3. record   the pack's final states as RESULT items in one BatchWriteItem (they carry the
              messages' place in the log, adapters/dynamodb/log_keys.py). Their usage counts
              are added when the lane ends, one ADD per account and hour.
  4. delete   one DeleteMessageBatch for the finished packs; the others come back, after their
              backoff, for the messages without a final state.
Packs of one SMTP provider go out one after another over its pooled connection; packs for SES,
and for other providers, run alongside, up to `send_concurrency` at a time.

SQS redelivery is the sweep. A redelivered pack that cannot be claimed is settled by its state:
all final, drop it; `sending` past its lease, its hand-off was interrupted, so whatever in it has
no final state may have been delivered and is not resent blindly: it is failed with a reason
that says so. A pack's first send waits until the previous pack's final states are stored, so a
crash leaves at most one pack (25 messages) with an unknown outcome.

A body that does not parse (queue_payload.Poison) is never sent: the messages it still names
get a final `failed`, and it goes to the dead-letter queue for an operator, never deleted.

Two things run beside the sends, off their critical path: the next batch's receive and claim
(a claimed pack that was never started is safe to retry), and the previous pack's record,
which overlaps this pack's hand-off mark."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from mailpass.errors import AttachmentUnavailable
from mailpass.models import Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import (
    AccountConfig,
    AttachmentStore,
    DispatchStore,
    Outcome,
    Queue,
    QueuedMessage,
    SenderFactory,
)
from mailpass.queue_payload import Poison, parse
from mailpass.senders import SenderPolicy
from mailpass.service.attachments import FileCache, lost_files
from mailpass.service.delivery import Delivery, Status
from mailpass.service.limits import Limits
from mailpass.service.pack import (
    DEAD_LETTERED,
    INTERRUPTED,
    POISON,
    Done,
    DrainReport,
    Faults,
    Fetched,
    LaneUsage,
    NoFaults,
    Pack,
    Ready,
    accepted_from,
    fail_unfinished,
    outcome_of,
)
from mailpass.service.quota import PackQuota
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.tracking import TrackingService

MAX_VISIBILITY = 12 * 3600  # SQS keeps a message invisible for 12 hours at most


class DispatchService:
    def __init__(
        self,
        store: DispatchStore,
        queue: Queue,
        senders: SenderFactory,
        settings: Settings,
        *,
        dead_letters: Queue | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
        receive_wait_seconds: int | None = None,
        limits: Limits | None = None,
        tracking: TrackingService | None = None,
        attachments: AttachmentStore | None = None,
    ) -> None:
        self._store = store
        self._attachments = attachments
        self._files = FileCache(attachments)  # a new one per drain
        self._limits = limits or Limits(store)
        self._delivery = Delivery(senders, tracking)
        self._queue = queue
        self._settings = settings
        self._dead_letters = dead_letters
        self._faults = faults or NoFaults()
        self._clock = clock
        self._wait = (
            settings.receive_wait_seconds if receive_wait_seconds is None else receive_wait_seconds
        )
        # Made on first use, then kept for the life of the process.
        self._pool: ThreadPoolExecutor | None = None  # concurrent lanes
        self._ahead: ThreadPoolExecutor | None = None  # the next batch's receive and claim
        self._records: ThreadPoolExecutor | None = None  # final states, behind the sends

    def drain(self, remaining_ms: Callable[[], int]) -> DrainReport:
        report = DrainReport()
        self._files = FileCache(self._attachments)
        accounts: dict[str, AccountConfig | None] = {}
        margin = self._settings.drain_margin_ms
        ahead: Future[Fetched] | None = None
        while True:
            if remaining_ms() < margin:
                report.stopped_for_time = True
                break
            fetched = ahead.result() if ahead is not None else self._fetch()
            ahead = None
            if not fetched.batch:
                break
            report.batches += 1
            # Receive and claim the next batch while this one goes out. Claimed and not yet
            # handed off, a pack is safe to retry, so nothing is risked by holding it early.
            if remaining_ms() >= margin:
                ahead = self._prefetcher().submit(self._fetch)
            self._process(fetched, report, accounts, remaining_ms)
        if ahead is not None:  # out of time with a batch in hand: give it straight back
            self._give_back(ahead.result())
        if self._dead_letters is not None and remaining_ms() >= margin:
            self._sweep_dead_letters(self._dead_letters, report)
        return report

    def _prefetcher(self) -> ThreadPoolExecutor:
        if self._ahead is None:
            self._ahead = ThreadPoolExecutor(1, thread_name_prefix="prefetch")
        return self._ahead

    def _fetch(self) -> Fetched:
        batch = self._queue.receive(10, self._wait, self._settings.visibility_seconds)
        packs: list[Pack] = []
        poison: list[tuple[QueuedMessage, Poison]] = []
        for msg in batch:
            try:
                packs.append(Pack(msg, parse(msg.body)))
            except Poison as bad:
                poison.append((msg, bad))
        now = self._clock()
        held = (
            self._store.claim_packs(
                [p.claim for p in packs], now=now, lease_until=now + self._settings.lease_seconds
            )
            if packs
            else set()
        )
        for pack in packs:
            self._faults.at("after_claim", pack.pack_id)
        return Fetched(batch, packs, poison, held, now)

    def _give_back(self, fetched: Fetched) -> None:
        for pack in fetched.packs:
            if pack.pack_id in fetched.held:
                self._store.release_pack(pack.claim)
        if fetched.batch:
            self._queue.delay({m.receipt: 0 for m in fetched.batch})

    def _sweep_dead_letters(self, dlq: Queue, report: DrainReport) -> None:
        """SQS moves a pack to the DLQ after too many deliveries (crash loops included). Give
        whatever in it has no final state one; the pack stays for an operator to redrive."""
        for msg in dlq.receive(10, 0, self._settings.visibility_seconds):
            try:
                payload = parse(msg.body)
            except Poison as bad:
                report.failed += fail_unfinished(
                    self._store, bad.account_id, bad.message_ids, POISON.format(why=bad.reason)
                )
                continue
            report.failed += fail_unfinished(
                self._store,
                payload.account_id,
                payload.message_ids,
                DEAD_LETTERED.format(n=msg.receive_count),
                None
                if payload.test
                else {e.message_id: e.message.from_email for e in payload.messages},
            )

    def _poisoned(self, poison: list[tuple[QueuedMessage, Poison]], report: DrainReport) -> None:
        """Unreadable bodies: nothing can ever send them, and they are not lost either. What
        they name is failed; the body goes to the dead-letter queue for an operator (or, with
        none configured, is left for SQS's redrive policy to move there)."""
        for msg, bad in poison:
            logger.error(
                "unreadable queue message", extra={"why": bad.reason, "body": msg.body[:500]}
            )
            report.failed += fail_unfinished(
                self._store, bad.account_id, bad.message_ids, POISON.format(why=bad.reason)
            )
        report.poison += len(poison)
        if self._dead_letters is None:
            return
        moved = self._dead_letters.send_batch({str(n): m.body for n, (m, _) in enumerate(poison)})
        gone = [m.receipt for n, (m, _) in enumerate(poison) if str(n) not in moved]
        if gone:
            self._queue.delete(gone)

    # one received batch -------------------------------------------------------------------
    def _process(
        self,
        fetched: Fetched,
        report: DrainReport,
        accounts: dict[str, AccountConfig | None],
        remaining_ms: Callable[[], int],
    ) -> None:
        packs, held, now = fetched.packs, fetched.held, fetched.now
        if fetched.poison:
            self._poisoned(fetched.poison, report)
        done: list[str] = []  # receipts to delete
        report.received += sum(len(p.members) for p in packs)
        ready: list[Ready] = []
        results: list[tuple[Pack, Done]] = []
        for pack in packs:
            if pack.pack_id in held:
                ready.append((pack, self._chain(pack, accounts), self._blocked(pack, accounts)))
            else:
                results.append((pack, self._settle(pack, now)))
                report.settled += 1
        results += self._send_all(ready, remaining_ms)
        delays: dict[str, int] = {}
        requeue: dict[str, str] = {}  # receipt -> body
        for pack, result in results:
            report.count(result.outcomes)
            report.retried += result.retried
            if result.leave:
                continue
            if result.requeue:
                requeue[pack.msg.receipt] = pack.msg.body
            elif result.delay is None:
                done.append(pack.msg.receipt)
            else:
                delays[pack.msg.receipt] = result.delay
        if requeue:
            # Same body, same pack id: the copy is claimed against the same PACK item, and
            # what is already final is skipped when it comes round.
            bodies = list(requeue.items())
            failed = self._queue.send_batch({str(n): body for n, (_, body) in enumerate(bodies)})
            for n, (receipt, _) in enumerate(bodies):
                if str(n) in failed:
                    delays[receipt] = 0  # the old copy stays; it is tried again
                else:
                    done.append(receipt)
        self._faults.at("before_delete", "")
        if done:
            self._queue.delete(done)
        if delays:
            self._queue.delay(delays)

    def _settle(self, pack: Pack, now: float) -> Done:
        """A pack we could not claim."""
        state = self._store.pack_state(pack.pack_id)
        if state is not None and state.lease_until >= now:
            return Done(leave=True)  # someone holds a live claim: theirs to finish
        final = self._store.results(pack.account_id, pack.message_ids)
        missing = [mid for mid in pack.message_ids if mid not in final]
        if not missing:
            return Done()  # all final: just drop the queue message
        if state is None or state.state != "sending":
            return Done(leave=True)  # claimable again: lost a race for it just now
        logger.warning("interrupted hand-off", extra={"pack_id": pack.pack_id, "open": missing})
        outcomes = [
            Outcome(pack.account_id, mid, "failed", utcnow(), error_message=INTERRUPTED)
            for mid in missing
        ]
        self._faults.at("before_record", pack.pack_id)
        self._store.record_outcomes(outcomes, count=pack.counted, log=pack.log)
        return Done(outcomes)

    def _chain(self, pack: Pack, accounts: dict[str, AccountConfig | None]) -> list[Provider]:
        """The pack's provider (the default when it was queued), then the account's fallbacks."""
        if pack.account_id not in accounts:
            accounts[pack.account_id] = self._store.get_account_config(pack.account_id)
        config = accounts[pack.account_id]
        pack.senders = SenderPolicy.of(config)
        if config is None:
            return []
        queued_with = pack.payload.provider_id
        first = queued_with if config.provider(queued_with) else None
        return config.chain(first)

    def _blocked(self, pack: Pack, accounts: dict[str, AccountConfig | None]) -> dict[str, str]:
        """The pack's recipients that are on the account's suppression list (looked up only
        when the account has any)."""
        config = accounts.get(pack.account_id)
        if config is None or not config.account.suppressions:
            return {}
        emails = [a for _, f in pack.members for a in (f.to, *f.cc, *f.bcc)]
        return self._store.suppressed(pack.account_id, emails)

    def _send_all(
        self, ready: list[Ready], remaining_ms: Callable[[], int]
    ) -> list[tuple[Pack, Done]]:
        lanes: dict[str, list[Ready]] = {}
        for pack, chain, blocked in ready:
            if chain and not chain[0].kind.is_ses:
                key = "smtp:" + chain[0].provider_id  # one connection, in order
            else:
                key = "pack:" + pack.pack_id  # SES calls and test keys: nothing to share
            lanes.setdefault(key, []).append((pack, chain, blocked))
        if len(lanes) <= 1 or self._settings.send_concurrency <= 1:
            return [r for lane in lanes.values() for r in self._run_lane(lane, remaining_ms)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self._settings.send_concurrency, thread_name_prefix="send"
            )
        futures = [self._pool.submit(self._run_lane, lane, remaining_ms) for lane in lanes.values()]
        wait(futures)  # all settle before any error propagates: nothing keeps running behind
        return [r for f in futures for r in f.result()]

    def _run_lane(
        self, lane: list[Ready], remaining_ms: Callable[[], int]
    ) -> list[tuple[Pack, Done]]:
        done: list[tuple[Pack, Done]] = []
        recording: Future[None] | None = None
        counts = LaneUsage()
        try:
            for pack, chain, blocked in lane:
                result, recording = self._hand_off(
                    pack, chain, blocked, remaining_ms, recording, counts=counts
                )
                done.append((pack, result))
            if recording is not None:
                recording.result()  # the lane ends with every final state stored
        finally:
            self._count(counts)
        return done

    def _count(self, counts: LaneUsage) -> None:
        for tally in counts.tallies():
            try:
                self._store.add(tally, now=int(self._clock()))
            except Exception:  # the final states are stored; only these counts are lost
                logger.exception("usage not counted", extra={"account_id": tally.account_id})

    def _hand_off(
        self,
        pack: Pack,
        chain: list[Provider],
        blocked: dict[str, str],
        remaining_ms: Callable[[], int],
        previous: Future[None] | None,
        *,
        counts: LaneUsage,
    ) -> tuple[Done, Future[None] | None]:
        """Send one pack. The previous pack's final states are still being written (`previous`)
        while this one is marked as sending; both finish before this pack's first send, so a
        crash mid-pack leaves only this pack's outcomes unknown."""
        try:
            return self._send_pack(pack, chain, blocked, remaining_ms, previous, counts=counts)
        finally:
            if previous is not None:
                previous.result()  # on every path, errors included

    def _send_pack(
        self,
        pack: Pack,
        chain: list[Provider],
        blocked: dict[str, str],
        remaining_ms: Callable[[], int],
        previous: Future[None] | None,
        *,
        counts: LaneUsage,
    ) -> tuple[Done, Future[None] | None]:
        try:  # read before the pack is marked sending: a failed read risks no duplicate
            fetched, missing = (
                self._files.fetch(pack.payload) if pack.payload.has_attachments else ({}, set())
            )
        except AttachmentUnavailable as exc:
            logger.warning("attachments unavailable", extra={"pack_id": pack.pack_id, "why": exc})
            self._store.release_pack(pack.claim)
            wait = self._backoff(pack.msg.receive_count)
            return Done(delay=wait, retried=len(pack.members)), None
        lease = self._clock() + self._settings.lease_seconds  # the hand-off gets a full lease
        claims = self._store.begin_pack(pack.claim, lease_until=lease)
        if not claims:
            return Done(leave=True), None  # the claim was lost; whoever holds it decides
        todo = pack.members
        if claims > 1:  # held before (a retry, a redrive, a duplicate): skip what is final
            finished = self._store.results(pack.account_id, pack.message_ids)
            todo = [(mid, f) for mid, f in pack.members if mid not in finished]
        if previous is not None:
            previous.result()
        # No send starts unless it can finish (timeout included) inside the lease.
        s = self._settings
        last_start = lease - min(s.smtp_timeout_seconds + 5, s.lease_seconds / 2)
        quota = PackQuota(self._limits, pack.test)
        outcomes: list[Outcome] = []
        delay: int | None = None
        limited: int | None = None  # seconds until a provider has room again
        retried = 0
        attempts = pack.msg.receive_count
        down: dict[str, str] = {}  # providers that failed transiently in this pack: why
        for index, (mid, fields) in enumerate(todo):
            self._faults.at("in_handoff", mid)
            if remaining_ms() < self._settings.drain_margin_ms or self._clock() > last_start:
                delay = max(delay or 0, 0)  # out of time: left for the next delivery
                continue
            if pack.payload.scheduled and not self._store.release_scheduled(
                pack.account_id, mid, at=utcnow()
            ):
                # Canceled first (or gone): never sent. Its RESULT says so, so a redelivered
                # or interrupted pack does not count it as open.
                outcomes.append(Outcome(pack.account_id, mid, "canceled", utcnow()))
                continue
            gone = lost_files(fields, missing) if missing else None
            if gone is not None:  # no retry can bring the file back
                outcomes.append(Outcome(pack.account_id, mid, "failed", utcnow(), gone))
                continue
            quota.want = len(todo) - index  # enough for the rest of the pack
            result = self._delivery.deliver(
                accepted_from(pack, mid, fields, fetched),
                chain,
                blocked,
                quota,
                down=down,
                senders=pack.senders,
            )
            if result.limited_for is not None:  # the soonest any provider has room again
                limited = (
                    result.limited_for if limited is None else min(limited, result.limited_for)
                )
            if result.status is Status.SENT:
                if not pack.test:
                    self._faults.at("after_send", mid)
                outcomes.append(outcome_of(pack, mid, result, "sent"))
            elif result.status is Status.FAILED:
                outcomes.append(outcome_of(pack, mid, result, "failed", result.error))
            elif result.status is Status.WAIT:  # every provider over its limit: not a failure
                delay = max(delay or 0, min(limited or 60, MAX_VISIBILITY))
            elif attempts >= self._settings.max_receives:
                # Final here; SQS moves the pack to the DLQ on its next receive.
                why = f"gave up after {attempts} attempts: {result.error}"
                outcomes.append(Outcome(pack.account_id, mid, "failed", utcnow(), why))
                delay = max(delay or 0, 0)
            else:
                delay = max(delay or 0, self._backoff(attempts))
                retried += 1
        quota.give_back_unused()
        self._faults.at("before_record", pack.pack_id)
        release = delay is not None and len(outcomes) < len(todo)
        final = len(outcomes) == len(todo)  # then the pack's own attachment objects can go
        recording = self._writer().submit(self._record, pack, outcomes, release, final, counts)
        # Waiting only for a send limit must not use up the pack's deliveries toward the DLQ.
        requeue = (
            release
            and limited is not None
            and retried == 0
            and attempts >= self._settings.max_receives - 2
        )
        return Done(outcomes, delay=delay, retried=retried, requeue=requeue), recording

    def _record(
        self,
        pack: Pack,
        outcomes: list[Outcome],
        release: bool,
        final: bool,
        counts: LaneUsage,
    ) -> None:
        if outcomes:
            log = pack.log
            # With its log place, a pack's final states are one BatchWriteItem and its counts
            # wait for the lane's end (LaneUsage); without, both go in one transaction.
            self._store.record_outcomes(
                outcomes, count=None if log is not None else pack.counted, log=log
            )
            if log is not None:
                counts.add(pack, outcomes)
        if final and pack.payload.delete_after and self._attachments is not None:
            self._attachments.delete(list(pack.payload.delete_after))
        if release:  # some are left: claimable again once the queue message comes back
            self._store.release_pack(pack.claim)

    def _writer(self) -> ThreadPoolExecutor:
        if self._records is None:
            self._records = ThreadPoolExecutor(
                self._settings.send_concurrency, thread_name_prefix="record"
            )
        return self._records

    def _backoff(self, attempts: int) -> int:
        s = self._settings
        return int(min(s.backoff_base_seconds * 2 ** max(attempts - 1, 0), s.backoff_max_seconds))
