"""POST /send-batch: validate each message on its own, store them, then queue them.

Queued messages travel packed: one SQS message carries up to `queue_pack_size` of them (within
SQS's size limit), so sending, receiving and deleting cost a tenth of a request per message or
less. Each message keeps its own state and claim in DynamoDB, so a pack is only a carrier: a
redelivered pack re-sends nothing that is done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mailpass.errors import MailPassError, NoSmtpProvider, NotFound, SenderNotVerified
from mailpass.ids import new_id, new_message_id
from mailpass.models import MessageRecord, MessageStatus, Principal, Provider, iso, utcnow
from mailpass.ports import AttachmentStore, EnqueueStore, Outcome, Queue, ScheduledEntry
from mailpass.queue_payload import entry_json, pack_body, pack_head, with_attachments
from mailpass.schemas import BatchRequest, MessageFields
from mailpass.senders import SenderPolicy
from mailpass.service.attachments import (
    BATCH_PREFIX,
    SCHEDULED_PREFIX,
    Staged,
    files_too_big,
)
from mailpass.service.delivery import sender_refused
from mailpass.service.schedule import is_ahead
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.schedule import Scheduler
    from mailpass.service.templates import TemplateService

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
        *,
        templates: TemplateService | None = None,
        attachments: AttachmentStore | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._settings = settings
        self._templates = templates
        self._attachments = attachments
        self._scheduler = scheduler

    def enqueue(
        self, principal: Principal, request: BatchRequest, tracking_base: str | None = None
    ) -> dict[str, Any]:
        # Read while authenticating, in this request (service/auth.py), or read now.
        config = principal.config or self._store.get_account_config(principal.account_id)
        provider = config.default_provider if config else None
        if provider is None or config is None:
            raise NoSmtpProvider()
        # Decided now when it can be (the dispatcher's delivery checks again, with the chain
        # and domains of its time): a refused sender is never stored or queued.
        chain, senders = config.chain(), SenderPolicy.of(config)
        defaults = {
            k: v
            for k, v in (("from_email", request.from_email), ("from_name", request.from_name))
            if v is not None
        }
        items: list[dict[str, Any]] = []
        valid: list[tuple[int, MessageFields, str]] = []
        staged = Staged(principal.account_id, new_id("batch"))
        keys: dict[int, set[str]] = {}  # message index -> the attachment objects it names
        later: dict[int, datetime] = {}  # scheduled ahead: index -> when
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
            if fields.template_id is not None:
                # Rendered now, once: what is queued is the template as it is at this moment.
                try:
                    if self._templates is None:
                        raise NotFound(f"No template {fields.template_id} in this account")
                    fields = self._templates.apply(principal.account_id, fields)
                except MailPassError as exc:  # this message fails alone, with its own error
                    items[index]["error"] = _error(exc.code, exc.message, exc.details)
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
            refused = sender_refused(fields.from_email, chain, senders)
            if refused is not None:
                items[index]["error"] = _error(SenderNotVerified.code, refused)
                continue
            # Files travel as references to S3 objects; the queue body never holds their bytes.
            body = fields.model_dump_json(exclude_none=True, exclude={"attachments"})
            too_big = self._refuse_files(fields, len(body), provider)
            if too_big is not None:
                items[index]["error"] = too_big
                continue
            if len(body.encode()) > self._settings.max_queued_message_bytes:
                items[index]["error"] = _error(
                    "PAYLOAD_TOO_LARGE",
                    f"A queued message may be at most {self._settings.max_queued_message_bytes}"
                    " bytes; send larger ones with /send",
                )
                continue
            if self._scheduler is not None and is_ahead(fields.scheduled_at, self._scheduler.now()):
                assert fields.scheduled_at is not None
                later[index] = fields.scheduled_at
            if fields.attachments:
                # A scheduled message's files wait with it (their own lifecycle rule).
                prefix = SCHEDULED_PREFIX if index in later else BATCH_PREFIX
                refs = staged.add(fields.attachments, prefix=prefix)
                body = with_attachments(body, refs)
                keys[index] = {r.key for r in refs}
            valid.append((index, fields, body))

        if staged.objects and valid:
            assert self._attachments is not None  # _refuse_files let no file through without it
            staged.store(self._attachments)  # before anything is stored or queued: all or none
        if valid:
            self._store_and_queue(
                principal,
                provider.provider_id,
                provider.kind.value,
                valid,
                items,
                tracking_base,
                keys,
                later,
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
        keys: dict[int, set[str]] | None = None,
        later: dict[int, datetime] | None = None,
    ) -> None:
        # One atomic counter step reserves the whole batch's block of queue ids.
        first = self._store.allocate_queue_ids(len(valid))
        now = utcnow()
        expires = int((now + timedelta(days=self._settings.message_retention_days)).timestamp())
        records: dict[int, MessageRecord] = {}
        entries: dict[int, str] = {}
        keys = keys or {}
        later = later or {}
        for offset, (index, fields, body) in enumerate(valid):
            message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
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
                subject=fields.subject or "",  # set: a template gave it if the message did not
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
                template_id=fields.template_id,
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
            attachments=any(i not in later for i in keys),
            stored=(now, expires),
        )
        packs = self._pack(
            head,
            [
                (i, e)
                for i, e in entries.items()
                if records[i].message_id not in unstored and i not in later
            ],
            keys,
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
                    keys,
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
            # Test keys' messages are left out of the usage stats (they reach no provider).
            senders: dict[str, str | None] = (
                {}
                if principal.test
                else {records[i].message_id: records[i].from_email for i in not_queued}
            )
            self._store.record_outcomes(failures, count=senders)
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
        keys: dict[int, set[str]],
    ) -> dict[int, str]:
        """Each scheduled message waits as a pack of its own (service/schedule.py); returns
        those that could not be placed, with why. A file only one of them names is its pack's
        to delete once final; one they share is left to the lifecycle rule."""
        assert self._scheduler is not None
        users: dict[str, int] = {}
        for i in later:
            for key in keys.get(i, ()):
                users[key] = users.get(key, 0) + 1

        def body(i: int) -> str:
            head = pack_head(
                account_id=principal.account_id,
                provider_id=provider_id,
                test=principal.test,
                tracking_base=tracking_base,
                attachments=bool(keys.get(i)),
                scheduled=True,
            )
            own = tuple(sorted(k for k in keys.get(i, ()) if users[k] == 1))
            return pack_body(head, new_id("pack"), [entries[i]], own)

        waiting = {
            records[i].message_id: (
                i,
                ScheduledEntry(principal.account_id, records[i].message_id, at, body(i)),
            )
            for i, at in later.items()
        }
        failed = self._scheduler.place([e for _, e in waiting.values()])
        return {waiting[mid][0]: "could not be scheduled" for mid in failed}

    def _refuse_files(
        self, fields: MessageFields, body_bytes: int, provider: Provider
    ) -> dict[str, Any] | None:
        """The item error for a message whose files cannot go: no bucket, or too large for the
        provider (estimated as composed: base64 and part headers on top of the body)."""
        if not fields.attachments:
            return None
        if self._attachments is None:
            return _error(
                "VALIDATION_ERROR",
                "Attachments in batches need the attachment bucket; send this one with /send",
            )
        too_big = files_too_big(body_bytes, fields.attachments, provider)
        return None if too_big is None else _error("PAYLOAD_TOO_LARGE", too_big)

    def _pack(
        self, head: str, entries: list[tuple[int, str]], keys: dict[int, set[str]]
    ) -> list[tuple[str, list[int]]]:
        """Pack entries in order into SQS bodies (queue_payload.py's version 2, or 3 with
        files). An attachment object only one pack names is that pack's to delete once its
        messages are final; one that several packs share is left to the bucket's lifecycle
        rule, since no pack knows when the others are done."""
        groups: list[list[tuple[int, str]]] = []
        members: list[tuple[int, str]] = []
        size = 0

        def close() -> None:
            groups.append(members)

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
        users: dict[str, int] = {}
        for group in groups:
            for key in {k for i, _ in group for k in keys.get(i, ())}:
                users[key] = users.get(key, 0) + 1
        packs: list[tuple[str, list[int]]] = []
        for group in groups:
            own = sorted({k for i, _ in group for k in keys.get(i, ()) if users[k] == 1})
            body = pack_body(head, new_id("pack"), [e for _, e in group], tuple(own))
            packs.append((body, [i for i, _ in group]))
        return packs
