"""The double-entry ledger. Amounts are signed paise: debit positive, credit negative.

Invariants: the postings of an entry sum to zero (checked by post() and by a test over every
entry); entries and postings are never updated or deleted (model guards and database
triggers); a correction is a new entry that reverses the old one.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from glowpos.db import InsertsReused
from glowpos.tenancy.models import Branch, Business, StaffMember


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"


class Account(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=AccountType.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "code"], name="account_code_unique")]

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    SALE = "sale", "Sale"
    REDEMPTION = "redemption", "Revenue recognised on redemption"
    BREAKAGE = "breakage", "Breakage"
    REFUND = "refund", "Refund"
    OPENING = "opening", "Opening balance"


class LedgerImmutable(Exception):
    pass


class JournalEntry(InsertsReused):
    business = models.ForeignKey(Business, on_delete=models.PROTECT)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    memo = models.CharField(max_length=300)
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.PROTECT)
    package = models.ForeignKey(
        "packages.ClientPackage", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The package whose deferred revenue this entry moves (breakage, refund), if one.",
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["business", "date"], name="entry_date_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutable("Journal entries are never changed; post a reversing entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("Journal entries are never deleted; post a reversing entry.")


class Posting(InsertsReused):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    # Copied from the entry so balances "as of a date" are one indexed range per account.
    date = models.DateField()
    amount = models.BigIntegerField(help_text="Paise; debit positive, credit negative.")

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero")]
        # In posting order within an account and day: a balance "as of" is a range of it, and the
        # general ledger's first page (running balance, LIMIT) reads it in order and stops.
        indexes = [models.Index(fields=["account", "date", "entry", "id"], name="posting_account_date_entry_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutable("Postings are never changed; post a reversing entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("Postings are never deleted; post a reversing entry.")
