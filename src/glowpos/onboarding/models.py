"""What an import wrote, so that importing the same file again changes nothing.

ImportBatch: one committed file (its sha256 is unique per business: the same file twice is
recognised at once). ImportedRow: one package row of it, keyed by what identifies the package
(client's phone, plan, purchase date, sessions, amount): a corrected file imported again skips
the rows already in and adds only the new ones.
"""
from __future__ import annotations

from django.db import models

from glowpos.tenancy.models import Branch, Business, StaffMember


class ImportBatch(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="imports")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, help_text="Whose books the opening balance is in.")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    size = models.PositiveIntegerField(help_text="Bytes.")
    rows = models.PositiveIntegerField(help_text="Data rows in the file.")
    by = models.ForeignKey(StaffMember, on_delete=models.PROTECT)
    at = models.DateTimeField()
    opening_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Dr opening balance equity / Cr deferred revenue: the unused value of the packages.",
    )
    report = models.JSONField(default=dict, help_text="Counts, and the rows skipped with their reasons.")

    class Meta:
        verbose_name_plural = "import batches"
        constraints = [models.UniqueConstraint(fields=["business", "sha256"], name="import_file_once")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.at:%d %b %Y})"


class ImportedRow(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="imported_rows")
    row = models.PositiveIntegerField(help_text="Row number in the file (the header is row 1).")
    key = models.CharField(max_length=64, help_text="sha256 of what identifies the package.")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey("packages.ClientPackage", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "key"], name="imported_row_once")]
