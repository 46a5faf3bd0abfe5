"""The Python SDK against the local stack: the integration fixtures (tests/integration), with a
client pointed at the app served over real HTTP by uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.template import ROOT
from mailpass_sdk import MailPass

# The integration fixtures, shared rather than copied (pytest finds fixtures imported here).
from tests.integration.conftest import (  # noqa: F401
    account,
    api,
    env,
    lambda_context,
    services,
    sink,
)


@cache
def openapi() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
    return spec


def has_operation(method: str, path: str) -> bool:
    """Whether the committed contract has this operation (the issue-12 endpoints switch their
    SDK tests on by themselves once they are merged)."""
    return method.lower() in openapi()["paths"].get(path, {})


@pytest.fixture
def base_url(api: httpx.Client) -> str:  # noqa: F811
    return str(api.base_url)


@pytest.fixture
def client(base_url: str, account: Seeded) -> Iterator[MailPass]:  # noqa: F811
    with MailPass(account.api_key, base_url=base_url) as c:
        yield c


@pytest.fixture
def sdk_env(base_url: str, account: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:  # noqa: F811
    """MAILPASS_API_KEY and MAILPASS_BASE_URL set, as a user's shell would have them."""
    monkeypatch.setenv("MAILPASS_API_KEY", account.api_key)
    monkeypatch.setenv("MAILPASS_BASE_URL", base_url)
    return account
