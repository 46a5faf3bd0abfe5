"""The one place where errors become the contract's envelope:
{"success": false, "error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from mailpass.errors import MailPassError, Unauthorized
from mailpass.observability import logger
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


def envelope(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"success": False, "error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        out.append(
            {
                "field": ".".join(loc) or "body",
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return out


def validation_response(errors: list[Any]) -> JSONResponse:
    if any(e.get("type") == "json_invalid" for e in errors):
        return envelope(
            400,
            "VALIDATION_ERROR",
            "The request body is not valid JSON",
            validation_details(errors),
        )
    return envelope(400, "VALIDATION_ERROR", "The request is not valid", validation_details(errors))


def install(app: FastAPI) -> None:
    @app.exception_handler(MailPassError)
    async def _domain(_: Request, exc: MailPassError) -> JSONResponse:
        headers = dict(exc.headers)
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        return envelope(exc.http_status, exc.code, exc.message, exc.details, headers or None)

    @app.exception_handler(ValidationError)
    async def _pydantic(_: Request, exc: ValidationError) -> JSONResponse:
        return validation_response(list(exc.errors(include_url=False)))

    @app.exception_handler(RequestValidationError)
    async def _fastapi(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422 is a 400 VALIDATION_ERROR in our contract.
        return validation_response(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        code = codes.get(exc.status_code, "HTTP_ERROR")
        message = "No such endpoint" if exc.status_code == 404 else str(exc.detail)
        return envelope(exc.status_code, code, message, None, dict(exc.headers or {}) or None)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return envelope(500, "INTERNAL_ERROR", "Internal error")
