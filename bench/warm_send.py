"""Warm /send: the Lambda handler in-process against the local stack, against a floor that makes
the same essential calls directly with boto3 and smtplib (GetItem key, Query account config,
PutItem message, SMTP MAIL/RCPT/DATA on a kept-open connection, UpdateItem status), interleaved
call by call in the same run. Reproduce with `make bench` (or `python -m bench warm`)."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from bench.common import SEND_BODY, Context, Seeded, event, median, p90, seeded_stack

ROUNDS = 300
WARMUP = 10


class Floor:
    def __init__(self, s: Seeded) -> None:
        import boto3
        from mailpass.ids import hash_api_key

        self.db: Any = boto3.client("dynamodb")
        self.table = s.table
        self.key_hash = hash_api_key(s.api_key)
        self.account = s.account_id
        self.smtp = smtplib.SMTP("127.0.0.1", s.smtp_port, local_hostname="floor.local")
        self.smtp.ehlo()
        self.n = 0

    def send(self) -> None:
        self.n += 1
        mid = f"<floor{self.n}.{int(time.time())}@bench.local>"
        self.db.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"APIKEY#{self.key_hash}"}, "sk": {"S": "APIKEY"}},
            ConsistentRead=True,
        )
        self.db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues={
                ":pk": {"S": f"ACCOUNT#{self.account}"},
                ":c": {"S": "CFG#"},
            },
            ConsistentRead=True,
        )
        msg = EmailMessage(policy=SMTP)
        msg["Message-ID"] = mid
        msg["From"] = "dev@example.com"
        msg["To"] = SEND_BODY["to"]
        msg["Subject"] = SEND_BODY["subject"]
        msg.set_content(SEND_BODY["html"], subtype="html")
        pk = {"S": f"MSG#{self.account}#{mid}"}
        self.db.put_item(
            TableName=self.table,
            Item={"pk": pk, "sk": {"S": "MSG"}, "status": {"S": "sending"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        self.smtp.sendmail("dev@example.com", [SEND_BODY["to"]], msg.as_bytes())
        self.db.update_item(
            TableName=self.table,
            Key={"pk": pk, "sk": {"S": "MSG"}},
            UpdateExpression="SET #s = :sent",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sent": {"S": "sent"}},
        )

    def close(self) -> None:
        self.smtp.quit()


def run() -> dict[str, Any]:
    with seeded_stack() as s:
        from mailpass_api.handler import lambda_handler

        ev = event("send.json", s.api_key, body=SEND_BODY)
        ctx = Context()

        def ours() -> None:
            out = lambda_handler(ev, ctx)
            if out["statusCode"] != 200:
                raise RuntimeError(out["body"])

        floor = Floor(s)
        for _ in range(WARMUP):
            ours()
            floor.send()
        times: dict[str, list[float]] = {"ours": [], "floor": []}
        for i in range(ROUNDS):
            # Alternate who goes first, so neither always runs right after the other's writes.
            order = (("ours", ours), ("floor", floor.send))
            for name, fn in order if i % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - start) * 1000)
        floor.close()
        delivered = len(s.sink.caught)
    ours_ms, floor_ms = median(times["ours"]), median(times["floor"])
    return {
        "name": "warm /send through the Lambda handler (median ms per send)",
        "ours_ms": ours_ms,
        "baseline_ms": floor_ms,
        "ratio": ours_ms / floor_ms,
        "target": 1.3,
        "samples": ROUNDS,
        "ours_p90_ms": p90(times["ours"]),
        "floor_p90_ms": p90(times["floor"]),
        "delivered": delivered,
    }
