"""The store on one DynamoDB table (single-table design), one class per aggregate, each the
only writer of its record types and each implementing one narrow port (ports.py). They share
one `Table` (client and name).

module            pk                          sk                  what
accounts.py       APIKEY#<sha256>             APIKEY              API key, by hash
                  ACCOUNT#<account>           CFG#ACCOUNT         account, default provider,
                                                                  its live keys' grants
                  ACCOUNT#<account>           KEY#<key id>        key listing entry
providers.py      ACCOUNT#<account>           CFG#PROVIDER#<id>   provider
webhooks.py       ACCOUNT#<account>           CFG#WEBHOOK#<id>    webhook
templates.py      ACCOUNT#<account>           TPL#<id>            message template
domains.py        ACCOUNT#<account>           CFG#DOMAIN#<id>     sender domain, its counters
                  DOMAIN#<name>               ACCOUNT#<account>   an account has the name
                  DOMAIN#<name>               OWNER               its one verified holder
                  DOMAINCHECK                 <iso>#<acct>#<id>   due re-checks (sk <= now)
suppressions.py   ACCOUNT#<account>           SUP#<email>         suppressed address
messages.py       MSG#<account>#<message id>  MSG                 message
                  MSG#<account>#<message id>  EVENT#<ts>#<id>     tracking / delivery event
                  MSG#<account>#<message id>  TAG#<tag>           a tag (the log's tag index)
                  COUNTER#queue_id            COUNTER             the queue id sequence
packs.py          PACK#<pack id>              PACK                a queue message's claim, lease
                  MSG#<account>#<message id>  RESULT              a queued message's final state
hits.py           HIT#<account>#<message id>  <kind>#<window>#<who> hits of one client (TTL)
stats.py          STATS#<account>             H#<hour>#<shard>    usage counts of one UTC hour
quotas.py         QUOTA#<provider id>         H#<hour> | D#<day>  send-limit counter
schedules.py      SCHED#<yyyymmddHHMM>        <account>#<msg id>  a scheduled message's body
                  SCHED#CURSOR                CURSOR              the last minute bucket moved

The message log's GSIs (log, log_status, log_to, log_tag) and their keys are in log_keys.py;
message_log.py reads them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailpass.adapters.dynamodb.accounts import DynamoAccounts
    from mailpass.adapters.dynamodb.base import Table
    from mailpass.adapters.dynamodb.delivery import DynamoDelivery
    from mailpass.adapters.dynamodb.message_log import DynamoMessageLog
    from mailpass.adapters.dynamodb.messages import DynamoMessages
    from mailpass.adapters.dynamodb.packs import DynamoPacks
    from mailpass.adapters.dynamodb.providers import DynamoProviders
    from mailpass.adapters.dynamodb.quotas import DynamoQuotas
    from mailpass.adapters.dynamodb.schedules import DynamoSchedules
    from mailpass.adapters.dynamodb.stats import DynamoStats
    from mailpass.adapters.dynamodb.suppressions import DynamoSuppressions
    from mailpass.adapters.dynamodb.webhooks import DynamoWebhooks

__all__ = [
    "DynamoAccounts",
    "DynamoDelivery",
    "DynamoMessageLog",
    "DynamoMessages",
    "DynamoPacks",
    "DynamoProviders",
    "DynamoQuotas",
    "DynamoSchedules",
    "DynamoStats",
    "DynamoSuppressions",
    "DynamoWebhooks",
    "Table",
]

# Each class is imported from its own module on first use: a function (or a /status cold start)
# loads only the aggregates it touches.
_HOME = {
    "DynamoAccounts": "accounts",
    "DynamoDelivery": "delivery",
    "DynamoMessageLog": "message_log",
    "DynamoMessages": "messages",
    "DynamoPacks": "packs",
    "DynamoProviders": "providers",
    "DynamoQuotas": "quotas",
    "DynamoSchedules": "schedules",
    "DynamoStats": "stats",
    "DynamoSuppressions": "suppressions",
    "DynamoWebhooks": "webhooks",
    "Table": "base",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
