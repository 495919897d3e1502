"""Every refusal becomes the API's error body in this one place:
{"code": "<snake_case>", "detail": "<sentence>", "fields": {...}?}"""
from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from glowpos.errors import DomainError

log = logging.getLogger(__name__)


def body(code: str, detail: str, fields: dict | None = None, **extra) -> dict:
    data = {"code": code, "detail": detail}
    if fields:
        data["fields"] = fields
    data.update(extra)
    return data


def _field_name(loc) -> str:
    # ninja locations look like ("body", "payload", "payments", 0, "amount"): keep what the client sent.
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, body(exc.code, exc.detail, exc.fields, **exc.extra), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields = {}
        for err in exc.errors:
            fields[_field_name(err.get("loc", ()))] = err.get("msg", "Invalid.")
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items()) or "Invalid request."
        return api.create_response(request, body("validation_error", detail, fields), status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request, body("unauthorized", "Send a valid token: Authorization: Bearer <token>."), status=401
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, body("not_found", "Not found."), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # Unparseable JSON is bad input like any other: 422 naming the body, as API.md says.
            return api.create_response(
                request, body("validation_error", "body: not valid JSON.", {"body": "Not valid JSON."}), status=422
            )
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 429: "throttled"}.get(exc.status_code, "error")
        return api.create_response(request, body(code, str(exc)), status=exc.status_code)
