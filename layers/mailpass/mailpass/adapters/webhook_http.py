"""Posting a webhook delivery (stdlib HTTP: one small request, no client library needed)."""

from __future__ import annotations

import urllib.error
import urllib.request


class UrllibPost:
    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  # the URL was checked when the webhook was made
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as resp:  # noqa: S310
                return resp.status, resp.reason or ""
        except urllib.error.HTTPError as exc:
            return exc.code, str(exc.reason)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return 0, f"unreachable: {getattr(exc, 'reason', exc)}"
