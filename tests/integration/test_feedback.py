"""SES feedback through the feedback function (the real-shaped samples in events/), the
suppression list it feeds, and what sending to a suppressed address does."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import Principal, utcnow
from mailpass.schemas import BatchRequest
from mailpass.service.dispatch import DispatchService
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

from tests.integration.conftest import EVENTS, LambdaContext

pytestmark = pytest.mark.integration

MAIL = {"to": "user@example.com", "subject": "Order", "text": "Thanks"}


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def feedback(name: str, account: Seeded, message_id: str, **change: Any) -> dict[str, Any]:
    """An events/ sample, about this account's message."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())

    def retag(ses: dict[str, Any]) -> dict[str, Any]:
        ses["mail"]["tags"]["mailpass_account"] = [account.account_id]
        ses["mail"]["tags"]["mailpass_message"] = [message_id.strip("<>")]
        for key, value in change.items():
            ses[key] = {**ses.get(key, {}), **value}
        return ses

    if "Records" in event:
        for record in event["Records"]:
            record["Sns"]["Message"] = json.dumps(retag(json.loads(record["Sns"]["Message"])))
    else:
        event["detail"] = retag(event["detail"])
    return event


def deliver(event: dict[str, Any], ctx: LambdaContext) -> dict[str, int]:
    from mailpass_feedback.handler import lambda_handler

    out: dict[str, int] = lambda_handler(event, ctx)
    return out


def send(api: httpx.Client, account: Seeded, **extra: Any) -> httpx.Response:
    return api.post("/api/v1/mail/send", headers=auth(account), json={**MAIL, **extra})


def status(api: httpx.Client, account: Seeded, mid: str) -> dict[str, Any]:
    data: dict[str, Any] = api.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()[
        "data"
    ]
    return data


def test_delivery_then_engagement_through_sns(
    api: httpx.Client, account: Seeded, lambda_context: LambdaContext
) -> None:
    mid = send(api, account).json()["data"]["message_id"]
    for name in ("ses-delivery.json", "ses-delivery-delay.json", "ses-open.json", "ses-click.json"):
        assert deliver(feedback(name, account, mid), lambda_context) == {
            "recorded": 1,
            "ignored": 0,
        }
    data = status(api, account, mid)
    assert data["message"]["status"] == "delivered"
    kinds = [e["event_type"] for e in data["events"]]
    assert kinds == ["delivery", "open", "click", "delivery_delay"]  # in time order
    click = data["events"][2]
    assert (click["ip_address"], click["url"]) == (
        "198.51.100.7",
        "https://shop.example.com/order?id=7",
    )
    assert data["engagement"]["opens"] == 1


def test_hard_bounce_suppresses_and_the_next_send_fails_without_the_provider(
    api: httpx.Client, account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    mid = send(api, account).json()["data"]["message_id"]
    deliver(feedback("ses-bounce.json", account, mid), lambda_context)
    deliver(feedback("ses-delivery.json", account, mid), lambda_context)  # late: must not win
    data = status(api, account, mid)
    assert data["message"]["status"] == "bounced"
    assert "550 5.1.1 user unknown" in data["message"]["error_message"]
    bounce = next(e for e in data["events"] if e["event_type"] == "bounce")
    assert bounce["bounce_type"] == "Permanent/General"

    listed = api.get("/api/v1/suppressions", headers=auth(account)).json()["data"]
    assert [s["email"] for s in listed["suppressions"]] == ["user@example.com"]
    assert listed["suppressions"][0]["message_id"] == mid

    caught = len(sink.caught)
    resp = send(api, account, to="User@Example.com")
    assert resp.status_code == 500
    assert "suppression list" in resp.json()["error"]["message"]
    assert len(sink.caught) == caught  # the provider was never contacted
    # A suppressed cc is left out; the message still goes to the others.
    other = send(api, account, to="fine@example.com", cc=["user@example.com"]).json()["data"]
    (got,) = sink.find(other["message_id"])
    assert got.recipients == ["fine@example.com"]
    assert "not sent to suppressed" in status(api, account, other["message_id"])["message"]["note"]

    resp = api.delete("/api/v1/suppressions/user@example.com", headers=auth(account))
    assert resp.status_code == 200
    assert send(api, account).status_code == 200
    assert (
        api.delete("/api/v1/suppressions/user@example.com", headers=auth(account)).status_code
        == 404
    )


def test_complaint_suppresses_transient_bounce_does_not(
    api: httpx.Client, account: Seeded, lambda_context: LambdaContext
) -> None:
    first = send(api, account, to="soft@example.com").json()["data"]["message_id"]
    deliver(
        feedback(
            "ses-bounce-transient.json",
            account,
            first,
            bounce={"bouncedRecipients": [{"emailAddress": "soft@example.com", "status": "4.2.2"}]},
        ),
        lambda_context,
    )
    assert status(api, account, first)["message"]["status"] == "sent"
    second = send(api, account, to="angry@example.com").json()["data"]["message_id"]
    deliver(
        feedback(
            "ses-complaint.json",
            account,
            second,
            complaint={"complainedRecipients": [{"emailAddress": "angry@example.com"}]},
        ),
        lambda_context,
    )
    assert status(api, account, second)["message"]["status"] == "complained"
    emails = [
        s["email"]
        for s in api.get("/api/v1/suppressions", headers=auth(account)).json()["data"][
            "suppressions"
        ]
    ]
    assert emails == ["angry@example.com"]


def test_eventbridge_reject_and_foreign_events(
    api: httpx.Client, account: Seeded, lambda_context: LambdaContext
) -> None:
    mid = send(api, account, to="eb@example.com").json()["data"]["message_id"]
    event = feedback(
        "ses-bounce-eventbridge.json",
        account,
        mid,
        bounce={"bouncedRecipients": [{"emailAddress": "eb@example.com", "status": "5.1.1"}]},
    )
    assert deliver(event, lambda_context)["recorded"] == 1
    assert status(api, account, mid)["message"]["status"] == "bounced"

    rejected = send(api, account, to="r@example.com").json()["data"]["message_id"]
    deliver(feedback("ses-reject.json", account, rejected), lambda_context)
    message = status(api, account, rejected)["message"]
    assert message["status"] == "failed"
    assert "Bad content" in message["error_message"]

    foreign = json.loads((EVENTS / "ses-delivery.json").read_text())  # no tags of ours
    foreign["Records"][0]["Sns"]["Message"] = json.dumps(
        {**json.loads(foreign["Records"][0]["Sns"]["Message"]), "mail": {"tags": {}}}
    )
    assert deliver(foreign, lambda_context) == {"recorded": 0, "ignored": 1}


def test_suppressed_batch_messages_fail_in_the_dispatcher(
    services: Container, account: Seeded, sink: SmtpSink
) -> None:
    services.store.add_suppression(
        account.account_id, "gone@example.com", reason="hard bounce", at=utcnow(), message_id=None
    )
    principal = Principal(account.account_id, "k", frozenset({"mail"}), False)
    result = services.batch.enqueue(
        principal,
        BatchRequest(
            messages=[{**MAIL, "to": "gone@example.com"}, {**MAIL, "to": "ok@example.com"}]
        ),
    )
    gone, ok = (m["message_id"] for m in result["messages"])
    s = services.settings.model_copy(update={"drain_margin_ms": 0})
    DispatchService(
        services.store, services.queue, services.senders, s, receive_wait_seconds=0
    ).drain(lambda: 60_000)
    assert not sink.find(gone)
    assert len(sink.find(ok)) == 1
    view = services.status.get(principal, gone)["message"]
    assert view["status"] == "failed"
    assert "suppression list" in view["error_message"]
