"""POST /send-batch: validate each message on its own, store them, then queue them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from mailpass.errors import NoSmtpProvider
from mailpass.ids import new_message_id
from mailpass.models import MessageRecord, MessageStatus, Principal, utcnow
from mailpass.ports import BatchStore, Outcome, Queue, Store
from mailpass.schemas import BatchRequest, MessageFields
from mailpass.settings import Settings

PAYLOAD_VERSION = 1


class BatchCapableStore(Store, BatchStore, Protocol):
    pass


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
    def __init__(self, store: BatchCapableStore, queue: Queue, settings: Settings) -> None:
        self._store = store
        self._queue = queue
        self._settings = settings

    def enqueue(self, principal: Principal, request: BatchRequest) -> dict[str, Any]:
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
                principal, provider.provider_id, provider.kind.value, valid, items
            )
        queued = sum(1 for i in items if i["status"] == "queued")
        return {
            "total": len(items),
            "queued": queued,
            "failed": len(items) - queued,
            "messages": items,
        }

    def _store_and_queue(
        self,
        principal: Principal,
        provider_id: str,
        provider_kind: str,
        valid: list[tuple[int, MessageFields, str]],
        items: list[dict[str, Any]],
    ) -> None:
        # One atomic counter step reserves the whole batch's block of queue ids.
        first = self._store.allocate_queue_ids(len(valid))
        now = utcnow()
        expires = int((now + timedelta(days=self._settings.message_retention_days)).timestamp())
        records: dict[int, MessageRecord] = {}
        bodies: dict[int, str] = {}
        for offset, (index, fields, body) in enumerate(valid):
            message_id = new_message_id(self._settings.message_id_domain, now.timestamp())
            record = MessageRecord(
                account_id=principal.account_id,
                message_id=message_id,
                status=MessageStatus.QUEUED,
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
                expires_at=expires,
                test=principal.test,
                queue_id=first + offset,
            )
            records[index] = record
            bodies[index] = json.dumps(
                {
                    "v": PAYLOAD_VERSION,
                    "account_id": principal.account_id,
                    "message_id": message_id,
                    "queue_id": record.queue_id,
                    "provider_id": provider_id,
                    "test": principal.test,
                    "message": json.loads(body),
                },
                ensure_ascii=False,
            )
        # Stored (as queued) before queued, so no queue entry ever points at nothing.
        unstored = {r.message_id for r in self._store.put_messages(list(records.values()))}
        to_send = {str(i): bodies[i] for i, r in records.items() if r.message_id not in unstored}
        not_queued = self._queue.send_batch(to_send)
        # A stored message that could not be queued must not sit in `queued` forever.
        failures = [
            Outcome(
                records[int(i)].account_id,
                records[int(i)].message_id,
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
            elif str(index) in not_queued:
                items[index]["error"] = _error("INTERNAL_ERROR", "The message could not be queued")
                items[index]["message_id"] = record.message_id
            else:
                items[index] = {
                    "to": record.to_email,
                    "status": "queued",
                    "queue_id": record.queue_id,
                    "message_id": record.message_id,
                }
