"""Reading the ledger: balances as of a date, the trial balance."""
from __future__ import annotations

from datetime import date

from django.db.models import Sum

from glowpos.ledger.models import Posting
from glowpos.tenancy.models import Business


def balance(*, business: Business, account: str, as_of: date) -> int:
    """Signed balance (debit positive) of an account at the end of `as_of`."""
    total = Posting.objects.filter(
        account__business=business, account__code=account, date__lte=as_of
    ).aggregate(s=Sum("amount"))["s"]
    return total or 0


def trial_balance(*, business: Business, as_of: date) -> dict[str, int]:
    rows = (
        Posting.objects.filter(account__business=business, date__lte=as_of)
        .values("account__code")
        .annotate(s=Sum("amount"))
    )
    return {r["account__code"]: r["s"] for r in rows}
