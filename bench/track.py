"""Warm open tracking: GET /api/v1/track/open/<token> through the API's Lambda handler (an API
Gateway event built from events/status.json, a real token from a sent message), against a floor
that does the least a pixel hit must: verify the HMAC and PutItem the event, with plain boto3.
Each hit of ours comes from a new client, so it takes the full path: the per-client marker and the
message's hit counter (two atomic ADDs) before the event is stored.
No target in the issue; reported because mail clients wait on it. Reproduce with `make bench`
(or `.venv/bin/python -m bench track`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from bench.common import Context, Result, Row, Stack, load_event, median, p90, stdout_discarded

ROUNDS = 300
WARMUP = 20


def run(stack: Stack, rounds: int = ROUNDS, warmup: int = WARMUP) -> Result:
    import boto3
    from mailpass.container import get_container
    from mailpass.models import Principal
    from mailpass.schemas import SendRequest
    from mailpass.tracking import OPEN, Tracked
    from mailpass_api.handler import lambda_handler

    container = get_container()
    principal = Principal(stack.account_id, "bench", frozenset({"mail"}), False)
    sent = container.sending.send(
        principal,
        SendRequest(to="track@example.com", subject="t", html="<p>x</p>"),
        "https://api.example.com",
    )
    tokens = container.tracking.tokens()
    assert tokens is not None
    token = tokens.sign(Tracked(OPEN, stack.account_id, sent.message_id))
    path = f"/api/v1/track/open/{token}"
    event = load_event("status.json", stack.api_key, path=path)
    event["headers"].pop("authorization")
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"
    context = cast(Any, Context())

    agents = iter(range(1_000_000))

    def ours() -> None:
        # A new client each time: repeats from one client are only counted, so the path that
        # stores the event (marker, hit counter, event: three writes) is the one measured.
        event["headers"]["user-agent"] = f"{browser} Bench/{next(agents)}"
        out = lambda_handler(event, context)
        if out["statusCode"] != 200:
            raise RuntimeError(f"pixel: {out['statusCode']} {out['body']}")

    db: Any = boto3.client("dynamodb")
    key = container.secrets.get(container.settings.tracking_key_secret or "").encode()
    body, sig = token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))

    def floor() -> None:
        mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))):
            raise RuntimeError("floor: bad token")
        now = datetime.now(UTC).isoformat()
        db.put_item(
            TableName=stack.table,
            Item={
                "pk": {"S": f"FLOOR#{sent.message_id}"},
                "sk": {"S": f"EVENT#{now}#{uuid.uuid4().hex}"},
                "event_type": {"S": "open"},
                "created_at": {"S": now},
                "ip_address": {"S": "203.0.113.9"},
                "user_agent": {"S": browser},
            },
        )

    times: dict[str, list[float]] = {"ours": [], "floor": []}
    print(f"open tracking: {warmup} warm-up + {rounds} rounds of ours, floor ...", flush=True)
    with stdout_discarded():
        for _ in range(warmup):
            ours()
            floor()
        pair = (("ours", ours), ("floor", floor))
        for i in range(rounds):
            for name, call in pair if i % 2 == 0 else pair[::-1]:
                start = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - start) * 1000)
    found = container.store.get_message(stack.account_id, sent.message_id)
    opens = sum(1 for e in (found[1] if found else []) if e.event_type == "open")
    if opens != warmup + rounds:
        raise RuntimeError(f"recorded {opens} opens, expected {warmup + rounds}")
    return Result(
        name=f"open tracking ({rounds} pixel hits each, after {warmup} warm-up)",
        baseline_label="HMAC check + one PutItem with boto3",
        rows=[
            Row("pixel hit: median", median(times["ours"]), median(times["floor"])),
            Row("  p90", p90(times["ours"]), p90(times["floor"])),
        ],
        details={"ms": times},
    )
