"""Open bills and their lines and payments. A bill is editable while open; closing it issues
an immutable document (documents app) and posts the ledger; after that only a void changes it.
"""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from glowpos.db import InsertsReused
from glowpos.catalog.models import PackagePlan, Product, Service
from glowpos.clients.models import Client
from glowpos.tenancy.models import Branch, Business, StaffMember


class BillStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    VOIDED = "voided", "Voided"


class Bill(InsertsReused):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="bills")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="bills")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="bills")
    status = models.CharField(max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN)
    opened_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    ship_to_state_code = models.CharField(
        max_length=2, blank=True,
        help_text="Goods shipped to another state are inter-state supplies (IGST); blank: over the counter.",
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    close_fingerprint = models.CharField(max_length=64, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="bill_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="bill_closed_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["business", "status", "opened_at"], name="bill_status_idx"),
            # The day at the counter (bills closed today): a range of one day, not a scan of years.
            models.Index(fields=["business", "status", "closed_at"], name="bill_closed_idx"),
        ]


class LineType(models.TextChoices):
    SERVICE = "service", "Service"
    PRODUCT = "product", "Product"
    PACKAGE_SALE = "package_sale", "Package sale"
    REDEMPTION = "redemption", "Redemption"


class BillLine(InsertsReused):
    """Amounts in paise. `amount` is what the client pays for the line, tax included."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    type = models.CharField(max_length=20, choices=LineType.choices)
    description = models.CharField(max_length=300)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    plan = models.ForeignKey(PackagePlan, null=True, blank=True, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.BigIntegerField(default=0)
    discount = models.BigIntegerField(default=0, help_text="Paise off unit price × quantity, tax-inclusive.")
    amount = models.BigIntegerField(default=0, help_text="Paise: unit price × quantity − discount.")
    code = models.CharField(max_length=8, blank=True, help_text="SAC or HSN.")
    rate_bp = models.PositiveIntegerField(default=0)
    exempt = models.BooleanField(default=False)
    taxable = models.BigIntegerField(default=0)
    cgst = models.BigIntegerField(default=0)
    sgst = models.BigIntegerField(default=0)
    igst = models.BigIntegerField(default=0)
    practitioner = models.ForeignKey(
        "tenancy.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="performed_lines",
        help_text="Who performs the service or the session (reports: sessions by practitioner).",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(practitioner__isnull=True) | Q(type__in=["service", "redemption"]),
                name="line_practitioner_only_on_treatments",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("taxable") + F("cgst") + F("sgst") + F("igst")),
                name="line_amount_is_taxable_plus_tax",
            ),
            models.CheckConstraint(
                condition=~Q(type="redemption") | Q(amount=0), name="line_redemption_is_free"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(amount=F("unit_price") * F("quantity") - F("discount")),
                name="line_amount_is_price_less_discount",
            ),
        ]


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    UPI = "upi", "UPI"
    CREDIT = "credit", "Package credit"


class Payment(InsertsReused):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = models.BigIntegerField(help_text="Paise.")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0")]


class LineCredit(models.Model):
    """Part of a closed bill's line given back on a credit note (refund or price correction).
    The sum per line never exceeds what the line charged (checked under the bill's lock)."""

    line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="credits")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(help_text="Paise, tax-inclusive.")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="line_credit_gt_0")]
