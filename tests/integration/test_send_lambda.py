"""/send and /status through the Lambda handler (Mangum), with the payloads in events/, against
DynamoDB Local, moto and a real SMTP server; the delivered mail is read back from the outbox."""

from __future__ import annotations

import json
import urllib.parse
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from mailpass.container import Container
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event

pytestmark = pytest.mark.integration


def invoke(event: dict[str, Any], ctx: LambdaContext) -> tuple[int, dict[str, Any]]:
    from mailpass_api.handler import lambda_handler

    out = lambda_handler(event, ctx)
    return out["statusCode"], json.loads(out["body"])


def test_send_event_delivers_once_with_the_right_headers(
    account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    code, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 200, body
    data = body["data"]
    assert data["status"] == "sent"
    assert data["from"] == "dev@example.com"
    mid = data["message_id"]

    (caught,) = sink.find(mid)
    assert caught.path.exists()
    assert caught.recipients == ["user@example.com", "cc@example.com", "bcc@example.com"]
    raw = caught.path.read_bytes()
    assert raw.startswith(
        b"X-Envelope-From: <dev@example.com>\r\nX-Envelope-To: <user@example.com>"
    )
    assert raw.count(b"X-Envelope-To:") == 3
    msg = message_from_bytes(raw, policy=default)
    assert msg["Message-ID"] == mid
    assert str(msg["Subject"]) == "주문이 확인되었습니다 (Order Confirmation)"
    assert msg["From"].addresses[0].display_name == "Your App"
    assert msg["Reply-To"] == "reply@example.com"
    assert msg["Cc"] == "cc@example.com"
    assert "Bcc" not in msg
    assert b"bcc@example.com" not in raw.split(b"\r\n", 4)[-1]
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize("form", ["brackets", "bare", "encoded", "encoded-event"])
def test_status_accepts_every_form_of_the_message_id(
    account: Seeded, lambda_context: LambdaContext, form: str
) -> None:
    _, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    mid = body["data"]["message_id"]
    path = {
        "brackets": f"/api/v1/mail/status/{mid}",
        "bare": f"/api/v1/mail/status/{mid.strip('<>')}",
        "encoded": "/api/v1/mail/status/" + urllib.parse.quote(mid, safe=""),
        "encoded-event": None,
    }[form]
    event = load_event(
        "status-encoded.json" if path is None else "status.json", key=account.api_key, path=path
    )
    if path is None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = (
            "/api/v1/mail/status/" + urllib.parse.quote(mid, safe="")
        )
    code, status = invoke(event, lambda_context)
    assert code == 200, status
    message = status["data"]["message"]
    assert message["message_id"] == mid
    assert message["status"] == "sent"
    assert message["to_email"] == "user@example.com"
    assert message["metadata"] == {"order_id": "12345"}
    assert message["sent_at"]
    assert message["created_at"]
    assert message["error_message"] is None
    assert status["data"]["events"] == []


def test_another_accounts_message_is_404(
    services: Container, sink: SmtpSink, account: Seeded, lambda_context: LambdaContext
) -> None:
    from mailpass_dev.seed import seed_dev

    other = seed_dev(services.admin, "127.0.0.1", sink.port, name="other")
    _, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    mid = body["data"]["message_id"]
    code, err = invoke(
        load_event("status.json", key=other.api_key, path=f"/api/v1/mail/status/{mid}"),
        lambda_context,
    )
    assert code == 404
    assert err["error"]["code"] == "NOT_FOUND"
    missing = load_event("status.json", key=account.api_key)  # the sample id does not exist
    assert invoke(missing, lambda_context)[0] == 404


def test_malformed_event_is_400_and_stores_nothing(
    env: LocalStack, account: Seeded, lambda_context: LambdaContext
) -> None:
    code, err = invoke(load_event("send-malformed.json", key=account.api_key), lambda_context)
    assert code == 400
    assert err["error"]["code"] == "VALIDATION_ERROR"
    table = env.env["MAILPASS_TABLE_NAME"]
    items = env.client("dynamodb").scan(TableName=table)["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith(f"MSG#{account.account_id}#")]


def test_smtp_550_is_send_failed_with_the_reason_on_the_message(
    account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    sink.script("550 5.7.1 Message rejected as spam")
    code, err = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 500
    assert err["error"]["code"] == "SEND_FAILED"
    assert "550 5.7.1 Message rejected as spam" in err["error"]["message"]
    # Find the message the failed send recorded, through the status endpoint.
    mids = _message_ids(account)
    (mid,) = mids
    _, status = invoke(
        load_event("status.json", key=account.api_key, path=f"/api/v1/mail/status/{mid}"),
        lambda_context,
    )
    assert status["data"]["message"]["status"] == "failed"
    assert status["data"]["message"]["error_message"] == "550 5.7.1 Message rejected as spam"
    assert sink.find(mid) == []


def _message_ids(account: Seeded) -> list[str]:
    """The account's messages, through the message log's store (one Query on its index)."""
    from mailpass.adapters.dynamodb.message_log import DynamoMessageLog
    from mailpass.container import get_container
    from mailpass.ports_listing import LogQuery

    log = DynamoMessageLog(get_container().table)
    page = log.list_messages(LogQuery(account_id=account.account_id, limit=100))
    return [m.message_id for m in page.messages]


def test_unreachable_smtp_server_is_send_failed_connection_refused(
    services: Container, account: Seeded, lambda_context: LambdaContext
) -> None:
    from mailpass.models import SmtpSecurity
    from mailpass_dev.servers import free_port

    dead = services.admin.add_smtp_provider(
        account.account_id,
        name="down",
        host="127.0.0.1",
        port=free_port(),
        security=SmtpSecurity.NONE,
        from_email="dev@example.com",
        make_default=True,
    )
    code, err = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 500
    assert err["error"]["code"] == "SEND_FAILED"
    assert "connection refused" in err["error"]["message"]
    assert dead.provider_id


def test_test_key_never_reaches_the_smtp_server(
    services: Container, account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    test_key = services.admin.create_api_key(account.account_id, ["mail"], test=True).api_key
    before = len(sink.caught)
    code, body = invoke(load_event("send.json", key=test_key), lambda_context)
    assert code == 200
    assert body["data"]["status"] == "sent"
    assert len(sink.caught) == before
    mid = body["data"]["message_id"]
    _, status = invoke(
        load_event("status.json", key=test_key, path=f"/api/v1/mail/status/{mid}"), lambda_context
    )
    assert status["data"]["message"]["test"] is True
    assert "no provider was contacted" in status["data"]["message"]["note"]


def test_revoked_and_unknown_keys_are_401(
    env: LocalStack, account: Seeded, lambda_context: LambdaContext
) -> None:
    from mailpass.ids import hash_api_key

    env.client("dynamodb").update_item(
        TableName=env.env["MAILPASS_TABLE_NAME"],
        Key={"pk": {"S": f"APIKEY#{hash_api_key(account.api_key)}"}, "sk": {"S": "APIKEY"}},
        UpdateExpression="SET revoked = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    code, err = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 401
    assert "revoked" in err["error"]["message"]
    unknown = "mp_live_" + "Z" * 40
    assert invoke(load_event("send.json", key=unknown), lambda_context)[0] == 401


def test_no_default_provider_is_422(services: Container, lambda_context: LambdaContext) -> None:
    acct = services.admin.create_account("bare")
    key = services.admin.create_api_key(acct.account_id, ["mail"]).api_key
    code, err = invoke(load_event("send.json", key=key), lambda_context)
    assert code == 422
    assert err["error"]["code"] == "NO_SMTP_PROVIDER"


def test_smtp_connection_is_reused_and_a_dead_one_replaced_without_duplicates(
    account: Seeded, sink: SmtpSink, lambda_context: LambdaContext
) -> None:
    from mailpass.container import get_container

    mids = [
        invoke(load_event("send.json", key=account.api_key), lambda_context)[1]["data"][
            "message_id"
        ]
        for _ in range(3)
    ]
    peers = {c.peer for mid in mids for c in sink.find(mid)}
    assert len(peers) == 1  # one connection carried all three

    # Kill the pooled connection under the pool's feet, as an idle timeout or a frozen Lambda would.
    pool: Any = get_container().smtp_pool
    for stack_ in pool._idle_conns.values():
        for conn, _ in stack_:
            conn.sock.close()
    code, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 200
    assert len(sink.find(body["data"]["message_id"])) == 1
