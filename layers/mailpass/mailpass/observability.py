"""Powertools Logger, Metrics and (only where it is on) Tracer, shared by every function."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="mailpass")
metrics = Metrics(namespace="MailPass", service="mailpass")

_TRUTHY = {"1", "true", "yes", "on", "y"}


def tracing_enabled() -> bool:
    """Powertools' own rule (Tracer._is_tracer_disabled), checked *before* importing the X-Ray
    SDK: that import alone costs about 250 ms of cold start, so only traced functions pay it."""
    if os.getenv("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT"))
    emulated = bool(os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


def traced[F: Callable[..., Any]](handler: F) -> F:
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer(service="mailpass").capture_lambda_handler(handler)  # type: ignore[return-value]
