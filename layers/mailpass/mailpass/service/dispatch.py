"""The dispatcher: drains the send queue, and never sends a message twice.

A queue message is a pack of up to 25 queued messages of one account (service/batch.py), and
the pack is the unit of dispatch state (its PACK item), so the bookkeeping costs a few requests
per pack rather than per message. Per received batch (up to 10 packs):
  1. claim    one TransactWriteItems: each pack new/queued -> claimed (token, lease). A claim
              whose dispatcher died before step 2 expires with its lease and the pack is
              claimed again: none of it reached a provider.
  2. hand-off per pack: claimed -> sending (conditional on the token), then its messages go to
              the provider in order. Transient refusals (4xx, timeouts, refused connections)
              leave the message for a retry of the pack, with backoff; permanent ones (5xx,
              rejected address) are final.
  3. record   the pack's final states as RESULT items in one BatchWriteItem.
  4. delete   one DeleteMessageBatch for the finished packs; the others come back, after their
              backoff, for the messages without a final state.
Packs of one SMTP provider go out one after another over its pooled connection; packs for SES,
and for other providers, run alongside, up to `send_concurrency` at a time.

SQS redelivery is the sweep. A redelivered pack that cannot be claimed is settled by its state:
all final, drop it; `sending` past its lease, its hand-off was interrupted, so whatever in it has
no final state may have been delivered and is not resent blindly: it is failed with a reason
that says so. A pack's first send waits until the previous pack's final states are stored, so a
crash leaves at most one pack (25 messages) with an unknown outcome.

Two things run beside the sends, off their critical path: the next batch's receive and claim
(a claimed pack that was never started is safe to retry), and the previous pack's record,
which overlaps this pack's hand-off mark."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mailpass.errors import ProviderError
from mailpass.mime import Composition, OutgoingMessage, build_message
from mailpass.models import MessageStatus, Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import (
    AccountConfig,
    DispatchStore,
    Outcome,
    PackClaim,
    Queue,
    QueuedMessage,
    Reservation,
    SenderFactory,
)
from mailpass.service.limits import Limits
from mailpass.service.send import TEST_KEY_NOTE
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.tracking import TrackingService

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
class _Pack:
    msg: QueuedMessage
    pack_id: str
    account_id: str
    provider_id: str | None
    test: bool
    members: list[tuple[str, dict[str, Any]]]  # (message id, validated fields), in order
    tracking_base: str | None = None  # where /send-batch was called: the tracking links' base
    claim: PackClaim = field(init=False)

    def __post_init__(self) -> None:
        self.claim = PackClaim(self.pack_id, uuid.uuid4().hex)

    @property
    def message_ids(self) -> list[str]:
        return [mid for mid, _ in self.members]


@dataclass
class _Done:
    """What became of one pack: final states to count, and whether the queue message goes
    (delete), comes back after `delay` seconds, or is left alone (someone else holds it)."""

    outcomes: list[Outcome] = field(default_factory=list)
    delay: int | None = None
    leave: bool = False
    retried: int = 0
    # Put back on the queue as a new message (same pack), so waiting out send limits does not
    # use up the deliveries SQS allows before the DLQ.
    requeue: bool = False


_Ready = tuple[_Pack, list[Provider], dict[str, str]]  # pack, providers, suppressed
# SQS keeps a message invisible for 12 hours at most.
MAX_VISIBILITY = 12 * 3600


class _Quota:
    """Send-limit places for one pack: taken from a provider in one request for the rest of the
    pack, and what was not used given back at the end. Test keys only look."""

    def __init__(self, limits: Limits, test: bool) -> None:
        self._limits = limits
        self._test = test
        self._held: dict[str, tuple[Provider, Reservation, int]] = {}  # id -> (.., .., unused)
        self._full: dict[str, int] = {}  # id -> seconds until it has room again

    def take(self, provider: Provider, want: int) -> int | None:
        """None: a place is taken. Otherwise the seconds until the provider has room."""
        pid = provider.provider_id
        if pid in self._full:
            return self._full[pid]
        held = self._held.get(pid)
        if held is None or held[2] == 0:
            got = self._limits.take(provider, 1 if self._test else want, dry_run=self._test)
            if not got.granted:
                rate = Limits.rate(got)
                self._full[pid] = rate.reset_seconds if rate else 60
                return self._full[pid]
            held = (provider, got, 10**9 if self._test else got.granted)
        self._held[pid] = (held[0], held[1], held[2] - 1)
        return None

    def unused(self, provider: Provider) -> None:
        """The provider did not take the message: its place goes back to the pool."""
        held = self._held.get(provider.provider_id)
        if held is not None:
            self._held[provider.provider_id] = (held[0], held[1], held[2] + 1)

    def give_back_unused(self) -> None:
        if self._test:
            return
        for provider, got, left in self._held.values():
            if left > 0:
                self._limits.give_back(provider, got, left)


@dataclass(frozen=True, slots=True)
class _Fetched:
    """One receive, parsed and claimed."""

    batch: list[QueuedMessage]
    packs: list[_Pack]
    unreadable: list[str]  # receipts
    held: set[str]  # pack ids
    now: float


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
    ) -> None:
        self._store = store
        self._limits = limits or Limits(store)
        self._tracking = tracking
        self._queue = queue
        self._senders = senders
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
        accounts: dict[str, AccountConfig | None] = {}
        margin = self._settings.drain_margin_ms
        ahead: Future[_Fetched] | None = None
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

    def _fetch(self) -> _Fetched:
        batch = self._queue.receive(10, self._wait, self._settings.visibility_seconds)
        packs: list[_Pack] = []
        unreadable: list[str] = []
        for msg in batch:
            pack = _parse(msg)
            if pack is None:
                unreadable.append(msg.receipt)  # nothing could ever send it
            else:
                packs.append(pack)
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
        return _Fetched(batch, packs, unreadable, held, now)

    def _give_back(self, fetched: _Fetched) -> None:
        for pack in fetched.packs:
            if pack.pack_id in fetched.held:
                self._store.release_pack(pack.claim)
        if fetched.batch:
            self._queue.delay({m.receipt: 0 for m in fetched.batch})

    def _sweep_dead_letters(self, dlq: Queue, report: DrainReport) -> None:
        """SQS moves a pack to the DLQ after too many deliveries (crash loops included). Give
        whatever in it has no final state one; the pack stays for an operator to redrive."""
        outcomes = []
        for msg in dlq.receive(10, 0, self._settings.visibility_seconds):
            pack = _parse(msg)
            if pack is None:
                continue
            final = self._store.results(pack.account_id, pack.message_ids)
            outcomes += [
                Outcome(
                    pack.account_id,
                    mid,
                    "failed",
                    utcnow(),
                    error_message=DEAD_LETTERED.format(n=msg.receive_count),
                )
                for mid in pack.message_ids
                if mid not in final
            ]
        if outcomes:
            self._store.record_outcomes(outcomes)
            report.failed += len(outcomes)

    # one received batch -------------------------------------------------------------------
    def _process(
        self,
        fetched: _Fetched,
        report: DrainReport,
        accounts: dict[str, AccountConfig | None],
        remaining_ms: Callable[[], int],
    ) -> None:
        packs, held, now = fetched.packs, fetched.held, fetched.now
        done = list(fetched.unreadable)  # receipts to delete
        report.received += sum(len(p.members) for p in packs)
        ready: list[_Ready] = []
        results: list[tuple[_Pack, _Done]] = []
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
            for outcome in result.outcomes:
                if outcome.status == MessageStatus.SENT.value:
                    report.sent += 1
                else:
                    report.failed += 1
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

    def _settle(self, pack: _Pack, now: float) -> _Done:
        """A pack we could not claim."""
        state = self._store.pack_state(pack.pack_id)
        if state is not None and state.lease_until >= now:
            return _Done(leave=True)  # someone holds a live claim: theirs to finish
        final = self._store.results(pack.account_id, pack.message_ids)
        missing = [mid for mid in pack.message_ids if mid not in final]
        if not missing:
            return _Done()  # all final: just drop the queue message
        if state is None or state.state != "sending":
            return _Done(leave=True)  # claimable again: lost a race for it just now
        logger.warning("interrupted hand-off", extra={"pack_id": pack.pack_id, "open": missing})
        outcomes = [
            Outcome(pack.account_id, mid, "failed", utcnow(), error_message=INTERRUPTED)
            for mid in missing
        ]
        self._faults.at("before_record", pack.pack_id)
        self._store.record_outcomes(outcomes)
        return _Done(outcomes)

    def _chain(self, pack: _Pack, accounts: dict[str, AccountConfig | None]) -> list[Provider]:
        """The pack's provider (the default when it was queued), then the account's fallbacks."""
        if pack.account_id not in accounts:
            accounts[pack.account_id] = self._store.get_account_config(pack.account_id)
        config = accounts[pack.account_id]
        if config is None:
            return []
        first = pack.provider_id if config.provider(pack.provider_id) else None
        return config.chain(first)

    def _blocked(self, pack: _Pack, accounts: dict[str, AccountConfig | None]) -> dict[str, str]:
        """The pack's recipients that are on the account's suppression list (looked up only
        when the account has any)."""
        config = accounts.get(pack.account_id)
        if config is None or not config.account.suppressions:
            return {}
        emails = [
            a for _, f in pack.members for a in [f["to"], *f.get("cc", ()), *f.get("bcc", ())]
        ]
        return self._store.suppressed(pack.account_id, emails)

    def _send_all(
        self, ready: list[_Ready], remaining_ms: Callable[[], int]
    ) -> list[tuple[_Pack, _Done]]:
        lanes: dict[str, list[_Ready]] = {}
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
        self, lane: list[_Ready], remaining_ms: Callable[[], int]
    ) -> list[tuple[_Pack, _Done]]:
        done: list[tuple[_Pack, _Done]] = []
        recording: Future[None] | None = None
        for pack, chain, blocked in lane:
            result, recording = self._hand_off(pack, chain, blocked, remaining_ms, recording)
            done.append((pack, result))
        if recording is not None:
            recording.result()  # the lane ends with every final state stored
        return done

    def _hand_off(
        self,
        pack: _Pack,
        chain: list[Provider],
        blocked: dict[str, str],
        remaining_ms: Callable[[], int],
        previous: Future[None] | None,
    ) -> tuple[_Done, Future[None] | None]:
        """Send one pack. The previous pack's final states are still being written (`previous`)
        while this one is marked as sending; both finish before this pack's first send, so a
        crash mid-pack leaves only this pack's outcomes unknown."""
        try:
            return self._send_pack(pack, chain, blocked, remaining_ms, previous)
        finally:
            if previous is not None:
                previous.result()  # on every path, errors included

    def _send_pack(
        self,
        pack: _Pack,
        chain: list[Provider],
        blocked: dict[str, str],
        remaining_ms: Callable[[], int],
        previous: Future[None] | None,
    ) -> tuple[_Done, Future[None] | None]:
        lease = self._clock() + self._settings.lease_seconds  # the hand-off gets a full lease
        claims = self._store.begin_pack(pack.claim, lease_until=lease)
        if not claims:
            return _Done(leave=True), None  # the claim was lost; whoever holds it decides
        todo = pack.members
        if claims > 1:  # held before (a retry, a redrive, a duplicate): skip what is final
            finished = self._store.results(pack.account_id, pack.message_ids)
            todo = [(mid, f) for mid, f in pack.members if mid not in finished]
        if previous is not None:
            previous.result()
        # No send starts unless it can finish (timeout included) inside the lease.
        s = self._settings
        last_start = lease - min(s.smtp_timeout_seconds + 5, s.lease_seconds / 2)
        quota = _Quota(self._limits, pack.test)
        outcomes: list[Outcome] = []
        delay: int | None = None
        limited: int | None = None  # seconds until a provider has room again
        retried = 0
        attempts = pack.msg.receive_count
        down: dict[str, str] = {}  # providers that failed transiently in this pack: why
        for index, (mid, fields) in enumerate(todo):
            self._faults.at("in_handoff", mid)

            def final(
                status: str, mid: str = mid, provider: Provider | None = None, **kw: Any
            ) -> None:
                if provider is not None:
                    kw.update(provider_id=provider.provider_id, provider_kind=provider.kind.value)
                outcomes.append(Outcome(pack.account_id, mid, status, utcnow(), **kw))

            if remaining_ms() < self._settings.drain_margin_ms or self._clock() > last_start:
                delay = max(delay or 0, 0)  # out of time: left for the next delivery
                continue
            if not chain:
                final("failed", error_message="the account has no provider any more")
                continue
            if fields["to"].lower() in blocked:
                why = blocked[fields["to"].lower()]
                final("failed", error_message=f"{fields['to']} is on the suppression list ({why})")
                continue
            if blocked:
                fields = {
                    **fields,
                    "cc": [a for a in fields.get("cc", ()) if a.lower() not in blocked],
                    "bcc": [a for a in fields.get("bcc", ()) if a.lower() not in blocked],
                }
            outgoing = None if pack.test else self._outgoing(pack, mid, fields, chain[0])
            failures: list[str] = []
            sent = False
            for provider in chain:
                if provider.provider_id in down:
                    failures.append(down[provider.provider_id])
                    continue
                wait = quota.take(provider, len(todo) - index)
                if wait is not None:  # over its limit: the next provider, or later
                    limited = wait if limited is None else min(limited, wait)
                    continue
                if outgoing is None:
                    final("sent", note=TEST_KEY_NOTE, provider=provider)
                    sent = True
                    break
                try:
                    receipt = self._senders.for_provider(provider).send(outgoing)
                except ProviderError as exc:
                    quota.unused(provider)
                    if exc.permanent:
                        final("failed", error_message=exc.reason, provider=provider)
                        sent = True  # final: a refusal of the message is not tried elsewhere
                        break
                    down[provider.provider_id] = exc.reason
                    failures.append(exc.reason)
                    continue
                self._faults.at("after_send", mid)
                notes = []
                if provider is not chain[0] and failures:
                    notes.append("sent through a fallback after: " + "; ".join(failures))
                if receipt.refused:
                    notes.append(
                        "refused recipients: "
                        + "; ".join(f"{a}: {why}" for a, why in sorted(receipt.refused.items()))
                    )
                final(
                    "sent",
                    provider_message_id=receipt.provider_message_id,
                    note=" | ".join(notes) or None,
                    provider=provider,
                )
                sent = True
                break
            if sent:
                continue
            if not failures:  # every provider is over its limit: wait for a window, not a fail
                delay = max(delay or 0, min(limited or 60, MAX_VISIBILITY))
                continue
            reason = "; ".join(failures)
            if attempts >= self._settings.max_receives:
                # Final here; SQS moves the pack to the DLQ on its next receive.
                final("failed", error_message=f"gave up after {attempts} attempts: {reason}")
                delay = max(delay or 0, 0)
            else:
                delay = max(delay or 0, self._backoff(attempts))
                retried += 1
        quota.give_back_unused()
        self._faults.at("before_record", pack.pack_id)
        release = delay is not None and len(outcomes) < len(todo)
        recording = self._writer().submit(self._record, pack, outcomes, release)
        # Waiting only for a send limit must not use up the pack's deliveries toward the DLQ.
        requeue = (
            release
            and limited is not None
            and retried == 0
            and attempts >= self._settings.max_receives - 2
        )
        return _Done(outcomes, delay=delay, retried=retried, requeue=requeue), recording

    def _record(self, pack: _Pack, outcomes: list[Outcome], release: bool) -> None:
        if outcomes:
            self._store.record_outcomes(outcomes)
        if release:  # some are left: claimable again once the queue message comes back
            self._store.release_pack(pack.claim)

    def _writer(self) -> ThreadPoolExecutor:
        if self._records is None:
            self._records = ThreadPoolExecutor(
                self._settings.send_concurrency, thread_name_prefix="record"
            )
        return self._records

    def _outgoing(
        self, pack: _Pack, message_id: str, f: dict[str, Any], provider: Provider
    ) -> OutgoingMessage:
        html = f.get("html")
        if self._tracking is not None:
            html = self._tracking.html_for(
                html,
                account_id=pack.account_id,
                message_id=message_id,
                provider=provider,
                opens=f.get("track_opens"),
                clicks=f.get("track_clicks"),
                base_url=pack.tracking_base,
            )
        return _outgoing(message_id, f, html, pack.account_id)

    def _backoff(self, attempts: int) -> int:
        s = self._settings
        return int(min(s.backoff_base_seconds * 2 ** max(attempts - 1, 0), s.backoff_max_seconds))


def _outgoing(
    message_id: str, f: dict[str, Any], html: str | None, account_id: str
) -> OutgoingMessage:
    raw = build_message(
        Composition(
            message_id=message_id,
            from_email=f["from_email"],
            from_name=f.get("from_name"),
            to=f["to"],
            cc=tuple(f.get("cc", ())),
            reply_to=f.get("reply_to"),
            subject=f["subject"],
            date=utcnow(),
            html=html,
            text=f.get("text"),
        )
    )
    recipients = tuple(dict.fromkeys([f["to"], *f.get("cc", ()), *f.get("bcc", ())]))
    return OutgoingMessage(message_id, f["from_email"], recipients, raw, account_id)


def _parse(msg: QueuedMessage) -> _Pack | None:
    """A pack (version 2), or a single queued message (version 1) as a pack of one."""
    try:
        data = json.loads(msg.body)
        entries = data.get("messages", [data])
        return _Pack(
            msg=msg,
            pack_id=data.get("pack_id") or entries[0]["message_id"],
            account_id=data["account_id"],
            provider_id=data.get("provider_id"),
            test=bool(data.get("test")),
            members=[(e["message_id"], e["message"]) for e in entries],
            tracking_base=data.get("tracking_base"),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        logger.error("unreadable queue message dropped", extra={"body": msg.body[:500]})
        return None
