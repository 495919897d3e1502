"""What a business sells: services, products, package plans, and the tax rates that apply.

Tax rates are effective-dated configuration per SAC/HSN code, never constants in code.
"""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from glowpos.db import MadeFromRows
from glowpos.tenancy.models import Business


class TaxRate(models.Model):
    """The GST rate of a SAC/HSN code from `effective_from` until the next row's date."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="tax_rates")
    code = models.CharField(max_length=8, help_text="SAC (services) or HSN (goods).")
    rate_bp = models.PositiveIntegerField(help_text="Basis points: 1800 = 18 %.")
    exempt = models.BooleanField(default=False, help_text="Exempt supply (e.g. healthcare).")
    effective_from = models.DateField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "code", "effective_from"], name="tax_rate_unique_date"
            ),
            models.CheckConstraint(condition=Q(rate_bp__lte=10000), name="tax_rate_bp_range"),
            models.CheckConstraint(
                condition=Q(exempt=False) | Q(rate_bp=0), name="tax_rate_exempt_is_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.rate_bp / 100:g}% from {self.effective_from}"


class Service(MadeFromRows, models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    sac = models.CharField(max_length=8)
    price = models.BigIntegerField(help_text="Paise, tax-inclusive.")
    min_interval_days = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="service_price_gte_0")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    hsn = models.CharField(max_length=8)
    price = models.BigIntegerField(help_text="Paise, tax-inclusive.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0")]

    def __str__(self) -> str:
        return self.name


class PlanKind(models.TextChoices):
    BUNDLE = "bundle", "Session bundle"
    MULTI = "multi", "Multi-service bundle"
    VALUE = "value", "Value / credit package"
    MEMBERSHIP = "membership", "Membership"


class PackagePlan(MadeFromRows, models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="plans")
    code = models.CharField(max_length=20, help_text="Short name on documents, e.g. LHR-6.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PlanKind.choices, default=PlanKind.BUNDLE)
    price = models.BigIntegerField(help_text="Paise, tax-inclusive.")
    validity_days = models.PositiveIntegerField()
    credit_value = models.BigIntegerField(
        null=True, blank=True, help_text="Value packages: paise of credit to spend (≥ price; the excess is a bonus)."
    )
    member_discount_bp = models.PositiveIntegerField(
        default=0, help_text="Memberships: discount on services while a period is active (basis points)."
    )
    rollover = models.BooleanField(
        default=False, help_text="Memberships: unused credits carry into the next period when renewed."
    )
    tax_rate_override_bp = models.PositiveIntegerField(
        null=True, blank=True, help_text="Owner's override of the mixed-supply rule (highest item rate)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="plan_code_unique"),
            models.CheckConstraint(condition=Q(price__gt=0), name="plan_price_gt_0"),
            models.CheckConstraint(
                condition=~Q(kind="value") | Q(credit_value__gte=F("price")), name="plan_value_credit_covers_price"
            ),
        ]

    @property
    def is_value(self) -> bool:
        return self.kind == PlanKind.VALUE

    @property
    def is_membership(self) -> bool:
        return self.kind == PlanKind.MEMBERSHIP

    def __str__(self) -> str:
        return self.name


class PackagePlanItem(models.Model):
    plan = models.ForeignKey(PackagePlan, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    units = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "service"], name="plan_item_unique"),
            models.CheckConstraint(condition=Q(units__gt=0), name="plan_item_units_gt_0"),
        ]
