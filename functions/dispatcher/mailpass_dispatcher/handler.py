"""Lambda entry point for the EventBridge schedule: drain the queue, then stop cleanly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailpass.container import get_container
from mailpass.observability import logger, metrics, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    container = get_container()
    try:
        report = container.dispatcher.drain(context.get_remaining_time_in_millis)
    finally:
        # SMTP connections live for one drain: a frozen Lambda would leave them half-dead.
        container.smtp_pool.close_all()
    metrics.add_metric(name="DispatchedSent", unit="Count", value=report.sent)
    metrics.add_metric(name="DispatchedFailed", unit="Count", value=report.failed)
    metrics.add_metric(name="DispatchedRetried", unit="Count", value=report.retried)
    logger.info("drain finished", extra=report.as_dict())
    return report.as_dict()
