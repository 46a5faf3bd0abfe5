"""Errors raise, never come back as values. Every API error is a `MailPassError` carrying the API's
own code string; its class says the family, so `except RateLimitError` reads as it means."""

from __future__ import annotations

from typing import Any


class MailPassError(Exception):
    """An error from the MailPass API (or from reaching it).

    `code` is the API's code string (`VALIDATION_ERROR`, `SEND_LIMIT_EXCEEDED`, ...),
    `status_code` the HTTP status (None when no answer came), `details` the envelope's details,
    `retry_after` the seconds from `Retry-After` (None when absent), `request_id` the server's
    request id header when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "ERROR",
        status_code: int | None = None,
        details: Any = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.details = details
        self.retry_after = retry_after
        self.request_id = request_id

    def __str__(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{self.code}{status}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status_code={self.status_code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(MailPassError):
    """401/403: a missing, unknown or revoked key, or one without the permission needed."""


class PermissionDeniedError(AuthenticationError):
    """403: the key is valid but may not do this (FORBIDDEN, SENDER_NOT_VERIFIED)."""


class ValidationError(MailPassError):
    """400/413/422: the request is not valid (VALIDATION_ERROR, PAYLOAD_TOO_LARGE)."""


class RateLimitError(MailPassError):
    """429: a send limit is used up (SEND_LIMIT_EXCEEDED); `retry_after` says when to retry."""


class NotFoundError(MailPassError):
    """404: no such resource for this account."""


class ConflictError(MailPassError):
    """409: CONFLICT, NOT_CANCELABLE, IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS,
    LAST_SETTINGS_KEY, TOO_MANY_API_KEYS."""


class ProviderError(MailPassError):
    """The account's provider could not take the message (SEND_FAILED), or there is none
    (NO_SMTP_PROVIDER). A SEND_FAILED is never retried: the provider may have taken it."""


class ServerError(MailPassError):
    """5xx other than SEND_FAILED."""


class APIConnectionError(MailPassError):
    """The API could not be reached (refused, reset, DNS): no HTTP answer came."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


# The API's codes (functions/api/mailpass_api/errors.py and mailpass/errors.py) by family.
CODE_CLASSES: dict[str, type[MailPassError]] = {
    "UNAUTHORIZED": AuthenticationError,
    "FORBIDDEN": PermissionDeniedError,
    "SENDER_NOT_VERIFIED": PermissionDeniedError,
    "VALIDATION_ERROR": ValidationError,
    "PAYLOAD_TOO_LARGE": ValidationError,
    "SEND_LIMIT_EXCEEDED": RateLimitError,
    "NOT_FOUND": NotFoundError,
    "CONFLICT": ConflictError,
    "NOT_CANCELABLE": ConflictError,
    "IDEMPOTENCY_CONFLICT": ConflictError,
    "IDEMPOTENCY_IN_PROGRESS": ConflictError,
    "LAST_SETTINGS_KEY": ConflictError,
    "TOO_MANY_API_KEYS": ConflictError,
    "NO_SMTP_PROVIDER": ProviderError,
    "SEND_FAILED": ProviderError,
    "INTERNAL_ERROR": ServerError,
}

# A code this SDK does not know yet still lands in its family by status.
STATUS_CLASSES: dict[int, type[MailPassError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class(code: str, status_code: int) -> type[MailPassError]:
    if code in CODE_CLASSES:
        return CODE_CLASSES[code]
    if status_code >= 500:
        return ServerError
    return STATUS_CLASSES.get(status_code, MailPassError)


__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "MailPassError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
]
