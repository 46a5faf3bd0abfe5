"""Lambda entry point for the EventBridge schedule: queue the scheduled messages falling due,
drain the queue, then re-check the sender domains whose DNS check is due (in the time the drain
left), then stop cleanly.

The re-checks ride on this schedule rather than one of their own: no extra function, role or
schedule to run and secure, and when nothing is due they cost one Query a tick. The drain comes
first; a re-check can wait for the next tick (checks are minutes to hours apart)."""

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
    out: dict[str, Any] = {}
    try:
        # First, so what falls due now is in the queue for this very drain (one Query per
        # minute bucket; see service/schedule.py).
        out["scheduled"] = container.scheduler.tick(context.get_remaining_time_in_millis)
    except Exception:  # a schedule problem must not stop the drain; the cursor stays put
        logger.exception("schedule tick failed")
    try:
        report = container.dispatcher.drain(context.get_remaining_time_in_millis)
    finally:
        # SMTP connections live for one drain: a frozen Lambda would leave them half-dead.
        container.smtp_pool.close_all()
    metrics.add_metric(name="DispatchedSent", unit="Count", value=report.sent)
    metrics.add_metric(name="DispatchedFailed", unit="Count", value=report.failed)
    metrics.add_metric(name="DispatchedRetried", unit="Count", value=report.retried)
    logger.info("drain finished", extra=report.as_dict())
    out.update(report.as_dict())
    if context.get_remaining_time_in_millis() > container.settings.drain_margin_ms // 2:
        try:
            checks = container.domains.recheck_due(
                time_left_ms=context.get_remaining_time_in_millis
            )
        except Exception:  # a re-check problem must not hide the drain's report
            logger.exception("domain re-checks failed")
        else:
            if checks["checked"] or checks["skipped"]:
                logger.info("domains re-checked", extra=checks)
            out["domains"] = checks
    return out
