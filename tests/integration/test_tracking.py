"""Open and click tracking over real HTTP: what the recipient's mail client would fetch, read
back from the message the SMTP catcher received."""

from __future__ import annotations

import base64
import json
import re
from email import message_from_bytes
from email.policy import default
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event

pytestmark = pytest.mark.integration

HTML = (
    '<html><body><p>Hi</p><a href="https://shop.example.com/order?id=7&amp;x=1">Order</a> '
    "<a href='mailto:help@example.com'>Help</a></body></html>"
)
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)"


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def sent_html(sink: SmtpSink, message_id: str) -> str:
    (caught,) = sink.find(message_id)
    msg = message_from_bytes(caught.data, policy=default)
    part = msg.get_body(("html",))
    assert part is not None
    content: str = part.get_content()
    return content


def send(api: httpx.Client, account: Seeded, **extra: Any) -> str:
    body = {"to": "user@example.com", "subject": "Tracked", "html": HTML, **extra}
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=body)
    assert resp.status_code == 200, resp.text
    mid: str = resp.json()["data"]["message_id"]
    return mid


def links(html: str) -> tuple[str, str]:
    (pixel,) = re.findall(r'<img src="([^"]+/track/open/[^"]+)"', html)
    (click,) = re.findall(r'href="([^"]+/track/click/[^"]+)"', html)
    return pixel, click


def status(api: httpx.Client, account: Seeded, mid: str) -> dict[str, Any]:
    data: dict[str, Any] = api.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()[
        "data"
    ]
    return data


def test_opens_and_clicks_are_recorded_with_caller_ip_and_agent(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    mid = send(api, account)
    html = sent_html(sink, mid)
    assert "mailto:help@example.com" in html  # only http(s) links are rewritten
    pixel, click = links(html)
    assert pixel.startswith(str(api.base_url))

    got = api.get(pixel, headers={"User-Agent": BROWSER})
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/gif"
    assert "no-store" in got.headers["cache-control"]
    api.get(pixel, headers={"User-Agent": "Mozilla/5.0"})  # Apple Mail Privacy Protection
    went = api.get(click, headers={"User-Agent": BROWSER})
    assert went.status_code == 302
    assert went.headers["location"] == "https://shop.example.com/order?id=7&x=1"

    data = status(api, account, mid)
    events = data["events"]
    assert [e["event_type"] for e in events] == ["open", "open", "click"]
    human, proxy, clicked = events
    assert set(human) >= {"event_type", "ip_address", "user_agent", "created_at"}
    assert (human["ip_address"], human["user_agent"], human["machine"]) == (
        "127.0.0.1",
        BROWSER,
        False,
    )
    assert proxy["machine"] is True
    assert clicked["url"] == "https://shop.example.com/order?id=7&x=1"
    assert data["engagement"] == {"opens": 1, "machine_opens": 1, "clicks": 1, "machine_clicks": 0}


def forge(token: str, **change: str) -> str:
    body, sig = token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("\x1f")
    if "url" in change:
        payload[3] = change["url"]
    new_body = base64.urlsafe_b64encode("\x1f".join(payload).encode()).rstrip(b"=").decode()
    if "sig" in change:
        sig = change["sig"]
    return f"{new_body}.{sig}"


def test_forged_or_altered_tokens_record_nothing_and_redirect_nowhere(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    mid = send(api, account)
    pixel, click = links(sent_html(sink, mid))
    base, token = click.rsplit("/", 1)
    evil = forge(token, url="https://evil.example.net/phish")
    resp = api.get(f"{base}/{evil}")
    assert resp.status_code == 404
    assert "location" not in resp.headers
    resp = api.get(f"{base}/{forge(token, sig='A' * 22)}")
    assert resp.status_code == 404
    resp = api.get(f"{base}/not-a-token")
    assert resp.status_code == 404
    pbase, ptoken = pixel.rsplit("/", 1)
    assert api.get(f"{pbase}/{ptoken[:-2]}xx").status_code == 200  # still a pixel...
    assert status(api, account, mid)["events"] == []  # ...but nothing recorded


def test_a_token_of_the_other_kind_records_nothing(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    mid = send(api, account)
    pixel, click = links(sent_html(sink, mid))
    (pbase, open_token), (cbase, click_token) = pixel.rsplit("/", 1), click.rsplit("/", 1)
    resp = api.get(f"{cbase}/{open_token}", headers={"User-Agent": BROWSER})
    assert resp.status_code == 404
    assert "location" not in resp.headers
    resp = api.get(f"{pbase}/{click_token}", headers={"User-Agent": BROWSER})
    assert resp.status_code == 200  # still a pixel...
    assert status(api, account, mid)["events"] == []  # ...but nothing recorded


def test_tracking_can_be_turned_off_per_message_and_per_provider(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    mid = send(api, account, track_opens=False)
    html = sent_html(sink, mid)
    assert "/track/open/" not in html
    assert "/track/click/" in html

    api.patch(
        f"/api/v1/smtp-providers/{account.provider_id}",
        headers=auth(account),
        json={"track_clicks": False},
    )
    mid = send(api, account)
    html = sent_html(sink, mid)
    assert "/track/click/" not in html
    assert 'href="https://shop.example.com/order?id=7&amp;x=1"' in html
    assert "/track/open/" in html
    mid = send(api, account, track_clicks=True)  # the message's own choice wins
    assert "/track/click/" in sent_html(sink, mid)


def test_batch_messages_are_tracked_through_the_dispatcher(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    body = {"messages": [{"to": "b@example.com", "subject": "Batch", "html": HTML}]}
    resp = api.post("/api/v1/mail/send-batch", headers=auth(account), json=body)
    (item,) = resp.json()["data"]["messages"]
    s = services.settings.model_copy(update={"drain_margin_ms": 0})
    from mailpass.service.dispatch import DispatchService

    DispatchService(
        services.store,
        services.queue,
        services.senders,
        s,
        receive_wait_seconds=0,
        tracking=services.tracking,
    ).drain(lambda: 60_000)
    pixel, _ = links(sent_html(sink, item["message_id"]))
    assert pixel.startswith(str(api.base_url))
    api.get(pixel, headers={"User-Agent": BROWSER})
    assert status(api, account, item["message_id"])["engagement"]["opens"] == 1


def test_through_api_gateway_the_ip_is_the_request_contexts_source_ip(
    api: httpx.Client, account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    mid = send(api, account)
    pixel, _ = links(sent_html(sink, mid))
    path = "/api/v1/track/open/" + pixel.rsplit("/", 1)[1]
    event = load_event("status.json", key="unused", path=path)
    del event["headers"]["authorization"]  # a mail client sends none
    event["requestContext"]["http"]["sourceIp"] = "198.51.100.23"
    event["headers"]["user-agent"] = BROWSER
    from mailpass_api.handler import lambda_handler

    out = lambda_handler(event, lambda_context)
    assert out["statusCode"] == 200
    assert out["headers"]["content-type"] == "image/gif"
    (opened,) = status(api, account, mid)["events"]
    assert (opened["ip_address"], opened["user_agent"]) == ("198.51.100.23", BROWSER)


def tracked_click(api: httpx.Client, account: Seeded, sink: SmtpSink, href: str) -> str:
    html = f'<html><body><a href="{href}">Go</a></body></html>'
    mid = send(api, account, html=html, track_opens=False)
    (click,) = re.findall(r'href="([^"]+/track/click/[^"]+)"', sent_html(sink, mid))
    return str(click)


def test_a_link_with_non_ascii_characters_redirects_percent_encoded(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    click = tracked_click(api, account, sink, "https://shop.example.com/prix/10€?q=café&amp;x=1")
    went = api.get(click, headers={"User-Agent": BROWSER})
    assert went.status_code == 302
    assert went.headers["location"] == "https://shop.example.com/prix/10%E2%82%AC?q=caf%C3%A9&x=1"


def test_escaped_or_raw_cr_lf_in_a_link_never_reaches_a_header(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    # Escaped, it stays escaped; as HTML character references it is raw CR/LF after parsing,
    # which browsers drop from a URL, and so do we.
    for href, location in [
        (
            "https://shop.example.com/a%0d%0aSet-Cookie:%20evil=1",
            "https://shop.example.com/a%0d%0aSet-Cookie:%20evil=1",
        ),
        (
            "https://shop.example.com/a&#13;&#10;Set-Cookie: evil=1",
            "https://shop.example.com/aSet-Cookie:%20evil=1",
        ),
    ]:
        went = api.get(tracked_click(api, account, sink, href), headers={"User-Agent": BROWSER})
        assert went.status_code == 302
        assert went.headers["location"] == location
        assert "set-cookie" not in went.headers


def drain_webhook_queue(env: LocalStack, account_id: str) -> int:
    """How many webhook deliveries were queued for the account; they are taken off the queue,
    anything else is put back at once."""
    sqs = env.client("sqs")
    url = env.env["MAILPASS_WEBHOOK_QUEUE_URL"]
    mine = 0
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in got:
            if json.loads(m["Body"])["account_id"] == account_id:
                mine += 1
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            else:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
    return mine


def test_a_hundred_pixel_hits_from_one_client_are_one_open_and_one_webhook(
    api: httpx.Client, env: LocalStack, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    # Registering does not post, and the deliveries are taken off the queue by this test: the
    # receiver need not exist. Loopback, because the egress guard resolves every webhook host.
    made = api.post(
        "/api/v1/webhooks",
        headers=auth(account),
        json={"url": "http://127.0.0.1:9/mailpass", "event_types": ["open"]},
    )
    assert made.status_code == 201, made.text
    mid = send(api, account)
    pixel, _ = links(sent_html(sink, mid))
    for _ in range(100):
        assert api.get(pixel, headers={"User-Agent": BROWSER}).status_code == 200
    data = status(api, account, mid)
    assert [e["event_type"] for e in data["events"]] == ["open"]
    assert data["engagement"]["opens"] == 1
    assert drain_webhook_queue(env, account.account_id) == 1
    assert services.tracking_hits.counted(account.account_id, mid) == {"open": 100, "click": 0}
