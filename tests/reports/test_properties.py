"""Whatever happened at the counters of a chain (sales, visits, voids, services, breakage and
refunds posted by hand, on any days, at any branch), the deferred revenue roll-forward ties
to the ledger to the paisa, per branch and in total, and a period opens where the last one
closed; cash collected is revenue + liability added + GST + other; the GST summary ties to
the documents and the ledger; the trial balance balances."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glowpos.billing import services as billing
from glowpos.errors import DomainError
from glowpos.ledger import services as ledger
from glowpos.ledger.selectors import balance
from glowpos.packages.models import ClientPackage
from glowpos.packages.services import apply_package
from glowpos.reports import selectors
from glowpos.tenancy.models import Branch
from tests import factories
from tests.reports.history import at

FIRST_DAY = date(2025, 1, 1)
PLANS = ["LHR-6", "CLN-5", "PEEL-4"]

op = st.one_of(
    st.tuples(st.just("sell"), st.integers(0, 2), st.sampled_from(PLANS), st.integers(0, 1)),
    st.tuples(st.just("redeem"), st.integers(0, 20), st.integers(0, 1)),
    st.tuples(st.just("redeem"), st.integers(0, 20), st.integers(0, 1)),
    st.tuples(st.just("redeem"), st.integers(0, 20), st.integers(0, 1)),
    st.tuples(st.just("void"), st.integers(0, 3)),
    st.tuples(st.just("void"), st.integers(0, 3)),
    st.tuples(st.just("service"), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("breakage"), st.integers(1, 500_000), st.integers(0, 1)),
    st.tuples(st.just("refund"), st.integers(1, 500_000), st.integers(0, 1)),
)


def run(ops, offsets):
    c = factories.clinic()
    blr = c.business.branches.get()
    mys = Branch.objects.create(business=c.business, code="MYS1", name="Mysuru", state_code="29",
                                state_name="Karnataka", gstin=blr.gstin)
    branches = [blr, mys]
    people = [factories.client(c, name=n) for n in ("Asha", "Bina", "Chitra")]
    packages, bills, adjusted = [], [], 0
    for (kind, *args), offset in zip(ops, sorted(offsets)):
        day = FIRST_DAY + timedelta(days=offset)
        when = at(day)
        try:
            if kind == "sell":
                who, plan, b = args
                bill = billing.open_bill(client_id=people[who].id, by=c.owner, branch_id=branches[b].id, at=when)
                billing.add_package_sale(bill_id=bill.id, plan_id=c.plan(plan).id, by=c.owner)
                close(bill, c, when)
                bills.append(bill)
                packages.append(ClientPackage.objects.get(sale_bill=bill))
            elif kind == "redeem" and packages:
                package = packages[args[0] % len(packages)]
                bill = billing.open_bill(client_id=package.client_id, by=c.owner, branch_id=branches[args[1]].id,
                                         at=when)
                service = package.entitlements.order_by("id").first().service
                try:
                    apply_package(bill_id=bill.id, package_id=package.id, service_id=service.id, by=c.owner, at=when)
                except DomainError:
                    billing.void_bill(bill_id=bill.id, reason="nothing to redeem", by=c.owner, at=when)
                    continue
                close(bill, c, when)
                bills.append(bill)
            elif kind == "void" and bills:
                # Mostly a recent bill: the one just closed, or one of the few before it.
                billing.void_bill(bill_id=bills[-1 - args[0] % len(bills)].id, reason="mistake", by=c.owner,
                                  at=when)
            elif kind == "service":
                who, b = args
                bill = billing.open_bill(client_id=people[who].id, by=c.owner, branch_id=branches[b].id, at=when)
                billing.add_service(bill_id=bill.id, service_id=c.service("Skin cleanup").id, by=c.owner)
                billing.add_product(bill_id=bill.id, product_id=c.product().id, by=c.owner)
                close(bill, c, when)
                bills.append(bill)
            elif kind in ("breakage", "refund"):
                amount, b = args
                other = "breakage_income" if kind == "breakage" else "cash"
                ledger.post(business=c.business, branch=branches[b], on=day, kind=kind, memo=kind,
                            lines=[("deferred_revenue", amount), (other, -amount)])
                adjusted += amount
        except DomainError:
            pass  # refused by the counter's rules (a sale with sessions redeemed cannot be voided …)
    return c, branches, adjusted


def close(bill, c, when):
    due = billing.bill_totals(bill).total
    billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": due}] if due else [],
                       idempotency_key=f"p-{bill.id}", by=c.owner, at=when)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=6, max_size=20), offsets=st.lists(st.integers(0, 80), min_size=20, max_size=20),
       split=st.integers(0, 80))
def test_the_roll_forward_ties_to_the_ledger_after_any_history(db, ops, offsets, split):
    c, branches, adjusted = run(ops, offsets)
    business = c.business
    end = FIRST_DAY + timedelta(days=80)
    middle = FIRST_DAY + timedelta(days=split)

    first = selectors.deferred_rollforward(business=business, start=FIRST_DAY, end=middle, by="month")
    second = selectors.deferred_rollforward(business=business, start=middle + timedelta(days=1), end=end)

    for report in (first, second):
        for row in [report["total"], *report["branches"]]:
            assert row["ties"] and row["closing"] == row["ledger"]
            assert row["closing"] == (row["opening"] + row["sold"] - row["recognized"] - row["breakage"]
                                      - row["refunded"])
        assert sum(b["closing"] for b in report["branches"]) == report["total"]["closing"]
    assert second["total"]["opening"] == first["total"]["closing"]
    assert first["periods"][-1]["closing"] == first["total"]["closing"]
    ledger_balance = -balance(business=business, account="deferred_revenue", as_of=end)
    assert second["total"]["closing"] == ledger_balance
    for branch in branches:
        own = selectors.deferred_revenue(business=business, start=FIRST_DAY, end=end, branch=branch)
        row = next((b for b in second["branches"] if b["branch_id"] == branch.id), None)
        assert own["closing"] == (row["closing"] if row else 0)

    owed = selectors.liability_by_package(business=business)["totals"]["money_left"]
    assert owed - selectors.ledger_deferred_balance(business=business, as_of=date.max) == adjusted

    cash = selectors.revenue_vs_cash(business=business, start=FIRST_DAY, end=end, by="month")
    for row in cash["rows"]:
        assert row["cash_collected"] == (row["revenue_recognized"] + row["deferred_added"] + row["gst"]
                                         + row["other"])
    gst = selectors.gst_summary(business=business, start=FIRST_DAY, end=end)
    assert gst["ties_to_documents"] and gst["ties_to_ledger"]
    assert selectors.trial_balance(business=business, start=FIRST_DAY, end=end)["balanced"]
