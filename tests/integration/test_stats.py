"""Usage stats over HTTP against the local stack: sends that succeed and fail, a batch through
the dispatcher, SES feedback delivered twice, the pixel and a link fetched twice, then every
count of GET /api/v1/stats checked exactly (unique opens and clicks, nothing counted twice)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import utcnow
from mailpass.schemas import BatchRequest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

from tests.integration.conftest import LambdaContext
from tests.integration.test_batch import Pipeline, messages, principal
from tests.integration.test_batch import pipeline as pipeline  # noqa: PLC0414 (the fixture)
from tests.integration.test_feedback import deliver, feedback
from tests.integration.test_tracking import BROWSER, links, sent_html

pytestmark = pytest.mark.integration

HTML = '<html><body><p>Hi</p><a href="https://shop.example.com/order?id=7">Order</a></body></html>'
COUNTS = ("sent", "delivered", "failed", "bounced", "complained", "opened", "clicked")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def send(api: httpx.Client, key: str, **extra: Any) -> httpx.Response:
    body = {"to": "user@example.com", "subject": "Stats", "html": HTML, **extra}
    return api.post("/api/v1/mail/send", headers=auth(key), json=body)


def stats(api: httpx.Client, key: str, **params: str) -> dict[str, Any]:
    resp = api.get("/api/v1/stats", headers=auth(key), params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


def now_of(kind: str) -> dict[str, Any]:
    """Feedback about mail sent now, from the account's sender (the samples' are from January
    and another domain)."""
    return {
        "mail": {"source": "MailPass Dev <dev@example.com>"},
        kind: {"timestamp": utcnow().isoformat()},
    }


def test_every_count_is_exact_and_nothing_counts_twice(
    api: httpx.Client,
    account: Seeded,
    services: Container,
    sink: SmtpSink,
    pipeline: Pipeline,
    lambda_context: LambdaContext,
) -> None:
    key = account.api_key
    test_key = services.admin.create_api_key(account.account_id, ["mail"], test=True).api_key
    empty = stats(api, key, granularity="hour")
    assert all(b[c] == 0 for b in empty["buckets"] for c in COUNTS)
    assert len(empty["buckets"]) == 25  # the last 24 hours, every bucket there

    tracked = send(api, key)
    assert tracked.status_code == 200, tracked.text
    a = tracked.json()["data"]["message_id"]
    b = send(api, key, to="other@example.com").json()["data"]["message_id"]
    sink.script("550 5.1.1 No such user here")
    assert send(api, key, to="gone@example.com").status_code == 500  # failed
    assert send(api, test_key).status_code == 200  # a test key's: not counted

    result = pipeline.batch.enqueue(principal(account), BatchRequest(messages=messages(3)))
    batched = [m["message_id"] for m in result["messages"]]
    assert pipeline.drain().sent == 3
    assert pipeline.drain().sent == 0  # nothing left: nothing counted again

    # Each notice delivered twice (SNS and SQS deliver at least once).
    for _ in range(2):
        deliver(feedback("ses-delivery.json", account, a, **now_of("delivery")), lambda_context)
        deliver(
            feedback("ses-delivery.json", account, batched[0], **now_of("delivery")),
            lambda_context,
        )
        deliver(feedback("ses-bounce.json", account, b, **now_of("bounce")), lambda_context)
        deliver(feedback("ses-complaint.json", account, a, **now_of("complaint")), lambda_context)

    pixel, click = links(sent_html(sink, a))
    for agent in (BROWSER, BROWSER, "Mozilla/5.0"):  # twice, then another client
        assert api.get(pixel, headers={"User-Agent": agent}).status_code == 200
        assert api.get(click, headers={"User-Agent": agent}).status_code == 302

    expected = {
        "sent": 5,  # two sends and three batched
        "delivered": 2,
        "failed": 1,
        "bounced": 1,
        "complained": 1,
        "opened": 1,
        "clicked": 1,
        "bounce_rate": 0.2,
        "complaint_rate": 0.2,
    }
    hours = stats(api, key, granularity="hour")
    assert hours["totals"] == expected
    assert {c: sum(b[c] for b in hours["buckets"]) for c in COUNTS} == {
        c: expected[c] for c in COUNTS
    }
    days = stats(api, key)
    assert days["granularity"] == "day"
    assert days["totals"] == expected
    # The same mail counted for its sender's domain; none from another.
    assert stats(api, key, domain="example.com", granularity="hour")["totals"] == expected
    other = stats(api, key, domain="other.example", granularity="hour")["totals"]
    assert other["sent"] == 0
    assert other["bounce_rate"] is None


def test_invalid_queries_are_400_and_the_route_needs_mail(
    api: httpx.Client, account: Seeded, services: Container
) -> None:
    key = account.api_key
    for params in (
        {"from": "2026-11-27T00:00:00"},  # no offset
        {"from": "2026-11-27T00:00:00Z", "until": "2026-11-26T00:00:00Z"},
        {"from": "2026-01-01T00:00:00Z", "until": "2026-11-26T00:00:00Z"},
        {"granularity": "week"},
        {"domain": "not a domain"},
    ):
        resp = api.get("/api/v1/stats", headers=auth(key), params=params)
        assert resp.status_code == 400, (params, resp.text)
        assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
    settings_only = services.admin.create_api_key(account.account_id, ["settings"]).api_key
    assert api.get("/api/v1/stats", headers=auth(settings_only)).status_code == 403
    assert api.get("/api/v1/stats").status_code == 401
