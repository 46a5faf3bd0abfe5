"""Tracking tokens and HTML, SES event parsing, and the SES sender's tags, without any server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mailpass.adapters.ses import SesSender
from mailpass.mime import OutgoingMessage
from mailpass.models import MessageStatus
from mailpass.service.feedback import parse, ses_events
from mailpass.tracking import CLICK, OPEN, Tracked, TrackingTokens, instrument, is_machine

EVENTS = Path(__file__).resolve().parents[2] / "events"
KEY = TrackingTokens(b"k" * 32)


def test_tokens_round_trip_and_refuse_any_change() -> None:
    t = Tracked(CLICK, "acct_1", "<m@x>", "https://a.example.com/?q=ü")
    token = KEY.sign(t)
    assert KEY.verify(token) == t
    body, sig = token.split(".")
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    assert KEY.verify(f"{body}.{flipped}") is None
    assert KEY.verify(f"{body[:-2]}.{sig}") is None
    assert TrackingTokens(b"z" * 32).verify(token) is None  # another key
    assert KEY.verify("garbage") is None
    javascript = KEY.sign(Tracked(CLICK, "a", "m", "javascript:alert(1)"))
    assert KEY.verify(javascript) is None  # only http(s) can ever be a redirect target


def test_instrument_rewrites_http_links_and_adds_one_pixel() -> None:
    html = (
        '<HTML><BODY><a class="b" href="https://x.example.com/a?b=1&amp;c=2">A</a>'
        "<a href='#top'>T</a><a href=\"mailto:a@b.co\">M</a></BODY></HTML>"
    )
    out = instrument(
        html,
        tokens=KEY,
        base_url="https://api.example.com/",
        account_id="acct",
        message_id="<m@x>",
        opens=True,
        clicks=True,
    )
    assert out.count("https://api.example.com/api/v1/track/click/") == 1
    assert "href='#top'" in out
    assert 'href="mailto:a@b.co"' in out
    assert out.count("/api/v1/track/open/") == 1
    assert out.index("/track/open/") < out.index("</BODY>")
    token = out.split("/track/click/")[1].split('"')[0]
    assert KEY.verify(token) == Tracked(CLICK, "acct", "<m@x>", "https://x.example.com/a?b=1&c=2")
    pixel = out.split("/track/open/")[1].split('"')[0]
    assert KEY.verify(pixel) == Tracked(OPEN, "acct", "<m@x>")


@pytest.mark.parametrize(
    ("ua", "ip", "machine"),
    [
        ("Mozilla/5.0", "203.0.113.9", True),  # Apple Mail Privacy Protection
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15", "17.58.1.2", True),
        ("Mozilla/5.0 (compatible; Barracuda Sentinel)", "198.51.100.1", True),
        ("python-requests/2.32", "198.51.100.1", True),
        (None, "198.51.100.1", True),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "198.51.100.1", False),
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/120 (via ggpht.com GoogleImageProxy)", None, False),
    ],
)
def test_machine_opens(ua: str | None, ip: str | None, machine: bool) -> None:
    assert is_machine(ua, ip) is machine


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def test_every_ses_sample_parses_to_the_right_event() -> None:
    expect = {
        "ses-delivery.json": ("delivery", MessageStatus.DELIVERED, ()),
        "ses-bounce.json": ("bounce", MessageStatus.BOUNCED, ("user@example.com",)),
        "ses-bounce-transient.json": ("bounce", None, ()),
        "ses-complaint.json": ("complaint", MessageStatus.COMPLAINED, ("user@example.com",)),
        "ses-reject.json": ("reject", MessageStatus.FAILED, ()),
        "ses-delivery-delay.json": ("delivery_delay", None, ()),
        "ses-open.json": ("open", None, ()),
        "ses-click.json": ("click", None, ()),
        "ses-bounce-eventbridge.json": ("bounce", MessageStatus.BOUNCED, ("user@example.com",)),
    }
    for name, (kind, status, suppress) in expect.items():
        (ses,) = ses_events(sample(name))
        got = parse(ses)
        assert got is not None, name
        assert (got.event.event_type, got.status, got.suppress) == (kind, status, suppress), name
        assert got.account_id == "acct_example"
        assert got.message_id == "<0123456789abcdef01234567.1769774400@mailpass.im>"
        assert got.event.created_at.tzinfo is not None
    assert parse({"eventType": "Send", "mail": {}}) is None


class RecordingSes:
    """Takes what SesSender sends, as sesv2 would."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "ses-1"}


def test_ses_sends_carry_the_message_identity_as_tags() -> None:
    client = RecordingSes()
    SesSender(client, "mailpass-feedback").send(  # type: ignore[arg-type]
        OutgoingMessage("<abc.1@mailpass.im>", "a@b.co", ("c@d.co",), b"raw", "acct_1")
    )
    (call,) = client.calls
    assert call["ConfigurationSetName"] == "mailpass-feedback"
    assert call["EmailTags"] == [
        {"Name": "mailpass_account", "Value": "acct_1"},
        {"Name": "mailpass_message", "Value": "abc.1@mailpass.im"},
    ]
