"""/suppressions: addresses never sent to after a hard bounce or a complaint (permission
`settings`). Loaded on the first request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from mailpass import errors as e
from pydantic import BaseModel

from mailpass_api.contract import example, failures
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/suppressions", tags=["suppressions"])


class Suppression(BaseModel):
    email: str
    reason: str | None
    message_id: str | None
    created_at: str | None


class SuppressionList(BaseModel):
    suppressions: list[Suppression]


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
    response_model=SuppressionListResponse,
    responses={
        200: {
            "content": example(
                {
                    "suppressions": [
                        {
                            "email": "gone@example.com",
                            "reason": "bounce",
                            "message_id": "<abc123@mailpass.im>",
                            "created_at": "2026-01-30T12:00:00",
                        }
                    ]
                }
            )
        },
        **failures(),
    },
)
async def list_suppressions(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.feedback.suppressions, principal.account_id))


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
