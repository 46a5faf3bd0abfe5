"""The OpenAPI document: what the routes cannot say through FastAPI alone.

Request bodies are parsed by hand after authentication (deps.parse_body), so FastAPI does not see
them: each route declares its body with `json_body`, a $ref resolved when the document is built.
Errors are declared per route with `failures`, from the domain error classes, so a code's status
is written once (mailpass.errors). Building the document (`build`) is the only place that turns
those models into JSON Schema: none of it runs on a cold start."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailpass import errors as e
from pydantic import BaseModel

if TYPE_CHECKING:
    from fastapi import FastAPI

REF = "#/components/schemas/"

# Request models the routes refer to by name; built into components when the document is.
_BODIES: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel], examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `model` (required)."""
    _BODIES[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF + model.__name__}, "examples": examples}
            },
        }
    }


def header(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {name: {"description": description, "schema": schema}}


RATE_LIMIT_HEADERS = {
    **header(
        "RateLimit-Limit",
        "Sends the provider's tightest limit allows in its window (only when it has a limit).",
        {"type": "integer"},
    ),
    **header(
        "RateLimit-Remaining", "Sends left in that window.", {"type": "integer", "minimum": 0}
    ),
    **header("RateLimit-Reset", "Seconds until that window resets.", {"type": "integer"}),
}
REPLAYED_HEADER = header(
    "Idempotent-Replayed",
    "Sent when the request carried an Idempotency-Key: `true` when this is the stored answer "
    "to an earlier request with the same key and body.",
    {"type": "string", "enum": ["true", "false"]},
)
IDEMPOTENCY_PARAMETER = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Makes a retry safe: a repeat with the same key and body gets the first "
            "answer (with `Idempotent-Replayed: true`) instead of acting twice; the same key with "
            "another body is 409 IDEMPOTENCY_CONFLICT.",
            "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,256}$"},
        }
    ]
}

_EXAMPLE_DETAILS: dict[str, Any] = {
    "VALIDATION_ERROR": [
        {"field": "to", "message": "value is not a valid email address", "type": "value_error"}
    ],
    "SEND_LIMIT_EXCEEDED": [{"provider_id": "prov_01J...", "window": "hourly", "limit": 100}],
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: header("WWW-Authenticate", "Always `Bearer`.", {"type": "string"}),
    429: {
        **header("Retry-After", "Seconds until a send can succeed.", {"type": "integer"}),
        **RATE_LIMIT_HEADERS,
    },
}
# Every authenticated route can answer these, whatever else it does.
_ALWAYS: tuple[type[e.MailPassError], ...] = (e.Unauthorized, e.Forbidden, e.MailPassError)


def failures(
    *kinds: type[e.MailPassError], public: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route (an authenticated one unless `public`): per status, the
    error envelope with an example of each code that status carries there."""
    by_status: dict[int, list[type[e.MailPassError]]] = {}
    for kind in (*kinds, *((e.MailPassError,) if public else _ALWAYS)):
        by_status.setdefault(kind.http_status, []).append(kind)
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(by_status):
        codes = by_status[status]
        examples = {
            k.code: {
                "summary": k.default_message,
                "value": {
                    "success": False,
                    "error": {
                        "code": k.code,
                        "message": k.default_message,
                        "details": _EXAMPLE_DETAILS.get(k.code),
                    },
                },
            }
            for k in codes
        }
        out[status] = {
            "description": " or ".join(k.code for k in codes),
            "content": {
                "application/json": {
                    "schema": {"$ref": REF + "ErrorResponse"},
                    "examples": examples,
                }
            },
        }
        if status in _ERROR_HEADERS:
            out[status]["headers"] = _ERROR_HEADERS[status]
    return out


def example(data: Any) -> dict[str, Any]:
    """A success response's example, enveloped."""
    return {"application/json": {"example": {"success": True, "data": data}}}


TAGS = [
    {"name": "mail", "description": "Send mail and follow what became of it (permission `mail`)."},
    {
        "name": "smtp-providers",
        "description": "The providers an account sends through (permission `settings`).",
    },
    {
        "name": "webhooks",
        "description": "Endpoints that receive signed delivery and engagement events "
        "(permission `settings`).",
    },
    {
        "name": "stats",
        "description": "Usage counts per hour or day from counters kept as events happen "
        "(permission `mail`).",
    },
    {"name": "suppressions", "description": "Addresses never sent to (permission `settings`)."},
    {"name": "account", "description": "The account's own settings (permission `settings`)."},
    {
        "name": "domains",
        "description": "Sender domains an account proved it owns; SES providers send only from "
        "them (permission `settings`).",
    },
    {
        "name": "templates",
        "description": "Stored messages with `{{ variable }}` placeholders, sent with "
        "`template_id` and `variables` (permission `settings`).",
    },
    {
        "name": "api-keys",
        "description": "The account's API keys: create (the key is shown once), list, revoke "
        "(permission `settings`).",
    },
    {
        "name": "tracking",
        "description": "Hit by mail clients through the links MailPass writes into messages; "
        "unauthenticated, the signed token is the only thing trusted.",
    },
]


def build(app: FastAPI) -> dict[str, Any]:
    """The whole document, as `/api/v1/openapi.json` serves it and openapi.json commits it."""
    from fastapi.openapi.utils import get_openapi
    from pydantic.json_schema import models_json_schema

    from mailpass_api.models import ErrorResponse

    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    _, top = models_json_schema(
        [(ErrorResponse, "serialization"), *((m, "validation") for m in _BODIES.values())],
        ref_template=REF + "{model}",
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in top.get("$defs", {}).items():
        # A model both here and in a response (ErrorBody) is FastAPI's already; only its
        # rendering differs (FastAPI leaves out null defaults). Two models sharing a name is a bug.
        mine = schemas.setdefault(name, schema)
        if mine.get("properties", {}).keys() != schema.get("properties", {}).keys():
            raise AssertionError(f"two different schemas are both named {name}")
    # FastAPI adds a 422 to any route with parameters, for its own validation errors. Ours are
    # 400 VALIDATION_ERROR (mailpass_api.errors), so that 422 is never answered: drop it. A 422
    # a route really answers (NO_SMTP_PROVIDER) is ours and refers to ErrorResponse.
    for operations in doc["paths"].values():
        for operation in operations.values():
            phantom = operation["responses"].get("422", {})
            if "HTTPValidationError" in str(phantom):
                del operation["responses"]["422"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    # The settings routers join the app in whatever order requests first reach them.
    doc["paths"] = dict(sorted(doc["paths"].items()))
    return doc


def render(doc: dict[str, Any]) -> str:
    """openapi.json as committed: stable key order is FastAPI's, indented, one final newline."""
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
