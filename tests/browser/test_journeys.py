"""The dashboard's journeys, each as a user clicks it, against the real local stack."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink, free_port
from playwright.sync_api import expect

from tests.browser.conftest import Dash
from tests.integration.test_webhooks import Receiver

pytestmark = pytest.mark.integration


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def test_sign_in_keeps_the_key_in_session_storage_only_and_sign_out_forgets_it(
    dash: Dash,
) -> None:
    page = dash.page
    dash.open()
    page.get_by_label("API key").fill("mp_live_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").get_by_text("refused").wait_for()
    assert page.evaluate("sessionStorage.length") == 0

    dash.sign_in()
    assert page.evaluate("sessionStorage.getItem('mailpass.apiKey')") == dash.key
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert dash.key not in stored
    assert page.context.cookies() == []
    assert dash.key not in page.url

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    dash.check("signin")


def test_the_dashboard_is_served_with_a_strict_csp_and_no_framing(http: httpx.Client) -> None:
    got = http.get("/dashboard/")
    assert got.status_code == 200
    csp = got.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert got.headers["x-frame-options"] == "DENY"
    assert http.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/"
    # The API itself is untouched by the mount.
    assert "x-frame-options" not in http.get("/api/v1/docs").headers


def test_add_a_sendgrid_provider_and_see_its_password_masked(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    page.get_by_role("button", name="Add provider").click()
    page.get_by_label("SendGrid").check()
    page.get_by_label("Name", exact=True).fill("SendGrid main")
    page.get_by_label("Sender address").fill("news@example.com")
    secret = "SG.dashboard-test-secret-value"
    field = page.get_by_label("API key or password")
    assert field.get_attribute("type") == "password"
    field.fill(secret)
    page.get_by_role("button", name="Save").click()

    card = page.get_by_test_id("provider").filter(has_text="SendGrid main")
    card.wait_for()
    assert card.get_by_test_id("password").inner_text() == "********"
    assert "smtp.sendgrid.net:587" in card.inner_text()
    assert "apikey" in card.inner_text()
    assert secret not in page.content()
    dash.check("smtp")

    card.get_by_role("button", name="Edit").click()
    assert page.get_by_label("API key or password").input_value() == ""  # write-only
    page.get_by_role("button", name="Cancel").click()


def test_testing_a_provider_that_refuses_connections_shows_the_failing_step(
    dash: Dash,
) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    page.get_by_role("button", name="Add provider").click()
    page.get_by_label("Name", exact=True).fill("Nobody home")
    page.get_by_label("Host").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(free_port()))  # nothing listens there
    page.get_by_label("Security").select_option("none")
    page.get_by_role("button", name="Save").click()

    card = page.get_by_test_id("provider").filter(has_text="Nobody home")
    card.get_by_role("button", name="Test connection").click()
    report = card.get_by_test_id("test-report")
    report.get_by_text("Failed at: Connect").wait_for()
    step = report.locator("li[data-step='connect']")
    assert step.get_attribute("data-ok") == "false"
    assert re.search(r"\d+ ms", step.inner_text())
    dash.check("smtp-test-failed")


def test_make_a_provider_the_default_and_order_the_fallbacks(
    dash: Dash, http: httpx.Client, account: Seeded
) -> None:
    for name in ("Second", "Third"):
        made = http.post(
            "/api/v1/smtp-providers",
            headers=auth(account),
            json={"kind": "smtp", "name": name, "host": "127.0.0.1", "port": 2525},
        )
        assert made.status_code in (200, 201), made.text
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    second = page.get_by_test_id("provider").filter(has_text="Second")
    second.get_by_role("button", name="Make default").click()
    second.get_by_text("Default", exact=True).wait_for()
    catcher = page.get_by_test_id("provider").filter(has_text="local SMTP catcher")
    assert catcher.get_by_role("button", name="Make default").is_visible()

    catcher.get_by_role("button", name="Use as fallback").click()
    catcher.get_by_text("Fallback 1").wait_for()
    third = page.get_by_test_id("provider").filter(has_text="Third")
    third.get_by_role("button", name="Use as fallback").click()
    third.get_by_text("Fallback 2").wait_for()
    third.get_by_role("button", name="Move Third up").click()
    third.get_by_text("Fallback 1").wait_for()
    catcher.get_by_text("Fallback 2").wait_for()

    listed = http.get("/api/v1/smtp-providers", headers=auth(account)).json()["data"]
    by_name = {p["name"]: p["provider_id"] for p in listed["providers"]}
    assert listed["default_provider_id"] == by_name["Second"]
    assert listed["fallback_provider_ids"] == [by_name["Third"], by_name["local SMTP catcher"]]


def test_smtp_settings_show_this_hours_and_days_sends_against_the_limits(
    dash: Dash, http: httpx.Client, account: Seeded
) -> None:
    limited = http.patch(
        f"/api/v1/smtp-providers/{account.provider_id}",
        headers=auth(account),
        json={"hourly_limit": 10, "daily_limit": 100},
    )
    assert limited.status_code == 200, limited.text
    sent = http.post(
        "/api/v1/mail/send",
        headers=auth(account),
        json={"to": "a@example.com", "subject": "Counted", "text": "one"},
    )
    assert sent.status_code == 200, sent.text
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    card = page.get_by_test_id("provider").filter(has_text="local SMTP catcher")
    card.get_by_text("1 / 10", exact=True).wait_for()
    card.get_by_text("1 / 100", exact=True).wait_for()


def test_delete_a_provider_asks_first(dash: Dash, http: httpx.Client, account: Seeded) -> None:
    http.post(
        "/api/v1/smtp-providers",
        headers=auth(account),
        json={"kind": "smtp", "name": "Old relay", "host": "127.0.0.1", "port": 2525},
    )
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    card = page.get_by_test_id("provider").filter(has_text="Old relay")
    card.get_by_role("button", name="Delete").click()
    card.get_by_text("Delete Old relay?").wait_for()
    card.get_by_role("button", name="Yes, do it").click()
    card.wait_for(state="detached")


def test_a_message_page_shows_an_open_event_after_its_pixel_is_fetched(
    dash: Dash, http: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    sent = http.post(
        "/api/v1/mail/send",
        headers=auth(account),
        json={
            "to": "reader@example.com",
            "subject": "Opened in the dashboard",
            "html": "<p>Hello</p>",
            "tags": ["dash-open"],
            "metadata": {"order": "A-7"},
        },
    )
    assert sent.status_code == 200, sent.text
    mid = sent.json()["data"]["message_id"]
    (caught,) = sink.find(mid)
    part = message_from_bytes(caught.data, policy=default).get_body(("html",))
    assert part is not None
    (pixel,) = re.findall(r'<img src="([^"]+/track/open/[^"]+)"', part.get_content())
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150"
    assert http.get(pixel, headers={"User-Agent": agent}).status_code == 200

    page = dash.page
    dash.sign_in()
    dash.open(f"emails/{mid}")
    page.get_by_role("heading", name="Message").wait_for()
    opened = page.get_by_test_id("events").locator("li[data-event='open']")
    opened.wait_for()
    assert "127.0.0.1" in opened.inner_text()
    assert agent in opened.inner_text()
    assert page.locator("dd[data-field='tags']").inner_text() == "dash-open"
    assert "A-7" in page.content()
    dash.check("message")


def test_cancel_a_scheduled_message_from_its_page(
    dash: Dash, http: httpx.Client, account: Seeded
) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    sent = http.post(
        "/api/v1/mail/send",
        headers=auth(account),
        json={"to": "a@example.com", "subject": "Tomorrow", "text": "x", "scheduled_at": later},
    )
    assert sent.status_code == 200, sent.text
    mid = sent.json()["data"]["message_id"]
    page = dash.page
    dash.sign_in()
    dash.open(f"emails/{mid}")
    status = page.locator("dd[data-field='status']")
    status.get_by_text("Scheduled").wait_for()
    page.get_by_test_id("cancel-message").click()
    page.get_by_role("button", name="Yes, do it").click()
    status.get_by_text("Canceled").wait_for()
    assert page.get_by_test_id("cancel-message").count() == 0
    got = http.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()
    assert got["data"]["message"]["status"] == "canceled"


def test_switch_to_korean_and_see_the_smtp_settings_page_in_korean(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("SMTP settings")
    page.get_by_label("Language").select_option("ko")
    page.get_by_role("heading", level=1, name="SMTP 설정").wait_for()
    page.get_by_role("button", name="발송 서버 추가").wait_for()
    page.get_by_role("button", name="연결 테스트").first.wait_for()
    page.get_by_text("기본", exact=True).wait_for()
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.reload()  # the choice stays
    page.get_by_role("heading", level=1, name="SMTP 설정").wait_for()
    dash.check("smtp-ko")
    page.get_by_label("언어").select_option("en")
    page.get_by_role("heading", level=1, name="SMTP settings").wait_for()


def test_a_korean_browser_gets_korean_first(browser: object, site: str) -> None:
    context = browser.new_context(locale="ko-KR")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{site}/dashboard/")
    page.get_by_role("button", name="로그인").wait_for()
    context.close()


def test_rate_limits_and_network_failures_show_the_apis_message(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    page.route(
        "**/api/v1/smtp-providers",
        lambda route: route.fulfill(
            status=429,
            content_type="application/json",
            body='{"success": false, "error": {"code": "rate_limited", '
            '"message": "Slow down: 10 requests per second"}}',
        ),
    )
    dash.go("SMTP settings")
    alert = page.get_by_role("alert")
    alert.get_by_text("Slow down: 10 requests per second").wait_for()
    assert "Too many requests" in alert.inner_text()
    dash.check("error-429")

    page.unroute("**/api/v1/smtp-providers")
    page.route("**/api/v1/templates", lambda route: route.abort("connectionrefused"))
    dash.go("Templates")
    page.get_by_role("alert").get_by_text("could not be reached").wait_for()
    page.unroute("**/api/v1/templates")
    page.get_by_role("button", name="Try again").click()
    page.get_by_text("No templates yet.").wait_for()


def test_domains_show_records_with_copy_buttons_and_verify_now(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Domains")
    page.get_by_text("No sender domains yet.", exact=False).wait_for()
    page.get_by_label("Domain name").fill("news.example.org")
    page.get_by_role("button", name="Add domain").click()
    card = page.get_by_test_id("domain").filter(has_text="news.example.org")
    card.wait_for()
    assert card.get_by_role("button", name=re.compile(r"^Copy the value of ")).count() >= 2
    assert card.get_by_text("Pending").count() >= 1
    card.get_by_role("button", name="Verify now").click()
    card.get_by_role("button", name="Checking…").wait_for(state="detached")
    assert card.get_by_role("alert").count() == 0
    assert card.get_by_text("Last checked").is_visible()
    dash.check("domains")


def test_templates_edit_with_a_preview_and_delete(dash: Dash) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Templates")
    page.get_by_role("button", name="New template").click()
    page.get_by_label("Name", exact=True).fill("Welcome")
    page.get_by_label("Subject").fill("Hello {{ name }}")
    page.get_by_label("HTML body").fill("<p>Welcome, {{ name }}!</p>")
    page.get_by_label("name", exact=True).fill("Ada <3")
    assert page.get_by_test_id("preview-subject").inner_text() == "Hello Ada <3"
    # The HTML part is escaped as the API renders it, into a sandboxed frame (scripts off).
    preview = page.get_by_test_id("preview-html")
    expect(preview).to_have_attribute("srcdoc", "<p>Welcome, Ada &lt;3!</p>")
    assert preview.get_attribute("sandbox") == ""
    dash.check("template-editor")
    page.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text="Welcome")
    row.wait_for()
    assert "name" in row.inner_text()
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, do it").click()
    page.get_by_text("No templates yet.").wait_for()


def test_add_a_webhook_and_see_its_secret_once(dash: Dash, receiver: Receiver) -> None:
    page = dash.page
    dash.sign_in()
    dash.go("Webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Opened").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_test_id("webhook-secret").wait_for()
    page.get_by_test_id("webhook").filter(has_text=receiver.url).wait_for()
    page.get_by_role("button", name="Done").click()
    assert page.get_by_test_id("webhook-secret").count() == 0


PAGES = [
    ("Overview", "overview"),
    ("Emails", "emails"),
    ("SMTP settings", "smtp"),
    ("Domains", "domains"),
    ("API keys", "api-keys"),
    ("Webhooks", "webhooks"),
    ("Suppressions", "suppressions"),
    ("Templates", "templates"),
]


def test_every_page_renders_something_and_passes_axe(dash: Dash) -> None:
    """Pages whose endpoint is not in this build (issue 12's) show the API's error, never a
    blank page; every page passes axe either way."""
    page = dash.page
    dash.sign_in()
    for name, slug in PAGES:
        dash.go(name)
        main = page.locator("main")
        assert main.inner_text().strip() != name  # more than a heading
        dash.check(f"page-{slug}")
