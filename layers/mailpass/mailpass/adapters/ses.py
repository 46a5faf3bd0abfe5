"""Amazon SES through sesv2 with Raw content, so the headers (and the MIME) are ours."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from mailpass.errors import ProviderError
from mailpass.mime import OutgoingMessage
from mailpass.models import ACCOUNT_TAG, MESSAGE_TAG
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


def identity_arn(prefix: str, identity: str, region: str | None) -> str:
    """The identity's ARN: `prefix` (arn:aws:ses:<region>:<account>:identity/) names the
    stack's region; SES wants the region the call goes to, the provider's."""
    parts = prefix.split(":", 5)
    if region and len(parts) == 6 and parts[0] == "arn":
        parts[3] = region
        prefix = ":".join(parts)
    return prefix + identity


class SesSender:
    def __init__(
        self,
        client: SESV2Client,
        configuration_set: str | None,
        *,
        identity_arn_prefix: str | None = None,
        region: str | None = None,
    ) -> None:
        self._client = client
        self._configuration_set = configuration_set
        self._arn_prefix = identity_arn_prefix
        self._region = region

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
        if message.identity and self._arn_prefix:
            # The account's own verified domain, named: SES then sends as that identity and no
            # other of the operator's, whatever the From header says.
            kwargs["FromEmailAddressIdentityArn"] = identity_arn(
                self._arn_prefix, message.identity, self._region
            )
        if message.account_id:
            # Feedback events carry these back, so they match without a lookup table.
            kwargs["EmailTags"] = [
                {"Name": ACCOUNT_TAG, "Value": message.account_id},
                {"Name": MESSAGE_TAG, "Value": message.message_id.strip("<>")},
            ]
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


def probe(client: SESV2Client, from_email: str | None) -> list[dict[str, Any]]:
    """A connection test for SES: the account's sending status, then the sender's identity."""
    from botocore.exceptions import BotoCoreError, ClientError

    steps: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        account = client.get_account()
        quota = account.get("SendQuota", {})
        enabled = bool(account.get("SendingEnabled", False))
        detail = (
            f"sending {'enabled' if enabled else 'DISABLED'}, "
            f"{'production' if account.get('ProductionAccessGranted') else 'sandbox'}, "
            f"max {quota.get('Max24HourSend', '?')}/day at {quota.get('MaxSendRate', '?')}/s"
        )
        steps.append({"step": "account", "ok": enabled, "detail": detail})
    except (ClientError, BotoCoreError) as exc:
        steps.append({"step": "account", "ok": False, "detail": f"SES: {exc}"})
    steps[-1]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    if steps[-1]["ok"] and from_email:
        started = time.perf_counter()
        try:
            found = _identity(client, from_email)
            steps.append(
                {
                    "step": "identity",
                    "ok": found is not None,
                    "detail": found
                    or f"neither {from_email} nor its domain is a verified identity",
                }
            )
        except (ClientError, BotoCoreError) as exc:
            steps.append({"step": "identity", "ok": False, "detail": f"SES: {exc}"})
        steps[-1]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return steps


def _identity(client: SESV2Client, from_email: str) -> str | None:
    from botocore.exceptions import ClientError

    for name in (from_email, from_email.rsplit("@", 1)[1]):
        try:
            out = client.get_email_identity(EmailIdentity=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                continue
            raise
        if out.get("VerifiedForSendingStatus"):
            return f"{name} is verified for sending"
    return None
