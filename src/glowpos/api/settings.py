"""The business's settings and its GST rates: anyone on the staff may read them; only the
owner changes them (enforced in the services). Every change is in the audit log."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field

from glowpos.catalog.models import TaxRate
from glowpos.catalog.services import set_tax_rate
from glowpos.tenancy.services import update_settings

router = Router(tags=["settings"])
BasisPoints = Annotated[int, Field(ge=0, le=10000, strict=True, description="Basis points: 1000 = 10 %.")]


class SettingsPatch(Schema):
    round_off_to_rupee: Annotated[bool, Field(strict=True)] | None = None
    discount_limit_bp: BasisPoints | None = None
    cancellation_fee_bp: BasisPoints | None = None


class TaxRateIn(Schema):
    code: Annotated[str, Field(min_length=4, max_length=8, pattern=r"^\d{4,8}$", description="SAC or HSN.")]
    rate_bp: BasisPoints
    effective_from: date
    exempt: bool = False
    description: Annotated[str, Field(max_length=200)] = ""


def _settings(business) -> dict:
    return {"name": business.name, "round_off_to_rupee": business.round_off_to_rupee,
            "discount_limit_bp": business.discount_limit_bp, "cancellation_fee_bp": business.cancellation_fee_bp}


def _rate(rate: TaxRate) -> dict:
    return {"id": rate.id, "code": rate.code, "rate_bp": rate.rate_bp, "exempt": rate.exempt,
            "effective_from": rate.effective_from.isoformat(), "description": rate.description}


@router.get("/settings")
def get_settings(request) -> dict:
    return _settings(request.staff.business)


@router.patch("/settings")
def change_settings(request, payload: SettingsPatch) -> dict:
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return _settings(update_settings(by=request.staff, **changes))


@router.get("/tax-rates")
def tax_rates(request) -> list[dict]:
    rates = TaxRate.objects.filter(business=request.staff.business).order_by("code", "effective_from")
    return [_rate(r) for r in rates]


@router.post("/tax-rates", response={201: dict})
def add_tax_rate(request, payload: TaxRateIn):
    rate = set_tax_rate(by=request.staff, code=payload.code, rate_bp=payload.rate_bp,
                        effective_from=payload.effective_from, exempt=payload.exempt,
                        description=payload.description)
    return Status(201, _rate(rate))
