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
from mailpass.ids import new_id
from mailpass.models import (
    Account,
    ApiKey,
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
    ProviderKind,
    SmtpSecurity,
    Webhook,
    utcnow,
)
from mailpass.observability import logger
from mailpass.ports import AccountConfig, Outcome, PackClaim, PackState, Reservation, Window

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
        hourly_limit=d.get("hourly_limit"),
        daily_limit=d.get("daily_limit"),
        track_opens=bool(d.get("track_opens", True)),
        track_clicks=bool(d.get("track_clicks", True)),
        created_at=_dt(d.get("created_at")) or utcnow(),
        updated_at=_dt(d.get("updated_at")),
    )


def _provider_values(provider: Provider) -> dict[str, Any]:
    return {
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
        "hourly_limit": provider.hourly_limit,
        "daily_limit": provider.daily_limit,
        "track_opens": provider.track_opens,
        "track_clicks": provider.track_clicks,
        "created_at": provider.created_at,
        "updated_at": provider.updated_at,
    }


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
    if result is None:
        return record
    feedback = record.status in (
        MessageStatus.DELIVERED,
        MessageStatus.BOUNCED,
        MessageStatus.COMPLAINED,
    )
    status = MessageStatus(result["status"])
    at = _dt(result.get("at"))
    if not feedback:
        record.status = status
        record.updated_at = at
        record.error_message = result.get("error_message")
    if status is MessageStatus.SENT:
        record.sent_at = at
    record.note = result.get("note") or record.note
    record.provider_message_id = result.get("provider_message_id") or record.provider_message_id
    record.provider_id = result.get("provider_id") or record.provider_id
    record.provider_kind = result.get("provider_kind") or record.provider_kind
    return record
    record.status = MessageStatus(result["status"])
    at = _dt(result.get("at"))
    record.updated_at = at
    if record.status is MessageStatus.SENT:
        record.sent_at = at
    record.error_message = result.get("error_message")
    record.note = result.get("note") or record.note
    record.provider_message_id = result.get("provider_message_id") or record.provider_message_id
    record.provider_id = result.get("provider_id") or record.provider_id
    record.provider_kind = result.get("provider_kind") or record.provider_kind
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
    def __init__(self, client: DynamoDBClient, table: str, event_ttl_days: int = 400) -> None:
        self._db = client
        self._table = table
        self._event_ttl = event_ttl_days * 86400

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
        webhooks: list[Webhook] = []
        for raw in out.get("Items", []):
            d = from_item(raw)
            if d["sk"].startswith("CFG#WEBHOOK#"):
                webhooks.append(
                    Webhook(
                        webhook_id=d["webhook_id"],
                        account_id=account_id,
                        url=d["url"],
                        event_types=tuple(d.get("event_types") or ()),
                        secret_id=d["secret_id"],
                        created_at=_dt(d.get("created_at")) or utcnow(),
                    )
                )
            elif d["sk"] == "CFG#ACCOUNT":
                account = Account(
                    account_id=account_id,
                    name=d.get("name", ""),
                    default_provider_id=d.get("default_provider_id"),
                    created_at=_dt(d.get("created_at")) or utcnow(),
                    fallback_provider_ids=tuple(d.get("fallback_provider_ids") or ()),
                    suppressions=int(d.get("suppressed_count") or 0),
                )
            else:
                providers.append(_provider_from(d))
        if account is None:
            return None
        return AccountConfig(
            account,
            sorted(providers, key=lambda p: p.created_at),
            tuple(sorted(webhooks, key=lambda w: w.created_at)),
        )

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

    def put_webhook(self, webhook: Webhook) -> None:
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {
                                "pk": _s(account_pk(webhook.account_id)),
                                "sk": _s("CFG#ACCOUNT"),
                            },
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": account_pk(webhook.account_id),
                                    "sk": f"CFG#WEBHOOK#{webhook.webhook_id}",
                                    "type": "webhook",
                                    "webhook_id": webhook.webhook_id,
                                    "url": webhook.url,
                                    "event_types": list(webhook.event_types),
                                    "secret_id": webhook.secret_id,
                                    "created_at": webhook.created_at,
                                }
                            ),
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException:
            raise NotFound(f"No account {webhook.account_id}") from None

    def delete_webhook(self, account_id: str, webhook_id: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": _s(account_pk(account_id)), "sk": _s(f"CFG#WEBHOOK#{webhook_id}")},
                ConditionExpression="attribute_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such webhook for this account") from None

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :key)",
            ExpressionAttributeValues={":pk": _s(account_pk(account_id)), ":key": _s("KEY#")},
            ConsistentRead=True,
        )
        keys = []
        for raw in out.get("Items", []):
            d = from_item(raw)
            keys.append(
                ApiKey(
                    key_id=d["key_id"],
                    account_id=account_id,
                    key_hash=d.get("key_hash", ""),
                    prefix=d["prefix"],
                    permissions=frozenset(d.get("permissions", [])),
                    revoked=bool(d.get("revoked", False)),
                    test=bool(d.get("test", False)),
                    created_at=_dt(d.get("created_at")) or utcnow(),
                )
            )
        return sorted(keys, key=lambda k: k.created_at)

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        listing = self._db.get_item(
            TableName=self._table,
            Key={"pk": _s(account_pk(account_id)), "sk": _s(f"KEY#{key_id}")},
            ConsistentRead=True,
        ).get("Item")
        if listing is None:
            raise NotFound(f"No key {key_id} on account {account_id}")
        key_hash = listing["key_hash"]["S"]
        revoke: dict[str, Any] = {
            "UpdateExpression": "SET revoked = :yes, revoked_at = :at",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {
                ":yes": {"BOOL": True},
                ":at": _s(utcnow().isoformat()),
            },
            "TableName": self._table,
        }
        # Both at once: the lookup item is what every request reads (consistently), so the
        # key stops working with the very next request.
        db: Any = self._db
        db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        **revoke,
                        "Key": {"pk": _s(f"APIKEY#{key_hash}"), "sk": _s("APIKEY")},
                    }
                },
                {
                    "Update": {
                        **revoke,
                        "Key": {"pk": _s(account_pk(account_id)), "sk": _s(f"KEY#{key_id}")},
                    }
                },
            ]
        )

    def put_provider(self, provider: Provider, *, create: bool = True) -> None:
        values = _provider_values(provider)
        pk = _s(account_pk(provider.account_id))
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {"pk": pk, "sk": _s("CFG#ACCOUNT")},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(values),
                            "ConditionExpression": "attribute_not_exists(pk)"
                            if create
                            else "attribute_exists(pk)",
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound(f"No account {provider.account_id}") from None
            if create:
                raise Conflict(f"Provider {provider.provider_id} already exists") from None
            raise NotFound(f"No provider {provider.provider_id}") from None

    def _account_guard(self, config: AccountConfig) -> tuple[str, dict[str, Any]]:
        """A condition that the account's default and fallbacks are what `config` read, so a
        change computed from it is never applied over someone else's."""
        a = config.account
        values: dict[str, Any] = {}
        parts = []
        if a.default_provider_id is None:
            parts.append("attribute_not_exists(default_provider_id)")
        else:
            parts.append("default_provider_id = :was_default")
            values[":was_default"] = _s(a.default_provider_id)
        if a.fallback_provider_ids:
            parts.append("fallback_provider_ids = :was_fallbacks")
            values[":was_fallbacks"] = to_attr(list(a.fallback_provider_ids))
        else:
            parts.append(
                "(attribute_not_exists(fallback_provider_ids)"
                " OR size(fallback_provider_ids) = :zero)"
            )
            values[":zero"] = {"N": "0"}
        return " AND ".join(parts), values

    def update_account_providers(
        self,
        config: AccountConfig,
        *,
        default_provider_id: str | None,
        fallback_provider_ids: list[str],
        delete_provider_id: str | None = None,
        put: Provider | None = None,
    ) -> None:
        """Set the default and the fallback order, optionally adding or deleting a provider, in
        one step; refused (Conflict) when the account changed since `config` was read."""
        account_id = config.account.account_id
        pk = _s(account_pk(account_id))
        guard, values = self._account_guard(config)
        sets = ["fallback_provider_ids = :fallbacks"]
        values[":fallbacks"] = to_attr(fallback_provider_ids)
        removes = []
        if default_provider_id is None:
            removes.append("default_provider_id")
        else:
            sets.append("default_provider_id = :default")
            values[":default"] = _s(default_provider_id)
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": _s("CFG#ACCOUNT")},
                    "UpdateExpression": update,
                    "ConditionExpression": guard,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        if put is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(_provider_values(put)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        named = [p for p in [default_provider_id, *fallback_provider_ids] if p is not None]
        for pid in dict.fromkeys(p for p in named if put is None or p != put.provider_id):
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": {"pk": pk, "sk": _s(f"CFG#PROVIDER#{pid}")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        if delete_provider_id is not None:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": pk, "sk": _s(f"CFG#PROVIDER#{delete_provider_id}")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise Conflict("The account's providers changed meanwhile; try again") from None
            raise NotFound("A provider named here does not exist (any more)") from None

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
        provider: Provider | None = None,
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
        if provider is not None:
            sets += ["provider_id = :pid", "provider_kind = :pkind"]
            values[":pid"] = _s(provider.provider_id)
            values[":pkind"] = _s(provider.kind.value)
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
                        data=json.loads(d["data"]) if d.get("data") else {},
                    )
                )
        return None if record is None else (_apply_result(record, result), events)

    def add_event(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        at = event.created_at
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": message_pk(account_id, message_id),
                    "sk": f"EVENT#{at.isoformat()}#{new_id('ev')}",
                    "type": "event",
                    "event_type": event.event_type,
                    "created_at": at,
                    "ip_address": event.ip_address,
                    "user_agent": event.user_agent,
                    "data": json.dumps(event.data, ensure_ascii=False) if event.data else None,
                    # Events go with their message.
                    "expires_at": int(at.timestamp()) + self._event_ttl,
                }
            ),
        )

    def set_feedback_status(
        self,
        account_id: str,
        message_id: str,
        status: MessageStatus,
        at: datetime,
        reason: str | None,
    ) -> None:
        """Delivery feedback moves a message on: delivered only from before delivery; bounced,
        complained (or, for a reject, failed) from anything."""
        values: dict[str, Any] = {":new": _s(status.value), ":at": _s(at.isoformat())}
        sets = ["#s = :new", "updated_at = :at"]
        if reason:
            sets.append("error_message = :why")
            values[":why"] = _s(reason[:2000])
        condition = "attribute_exists(pk)"
        if status is MessageStatus.DELIVERED:
            condition += " AND #s IN (:queued, :sending, :sent, :claimed)"
            values.update(
                {
                    ":queued": _s("queued"),
                    ":sending": _s("sending"),
                    ":sent": _s("sent"),
                    ":claimed": _s("claimed"),
                }
            )
        # Failing the condition: already further along (or gone); the event is still recorded.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": _s(message_pk(account_id, message_id)), "sk": _s("MSG")},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )

    # suppression list --------------------------------------------------------------------
    def add_suppression(
        self, account_id: str, email: str, *, reason: str, at: datetime, message_id: str | None
    ) -> bool:
        key = email.lower()
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": account_pk(account_id),
                                    "sk": f"SUP#{key}",
                                    "type": "suppression",
                                    "email": key,
                                    "reason": reason[:1000],
                                    "created_at": at,
                                    "message_id": message_id,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": _s(account_pk(account_id)), "sk": _s("CFG#ACCOUNT")},
                            "UpdateExpression": "ADD suppressed_count :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException:
            return False  # already suppressed
        return True

    def remove_suppression(self, account_id: str, email: str) -> None:
        key = email.lower()
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": _s(account_pk(account_id)), "sk": _s(f"SUP#{key}")},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": _s(account_pk(account_id)), "sk": _s("CFG#ACCOUNT")},
                            "UpdateExpression": "ADD suppressed_count :minus",
                            "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException:
            raise NotFound(f"{email} is not on the suppression list") from None

    def list_suppressions(self, account_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sup)",
            "ExpressionAttributeValues": {":pk": _s(account_pk(account_id)), ":sup": _s("SUP#")},
        }
        while True:
            out = self._db.query(**kwargs)
            items += [from_item(i) for i in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def suppressed(self, account_id: str, emails: list[str]) -> dict[str, str]:
        keys = [
            {"pk": _s(account_pk(account_id)), "sk": _s(f"SUP#{e.lower()}")}
            for e in dict.fromkeys(e.lower() for e in emails)
        ]
        found: dict[str, str] = {}
        db: Any = self._db
        for i in range(0, len(keys), 100):
            pending: Any = {self._table: {"Keys": keys[i : i + 100]}}
            while pending:
                out = db.batch_get_item(RequestItems=pending)
                for raw in out.get("Responses", {}).get(self._table, []):
                    d = from_item(raw)
                    found[d["email"]] = d.get("reason", "suppressed")
                pending = out.get("UnprocessedKeys") or None
        return found

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

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> int:
        try:
            out = self._db.update_item(
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
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return 0
        return int(out["Attributes"].get("attempts", {}).get("N", "1"))

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
                        provider_id=d.get("provider_id"),
                        provider_kind=d.get("provider_kind"),
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
                            "provider_id": o.provider_id,
                            "provider_kind": o.provider_kind,
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

    # send limits -------------------------------------------------------------------------
    def _quota_key(self, provider_id: str, window: Window) -> dict[str, Any]:
        return {"pk": _s(f"QUOTA#{provider_id}"), "sk": _s(window.key)}

    def _quota_update(self, provider_id: str, w: Window, count: int) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._quota_key(provider_id, w),
            "UpdateExpression": "ADD n :c SET expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(n) OR n <= :max",
            "ExpressionAttributeValues": {
                ":c": {"N": str(count)},
                ":max": {"N": str(w.limit - count)},
                # Kept a day past its window, for whoever looks into a 429 afterwards.
                ":ttl": {"N": str(int(w.resets_at.timestamp()) + 86400)},
            },
        }

    def _used(self, provider_id: str, w: Window, item: Item | None = None) -> int:
        if item is None:
            out = self._db.get_item(
                TableName=self._table, Key=self._quota_key(provider_id, w), ConsistentRead=True
            )
            item = out.get("Item")
        return int(item["n"]["N"]) if item and "n" in item else 0

    def reserve(self, provider_id: str, windows: list[Window], count: int) -> Reservation:
        full = next((w for w in windows if count > w.limit), None)
        if full is not None:  # more than the window could ever hold
            return Reservation(0, tuple(windows), full, self._used(provider_id, full))
        if len(windows) == 1:
            (w,) = windows
            db: Any = self._db  # the request is built as a plain dict
            try:
                out = db.update_item(
                    **self._quota_update(provider_id, w, count),
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._db.exceptions.ConditionalCheckFailedException as exc:
                item: Any = dict(exc.response).get("Item")
                return Reservation(0, (w,), w, self._used(provider_id, w, item))
            used = int(out["Attributes"]["n"]["N"])
            return Reservation(count, (w,), remaining=w.limit - used)
        db = self._db
        for attempt in range(8):
            try:
                db.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                **self._quota_update(provider_id, w, count),
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                            }
                        }
                        for w in windows
                    ]
                )
                return Reservation(count, tuple(windows))
            except self._db.exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons", [])
                for w, why in zip(windows, reasons, strict=False):
                    if why.get("Code") == "ConditionalCheckFailed":
                        item = dict(why.get("Item") or {}) or None
                        return Reservation(0, tuple(windows), w, self._used(provider_id, w, item))
                # Another taker's transaction touched the same counters: try again shortly.
                time.sleep(0.005 * 2**attempt)
        raise RuntimeError("send limit counters stayed contended")

    def peek(self, provider_id: str, windows: list[Window]) -> Reservation:
        for w in windows:
            used = self._used(provider_id, w)
            if used + 1 > w.limit:
                return Reservation(0, tuple(windows), w, used)
        return Reservation(1, tuple(windows))

    def refund(self, provider_id: str, windows: list[Window], count: int) -> None:
        for w in windows:
            self._db.update_item(
                TableName=self._table,
                Key=self._quota_key(provider_id, w),
                UpdateExpression="ADD n :c",
                ExpressionAttributeValues={":c": {"N": str(-count)}},
            )
