"""Reports read through selectors only (aggregates in SQL), so they can be pointed at a replica."""
from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Sum

from glowpos.ledger.chart import DEFERRED_REVENUE
from glowpos.ledger.models import EntryKind, Posting
from glowpos.ledger.selectors import balance
from glowpos.tenancy.models import Business


def deferred_revenue(*, business: Business, start: date, end: date) -> dict[str, int]:
    """opening + sold − recognized − breakage − refunded = closing, from the ledger itself.

    Each movement is the credit-positive sum of deferred-revenue postings of that kind of
    entry in the period (a reversal carries its original's kind, so a void nets out).
    """
    # Nothing can be posted before date.min (and the day before it does not exist).
    opening = 0 if start == date.min else -balance(
        business=business, account=DEFERRED_REVENUE, as_of=start - timedelta(days=1))
    rows = (
        Posting.objects.filter(
            account__business=business, account__code=DEFERRED_REVENUE, date__gte=start, date__lte=end
        )
        .values("entry__kind")
        .annotate(s=Sum("amount"))
    )
    moved = {r["entry__kind"]: -r["s"] for r in rows}
    sold = moved.get(EntryKind.SALE, 0) + moved.get(EntryKind.OPENING, 0)
    recognized = -moved.get(EntryKind.REDEMPTION, 0)
    breakage = -moved.get(EntryKind.BREAKAGE, 0)
    refunded = -moved.get(EntryKind.REFUND, 0)
    closing = -balance(business=business, account=DEFERRED_REVENUE, as_of=end)
    return {
        "opening": opening, "sold": sold, "recognized": recognized, "breakage": breakage,
        "refunded": refunded, "closing": closing,
    }
