"""Request bodies of the REST API. Responses are the selectors' plain data."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from ninja import Schema

Id = Annotated[int, Field(ge=1, le=2**53)]
# Strict: money is whole paise; 4500.0, "4500" or true must be refused, not coerced.
Paise = Annotated[int, Field(ge=1, le=10**13, strict=True, description="Paise (₹1 = 100).")]


class TokenIn(Schema):
    username: Annotated[str, Field(min_length=1, max_length=150)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class ClientIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(min_length=1, max_length=30)]
    email: Annotated[str, Field(max_length=254)] = ""
    gstin: Annotated[str, Field(max_length=20)] = ""
    address: Annotated[str, Field(max_length=500)] = ""
    state_code: Annotated[str, Field(max_length=2)] = ""


class ClientPatch(Schema):
    sms_opt_out: StrictBool | None = None
    email_opt_out: StrictBool | None = None
    whatsapp_opt_in: StrictBool | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    gstin: Annotated[str, Field(max_length=20)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    state_code: Annotated[str, Field(max_length=2)] | None = None


class BillIn(Schema):
    client_id: Id
    branch_id: Id | None = None
    ship_to_state_code: Annotated[str, Field(max_length=2)] = ""


class ApprovalIn(Schema):
    username: Annotated[str, Field(min_length=1, max_length=150)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class DiscountIn(Schema):
    amount: Annotated[int, Field(ge=0, le=10**13, description="Paise off, tax-inclusive.")]
    line_id: Id | None = None
    approval: ApprovalIn | None = None


class LineIn(Schema):
    type: Literal["service", "product", "package_sale", "redemption"]
    service_id: Id | None = None
    product_id: Id | None = None
    plan_id: Id | None = None
    package_id: Id | None = None
    quantity: Annotated[int, Field(ge=1, le=100)] = 1
    override_reason: Annotated[str, Field(max_length=300)] = ""
    approval: ApprovalIn | None = None
    practitioner_id: Id | None = Field(None, description="service or redemption: the staff member who performs it.")


class LinePatch(Schema):
    practitioner_id: Id | None = Field(description="Who performs the service or session; null: not recorded.")


class PaymentIn(Schema):
    method: Literal["cash", "card", "upi", "credit"]
    amount: Paise
    package_id: Id | None = Field(None, description="method credit: the value package to spend (face value).")


class CloseIn(Schema):
    # Required (API.md marks no "?"): a pure redemption sends [], so a missing or non-object body is refused.
    payments: Annotated[list[PaymentIn], Field(max_length=20)]


class VoidIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=300)]


class RefundIn(Schema):
    line_id: Id
    amount: Paise
    reason: Annotated[str, Field(min_length=1, max_length=300)]
    method: Literal["cash", "card", "upi"]
