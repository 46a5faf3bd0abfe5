"""`make dev`: the whole service on this machine, no AWS account and no Docker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from mailpass_dev.console import DRAIN, RequestLines, drain_line, frame, mark_json_logs, say
from mailpass_dev.stack import LocalStack
from mailpass_dev.template import ROOT

_TRUTHY = {"1", "true", "yes", "on"}


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


class _Worker:
    """A background thread standing in for an AWS trigger; stop() is safe before start()."""

    name = "worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=30)

    def _run(self) -> None:
        raise NotImplementedError


class ScheduledDispatcher(_Worker):
    """Invokes the dispatcher's Lambda handler every `interval` seconds with the scheduled event
    in events/, the way the EventBridge schedule does in AWS."""

    name = "dispatcher"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        super().__init__()

    def _run(self) -> None:
        from mailpass_dispatcher.handler import lambda_handler

        event = json.loads((ROOT / "events" / "schedule.json").read_text())
        while not self._stop.wait(self.interval):
            context = _Context(time.monotonic() + 100)  # the function's timeout in template.yaml
            try:
                report = lambda_handler(event, context)
            except Exception as exc:  # keep the schedule going, as EventBridge would
                say(DRAIN, f"run failed: {exc!r}")
                continue
            line = drain_line(report)
            if line:  # an idle drain says nothing
                say(DRAIN, line)


class WebhookPoller(_Worker):
    """Feeds the webhook queue to the webhook function's handler as SQS events, the way the
    event source mapping does in AWS."""

    name = "webhooks"

    def __init__(self, queue_url: Callable[[], str]) -> None:
        self._queue_url = queue_url  # known once the stack is up
        super().__init__()

    def _run(self) -> None:
        import boto3
        from mailpass_webhooks.handler import lambda_handler

        sqs: Any = boto3.session.Session().client("sqs", region_name="us-east-1")
        self.queue_url = self._queue_url()
        while not self._stop.is_set():
            try:
                got = sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
                if not got:
                    continue
                event = sqs_event(got, self.queue_url)
                out = lambda_handler(event, _Context(time.monotonic() + 55))
                failed = {f["itemIdentifier"] for f in out.get("batchItemFailures", [])}
                done = [m for m in got if m["MessageId"] not in failed]
                if done:  # what Lambda's event source mapping does after a success
                    sqs.delete_message_batch(
                        QueueUrl=self.queue_url,
                        Entries=[
                            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                            for n, m in enumerate(done)
                        ],
                    )
                say("hooks ", f"{len(done)} delivered, {len(failed)} to retry")
            except Exception as exc:  # keep polling, as the event source mapping would
                say("hooks ", f"poll failed: {exc!r}")
                self._stop.wait(1)


def sqs_event(messages: list[dict[str, Any]], queue_url: str) -> dict[str, Any]:
    """SQS messages as the Lambda event an SQS event source delivers."""
    arn = "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": m.get("Attributes", {}).get(
                        "ApproximateReceiveCount", "1"
                    ),
                    "SentTimestamp": "0",
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


class _Context:
    function_name = "mailpass-local-DispatcherFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-local"

    def __init__(self, deadline: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def banner(api_port: int, key: str, outbox: Path, stack: LocalStack, data: str = "") -> str:
    url = f"http://127.0.0.1:{api_port}"
    assert stack.dynamodb
    assert stack.moto
    assert stack.smtp
    assert stack.dns
    return f"""
MailPass is running locally.
  Dashboard      {url}/dashboard/  (sign in with the dev API key below)
  API            {url}/api/v1  (docs: {url}/api/v1/docs)
  DynamoDB       {stack.dynamodb.url}  ({stack.dynamodb.name}, table {stack.table_name})
  Data           {data or "in memory"}
  AWS (moto)     {stack.moto.url}  (SQS, SES, Secrets Manager)
  SMTP catcher   127.0.0.1:{stack.smtp.port}  -> {outbox}
  DNS (local)    {stack.dns.address}  (sender domain checks; example.com is verified)
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

Below: one line per request (http), per drain that did work (drain), and the services'
JSON logs (log). Ctrl-C stops everything.
"""


def state_dir() -> tuple[Path, bool]:
    """Where `make dev` keeps its data, and whether this start is a clean one (FRESH=1)."""
    path = Path(os.environ.get("MAILPASS_STATE_DIR") or ROOT / ".mailpass" / "state").resolve()
    return path, os.environ.get("MAILPASS_FRESH", "").strip().lower() in _TRUTHY


def main() -> int:
    import uvicorn
    from mailpass.container import get_container
    from mailpass_api.app import create_app

    from mailpass_dev.dashboard import with_dashboard
    from mailpass_dev.recover import Journal, journal_the_queue, requeue_lost
    from mailpass_dev.seed import resume_or_seed

    api_port = _int_env("MAILPASS_API_PORT", 8000)
    smtp_port = _int_env("MAILPASS_SMTP_PORT", 1025)
    outbox = Path(os.environ.get("MAILPASS_OUTBOX_DIR") or ROOT / ".mailpass" / "outbox").resolve()
    dev_key = os.environ.get("MAILPASS_DEV_KEY") or None
    state, fresh = state_dir()
    if fresh and state.exists():
        shutil.rmtree(state)

    # Fixed ports by default, so events/env.json works for `sam local invoke` as shipped.
    stack = LocalStack(
        outbox=outbox,
        smtp_port=smtp_port,
        moto_port=_int_env("MAILPASS_MOTO_PORT", 5000),
        dynamodb_port=_int_env("MAILPASS_DYNAMODB_PORT", 8001),
        state_dir=state,
    )

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    dispatcher = ScheduledDispatcher(float(os.environ.get("MAILPASS_DRAIN_INTERVAL") or 5))
    webhooks = WebhookPoller(lambda: stack.env["MAILPASS_WEBHOOK_QUEUE_URL"])
    journal: Journal | None = None
    try:
        stack.start()
        assert stack.smtp
        mark_json_logs()
        container = get_container()
        journal = Journal(state / "queue-journal.sqlite")
        journal_the_queue(container, journal)
        seeded, resumed = resume_or_seed(
            container,
            "127.0.0.1",
            stack.smtp.port,
            saved=state / "dev-account.json",
            api_key=dev_key,
            dns=stack.dns,
        )
        data = f"{state}  (" + ("kept from the last run" if resumed else "new") + ")"
        if stack.dynamodb and stack.dynamodb.name != "dynamodb-local":
            data = "in memory (no Java for DynamoDB Local)"
        print(frame(banner(api_port, seeded.api_key, outbox, stack, data)), file=sys.stderr)
        sys.stderr.flush()
        back = requeue_lost(container, journal)
        if any(back.values()):
            say(
                DRAIN,
                f"after the restart: {back['queued']} queued and {back['scheduled']} scheduled "
                f"messages put back on the queue ({back['unrecoverable']} could not be)",
            )
        dispatcher.start()
        webhooks.start()
        config = uvicorn.Config(
            RequestLines(with_dashboard(create_app())),
            host="127.0.0.1",
            port=api_port,
            log_level="info",
            access_log=False,
            lifespan="off",
        )
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()
        webhooks.stop()
        stack.stop()
        if journal is not None:
            journal.close()
        print("MailPass stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
