"""The counter's words for every refusal: one place maps a DomainError's code to a headline.

The sentence under the headline is the error's own `detail` (it names the package, the
amounts, the field); the headline says in two or three words what kind of problem it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from glowpos.errors import DomainError

HEADLINES = {
    "package_exhausted": "No sessions left",
    "package_expired": "Package expired",
    "package_frozen": "Package frozen",
    "package_not_active": "Package not active",
    "package_not_applicable": "Not part of this package",
    "interval_too_short": "Too soon since the last session",
    "package_has_holds": "Sessions are held on an open bill",
    "payment_mismatch": "Payment does not match the amount due",
    "bill_not_open": "This bill is already closed",
    "bill_empty": "Nothing on the bill yet",
    "idempotency_conflict": "Already submitted",
    "validation_error": "Please check what was typed",
    "duplicate_client": "Already a client",
    "forbidden": "Not allowed for your role",
    "not_found": "Not found",
    "tax_rate_missing": "Tax rate missing",
    "throttled": "Login locked for a while",
    "invalid_credentials": "Could not log in",
}

# What a front desk should do next, where the detail alone does not say it.
HINTS = {
    "bill_not_open": "It was probably closed on another terminal. Nothing was changed here.",
    "package_exhausted": "Nothing was added to the bill.",
    "package_expired": "Nothing was added to the bill. A manager can extend it.",
    "package_frozen": "Nothing was added to the bill.",
    "interval_too_short": "Nothing was added to the bill.",
    "payment_mismatch": "Nothing was charged. Correct the amounts and close again.",
}


@dataclass(frozen=True)
class Problem:
    code: str
    headline: str
    detail: str
    hint: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 409


def problem(exc: DomainError) -> Problem:
    return Problem(
        code=exc.code, headline=HEADLINES.get(exc.code, "That did not work"), detail=exc.detail,
        hint=HINTS.get(exc.code, ""), fields=dict(exc.fields), status=exc.status,
    )
