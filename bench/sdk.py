"""The Python SDK's warm `mail.send` against a plain httpx POST of the same request, same run.
Target: SDK/plain <= 1.1 on the median: what the SDK adds (building the call, the retry loop,
the typed result) must be small next to the request itself.

Both talk over real HTTP to the app served by uvicorn in this process (on the local stack, as
`make dev` serves it), each on its own warm keep-alive connection, with the canonical
events/send.json body. The SDK sends an Idempotency-Key with every send while retries are on,
and the server does work for it, so the plain POST sends a fresh key too: the same request. A
second pair without keys (max_retries=0) is shown for information. Calls are interleaved,
alternating which goes first. Reproduce with `make bench` (or `.venv/bin/python -m bench sdk`)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import EVENTS, Result, Row, Stack, median, p90, stdout_discarded

ROUNDS = 300
WARMUP = 20
TARGET = 1.1


def _serve() -> tuple[Any, threading.Thread, str]:
    import uvicorn
    from mailpass_api.app import create_app
    from mailpass_dev.servers import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{port}"


def _timed(
    pairs: dict[str, Callable[[], None]], rounds: int, warmup: int
) -> dict[str, list[float]]:
    names = list(pairs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(warmup):
        for name in names:
            pairs[name]()
    for i in range(rounds):
        for name in names if i % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            pairs[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def run(stack: Stack, rounds: int = ROUNDS, warmup: int = WARMUP) -> Result:
    import httpx
    from mailpass_sdk import MailPass

    event = json.loads((EVENTS / "send.json").read_text())
    request: dict[str, Any] = json.loads(event["body"])
    server, thread, url = _serve()
    auth = {"Authorization": f"Bearer {stack.api_key}"}
    caught_before = len(stack.sink.caught)
    print(f"SDK mail.send: {warmup} warm-up + {rounds} rounds of sdk, plain httpx ...", flush=True)
    try:
        with (
            MailPass(stack.api_key, base_url=url) as sdk,
            MailPass(stack.api_key, base_url=url, max_retries=0) as sdk_no_retries,
            httpx.Client(base_url=url, headers=auth, timeout=30) as plain,
            stdout_discarded(),
        ):

            def sdk_send() -> None:
                sdk.mail.send(**request)

            def sdk_send_no_key() -> None:
                sdk_no_retries.mail.send(**request)

            def plain_post(key: bool = True) -> None:
                headers = {"Idempotency-Key": str(uuid.uuid4())} if key else None
                resp = plain.post("/api/v1/mail/send", json=request, headers=headers)
                if resp.status_code != 200:
                    raise RuntimeError(f"/send: {resp.status_code} {resp.text}")
                resp.json()

            keyed = _timed({"sdk": sdk_send, "plain": plain_post}, rounds, warmup)
            unkeyed = _timed(
                {"sdk": sdk_send_no_key, "plain": lambda: plain_post(key=False)},
                rounds // 2,
                warmup // 2,
            )
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    delivered = len(stack.sink.caught) - caught_before
    expected = 2 * (warmup + rounds) + 2 * (warmup // 2 + rounds // 2)
    if delivered != expected:
        raise RuntimeError(f"the SMTP catcher got {delivered} messages, expected {expected}")
    rows = [
        Row(
            "SDK mail.send vs plain POST: median",
            median(keyed["sdk"]),
            median(keyed["plain"]),
            TARGET,
        ),
        Row("  p90", p90(keyed["sdk"]), p90(keyed["plain"])),
        Row("  fastest", min(keyed["sdk"]), min(keyed["plain"])),
        Row("  without retries (no key): median", median(unkeyed["sdk"]), median(unkeyed["plain"])),
    ]
    return Result(
        name=f"Python SDK warm send ({rounds} sends each, after {warmup} warm-up)",
        baseline_label="plain httpx POST of the same request",
        rows=rows,
        details={"rounds": rounds, "warmup": warmup, "delivered": delivered, "keyed_ms": keyed,
                 "unkeyed_ms": unkeyed},
    )  # fmt: skip
