"""The committed openapi.json, fuzzed against the real local stack with schemathesis: every
operation, then stateful sequences through the document's links (create a provider, then get,
patch, test, make default and delete it; send, then read the status; create a webhook, then
test it, read its deliveries, rotate its secret). Any 5xx, any body that does
not match its declared schema and any status the operation does not declare is a failure.

    .venv/bin/pytest tests/integration/test_contract_fuzz.py   (also part of `make test`)

Providers the fuzzer creates or changes are pointed at the local SMTP catcher before they are
sent (`confine`): a test may reach nothing beyond this machine, and a provider on a made-up host
would make a later /send fail with a legitimate 500 SEND_FAILED."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi.json"
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# Bounded so the whole file runs in about a minute on two cores.
EXAMPLES = 12
STATEFUL_EXAMPLES = 25
STEPS = 8

schema = schemathesis.openapi.from_path(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES, "mode": "all"},
            "phases": {"coverage": {"enabled": False}, "stateful": {"max-steps": STEPS}},
        }
    ),
)

Case = schemathesis.Case[Any]
PROVIDER_OPERATIONS = {"createProvider", "updateProvider"}
# The fields that decide where a provider connects; `confine` replaces or drops them.
NETWORK_FIELDS = ("host", "port", "security", "username", "password", "region")


WEBHOOK_OPERATIONS = {"createWebhook", "updateWebhook"}
# Nothing listens there and nothing posts during the fuzz: a url the egress guard takes locally.
WEBHOOK_URL = "http://127.0.0.1:9/hooks"


def confine(case: Case, smtp_port: int) -> None:
    """Point a provider the fuzzer writes at the local SMTP catcher, and a webhook at loopback,
    whatever else it says (a made-up host does not resolve: always a 400)."""
    operation = case.operation.definition.raw.get("operationId")
    body = case.body
    if not isinstance(body, dict):
        return
    if operation in WEBHOOK_OPERATIONS:
        if "url" in body:
            body["url"] = WEBHOOK_URL
        return
    if operation not in PROVIDER_OPERATIONS:
        return
    creating = "kind" in body
    if creating:
        body["kind"] = "smtp"
    if creating or any(field in body for field in NETWORK_FIELDS):
        for field in (*NETWORK_FIELDS, "configuration_set"):
            body.pop(field, None)
        body.update({"host": "127.0.0.1", "port": smtp_port, "security": "none"})


def spare(case: Case, own_key_id: str) -> None:
    """Keep the fuzzer from revoking the key it calls with (schemathesis infers a link from the
    key list to revokeApiKey): every later call would be a 401 and explore nothing."""
    if case.operation.definition.raw.get("operationId") != "revokeApiKey":
        return
    if case.path_parameters and case.path_parameters.get("key_id") == own_key_id:
        case.path_parameters["key_id"] = "key_not_the_fuzzers_own"


@pytest.fixture
def auth(account: Seeded, env: LocalStack) -> Iterator[dict[str, str]]:
    yield {"Authorization": f"Bearer {account.api_key}"}
    # The test events the fuzzer queued: the queue is the session's, and the webhook tests
    # after this one read it.
    sqs, url = env.client("sqs"), env.env["MAILPASS_WEBHOOK_QUEUE_URL"]
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def own_key_id(api: httpx.Client, auth: dict[str, str], account: Seeded) -> str:
    keys = api.get("/api/v1/api-keys", headers=auth).json()["data"]["api_keys"]
    return str(next(k["key_id"] for k in keys if k["last4"] == account.api_key[-4:]))


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation(
    case: Case, api: httpx.Client, auth: dict[str, str], sink: SmtpSink, own_key_id: str
) -> None:
    confine(case, sink.port)
    spare(case, own_key_id)
    case.call_and_validate(base_url=str(api.base_url), headers=auth, checks=CHECKS)


def test_stateful_links(
    api: httpx.Client, auth: dict[str, str], sink: SmtpSink, own_key_id: str
) -> None:
    base_url = str(api.base_url)
    answered: set[tuple[str, int]] = set()

    class Links(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            confine(case, sink.port)
            spare(case, own_key_id)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": base_url, "headers": auth}

        def teardown(self) -> None:
            # Each sequence starts from the same sender domains: one that a sequence's listing
            # found and the next's did not (deleted) made hypothesis's replay of a sequence
            # draw differently (FlakyStrategyDefinition).
            listed = api.get("/api/v1/domains", headers=auth).json()["data"]["domains"]
            for domain in listed:
                api.delete(f"/api/v1/domains/{domain['domain_id']}", headers=auth)

        def validate_response(
            self, response: schemathesis.Response, case: Case, **kwargs: Any
        ) -> None:
            answered.add((case.operation.definition.raw["operationId"], response.status_code))
            case.validate_response(response, checks=CHECKS, headers=auth)

    Links.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            # The same sequences every run: the chain below is reached, not hoped for.
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    # The links were followed: a provider was created, then used through its id; so was a
    # webhook (create -> test -> deliveries -> rotate).
    assert ("createProvider", 201) in answered
    followed = {op for op, status in answered if status in {200, 202}}
    assert {"getProvider", "updateProvider", "testProvider", "deleteProvider"} & followed, answered
    assert ("createWebhook", 201) in answered
    webhook_chain = {"testWebhook", "listWebhookDeliveries", "rotateWebhookSecret"}
    assert webhook_chain & followed, answered
    # An API key was made (its revoke link is followed when a sequence reaches it).
    assert ("createApiKey", 201) in answered, answered
