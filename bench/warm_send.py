"""Warm /send: POST /api/v1/mail/send (the canonical events/send.json: text + HTML, a UTF-8
subject, cc, bcc, reply-to, tags, metadata) through the Lambda handler in this process, after
warm-up calls, against a floor that makes the same essential calls directly: one boto3 DynamoDB
client created once and one SMTP connection kept open, doing GetItem (API key, consistent),
Query (account config, consistent), PutItem (a message item of the same attributes,
conditional), MAIL/RCPT x3/DATA of a MIME message built once beforehand, UpdateItem (status
sent, conditional). Target: ours/floor <= 1.3 on the median.

Both deliver to the same SMTP catcher and write to the same DynamoDB Local table. They are
interleaved call by call, alternating which goes first, so drift in the stack (JIT, GC, disk)
lands on both. Reproduce with `make bench` (or `.venv/bin/python -m bench warm`)."""

from __future__ import annotations

import json
import secrets
import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Any, cast

from bench.common import (
    Context,
    Requests,
    Result,
    Row,
    Stack,
    load_event,
    median,
    p90,
    stdout_discarded,
)

ROUNDS = 400
WARMUP = 20
TARGET = 1.3


class Floor:
    """The calls a /send cannot do without, and nothing else."""

    def __init__(self, stack: Stack, request: dict[str, Any]) -> None:
        import boto3
        from mailpass.ids import hash_api_key

        self.db: Any = boto3.client("dynamodb")
        self.table = stack.table
        self.key_hash = hash_api_key(stack.api_key)
        self.account = stack.account_id
        self.sender = "dev@example.com"  # the seeded provider's from_email
        self.recipients = [request["to"], *request.get("cc", []), *request.get("bcc", [])]
        self.run = secrets.token_hex(4)
        self.n = 0

        now = datetime.now(UTC)
        msg = EmailMessage(policy=SMTP)
        msg["Message-ID"] = f"<floor.{self.run}@bench.local>"
        msg["Date"] = format_datetime(now)
        msg["From"] = formataddr((request.get("from_name", ""), self.sender))
        msg["To"] = request["to"]
        msg["Cc"] = ", ".join(request.get("cc", []))
        msg["Reply-To"] = request["reply_to"]
        msg["Subject"] = request["subject"]
        msg.set_content(request["text"], charset="utf-8")
        msg.add_alternative(request["html"], subtype="html", charset="utf-8")
        self.raw = msg.as_bytes()

        def s(value: str) -> dict[str, str]:
            return {"S": value}

        self.item_template: dict[str, Any] = {
            "sk": s("MSG"),
            "type": s("message"),
            "account_id": s(self.account),
            "status": s("sending"),
            "from_email": s(self.sender),
            "from_name": s(request.get("from_name", "")),
            "to_email": s(request["to"]),
            "cc": {"L": [s(a) for a in request.get("cc", [])]},
            "bcc": {"L": [s(a) for a in request.get("bcc", [])]},
            "reply_to": s(request["reply_to"]),
            "subject": s(request["subject"]),
            "tags": {"L": [s(t) for t in request.get("tags", [])]},
            "metadata": s(json.dumps(request.get("metadata", {}), ensure_ascii=False)),
            "provider_id": s("prv_floor"),
            "provider_kind": s("smtp"),
            "created_at": s(now.isoformat()),
            "expires_at": {"N": str(int((now + timedelta(days=400)).timestamp()))},
            "size_bytes": {"N": str(len(self.raw))},
        }
        self.smtp = smtplib.SMTP("127.0.0.1", stack.smtp_port, local_hostname="floor.local")
        self.smtp.ehlo()

    def send(self) -> None:
        self.n += 1
        message_id = f"<floor{self.n}.{self.run}@bench.local>"
        pk = {"S": f"MSG#{self.account}#{message_id}"}
        self.db.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"APIKEY#{self.key_hash}"}, "sk": {"S": "APIKEY"}},
            ConsistentRead=True,
        )
        self.db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :cfg)",
            ExpressionAttributeValues={
                ":pk": {"S": f"ACCOUNT#{self.account}"},
                ":cfg": {"S": "CFG#"},
            },
            ConsistentRead=True,
        )
        self.db.put_item(
            TableName=self.table,
            Item={**self.item_template, "pk": pk, "message_id": {"S": message_id}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        code, resp = self.smtp.mail(self.sender)
        if code != 250:
            raise RuntimeError(f"floor MAIL FROM: {code} {resp!r}")
        for rcpt in self.recipients:
            code, resp = self.smtp.rcpt(rcpt)
            if code not in (250, 251):
                raise RuntimeError(f"floor RCPT TO: {code} {resp!r}")
        code, resp = self.smtp.data(self.raw)
        if code != 250:
            raise RuntimeError(f"floor DATA: {code} {resp!r}")
        at = {"S": datetime.now(UTC).isoformat()}
        self.db.update_item(
            TableName=self.table,
            Key={"pk": pk, "sk": {"S": "MSG"}},
            UpdateExpression="SET #s = :sent, sent_at = :at, updated_at = :at",
            ConditionExpression="#s = :sending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":sent": {"S": "sent"},
                ":at": at,
                ":sending": {"S": "sending"},
            },
        )

    def close(self) -> None:
        self.smtp.quit()


def run(stack: Stack, rounds: int = ROUNDS, warmup: int = WARMUP) -> Result:
    from mailpass_api.handler import lambda_handler

    event = load_event("send.json", stack.api_key)
    request: dict[str, Any] = json.loads(event["body"])
    context = cast(Any, Context())

    def ours() -> None:
        out = lambda_handler(event, context)
        if out["statusCode"] != 200:
            raise RuntimeError(f"/send: {out['statusCode']} {out['body']}")

    floor = Floor(stack, request)
    caught_before = len(stack.sink.caught)
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    print(f"warm /send: {warmup} warm-up + {rounds} rounds of ours, floor ...", flush=True)
    try:
        with stdout_discarded():
            for _ in range(warmup):
                ours()
                floor.send()
            pair = (("ours", ours), ("floor", floor.send))
            for i in range(rounds):
                for name, call in pair if i % 2 == 0 else pair[::-1]:
                    start = time.perf_counter()
                    call()
                    times[name].append((time.perf_counter() - start) * 1000)
    finally:
        floor.close()

    caught = stack.sink.caught[caught_before:]
    expected = 2 * (warmup + rounds)
    requests_per_send = count_requests(stack, event, context)
    if len(caught) != expected:
        raise RuntimeError(f"the SMTP catcher got {len(caught)} messages, expected {expected}")
    rcpts = sorted({len(c.recipients) for c in caught})
    sizes = {
        "ours": median([len(c.data) for c in caught if b"@bench.local>" not in c.data[:2000]]),
        "floor": median([len(c.data) for c in caught if b"@bench.local>" in c.data[:2000]]),
    }
    rows = [
        Row(
            "warm /send: median per send",
            median(times["ours"]),
            median(times["floor"]),
            TARGET,
        ),
        Row("  p90 per send", p90(times["ours"]), p90(times["floor"])),
        Row("  fastest send", min(times["ours"]), min(times["floor"])),
        *(
            Row(f"DynamoDB requests per /send, {case}", n, unit="req")
            for case, n in requests_per_send.items()
        ),
    ]
    return Result(
        name=f"warm /send ({rounds} sends each, after {warmup} warm-up)",
        baseline_label="boto3 + smtplib floor",
        rows=rows,
        details={
            "rounds": rounds,
            "warmup": warmup,
            "delivered": len(caught),
            "recipients_per_message": rcpts,
            "median_message_bytes_caught": sizes,
            "send_ms": times,
            "dynamodb_requests_per_send": requests_per_send,
        },
    )


def count_requests(
    stack: Stack, event: dict[str, Any], context: Any, n: int = 20
) -> dict[str, float]:
    """DynamoDB requests per /send (both tables), counted on our own clients: as timed above,
    with an hourly limit on the provider, with both limits, and with an Idempotency-Key."""
    from mailpass.container import get_container
    from mailpass.provider_schemas import ProviderUpdate
    from mailpass_api.handler import lambda_handler

    requests = Requests()
    requests.hook_all()
    providers = get_container().providers
    config = get_container().store.get_account_config(stack.account_id)
    provider_id = config.account.default_provider_id if config else None
    if provider_id is None:
        raise RuntimeError("the bench account has no default provider")

    def measure(with_key: bool = False) -> float:
        before = requests.snapshot()
        with stdout_discarded():
            for i in range(n):
                e = {**event, "headers": {**event["headers"]}}
                if with_key:
                    e["headers"]["idempotency-key"] = f"bench-{secrets.token_hex(6)}-{i}"
                out = lambda_handler(e, context)
                if out["statusCode"] != 200:
                    raise RuntimeError(f"/send: {out['statusCode']} {out['body']}")
        counts = requests.snapshot() - before
        return sum(c for (svc, _), c in counts.items() if svc == "dynamodb") / n

    out = {"as timed (no limits, no key)": measure()}
    providers.update(stack.account_id, provider_id, ProviderUpdate(hourly_limit=10**6))
    out["with an hourly limit"] = measure()
    providers.update(stack.account_id, provider_id, ProviderUpdate(daily_limit=10**6))
    out["with hourly and daily limits"] = measure()
    providers.update(
        stack.account_id, provider_id, ProviderUpdate(hourly_limit=None, daily_limit=None)
    )
    out["with an Idempotency-Key"] = measure(with_key=True)
    return out
