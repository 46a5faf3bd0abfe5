"""The one core both clients share: building a request, reading an answer (or raising its error)
and deciding whether and when to retry. Only the transport (httpx.Client or httpx.AsyncClient)
differs between `MailPass` and `AsyncMailPass`."""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from mailpass_sdk.errors import APIConnectionError, APITimeoutError, MailPassError, error_class

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

# Where `make dev` serves the API (MAILPASS_API_PORT); any other install sets the base URL.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
VERSION = "0.1.0"
USER_AGENT = f"mailpass-sdk-python/{VERSION}"

# Methods that may be repeated without a key: the server's answer to a repeat is the same.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
# A Retry-After longer than this is the server saying "not soon": raise it to the caller.
MAX_RETRY_AFTER = 60.0
# Answered by the idempotency layer while the first request with the key is still running.
RETRYABLE_CONFLICTS = frozenset({"IDEMPOTENCY_IN_PROGRESS"})
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "apigw-requestid")


def operation(method: str, path: str) -> Callable[[F], F]:
    """Marks the API operation (as in openapi.json) that a client method implements; the
    coverage test matches these against every operation of the contract."""

    def mark(fn: F) -> F:
        fn.__mailpass_operation__ = (method, path)  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class Options:
    api_key: str
    base_url: str
    timeout: float
    max_retries: int


def resolve_options(
    api_key: str | None, base_url: str | None, timeout: float, max_retries: int
) -> Options:
    key = api_key if api_key is not None else os.environ.get("MAILPASS_API_KEY")
    if not key:
        raise MailPassError("No API key: pass api_key= or set MAILPASS_API_KEY", code="NO_API_KEY")
    url = base_url or os.environ.get("MAILPASS_BASE_URL") or DEFAULT_BASE_URL
    if max_retries < 0:
        raise ValueError("max_retries must be >= 0")
    return Options(key, url.rstrip("/"), timeout, max_retries)


def default_headers(options: Options) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {options.api_key}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call: what to send, and how to turn the envelope's `data` into the result."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def retry_safe(self) -> bool:
        """A POST or PATCH is repeated only under an Idempotency-Key: the server then answers a
        repeat with the first result instead of acting twice."""
        return self.method in IDEMPOTENT_METHODS or "Idempotency-Key" in self.headers

    def with_params(self, **extra: Any) -> Call[T]:
        return Call(
            self.method,
            self.path,
            self.parse,
            self.json,
            {**(self.params or {}), **extra},
            self.headers,
        )


def path(template: str, **values: str) -> str:
    """Path parameters quoted whole: a Message-ID's <, > and @, an address's + and /."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of the given fields, leaving out those not given (None)."""
    return {k: _jsonable(v) for k, v in fields.items() if v is not None}


def query(**fields: Any) -> dict[str, Any]:
    return {k.rstrip("_"): _jsonable(v) for k, v in fields.items() if v is not None}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, (tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def idempotency_headers(key: str | None, options: Options) -> dict[str, str]:
    """The caller's key when given; one of ours when retries are on, so a retried send can
    never go out twice; none otherwise (the send is then never retried)."""
    if key is not None:
        return {"Idempotency-Key": key}
    if options.max_retries > 0:
        return {"Idempotency-Key": str(uuid.uuid4())}
    return {}


def build(client: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
    return client.build_request(
        call.method, call.path, json=call.json, params=call.params, headers=call.headers
    )


def unwrap(response: httpx.Response) -> Any:
    """The envelope's `data` of a 2xx answer; any other answer raises its MailPassError."""
    if response.is_success:
        payload = response.json()
        return payload.get("data") if isinstance(payload, dict) else payload
    raise api_error(response)


def api_error(response: httpx.Response) -> MailPassError:
    code, message, details = f"HTTP_{response.status_code}", response.reason_phrase, None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        err = payload["error"]
        code = str(err.get("code") or code)
        message = str(err.get("message") or message)
        details = err.get("details")
    elif response.text:
        message = response.text[:500]
    cls = error_class(code, response.status_code)
    return cls(
        message,
        code=code,
        status_code=response.status_code,
        details=details,
        retry_after=retry_after(response.headers),
        request_id=next(
            (response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None
        ),
    )


def transport_error(exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out: {exc}", code="TIMEOUT")
    return APIConnectionError(f"Could not reach the API: {exc}", code="CONNECTION_ERROR")


def retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = email.utils.parsedate_to_datetime(value) if value else None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(
    call: Call[Any], error: MailPassError, attempt: int, options: Options
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the error is final: 429 and
    5xx (never SEND_FAILED: the provider may have taken the message), an idempotency key still
    in flight, or no answer at all; and only for calls that are safe to repeat."""
    if attempt >= options.max_retries or not call.retry_safe:
        return None
    if not isinstance(error, APIConnectionError) and not _retryable_answer(error):
        return None
    if error.retry_after is not None:
        if error.retry_after > MAX_RETRY_AFTER:
            return None
        return error.retry_after
    # Full jitter on an exponential base: retries from many clients do not line up.
    base = min(MAX_DELAY, INITIAL_DELAY * 2.0**attempt)
    return base * (0.5 + random.random() / 2)


def _retryable_answer(error: MailPassError) -> bool:
    if error.code == "SEND_FAILED" or error.status_code is None:
        return False
    return error.status_code == 429 or error.status_code >= 500 or error.code in RETRYABLE_CONFLICTS


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def asleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def items(data: Any, key: str) -> list[Any]:
    """The list under `key` in a listing's data (or the listing's only list, for a shape this
    SDK version does not know by name)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if key in data:
            return list(data[key] or [])
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return []


def next_cursor(data: Any) -> str | None:
    cursor = data.get("next_cursor") if isinstance(data, dict) else None
    return str(cursor) if cursor else None
