"""Whatever the counter does, in whatever order (sell, hold, release, close, void), a package
is never over-redeemed, every journal entry balances and deferred revenue ties to the ledger.

Each example runs a random day at a fresh clinic against a model of what should happen: the
model says whether each action must succeed or be refused, and how many units are left.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glowpos.billing import services as billing
from glowpos.billing.errors import BillNotOpen, EmptyBill
from glowpos.billing.models import Bill, BillStatus
from glowpos.packages.errors import PackageExhausted, PackageNotActive
from glowpos.packages.models import ClientPackage, Entitlement, Redemption, RedemptionStatus
from tests import factories
from tests.books import assert_books_balance

PLANS = ["LHR-6", "CLN-5", "PEEL-4"]
ACTIONS = ["sell", "hold", "hold", "visit", "visit", "visit", "release", "service", "close", "void", "void",
           "abandon"]


@dataclass
class PackageState:
    """What the model expects of a package."""

    id: int
    client: int
    total: int
    left: int
    cancelled: bool = False


@dataclass
class BillState:
    """What the model expects of a bill."""

    id: int
    client: int
    status: str = BillStatus.OPEN
    lines: int = 0
    holds: dict[int, int] = field(default_factory=dict)  # line id → package id
    redeemed: list[int] = field(default_factory=list)  # package ids posted on close
    sold: list[int] = field(default_factory=list)


class Day:
    """A clinic with two clients, the services under test, and the model beside them."""

    def __init__(self):
        self.c = factories.clinic()
        self.clients = [factories.client(self.c, name=n) for n in ("Asha", "Bina")]
        self.packages: list[PackageState] = []
        self.bills: list[BillState] = []

    def pick(self, items, n):
        return items[n % len(items)] if items else None

    def open_bill(self, client: int) -> BillState:
        bill = BillState(billing.open_bill(client_id=client, by=self.c.front_desk).id, client)
        self.bills.append(bill)
        return bill

    def bill_of(self, client: int, n: int) -> BillState:
        """An open bill of the client, or a new one."""
        open_ = [b for b in self.bills if b.client == client and b.status == BillStatus.OPEN]
        return open_[n % len(open_)] if open_ and n % 3 else self.open_bill(client)

    def sell(self, n: int) -> None:
        client = self.pick(self.clients, n).id
        plan = self.c.plan(PLANS[n % len(PLANS)])
        bill = self.open_bill(client)
        billing.add_package_sale(bill_id=bill.id, plan_id=plan.id, by=self.c.front_desk)
        bill.lines += 1
        self.close(bill)
        package = ClientPackage.objects.get(sale_bill_id=bill.id)
        units = plan.items.get().units
        self.packages.append(PackageState(package.id, client, units, units))
        bill.sold.append(package.id)

    def hold(self, n: int) -> None:
        package = self.pick(self.packages, n)
        if package is not None:
            self.hold_on(self.bill_of(package.client, n), package)

    def hold_on(self, bill: BillState, package: PackageState) -> bool:
        try:
            line = factories.hold(self.c, _row(bill), ClientPackage.objects.get(id=package.id))
        except PackageNotActive:
            assert package.cancelled
        except PackageExhausted:
            assert not package.cancelled and package.left == 0
        else:
            assert not package.cancelled and package.left > 0
            package.left -= 1
            bill.holds[line.id] = package.id
            bill.lines += 1
            return True
        return False

    def release(self, n: int) -> None:
        bill = self.pick([b for b in self.bills if b.status == BillStatus.OPEN and b.holds], n)
        if bill is None:
            return
        line_id = self.pick(sorted(bill.holds), n)
        billing.remove_line(bill_id=bill.id, line_id=line_id, by=self.c.front_desk)
        self.package(bill.holds.pop(line_id)).left += 1
        bill.lines -= 1

    def service(self, n: int) -> None:
        bill = self.bill_of(self.pick(self.clients, n).id, n)
        billing.add_service(bill_id=bill.id, service_id=self.c.service("Skin cleanup").id, by=self.c.front_desk)
        bill.lines += 1

    def close(self, bill: BillState) -> None:
        try:
            factories.close_paid(self.c, _row(bill))
        except EmptyBill:
            assert bill.lines == 0
        else:
            assert bill.lines > 0
            bill.status = BillStatus.CLOSED
            bill.redeemed, bill.holds = list(bill.holds.values()), {}

    def close_one(self, n: int) -> None:
        bill = self.pick([b for b in self.bills if b.status == BillStatus.OPEN], n)
        if bill is not None:
            self.close(bill)

    def void(self, n: int, *, status: str = BillStatus.CLOSED) -> None:
        bill = self.pick([b for b in self.bills if b.status == status], n)
        if bill is None:
            return
        touched = any(self.package(p).left < self.package(p).total for p in bill.sold)
        try:
            billing.void_bill(bill_id=bill.id, reason="property test", by=self.c.manager)
        except PackageNotActive:
            assert touched
            return
        assert not touched
        for package_id in [*bill.holds.values(), *bill.redeemed]:
            self.package(package_id).left += 1
        for package_id in bill.sold:
            self.package(package_id).cancelled = True
        bill.status, bill.holds, bill.redeemed = BillStatus.VOIDED, {}, []
        # A voided bill stays voided.
        try:
            billing.void_bill(bill_id=bill.id, reason="again", by=self.c.manager)
        except BillNotOpen:
            pass
        else:
            raise AssertionError("a bill was voided twice")

    def visit(self, n: int) -> None:
        """A visit paid from a package: a new bill, one unit held, closed."""
        package = self.pick(self.packages, n)
        if package is not None:
            bill = self.open_bill(package.client)
            if self.hold_on(bill, package):
                self.close(bill)

    def abandon(self, n: int) -> None:
        self.void(n, status=BillStatus.OPEN)

    def package(self, package_id: int) -> PackageState:
        return next(p for p in self.packages if p.id == package_id)

    def do(self, action: str, n: int) -> None:
        {"sell": self.sell, "hold": self.hold, "visit": self.visit, "release": self.release,
         "service": self.service, "close": self.close_one, "void": self.void, "abandon": self.abandon}[action](n)

    def check_units(self) -> None:
        for package in self.packages:
            ent = Entitlement.objects.get(package_id=package.id)
            assert 0 <= ent.used_units and 0 <= ent.held_units
            assert ent.used_units + ent.held_units <= ent.total_units
            assert ent.held_units == ent.redemptions.filter(status=RedemptionStatus.PENDING).count()
            assert ent.used_units == ent.redemptions.filter(status=RedemptionStatus.POSTED).count()
            if not package.cancelled:
                assert ent.remaining == package.left
        for bill in self.bills:
            if bill.status != BillStatus.OPEN:
                assert not Redemption.objects.filter(bill_id=bill.id, status=RedemptionStatus.PENDING).exists()


def _row(bill: BillState) -> Bill:
    return Bill.objects.get(id=bill.id)


steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 11)), min_size=5, max_size=30)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.integers(0, len(PLANS) - 1), steps=steps)
def test_no_sequence_of_counter_actions_over_redeems_or_unbalances_the_books(db, first, steps):
    with transaction.atomic():  # each example rolls back: examples are independent
        day = Day()
        day.sell(first)  # start with a package to redeem
        for action, n in steps:
            day.do(action, n)
            day.check_units()
        assert_books_balance(day.c.business)
        transaction.set_rollback(True)
