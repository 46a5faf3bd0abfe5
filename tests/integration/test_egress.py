"""The egress guard against real servers on loopback: a webhook redirect is never followed, an SMTP
provider cannot be aimed inside (and /test says the same for an open and a closed port, without
connecting), and connections go to the very address that was checked (no second lookup)."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from mailpass.adapters.smtp import SmtpPool, SmtpSender, SmtpTarget, probe
from mailpass.adapters.webhook_http import HttpPost
from mailpass.container import Container
from mailpass.egress import Address
from mailpass.mime import OutgoingMessage
from mailpass.models import SmtpSecurity
from mailpass.service.webhooks import DeliveryFailed
from mailpass_dev.run import sqs_event
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink, free_port
from mailpass_dev.stack import LocalStack, reset_process_caches

from tests.integration.conftest import LambdaContext

pytestmark = pytest.mark.integration

PROVIDERS = "/api/v1/smtp-providers"


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    location: str | None = None
    got: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def receivers() -> Iterator[Any]:
    """Makes HTTP receivers on loopback that record every request, whatever its method."""
    servers: list[ThreadingHTTPServer] = []

    def make(status: int = 200, location: str | None = None) -> Receiver:
        box = Receiver(status=status, location=location)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                box.got.append((self.command, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(box.status)
                if box.location:
                    self.send_header("Location", box.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = _answer  # noqa: N815  # a redirect may change the method

            def log_message(self, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mailpass"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return box

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def run_webhook_function(env: LocalStack, ctx: LambdaContext) -> dict[str, Any]:
    from mailpass_webhooks.handler import lambda_handler

    sqs = env.client("sqs")
    url = env.env["MAILPASS_WEBHOOK_QUEUE_URL"]
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])
    out: dict[str, Any] = lambda_handler(sqs_event(got, url), ctx) if got else {}
    for m in got:  # failed or not: the queue is shared by the session, leave nothing behind
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"received": len(got), **out}


def job(account: Seeded, webhook_id: str) -> str:
    event = {"id": "evt_redirect", "type": "open", "created_at": "2026-11-27T00:00:00Z"}
    return json.dumps({"webhook_id": webhook_id, "account_id": account.account_id, "event": event})


def test_a_webhook_redirect_is_a_failed_attempt_and_never_followed(
    api: httpx.Client,
    env: LocalStack,
    services: Container,
    account: Seeded,
    receivers: Any,
    lambda_context: LambdaContext,
) -> None:
    second: Receiver = receivers()
    first: Receiver = receivers(302, second.url)
    made = api.post(
        "/api/v1/webhooks",
        headers=auth(account),
        json={"url": first.url, "event_types": ["open"]},
    )
    assert made.status_code == 201, made.text
    hook_id = made.json()["data"]["webhook_id"]

    # Through the webhook function, as the queue would run it: the delivery goes back to retry.
    sqs = env.client("sqs")
    sqs.send_message(
        QueueUrl=env.env["MAILPASS_WEBHOOK_QUEUE_URL"], MessageBody=job(account, hook_id)
    )
    out = run_webhook_function(env, lambda_context)
    assert out["received"] == 1
    assert len(out["batchItemFailures"]) == 1
    # The attempt itself, as the function records it: failed, with the receiver's 302.
    with pytest.raises(DeliveryFailed) as failed:
        services.webhooks.deliver(job(account, hook_id), services.webhook_post)
    assert failed.value.status == 302
    assert [method for method, _ in first.got] == ["POST", "POST"]
    assert second.got == []  # the redirect's target is never hit


def test_an_smtp_provider_cannot_be_aimed_inside_and_test_reveals_no_port_state(
    api: httpx.Client,
    env: LocalStack,
    account: Seeded,
    sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def provider(host: str, port: int, name: str) -> httpx.Response:
        body = {"kind": "smtp", "name": name, "host": host, "port": port, "security": "none"}
        return api.post(PROVIDERS, headers=auth(account), json=body)

    # The metadata service and link-local are refused even in the local stack's relaxed mode.
    for host in ("169.254.169.254", "0xa9fea9fe", "fe80::1"):
        resp = provider(host, 80, "imds")
        assert resp.status_code == 400, (host, resp.text)
        assert resp.json()["error"]["code"] == "VALIDATION_ERROR"

    # An open loopback port (a listener that never accepts) and a closed one, both made while
    # the relaxation was on, as a provider from before this check would be.
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    try:
        open_port = listener.getsockname()[1]
        ids = []
        for port in (open_port, free_port()):
            resp = provider("127.0.0.1", port, f"inside {port}")
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()["data"]["provider_id"])

        # The deployed default: no relaxation.
        monkeypatch.setenv("MAILPASS_ALLOW_LOCAL_EGRESS", "false")
        reset_process_caches()
        for host in ("127.0.0.1", "127.1", "2130706433", "0177.0.0.1", "0x7f000001"):
            resp = provider(host, sink.port, "loopback")
            assert resp.status_code == 400, (host, resp.text)
            assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
        resp = api.patch(f"{PROVIDERS}/{ids[0]}", headers=auth(account), json={"host": "127.0.0.2"})
        assert resp.status_code == 400, resp.text

        answers = []
        for provider_id in [*ids, account.provider_id]:  # open, closed, a live SMTP server
            resp = api.post(f"{PROVIDERS}/{provider_id}/test", headers=auth(account))
            assert resp.status_code == 400, resp.text
            answers.append(resp.json()["error"])
        assert answers[0] == answers[1] == answers[2]
        assert answers[0]["code"] == "VALIDATION_ERROR"
        assert "public" in answers[0]["message"]
        with pytest.raises(BlockingIOError):  # nothing ever connected to the open port
            listener.accept()
    finally:
        listener.close()


def test_connections_go_to_the_checked_address_without_a_second_lookup(
    sink: SmtpSink, receivers: Any
) -> None:
    """Names that no DNS knows, resolved once by the guard: the post and the SMTP session can
    only have reached loopback through the address it checked, and the name still travels as
    the Host header and the EHLO peer's idea of who it talks to."""
    lookups: list[str] = []

    def once(host: str, port: int) -> list[Address]:
        lookups.append(host)
        return [(socket.AF_INET, "127.0.0.1")]

    box: Receiver = receivers()
    port = box.url.split(":")[2].split("/")[0]
    poster = HttpPost(5.0, allow_local=True, resolve=once)
    url = f"http://hooks.rebind.test:{port}/x?y=1"
    assert poster.post(url, b"{}", {"Content-Type": "application/json"}) == (200, "OK")
    ((method, headers),) = box.got
    assert (method, headers["host"]) == ("POST", f"hooks.rebind.test:{port}")
    assert lookups == ["hooks.rebind.test"]
    # Without the relaxation loopback is refused before anything is sent.
    strict = HttpPost(5.0, resolve=once)
    status, reason = strict.post(url.replace("http:", "https:"), b"{}", {})
    assert status == 0
    assert "not a public internet address" in reason
    assert len(box.got) == 1

    pool = SmtpPool(5.0, 60.0, allow_loopback=True, resolve=once)
    target = SmtpTarget("smtp.rebind.test", sink.port, SmtpSecurity.NONE)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.com", "b@example.com", "pinned"
    mail["Message-ID"] = "<pinned@egress.test>"
    mail.set_content("hi")
    message = OutgoingMessage(
        message_id="<pinned@egress.test>",
        envelope_from="a@example.com",
        recipients=("b@example.com",),
        raw=mail.as_bytes(),
    )
    try:
        SmtpSender(pool, target).send(message)
    finally:
        pool.close_all()
    assert len(sink.find("<pinned@egress.test>")) == 1
    assert lookups[-1] == "smtp.rebind.test"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a certificate for hooks.rebind.test, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    d = tmp_path_factory.mktemp("tls")
    (d / "ext.cnf").write_text(
        "subjectAltName=DNS:hooks.rebind.test\nextendedKeyUsage=serverAuth\n"
    )
    for argv in (
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2"
        " -subj /CN=egress-test-ca -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign",
        "req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=hooks.rebind.test",
        "x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2"
        " -extfile ext.cnf",
    ):
        subprocess.run(["openssl", *argv.split()], cwd=d, check=True, capture_output=True)
    return {"ca": d / "ca.pem", "cert": d / "srv.pem", "key": d / "srv.key"}


def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    tls_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNI and the certificate check use the URL's / provider's name, not the pinned IP."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))  # trust the throwaway CA
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tls_files["cert"], tls_files["key"])
    names: list[str | None] = []

    def sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    server_tls.sni_callback = sni

    def once(host: str, port: int) -> list[Address]:
        return [(socket.AF_INET, "127.0.0.1")]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        poster = HttpPost(5.0, allow_local=True, resolve=once)
        assert poster.post(f"https://hooks.rebind.test:{port}/x", b"{}", {}) == (204, "No Content")
        status, reason = poster.post(f"https://other.rebind.test:{port}/x", b"{}", {})
        assert status == 0
        assert "not valid for 'other.rebind.test'" in reason
    finally:
        server.shutdown()
        server.server_close()
    assert names[:2] == ["hooks.rebind.test", "other.rebind.test"]

    from aiosmtpd.controller import Controller

    class Quiet:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            return "250 OK"

    modes: list[tuple[SmtpSecurity, dict[str, Any]]] = [
        (SmtpSecurity.STARTTLS, {"tls_context": server_tls}),
        (SmtpSecurity.TLS, {"ssl_context": server_tls}),
    ]
    for security, kwargs in modes:
        controller = Controller(Quiet(), hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        try:
            steps = probe(
                SmtpTarget("hooks.rebind.test", controller.port, security),
                5.0,
                allow_loopback=True,
                resolve=once,
            )
            assert all(s["ok"] for s in steps), steps
            wrong = probe(
                SmtpTarget("other.rebind.test", controller.port, security),
                5.0,
                allow_loopback=True,
                resolve=once,
            )
            assert "not valid for 'other.rebind.test'" in wrong[-1]["detail"], wrong
        finally:
            controller.stop()
