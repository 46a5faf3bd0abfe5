from __future__ import annotations

from typing import Any

import pytest
from mailpass.schemas import MAX_RECIPIENTS, SendRequest
from pydantic import ValidationError

BASE: dict[str, Any] = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hi</p>"}


def errors_for(**changes: Any) -> list[tuple[str, str]]:
    body = {**BASE, **changes}
    body = {k: v for k, v in body.items() if v is not ...}
    with pytest.raises(ValidationError) as info:
        SendRequest.model_validate(body)
    return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in info.value.errors()]


def test_the_seed_example_is_valid() -> None:
    req = SendRequest.model_validate(
        {
            "to": "user@example.com",
            "subject": "Order Confirmation",
            "html": "<h1>Your order has been confirmed</h1>",
            "text": "Your order has been confirmed",
            "from_email": "support@yourdomain.com",
            "from_name": "Your App",
            "reply_to": "reply@yourdomain.com",
            "cc": ["cc@example.com"],
            "bcc": ["bcc@example.com"],
            "tags": ["order", "confirmation"],
            "metadata": {"order_id": "12345"},
        }
    )
    assert req.recipients == ["user@example.com", "cc@example.com", "bcc@example.com"]


@pytest.mark.parametrize("field", ["to", "subject"])
def test_required_fields(field: str) -> None:
    assert (field, "missing") in errors_for(**{field: ...})


def test_one_of_html_or_text_is_required() -> None:
    errs = errors_for(html=...)
    assert errs == [("", "value_error")]
    assert SendRequest.model_validate({**BASE, "html": None, "text": "plain"}).text == "plain"


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "a@",
        "@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "Name <a@example.com>",
        "a@localhost",
    ],
)
def test_addresses_are_really_parsed(address: str) -> None:
    assert [loc for loc, _ in errors_for(to=address)] == ["to"]


def test_idn_domain_is_sent_in_ascii_form() -> None:
    req = SendRequest.model_validate({**BASE, "to": "user@bücher.example"})
    assert req.to == "user@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Hi\r\nBcc: victim@example.com"),
        ("subject", "Hi\nX-Injected: 1"),
        ("from_name", "Eve\r\nBcc: victim@example.com"),
        ("to", "user@example.com\r\nBcc: victim@example.com"),
        ("reply_to", "r@example.com\nBcc: victim@example.com"),
    ],
)
def test_header_injection_is_rejected(field: str, value: str) -> None:
    assert errors_for(**{field: value})[0][0] == field


def test_unknown_keys_are_rejected() -> None:
    # "attachments" was the example until it became a field (issue 11); a near miss stays unknown.
    assert ("attachment", "extra_forbidden") in errors_for(attachment=[])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cc", "cc@example.com"),
        ("bcc", [1]),
        ("tags", "order"),
        ("tags", [{"a": 1}]),
        ("metadata", ["order_id"]),
        ("metadata", {"nested": {"a": 1}}),
    ],
)
def test_types_of_lists_and_metadata(field: str, value: Any) -> None:
    assert errors_for(**{field: value})[0][0].startswith(field)


def test_at_most_fifty_recipients_in_total() -> None:
    cc = [f"cc{i}@example.com" for i in range(25)]
    bcc = [f"bcc{i}@example.com" for i in range(MAX_RECIPIENTS - 1 - 25)]
    SendRequest.model_validate({**BASE, "cc": cc, "bcc": bcc})
    assert errors_for(cc=cc, bcc=[*bcc, "one-more@example.com"]) == [("", "value_error")]


def test_metadata_size_is_bounded() -> None:
    assert errors_for(metadata={"k": "x" * 9000})[0][0] == "metadata"


def test_a_scheduled_message_can_carry_attachments() -> None:
    request = SendRequest.model_validate(
        {
            "to": "user@example.com",
            "subject": "Report",
            "text": "attached",
            "scheduled_at": _in_a_day(),
            "attachments": [{"filename": "a.txt", "content": "aGk="}],
        }
    )
    assert request.scheduled_at is not None
    assert [a.data for a in request.attachments] == [b"hi"]


def _in_a_day() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(days=1)).isoformat()
