"""An account's webhooks and their delivery log.

ACCOUNT#<account>             CFG#WEBHOOK#<id>            the webhook, read with the account
WHLOG#<account>#<webhook id>  <at>#<event id>#<attempt>   one delivery attempt (TTL expires_at)

The log has a partition per webhook, so a page of it is one Query read backwards from a position,
whatever else the account holds; the webhook's failure streak and its auto-disable are updates of
the webhook item itself, so the next read of the account's settings carries them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    ConfigReading,
    account_key,
    account_pk,
    webhook_from,
)
from mailpass.adapters.dynamodb.marshal import dt, from_item, s, to_attr, to_item
from mailpass.errors import Conflict, NotFound
from mailpass.models import Webhook, WebhookAttempt

_LOG = "WHLOG#"


def _key(account_id: str, webhook_id: str) -> dict[str, Any]:
    return {"pk": s(account_pk(account_id)), "sk": s(f"CFG#WEBHOOK#{webhook_id}")}


def _log_pk(account_id: str, webhook_id: str) -> str:
    return f"{_LOG}{account_id}#{webhook_id}"


def _attempt(account_id: str, webhook_id: str, d: dict[str, Any]) -> WebhookAttempt:
    at = dt(d["at"])
    assert at is not None  # always written
    return WebhookAttempt(
        account_id=account_id,
        webhook_id=webhook_id,
        event_id=d["event_id"],
        event_type=d["event_type"],
        attempt=int(d["attempt"]),
        at=at,
        duration_ms=int(d.get("duration_ms") or 0),
        status_code=None if d.get("status_code") is None else int(d["status_code"]),
        error=d.get("error"),
        detail=d.get("detail") or "",
        next_retry_at=dt(d.get("next_retry_at")),
    )


class DynamoWebhooks(ConfigReading):
    """Implements ports_account.WebhookStore."""

    def put_webhook(self, webhook: Webhook) -> None:
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": account_key(webhook.account_id),
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
                                    "enabled": webhook.enabled,
                                    "disabled_reason": webhook.disabled_reason,
                                    "disabled_at": webhook.disabled_at,
                                    "failures": webhook.failures,
                                    "failing_since": webhook.failing_since,
                                    "previous_secret_id": webhook.previous_secret_id,
                                    "previous_secret_until": webhook.previous_secret_until,
                                    "updated_at": webhook.updated_at,
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
                Key=_key(account_id, webhook_id),
                ConditionExpression="attribute_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such webhook for this account") from None

    def _update(
        self,
        account_id: str,
        webhook_id: str,
        expression: str,
        values: dict[str, Any],
        condition: str = "attribute_exists(pk)",
    ) -> Webhook:
        """One conditional UpdateItem; the webhook as it is after it. Raises the client's
        ConditionalCheckFailedException for the caller to name."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(account_id, webhook_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {k: to_attr(v) for k, v in values.items()},
            "ReturnValues": "ALL_NEW",
        }
        if "#url" in expression:  # `url` is a DynamoDB reserved word
            request["ExpressionAttributeNames"] = {"#url": "url"}
        out = self._t.raw.update_item(**request)
        return webhook_from(from_item(out["Attributes"]), account_id)

    def update_webhook(
        self,
        account_id: str,
        webhook_id: str,
        *,
        at: datetime,
        url: str | None = None,
        event_types: tuple[str, ...] | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        sets = ["updated_at = :at"]
        removes: list[str] = []
        values: dict[str, Any] = {":at": at.isoformat()}
        if url is not None or enabled is True:
            # A new endpoint, or a fresh start: the failures counted so far are not its own.
            sets.append("failures = :zero")
            removes.append("failing_since")
            values[":zero"] = 0
        if url is not None:
            sets.append("#url = :url")
            values[":url"] = url
        if event_types is not None:
            sets.append("event_types = :types")
            values[":types"] = list(event_types)
        if enabled is True:
            sets.append("enabled = :on")
            removes += ["disabled_reason", "disabled_at"]
            values[":on"] = True
        elif enabled is False:
            sets += ["enabled = :off", "disabled_reason = :why", "disabled_at = :at"]
            values |= {":off": False, ":why": "disabled by the account"}
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            return self._update(account_id, webhook_id, expression, values)
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such webhook for this account") from None

    def rotate_secret(
        self,
        account_id: str,
        webhook_id: str,
        *,
        expected_secret_id: str,
        secret_id: str,
        previous_until: datetime,
        at: datetime,
    ) -> Webhook:
        try:
            return self._update(
                account_id,
                webhook_id,
                "SET secret_id = :new, previous_secret_id = :old, "
                "previous_secret_until = :until, updated_at = :at",
                {
                    ":new": secret_id,
                    ":old": expected_secret_id,
                    ":until": previous_until.isoformat(),
                    ":at": at.isoformat(),
                },
                "attribute_exists(pk) AND secret_id = :old",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            pass
        current = self._db.get_item(
            TableName=self._table, Key=_key(account_id, webhook_id), ConsistentRead=True
        )
        if "Item" not in current:
            raise NotFound("No such webhook for this account")
        raise Conflict("The secret was rotated at the same time; read the webhook and try again")

    def record_failure(self, account_id: str, webhook_id: str, at: datetime) -> Webhook | None:
        try:
            return self._update(
                account_id,
                webhook_id,
                "SET failing_since = if_not_exists(failing_since, :at) ADD failures :one",
                {":at": at.isoformat(), ":one": 1},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None

    def clear_failures(self, account_id: str, webhook_id: str) -> None:
        # Conditional, so a success while nothing failed changes nothing (one write unit).
        try:
            self._update(
                account_id,
                webhook_id,
                "SET failures = :zero REMOVE failing_since",
                {":zero": 0},
                "failures > :zero",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return

    def disable_webhook(self, account_id: str, webhook_id: str, reason: str, at: datetime) -> bool:
        try:
            self._update(
                account_id,
                webhook_id,
                "SET enabled = :off, disabled_reason = :why, disabled_at = :at",
                {":off": False, ":why": reason, ":at": at.isoformat(), ":on": True},
                "attribute_exists(pk) AND (attribute_not_exists(enabled) OR enabled = :on)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # the delivery log -------------------------------------------------------------------
    def add_attempt(self, attempt: WebhookAttempt, expires_at: int) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": _log_pk(attempt.account_id, attempt.webhook_id),
                    "sk": attempt.position,
                    "type": "webhook_attempt",
                    "event_id": attempt.event_id,
                    "event_type": attempt.event_type,
                    "attempt": attempt.attempt,
                    "at": attempt.at,
                    "duration_ms": attempt.duration_ms,
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "detail": attempt.detail,
                    "next_retry_at": attempt.next_retry_at,
                    "expires_at": expires_at,
                }
            ),
        )

    def list_attempts(
        self, account_id: str, webhook_id: str, limit: int, after: str | None
    ) -> tuple[list[WebhookAttempt], str | None]:
        pk = _log_pk(account_id, webhook_id)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s(pk)},
            "ScanIndexForward": False,
            # One more than the page: whether a next page exists, without an empty last page.
            "Limit": limit + 1,
        }
        if after is not None:
            query["ExclusiveStartKey"] = {"pk": s(pk), "sk": s(after)}
        items = self._db.query(**query).get("Items", [])
        page = [_attempt(account_id, webhook_id, from_item(i)) for i in items[:limit]]
        return page, (page[-1].position if len(items) > limit else None)
