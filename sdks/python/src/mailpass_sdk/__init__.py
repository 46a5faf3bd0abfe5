"""MailPass Python SDK: `MailPass` (sync) and `AsyncMailPass` (async) with the same surface.

from mailpass_sdk import MailPass

with MailPass("mp_live_...") as client:
    result = client.mail.send(to="user@example.com", subject="Hello", html="<p>Hello</p>")
    print(result.message_id)
"""

from mailpass_sdk._async.client import AsyncMailPass
from mailpass_sdk._base import Model, Record
from mailpass_sdk._core import VERSION
from mailpass_sdk._sync.client import MailPass
from mailpass_sdk.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    MailPassError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from mailpass_sdk.webhooks import WebhookVerificationError

__version__ = VERSION

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AsyncMailPass",
    "AuthenticationError",
    "ConflictError",
    "MailPass",
    "MailPassError",
    "Model",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "Record",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
]
