"""Sender domains, who holds each name verified, and the domains due for a DNS re-check.

pk                  sk                              what
ACCOUNT#<account>   CFG#DOMAIN#<domain id>          the domain, its records and feedback
                                                    counters (read with the account config)
DOMAIN#<name>       ACCOUNT#<account>               this account has the name (any status)
DOMAIN#<name>       OWNER                           the one account holding it verified
DOMAINCHECK         <next check iso>#<acct>#<id>    due list: queried with sk <= now, no Scan
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    ConfigReading,
    account_key,
    account_pk,
    cancellation_codes,
    domain_from,
)
from mailpass.adapters.dynamodb.marshal import dt, from_item, n, s, to_attr, to_item
from mailpass.errors import Conflict, NotFound
from mailpass.models import DOMAIN_COUNTERS, Domain, DomainStatus, domain_id_for
from mailpass.ports_account import DueCheck

DUE_PK = "DOMAINCHECK"


def domain_sk(domain_id: str) -> str:
    return f"CFG#DOMAIN#{domain_id}"


def _due_sk(at: datetime, account_id: str, domain_id: str) -> str:
    return f"{_stamp(at)}#{account_id}#{domain_id}"


def _stamp(at: datetime) -> str:
    # Fixed width, UTC: the due list's sort order is time order.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key(domain: Domain) -> dict[str, Any]:
    return {"pk": s(account_pk(domain.account_id)), "sk": s(domain_sk(domain.domain_id))}


def _check_fields(domain: Domain) -> dict[str, Any]:
    """What a check changes; the counters are left to their ADDs."""
    return {
        "status": domain.status.value,
        "records": [
            {
                "type": r.type,
                "name": r.name,
                "value": r.value,
                "purpose": r.purpose,
                "status": r.status,
                "reason": r.reason,
                "required": r.required,
            }
            for r in domain.records
        ],
        "dkim_tokens": list(domain.dkim_tokens),
        "verified_at": domain.verified_at,
        "last_checked_at": domain.last_checked_at,
        "next_check_at": domain.next_check_at,
        "attempts": domain.attempts,
        "failure_reason": domain.failure_reason,
    }


def _values(domain: Domain) -> dict[str, Any]:
    return {
        "pk": account_pk(domain.account_id),
        "sk": domain_sk(domain.domain_id),
        "type": "domain",
        "domain_id": domain.domain_id,
        "account_id": domain.account_id,
        "name": domain.name,
        "token": domain.token,
        "created_at": domain.created_at,
        **_check_fields(domain),
    }


class DynamoDomains(ConfigReading):
    """Implements ports_account.DomainStore and ports_account.DomainCounter."""

    def _put(self, item: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def _due_put(self, domain: Domain) -> list[dict[str, Any]]:
        if domain.next_check_at is None:
            return []
        sk = _due_sk(domain.next_check_at, domain.account_id, domain.domain_id)
        item = {"pk": DUE_PK, "sk": sk, "account_id": domain.account_id}
        return [self._put({**item, "domain_id": domain.domain_id, "at": domain.next_check_at})]

    def _due_delete(self, domain: Domain, was_due: datetime | None) -> list[dict[str, Any]]:
        if was_due is None or was_due == domain.next_check_at:
            return []
        sk = _due_sk(was_due, domain.account_id, domain.domain_id)
        return [{"Delete": {"TableName": self._table, "Key": {"pk": s(DUE_PK), "sk": s(sk)}}}]

    def _update(self, domain: Domain, was_due: datetime | None) -> dict[str, Any]:
        sets, removes = [], []
        names: dict[str, str] = {"#due": "next_check_at"}
        values: dict[str, Any] = {}
        if was_due is None:
            guard = "attribute_exists(pk) AND attribute_not_exists(#due)"
        else:
            guard = "attribute_exists(pk) AND #due = :was"
            values[":was"] = to_attr(was_due)
        for i, (field, value) in enumerate(_check_fields(domain).items()):
            names[f"#f{i}"] = field
            if value is None:
                removes.append(f"#f{i}")
            else:
                sets.append(f"#f{i} = :v{i}")
                values[f":v{i}"] = to_attr(value)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(domain),
                "UpdateExpression": expression,
                "ConditionExpression": guard,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def create_domain(self, domain: Domain) -> None:
        registration = {
            "pk": f"DOMAIN#{domain.name}",
            "sk": account_pk(domain.account_id),
            "domain_id": domain.domain_id,
        }
        items = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": account_key(domain.account_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            self._put(_values(domain), "attribute_not_exists(pk)"),
            self._put(registration),
            *self._due_put(domain),
        ]
        try:
            self._t.raw.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise NotFound(f"No account {domain.account_id}") from None
            raise Conflict(f"The account has the domain {domain.name} already") from None

    def get_domain(self, account_id: str, domain_id: str) -> Domain | None:
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(account_pk(account_id)), "sk": s(domain_sk(domain_id))},
            ConsistentRead=True,
        )
        item = out.get("Item")
        return domain_from(from_item(item)) if item else None

    def list_domains(self, account_id: str) -> list[Domain]:
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={
                ":pk": s(account_pk(account_id)),
                ":p": s("CFG#DOMAIN#"),
            },
            ConsistentRead=True,
        )
        domains = [domain_from(from_item(i)) for i in out.get("Items", [])]
        return sorted(domains, key=lambda d: d.created_at)

    def save_check(self, domain: Domain, *, was_due: datetime | None) -> None:
        items = [self._update(domain, was_due), *self._moves(domain, was_due)]
        try:
            self._t.raw.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException:
            raise Conflict("The domain was checked or removed meanwhile") from None

    def _moves(self, domain: Domain, was_due: datetime | None) -> list[dict[str, Any]]:
        if was_due == domain.next_check_at:
            return []
        return [*self._due_delete(domain, was_due), *self._due_put(domain)]

    def claim_verified(self, domain: Domain, *, was_due: datetime | None) -> bool:
        owner = {
            "pk": f"DOMAIN#{domain.name}",
            "sk": "OWNER",
            "account_id": domain.account_id,
            "domain_id": domain.domain_id,
        }
        put = self._put(owner, "attribute_not_exists(pk) OR account_id = :me")
        put["Put"]["ExpressionAttributeValues"] = {":me": s(domain.account_id)}
        items = [put, self._update(domain, was_due), *self._moves(domain, was_due)]
        try:
            self._t.raw.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise Conflict("The domain was checked or removed meanwhile") from None
        return True

    def delete_domain(self, domain: Domain) -> int:
        name_pk = s(f"DOMAIN#{domain.name}")
        # As read: a domain verified (or re-checked) meanwhile would leave its OWNER claim or
        # due entry behind.
        guard = "#st = :st AND " + (
            "#due = :due" if domain.next_check_at else "attribute_not_exists(#due)"
        )
        values: dict[str, Any] = {":st": s(domain.status.value)}
        if domain.next_check_at:
            values[":due"] = to_attr(domain.next_check_at)
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _key(domain),
                    "ConditionExpression": guard,
                    "ExpressionAttributeNames": {"#st": "status", "#due": "next_check_at"},
                    "ExpressionAttributeValues": values,
                }
            },
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": name_pk, "sk": s(account_pk(domain.account_id))},
                }
            },
        ]
        if domain.next_check_at is not None:
            sk = _due_sk(domain.next_check_at, domain.account_id, domain.domain_id)
            items.append(
                {"Delete": {"TableName": self._table, "Key": {"pk": s(DUE_PK), "sk": s(sk)}}}
            )
        if domain.status is DomainStatus.VERIFIED:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": name_pk, "sk": s("OWNER")},
                        "ConditionExpression": "account_id = :me",
                        "ExpressionAttributeValues": {":me": s(domain.account_id)},
                    }
                }
            )
        try:
            self._t.raw.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException:
            if self.get_domain(domain.account_id, domain.domain_id) is None:
                raise NotFound("No such domain for this account") from None
            raise Conflict("The domain changed meanwhile; read it again") from None
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
            ExpressionAttributeValues={":pk": name_pk, ":a": s("ACCOUNT#")},
            Select="COUNT",
            ConsistentRead=True,
        )
        return int(out.get("Count", 0))

    def due_domains(self, now: datetime, limit: int) -> list[DueCheck]:
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk <= :now",
            # "~" sorts after every id character: all entries due at `now` itself are in.
            ExpressionAttributeValues={":pk": s(DUE_PK), ":now": s(_stamp(now) + "~")},
            Limit=limit,
        )
        found = [from_item(i) for i in out.get("Items", [])]
        return [DueCheck(d["account_id"], d["domain_id"], dt(d["at"]) or now) for d in found]

    def drop_due(self, due: DueCheck) -> None:
        sk = _due_sk(due.at, due.account_id, due.domain_id)
        self._db.delete_item(TableName=self._table, Key={"pk": s(DUE_PK), "sk": s(sk)})

    def count_domain_feedback(self, account_id: str, name: str, counter: str) -> bool:
        if counter not in DOMAIN_COUNTERS:
            raise ValueError(f"unknown domain counter {counter}")
        try:
            self._db.update_item(
                TableName=self._table,
                Key={
                    "pk": s(account_pk(account_id)),
                    "sk": s(domain_sk(domain_id_for(account_id, name))),
                },
                UpdateExpression="ADD #c :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#c": f"fb_{counter}"},
                ExpressionAttributeValues={":one": n(1)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True
