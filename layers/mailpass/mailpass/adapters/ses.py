"""Amazon SES through sesv2 with Raw content, so the headers (and the MIME) are ours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailpass.errors import ProviderError
from mailpass.mime import OutgoingMessage
from mailpass.ports import SendReceipt

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# Worth another try later; anything else SES says is about this message or this account.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "RequestTimeout",
    }
)


class SesSender:
    def __init__(self, client: SESV2Client, configuration_set: str | None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, message: OutgoingMessage) -> SendReceipt:
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs: dict[str, Any] = {
            "FromEmailAddress": message.envelope_from,
            # With Raw content the destination is the envelope: Bcc is here and nowhere else.
            "Destination": {"ToAddresses": list(message.recipients)},
            "Content": {"Raw": {"Data": message.raw}},
        }
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        try:
            out = self._client.send_email(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = err.get("Code", "Unknown")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            transient = code in TRANSIENT_CODES or status >= 500
            raise ProviderError(
                f"SES {code}: {err.get('Message', '')}".strip(), permanent=not transient
            ) from exc
        except BotoCoreError as exc:
            raise ProviderError(f"SES unreachable: {exc}", permanent=False) from exc
        # SES replaces our Message-ID header with its own; keep its id to match feedback later.
        return SendReceipt(provider_message_id=out.get("MessageId"), refused={})
