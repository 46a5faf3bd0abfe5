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
import time
from pathlib import Path

import pytest
from mailpass_dev.servers import free_port

pytestmark = pytest.mark.integration


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} not printed; got:\n{''.join(seen)}")


def _stack_processes() -> list[int]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,sid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [
        int(line.split()[0])
        for line in out.splitlines()
        if "DynamoDBLocal" in line or "moto_server" in line
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
    before = set(_stack_processes())
    proc = subprocess.Popen(
        [str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        banner = _read_until(proc, "Ctrl-C stops everything", timeout=120)
        _read_until(proc, "Uvicorn running", timeout=30)
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
        deadline = time.monotonic() + 30  # the scheduled dispatcher runs every second here
        while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) < 3:
            time.sleep(0.2)
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
    time.sleep(0.5)
    assert set(_stack_processes()) - before == set()
