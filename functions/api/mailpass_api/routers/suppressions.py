"""/suppressions: addresses never sent to, after a hard bounce, a complaint, or added by hand
(permission `settings`). Loaded on the first request under its prefix, never on the send path's
cold start."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from mailpass import errors as e
from mailpass.schemas import SuppressionCreate
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/suppressions", tags=["suppressions"])


ReasonKind = Literal["bounce", "complaint", "manual"]


class Suppression(BaseModel):
    email: str
    reason: str | None
    kind: ReasonKind | None = Field(
        default=None, description="What put it there: a hard bounce, a complaint, or by hand"
    )
    message_id: str | None
    created_at: str | None


class SuppressionList(BaseModel):
    suppressions: list[Suppression]
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` (with the same `reason`) for the next page; null at the end",
    )


class SuppressionAdded(Suppression):
    created: bool = Field(description="False when the address was already on the list")


class SuppressionAddedResponse(Ok[SuppressionAdded]):
    pass


class SuppressionRemoved(BaseModel):
    email: str
    suppressed: Literal[False]


class SuppressionListResponse(Ok[SuppressionList]):
    pass


class SuppressionRemovedResponse(Ok[SuppressionRemoved]):
    pass


@router.get(
    "",
    operation_id="listSuppressions",
    summary="The suppressed addresses, oldest first",
    description="All, or those of one `reason` kind, `limit` (1..100, default 20) a page. A "
    "cursor works only for this account and the same `reason` (otherwise 400).",
    response_model=SuppressionListResponse,
    responses={
        200: {
            "content": example(
                {
                    "suppressions": [
                        {
                            "email": "gone@example.com",
                            "reason": "hard bounce: 550 5.1.1 user unknown",
                            "kind": "bounce",
                            "message_id": "<abc123@mailpass.im>",
                            "created_at": "2026-01-30T12:00:00",
                        }
                    ],
                    "next_cursor": None,
                }
            )
        },
        **failures(e.ValidationFailed),
    },
)
async def list_suppressions(
    request: Request,
    *,
    principal: SettingsPrincipal,
    c: Services,
    reason: Annotated[ReasonKind | None, Query(description="Only of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    def page() -> dict[str, Any]:
        return c.suppression_list.list(
            principal.account_id, reason=reason, limit=limit, cursor=cursor
        )

    return ok(await blocking(request, page))


@router.post(
    "",
    status_code=201,
    operation_id="addSuppression",
    summary="Suppress an address by hand",
    description="Idempotent: 201 when added, 200 (`created: false`) when the address was "
    "already on the list, which then keeps its first reason and time. Addresses are "
    "compared without regard to case.",
    response_model=SuppressionAddedResponse,
    openapi_extra=json_body(
        SuppressionCreate,
        {"manual": {"value": {"email": "someone@example.com", "reason": "asked to be removed"}}},
    ),
    responses={
        201: {
            "content": example(
                {
                    "email": "someone@example.com",
                    "reason": "asked to be removed",
                    "kind": "manual",
                    "message_id": None,
                    "created_at": "2026-01-30T12:00:00",
                    "created": True,
                }
            ),
            "links": {
                "RemoveSuppression": {
                    "operationId": "removeSuppression",
                    "parameters": {"email": "$response.body#/data/email"},
                }
            },
        },
        200: {
            "model": SuppressionAddedResponse,
            "description": "Already on the list",
            "content": example(
                {
                    "email": "someone@example.com",
                    "reason": "hard bounce: 550 5.1.1 user unknown",
                    "kind": "bounce",
                    "message_id": "<abc123@mailpass.im>",
                    "created_at": "2026-01-29T08:00:00",
                    "created": False,
                }
            ),
        },
        **failures(e.ValidationFailed, e.PayloadTooLarge),
    },
)
async def add_suppression(
    request: Request, response: Response, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, SuppressionCreate)
    entry, added = await blocking(
        request, c.suppression_list.add, principal.account_id, body.email, body.reason
    )
    if not added:
        response.status_code = 200
    return ok({**entry, "created": added})


@router.delete(
    "/{email}",
    operation_id="removeSuppression",
    summary="Send to an address again",
    description="Succeeds whether or not the address was suppressed.",
    response_model=SuppressionRemovedResponse,
    responses={
        200: {"content": example({"email": "gone@example.com", "suppressed": False})},
        **failures(e.NotFound),
    },
)
async def remove_suppression(
    request: Request, email: str, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.feedback.unsuppress, principal.account_id, email))
