"""Fixtures that start the real local parts once per session: DynamoDB Local (or moto's DynamoDB
where Java is missing), moto's server for Secrets Manager/SES, and aiosmtpd catchers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mailpass.container import Container, get_container
from mailpass_api.app import create_app
from mailpass_dev.seed import Seeded, seed_dev
from mailpass_dev.servers import SmtpSink, free_port
from mailpass_dev.stack import LocalStack, reset_process_caches
from mailpass_dev.template import ROOT

from tests.waiting import wait_until

EVENTS = ROOT / "events"


# `stack` (the session's local stack) is in tests/conftest.py: the contract tests share it.


@pytest.fixture
def env(stack: LocalStack) -> Iterator[LocalStack]:
    """Every test starts with this process pointed at the stack and fresh per-process caches
    (settings, container, clients, the Powertools secret cache)."""
    stack.apply_env()
    yield stack
    get_container().smtp_pool.close_all()
    reset_process_caches()


@pytest.fixture
def services(env: LocalStack) -> Container:
    return get_container()


@pytest.fixture
def sink(env: LocalStack) -> SmtpSink:
    assert env.smtp is not None
    return env.smtp


@pytest.fixture
def account(services: Container, sink: SmtpSink) -> Seeded:
    """A fresh account per test, with a `mail` key and a default provider on the catcher."""
    return seed_dev(services.admin, "127.0.0.1", sink.port)


@dataclass
class LambdaContext:
    """The shape Powertools' own examples use for a test Lambda context."""

    function_name: str = "mailpass-test-ApiFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-test"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


def load_event(
    name: str, *, key: str, path: str | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event["headers"]["authorization"] = f"Bearer {key}"
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
        event["headers"]["content-length"] = str(len(event["body"].encode()))
    return event


def outbox_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


@pytest.fixture
def api(env: LocalStack) -> Iterator[httpx.Client]:
    """The same app over real HTTP (uvicorn), as `make dev` serves it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "uvicorn to start serving", interval=0.02)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def verify_domain(services: Container, account_id: str, name: str) -> None:
    """Test setup: make `name` one of the account's verified sender domains, as stored by the
    domains store, without the DNS proof (tests/integration/test_domains.py covers that path,
    and the one-owner claim that would stop two test accounts sharing example.com)."""
    from mailpass.models import Domain, DomainStatus, domain_id_for

    services.domain_store.create_domain(
        Domain(
            domain_id=domain_id_for(account_id, name),
            account_id=account_id,
            name=name,
            token="test",
            status=DomainStatus.VERIFIED,
        )
    )
