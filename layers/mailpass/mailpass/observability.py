"""Powertools Logger and Metrics, shared by every function. Construction is cheap (no I/O)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="mailpass")
metrics = Metrics(namespace="MailPass", service="mailpass")
# Disabled outside Lambda (and by POWERTOOLS_TRACE_DISABLED); X-Ray only where tracing is on.
tracer = Tracer(service="mailpass")
