"""Recording opens and clicks: token kinds, safe redirect URLs, repeated hits counted once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from mailpass.models import MessageEvent, MessageRecord, MessageStatus
from mailpass.service.tracking import HIT_WINDOW_SECONDS, TrackingService
from mailpass.settings import Settings
from mailpass.tracking import CLICK, OPEN, Tracked, TrackingTokens, instrument, safe_url

from tests.fakes import InMemorySecrets, InMemoryStore
from tests.fakes.hits import InMemoryHits

KEY = "k" * 32
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"
ACCOUNT, MESSAGE = "acct_1", "<m.1@test.mailpass.im>"


@dataclass
class RecordingNotifier:
    sent: list[tuple[str, str, MessageEvent]] = field(default_factory=list)

    def notify(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        self.sent.append((account_id, message_id, event))


@dataclass
class Clock:
    now: datetime = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Tracking:
    service: TrackingService
    store: InMemoryStore
    hits: InMemoryHits
    notifier: RecordingNotifier
    clock: Clock

    def events(self) -> list[MessageEvent]:
        return self.store.events.get((ACCOUNT, MESSAGE), [])


@pytest.fixture
def tracking() -> Tracking:
    store, notifier, clock = InMemoryStore(), RecordingNotifier(), Clock()
    hits = InMemoryHits(store.memory)  # one memory, as the adapters share one table
    store.put_message(
        MessageRecord(
            account_id=ACCOUNT,
            message_id=MESSAGE,
            status=MessageStatus.SENT,
            from_email="noreply@acme.example.com",
            to_email="user@example.com",
            subject="Hi",
            created_at=clock.now,
            expires_at=int(clock.now.timestamp()) + 86400,
        )
    )
    secrets = InMemorySecrets({"tracking": KEY})
    settings = Settings(table_name="unit-table", tracking_key_secret="tracking")
    service = TrackingService(store, secrets, settings, notifier, hits, clock=clock)
    return Tracking(service, store, hits, notifier, clock)


TOKENS = TrackingTokens(KEY.encode())
OPEN_TOKEN = TOKENS.sign(Tracked(OPEN, ACCOUNT, MESSAGE))


def click_token(url: str) -> str:
    return TOKENS.sign(Tracked(CLICK, ACCOUNT, MESSAGE, url))


def test_an_open_token_at_the_click_endpoint_records_nothing(tracking: Tracking) -> None:
    assert tracking.service.record(OPEN_TOKEN, "198.51.100.7", BROWSER, CLICK) is None
    assert tracking.service.record(click_token("https://a.example/"), None, BROWSER, OPEN) is None
    assert tracking.events() == []
    assert tracking.notifier.sent == []
    assert tracking.hits.counted(ACCOUNT, MESSAGE) == {"open": 0, "click": 0}
    # Each of the right kind is recorded.
    assert tracking.service.record(OPEN_TOKEN, "198.51.100.7", BROWSER, OPEN) is not None
    went = tracking.service.record(click_token("https://a.example/"), None, BROWSER, CLICK)
    assert went is not None
    assert went.url == "https://a.example/"
    assert [e.event_type for e in tracking.events()] == ["open", "click"]


def test_a_hundred_pixel_hits_from_one_client_store_and_notify_once(tracking: Tracking) -> None:
    for _ in range(100):
        assert tracking.service.record(OPEN_TOKEN, "198.51.100.7", BROWSER, OPEN) is not None
    (opened,) = tracking.events()
    assert (opened.event_type, opened.ip_address, opened.user_agent) == (
        "open",
        "198.51.100.7",
        BROWSER,
    )
    assert len(tracking.notifier.sent) == 1
    assert tracking.hits.counted(ACCOUNT, MESSAGE) == {"open": 100, "click": 0}


def test_another_client_or_a_later_window_is_a_new_open(tracking: Tracking) -> None:
    record = tracking.service.record
    record(OPEN_TOKEN, "198.51.100.7", BROWSER, OPEN)
    record(OPEN_TOKEN, "198.51.100.8", BROWSER, OPEN)  # another address
    record(OPEN_TOKEN, "198.51.100.7", "Mozilla/5.0", OPEN)  # another agent (a privacy proxy)
    record(OPEN_TOKEN, "198.51.100.7", BROWSER, OPEN)  # a repeat
    assert len(tracking.events()) == 3
    tracking.clock.now += timedelta(seconds=HIT_WINDOW_SECONDS)
    record(OPEN_TOKEN, "198.51.100.7", BROWSER, OPEN)
    assert len(tracking.events()) == 4
    assert len(tracking.notifier.sent) == 4
    assert tracking.hits.counted(ACCOUNT, MESSAGE)["open"] == 5


def test_clicks_repeat_per_link_not_per_message(tracking: Tracking) -> None:
    record = tracking.service.record
    for _ in range(3):
        record(click_token("https://a.example/one"), "198.51.100.7", BROWSER, CLICK)
        record(click_token("https://a.example/two"), "198.51.100.7", BROWSER, CLICK)
    assert [e.data["url"] for e in tracking.events()] == [
        "https://a.example/one",
        "https://a.example/two",
    ]
    assert tracking.hits.counted(ACCOUNT, MESSAGE) == {"open": 0, "click": 6}


def test_a_click_signed_before_encoding_redirects_percent_encoded(tracking: Tracking) -> None:
    # Tokens sent before URLs were encoded at send time carry the raw URL.
    raw = "https://shop.example.com/prix/10€?q=é&x=a b"
    went = tracking.service.record(click_token(raw), None, BROWSER, CLICK)
    assert went is not None
    assert went.url == "https://shop.example.com/prix/10%E2%82%AC?q=%C3%A9&x=a%20b"
    (clicked,) = tracking.events()
    assert clicked.data["url"] == went.url


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://shop.example.com/€", "https://shop.example.com/%E2%82%AC"),
        # Already escaped stays as it is: escaped CR/LF is never decoded into a header.
        (
            "https://x.example/a%0d%0aSet-Cookie:%20a=1",
            "https://x.example/a%0d%0aSet-Cookie:%20a=1",
        ),
        # Raw CR/LF/tab are dropped, as a browser's URL parser drops them from an href.
        ("https://x.example/a\r\nSet-Cookie: a=1", "https://x.example/aSet-Cookie:%20a=1"),
        (" https://x.example/\x00\x7f ", "https://x.example/%00%7F"),
        ("https://bücher.example:8443/ü", "https://xn--bcher-kva.example:8443/%C3%BC"),
        ("https://x.example/100%/a%zz", "https://x.example/100%25/a%25zz"),
        ("https://x.example/?a=1&b=%E2%82%AC#f", "https://x.example/?a=1&b=%E2%82%AC#f"),
        ("https://x.example/\ud800", "https://x.example/%ED%A0%80"),
    ],
)
def test_safe_url(url: str, safe: str) -> None:
    assert safe_url(url) == safe
    assert safe_url(safe) == safe  # once is enough
    assert safe.isascii()


def test_links_are_signed_percent_encoded_at_send_time() -> None:
    html = '<a href="https://shop.example.com/10€?a=1&amp;b=&#13;&#10;2">x</a>'
    out = instrument(
        html,
        tokens=TOKENS,
        base_url="https://api.example.com",
        account_id=ACCOUNT,
        message_id=MESSAGE,
        opens=False,
        clicks=True,
    )
    token = out.split("/track/click/")[1].split('"')[0]
    signed = TOKENS.verify(token)
    assert signed is not None
    assert signed.url == "https://shop.example.com/10%E2%82%AC?a=1&b=2"
