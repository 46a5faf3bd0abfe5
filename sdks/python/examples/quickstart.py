"""The product page's send, in Python, sync and async: `python examples/quickstart.py` with
MAILPASS_API_KEY (and MAILPASS_BASE_URL for a self-hosted install) set. mypy strict checks this
file in `make test`, so it shows the SDK's types as a user meets them."""

from __future__ import annotations

import asyncio
import sys

from mailpass_sdk import AsyncMailPass, MailPass, MailPassError
from mailpass_sdk.models import MessageStatusResult, SendResult


def send_one(to: str) -> SendResult:
    with MailPass() as client:
        result = client.mail.send(to=to, subject="Hello", html="<p>Hello World</p>")
        status: MessageStatusResult = client.mail.status(result.message_id)
        print(result.message_id, status.message.status, len(status.events))
        return result


async def send_async(to: str) -> str:
    async with AsyncMailPass() as client:
        result = await client.mail.send(to=to, subject="Hello again", text="Hello World")
        status = await client.mail.status(result.message_id)
        return status.message.status


def main() -> int:
    to = sys.argv[1] if len(sys.argv) > 1 else "user@example.com"
    try:
        send_one(to)
        print(asyncio.run(send_async(to)))
    except MailPassError as exc:
        print(f"{exc.code} ({exc.status_code}): {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
