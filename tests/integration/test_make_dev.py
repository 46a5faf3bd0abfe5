"""`make dev`'s entry point as a user meets it: start it, run the curl it prints, find the mail in
the outbox, ask for the status, press Ctrl-C, and find nothing left running; then restart it and
find the data kept (and a batch left queued sent after all), and start it clean."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest
from mailpass_dev.servers import free_port

from tests.waiting import wait_until

pytestmark = pytest.mark.integration


class Output:
    """The child's output, read by a thread: a bare readline would block past any deadline if
    the child went quiet without exiting."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self.lines: list[str] = []
        self.closed = threading.Event()
        self._read = 0
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)
        self.closed.set()

    def until(self, marker: str, timeout: float) -> str:
        """What was printed since the last call, up to the line with `marker`."""

        def found() -> int:  # one past the marker's line; 0 while it is not there
            closed = self.closed.is_set()  # before the look, so no line is missed
            for n in range(self._read, len(self.lines)):
                if marker in self.lines[n]:
                    return n + 1
            if closed:
                raise AssertionError(f"the output ended without {marker!r}")
            return 0

        try:
            end = wait_until(found, f"{marker!r} to be printed", timeout=timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; got:\n{''.join(self.lines)}") from None
        seen, self._read = "".join(self.lines[self._read : end]), end
        return seen


def _stack_processes(*ports: str) -> list[int]:
    """The stack servers started on these ports: other runs on the machine have their own."""
    out = subprocess.run(  # -ww: whole command lines, whatever COLUMNS says
        ["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [
        int(line.split()[0])
        for line in out.splitlines()
        if ("DynamoDBLocal" in line or "moto_server" in line)
        and any(port in line.split() for port in ports)
    ]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed line is a curl command")
def test_mailpass_dev_prints_a_curl_line_that_works_and_ctrl_c_stops_everything(
    tmp_path: Path,
) -> None:
    exe = Path(sys.executable).parent / "mailpass-dev"
    outbox = tmp_path / "outbox"
    env = {
        **os.environ,
        "MAILPASS_API_PORT": str(free_port()),
        "MAILPASS_SMTP_PORT": str(free_port()),
        "MAILPASS_MOTO_PORT": str(free_port()),
        "MAILPASS_DYNAMODB_PORT": str(free_port()),
        "MAILPASS_OUTBOX_DIR": str(outbox),
        "MAILPASS_DEV_KEY": "mp_live_" + "D" * 40,
        "PYTHONUNBUFFERED": "1",
        "MAILPASS_DRAIN_INTERVAL": "1",
        # Its own kept data, not the work tree's .mailpass/state of someone's `make dev`.
        "MAILPASS_STATE_DIR": str(tmp_path / "state"),
    }
    ports = (env["MAILPASS_MOTO_PORT"], env["MAILPASS_DYNAMODB_PORT"])
    proc = subprocess.Popen(
        [str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = Output(proc)
    try:
        banner = output.until("Ctrl-C stops everything", timeout=120)
        assert _stack_processes(*ports), "the stack servers were not found by their ports"
        output.until("Uvicorn running", timeout=30)
        assert "mp_live_" + "D" * 40 in banner
        block = banner.split("Send a message:\n", 1)[1].split("\n\n", 1)[0]
        done = subprocess.run(
            ["bash", "-c", block], capture_output=True, text=True, check=True, timeout=30
        )
        data = json.loads(done.stdout)["data"]
        mid = data["message_id"]
        assert data["status"] == "sent"

        (eml,) = outbox.glob("*.eml")
        assert f"Message-ID: {mid}".encode() in eml.read_bytes()

        status_line = next(line for line in banner.splitlines() if "/mail/status/" in line)
        status_cmd = status_line.strip().replace("MESSAGE_ID", re.sub(r"[<>]", "", mid))
        batch_block = banner.split("Queue a batch", 1)[1].split(":\n", 1)[1].split("\n\n", 1)[0]
        queued = json.loads(
            subprocess.run(
                ["bash", "-c", batch_block], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        )["data"]
        assert queued["queued"] == 2
        batch_ids = [m["message_id"] for m in queued["messages"]]
        wait_until(  # the scheduled dispatcher runs every second here
            lambda: len(list(outbox.glob("*.eml"))) >= 3,
            "the scheduled dispatcher to deliver the batch",
            interval=0.2,
        )
        delivered = b"".join(f.read_bytes() for f in outbox.glob("*.eml"))
        assert all(f"Message-ID: {m}".encode() in delivered for m in batch_ids)

        status = json.loads(
            subprocess.run(
                ["bash", "-c", status_cmd], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        )
        assert status["data"]["message"]["status"] == "sent"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    wait_until(lambda: not _stack_processes(*ports), "the stack servers to be gone", timeout=10)


class DevRun:
    """One `mailpass-dev` process on fixed ports and a kept state directory."""

    def __init__(self, env: dict[str, str]) -> None:
        exe = Path(sys.executable).parent / "mailpass-dev"
        self.proc = subprocess.Popen(
            [str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.output = Output(self.proc)
        self.api = f"http://127.0.0.1:{env['MAILPASS_API_PORT']}/api/v1"
        self.banner = self.output.until("Ctrl-C stops everything", timeout=120)
        self.output.until("Uvicorn running", timeout=30)
        self.key = re.search(r"Dev API key\s+(\S+)", self.banner)[1]  # type: ignore[index]

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
        import httpx

        resp = httpx.request(
            method,
            self.api + path,
            json=body,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        return resp.status_code, resp.json()

    def status(self, message_id: str) -> tuple[int, str | None]:
        code, body = self.call("GET", "/mail/status/" + message_id.strip("<>"))
        return code, body["data"]["message"]["status"] if code == 200 else None

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == 0
        self.output.closed.wait(timeout=10)
        return "".join(self.output.lines)


def test_make_dev_keeps_its_data_requeues_what_sqs_forgot_and_starts_clean_on_demand(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    env = {
        **os.environ,
        "MAILPASS_API_PORT": str(free_port()),
        "MAILPASS_SMTP_PORT": str(free_port()),
        "MAILPASS_MOTO_PORT": str(free_port()),
        "MAILPASS_DYNAMODB_PORT": str(free_port()),
        "MAILPASS_OUTBOX_DIR": str(outbox),
        "MAILPASS_STATE_DIR": str(tmp_path / "state"),
        "PYTHONUNBUFFERED": "1",
        # The first run never drains: the batch is still queued when it stops.
        "MAILPASS_DRAIN_INTERVAL": "3600",
    }
    env.pop("MAILPASS_DEV_KEY", None)  # the key too is kept
    ports = (env["MAILPASS_MOTO_PORT"], env["MAILPASS_DYNAMODB_PORT"])
    one_line = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hello</p>"}

    first = DevRun(env)
    try:
        assert "(new)" in first.banner
        code, sent = first.call("POST", "/mail/send", one_line)
        assert code == 200, sent
        code, queued = first.call("POST", "/mail/send-batch", {"messages": [one_line]})
        assert code == 200, queued
        left_behind = queued["data"]["messages"][0]["message_id"]
        assert first.status(left_behind) == (200, "queued")
    finally:
        console = first.stop()
    # The console: the banner framed, a line per request, the JSON logs marked.
    assert "=" * 78 in console
    assert re.search(r"^http  POST /api/v1/mail/send 200 \d+ ms$", console, re.M), console
    assert not re.search(r"^\{", console, re.M), "a JSON log without its prefix"
    assert not re.search(r"^drain ", console, re.M)  # it never ran, so it said nothing
    assert len(list(outbox.glob("*.eml"))) == 1

    second = DevRun({**env, "MAILPASS_DRAIN_INTERVAL": "1"})
    try:
        assert "kept from the last run" in second.banner
        assert second.key == first.key
        assert second.status(sent["data"]["message_id"]) == (200, "sent")
        wait_until(
            lambda: second.status(left_behind) == (200, "sent"),
            "the message left queued to be sent after the restart",
            interval=0.3,
        )
        delivered = b"".join(f.read_bytes() for f in outbox.glob("*.eml"))
        assert f"Message-ID: {left_behind}".encode() in delivered
    finally:
        console = second.stop()
    assert "1 queued and 0 scheduled messages put back on the queue" in console
    assert re.search(r"^drain 1 received: 1 sent$", console, re.M), console

    clean = DevRun({**env, "MAILPASS_FRESH": "1"})
    try:
        assert "(new)" in clean.banner
        assert clean.key != first.key
        assert clean.status(left_behind) == (404, None)
    finally:
        clean.stop()
    wait_until(lambda: not _stack_processes(*ports), "the stack servers to be gone", timeout=10)
