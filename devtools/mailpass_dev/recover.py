"""`make dev` keeps DynamoDB's data across restarts, but moto's SQS forgets its messages. A
batch message accepted before a restart and not yet sent would then sit `queued` forever, and
a scheduled one already handed to SQS (with its delay) would never come.

Its content lives only in the queue body (DynamoDB holds the message's metadata, not its
parts), so the dev stack keeps a copy of every body the send queue accepts: `JournaledQueue`
wraps the container's queue and writes each pack to a small SQLite file next to DynamoDB
Local's. At start, `requeue_lost` finds the messages still waiting and puts them back through
the real services: queued ones through the operator's dead-letter redrive (which checks each
message's final state, resets the pack's claim and queues what is left), scheduled ones through
the scheduler's `place` (its minute bucket, or SQS with the delay left).

Dev only: production has SQS's durability and needs none of this."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailpass.ports import Queue, QueuedMessage, ScheduledEntry
from mailpass.queue_payload import Poison, parse

if TYPE_CHECKING:
    from mailpass.container import Container


class Journal:
    """Pack bodies by pack id, and which pack each message was last sent in."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # API threads and the dispatcher share it
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS packs (pack_id TEXT PRIMARY KEY, body TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS members (message_id TEXT PRIMARY KEY, pack_id TEXT);"
        )

    def add(self, bodies: Iterable[str]) -> None:
        rows: list[tuple[str, str]] = []
        members: list[tuple[str, str]] = []
        for body in bodies:
            try:
                payload = parse(body)
            except Poison:
                continue
            rows.append((payload.pack_id, body))
            members += [(mid, payload.pack_id) for mid in payload.message_ids]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO packs VALUES (?, ?)", rows)
            self._db.executemany("INSERT OR REPLACE INTO members VALUES (?, ?)", members)
            self._db.execute("COMMIT")

    def packs_of(self, message_ids: Iterable[str]) -> dict[str, str]:
        """{pack id: body} of the packs these messages were last sent in."""
        ids = list(message_ids)
        found: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                # Only "?" placeholders are formatted in; the ids are bound.
                query = f"SELECT p.pack_id, p.body FROM members m JOIN packs p USING (pack_id) WHERE m.message_id IN ({marks})"  # noqa: S608, E501
                for pack_id, body in self._db.execute(query, chunk):
                    found[pack_id] = body
        return found

    def forget_all_but(self, pack_ids: set[str]) -> None:
        """Drop the packs no waiting message needs any more (the journal stays small)."""
        with self._lock:
            keep = list(pack_ids)
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (pack_id TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM keep")
            self._db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(p,) for p in keep])
            self._db.execute("DELETE FROM packs WHERE pack_id NOT IN (SELECT pack_id FROM keep)")
            self._db.execute("DELETE FROM members WHERE pack_id NOT IN (SELECT pack_id FROM keep)")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class JournaledQueue:
    """A Queue (ports.Queue) that keeps a copy of every body it accepted."""

    def __init__(self, inner: Queue, journal: Journal) -> None:
        self._inner = inner
        self._journal = journal

    def send_batch(
        self, bodies: dict[str, str], delays: dict[str, int] | None = None
    ) -> dict[str, str]:
        # Journaled first: a body SQS took but the journal missed could not be recovered.
        self._journal.add(bodies.values())
        return self._inner.send_batch(bodies, delays)

    def receive(self, max_messages: int, wait_seconds: int, visibility: int) -> list[QueuedMessage]:
        return self._inner.receive(max_messages, wait_seconds, visibility)

    def delete(self, receipts: list[str]) -> None:
        self._inner.delete(receipts)

    def delay(self, receipts: dict[str, int]) -> None:
        self._inner.delay(receipts)

    def depth(self) -> dict[str, int]:
        return self._inner.depth()


def journal_the_queue(container: Container, journal: Journal) -> None:
    """Make the container's send queue a journaled one. Before any service is built: each takes
    the queue when it is made (cached_property keeps the value in the instance's __dict__)."""
    container.__dict__["queue"] = JournaledQueue(container.queue, journal)


@dataclass
class Waiting:
    queued: dict[str, list[str]] = field(default_factory=dict)  # account -> message ids
    scheduled: list[tuple[str, str, Any]] = field(default_factory=list)  # account, id, due


def waiting_messages(container: Container) -> Waiting:
    """Messages stored `queued` or `scheduled` with no final result yet. A Scan: fine for the
    dev stack's own small table, once at start; never something the services do."""
    from mailpass.adapters import aws
    from mailpass.adapters.dynamodb.marshal import dt, from_item

    db: Any = aws.dynamodb()
    table = container.settings.table_name
    messages: dict[str, dict[str, Any]] = {}
    final: set[str] = set()
    scan: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "sk IN (:msg, :result)",
        "ProjectionExpression": "pk, sk, #s, account_id, message_id, scheduled_at",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":msg": {"S": "MSG"}, ":result": {"S": "RESULT"}},
        "ConsistentRead": True,
    }
    while True:
        out = db.scan(**scan)
        for raw in out.get("Items", []):
            d = from_item(raw)
            if d["sk"] == "RESULT":
                if d.get("status") != "queued":  # queued: written with the message
                    final.add(d["pk"])
            elif d.get("status") in ("queued", "scheduled"):
                messages[d["pk"]] = d
        if "LastEvaluatedKey" not in out:
            break
        scan["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    found = Waiting()
    for pk, d in messages.items():
        if pk in final:
            continue
        if d["status"] == "queued":
            found.queued.setdefault(d["account_id"], []).append(d["message_id"])
        else:
            found.scheduled.append((d["account_id"], d["message_id"], dt(d.get("scheduled_at"))))
    return found


def requeue_lost(container: Container, journal: Journal) -> dict[str, int]:
    """Put back on the queue what a restart took off it; returns how many of each kind."""
    from mailpass.adapters.sqs import SqsQueue
    from mailpass.models import schedule_bucket, utcnow

    waiting = waiting_messages(container)
    queued = {mid for ids in waiting.queued.values() for mid in ids}
    scheduled_ids = {mid for _, mid, _ in waiting.scheduled}
    packs = journal.packs_of(queued | scheduled_ids)
    report = {"queued": 0, "scheduled": 0, "unrecoverable": 0}

    # Queued: the bodies, cut down to their waiting messages, go to the dead-letter queue, and
    # the operator's redrive does the rest exactly as for a real dead letter.
    dead: dict[str, str] = {}
    for pack_id, body in packs.items():
        payload = parse(body)
        mine = set(payload.message_ids) & queued
        if mine:
            dead[pack_id] = payload.only(mine).dump()
    if dead:
        from mailpass.adapters import aws

        dlq_url = container.settings.dead_letter_queue_url
        assert dlq_url, "the local stack always has a dead-letter queue"
        dlq = SqsQueue(lambda: aws.client("sqs"), dlq_url)
        not_sent = dlq.send_batch({str(n): b for n, b in enumerate(dead.values())})
        if not_sent:
            raise RuntimeError(f"could not requeue {len(not_sent)} packs: {not_sent}")
        redriven = container.operations.redrive(include_unknown=True)
        report["queued"] = len(redriven.redriven)

    # Scheduled: back where the scheduler puts a message of that time, unless its minute
    # bucket (DynamoDB, kept) still holds it.
    by_message = {}
    for body in packs.values():
        payload = parse(body)
        for mid in payload.message_ids:
            by_message[mid] = payload
    entries = []
    for account_id, mid, due in waiting.scheduled:
        if mid not in by_message:
            continue  # not handed to SQS yet: its bucket has it, and the tick will queue it
        bucket = container.store.scheduled_in(schedule_bucket(due or utcnow()))
        if any(e.message_id == mid for e in bucket):
            continue
        body = by_message[mid].only({mid}).dump()
        entries.append(ScheduledEntry(account_id, mid, due or utcnow(), body))
    if entries:
        failed = container.scheduler.place(entries)
        report["scheduled"] = len(entries) - len(failed)

    report["unrecoverable"] = len(queued - {m for b in dead.values() for m in parse(b).message_ids})
    journal.forget_all_but(set(packs))
    return report
