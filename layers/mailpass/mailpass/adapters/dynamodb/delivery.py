"""The delivery services' one store: wiring only."""

from __future__ import annotations

from mailpass.adapters.dynamodb.base import ConfigReading
from mailpass.adapters.dynamodb.messages import DynamoMessages
from mailpass.adapters.dynamodb.packs import DynamoPacks
from mailpass.adapters.dynamodb.quotas import DynamoQuotas
from mailpass.adapters.dynamodb.schedules import DynamoSchedules
from mailpass.adapters.dynamodb.stats import DynamoStats
from mailpass.adapters.dynamodb.suppressions import DynamoSuppressions


class DynamoDelivery(
    ConfigReading,
    DynamoMessages,
    DynamoSuppressions,
    DynamoPacks,
    DynamoQuotas,
    DynamoSchedules,
    DynamoStats,
):
    """Wiring only, for the delivery services that take one `store` and use several ports of
    it (ports.SendStore, EnqueueStore, DispatchStore, FeedbackStore). Every method is its
    aggregate's own; this class adds none."""
