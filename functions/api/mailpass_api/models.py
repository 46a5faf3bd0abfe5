"""Response shapes every router shares: the success envelope and the error envelope.

The routers declare their own `data` models next to their routes, so a cold start builds only the
models of the routers it loads (the settings routers are loaded on their first request)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Ok[T](BaseModel):
    """`{"success": true, "data": ...}`: every 2xx JSON answer. Each route subclasses it with a
    name of its own (`class SendResponse(Ok[SendResult])`): SDK generators turn schema names into
    class names, and pydantic would name the parametrized class `Ok_SendResult_`."""

    # `success` is always sent, so responses list it as required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    success: Literal[True] = True
    data: T


class ErrorBody(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: str
    message: str
    details: Any = Field(
        default=None,
        description="VALIDATION_ERROR: a list of {field, message, type}; SEND_LIMIT_EXCEEDED: "
        "the limits that refused the message; otherwise null.",
    )


class ErrorResponse(BaseModel):
    """`{"success": false, "error": {"code", "message", "details"}}`: every error answer."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    success: Literal[False] = False
    error: ErrorBody
