"""Routes. Thin: authenticate, parse, call the use case, shape the response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from mailpass.container import Container, get_container
from mailpass.errors import ValidationFailed
from mailpass.models import Permission, Principal
from mailpass.schemas import BatchRequest, SendRequest
from mailpass.settings import get_settings
from pydantic import BaseModel, ValidationError

from mailpass_api import errors
from mailpass_api.errors import validation_details
from mailpass_api.limits import BodySizeLimit

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


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request, c: Annotated[Container, Depends(container)]
    ) -> Principal:
        header = request.headers.get("authorization")
        return await blocking(request, c.auth.authenticate, header, permission)

    return dependency


MailPrincipal = Annotated[Principal, Depends(require(Permission.MAIL))]
Services = Annotated[Container, Depends(container)]


async def parse_body[M: BaseModel](request: Request, model: type[M]) -> M:
    # Parsed here rather than by FastAPI so authentication always answers first.
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        details = validation_details(list(exc.errors(include_url=False)))
        if any(d["type"] == "json_invalid" for d in details):
            raise ValidationFailed("The request body is not valid JSON", details) from None
        raise ValidationFailed("The request is not valid", details) from None


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def create_app(max_request_bytes: int | None = None, *, inline_blocking: bool = False) -> FastAPI:
    app = FastAPI(
        title="MailPass",
        version="1.0",
        description="Transactional email API",
        docs_url=f"{API}/docs",
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
    )
    app.state.inline_blocking = inline_blocking
    errors.install(app)
    if max_request_bytes is None:
        max_request_bytes = get_settings().max_request_bytes
    app.add_middleware(BodySizeLimit, limit=max_request_bytes)

    @app.post(f"{API}/mail/send")
    async def send(request: Request, principal: MailPrincipal, c: Services) -> dict[str, Any]:
        body = await parse_body(request, SendRequest)
        result = await blocking(request, c.sending.send, principal, body)
        return ok(
            {
                "message_id": result.message_id,
                "status": result.status,
                "to": result.to,
                "from": result.from_email,
            }
        )

    @app.post(f"{API}/mail/send-batch")
    async def send_batch(request: Request, principal: MailPrincipal, c: Services) -> dict[str, Any]:
        body = await parse_body(request, BatchRequest)
        return ok(await blocking(request, c.batch.enqueue, principal, body))

    @app.get(f"{API}/mail/status/{{message_id:path}}")
    async def status(
        request: Request, message_id: str, principal: MailPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.status.get, principal, message_id))

    return app
