"""/stats: the account's usage counts per hour or day (permission `mail`). Loaded on the first
request under its prefix, never on the send path's cold start."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from mailpass import errors as e
from pydantic import BaseModel, Field

from mailpass_api.contract import example, failures
from mailpass_api.deps import API, MailPrincipal, Services, blocking, ok
from mailpass_api.models import Ok

router = APIRouter(prefix=f"{API}/stats", tags=["stats"])


class StatsCounts(BaseModel):
    sent: int = Field(description="Messages a provider took (test keys' are not counted).")
    delivered: int = Field(description="Delivery notices (SES feedback).")
    failed: int = Field(
        description="Messages that ended failed: refused, suppressed, given up, rejected."
    )
    bounced: int = Field(description="Hard bounces.")
    complained: int
    opened: int = Field(description="Messages opened at least once (unique, not hits).")
    clicked: int = Field(description="Messages with at least one tracked click (unique).")


class StatsBucket(StatsCounts):
    start: str = Field(description="The bucket's start, in the offset `from` was given in.")


class StatsTotals(StatsCounts):
    bounce_rate: float | None = Field(description="bounced / sent; null when nothing was sent.")
    complaint_rate: float | None = Field(
        description="complained / sent; null when nothing was sent."
    )


class Stats(BaseModel):
    granularity: Literal["hour", "day"]
    from_: str = Field(alias="from", description="The first bucket's start.")
    until: str = Field(description="The last bucket's end (exclusive).")
    domain: str | None = Field(description="The sender domain counted, or null: all mail.")
    buckets: list[StatsBucket]
    totals: StatsTotals


class StatsResponse(Ok[Stats]):
    pass


_ZERO = dict.fromkeys(
    ("sent", "delivered", "failed", "bounced", "complained", "opened", "clicked"), 0
)
STATS_EXAMPLE = {
    "granularity": "day",
    "from": "2026-11-26T00:00:00+00:00",
    "until": "2026-11-28T00:00:00+00:00",
    "domain": None,
    "buckets": [
        {"start": "2026-11-26T00:00:00+00:00", **_ZERO},
        {
            "start": "2026-11-27T00:00:00+00:00",
            **_ZERO,
            "sent": 200,
            "delivered": 195,
            "failed": 1,
            "bounced": 3,
            "complained": 1,
            "opened": 80,
            "clicked": 12,
        },
    ],
    "totals": {
        **_ZERO,
        "sent": 200,
        "delivered": 195,
        "failed": 1,
        "bounced": 3,
        "complained": 1,
        "opened": 80,
        "clicked": 12,
        "bounce_rate": 0.015,
        "complaint_rate": 0.005,
    },
}


@router.get(
    "",
    operation_id="getStats",
    summary="Usage counts per hour or day, with bounce and complaint rates",
    description="From counters kept as the events happen (sends, SES feedback, first opens "
    "and clicks), never from scanning messages. `from` and `until` are RFC 3339 date-times "
    "with an offset; `from` is rounded down to its bucket, `until` (exclusive) up. Hour "
    "buckets are UTC hours, at most 7 days (default: the last 24 hours); day buckets start at "
    "midnight in `from`'s offset (a whole number of hours), at most 90 days (default: the "
    "last 7 days). Every bucket is listed, empty ones with zeros. `domain` counts only mail "
    "sent from that domain and its subdomains. Test keys' messages are not counted.",
    response_model=StatsResponse,
    response_model_by_alias=True,
    responses={200: {"content": example(STATS_EXAMPLE)}, **failures(e.ValidationFailed)},
)
async def get_stats(
    request: Request,
    principal: MailPrincipal,
    c: Services,
    *,
    start: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=64,
            description="RFC 3339 date-time with offset, e.g. `2026-11-20T00:00:00Z`.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(max_length=64, description="RFC 3339 date-time with offset; default now."),
    ] = None,
    granularity: Annotated[Literal["hour", "day"], Query()] = "day",
    domain: Annotated[
        str | None,
        Query(max_length=253, description="A sender domain, e.g. `acme.com`."),
    ] = None,
) -> dict[str, Any]:
    data = await blocking(
        request,
        lambda: c.stats.query(
            principal.account_id,
            start=start,
            until=until,
            granularity=granularity,
            domain=domain,
        ),
    )
    return ok(data)
