"""Idempotency-Key on /send and /send-batch, over real HTTP against DynamoDB Local (the
Powertools idempotency table from template.yaml) and aiosmtpd."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import SmtpSecurity
from mailpass_dev.seed import Seeded, seed_dev
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

pytestmark = pytest.mark.integration

SEND = "/api/v1/mail/send"
MAIL = {"to": "user@example.com", "subject": "Once", "text": "only once"}


def headers(account: Seeded, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}", "Idempotency-Key": key}


def test_a_repeat_gets_the_first_answer_and_sends_nothing_more(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    first = api.post(SEND, headers=headers(account, "order-1001"), json=MAIL)
    assert first.status_code == 200, first.text
    assert first.headers["Idempotent-Replayed"] == "false"
    again = api.post(SEND, headers=headers(account, "order-1001"), json=MAIL)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(sink.find(first.json()["data"]["message_id"])) == 1
    assert sum(1 for c in sink.caught if c.headers()["Subject"] == "Once") == 1

    other = api.post(SEND, headers=headers(account, "order-1001"), json={**MAIL, "text": "!"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"

    fresh = api.post(SEND, headers=headers(account, "order-1002"), json=MAIL)
    assert fresh.json()["data"]["message_id"] != first.json()["data"]["message_id"]


def test_keys_belong_to_one_account(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    other = seed_dev(services.admin, "127.0.0.1", sink.port, name="Other")
    a = api.post(SEND, headers=headers(account, "shared-key"), json=MAIL)
    b = api.post(SEND, headers=headers(other, "shared-key"), json=MAIL)
    assert (a.status_code, b.status_code) == (200, 200)
    assert b.headers["Idempotent-Replayed"] == "false"
    assert a.json()["data"]["message_id"] != b.json()["data"]["message_id"]


def test_batch_repeat_returns_the_same_queue_ids(api: httpx.Client, account: Seeded) -> None:
    body = {"messages": [MAIL, {**MAIL, "to": "two@example.com"}]}
    first = api.post("/api/v1/mail/send-batch", headers=headers(account, "batch-7"), json=body)
    again = api.post("/api/v1/mail/send-batch", headers=headers(account, "batch-7"), json=body)
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["x" * 257, "", "has space"])
def test_malformed_keys_are_400(api: httpx.Client, account: Seeded, key: str) -> None:
    resp = api.post(SEND, headers=headers(account, key), json=MAIL)
    assert resp.status_code == 400, resp.text


@dataclass
class HeldSmtp:
    """A server that holds every connection, silent, until released, then says it is busy
    (421). Tests see when a connection is being held instead of guessing how long that takes."""

    port: int
    holding: threading.Event  # a connection is in, waiting for `release`
    release: threading.Event


@pytest.fixture
def held_smtp() -> Iterator[HeldSmtp]:
    server = socket.create_server(("127.0.0.1", 0))
    held = HeldSmtp(server.getsockname()[1], threading.Event(), threading.Event())
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)  # how often the loop looks at `stop`
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.holding.set()
            held.release.wait(timeout=60)  # a ceiling so a failed test cannot hang the server
            conn.sendall(b"421 4.3.2 busy, try later\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield held
    held.release.set()
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_duplicate_while_the_first_is_in_flight_is_409_in_progress(
    api: httpx.Client, env: LocalStack, services: Container, account: Seeded, held_smtp: HeldSmtp
) -> None:
    services.admin.add_smtp_provider(
        account.account_id,
        name="slow",
        host="127.0.0.1",
        port=held_smtp.port,
        security=SmtpSecurity.NONE,
        from_email="dev@example.com",
        make_default=True,
    )
    url, h = str(api.base_url), headers(account, "slow-1")

    def post() -> httpx.Response:
        with httpx.Client(base_url=url, timeout=30) as client:
            return client.post(SEND, headers=h, json=MAIL)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(post)
        # The first holds the key from before it connects, so once the server holds its
        # connection, it is in flight.
        assert held_smtp.holding.wait(timeout=30), "the first send never reached the server"
        second = pool.submit(post).result()
        assert second.status_code == 409, second.text
        assert second.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
        held_smtp.release.set()
        assert first.result().status_code == 500  # 421: not taken
    # A failed first attempt does not hold the key: the retry runs (and fails the same way).
    assert post().headers.get("Idempotent-Replayed") is None
