"""What every router shares: the container seam, authentication, body parsing, idempotency and the
success envelope. Imported on every cold start, so it stays light: no response models here."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from mailpass.container import Container, get_container
from mailpass.errors import MailPassError, ValidationFailed
from mailpass.models import Permission, Principal
from pydantic import BaseModel, ValidationError

from mailpass_api.errors import validation_details

API = "/api/v1"


async def container() -> Container:
    """The seam tests override to run the routes on in-memory fakes. Async on purpose: it does no
    I/O, and a sync dependency would cost a thread-pool hop on every request."""
    return get_container()


async def blocking[T](request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run blocking use-case code (DynamoDB, SMTP) the way the host wants it. Lambda serves one
    request per process, so there a thread-pool hop only adds latency (about 0.4 ms each); under
    uvicorn the pool keeps the event loop free for other requests."""
    if request.app.state.inline_blocking:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


# Declares the bearer scheme in the OpenAPI document. It never answers by itself
# (auto_error=False): the auth service does, with our envelope and the WWW-Authenticate challenge.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="mp_live_... (mp_test_... for test keys)",
    description="An API key: `Authorization: Bearer mp_live_...`. Test keys (`mp_test_...`) run "
    "the whole pipeline but never hand a message to a real provider.",
)


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request,
        c: Annotated[Container, Depends(container)],
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        header = request.headers.get("authorization")
        return await blocking(request, c.auth.authenticate, header, permission)

    return dependency


MailPrincipal = Annotated[Principal, Depends(require(Permission.MAIL))]
SettingsPrincipal = Annotated[Principal, Depends(require(Permission.SETTINGS))]
Services = Annotated[Container, Depends(container)]


async def parse_body[M: BaseModel](request: Request, model: type[M]) -> M:
    # Parsed here rather than by FastAPI so authentication always answers first. The routes
    # declare the body in the OpenAPI document themselves (mailpass_api.contract.json_body).
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        details = validation_details(list(exc.errors(include_url=False)))
        if any(d["type"] == "json_invalid" for d in details):
            raise ValidationFailed("The request body is not valid JSON", details) from None
        raise ValidationFailed("The request is not valid", details) from None


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,256}$")


async def once(
    request: Request,
    response: Response,
    principal: Principal,
    c: Container,
    scope: str,
    work: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run `work` once per Idempotency-Key (when the caller sent one): a repeat gets the first
    answer, marked `Idempotent-Replayed: true`."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return await blocking(request, work)
    if not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 256 visible ASCII characters",
            [{"field": "Idempotency-Key", "message": "invalid", "type": "value_error"}],
        )
    if c.idempotency is None:
        raise MailPassError("Idempotency-Key is not available: no idempotency table configured")
    ran: list[bool] = []

    def first() -> dict[str, Any]:
        ran.append(True)
        return work()

    raw = await request.body()
    context = request.scope.get("aws.context")  # Mangum's Lambda context; None under uvicorn
    out = await blocking(
        request, c.idempotency.run, scope, principal.account_id, key, raw, first, context
    )
    response.headers["Idempotent-Replayed"] = "false" if ran else "true"
    return out


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def public_base(request: Request) -> str:
    """The URL this API is reached at, for links that must come back to it."""
    return str(request.base_url).rstrip("/")


def caller_ip(request: Request) -> str | None:
    # Mangum puts API Gateway's requestContext.http.sourceIp here; uvicorn, the peer.
    return request.client.host if request.client else None
