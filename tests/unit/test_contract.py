"""The published contract: openapi.json at the repository root is what the app serves, it is a
valid OpenAPI document, and it states what a client needs (bodies, envelopes, errors, auth)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mailpass_api.app import create_app
from mailpass_api.contract import render
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi.json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return create_app(max_request_bytes=1024).openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    paths = doc["paths"].items()
    return [(method.upper(), path, op) for path, ops in paths for method, op in ops.items()]


def test_committed_document_is_what_the_app_serves() -> None:
    app = create_app(max_request_bytes=1024)
    with TestClient(app) as client:
        served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert COMMITTED.read_text() == render(served.json()), "openapi.json is stale: make openapi"


def test_committed_document_is_valid_openapi() -> None:
    validate(json.loads(COMMITTED.read_text()))


def test_no_phantom_422(doc: dict[str, Any]) -> None:
    # FastAPI's own validation errors are our 400; its generated 422 must not be advertised.
    assert "HTTPValidationError" not in json.dumps(doc)
    with_422 = {f"{m} {p}" for m, p, op in operations(doc) if "422" in op["responses"]}
    assert with_422 == {"POST /api/v1/mail/send", "POST /api/v1/mail/send-batch"}


def test_every_route_declares_its_envelopes(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for method, path, op in operations(doc):
        label = f"{method} {path}"
        assert op.get("operationId"), label
        for status, response in op["responses"].items():
            content = response.get("content", {})
            if status.startswith(("4", "5")):
                ref = content["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorResponse", label
            elif "application/json" in content:
                name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert schemas[name]["properties"]["success"] == {
                    "const": True,
                    "default": True,
                    "title": "Success",
                    "type": "boolean",
                }, label
        if path.startswith("/api/v1/track/"):
            assert "security" not in op, label
            continue
        assert op["security"] == [{"bearerAuth": []}], label
        assert {"401", "403", "500"} <= op["responses"].keys(), label
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"], label
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_request_bodies_are_declared_from_the_models(doc: dict[str, Any]) -> None:
    bodies = {
        f"{m} {p}": op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for m, p, op in operations(doc)
        if "requestBody" in op
    }
    assert bodies == {
        "PATCH /api/v1/account": "#/components/schemas/AccountUpdate",
        "POST /api/v1/api-keys": "#/components/schemas/ApiKeyCreate",
        "POST /api/v1/mail/send": "#/components/schemas/SendRequest",
        "POST /api/v1/mail/send-batch": "#/components/schemas/BatchRequest",
        "POST /api/v1/domains": "#/components/schemas/DomainCreate",
        "POST /api/v1/templates": "#/components/schemas/TemplateCreate",
        "PATCH /api/v1/templates/{template_id}": "#/components/schemas/TemplateUpdate",
        "POST /api/v1/smtp-providers": "#/components/schemas/ProviderCreate",
        "PUT /api/v1/smtp-providers/fallbacks": "#/components/schemas/FallbackOrder",
        "PATCH /api/v1/smtp-providers/{provider_id}": "#/components/schemas/ProviderUpdate",
        "POST /api/v1/webhooks": "#/components/schemas/WebhookCreate",
        "PATCH /api/v1/webhooks/{webhook_id}": "#/components/schemas/WebhookUpdate",
        "POST /api/v1/suppressions": "#/components/schemas/SuppressionCreate",
    }
    send = doc["components"]["schemas"]["SendRequest"]
    assert {"to", "subject", "html", "text", "cc", "bcc", "metadata"} <= send["properties"].keys()
    assert send["additionalProperties"] is False


def test_idempotency_and_rate_limit_headers(doc: dict[str, Any]) -> None:
    send = doc["paths"]["/api/v1/mail/send"]["post"]
    assert [p["name"] for p in send["parameters"]] == ["Idempotency-Key"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Idempotent-Replayed"} <= (
        send["responses"]["200"]["headers"].keys()
    )
    assert "Retry-After" in send["responses"]["429"]["headers"]
    codes = send["responses"]["409"]["content"]["application/json"]["examples"].keys()
    assert set(codes) == {"IDEMPOTENCY_CONFLICT", "IDEMPOTENCY_IN_PROGRESS"}


def test_examples_come_from_the_spec(doc: dict[str, Any]) -> None:
    send = doc["paths"]["/api/v1/mail/send"]["post"]
    shown = send["responses"]["200"]["content"]["application/json"]["example"]
    assert shown == {
        "success": True,
        "data": {
            "message_id": "<abc123.1706600000@mailpass.im>",
            "status": "sent",
            "to": "user@example.com",
            "from": "support@yourdomain.com",
        },
    }


def test_created_provider_links_to_what_can_be_done_with_it(doc: dict[str, Any]) -> None:
    links = doc["paths"]["/api/v1/smtp-providers"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getProvider",
        "updateProvider",
        "testProvider",
        "makeDefaultProvider",
        "deleteProvider",
    }


def test_created_domain_links_to_what_can_be_done_with_it(doc: dict[str, Any]) -> None:
    links = doc["paths"]["/api/v1/domains"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getDomain",
        "verifyDomain",
        "deleteDomain",
    }
    for path in ("/api/v1/domains/{domain_id}", "/api/v1/domains/{domain_id}/verify"):
        for op in doc["paths"][path].values():
            assert {"400", "404"} <= op["responses"].keys(), path


def test_settings_routes_do_not_load_on_the_send_path() -> None:
    """A fresh process: the Lambda handler and a /mail request load no settings router; the first
    settings request loads its own router only, and it answers as if it had always been there."""
    script = textwrap.dedent(
        """
        import sys
        from fastapi.testclient import TestClient
        from mailpass_api.handler import app

        SETTINGS = ("mailpass_api.routers.providers", "mailpass_api.routers.webhooks",
                    "mailpass_api.routers.suppressions", "mailpass.provider_schemas",
                    "mailpass_api.routers.domains", "mailpass.service.domains", "dns.resolver",
                    "mailpass.adapters.dynamodb.domains", "mailpass_api.routers.templates",
                    "mailpass.template_schemas", "mailpass.service.templates",
                    "mailpass.adapters.dynamodb.templates", "jinja2", "inscriptis", "lxml",
                    "mailpass.textpart", "mailpass_api.routers.message_log",
                    "mailpass.service.message_log", "mailpass.adapters.dynamodb.message_log",
                    "mailpass.service.suppressions")
        client = TestClient(app)
        assert client.post("/api/v1/mail/send", content=b"{}").status_code == 401
        assert client.get("/api/v1/mail/status/x").status_code == 401
        assert not [m for m in SETTINGS if m in sys.modules], sys.modules.keys()
        assert client.get("/api/v1/webhooks").status_code == 401
        assert "mailpass_api.routers.webhooks" in sys.modules
        assert "mailpass_api.routers.providers" not in sys.modules
        assert client.put("/api/v1/webhooks").status_code == 405
        assert client.get("/api/v1/webhooks/a/b").status_code == 404
        assert client.get("/api/v1/smtp-providers/p1").status_code == 401
        # The message log sits under the eager /mail router's prefix, loaded on its own.
        assert "mailpass_api.routers.message_log" not in sys.modules
        assert client.get("/api/v1/mail/messages").status_code == 401
        assert "mailpass_api.routers.message_log" in sys.modules
        assert client.get("/api/v1/mail/status/x").status_code == 401
        print("ok")
        """
    )
    env = {**os.environ, "MAILPASS_TABLE_NAME": "unit-table", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
