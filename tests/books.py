"""Checks over the books that several tests make: every entry balances, deferred revenue is
exactly the value of the sessions still owed, and client credit the unspent money of value packages."""
from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from glowpos.ledger.chart import CLIENT_CREDIT, DEFERRED_REVENUE
from glowpos.ledger.models import JournalEntry
from glowpos.ledger.selectors import balance, trial_balance
from glowpos.money import unit_value
from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus, RedemptionStatus
from glowpos.reports.selectors import deferred_revenue


def owed(business) -> int:
    """What the clinic still owes in sessions: for every package not cancelled, the allocated
    value of each unit not redeemed (money.unit_value of that session). An imported package's
    units used before GlowPOS are units 1..opening_used_units: owed no more, never posted here."""
    total = 0
    gone = [PackageStatus.CANCELLED, PackageStatus.EXPIRED, PackageStatus.TRANSFERRED, PackageStatus.RENEWED]
    for ent in Entitlement.objects.filter(package__business=business).exclude(package__status__in=gone):
        posted = list(ent.redemptions.filter(status=RedemptionStatus.POSTED).values_list("unit", flat=True))
        redeemed = set(posted) | set(range(1, ent.opening_used_units + 1))
        assert len(redeemed) == len(posted) + ent.opening_used_units == ent.used_units, \
            "each posted redemption is a different unit, and none is one used before the import"
        total += sum(
            unit_value(ent.taxable_value, ent.total_units, n)
            for n in range(1, ent.total_units + 1) if n not in redeemed
        )
    return total


def credit_owed(business) -> int:
    """What the clinic still holds for clients in value packages: the money not yet spent of
    every value package still live (an expired one's went to breakage, a cancelled one's back)."""
    live = [PackageStatus.ACTIVE, PackageStatus.FROZEN, PackageStatus.EXHAUSTED]
    return sum(p.price - p.credit_money_used
               for p in ClientPackage.objects.filter(business=business, plan__kind="value", status__in=live))


def assert_books_balance(business) -> dict[str, int]:
    """Every entry sums to zero, so does the trial balance, and the deferred revenue report's
    closing is the ledger's balance and the value of the sessions owed. Returns the report."""
    unbalanced = (
        JournalEntry.objects.filter(business=business).annotate(s=Sum("postings__amount")).exclude(s=0)
    )
    assert not unbalanced.exists(), [(e.memo, e.s) for e in unbalanced]
    today = timezone.localdate()
    assert sum(trial_balance(business=business, as_of=today).values()) == 0
    report = deferred_revenue(business=business, start=today, end=today)
    assert report["opening"] + report["sold"] - report["recognized"] - report["breakage"] \
        - report["refunded"] == report["closing"]
    assert report["closing"] == -balance(business=business, account=DEFERRED_REVENUE, as_of=today)
    assert report["closing"] == owed(business)
    assert -balance(business=business, account=CLIENT_CREDIT, as_of=today) == credit_owed(business)
    return report
