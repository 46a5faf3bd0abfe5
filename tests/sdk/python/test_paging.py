"""Listings follow `next_cursor` page after page, sync and async, on a scripted transport (the
message log itself is tested against the stack in test_issue12.py once it is merged)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from mailpass_sdk import AsyncMailPass, MailPass


def message(n: int) -> dict[str, Any]:
    return {
        "message_id": f"<m{n}@x>",
        "from_email": "f@example.com",
        "to_email": "t@example.com",
        "subject": f"#{n}",
        "status": "sent",
    }


class Pages:
    """Serves /mail/messages in pages of two from five messages; the cursor is the offset."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.stuck = stuck
        self.params: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.params.append(params)
        start = int(params.get("cursor", "0"))
        end = min(start + 2, 5)
        cursor = "2" if self.stuck else (str(end) if end < 5 else None)
        data = {"messages": [message(n) for n in range(start, end)], "next_cursor": cursor}
        return httpx.Response(200, json={"success": True, "data": data})


def test_the_sync_listing_follows_every_cursor() -> None:
    pages = Pages()
    http = httpx.Client(transport=httpx.MockTransport(pages))
    with MailPass("k", base_url="http://api.test", http_client=http) as client:
        got = [m.subject for m in client.mail.list(status="sent", from_="2026-01-01", limit=2)]
    assert got == ["#0", "#1", "#2", "#3", "#4"]
    assert [p.get("cursor") for p in pages.params] == [None, "2", "4"]
    # Filters ride on every page; from_ is the API's `from`.
    assert all(p["status"] == "sent" and p["from"] == "2026-01-01" for p in pages.params)


def test_the_async_listing_follows_every_cursor() -> None:
    pages = Pages()

    async def main() -> list[str]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(pages))
        async with AsyncMailPass("k", base_url="http://api.test", http_client=http) as client:
            got = [m.message_id async for m in client.mail.list(limit=2)]
        await http.aclose()
        return got

    assert asyncio.run(main()) == [f"<m{n}@x>" for n in range(5)]


def test_a_repeated_cursor_ends_the_listing() -> None:
    pages = Pages(stuck=True)
    http = httpx.Client(transport=httpx.MockTransport(pages))
    with MailPass("k", base_url="http://api.test", http_client=http) as client:
        got = [m.subject for m in client.mail.list()]
    assert got == ["#0", "#1", "#2", "#3"]
    assert len(pages.params) == 2
