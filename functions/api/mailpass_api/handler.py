"""Lambda entry point: API Gateway HTTP API (payload v2) -> Mangum -> the FastAPI app."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from mailpass.observability import logger, metrics, traced
from mangum import Mangum

from mailpass_api.app import create_app

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Status lookups and rejected requests add no metrics; that is normal, not worth a log line each.
warnings.filterwarnings("ignore", message="No application metrics to publish")

# Built at init (no I/O happens here): warm invocations reuse the app and its clients.
# One request per process at a time in Lambda: blocking calls run inline, with no thread hop.
app = create_app(inline_blocking=True)
_asgi = Mangum(app, lifespan="off", api_gateway_base_path="/")


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _asgi(event, context)  # type: ignore[arg-type]  # same shape, two Protocols
