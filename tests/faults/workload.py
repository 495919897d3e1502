"""A randomised day at a busy chain, for tests/faults/test_workload.py: several terminals at once
selling packages, redeeming sessions, releasing them, closing, voiding, retrying closes with the
same key, refunding, freezing — each terminal's choices drawn from its own seeded generator, so
a failing run is replayed by its seed (the interleaving of the threads still varies).

Refusals (DomainError: the last session taken by another terminal, a void of a bill with
redeemed sessions, …) are outcomes like any other; anything else is a failure."""
from __future__ import annotations

import random
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection

from glowpos.billing import services as billing
from glowpos.billing.models import Bill, BillStatus, LineType
from glowpos.errors import DomainError
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage, PackageStatus
from tests import factories

PLANS = ["LHR-6", "CLN-5", "PEEL-4", "BRIDAL"]


@dataclass
class Day:
    clinic: factories.Clinic
    clients: list
    closed: list = field(default_factory=list)  # (bill id, key, payments, document number)
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)


class Terminal:
    def __init__(self, day: Day, n: int, seed: int):
        self.day, self.n, self.rng = day, n, random.Random(seed * 1000 + n)
        self.open: list[int] = []
        self.keys = 0

    # -- the actions ---------------------------------------------------------------------------
    def sell(self):
        c = self.day.clinic
        bill = billing.open_bill(client_id=self._client().id, by=c.front_desk)
        billing.add_package_sale(bill_id=bill.id, plan_id=c.plan(self.rng.choice(PLANS)).id, by=c.front_desk)
        self.open.append(bill.id)
        self.close(bill.id)

    def redeem(self):
        c = self.day.clinic
        who = self._client()
        package = self._package(who)
        if package is None:
            return self.sell()
        bill_id = self._my_bill_for(who) or billing.open_bill(client_id=who.id, by=c.front_desk).id
        if bill_id not in self.open:
            self.open.append(bill_id)
        service = self.rng.choice(list(package.entitlements.values_list("service_id", flat=True)))
        packages.apply_package(bill_id=bill_id, package_id=package.id, service_id=service, by=c.front_desk)
        if self.rng.random() < 0.3:
            billing.add_service(bill_id=bill_id, service_id=c.service("Skin cleanup").id, by=c.front_desk)

    def release(self):
        bill_id = self._mine()
        if bill_id is None:
            return
        line = Bill.objects.get(id=bill_id).lines.filter(type=LineType.REDEMPTION).first()
        if line is not None:
            billing.remove_line(bill_id=bill_id, line_id=line.id, by=self.day.clinic.front_desk)

    def close(self, bill_id: int | None = None):
        bill_id = bill_id or self._mine()
        if bill_id is None:
            return
        bill = Bill.objects.get(id=bill_id)
        payments = factories.payment_due(bill, self.rng.choice(["cash", "card", "upi"]))
        self.keys += 1
        key = f"t{self.n}-{self.keys}"
        self.open.remove(bill_id)
        closed = billing.close_bill(bill_id=bill_id, payments=payments, idempotency_key=key,
                                    by=self.day.clinic.front_desk)
        with self.day.lock:
            self.day.closed.append((bill_id, key, payments, closed.document.number))

    def retry(self):
        if not self.day.closed:
            return
        bill_id, key, payments, number = self.rng.choice(self.day.closed)
        again = billing.close_bill(bill_id=bill_id, payments=payments, idempotency_key=key,
                                   by=self.day.clinic.front_desk)
        if again.document.number != number:
            raise AssertionError(f"retry of bill {bill_id} gave {again.document.number}, not {number}")

    def void(self):
        c = self.day.clinic
        if self.open and self.rng.random() < 0.4:
            bill_id = self.rng.choice(self.open)
            self.open.remove(bill_id)
        elif self.day.closed:
            bill_id = self.rng.choice(self.day.closed)[0]
        else:
            return
        billing.void_bill(bill_id=bill_id, reason="workload", by=c.manager)

    def refund(self):
        if not self.day.closed:
            return
        bill_id = self.rng.choice(self.day.closed)[0]
        line = Bill.objects.get(id=bill_id).lines.filter(type=LineType.SERVICE).first()
        if line is not None:
            billing.refund_line(bill_id=bill_id, line_id=line.id, amount=self.rng.randint(1, line.amount),
                                reason="workload", method="cash", by=self.day.clinic.manager)

    def freeze(self):
        package = self._package(self._client())
        if package is None:
            return
        c = self.day.clinic
        packages.freeze_package(package_id=package.id, reason="workload", by=c.manager)
        packages.unfreeze_package(package_id=package.id, reason="workload", by=c.manager)

    ACTIONS = {"sell": 2, "redeem": 8, "release": 2, "close": 6, "void": 2, "retry": 2, "refund": 1, "freeze": 1}

    # -- running -------------------------------------------------------------------------------
    def run(self, steps: int) -> None:
        names, weights = zip(*self.ACTIONS.items())
        try:
            for _ in range(steps):
                action = self.rng.choices(names, weights)[0]
                try:
                    getattr(self, action)()
                    self.day.outcomes[action] += 1
                except DomainError as refusal:
                    self.day.outcomes[f"{action}:{refusal.code}"] += 1
                except Exception:  # noqa: BLE001 - recorded, the test fails on it
                    self.day.failures.append(f"terminal {self.n} {action}: {traceback.format_exc()}")
            for bill_id in list(self.open):  # the end of the day: close what is still open
                try:
                    self.close(bill_id)
                except DomainError as refusal:
                    self.day.outcomes[f"close:{refusal.code}"] += 1
        finally:
            connection.close()

    # -- helpers -------------------------------------------------------------------------------
    def _client(self):
        return self.rng.choice(self.day.clients)

    def _package(self, who):
        found = list(ClientPackage.objects.filter(client=who, status=PackageStatus.ACTIVE)
                     .exclude(plan__kind="value").order_by("id"))
        return self.rng.choice(found) if found else None

    def _mine(self):
        return self.rng.choice(self.open) if self.open else None

    def _my_bill_for(self, who):
        mine = [b for b in Bill.objects.filter(id__in=self.open, client=who, status=BillStatus.OPEN)
                .values_list("id", flat=True)]
        return mine[0] if mine else None


def run_day(clinic, *, seed: int, terminals: int, steps: int, clients: int = 6) -> Day:
    rng = random.Random(seed)
    people = [factories.client(clinic, name=f"Client {i}") for i in range(clients)]
    for who in people:
        factories.sold_package(clinic, who, plan=rng.choice(PLANS))
    day = Day(clinic, people)
    threads = [threading.Thread(target=Terminal(day, n, seed).run, args=(steps,)) for n in range(terminals)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not any(t.is_alive() for t in threads), "a terminal never finished (deadlock?)"
    return day
