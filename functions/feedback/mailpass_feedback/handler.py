"""Lambda entry point for SES configuration-set events, from SNS or EventBridge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailpass.container import get_container
from mailpass.observability import logger, metrics, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts = get_container().feedback.handle(event)
    metrics.add_metric(name="FeedbackRecorded", unit="Count", value=counts["recorded"])
    logger.info("feedback handled", extra=counts)
    return counts
