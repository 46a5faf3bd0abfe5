"""Usage stats: the query's buckets, ranges and time zones over the in-memory counters, and the
write paths (send, feedback, tracking) counting each event once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mailpass import usage
from mailpass.errors import ValidationFailed
from mailpass.models import ACCOUNT_TAG, MESSAGE_TAG, Permission
from mailpass.ports import Outcome
from mailpass.schemas import SendRequest
from mailpass.service.auth import AuthService
from mailpass.service.feedback import FeedbackService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService
from mailpass.service.stats import StatsService
from mailpass.service.tracking import TrackingService
from mailpass.settings import Settings
from mailpass.tracking import CLICK, OPEN, Tracked, TrackingTokens

from tests.fakes import InMemorySecrets, InMemoryStore
from tests.fakes.hits import InMemoryHits
from tests.unit.conftest import World

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
ACCOUNT = "acct_1"


def service(store: InMemoryStore, now: datetime = NOW) -> StatsService:
    return StatsService(store, clock=lambda: now)


def add(store: InMemoryStore, at: datetime, count: str, sender: str = "a@acme.com") -> None:
    store.add(usage.one(ACCOUNT, "m", at, count, sender), now=0)


def test_day_buckets_are_all_there_with_zeros_and_totals_with_rates() -> None:
    store = InMemoryStore()
    for _ in range(4):
        add(store, datetime(2026, 11, 25, 23, 59, tzinfo=UTC), "sent")
    add(store, datetime(2026, 11, 26, 0, 0, tzinfo=UTC), "bounced")
    add(store, datetime(2026, 11, 26, 5, 0, tzinfo=UTC), "complained")
    add(store, datetime(2026, 11, 22, 5, 0, tzinfo=UTC), "sent")  # before the range
    out = service(store).query(ACCOUNT, start="2026-11-24T12:00:00Z", until="2026-11-27T00:00:00Z")
    assert out["from"] == "2026-11-24T00:00:00+00:00"  # rounded down to its day
    assert out["until"] == "2026-11-27T00:00:00+00:00"
    assert [b["start"] for b in out["buckets"]] == [
        "2026-11-24T00:00:00+00:00",
        "2026-11-25T00:00:00+00:00",
        "2026-11-26T00:00:00+00:00",
    ]
    assert [(b["sent"], b["bounced"], b["complained"]) for b in out["buckets"]] == [
        (0, 0, 0),
        (4, 0, 0),
        (0, 1, 1),
    ]
    assert out["totals"] == {
        "sent": 4,
        "delivered": 0,
        "failed": 0,
        "bounced": 1,
        "complained": 1,
        "opened": 0,
        "clicked": 0,
        "bounce_rate": 0.25,
        "complaint_rate": 0.25,
    }


def test_days_start_at_midnight_in_the_offset_from_was_given_in() -> None:
    store = InMemoryStore()
    # 22:00 UTC on the 26th is already the 27th in UTC+02:00.
    add(store, datetime(2026, 11, 26, 22, 0, tzinfo=UTC), "sent")
    add(store, datetime(2026, 11, 26, 21, 0, tzinfo=UTC), "failed")
    out = service(store).query(
        ACCOUNT, start="2026-11-26T00:00:00+02:00", until="2026-11-28T00:00:00+02:00"
    )
    assert [(b["start"], b["sent"], b["failed"]) for b in out["buckets"]] == [
        ("2026-11-26T00:00:00+02:00", 0, 1),
        ("2026-11-27T00:00:00+02:00", 1, 0),
    ]
    # The same counts in UTC days: both on the 26th.
    utc = service(store).query(ACCOUNT, start="2026-11-26T00:00:00Z", until="2026-11-27T00:00:00Z")
    assert [(b["sent"], b["failed"]) for b in utc["buckets"]] == [(1, 1)]


def test_hour_buckets_are_utc_hours_labelled_in_the_callers_offset() -> None:
    store = InMemoryStore()
    add(store, datetime(2026, 11, 27, 3, 59, 59, tzinfo=UTC), "opened")
    out = service(store).query(
        ACCOUNT,
        start="2026-11-27T08:45:00+05:30",  # 03:15 UTC
        until="2026-11-27T10:00:00+05:30",  # 04:30 UTC
        granularity="hour",
    )
    assert [(b["start"], b["opened"]) for b in out["buckets"]] == [
        ("2026-11-27T08:30:00+05:30", 1),
        ("2026-11-27T09:30:00+05:30", 0),
    ]
    # A half-hour offset cannot carry day buckets: the counters are hourly.
    with pytest.raises(ValidationFailed, match="whole number of hours"):
        service(store).query(ACCOUNT, start="2026-11-27T00:00:00+05:30")


def test_defaults_are_the_last_seven_days_or_the_last_day_of_hours() -> None:
    store = InMemoryStore()
    add(store, NOW, "sent")
    days = service(store).query(ACCOUNT)
    assert len(days["buckets"]) == 8  # 7 days back from 10:30, rounded down: 8 days touched
    assert days["buckets"][-1]["start"] == "2026-11-27T00:00:00+00:00"
    assert days["totals"]["sent"] == 1
    hours = service(store).query(ACCOUNT, granularity="hour")
    assert len(hours["buckets"]) == 25
    assert hours["buckets"][-1] == {
        "start": "2026-11-27T10:00:00+00:00",
        **dict.fromkeys(usage.COUNTS, 0),
        "sent": 1,
    }
    assert hours["totals"]["bounce_rate"] == 0.0
    assert service(InMemoryStore()).query(ACCOUNT)["totals"]["bounce_rate"] is None


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"start": "2026-11-27T00:00:00"}, "from"),  # no offset
        ({"start": "2026-11-27"}, "from"),  # a date, not a date-time
        ({"until": "yesterday"}, "until"),
        ({"start": "2026-11-27T00:00:00Z", "until": "2026-11-27T00:00:00Z"}, "from"),
        ({"start": "2026-11-28T00:00:00Z", "until": "2026-11-27T00:00:00Z"}, "from"),
        ({"start": "2026-08-01T00:00:00Z", "until": "2026-11-27T00:00:00Z"}, "until"),
        (
            {
                "start": "2026-11-01T00:00:00Z",
                "until": "2026-11-09T00:00:00Z",
                "granularity": "hour",
            },
            "until",
        ),
        ({"granularity": "week"}, "granularity"),
        ({"start": "9999-12-31T00:00:00Z", "until": "9999-12-31T23:00:00Z"}, "from"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "until"),
        ({"domain": "not a domain"}, "domain"),
        ({"domain": "-acme.com"}, "domain"),
    ],
)
def test_invalid_queries_name_their_field(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service(InMemoryStore()).query(ACCOUNT, **kw)
    assert caught.value.details[0]["field"] == field


def test_the_longest_ranges_are_accepted() -> None:
    s = service(InMemoryStore())
    days = s.query(ACCOUNT, start="2026-08-29T00:00:00Z", until="2026-11-27T00:00:00Z")
    assert len(days["buckets"]) == 90
    hours = s.query(
        ACCOUNT, start="2026-11-20T00:00:00Z", until="2026-11-27T00:00:00Z", granularity="hour"
    )
    assert len(hours["buckets"]) == 168


def test_a_domain_counts_its_subdomains_but_not_lookalikes() -> None:
    store = InMemoryStore()
    add(store, NOW, "sent", "a@acme.com")
    add(store, NOW, "sent", "a@news.acme.com")
    add(store, NOW, "sent", "a@notacme.com")
    add(store, NOW, "bounced", "a@ACME.com")
    s = service(store)
    assert s.query(ACCOUNT)["totals"]["sent"] == 3
    acme = s.query(ACCOUNT, domain="Acme.COM.")
    assert acme["domain"] == "acme.com"
    assert (acme["totals"]["sent"], acme["totals"]["bounced"]) == (2, 1)
    assert acme["totals"]["bounce_rate"] == 0.5
    assert s.query(ACCOUNT, domain="news.acme.com")["totals"]["sent"] == 1
    summaries = s.domain_summaries(ACCOUNT, ["acme.com", "other.com"])
    assert summaries["acme.com"] == {
        "sent": 2,
        "delivered": 0,
        "bounced": 1,
        "complained": 0,
        "bounce_rate": 0.5,
        "complaint_rate": 0.0,
        "days": 30,
    }
    assert summaries["other.com"]["bounce_rate"] is None
    # Older than 30 days is out of a domain's rates.
    add(store, NOW - timedelta(days=31), "sent", "a@other.com")
    assert s.domain_summaries(ACCOUNT, ["other.com"])["other.com"]["sent"] == 0


# The write paths, wired to one in-memory store -----------------------------------------------

REQ = SendRequest(to="user@example.com", subject="Hello", html="<p>Hi</p>")


def ses(kind: str, account: str, message_id: str, **body: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "mail": {
            "source": "noreply@acme.example.com",
            "tags": {ACCOUNT_TAG: [account], MESSAGE_TAG: [message_id.strip("<>")]},
        },
        **body,
    }


def totals(store: InMemoryStore, account: str) -> dict[str, Any]:
    out = StatsService(store).query(account, granularity="hour")
    return {k: v for k, v in out["totals"].items() if v}


def test_sends_feedback_and_first_hits_are_each_counted_once(world: World) -> None:
    store = world.store
    account, key = world.account_with_key()
    _, test_key = world.account_with_key(test=True)
    sending = SendService(store, world.senders, world.settings, Limits(store))
    auth = AuthService(store)
    sent = sending.send(auth.authenticate(f"Bearer {key}", Permission.MAIL), REQ)
    sending.send(auth.authenticate(f"Bearer {test_key}", Permission.MAIL), REQ)  # not counted
    mid = sent.message_id
    feedback = FeedbackService(store)
    delivery = ses("Delivery", account, mid, delivery={"smtpResponse": "250 ok"})
    complaint = ses("Complaint", account, mid, complaint={"complainedRecipients": []})
    for event in (delivery, delivery, complaint, complaint):  # each delivered twice by SNS
        feedback.handle(event)
    secrets = InMemorySecrets({"tracking": "k" * 32})
    settings = Settings(table_name="unit-table", tracking_key_secret="tracking")
    tracking = TrackingService(store, secrets, settings, hits=InMemoryHits(store.memory))
    tokens = TrackingTokens(b"k" * 32)
    pixel = tokens.sign(Tracked(OPEN, account, mid))
    click = tokens.sign(Tracked(CLICK, account, mid, "https://a.example/"))
    for ip in ("198.51.100.1", "198.51.100.2"):  # two clients, each twice
        for _ in range(2):
            tracking.record(pixel, ip, "Mozilla/5.0", OPEN)
            tracking.record(click, ip, "Mozilla/5.0", CLICK)
    assert totals(store, account) == {
        "sent": 1,
        "delivered": 1,
        "complained": 1,
        "opened": 1,
        "clicked": 1,
        "complaint_rate": 1.0,
    }
    domain = StatsService(store).query(account, granularity="hour", domain="acme.example.com")
    assert domain["totals"]["sent"] == 1


def test_a_failed_send_counts_as_failed(world: World) -> None:
    from mailpass.errors import ProviderError, SendFailed

    account, key = world.account_with_key()
    world.senders.sender.error = ProviderError("550 no such user", permanent=True)
    sending = SendService(world.store, world.senders, world.settings, Limits(world.store))
    with pytest.raises(SendFailed):
        sending.send(AuthService(world.store).authenticate(f"Bearer {key}", Permission.MAIL), REQ)
    assert totals(world.store, account) == {"failed": 1}


def test_pack_outcomes_count_only_what_count_names() -> None:
    store = InMemoryStore()
    outcomes = [Outcome(ACCOUNT, "m1", "sent", NOW), Outcome(ACCOUNT, "m2", "failed", NOW)]
    store.record_outcomes(outcomes, count={"m1": "a@acme.com"})
    store.record_outcomes([Outcome(ACCOUNT, "m3", "sent", NOW)])  # a test key's pack
    out = service(store).query(ACCOUNT)
    assert (out["totals"]["sent"], out["totals"]["failed"]) == (1, 0)


@pytest.mark.parametrize("test_key", [False, True])
def test_a_drained_batch_counts_each_message_once_unless_a_test_key_sent_it(
    settings: Settings, test_key: bool
) -> None:
    from mailpass.schemas import BatchRequest
    from mailpass.service.batch import BatchService

    from tests.unit.test_delivery_table import make_env
    from tests.unit.test_queue_payload import dispatcher, queues

    env = make_env(settings, test=test_key)
    queue, dlq = queues(env)
    mail = [{"to": f"u{i}@example.com", "subject": "s", "text": "t"} for i in range(30)]
    BatchService(env.store, queue, settings).enqueue(env.principal, BatchRequest(messages=mail))
    drain = dispatcher(env, queue, dlq)
    assert drain.drain(lambda: 60_000).sent == 30
    assert drain.drain(lambda: 60_000).sent == 0
    out = StatsService(env.store).query(env.account, granularity="hour")
    assert out["totals"]["sent"] == (0 if test_key else 30)
    by_domain = StatsService(env.store).query(
        env.account, granularity="hour", domain="acme.example.com"
    )
    assert by_domain["totals"]["sent"] == (0 if test_key else 30)
