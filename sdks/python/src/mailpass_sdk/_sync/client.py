"""The client. `_async/client.py` is the source: sdks/python/scripts/generate.py writes
`_sync/client.py` from it with unasync, so edit `_async/` and regenerate."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar

import httpx

from mailpass_sdk._core import (
    Call,
    Options,
    api_error,
    build,
    default_headers,
    next_cursor,
    resolve_options,
    retry_delay,
    sleep,
    transport_error,
    unwrap,
)
from mailpass_sdk._sync.resources import Mail, Stats
from mailpass_sdk._sync.settings import (
    Account,
    ApiKeys,
    Domains,
    Providers,
    Suppressions,
    Templates,
    Webhooks,
)
from mailpass_sdk.errors import MailPassError

T = TypeVar("T")


class MailPass:
    """A MailPass API client.

    `api_key` defaults to `MAILPASS_API_KEY`, `base_url` to `MAILPASS_BASE_URL`. 429 and 5xx
    answers (never SEND_FAILED) are retried up to `max_retries` times; a POST only under an
    Idempotency-Key, which `mail.send` and `mail.send_batch` generate when retries are on.
    `http_client` lets you bring your own httpx client (proxies, transports, event hooks)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._options: Options = resolve_options(api_key, base_url, timeout, max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self._http.base_url = httpx.URL(self._options.base_url)
        self._http.headers.update(default_headers(self._options))
        self.mail = Mail(self)
        self.providers = Providers(self)
        self.domains = Domains(self)
        self.templates = Templates(self)
        self.api_keys = ApiKeys(self)
        self.webhooks = Webhooks(self)
        self.suppressions = Suppressions(self)
        self.stats = Stats(self)
        self.account = Account(self)

    @property
    def options(self) -> Options:
        return self._options

    def _send(self, call: Call[Any]) -> httpx.Response:
        request = build(self._http, call)
        attempt = 0
        while True:
            error: MailPassError
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error = transport_error(exc)
                error.__cause__ = exc
            else:
                if response.is_success:
                    return response
                error = api_error(response)
            delay = retry_delay(call, error, attempt, self._options)
            if delay is None:
                raise error
            attempt += 1
            sleep(delay)

    def _request(self, call: Call[T]) -> T:
        return call.parse(unwrap(self._send(call)))

    def _pages(self, call: Call[T]) -> Iterator[T]:
        """Each page of a listing, following `next_cursor` until there is none."""
        seen: set[str] = set()
        while True:
            data = unwrap(self._send(call))
            yield call.parse(data)
            cursor = next_cursor(data)
            if cursor is None or cursor in seen:  # a repeated cursor would loop forever
                return
            seen.add(cursor)
            call = call.with_params(cursor=cursor)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> MailPass:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
