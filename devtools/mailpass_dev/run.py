"""`make dev`: the whole service on this machine, no AWS account and no Docker."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from types import FrameType

from mailpass_dev.stack import LocalStack
from mailpass_dev.template import ROOT


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


class ScheduledDispatcher:
    """Invokes the dispatcher's Lambda handler every `interval` seconds with the scheduled event
    in events/, the way the EventBridge schedule does in AWS."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from mailpass_dispatcher.handler import lambda_handler

        event = json.loads((ROOT / "events" / "schedule.json").read_text())
        while not self._stop.wait(self.interval):
            context = _Context(time.monotonic() + 100)  # the function's timeout in template.yaml
            try:
                report = lambda_handler(event, context)
            except Exception as exc:  # keep the schedule going, as EventBridge would
                print(f"dispatcher run failed: {exc!r}", file=sys.stderr, flush=True)
                continue
            if report.get("received"):
                print(f"dispatcher: {report}", flush=True)


class _Context:
    function_name = "mailpass-local-DispatcherFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-local"

    def __init__(self, deadline: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def banner(api_port: int, key: str, outbox: Path, stack: LocalStack) -> str:
    url = f"http://127.0.0.1:{api_port}"
    assert stack.dynamodb
    assert stack.moto
    assert stack.smtp
    return f"""
MailPass is running locally.
  API            {url}/api/v1  (docs: {url}/api/v1/docs)
  DynamoDB       {stack.dynamodb.url}  ({stack.dynamodb.name}, table {stack.table_name})
  AWS (moto)     {stack.moto.url}  (SQS, SES, Secrets Manager)
  SMTP catcher   127.0.0.1:{stack.smtp.port}  -> {outbox}
  Dev API key    {key}

Send a message:
  curl -s -X POST {url}/api/v1/mail/send \\
    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\
    -d '{{"to": "user@example.com", "subject": "Hello", "html": "<p>Hello World</p>"}}'

Queue a batch (the dispatcher sends it within MAILPASS_DRAIN_INTERVAL seconds):
  curl -s -X POST {url}/api/v1/mail/send-batch \\
    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\
    -d '{{"messages": [
          {{"to": "a@example.com", "subject": "Hi A", "html": "<p>Hello A</p>"}},
          {{"to": "b@example.com", "subject": "Hi B", "html": "<p>Hello B</p>"}}],
        "from_email": "support@example.com"}}'

Then ask for its status (the message_id it returned; brackets optional):
  curl -s "{url}/api/v1/mail/status/MESSAGE_ID" -H "Authorization: Bearer {key}"

Ctrl-C stops everything.
"""


def main() -> int:
    import uvicorn
    from mailpass.container import get_container
    from mailpass_api.app import create_app

    from mailpass_dev.seed import seed_dev

    api_port = _int_env("MAILPASS_API_PORT", 8000)
    smtp_port = _int_env("MAILPASS_SMTP_PORT", 1025)
    outbox = Path(os.environ.get("MAILPASS_OUTBOX_DIR") or ROOT / ".mailpass" / "outbox").resolve()
    dev_key = os.environ.get("MAILPASS_DEV_KEY") or None

    # Fixed ports by default, so events/env.json works for `sam local invoke` as shipped.
    stack = LocalStack(
        outbox=outbox,
        smtp_port=smtp_port,
        moto_port=_int_env("MAILPASS_MOTO_PORT", 5000),
        dynamodb_port=_int_env("MAILPASS_DYNAMODB_PORT", 8001),
    )

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    dispatcher = ScheduledDispatcher(float(os.environ.get("MAILPASS_DRAIN_INTERVAL") or 5))
    try:
        stack.start()
        assert stack.smtp
        seeded = seed_dev(get_container().admin, "127.0.0.1", stack.smtp.port, api_key=dev_key)
        print(banner(api_port, seeded.api_key, outbox, stack), flush=True)
        dispatcher.start()
        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=api_port, log_level="info", lifespan="off"
        )
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()
        stack.stop()
        print("MailPass stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
