"""/templates: stored message templates, `{{ variable }}` placeholders (permission `settings`).
Loaded on the first request under its prefix, never on the send path's cold start (a /send
with a template_id loads the service, not these routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from mailpass import errors as e
from mailpass.template_schemas import TemplateCreate, TemplateUpdate
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/templates", tags=["templates"])


class Template(BaseModel):
    template_id: str
    name: str
    subject: str
    html: str | None
    text: str | None = Field(description='"" sends the HTML only (no generated text part)')
    variables: list[str] = Field(description="The variables the template uses, sorted")
    created_at: str | None
    updated_at: str | None


class TemplateList(BaseModel):
    templates: list[Template]


class TemplateDeleted(BaseModel):
    deleted: str


class TemplateResponse(Ok[Template]):
    pass


class TemplateListResponse(Ok[TemplateList]):
    pass


class TemplateDeletedResponse(Ok[TemplateDeleted]):
    pass


TEMPLATE_EXAMPLE = {
    "template_id": "tpl_01J5Z8Q4N2",
    "name": "Order confirmation",
    "subject": "Order {{ order }} confirmed",
    "html": "<p>Hello {{ name }}, your order {{ order }} is on its way.</p>",
    "text": None,
    "variables": ["name", "order"],
    "created_at": "2026-01-30T12:00:00",
    "updated_at": None,
}
ID = {"template_id": "$response.body#/data/template_id"}
# What a client can do next with the template it just made (and what schemathesis chains).
LINKS = {
    name: {"operationId": op, "parameters": ID}
    for name, op in (
        ("GetTemplate", "getTemplate"),
        ("UpdateTemplate", "updateTemplate"),
        ("DeleteTemplate", "deleteTemplate"),
    )
}
WRITE = (e.ValidationFailed, e.PayloadTooLarge)


@router.get(
    "",
    operation_id="listTemplates",
    summary="The account's templates, oldest first",
    response_model=TemplateListResponse,
    responses={200: {"content": example({"templates": [TEMPLATE_EXAMPLE]})}, **failures()},
)
async def list_templates(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.templates.list_all, principal.account_id))


@router.post(
    "",
    status_code=201,
    operation_id="createTemplate",
    summary="Store a template",
    description="`subject`, `html` and `text` may hold `{{ variable }}` placeholders and nothing "
    "else: blocks, filters, attributes and calls are refused. Send it with `template_id` and "
    "`variables` on /send or a /send-batch message; values are HTML-escaped in `html` only.",
    response_model=TemplateResponse,
    responses={
        201: {"content": example(TEMPLATE_EXAMPLE), "links": LINKS},
        **failures(*WRITE, e.Conflict),
    },
    openapi_extra=json_body(
        TemplateCreate,
        {
            "order": {
                "summary": "An order confirmation",
                "value": {
                    "name": "Order confirmation",
                    "subject": "Order {{ order }} confirmed",
                    "html": "<p>Hello {{ name }}, your order {{ order }} is on its way.</p>",
                },
            }
        },
    ),
)
async def create_template(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, TemplateCreate)
    return ok(await blocking(request, c.templates.create, principal.account_id, body))


@router.get(
    "/{template_id}",
    operation_id="getTemplate",
    summary="One template",
    response_model=TemplateResponse,
    responses={200: {"content": example(TEMPLATE_EXAMPLE)}, **failures(e.NotFound)},
)
async def get_template(
    request: Request, template_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.templates.get, principal.account_id, template_id))


@router.patch(
    "/{template_id}",
    operation_id="updateTemplate",
    summary="Change some of a template's fields",
    description="Only the fields given change; `null` clears html or text. Messages already "
    "accepted keep what they were rendered with.",
    response_model=TemplateResponse,
    responses={200: {"content": example(TEMPLATE_EXAMPLE)}, **failures(*WRITE, e.NotFound)},
    openapi_extra=json_body(
        TemplateUpdate,
        {"subject": {"summary": "A new subject", "value": {"subject": "Your order {{ order }}"}}},
    ),
)
async def update_template(
    request: Request, template_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, TemplateUpdate)
    account = principal.account_id
    return ok(await blocking(request, c.templates.update, account, template_id, body))


@router.delete(
    "/{template_id}",
    operation_id="deleteTemplate",
    summary="Remove a template",
    response_model=TemplateDeletedResponse,
    responses={
        200: {"content": example({"deleted": "tpl_01J5Z8Q4N2"})},
        **failures(e.NotFound),
    },
)
async def delete_template(
    request: Request, template_id: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.templates.delete, principal.account_id, template_id))
