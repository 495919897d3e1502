"""Issued documents (tax invoice, redemption note, credit note …) and their number series.

An issued document is immutable: corrections are new documents (credit notes). The model
refuses updates and deletes, and database triggers refuse them too (migration 0002).
Numbers are consecutive per series with no gaps and no reuse: the series row is locked and
advanced inside the same transaction that closes the bill.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from glowpos.db import InsertsReused
from glowpos.tenancy.models import Branch, Business, StaffMember


class DocumentKind(models.TextChoices):
    TAX_INVOICE = "tax_invoice", "Tax invoice"
    BILL_OF_SUPPLY = "bill_of_supply", "Bill of supply"
    INVOICE_CUM_BILL_OF_SUPPLY = "invoice_cum_bill_of_supply", "Invoice-cum-bill of supply"
    REDEMPTION_NOTE = "redemption_note", "Redemption note"
    CREDIT_NOTE = "credit_note", "Credit note"
    RECEIPT_VOUCHER = "receipt_voucher", "Receipt voucher"
    REFUND_VOUCHER = "refund_voucher", "Refund voucher"


class DocumentSeries(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    fy = models.CharField(max_length=5, help_text="Financial year label, e.g. 25-26.")
    prefix = models.CharField(max_length=5)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "document series"
        constraints = [
            models.UniqueConstraint(fields=["branch", "kind", "fy"], name="series_unique"),
            models.UniqueConstraint(fields=["branch", "prefix", "fy"], name="series_prefix_unique"),
        ]


class ImmutableError(Exception):
    pass


class Document(InsertsReused):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    series = models.ForeignKey(DocumentSeries, on_delete=models.PROTECT)
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    seq = models.PositiveIntegerField()
    number = models.CharField(max_length=16)
    date = models.DateField()
    issued_at = models.DateTimeField()
    bill = models.ForeignKey("billing.Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections",
        help_text="For a credit note: the document it corrects.",
    )
    taxable = models.BigIntegerField()
    cgst = models.BigIntegerField()
    sgst = models.BigIntegerField()
    igst = models.BigIntegerField()
    round_off = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    snapshot = models.JSONField(help_text="Everything printed on the document, as issued.")
    receipt_token = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "seq"], name="document_seq_unique"),
            models.UniqueConstraint(fields=["branch", "number"], name="document_number_unique"),
            models.CheckConstraint(condition=Q(number__regex=r"^[A-Z0-9/-]{1,16}$"), name="document_number_format"),
            models.CheckConstraint(
                condition=Q(total=models.F("taxable") + models.F("cgst") + models.F("sgst")
                            + models.F("igst") + models.F("round_off")),
                name="document_total_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["business", "date"], name="document_date_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("An issued document is never changed; issue a credit note.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("An issued document is never deleted; issue a credit note.")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"
