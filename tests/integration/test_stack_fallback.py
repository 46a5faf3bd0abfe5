"""Where Java is missing the local stack falls back to moto's DynamoDB; the service still works."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mailpass.container import get_container
from mailpass_dev.seed import seed_dev
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event
from tests.integration.test_send_lambda import invoke

pytestmark = pytest.mark.integration


@pytest.fixture
def javaless_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack: LocalStack
) -> Iterator[LocalStack]:
    monkeypatch.setattr("mailpass_dev.servers.shutil.which", lambda name: None)
    saved = dict(os.environ)
    with LocalStack(outbox=tmp_path, stack_name="mailpass-nojava") as local:
        yield local
    os.environ.clear()
    os.environ.update(saved)
    stack.apply_env()  # hand the shared stack back to the other tests


def test_without_java_dynamodb_is_moto_and_sending_works(
    javaless_stack: LocalStack, lambda_context: LambdaContext
) -> None:
    assert javaless_stack.dynamodb is not None
    assert javaless_stack.moto is not None
    assert javaless_stack.dynamodb.name == "moto-dynamodb"
    assert javaless_stack.dynamodb.url == javaless_stack.moto.url
    assert javaless_stack.smtp is not None
    seeded = seed_dev(get_container().admin, "127.0.0.1", javaless_stack.smtp.port)
    code, body = invoke(load_event("send.json", key=seeded.api_key), lambda_context)
    assert code == 200, body
    assert len(javaless_stack.smtp.find(body["data"]["message_id"])) == 1
    get_container().smtp_pool.close_all()
