"""Routes. Thin: authenticate, parse, call the use case, shape the response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from mailpass.container import Container, get_container
from mailpass.errors import ValidationFailed
from mailpass.models import Permission, Principal
from mailpass.schemas import SendRequest
from mailpass.settings import get_settings
from pydantic import ValidationError

from mailpass_api import errors
from mailpass_api.errors import validation_details
from mailpass_api.limits import BodySizeLimit

API = "/api/v1"


async def container() -> Container:
    """The seam tests override to run the routes on in-memory fakes. Async on purpose: it does no
    I/O, and a sync dependency would cost a thread-pool hop on every request."""
    return get_container()


def require(permission: Permission) -> Callable[..., Principal]:
    def dependency(request: Request, c: Annotated[Container, Depends(container)]) -> Principal:
        return c.auth.authenticate(request.headers.get("authorization"), permission)

    return dependency


MailPrincipal = Annotated[Principal, Depends(require(Permission.MAIL))]
Services = Annotated[Container, Depends(container)]


async def parse_body[M: SendRequest](request: Request, model: type[M]) -> M:
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


def create_app(max_request_bytes: int | None = None) -> FastAPI:
    app = FastAPI(
        title="MailPass",
        version="1.0",
        description="Transactional email API",
        docs_url=f"{API}/docs",
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
    )
    errors.install(app)
    if max_request_bytes is None:
        max_request_bytes = get_settings().max_request_bytes
    app.add_middleware(BodySizeLimit, limit=max_request_bytes)

    @app.post(f"{API}/mail/send")
    async def send(request: Request, principal: MailPrincipal, c: Services) -> dict[str, Any]:
        body = await parse_body(request, SendRequest)
        result = await run_in_threadpool(c.sending.send, principal, body)
        return ok(
            {
                "message_id": result.message_id,
                "status": result.status,
                "to": result.to,
                "from": result.from_email,
            }
        )

    @app.get(f"{API}/mail/status/{{message_id:path}}")
    def status(message_id: str, principal: MailPrincipal, c: Services) -> dict[str, Any]:
        return ok(c.status.get(principal, message_id))

    return app
