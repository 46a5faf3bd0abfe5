"""Lambda entry point for the webhook queue: post each delivery; a failure goes back to the queue
with exponential backoff (reported as a partial batch failure, so the others are not redone)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from mailpass.container import get_container
from mailpass.observability import logger, metrics, traced
from mailpass.service.webhooks import DeliveryFailed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A batch where every delivery failed is still answered item by item, not as an error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def backoff(receive_count: int) -> int:
    return int(min(BACKOFF_BASE_SECONDS * 2 ** max(receive_count - 1, 0), BACKOFF_MAX_SECONDS))


def record_handler(record: SQSRecord) -> str:
    container = get_container()
    try:
        outcome = container.webhooks.deliver(record.body, container.webhook_post)
    except DeliveryFailed as exc:
        count = int(record.attributes.approximate_receive_count or 1)
        queue = container.webhook_queue
        if queue is not None:
            queue.delay({record.receipt_handle: backoff(count)})
        logger.warning(
            "webhook delivery failed",
            extra={"reason": str(exc), "status": exc.status, "attempt": count},
        )
        metrics.add_metric(name="WebhookFailed", unit="Count", value=1)
        raise
    metrics.add_metric(name="WebhookDelivered", unit="Count", value=1)
    return outcome


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
    return response
