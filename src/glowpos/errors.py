"""The base of every refusal a business action can give.

A DomainError carries a stable machine-readable `code` and the HTTP status the API maps it
to; the API (api/errors.py) and the screens turn it into a message in one place each.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 409

    def __init__(self, detail: str, *, fields: dict[str, str] | None = None, **extra: object):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}
        self.extra = extra


class ValidationFailed(DomainError):
    """Bad input: names the field(s) and what is wrong with each."""

    code = "validation_error"
    status = 422


class NotFound(DomainError):
    """Unknown, or belonging to another business: the two are indistinguishable on purpose."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
