"""An account's webhooks: ACCOUNT#<account> / CFG#WEBHOOK#<id>, read with the account."""

from __future__ import annotations

from mailpass.adapters.dynamodb.base import ConfigReading, account_key, account_pk
from mailpass.adapters.dynamodb.marshal import s, to_item
from mailpass.errors import NotFound
from mailpass.models import Webhook


class DynamoWebhooks(ConfigReading):
    """Implements ports.WebhookStore."""

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
                Key={"pk": s(account_pk(account_id)), "sk": s(f"CFG#WEBHOOK#{webhook_id}")},
                ConditionExpression="attribute_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound("No such webhook for this account") from None
