"""The journeys that need issue 12's endpoints (the message log, stats, API keys over HTTP, the
webhook test event and delivery log, adding a suppression). Each names the operations it uses;
one missing from openapi.json, the published contract, fails it."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email.policy import default
from typing import Any

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack
from mailpass_dev.template import ROOT
from playwright.sync_api import expect

from tests.browser.conftest import Dash
from tests.integration.conftest import LambdaContext
from tests.integration.test_webhooks import Receiver, run_webhook_function
from tests.waiting import wait_until

OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in json.loads((ROOT / "openapi.json").read_text())["paths"].items()
    for method in item
}
NEEDED = {
    "messages": "GET /api/v1/mail/messages",
    "stats": "GET /api/v1/stats",
    "keys": "POST /api/v1/api-keys",
    "hook_test": "POST /api/v1/webhooks/{webhook_id}/test",
    "deliveries": "GET /api/v1/webhooks/{webhook_id}/deliveries",
    "rotate": "POST /api/v1/webhooks/{webhook_id}/rotate-secret",
    "suppress": "POST /api/v1/suppressions",
}


def needs(*names: str) -> pytest.MarkDecorator:
    """The journey's operations, which must be in openapi.json: issue 12 is merged, so one
    missing is a failure, never a skip."""
    missing = [NEEDED[n] for n in names if NEEDED[n] not in OPERATIONS]
    assert not missing, f"not in openapi.json: {missing}"
    return pytest.mark.integration


pytestmark = pytest.mark.integration


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def send(http: httpx.Client, account: Seeded, **fields: Any) -> str:
    body = {"to": "reader@example.com", "subject": "Hello", "html": "<p>Hello</p>", **fields}
    sent = http.post("/api/v1/mail/send", headers=auth(account.api_key), json=body)
    assert sent.status_code == 200, sent.text
    mid: str = sent.json()["data"]["message_id"]
    return mid


@needs("messages")
def test_find_a_message_by_its_tag_open_it_and_see_the_open_event(
    dash: Dash, http: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    send(http, account, subject="Not this one", tags=["other"])
    mid = send(http, account, subject="Your receipt", tags=["receipt-7"])
    (caught,) = sink.find(mid)
    part = message_from_bytes(caught.data, policy=default).get_body(("html",))
    assert part is not None
    (pixel,) = re.findall(r'<img src="([^"]+/track/open/[^"]+)"', part.get_content())
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150"
    assert http.get(pixel, headers={"User-Agent": agent}).status_code == 200

    page = dash.page
    dash.sign_in()
    dash.go("Emails")
    page.get_by_label("Tag").fill("receipt-7")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("messages").locator("tbody tr")
    expect(rows).to_have_count(1)  # the page before the search may still be showing
    expect(rows.first).to_contain_text("Your receipt")
    dash.check("emails")

    page.get_by_role("link", name="Your receipt").click()
    page.get_by_role("heading", name="Message").wait_for()
    opened = page.get_by_test_id("events").locator("li[data-event='open']")
    opened.wait_for()
    assert agent in opened.inner_text()
    assert "127.0.0.1" in opened.inner_text()
    page.get_by_role("link", name="← All emails").click()
    page.get_by_role("heading", level=1, name="Emails").wait_for()


@needs("messages")
def test_the_message_log_pages_with_its_cursor(
    dash: Dash, http: httpx.Client, account: Seeded
) -> None:
    for n in range(21):  # one more than a page
        send(http, account, subject=f"Bulk {n:02}", tags=["bulk"])
    page = dash.page
    dash.sign_in()
    dash.go("Emails")
    rows = page.get_by_test_id("messages").locator("tbody tr")
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bulk 00")  # newest first: the oldest is last
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(20)
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()


@needs("stats")
def test_the_overview_charts_the_days_and_shows_the_rates(
    dash: Dash, http: httpx.Client, account: Seeded
) -> None:
    send(http, account)
    page = dash.page
    dash.sign_in()
    page.get_by_role("heading", level=1, name="Overview").wait_for()
    page.get_by_test_id("bounce-rate").wait_for()
    page.locator(".chart canvas").wait_for()
    assert "4.00 %" in page.get_by_test_id("bounce-rate").inner_text()
    assert "0.10 %" in page.get_by_test_id("complaint-rate").inner_text()
    dash.check("overview")


@needs("keys")
def test_create_an_api_key_see_it_once_and_revoke_it(dash: Dash, http: httpx.Client) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("API keys")
    page.get_by_label("Name", exact=True).fill("CI deploys")
    page.get_by_role("button", name="Create API key").click()
    new_key = page.get_by_test_id("new-key-value").inner_text()
    assert new_key
    assert page.get_by_test_id("new-key").get_by_role("button", name="Copy").is_visible()
    assert http.get("/api/v1/templates", headers=auth(new_key)).status_code in (200, 403)
    row = page.get_by_test_id("keys").locator("tbody tr").filter(has_text="CI deploys")
    row.wait_for()
    assert new_key not in row.inner_text()  # the list shows a prefix and the last four only
    page.get_by_role("button", name="Done").click()
    assert new_key not in page.content()
    dash.check("api-keys")

    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Yes, do it").click()
    row.wait_for(state="detached")
    refused = http.post(
        "/api/v1/mail/send",
        headers=auth(new_key),
        json={"to": "a@example.com", "subject": "x", "html": "<p>x</p>"},
    )
    assert refused.status_code == 401


@needs("hook_test", "deliveries")
def test_add_a_webhook_and_send_a_test_event_to_a_local_receiver(
    dash: Dash, env: LocalStack, receiver: Receiver
) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("button", name="Done").click()
    card = page.get_by_test_id("webhook").filter(has_text=receiver.url)
    card.get_by_role("button", name="Send test event").click()
    card.get_by_text("A test event is on its way.").wait_for()

    def delivered() -> bool:  # the webhook function, as the queue's event source runs it
        run_webhook_function(env, LambdaContext())
        return bool(receiver.got)

    wait_until(delivered, "the test event to reach the receiver", timeout=30)
    _headers, body = receiver.got[0]
    assert b'"test"' in body
    card.get_by_role("button", name="Refresh").click()
    delivery = card.get_by_test_id("deliveries").locator("tr[data-event-type='test']")
    delivery.first.wait_for()
    assert "200" in delivery.first.inner_text()
    dash.check("webhooks")


@needs("rotate")
def test_rotate_a_webhook_secret(dash: Dash, receiver: Receiver) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    first = page.get_by_test_id("webhook-secret").locator("code").inner_text()
    page.get_by_role("button", name="Done").click()
    card = page.get_by_test_id("webhook").filter(has_text=receiver.url)
    card.get_by_role("button", name="Rotate secret").click()
    rotated = card.get_by_test_id("webhook-secret").locator("code").inner_text()
    assert rotated.startswith("whsec_")
    assert rotated != first


@needs("suppress")
def test_add_and_remove_a_suppression(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Suppressions")
    page.get_by_label("Address").fill("gone@example.com")
    page.get_by_label("Reason").fill("asked by phone")
    page.get_by_role("button", name="Suppress address").click()
    row = page.get_by_role("row").filter(has_text="gone@example.com")
    row.wait_for()
    assert "asked by phone" in row.inner_text()
    page.get_by_label("Kind").select_option(label="Bounce")
    expect(row).to_have_count(0)  # filtered by kind: only bounces
    page.get_by_label("Kind").select_option(label="Added by hand")
    row.wait_for()
    dash.check("suppressions")
    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name="Yes, do it").click()
    page.get_by_text("No suppressed addresses.").wait_for()


@needs("hook_test")
def test_an_endpoint_disabled_by_a_410_is_re_enabled_from_its_card(
    dash: Dash, env: LocalStack, receiver: Receiver
) -> None:
    receiver.answers.append(410)  # Gone: the endpoint is disabled at once
    page = dash.page
    dash.sign_in()
    dash.go("Webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("button", name="Done").click()
    card = page.get_by_test_id("webhook").filter(has_text=receiver.url)
    card.get_by_role("button", name="Send test event").click()
    card.get_by_text("A test event is on its way.").wait_for()

    def answered() -> bool:
        run_webhook_function(env, LambdaContext())
        return bool(receiver.got)

    wait_until(answered, "the test event to reach the receiver", timeout=30)
    page.reload()
    card.get_by_text("Disabled", exact=True).wait_for()
    card.get_by_role("button", name="Re-enable").click()
    expect(card.get_by_text("Disabled", exact=True)).to_have_count(0)
    expect(card.get_by_role("button", name="Re-enable")).to_have_count(0)
