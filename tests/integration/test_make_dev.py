"""`make dev`'s entry point as a user meets it: start it, run the curl it prints, find the mail in
the outbox, ask for the status, press Ctrl-C, and find nothing left running."""

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
from typing import IO

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
