"""/domains: the account's sender domains, the DNS records that prove them, and their
verification (permission `settings`). Loaded on the first request under its prefix, never on
the send path's cold start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from mailpass import errors as e
from mailpass.schemas import StrictModel
from pydantic import BaseModel, ConfigDict, Field

from mailpass_api.contract import example, failures, json_body
from mailpass_api.deps import API, Services, SettingsPrincipal, blocking, ok, parse_body
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/domains", tags=["domains"])

DomainId = Annotated[
    str, Path(pattern=r"^dom_[0-9a-f]{24}$", description="The domain's id (`dom_...`).")
]


class DomainCreate(StrictModel):
    """POST /api/v1/domains"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=300,
            description="The domain to send from, e.g. `mail.acme.com` (internationalized "
            "names are stored in their ASCII form).",
        ),
    ]


class DnsRecord(BaseModel):
    type: Literal["CNAME", "TXT", "MX"]
    name: str
    value: str = Field(description='For MX: "<preference> <host>".')
    purpose: Literal["dkim", "ownership", "spf", "mail_from", "dmarc"]
    required: bool = Field(description="Needed for verification (dkim, ownership).")
    status: Literal["pending", "verified", "failed", "temporary_failure"]
    reason: str | None


class DomainFeedback(BaseModel):
    delivered: int
    bounced: int = Field(description="Hard bounces.")
    complained: int
    bounce_rate: float | None = Field(description="bounced / (delivered + bounced).")


class DomainStats(BaseModel):
    """The usage counters' view of the domain (GET /stats?domain=), over the last `days`."""

    days: int
    sent: int
    delivered: int
    bounced: int = Field(description="Hard bounces.")
    complained: int
    bounce_rate: float | None = Field(description="bounced / sent; null when nothing was sent.")
    complaint_rate: float | None = Field(
        description="complained / sent; null when nothing was sent."
    )


class Domain(BaseModel):
    domain_id: str
    name: str
    status: Literal["pending", "verified", "failed", "temporary_failure"]
    records: list[DnsRecord]
    failure_reason: str | None
    created_at: str | None
    verified_at: str | None
    last_checked_at: str | None
    next_check_at: str | None
    feedback: DomainFeedback
    stats: DomainStats = Field(
        description="Mail sent from the domain (and its subdomains) in the last 30 days."
    )


class DomainList(BaseModel):
    domains: list[Domain]


class DomainDeleted(BaseModel):
    deleted: str


class DomainResponse(Ok[Domain]):
    pass


class DomainListResponse(Ok[DomainList]):
    pass


class DomainDeletedResponse(Ok[DomainDeleted]):
    pass


DOMAIN_EXAMPLE = {
    "domain_id": "dom_3f1c0a9e5b7d2c4e6a8b0d1f",
    "name": "mail.acme.com",
    "status": "pending",
    "records": [
        {
            "type": "CNAME",
            "name": "abc123._domainkey.mail.acme.com",
            "value": "abc123.dkim.amazonses.com",
            "purpose": "dkim",
            "required": True,
            "status": "pending",
            "reason": None,
        },
        {
            "type": "TXT",
            "name": "_mailpass.mail.acme.com",
            "value": "mailpass-verification=Qm9vdHN0cmFwIHRva2Vu",
            "purpose": "ownership",
            "required": True,
            "status": "pending",
            "reason": None,
        },
    ],
    "failure_reason": None,
    "created_at": "2026-01-30T12:00:00",
    "verified_at": None,
    "last_checked_at": None,
    "next_check_at": "2026-01-30T12:05:00",
    "feedback": {"delivered": 0, "bounced": 0, "complained": 0, "bounce_rate": None},
    "stats": {
        "days": 30,
        "sent": 0,
        "delivered": 0,
        "bounced": 0,
        "complained": 0,
        "bounce_rate": None,
        "complaint_rate": None,
    },
}


def _with_stats(c: Services, account_id: str, domains: list[dict[str, Any]]) -> None:
    """Each domain's bounce and complaint rates, from one read of the usage counters."""
    summaries = c.stats.domain_summaries(account_id, [d["name"] for d in domains])
    for d in domains:
        d["stats"] = summaries[d["name"]]


def _one(
    c: Services, account_id: str, use_case: Callable[[str, str], dict[str, Any]], arg: str
) -> dict[str, Any]:
    """A use case's domain, with its stats (every answer that is a domain carries them)."""
    data = use_case(account_id, arg)
    _with_stats(c, account_id, [data])
    return data


@router.post(
    "",
    status_code=201,
    operation_id="createDomain",
    summary="Add a sender domain; the answer lists the DNS records to publish",
    description="Creates the domain's SES identity (Easy DKIM) and an ownership token of this "
    "account's own. Publish the records, then verify (or wait: pending domains are checked "
    "again, less and less often, for 72 hours). SES providers send only from verified domains.",
    response_model=DomainResponse,
    responses={
        201: {
            "content": example(DOMAIN_EXAMPLE),
            "links": {
                "GetDomain": {
                    "operationId": "getDomain",
                    "parameters": {"domain_id": "$response.body#/data/domain_id"},
                },
                "VerifyDomain": {
                    "operationId": "verifyDomain",
                    "parameters": {"domain_id": "$response.body#/data/domain_id"},
                },
                "DeleteDomain": {
                    "operationId": "deleteDomain",
                    "parameters": {"domain_id": "$response.body#/data/domain_id"},
                },
            },
        },
        **failures(e.ValidationFailed, e.Conflict, e.PayloadTooLarge),
    },
    openapi_extra=json_body(
        DomainCreate, {"subdomain": {"summary": "A subdomain", "value": {"name": "mail.acme.com"}}}
    ),
)
async def create_domain(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    body = await parse_body(request, DomainCreate)
    return ok(await blocking(request, _one, c, principal.account_id, c.domains.create, body.name))


@router.get(
    "",
    operation_id="listDomains",
    summary="The account's sender domains",
    response_model=DomainListResponse,
    responses={200: {"content": example({"domains": [DOMAIN_EXAMPLE]})}, **failures()},
)
async def list_domains(
    request: Request, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    def listing() -> dict[str, Any]:
        data = c.domains.list_all(principal.account_id)
        _with_stats(c, principal.account_id, data["domains"])
        return data

    return ok(await blocking(request, listing))


@router.get(
    "/{domain_id}",
    operation_id="getDomain",
    summary="One domain, its records and their last check",
    response_model=DomainResponse,
    responses={
        200: {"content": example(DOMAIN_EXAMPLE)},
        **failures(e.ValidationFailed, e.NotFound),
    },
)
async def get_domain(
    request: Request, domain_id: DomainId, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, _one, c, principal.account_id, c.domains.get, domain_id))


@router.post(
    "/{domain_id}/verify",
    operation_id="verifyDomain",
    summary="Check the domain's DNS records and SES's DKIM now",
    description="Verified once this account's ownership TXT record is found and SES reports "
    "DKIM verified. Each record shows its own status and, when not verified, why.",
    response_model=DomainResponse,
    responses={
        200: {"content": example({**DOMAIN_EXAMPLE, "status": "verified"})},
        **failures(e.ValidationFailed, e.NotFound),
    },
)
async def verify_domain(
    request: Request, domain_id: DomainId, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, _one, c, principal.account_id, c.domains.verify, domain_id))


@router.delete(
    "/{domain_id}",
    operation_id="deleteDomain",
    summary="Remove a sender domain",
    description="SES providers of this account can no longer send from it. The SES identity is "
    "removed when no other account has the domain.",
    response_model=DomainDeletedResponse,
    responses={
        200: {"content": example({"deleted": "dom_3f1c0a9e5b7d2c4e6a8b0d1f"})},
        **failures(e.ValidationFailed, e.NotFound),
    },
)
async def delete_domain(
    request: Request, domain_id: DomainId, principal: SettingsPrincipal, c: Services
) -> dict[str, Any]:
    return ok(await blocking(request, c.domains.delete, principal.account_id, domain_id))
