"""Routes. Thin: authenticate, parse, call the use case, shape the response."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from mailpass.container import Container, get_container
from mailpass.errors import MailPassError, NotFound, ValidationFailed
from mailpass.models import Permission, Principal
from mailpass.schemas import BatchRequest, SendRequest, WebhookCreate
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
SettingsPrincipal = Annotated[Principal, Depends(require(Permission.SETTINGS))]
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
    async def send(
        request: Request, response: Response, principal: MailPrincipal, c: Services
    ) -> dict[str, Any]:
        body = await parse_body(request, SendRequest)

        base = public_base(request)

        def work() -> dict[str, Any]:
            result = c.sending.send(principal, body, base)
            data = {
                "message_id": result.message_id,
                "status": result.status,
                "to": result.to,
                "from": result.from_email,
            }
            return {"data": data, "headers": result.rate.headers() if result.rate else {}}

        out = await once(request, response, principal, c, "send", work)
        response.headers.update(out["headers"])
        return ok(out["data"])

    @app.post(f"{API}/mail/send-batch")
    async def send_batch(
        request: Request, response: Response, principal: MailPrincipal, c: Services
    ) -> dict[str, Any]:
        body = await parse_body(request, BatchRequest)
        out = await once(
            request,
            response,
            principal,
            c,
            "send-batch",
            lambda: {"data": c.batch.enqueue(principal, body, public_base(request))},
        )
        return ok(out["data"])

    @app.get(f"{API}/mail/status/{{message_id:path}}")
    async def status(
        request: Request, message_id: str, principal: MailPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.status.get, principal, message_id))

    providers_routes(app)
    tracking_routes(app)

    @app.post(f"{API}/webhooks", status_code=201)
    async def create_webhook(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        body = await parse_body(request, WebhookCreate)
        return ok(
            await blocking(
                request, c.webhooks.create, principal.account_id, body.url, list(body.event_types)
            )
        )

    @app.get(f"{API}/webhooks")
    async def list_webhooks(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.webhooks.list_all, principal.account_id))

    @app.delete(f"{API}/webhooks/{{webhook_id}}")
    async def delete_webhook(
        request: Request, webhook_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.webhooks.delete, principal.account_id, webhook_id))

    @app.get(f"{API}/suppressions")
    async def list_suppressions(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.feedback.suppressions, principal.account_id))

    @app.delete(f"{API}/suppressions/{{email}}")
    async def remove_suppression(
        request: Request, email: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.feedback.unsuppress, principal.account_id, email))

    return app


def public_base(request: Request) -> str:
    """The URL this API is reached at, for links that must come back to it."""
    return str(request.base_url).rstrip("/")


def caller_ip(request: Request) -> str | None:
    # Mangum puts API Gateway's requestContext.http.sourceIp here; uvicorn, the peer.
    return request.client.host if request.client else None


NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}


def tracking_routes(app: FastAPI) -> None:
    """Hit by mail clients, unauthenticated: the signed token is the only thing trusted."""

    @app.get(f"{API}/track/open/{{token}}", include_in_schema=False)
    async def track_open(request: Request, token: str, c: Services) -> Response:
        from mailpass.tracking import PIXEL_GIF

        ua = request.headers.get("user-agent")
        await blocking(request, c.tracking.record, token, caller_ip(request), ua)
        # The pixel either way: a mail client shows nothing whatever happened.
        return Response(PIXEL_GIF, media_type="image/gif", headers=NO_STORE)

    @app.get(f"{API}/track/click/{{token}}", include_in_schema=False)
    async def track_click(request: Request, token: str, c: Services) -> Response:
        ua = request.headers.get("user-agent")
        tracked = await blocking(request, c.tracking.record, token, caller_ip(request), ua)
        if tracked is None or tracked.url is None:
            # No redirect for anything we did not sign ourselves: not an open redirect.
            raise NotFound("No such link")
        return Response(status_code=302, headers={"Location": tracked.url, **NO_STORE})


def providers_routes(app: FastAPI) -> None:
    """/smtp-providers: the spec's "dashboard > SMTP settings", as an API (permission settings)."""
    base = f"{API}/smtp-providers"

    @app.get(base)
    async def list_providers(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.providers.list_all, principal.account_id))

    @app.post(base, status_code=201)
    async def create_provider(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        from mailpass.provider_schemas import ProviderCreate

        body = await parse_body(request, ProviderCreate)
        return ok(await blocking(request, c.providers.create, principal.account_id, body))

    @app.put(f"{base}/fallbacks")
    async def set_fallbacks(
        request: Request, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        from mailpass.provider_schemas import FallbackOrder

        body = await parse_body(request, FallbackOrder)
        return ok(
            await blocking(
                request, c.providers.set_fallbacks, principal.account_id, list(body.provider_ids)
            )
        )

    @app.get(f"{base}/{{provider_id}}")
    async def get_provider(
        request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.providers.get, principal.account_id, provider_id))

    @app.patch(f"{base}/{{provider_id}}")
    async def update_provider(
        request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        from mailpass.provider_schemas import ProviderUpdate

        body = await parse_body(request, ProviderUpdate)
        return ok(
            await blocking(request, c.providers.update, principal.account_id, provider_id, body)
        )

    @app.delete(f"{base}/{{provider_id}}")
    async def delete_provider(
        request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.providers.delete, principal.account_id, provider_id))

    @app.post(f"{base}/{{provider_id}}/default")
    async def make_default(
        request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(
            await blocking(request, c.providers.set_default, principal.account_id, provider_id)
        )

    @app.post(f"{base}/{{provider_id}}/test")
    async def test_provider(
        request: Request, provider_id: str, principal: SettingsPrincipal, c: Services
    ) -> dict[str, Any]:
        return ok(await blocking(request, c.providers.test, principal.account_id, provider_id))
