"""Lambda entry point for the webhook queue: post each delivery; a failure goes back to the queue
to wait the retry schedule's next step (service/webhooks.py RETRY_SCHEDULE), reported as a partial
batch failure so the others are not redone. After the last attempt the queue's redrive policy
moves it to the dead-letter queue."""

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


def record_handler(record: SQSRecord) -> str:
    container = get_container()
    # The receive count is the attempt number: every receive of this message was a post of it.
    attempt = int(record.attributes.approximate_receive_count or 1)
    try:
        outcome = container.webhooks.deliver(record.body, container.webhook_post, attempt)
    except DeliveryFailed as exc:
        queue = container.webhook_queue
        if queue is not None and exc.retry_in is not None:
            queue.delay({record.receipt_handle: exc.retry_in})
        logger.warning(
            "webhook delivery failed",
            extra={
                "reason": str(exc),
                "status": exc.status,
                "attempt": attempt,
                "retry_in": exc.retry_in,
            },
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
