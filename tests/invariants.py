"""The invariants of the books, checked over whatever is in the database — after a randomised
workload, after processes were killed mid-close, after a restore, after `python -m bench load`.

`violations(business)` returns what is wrong as sentences (empty: all hold); `assert_invariants`
fails a test with them. Each check is one rule of PRODUCT.md / ARCHITECTURE.md:

- no over-redemption: used + held ≤ total for every entitlement, and the redemptions agree with
  the counters (posted = used − imported, pending = held, posted value = the posted values'
  sum); value credit within what was bought;
- every journal entry balances, and so does the trial balance;
- the deferred-revenue roll-forward ties to the ledger and to the value of the sessions owed;
  client credit in the ledger is the unspent money of the live value packages;
- every document series is consecutive: numbers 1..last, no gap, no reuse;
- a bill is whole: closed ⇔ exactly one closing document whose total its payments match, with
  its journal entries; an open bill has no document, payment, entry or posted redemption;
  pending holds only on open bills.
"""
from __future__ import annotations

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from glowpos.billing.models import Bill, BillStatus, Payment
from glowpos.documents.models import Document, DocumentKind, DocumentSeries
from glowpos.ledger.chart import CLIENT_CREDIT, DEFERRED_REVENUE
from glowpos.ledger.models import JournalEntry
from glowpos.ledger.selectors import balance, trial_balance
from glowpos.packages.models import ClientPackage, Entitlement, Redemption, RedemptionStatus
from glowpos.reports.selectors import deferred_revenue
from tests.books import credit_owed, owed


def violations(business) -> list[str]:
    found: list[str] = []
    found += _redemptions(business)
    found += _ledger(business)
    found += _series(business)
    found += _bills(business)
    return found


def assert_invariants(business) -> None:
    found = violations(business)
    assert not found, "\n".join(found[:50])


def _redemptions(business) -> list[str]:
    out = []
    entitlements = Entitlement.objects.filter(package__business=business).annotate(
        posted=Count("redemptions", filter=Q(redemptions__status=RedemptionStatus.POSTED)),
        pending=Count("redemptions", filter=Q(redemptions__status=RedemptionStatus.PENDING)),
        posted_sum=Sum("redemptions__value", filter=Q(redemptions__status=RedemptionStatus.POSTED)),
    )
    for e in entitlements:
        if e.used_units < 0 or e.held_units < 0 or e.used_units + e.held_units > e.total_units:
            out.append(f"entitlement {e.id}: used {e.used_units} + held {e.held_units} > total {e.total_units}")
        if e.posted != e.used_units - e.opening_used_units:
            out.append(f"entitlement {e.id}: {e.posted} posted redemptions but used {e.used_units} "
                       f"(imported {e.opening_used_units})")
        if e.posted_value != (e.posted_sum or 0):
            out.append(f"entitlement {e.id}: posted value {e.posted_value} but its posted redemptions add up "
                       f"to {e.posted_sum or 0}")
        if e.pending != e.held_units:
            out.append(f"entitlement {e.id}: {e.pending} pending redemptions but held {e.held_units}")
    duplicated = (Redemption.objects.filter(business=business, status=RedemptionStatus.POSTED)
                  .values("entitlement_id", "unit").annotate(n=Count("id")).filter(n__gt=1))
    out += [f"entitlement {d['entitlement_id']}: unit {d['unit']} recognised {d['n']} times" for d in duplicated]
    for p in ClientPackage.objects.filter(business=business, plan__kind="value"):
        if not (0 <= p.credit_used <= p.credit_total and 0 <= p.credit_money_used <= p.price):
            out.append(f"value package {p.id}: credit {p.credit_used}/{p.credit_total}, "
                       f"money {p.credit_money_used}/{p.price}")
    return out


def _ledger(business) -> list[str]:
    out = [f"entry {e.id} ({e.memo}) does not balance: {e.s}"
           for e in JournalEntry.objects.filter(business=business).annotate(s=Sum("postings__amount")).exclude(s=0)]
    today = timezone.localdate()
    if sum(trial_balance(business=business, as_of=today).values()) != 0:
        out.append("the trial balance does not sum to zero")
    report = deferred_revenue(business=business, start=today, end=today)
    rolled = report["opening"] + report["sold"] - report["recognized"] - report["breakage"] - report["refunded"]
    if rolled != report["closing"]:
        out.append(f"roll-forward: opening + movements = {rolled} but closing {report['closing']}")
    ledger = -balance(business=business, account=DEFERRED_REVENUE, as_of=today)
    if report["closing"] != ledger:
        out.append(f"roll-forward closing {report['closing']} != ledger deferred revenue {ledger}")
    try:
        due = owed(business)
    except AssertionError as exc:
        out.append(f"sessions owed: {exc}")
    else:
        if due != ledger:
            out.append(f"value of the sessions owed {due} != ledger deferred revenue {ledger}")
    credit = -balance(business=business, account=CLIENT_CREDIT, as_of=today)
    if credit != credit_owed(business):
        out.append(f"unspent value-package money {credit_owed(business)} != ledger client credit {credit}")
    return out


def _series(business) -> list[str]:
    out = []
    seqs = Document.objects.filter(business=business).values("series_id").annotate(
        n=Count("id"), distinct=Count("seq", distinct=True), low=Min("seq"), high=Max("seq"))
    by_series = {r["series_id"]: r for r in seqs}
    for series in DocumentSeries.objects.filter(business=business):
        r = by_series.get(series.id, {"n": 0, "distinct": 0, "low": None, "high": None})
        if series.last_number == 0 and r["n"] == 0:
            continue
        if not (r["n"] == r["distinct"] == series.last_number and r["low"] == 1 and r["high"] == series.last_number):
            out.append(f"series {series.prefix}/{series.fy}: {r['n']} documents, numbers {r['low']}..{r['high']}, "
                       f"last_number {series.last_number} (a gap or a reuse)")
    return out


def _bills(business) -> list[str]:
    out = []
    closing = ~Q(documents__kind=DocumentKind.CREDIT_NOTE)
    bills = Bill.objects.filter(business=business).annotate(
        closing_docs=Count("documents", filter=closing, distinct=True),
        pending=Count("redemptions", filter=Q(redemptions__status=RedemptionStatus.PENDING), distinct=True),
        posted=Count("redemptions", filter=Q(redemptions__status=RedemptionStatus.POSTED), distinct=True),
    )
    paid = dict(Payment.objects.filter(bill__business=business).values("bill_id").annotate(s=Sum("amount"))
                .values_list("bill_id", "s"))
    entries = dict(JournalEntry.objects.filter(business=business, document__bill__isnull=False,
                                               reverses__isnull=True, document__kind__in=[
                                                   k for k in DocumentKind.values if k != DocumentKind.CREDIT_NOTE])
                   .values("document__bill_id").annotate(n=Count("id")).values_list("document__bill_id", "n"))
    totals = dict(Document.objects.filter(business=business, bill__isnull=False)
                  .exclude(kind=DocumentKind.CREDIT_NOTE).values_list("bill_id", "total"))
    for b in bills:
        if b.status == BillStatus.OPEN:
            if b.closing_docs or b.id in paid or b.posted or b.id in entries:
                out.append(f"open bill {b.id}: has a document/payment/entry/posted redemption (a partial close)")
        elif b.status == BillStatus.CLOSED:
            if b.closing_docs != 1:
                out.append(f"closed bill {b.id}: {b.closing_docs} closing documents")
            elif paid.get(b.id, 0) != totals[b.id]:
                out.append(f"closed bill {b.id}: paid {paid.get(b.id, 0)} but the document says {totals[b.id]}")
            if b.pending:
                out.append(f"closed bill {b.id}: {b.pending} holds still pending")
            if b.closing_docs == 1 and totals[b.id] and not entries.get(b.id):
                out.append(f"closed bill {b.id}: no journal entry for its document")
        elif b.pending:
            out.append(f"voided bill {b.id}: {b.pending} holds still pending")
    return out
