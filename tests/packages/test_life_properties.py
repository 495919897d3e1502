"""A package's whole life, at random: random plans (session bundles of several services and
rates, value/credit packages, memberships with and without rollover) and random sequences of
sell / redeem / hold / release / close / void / freeze / unfreeze / extend / expire / cancel
with refund / refund a line / transfer / share / spend credit, through the real services,
with time moving forward through the sequence.

Whatever the counter and the managers do, after every step:
- no entitlement is over-redeemed or negative (used + held ≤ total), the redemptions agree
  with the counters, value credit stays within what was bought;
- every journal entry balances, the trial balance balances, every document series is whole;
- the deferred-revenue roll-forward (opening + sold − recognised − breakage − refunded) ties to
  the ledger to the paisa and to the value of the sessions still owed;
- the client-credit liability in the ledger is exactly the unspent money of live value packages;
- breakage income is never negative (a refund never pays back more than the unused part), and
  a refund never takes money in.

A refusal (a DomainError: expired, exhausted, frozen, holds pending …) is a normal outcome; it
must leave nothing behind, which the same checks see. Anything else raised is a bug.
"""
from __future__ import annotations

import os
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from glowpos.billing import services as billing
from glowpos.billing.errors import PaymentMismatch
from glowpos.billing.models import Bill, BillLine, BillStatus, LineType
from glowpos.catalog.models import PackagePlan, PackagePlanItem, Service
from glowpos.demo.setup import SERVICES
from glowpos.errors import DomainError
from glowpos.ledger import chart
from glowpos.ledger.models import EntryKind, JournalEntry, Posting
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage, PackageShare, PackageStatus
from glowpos.reports.selectors import deferred_rollforward
from tests import factories
from tests.invariants import violations

SPAN = 240  # the life starts this many days ago and never passes today

item = st.tuples(st.integers(0, len(SERVICES) - 1), st.integers(1, 4))
items = st.lists(item, min_size=1, max_size=3, unique_by=lambda t: t[0])
price = st.integers(500_00, 40_000_00)
bundle = st.fixed_dictionaries({"kind": st.just("bundle"), "items": items, "price": price,
                                "validity": st.integers(3, 120)})
value = st.fixed_dictionaries({"kind": st.just("value"), "price": st.integers(500_00, 20_000_00),
                               "bonus": st.integers(0, 5_000_00), "validity": st.integers(3, 120)})
membership = st.fixed_dictionaries({
    "kind": st.just("membership"), "items": st.lists(st.tuples(st.integers(0, len(SERVICES) - 1), st.integers(1, 2)),
                                                     min_size=1, max_size=2, unique_by=lambda t: t[0]),
    "price": st.integers(500_00, 5_000_00), "validity": st.integers(5, 31),
    "discount": st.sampled_from([0, 1000, 1500]), "rollover": st.booleans()})
plans = st.tuples(bundle, value, membership, st.one_of(bundle, value, membership))

OPS = ["sell", "sell", "redeem", "redeem", "redeem", "hold", "close", "release", "abandon", "void", "void",
       "freeze", "unfreeze", "extend", "wait", "wait", "wait", "expire", "expire", "cancel", "cancel",
       "refund", "transfer", "share", "spend", "spend", "spend"]
steps = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
                 min_size=6, max_size=16)


class Life:
    """A fresh clinic with three clients and the generated plans; `day` only moves forward."""

    def __init__(self, specs, *, round_off: bool):
        self.c = factories.clinic()
        self.business = self.c.business
        if round_off:
            type(self.business).objects.filter(id=self.business.id).update(round_off_to_rupee=True)
            self.business.refresh_from_db()
        self.people = [factories.client(self.c, name=n) for n in ("Asha", "Bina", "Chitra")]
        self.services = [Service.objects.get(business=self.business, name=name) for name, *_ in SERVICES]
        self.today = timezone.localdate()
        self.start = self.day = self.today - timedelta(days=SPAN)
        self.minute = 0
        self.plans = [self._plan(n, spec) for n, spec in enumerate(specs)]
        self.log: list[str] = []

    def _plan(self, n: int, spec: dict) -> PackagePlan:
        kind = spec["kind"]
        if kind == "value":
            return PackagePlan.objects.create(
                business=self.business, code=f"V{n}", name=f"Value {n}", kind="value", price=spec["price"],
                credit_value=spec["price"] + spec["bonus"], validity_days=spec["validity"])
        if kind == "bundle" and len(spec["items"]) > 1:
            kind = "multi"
        plan = PackagePlan.objects.create(
            business=self.business, code=f"P{n}", name=f"Plan {n}", kind=kind, price=spec["price"],
            validity_days=spec["validity"], member_discount_bp=spec.get("discount", 0),
            rollover=spec.get("rollover", False))
        for index, units in spec["items"]:
            PackagePlanItem.objects.create(plan=plan, service=self.services[index], units=units)
        return plan

    # -- time ---------------------------------------------------------------------------------

    def at(self) -> datetime:
        self.minute += 1
        return timezone.make_aware(datetime.combine(self.day, time(9, 0)) + timedelta(minutes=self.minute))

    def wait(self, days: int) -> None:
        self.day, self.minute = min(self.day + timedelta(days=days), self.today), 0

    # -- picking ------------------------------------------------------------------------------

    @staticmethod
    def pick(rows, n: int):
        rows = list(rows)
        return rows[n % len(rows)] if rows else None

    def packages(self):
        return ClientPackage.objects.filter(business=self.business).select_related("plan").order_by("id")

    def bills(self, status: str):
        return Bill.objects.filter(business=self.business, status=status).order_by("id")

    def paid(self, bill_id: int, method: str = "cash") -> list[dict]:
        due = billing.bill_totals(Bill.objects.get(id=bill_id)).total
        return [{"method": method, "amount": due}] if due else []

    def close(self, bill_id: int, payments: list[dict] | None = None):
        payments = self.paid(bill_id) if payments is None else payments
        return billing.close_bill(bill_id=bill_id, payments=payments, idempotency_key=f"k-{bill_id}",
                                  by=self.c.front_desk, at=self.at())

    # -- the operations -----------------------------------------------------------------------

    def sell(self, a: int, b: int, d: int) -> None:
        who, plan = self.pick(self.people, a), self.pick(self.plans, b)
        bill = billing.open_bill(client_id=who.id, by=self.c.front_desk, at=self.at())
        billing.add_package_sale(bill_id=bill.id, plan_id=plan.id, by=self.c.front_desk)
        if not plan.is_value and d % 3 == 0:
            billing.add_service(bill_id=bill.id, service_id=self.pick(self.services, d).id, by=self.c.front_desk)
        self.close(bill.id, self.paid(bill.id, ["cash", "card", "upi"][d % 3]))

    def hold(self, a: int, b: int, d: int, *, close: bool = False) -> None:
        package = self.pick(self.packages().exclude(plan__kind="value"), a)
        if package is None:
            return
        sharers = list(PackageShare.objects.filter(package=package).values_list("client_id", flat=True))
        who = self.pick([package.client_id, *sharers], d)
        entitlement = self.pick(package.entitlements.order_by("id"), b)
        open_ = self.bills(BillStatus.OPEN).filter(client_id=who)
        bill = self.pick(open_, d) if open_.exists() and d % 2 else None
        bill = bill or billing.open_bill(client_id=who, by=self.c.front_desk, at=self.at())
        before = (entitlement.used_units, entitlement.held_units)
        packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=entitlement.service_id,
                               by=self.c.front_desk, at=self.at())
        entitlement.refresh_from_db()
        assert (entitlement.used_units, entitlement.held_units) == (before[0], before[1] + 1)
        if close:
            self.close(bill.id)

    def redeem(self, a: int, b: int, d: int) -> None:
        self.hold(a, b, d, close=True)

    def close_open(self, a: int, b: int, d: int) -> None:
        bill = self.pick(self.bills(BillStatus.OPEN), a)
        if bill is not None:
            self.close(bill.id)

    def release(self, a: int, b: int, d: int) -> None:
        lines = (BillLine.objects
                 .filter(bill__business=self.business, bill__status=BillStatus.OPEN, type=LineType.REDEMPTION)
                 .order_by("id"))
        line = self.pick(lines, a)
        if line is not None:
            billing.remove_line(bill_id=line.bill_id, line_id=line.id, by=self.c.front_desk)

    def abandon(self, a: int, b: int, d: int) -> None:
        bill = self.pick(self.bills(BillStatus.OPEN), a)
        if bill is not None:
            billing.void_bill(bill_id=bill.id, reason="abandoned", by=self.c.manager, at=self.at())

    def void(self, a: int, b: int, d: int) -> None:
        bill = self.pick(self.bills(BillStatus.CLOSED), a)
        if bill is not None:
            billing.void_bill(bill_id=bill.id, reason="mistake", by=self.c.manager, at=self.at())

    def freeze(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages(), a)
        if package is not None:
            packages.freeze_package(package_id=package.id, reason="travelling", by=self.c.manager, at=self.at())

    def unfreeze(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages().filter(status=PackageStatus.FROZEN), a)
        if package is not None:
            packages.unfreeze_package(package_id=package.id, reason="back", by=self.c.manager, at=self.at())

    def extend(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages(), a)
        if package is not None:
            packages.extend_package(package_id=package.id, expires_on=max(package.expires_on, self.day)
                                    + timedelta(days=1 + b % 60), reason="goodwill", by=self.c.manager, at=self.at())

    def wait_days(self, a: int, b: int, d: int) -> None:
        self.wait(1 + a % 45)

    def expire(self, a: int, b: int, d: int) -> None:
        due = self.packages().filter(status=PackageStatus.ACTIVE, expires_on__lt=self.day).count()
        assert packages.expire_packages(on=self.day, business=self.business) == due
        assert packages.expire_packages(on=self.day, business=self.business) == 0  # idempotent

    def cancel(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages(), a)
        if package is None:
            return
        result = packages.cancel_package(package_id=package.id, reason="moving away", method=["cash", "upi"][b % 2],
                                         by=self.c.manager, at=self.at())
        assert 0 <= result["fee"] and 0 <= result["refund"] <= result["unused_gross"]

    def refund(self, a: int, b: int, d: int) -> None:
        lines = (BillLine.objects
                 .filter(bill__business=self.business, bill__status=BillStatus.CLOSED,
                         type__in=[LineType.SERVICE, LineType.PRODUCT]).order_by("id"))
        line = self.pick(lines, a)
        if line is None:
            return
        left = line.amount - sum(c.amount for c in line.credits.all())
        if left > 0:
            billing.refund_line(bill_id=line.bill_id, line_id=line.id, amount=max(1, left * (1 + b) // 100),
                                reason="unhappy", method="cash", by=self.c.manager, at=self.at())

    def transfer(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages(), a)
        if package is not None:
            packages.transfer_package(package_id=package.id, to_client_id=self.pick(self.people, b).id,
                                      reason="gift", by=self.c.manager, at=self.at())

    def share(self, a: int, b: int, d: int) -> None:
        package = self.pick(self.packages(), a)
        if package is not None:
            packages.share_package(package_id=package.id, client_id=self.pick(self.people, b).id,
                                   by=self.c.front_desk, at=self.at())

    def spend(self, a: int, b: int, d: int) -> None:
        """Services paid partly (or wholly) with value credit, the rest in cash; now and then
        more credit than is left (refused)."""
        package = self.pick(self.packages().filter(plan__kind="value", status=PackageStatus.ACTIVE), a)
        if package is None:
            return
        sharers = list(PackageShare.objects.filter(package=package).values_list("client_id", flat=True))
        who = self.pick([package.client_id, *sharers], d)
        bill = billing.open_bill(client_id=who, by=self.c.front_desk, at=self.at())
        for n in range(1 + d % 2):
            billing.add_service(bill_id=bill.id, service_id=self.pick(self.services, b + n).id,
                                quantity=1 + (b + n) % 3, by=self.c.front_desk)
        due = billing.bill_totals(Bill.objects.get(id=bill.id)).total
        left = package.credit_total - package.credit_used
        face = min(due, left + 1) if b % 10 == 0 else max(1, min(due, left) * (1 + d % 100) // 100)
        payments = [{"method": "credit", "amount": face, **({"package_id": package.id} if b % 2 else {})}]
        if due - face:
            payments.append({"method": "cash", "amount": due - face})
        try:
            self.close(bill.id, payments)
        except PaymentMismatch as wrong:  # credit + cash that make up the presented total must do
            raise AssertionError(f"payments matching the bill were refused: {wrong}") from wrong

    def do(self, op: str, a: int, b: int, d: int) -> None:
        action = {"hold": self.hold, "close": self.close_open, "wait": self.wait_days}.get(op) or getattr(self, op)
        self.log.append(f"{self.day} {op}({a}, {b}, {d})")
        try:
            action(a, b, d)  # each service is one transaction: a refusal leaves nothing behind
            event(f"{op} done")
        except DomainError as refused:
            event(f"{op} refused: {type(refused).__name__}")
            self.log[-1] += f" refused: {type(refused).__name__}: {refused}"

    # -- the checks ---------------------------------------------------------------------------

    def check(self) -> None:
        """After every step. tests/invariants.py: units, redemptions, credit bounds, balanced
        entries, the roll-forward tied to the ledger and to the sessions owed, client credit tied
        to the unspent money, whole document series, whole bills. And the signs of the money."""
        found = violations(self.business)
        originals = JournalEntry.objects.filter(business=self.business, reverses__isnull=True)
        if Posting.objects.filter(entry__in=originals.filter(kind=EntryKind.BREAKAGE),
                                  account__code=chart.BREAKAGE_INCOME, amount__gt=0).exists():
            found.append("breakage income debited: a refund paid back more than the unused part")
        if Posting.objects.filter(entry__in=originals.filter(kind=EntryKind.REFUND),
                                  account__code__in=[chart.CASH, chart.CARD, chart.UPI], amount__gt=0).exists():
            found.append("a refund took money in")
        assert not found, "\n".join(self.log + found)

    def check_life(self) -> None:
        """At the end: the roll-forward over the whole life, opening at nothing, every movement
        of a kind the report knows, ties to the ledger."""
        total = deferred_rollforward(business=self.business, start=self.start, end=self.today, by=None)["total"]
        assert (total["opening"], total["other"], total["ties"]) == (0, 0, True), (self.log, total)


@settings(max_examples=int(os.environ.get("GLOWPOS_LIFE_EXAMPLES", 20)), deadline=None,
          derandomize=not os.environ.get("GLOWPOS_LIFE_RANDOM"),
          phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([] if os.environ.get("GLOWPOS_LIFE_RANDOM") else [Phase.shrink]),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(specs=plans, round_off=st.booleans(), steps=steps)
def test_no_life_of_any_package_over_redeems_goes_negative_or_untie_the_books(db, specs, round_off, steps):
    with transaction.atomic():  # each example rolls back: examples are independent
        life = Life(specs, round_off=round_off)
        for n in range(3):  # one of each kind sold to start with, so every operation has something to act on
            life.do("sell", n, n, 1)
        life.check()
        for op, a, b, d in steps:
            life.do(op, a, b, d)
            life.check()
        life.check_life()
        transaction.set_rollback(True)
