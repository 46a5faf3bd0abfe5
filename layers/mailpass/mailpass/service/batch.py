"""POST /send-batch: validate each message on its own, store them, then queue them.

Queued messages travel packed: one SQS message carries up to `queue_pack_size` of them (within
SQS's size limit), so sending, receiving and deleting cost a tenth of a request per message or
less. Each message keeps its own state and claim in DynamoDB, so a pack is only a carrier: a
redelivered pack re-sends nothing that is done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mailpass.errors import NoSmtpProvider
from mailpass.ids import new_id, new_message_id
from mailpass.models import MessageRecord, MessageStatus, Principal, iso, utcnow
from mailpass.ports import EnqueueStore, Outcome, Queue, ScheduledEntry
from mailpass.queue_payload import entry_json, pack_body, pack_head
from mailpass.schemas import BatchRequest, MessageFields
from mailpass.service.schedule import is_ahead
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.schedule import Scheduler

# SQS takes 256 KiB per message; this leaves room for the pack's own fields.
PACK_BYTES = 255 * 1024


def _error(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def _details(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in e["loc"]) or "message",
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors(include_url=False)
    ]


class BatchService:
    def __init__(
        self,
        store: EnqueueStore,
        queue: Queue,
        settings: Settings,
        scheduler: Scheduler | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._settings = settings
        self._scheduler = scheduler

    def enqueue(
        self, principal: Principal, request: BatchRequest, tracking_base: str | None = None
    ) -> dict[str, Any]:
        config = self._store.get_account_config(principal.account_id)
        provider = config.default_provider if config else None
        if provider is None:
            raise NoSmtpProvider()
        defaults = {
            k: v
            for k, v in (("from_email", request.from_email), ("from_name", request.from_name))
            if v is not None
        }
        items: list[dict[str, Any]] = []
        valid: list[tuple[int, MessageFields, str]] = []
        for index, raw in enumerate(request.messages):
            to = raw.get("to") if isinstance(raw.get("to"), str) else None
            items.append({"to": to, "status": "failed"})
            try:
                fields = MessageFields.model_validate({**defaults, **raw})
            except ValidationError as exc:
                items[index]["error"] = _error(
                    "VALIDATION_ERROR", "The message is not valid", _details(exc)
                )
                continue
            fields = fields.model_copy(
                update={
                    "from_email": fields.from_email or provider.from_email,
                    "from_name": fields.from_name
                    if fields.from_name is not None
                    else provider.from_name,
                }
            )
            if not fields.from_email:
                items[index]["error"] = _error(
                    "VALIDATION_ERROR",
                    "from_email is required: the provider has no sender",
                    [{"field": "from_email", "message": "required", "type": "missing"}],
                )
                continue
            body = fields.model_dump_json(exclude_none=True)
            if len(body.encode()) > self._settings.max_queued_message_bytes:
                items[index]["error"] = _error(
                    "PAYLOAD_TOO_LARGE",
                    f"A queued message may be at most {self._settings.max_queued_message_bytes}"
                    " bytes; send larger ones with /send",
                )
                continue
            valid.append((index, fields, body))

        if valid:
            self._store_and_queue(
                principal, provider.provider_id, provider.kind.value, valid, items, tracking_base
            )
        queued = sum(1 for i in items if i["status"] == "queued")
        scheduled = sum(1 for i in items if i["status"] == "scheduled")
        return {
            "total": len(items),
            "queued": queued,
            "scheduled": scheduled,
            "failed": len(items) - queued - scheduled,
            "messages": items,
        }

    def _store_and_queue(
        self,
        principal: Principal,
        provider_id: str,
        provider_kind: str,
        valid: list[tuple[int, MessageFields, str]],
        items: list[dict[str, Any]],
        tracking_base: str | None = None,
    ) -> None:
        # One atomic counter step reserves the whole batch's block of queue ids.
        first = self._store.allocate_queue_ids(len(valid))
        now = utcnow()
        expires = int((now + timedelta(days=self._settings.message_retention_days)).timestamp())
        records: dict[int, MessageRecord] = {}
        entries: dict[int, str] = {}
        later: dict[int, datetime] = {}  # scheduled ahead: index -> when
        for offset, (index, fields, body) in enumerate(valid):
            message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
            if self._scheduler is not None and is_ahead(fields.scheduled_at, self._scheduler.now()):
                assert fields.scheduled_at is not None
                later[index] = fields.scheduled_at
            record = MessageRecord(
                account_id=principal.account_id,
                message_id=message_id,
                status=MessageStatus.SCHEDULED if index in later else MessageStatus.QUEUED,
                scheduled_at=later.get(index),
                from_email=fields.from_email or "",
                from_name=fields.from_name,
                to_email=fields.to,
                cc=list(fields.cc),
                bcc=list(fields.bcc),
                reply_to=fields.reply_to,
                subject=fields.subject,
                tags=list(fields.tags),
                metadata=dict(fields.metadata),
                provider_id=provider_id,
                provider_kind=provider_kind,
                created_at=now,
                # A scheduled one is kept the retention period past its time.
                expires_at=expires + int((later[index] - now).total_seconds())
                if index in later
                else expires,
                test=principal.test,
                queue_id=first + offset,
            )
            records[index] = record
            # The validated JSON as is: no second encode per message.
            entries[index] = entry_json(message_id, record.queue_id, body)
        # Stored (as queued) before queued, so no queue entry ever points at nothing.
        unstored = {r.message_id for r in self._store.put_messages(list(records.values()))}
        head = pack_head(
            account_id=principal.account_id,
            provider_id=provider_id,
            test=principal.test,
            tracking_base=tracking_base,
        )
        packs = self._pack(
            head,
            [
                (i, e)
                for i, e in entries.items()
                if records[i].message_id not in unstored and i not in later
            ],
        )
        not_sent = self._queue.send_batch({str(n): body for n, (body, _) in enumerate(packs)})
        not_queued = {i: why for n, why in not_sent.items() for i in packs[int(n)][1]}
        if later:
            not_queued.update(
                self._schedule(
                    principal,
                    provider_id,
                    tracking_base,
                    records,
                    entries,
                    {i: at for i, at in later.items() if records[i].message_id not in unstored},
                )
            )
        # A stored message that could not be queued must not sit in `queued` forever.
        failures = [
            Outcome(
                records[i].account_id,
                records[i].message_id,
                "failed",
                utcnow(),
                error_message=f"could not be queued: {why}",
            )
            for i, why in not_queued.items()
        ]
        if failures:
            self._store.record_outcomes(failures)
        for index, record in records.items():
            if record.message_id in unstored:
                items[index]["error"] = _error("INTERNAL_ERROR", "The message could not be stored")
            elif index in not_queued:
                items[index]["error"] = _error("INTERNAL_ERROR", "The message could not be queued")
                items[index]["message_id"] = record.message_id
            else:
                items[index] = {
                    "to": record.to_email,
                    "status": "scheduled" if index in later else "queued",
                    "queue_id": record.queue_id,
                    "message_id": record.message_id,
                }
                if index in later:
                    items[index]["scheduled_at"] = iso(later[index])

    def _schedule(
        self,
        principal: Principal,
        provider_id: str,
        tracking_base: str | None,
        records: dict[int, MessageRecord],
        entries: dict[int, str],
        later: dict[int, datetime],
    ) -> dict[int, str]:
        """Each scheduled message waits as a pack of its own (service/schedule.py); returns
        those that could not be placed, with why."""
        assert self._scheduler is not None
        head = pack_head(
            account_id=principal.account_id,
            provider_id=provider_id,
            test=principal.test,
            tracking_base=tracking_base,
            scheduled=True,
        )
        waiting = {
            records[i].message_id: (
                i,
                ScheduledEntry(
                    principal.account_id,
                    records[i].message_id,
                    at,
                    pack_body(head, new_id("pack"), [entries[i]]),
                ),
            )
            for i, at in later.items()
        }
        failed = self._scheduler.place([e for _, e in waiting.values()])
        return {waiting[mid][0]: "could not be scheduled" for mid in failed}

    def _pack(self, head: str, entries: list[tuple[int, str]]) -> list[tuple[str, list[int]]]:
        """Pack entries in order into SQS bodies (queue_payload.py's version 2)."""
        packs: list[tuple[str, list[int]]] = []
        members: list[tuple[int, str]] = []
        size = 0

        def close() -> None:
            body = pack_body(head, new_id("pack"), [e for _, e in members])
            packs.append((body, [i for i, _ in members]))

        for index, entry in entries:
            n = len(entry.encode())
            if members and (
                len(members) >= self._settings.queue_pack_size or size + n + 1 > PACK_BYTES
            ):
                close()
                members, size = [], 0
            members.append((index, entry))
            size += n + 1
        if members:
            close()
        return packs
