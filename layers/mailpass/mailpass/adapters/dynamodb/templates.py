"""An account's message templates: ACCOUNT#<account> / TPL#<id>.

In the account's partition but outside its CFG# range, so the Query that reads an account's
settings on every send never carries template bodies."""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import TableStore, account_pk
from mailpass.adapters.dynamodb.marshal import dt, from_item, s, to_item
from mailpass.errors import Conflict, NotFound
from mailpass.models import Template

_PREFIX = "TPL#"


def _key(account_id: str, template_id: str) -> dict[str, Any]:
    return {"pk": s(account_pk(account_id)), "sk": s(_PREFIX + template_id)}


def _item(t: Template) -> dict[str, Any]:
    return to_item(
        {
            "pk": account_pk(t.account_id),
            "sk": _PREFIX + t.template_id,
            "type": "template",
            "template_id": t.template_id,
            "name": t.name,
            "subject": t.subject,
            "html": t.html,
            "text": t.text,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
        }
    )


def _template(account_id: str, d: dict[str, Any]) -> Template:
    created = dt(d["created_at"])
    assert created is not None  # always written
    return Template(
        account_id=account_id,
        template_id=d["template_id"],
        name=d["name"],
        subject=d["subject"],
        created_at=created,
        html=d.get("html"),
        text=d.get("text"),
        updated_at=dt(d.get("updated_at")),
    )


class DynamoTemplates(TableStore):
    """Implements ports_account.TemplateStore."""

    def create_template(self, template: Template) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item(template),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise Conflict(f"A template {template.template_id} exists already") from None

    def get_template(self, account_id: str, template_id: str) -> Template | None:
        out = self._db.get_item(
            TableName=self._table, Key=_key(account_id, template_id), ConsistentRead=True
        )
        item = out.get("Item")
        return _template(account_id, from_item(item)) if item else None

    def list_templates(self, account_id: str) -> list[Template]:
        templates: list[Template] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": s(account_pk(account_id)), ":p": s(_PREFIX)},
            "ConsistentRead": True,
        }
        while True:  # template bodies are large: a partition's list can span pages
            out = self._db.query(**query)
            templates.extend(_template(account_id, from_item(i)) for i in out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                break
            query["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        return sorted(templates, key=lambda t: (t.created_at, t.template_id))

    def replace_template(self, template: Template) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item(template),
                ConditionExpression="attribute_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such template for this account") from None

    def delete_template(self, account_id: str, template_id: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=_key(account_id, template_id),
                ConditionExpression="attribute_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such template for this account") from None
