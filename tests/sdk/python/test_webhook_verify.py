"""mailpass_sdk.webhooks.verify against deliveries signed by the Standard Webhooks reference
library (the `standardwebhooks` package), and everything it must refuse."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime

import pytest
from mailpass_sdk import MailPassError, WebhookVerificationError
from mailpass_sdk.webhooks import sign, verify
from standardwebhooks.webhooks import Webhook

BODY = json.dumps({"type": "bounce", "data": {"message_id": "<m@x>", "email": "u@example.com"}})


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def delivery(secret: str, *, at: float | None = None, body: str = BODY) -> dict[str, str]:
    """Headers as the reference library signs them."""
    msg_id = "msg_" + secrets.token_hex(8)
    stamp = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }


def test_a_reference_signature_verifies_and_returns_the_body() -> None:
    secret = new_secret()
    headers = delivery(secret)
    assert verify(BODY, headers, secret) == json.loads(BODY)
    assert verify(BODY.encode(), headers, secret) == json.loads(BODY)
    # Header names in any case, as frameworks hand them over.
    assert verify(BODY, {k.upper(): v for k, v in headers.items()}, secret)


def test_our_signature_is_the_reference_one() -> None:
    secret = new_secret()
    headers = delivery(secret)
    ours = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), BODY)
    assert ours == headers["webhook-signature"]
    # And the reference library accepts what we sign.
    assert Webhook(secret).verify(BODY, {**headers, "webhook-signature": ours}) == json.loads(BODY)


def test_any_of_several_signatures_verifies_during_a_rotation() -> None:
    old, new = new_secret(), new_secret()
    headers = delivery(new)
    stale = delivery(old, body=BODY)
    both = f"{stale['webhook-signature']} v2,ignored {headers['webhook-signature']}"
    assert verify(BODY, {**headers, "webhook-signature": both}, new)
    # Signed by the old secret only (the overlap's other half): the new one refuses it.
    only_old = sign(old, headers["webhook-id"], int(headers["webhook-timestamp"]), BODY)
    assert verify(BODY, {**headers, "webhook-signature": only_old}, old)
    with pytest.raises(WebhookVerificationError):
        verify(BODY, {**headers, "webhook-signature": only_old}, new)


def test_the_secret_works_with_or_without_prefix_or_padding() -> None:
    raw = secrets.token_bytes(24)
    b64 = base64.b64encode(raw).decode()
    headers = delivery("whsec_" + b64)
    for form in ("whsec_" + b64, b64, b64.rstrip("="), raw):
        assert verify(BODY, headers, form)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"body": BODY.replace("bounce", "delivery")}, "No matching signature"),
        ({"webhook-id": "msg_other"}, "No matching signature"),
        ({"webhook-signature": "v1,AAAA"}, "No matching signature"),
        ({"webhook-signature": ""}, "Missing"),
        ({"webhook-timestamp": "yesterday"}, "not a Unix time"),
    ],
)
def test_tampering_is_refused(change: dict[str, str], why: str) -> None:
    secret = new_secret()
    headers = delivery(secret)
    body = change.pop("body", BODY)
    with pytest.raises(WebhookVerificationError, match=why) as info:
        verify(body, {**headers, **change}, secret)
    assert isinstance(info.value, MailPassError)
    assert info.value.code == "WEBHOOK_VERIFICATION_FAILED"


def test_the_timestamp_tolerance() -> None:
    secret = new_secret()
    old = delivery(secret, at=time.time() - 301)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(BODY, old, secret)
    assert verify(BODY, old, secret, tolerance=600)
    future = delivery(secret, at=time.time() + 301)
    with pytest.raises(WebhookVerificationError, match="too new"):
        verify(BODY, future, secret)


def test_the_wrong_secret_is_refused() -> None:
    headers = delivery(new_secret())
    with pytest.raises(WebhookVerificationError):
        verify(BODY, headers, new_secret())
    with pytest.raises(WebhookVerificationError, match="not whsec_"):
        verify(BODY, headers, "whsec_!!!")
