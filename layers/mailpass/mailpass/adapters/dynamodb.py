"""The Store on one DynamoDB table (single-table design).

pk                          sk                    what
APIKEY#<sha256>             APIKEY                API key, looked up by hash on every request
ACCOUNT#<account>           CFG#ACCOUNT           account, with its default provider id
ACCOUNT#<account>           CFG#PROVIDER#<id>     provider (one Query reads account + providers)
ACCOUNT#<account>           KEY#<key id>          key listing entry (prefix only, no hash use)
MSG#<account>#<message id>  MSG                   message (account in the key: no cross reads)
MSG#<account>#<message id>  RESULT                a queued message's final state (batched writes)
MSG#<account>#<message id>  EVENT#<ts>#<id>       tracking / delivery event
PACK#<pack id>              PACK                  a queue message's dispatch state: claim, lease
COUNTER#queue_id            COUNTER               the service-wide queue id sequence
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mailpass.errors import Conflict, NotFound
from mailpass.models import (
    Account,
    ApiKey,
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
    ProviderKind,
    SmtpSecurity,
    utcnow,
)
from mailpass.observability import logger
from mailpass.ports import AccountConfig, Outcome, PackClaim, PackState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def to_attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, datetime):
        return {"S": value.isoformat()}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"L": [to_attr(v) for v in sorted(value)]}
    raise TypeError(f"cannot store {type(value).__name__}")


def to_item(values: dict[str, Any]) -> Item:
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "BOOL":
        return value
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    if kind == "SS":
        return list(value)
    raise TypeError(f"unexpected attribute type {kind}")


def from_item(item: Item) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def message_pk(account_id: str, message_id: str) -> str:
    return f"MSG#{account_id}#{message_id}"


def _provider_from(d: dict[str, Any]) -> Provider:
    return Provider(
        provider_id=d["provider_id"],
        account_id=d["account_id"],
        kind=ProviderKind(d["kind"]),
        name=d.get("name", ""),
        from_email=d.get("from_email"),
        from_name=d.get("from_name"),
        host=d.get("host"),
        port=d.get("port"),
        security=SmtpSecurity(d.get("security", SmtpSecurity.STARTTLS.value)),
        username=d.get("username"),
        secret_id=d.get("secret_id"),
        region=d.get("region"),
        configuration_set=d.get("configuration_set"),
        created_at=_dt(d.get("created_at")) or utcnow(),
    )


def _message_from(d: dict[str, Any]) -> MessageRecord:
    return MessageRecord(
        account_id=d["account_id"],
        message_id=d["message_id"],
        status=MessageStatus(d["status"]),
        from_email=d["from_email"],
        from_name=d.get("from_name"),
        to_email=d["to_email"],
        cc=d.get("cc", []),
        bcc=d.get("bcc", []),
        reply_to=d.get("reply_to"),
        subject=d["subject"],
        tags=d.get("tags", []),
        metadata=json.loads(d.get("metadata", "{}")),
        provider_id=d.get("provider_id"),
        provider_kind=d.get("provider_kind"),
        provider_message_id=d.get("provider_message_id"),
        error_message=d.get("error_message"),
        note=d.get("note"),
        sent_at=_dt(d.get("sent_at")),
        created_at=_dt(d["created_at"]) or utcnow(),
        updated_at=_dt(d.get("updated_at")),
        expires_at=int(d.get("expires_at", 0)),
        test=bool(d.get("test", False)),
        size_bytes=int(d.get("size_bytes", 0)),
        queue_id=d.get("queue_id"),
    )


def _apply_result(record: MessageRecord, result: dict[str, Any] | None) -> MessageRecord:
    """A queued message's final state lives in its RESULT item (written in batches by the
    dispatcher); feedback that moved the message on later (delivered, bounced) still wins."""
    if record.status is MessageStatus.CLAIMED:
        record.status = MessageStatus.QUEUED
    if result is None or record.status in (
        MessageStatus.DELIVERED,
        MessageStatus.BOUNCED,
        MessageStatus.COMPLAINED,
    ):
        return record
    record.status = MessageStatus(result["status"])
    at = _dt(result.get("at"))
    record.updated_at = at
    if record.status is MessageStatus.SENT:
        record.sent_at = at
    record.error_message = result.get("error_message")
    record.note = result.get("note") or record.note
    record.provider_message_id = result.get("provider_message_id") or record.provider_message_id
    return record


def _message_item(record: MessageRecord) -> Item:
    values = {
        "pk": message_pk(record.account_id, record.message_id),
        "sk": "MSG",
        "type": "message",
        "account_id": record.account_id,
        "message_id": record.message_id,
        "status": record.status.value,
        "from_email": record.from_email,
        "from_name": record.from_name,
        "to_email": record.to_email,
        "cc": record.cc or None,
        "bcc": record.bcc or None,
        "reply_to": record.reply_to,
        "subject": record.subject,
        "tags": record.tags or None,
        "metadata": json.dumps(record.metadata, ensure_ascii=False) if record.metadata else None,
        "provider_id": record.provider_id,
        "provider_kind": record.provider_kind,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "test": record.test or None,
        "size_bytes": record.size_bytes,
        "queue_id": record.queue_id,
    }
    return to_item(values)


class DynamoStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    # keys and accounts -------------------------------------------------------------------
    def get_api_key(self, key_hash: str) -> ApiKey | None:
        # Strongly consistent, so a revocation takes effect on the very next request.
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": _s(f"APIKEY#{key_hash}"), "sk": _s("APIKEY")},
            ConsistentRead=True,
        )
        if "Item" not in out:
            return None
        d = from_item(out["Item"])
        return ApiKey(
            key_id=d["key_id"],
            account_id=d["account_id"],
            key_hash=key_hash,
            prefix=d["prefix"],
            permissions=frozenset(d.get("permissions", [])),
            revoked=bool(d.get("revoked", False)),
            test=bool(d.get("test", False)),
            created_at=_dt(d.get("created_at")) or utcnow(),
        )

    def get_account_config(self, account_id: str) -> AccountConfig | None:
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :cfg)",
            ExpressionAttributeValues={":pk": _s(account_pk(account_id)), ":cfg": _s("CFG#")},
            ConsistentRead=True,
        )
        account: Account | None = None
        providers: list[Provider] = []
        for raw in out.get("Items", []):
            d = from_item(raw)
            if d["sk"] == "CFG#ACCOUNT":
                account = Account(
                    account_id=account_id,
                    name=d.get("name", ""),
                    default_provider_id=d.get("default_provider_id"),
                    created_at=_dt(d.get("created_at")) or utcnow(),
                )
            else:
                providers.append(_provider_from(d))
        if account is None:
            return None
        return AccountConfig(account, sorted(providers, key=lambda p: p.created_at))

    def create_account(self, account: Account) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": account_pk(account.account_id),
                    "sk": "CFG#ACCOUNT",
                    "type": "account",
                    "account_id": account.account_id,
                    "name": account.name,
                    "created_at": account.created_at,
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def create_api_key(self, key: ApiKey) -> None:
        common = {
            "key_id": key.key_id,
            "account_id": key.account_id,
            "prefix": key.prefix,
            "permissions": key.permissions,
            "revoked": key.revoked,
            "test": key.test,
            "created_at": key.created_at,
        }
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {"pk": _s(account_pk(key.account_id)), "sk": _s("CFG#ACCOUNT")},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": f"APIKEY#{key.key_hash}",
                                    "sk": "APIKEY",
                                    "type": "api_key",
                                    **common,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": account_pk(key.account_id),
                                    "sk": f"KEY#{key.key_id}",
                                    "type": "api_key_listing",
                                    "key_hash": key.key_hash,
                                    **common,
                                }
                            ),
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound(f"No account {key.account_id}") from None
            raise Conflict("That API key already exists") from None

    def put_provider(self, provider: Provider) -> None:
        values = {
            "pk": account_pk(provider.account_id),
            "sk": f"CFG#PROVIDER#{provider.provider_id}",
            "type": "provider",
            "provider_id": provider.provider_id,
            "account_id": provider.account_id,
            "kind": provider.kind.value,
            "name": provider.name,
            "from_email": provider.from_email,
            "from_name": provider.from_name,
            "host": provider.host,
            "port": provider.port,
            "security": provider.security.value,
            "username": provider.username,
            "secret_id": provider.secret_id,
            "region": provider.region,
            "configuration_set": provider.configuration_set,
            "created_at": provider.created_at,
        }
        self._db.put_item(TableName=self._table, Item=to_item(values))

    def set_default_provider(self, account_id: str, provider_id: str) -> None:
        pk = _s(account_pk(account_id))
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {"pk": pk, "sk": _s(f"CFG#PROVIDER#{provider_id}")},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": pk, "sk": _s("CFG#ACCOUNT")},
                            "UpdateExpression": "SET default_provider_id = :p",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":p": _s(provider_id)},
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException:
            raise NotFound(f"No provider {provider_id} on account {account_id}") from None

    # messages ----------------------------------------------------------------------------
    def put_message(self, record: MessageRecord) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=_message_item(record),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def mark_sent(
        self,
        account_id: str,
        message_id: str,
        *,
        sent_at: datetime,
        provider_message_id: str | None,
        note: str | None,
    ) -> None:
        names = {"#s": "status"}
        values: dict[str, Any] = {
            ":sent": _s(MessageStatus.SENT.value),
            ":at": _s(sent_at.isoformat()),
            ":sending": _s(MessageStatus.SENDING.value),
        }
        sets = ["#s = :sent", "sent_at = :at", "updated_at = :at"]
        if provider_message_id:
            sets.append("provider_message_id = :pmid")
            values[":pmid"] = _s(provider_message_id)
        if note:
            sets.append("note = :note")
            values[":note"] = _s(note)
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": _s(message_pk(account_id, message_id)), "sk": _s("MSG")},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            # The mail is out; a status moved on by someone else must not turn that into an error.
            logger.warning("message left sending", extra={"message_id": message_id})

    def mark_failed(self, account_id: str, message_id: str, *, reason: str, at: datetime) -> None:
        try:
            self._update_failed(account_id, message_id, reason=reason, at=at)
        except self._db.exceptions.ConditionalCheckFailedException:
            logger.warning("message no longer in flight", extra={"message_id": message_id})

    def _update_failed(
        self, account_id: str, message_id: str, *, reason: str, at: datetime
    ) -> None:
        self._db.update_item(
            TableName=self._table,
            Key={"pk": _s(message_pk(account_id, message_id)), "sk": _s("MSG")},
            UpdateExpression="SET #s = :failed, error_message = :why, updated_at = :at",
            ConditionExpression="#s IN (:sending, :queued)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":failed": _s(MessageStatus.FAILED.value),
                ":why": _s(reason[:2000]),
                ":at": _s(at.isoformat()),
                ":sending": _s(MessageStatus.SENDING.value),
                ":queued": _s(MessageStatus.QUEUED.value),
            },
        )

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None:
        items: list[Item] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(message_pk(account_id, message_id))},
            "ConsistentRead": True,
        }
        while True:
            out = self._db.query(**kwargs)
            items.extend(out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        record: MessageRecord | None = None
        result: dict[str, Any] | None = None
        events: list[MessageEvent] = []
        for raw in items:
            d = from_item(raw)
            if d["sk"] == "MSG":
                record = _message_from(d)
            elif d["sk"] == "RESULT":
                result = d
            elif d["sk"].startswith("EVENT#"):
                events.append(
                    MessageEvent(
                        event_type=d["event_type"],
                        created_at=_dt(d["created_at"]) or utcnow(),
                        ip_address=d.get("ip_address"),
                        user_agent=d.get("user_agent"),
                    )
                )
        return None if record is None else (_apply_result(record, result), events)

    # batch pipeline -----------------------------------------------------------------------
    def allocate_queue_ids(self, count: int) -> int:
        out = self._db.update_item(
            TableName=self._table,
            Key={"pk": _s("COUNTER#queue_id"), "sk": _s("COUNTER")},
            UpdateExpression="ADD #v :n",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":n": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        last = int(out["Attributes"]["value"]["N"])
        return last - count + 1

    def _batch_write(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchWriteItem in 25s, retrying what DynamoDB hands back; returns what never went."""
        left: list[dict[str, Any]] = []
        for i in range(0, len(requests), 25):
            pending = requests[i : i + 25]
            for attempt in range(6):
                db: Any = self._db  # request/response shapes are plain dicts here
                out = db.batch_write_item(RequestItems={self._table: pending})
                pending = list(out.get("UnprocessedItems", {}).get(self._table, []))
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            left.extend(pending)
        return left

    def put_messages(self, records: list[MessageRecord]) -> list[MessageRecord]:
        by_key = {message_pk(r.account_id, r.message_id): r for r in records}
        left = self._batch_write([{"PutRequest": {"Item": _message_item(r)}} for r in records])
        return [by_key[req["PutRequest"]["Item"]["pk"]["S"]] for req in left]

    def claim_packs(self, claims: list[PackClaim], *, now: float, lease_until: float) -> set[str]:
        pending = list(claims)
        for _ in range(3):
            if not pending:
                break
            try:
                self._db.transact_write_items(
                    TransactItems=[self._claim_update(c, now, lease_until) for c in pending]
                )
                return {c.pack_id for c in pending}
            except self._db.exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons", [])
                # Those whose condition failed are someone else's (or done); retry the rest.
                pending = [
                    c
                    for c, why in zip(pending, reasons, strict=False)
                    if why.get("Code") != "ConditionalCheckFailed"
                ]
        return set()

    def _claim_update(self, c: PackClaim, now: float, lease_until: float) -> Any:
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": _s(f"PACK#{c.pack_id}"), "sk": _s("PACK")},
                # New, released, or claimed by a dispatcher that died before its hand-off.
                "ConditionExpression": "attribute_not_exists(pk) OR #s = :queued "
                "OR (#s = :claimed AND lease_until < :now)",
                "UpdateExpression": "SET #s = :claimed, claim_token = :tok, lease_until = :lease, "
                "expires_at = :ttl ADD attempts :one",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {
                    ":queued": _s("queued"),
                    ":claimed": _s("claimed"),
                    ":now": {"N": repr(now)},
                    ":tok": _s(c.token),
                    ":lease": {"N": repr(lease_until)},
                    ":one": {"N": "1"},
                    # SQS keeps a message 14 days at most; the pack's state need not outlive it.
                    ":ttl": {"N": str(int(now) + 15 * 86400)},
                },
            }
        }

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": _s(f"PACK#{claim.pack_id}"), "sk": _s("PACK")},
                UpdateExpression="SET #s = :sending, lease_until = :lease",
                ConditionExpression="#s = :claimed AND claim_token = :tok",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":sending": _s("sending"),
                    ":claimed": _s("claimed"),
                    ":tok": _s(claim.token),
                    ":lease": {"N": repr(lease_until)},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_pack(self, claim: PackClaim) -> None:
        # If the condition fails someone else holds it now, and they decide.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": _s(f"PACK#{claim.pack_id}"), "sk": _s("PACK")},
                UpdateExpression="SET #s = :queued REMOVE claim_token",
                ConditionExpression="claim_token = :tok",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":queued": _s("queued"), ":tok": _s(claim.token)},
            )

    def pack_state(self, pack_id: str) -> PackState | None:
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": _s(f"PACK#{pack_id}"), "sk": _s("PACK")},
            ConsistentRead=True,
        )
        if "Item" not in out:
            return None
        d = from_item(out["Item"])
        return PackState(state=d["state"], lease_until=float(d.get("lease_until", 0)))

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        keys = [
            {"pk": _s(message_pk(account_id, mid)), "sk": _s("RESULT")}
            for mid in dict.fromkeys(message_ids)
        ]
        found: dict[str, Outcome] = {}
        prefix = len(message_pk(account_id, ""))
        for i in range(0, len(keys), 100):
            pending: dict[str, Any] = {
                self._table: {"Keys": keys[i : i + 100], "ConsistentRead": True}
            }
            for attempt in range(6):
                db: Any = self._db
                out = db.batch_get_item(RequestItems=pending)
                for raw in out.get("Responses", {}).get(self._table, []):
                    d = from_item(raw)
                    mid = d["pk"][prefix:]
                    found[mid] = Outcome(
                        account_id,
                        mid,
                        d["status"],
                        _dt(d.get("at")) or utcnow(),
                        error_message=d.get("error_message"),
                        note=d.get("note"),
                        provider_message_id=d.get("provider_message_id"),
                    )
                pending = out.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("results could not be read")
        return found

    def record_outcomes(self, outcomes: list[Outcome]) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "pk": message_pk(o.account_id, o.message_id),
                            "sk": "RESULT",
                            "status": o.status,
                            "at": o.at,
                            "error_message": o.error_message[:2000] if o.error_message else None,
                            "note": o.note,
                            "provider_message_id": o.provider_message_id,
                        }
                    )
                }
            }
            for o in outcomes
        ]
        left = self._batch_write(requests)
        if left:
            raise RuntimeError(f"{len(left)} outcomes could not be written")

    def requeue(self, account_id: str, message_ids: list[str], pack_id: str) -> bool:
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": _s(message_pk(account_id, mid)), "sk": _s("RESULT")},
                    "ConditionExpression": "#s = :failed",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":failed": _s("failed")},
                }
            }
            for mid in message_ids
        ]
        items.append(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": _s(f"PACK#{pack_id}"), "sk": _s("PACK")},
                    "UpdateExpression": "SET #s = :queued REMOVE claim_token, lease_until",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":queued": _s("queued")},
                }
            }
        )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException:
            return False
        return True
