"""Reading the catalog, and the tax rate of a code on a supply date."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import CharField, DateField, QuerySet

from glowpos.catalog.errors import TaxRateMissing
from glowpos.catalog.models import PackagePlan, Product, Service, TaxRate
from glowpos.db import Param, Reused, params, unique_row
from glowpos.errors import NotFound
from glowpos.tenancy.models import Business


@dataclass(frozen=True)
class Rate:
    code: str
    rate_bp: int
    exempt: bool


def rate_on(*, business: Business, code: str, on: date) -> Rate:
    """The rate in force on the supply date: the latest row effective on or before it."""
    row = (
        TaxRate.objects.filter(business=business, code=code, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if row is None:
        raise TaxRateMissing(f"No GST rate is configured for SAC/HSN {code} on {on}.")
    return Rate(code=code, rate_bp=row.rate_bp, exempt=row.exempt)


_RATES = Reused(lambda codes: (  # sent at every close that charges (ADR 0013)
    TaxRate.objects.filter(business_id=Param("business_id"), code__in=params("codes", codes, CharField()),
                           effective_from__lte=Param("on", DateField()))
    .order_by("code", "-effective_from").values_list("code", "rate_bp", "exempt")
))


def rates_on(*, business_id: int, codes: set[str], on: date) -> dict[str, Rate]:
    """The rates in force on the supply date for several codes, in one query (a code with no
    rate is left out: `rate_on` reports it)."""
    rates: dict[str, Rate] = {}
    for code, rate_bp, exempt in _RATES.all(business_id=business_id, codes=sorted(codes), on=on):
        rates.setdefault(code, Rate(code=code, rate_bp=rate_bp, exempt=exempt))
    return rates


def plan_rate_on(*, plan: PackagePlan, on: date) -> Rate:
    """A package is a mixed supply: taxed at its highest item rate unless the owner overrides."""
    items = list(plan.items.select_related("service"))
    rates = [rate_on(business=plan.business_id, code=i.service.sac, on=on) for i in items]
    top = max(rates, key=lambda r: r.rate_bp)
    if plan.tax_rate_override_bp is not None:
        return Rate(code=top.code, rate_bp=plan.tax_rate_override_bp, exempt=False)
    return top


def services(*, business: Business) -> QuerySet[Service]:
    return Service.objects.filter(business=business, active=True).order_by("name")


def products(*, business: Business) -> QuerySet[Product]:
    return Product.objects.filter(business=business, active=True).order_by("name")


def plans(*, business: Business) -> QuerySet[PackagePlan]:
    return (
        PackagePlan.objects.filter(business=business, active=True)
        .prefetch_related("items__service")
        .order_by("name")
    )


def _get(model, business: Business, obj_id: int, label: str):
    obj = unique_row(model.objects.filter(business=business, id=obj_id))
    if obj is None:
        raise NotFound(f"{label} not found.")
    return obj


def get_service(*, business: Business, service_id: int) -> Service:
    return _get(Service, business, service_id, "Service")


def get_product(*, business: Business, product_id: int) -> Product:
    return _get(Product, business, product_id, "Product")


def get_plan(*, business: Business, plan_id: int) -> PackagePlan:
    return _get(PackagePlan, business, plan_id, "Package plan")
