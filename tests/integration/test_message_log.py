"""The message log and the suppression list over real HTTP against the local stack: real sends,
each filter, paging with cursors, cursors that are refused (forged, another account's, other
filters), status changes seen at once, scheduled and canceled messages found by status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import MessageStatus, utcnow
from mailpass.schemas import BatchRequest
from mailpass_dev.seed import Seeded, seed_dev
from mailpass_dev.servers import SmtpSink

from tests.integration.test_batch import Pipeline, pipeline, principal  # noqa: F401

pytestmark = pytest.mark.integration


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def send(api: httpx.Client, account: Seeded, **body: Any) -> str:
    resp = api.post(
        "/api/v1/mail/send",
        headers=auth(account),
        json={"subject": "Hi", "text": "Hello", **body},
    )
    assert resp.status_code == 200, resp.text
    mid: str = resp.json()["data"]["message_id"]
    return mid


def page(api: httpx.Client, account: Seeded, **params: Any) -> httpx.Response:
    return api.get("/api/v1/mail/messages", headers=auth(account), params=params)


def listed(api: httpx.Client, account: Seeded, **params: Any) -> list[str]:
    """Every page, following next_cursor, as message ids."""
    ids: list[str] = []
    for _ in range(50):
        resp = page(api, account, **params)
        assert resp.status_code == 200, resp.text
        data = resp.json()["data"]
        ids += [m["message_id"] for m in data["messages"]]
        if data["next_cursor"] is None:
            return ids
        params = {**params, "cursor": data["next_cursor"]}
    raise AssertionError("the pages never end")


def test_list_filter_and_page_real_messages(
    api: httpx.Client, account: Seeded, services: Container, sink: SmtpSink
) -> None:
    started = utcnow()
    a = send(api, account, to="ann@example.com", tags=["welcome", "eu"])
    b = send(api, account, to="bob@example.com", tags=["welcome"])
    c = send(api, account, to="Ann@Example.com", tags=["receipt"])
    later = send(
        api, account, to="ann@example.com", scheduled_at=(utcnow() + timedelta(hours=1)).isoformat()
    )
    gone = send(
        api, account, to="bob@example.com", scheduled_at=(utcnow() + timedelta(hours=1)).isoformat()
    )
    newest_first = [gone, later, c, b, a]

    assert listed(api, account) == newest_first
    assert listed(api, account, limit=2) == newest_first
    first = page(api, account, limit=2).json()["data"]
    assert [m["message_id"] for m in first["messages"]] == [gone, later]
    shown = {m["message_id"]: m for m in page(api, account, limit=100).json()["data"]["messages"]}
    status = api.get(f"/api/v1/mail/status/{quote(a, safe='')}", headers=auth(account))
    # Each item is /status's message, field for field.
    assert shown[a] == status.json()["data"]["message"]
    assert shown[a]["status"] == "sent"
    assert shown[a]["tags"] == ["welcome", "eu"]

    assert listed(api, account, status="sent") == [c, b, a]
    assert listed(api, account, status="scheduled", limit=1) == [gone, later]
    assert listed(api, account, to="ANN@example.com") == [later, c, a]
    assert listed(api, account, tag="welcome") == [b, a]
    assert listed(api, account, tag="welcome", to="bob@example.com") == [b]
    assert listed(api, account, tag="receipt", status="scheduled") == []
    since = started.isoformat()
    assert listed(api, account, **{"from": since, "until": (utcnow()).isoformat()}) == newest_first
    future = (utcnow() + timedelta(minutes=5)).isoformat()
    assert listed(api, account, **{"from": future}) == []
    assert listed(api, account, until=since) == []

    # A cancel is in the canceled filter, and out of the scheduled one, at once.
    resp = api.post(f"/api/v1/mail/cancel/{quote(gone, safe='')}", headers=auth(account))
    assert resp.status_code == 200, resp.text
    assert listed(api, account, status="canceled") == [gone]
    assert listed(api, account, status="scheduled") == [later]
    # Feedback moves a sent one on, at once too.
    services.store.set_feedback_status(
        account.account_id, b, MessageStatus.BOUNCED, utcnow(), "gone"
    )
    assert listed(api, account, status="bounced") == [b]
    assert listed(api, account, status="sent") == [c, a]


def test_cursors_are_refused_elsewhere(
    api: httpx.Client, account: Seeded, services: Container, sink: SmtpSink
) -> None:
    for i in range(3):
        send(api, account, to=f"u{i}@example.com")
    cursor = page(api, account, limit=1, status="sent").json()["data"]["next_cursor"]
    assert cursor
    assert page(api, account, limit=1, status="sent", cursor=cursor).status_code == 200
    other = seed_dev(services.admin, "127.0.0.1", sink.port)
    send(api, other, to="u0@example.com")
    refused = [
        page(api, other, limit=1, status="sent", cursor=cursor),  # another account
        page(api, account, limit=1, cursor=cursor),  # other filters
        page(api, account, limit=1, status="sent", cursor="e30." + cursor.split(".")[1]),
        page(api, account, limit=1, status="sent", cursor=cursor[:-2] + "AA"),
        page(api, account, status="lost"),
        page(api, account, **{"from": "2026-01-01T00:00:00"}),  # no offset
        page(api, account, limit=0),
        page(api, account, limit=101),
    ]
    for resp in refused:
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["code"] == "VALIDATION_ERROR"


def test_batch_messages_move_from_queued_to_sent_in_the_log(
    pipeline: Pipeline,  # noqa: F811 (the fixture, from test_batch)
    api: httpx.Client,
    account: Seeded,
) -> None:
    result = pipeline.batch.enqueue(
        principal(account),
        BatchRequest(
            messages=[
                {"to": f"q{i}@example.com", "subject": f"#{i}", "text": "x", "tags": ["batch"]}
                for i in range(3)
            ]
        ),
    )
    mids = [m["message_id"] for m in result["messages"]]
    assert sorted(listed(api, account, status="queued")) == sorted(mids)
    assert sorted(listed(api, account, tag="batch", status="queued")) == sorted(mids)
    assert pipeline.drain().sent == 3
    assert listed(api, account, status="queued") == []
    assert sorted(listed(api, account, status="sent", limit=2)) == sorted(mids)
    assert sorted(listed(api, account, tag="batch", status="sent")) == sorted(mids)


def test_suppressions_added_by_hand_and_paged(
    api: httpx.Client, services: Container, sink: SmtpSink
) -> None:
    acct = seed_dev(services.admin, "127.0.0.1", sink.port)
    headers = {"Authorization": f"Bearer {acct.api_key}"}
    resp = api.post("/api/v1/suppressions", headers=headers, json={"email": "Ann@Example.com"})
    assert resp.status_code == 201, resp.text
    data = resp.json()["data"]
    assert (data["email"], data["reason"], data["kind"], data["created"]) == (
        "ann@example.com",
        "manual",
        "manual",
        True,
    )
    again = api.post(
        "/api/v1/suppressions", headers=headers, json={"email": "ann@example.com", "reason": "x"}
    )
    assert again.status_code == 200
    assert again.json()["data"]["created"] is False
    assert again.json()["data"]["reason"] == "manual"
    bad = api.post("/api/v1/suppressions", headers=headers, json={"email": "not an address"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    resp = api.post(
        "/api/v1/suppressions", headers=headers, json={"email": "bo@example.com", "reason": "asked"}
    )
    assert resp.status_code == 201
    services.store.add_suppression(
        acct.account_id, "gone@example.com", reason="hard bounce: 550", at=utcnow(), message_id=None
    )
    # The send path sees a hand-added address as suppressed.
    assert "ann@example.com" in services.store.suppressed(acct.account_id, ["ANN@example.com"])

    first = api.get("/api/v1/suppressions", headers=headers, params={"limit": 2}).json()["data"]
    assert [s["email"] for s in first["suppressions"]] == ["ann@example.com", "bo@example.com"]
    rest = api.get(
        "/api/v1/suppressions", headers=headers, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()["data"]
    assert [s["email"] for s in rest["suppressions"]] == ["gone@example.com"]
    assert rest["next_cursor"] is None
    by_kind = api.get("/api/v1/suppressions", headers=headers, params={"reason": "bounce"})
    assert [s["email"] for s in by_kind.json()["data"]["suppressions"]] == ["gone@example.com"]
    wrong = [
        api.get("/api/v1/suppressions", headers=headers, params={"reason": "other"}),
        api.get(
            "/api/v1/suppressions",
            headers=headers,
            params={"reason": "manual", "cursor": first["next_cursor"]},
        ),
        api.get("/api/v1/suppressions", headers=headers, params={"cursor": "forged.cursor"}),
    ]
    for resp in wrong:
        assert resp.status_code == 400, resp.text
