"""Domain errors: raised below the handlers, turned into the error envelope in one place."""

from __future__ import annotations

from typing import Any


class MailPassError(Exception):
    code = "INTERNAL_ERROR"
    http_status = 500
    default_message = "Internal error"

    def __init__(
        self,
        message: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(self.message)


class ValidationFailed(MailPassError):
    code = "VALIDATION_ERROR"
    http_status = 400
    default_message = "The request is not valid"


class EgressRefused(ValidationFailed):
    """A tenant-aimed host (SMTP provider, webhook URL) is not a public internet address, or
    does not resolve. A ValidationFailed, so the API answers 400 VALIDATION_ERROR unchanged.
    `permanent`: False when the name did not resolve (DNS may answer later)."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


class NoSmtpProvider(MailPassError):
    code = "NO_SMTP_PROVIDER"
    http_status = 422
    default_message = "The account has no default SMTP provider; add one and mark it default"


class SendLimitExceeded(MailPassError):
    code = "SEND_LIMIT_EXCEEDED"
    http_status = 429
    default_message = "The provider's send limit is used up"


class SendFailed(MailPassError):
    code = "SEND_FAILED"
    http_status = 500
    default_message = "The provider refused the message or could not be reached"


class Unauthorized(MailPassError):
    code = "UNAUTHORIZED"
    http_status = 401
    default_message = "Missing, unknown or revoked API key"


class Forbidden(MailPassError):
    code = "FORBIDDEN"
    http_status = 403
    default_message = "The API key lacks the required permission"


class SenderNotVerified(MailPassError):
    """The sender's domain is not one of the account's verified domains (service/delivery.py
    and mailpass.senders say when that matters)."""

    code = "SENDER_NOT_VERIFIED"
    http_status = 403
    default_message = "The sender domain is not one of this account's verified domains"


class NotFound(MailPassError):
    code = "NOT_FOUND"
    http_status = 404
    default_message = "Not found"


class PayloadTooLarge(MailPassError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413
    default_message = "The request exceeds the size limit"


class Conflict(MailPassError):
    code = "CONFLICT"
    http_status = 409
    default_message = "The resource already exists"


class LastSettingsKey(Conflict):
    code = "LAST_SETTINGS_KEY"
    default_message = (
        "This is the account's last key with the 'settings' permission; create another first"
    )


class TooManyKeys(Conflict):
    code = "TOO_MANY_API_KEYS"
    default_message = (
        "The account has as many live API keys as it may (100): revoke one before making another"
    )


class NotCancelable(MailPassError):
    code = "NOT_CANCELABLE"
    http_status = 409
    default_message = "The message was already handed off or is final; it cannot be canceled"


class IdempotencyConflict(MailPassError):
    code = "IDEMPOTENCY_CONFLICT"
    http_status = 409
    default_message = "This Idempotency-Key was already used with a different request body"


class IdempotencyInProgress(MailPassError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    http_status = 409
    default_message = "A request with this Idempotency-Key is still being processed; retry later"


class ProviderError(Exception):
    """A provider refused or could not take a message. Not an API error by itself: the send
    use case records it on the message and maps it to SEND_FAILED."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        self.reason = reason
        self.permanent = permanent
        super().__init__(reason)


class AttachmentUnavailable(Exception):
    """A queued message's stored attachment could not be read now (S3 failed). Not an API
    error: the dispatcher leaves the pack for a later try (the DLQ after max_receives)."""


class AttachmentMissing(AttachmentUnavailable):
    """The stored attachment is gone for good (no such key: expired, or deleted). Trying again
    cannot help, so the messages that name it fail at once, with the reason."""


class DnsUnavailable(Exception):
    """DNS did not answer (timeout, no server reachable). Not an API error: a domain check that
    meets it is a temporary failure, checked again later."""
