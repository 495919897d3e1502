"""A realistic few months of a clinic's life, made through the real services (so every
document, redemption and journal entry in the demo is one the product itself would write)."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.catalog.models import PackagePlan, Product, Service
from glowpos.clients.services import create_client
from glowpos.errors import DomainError
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage, Entitlement, PackageStatus
from glowpos.tenancy.models import Business, Role, StaffMember

FIRST = ["Priya", "Ananya", "Kavya", "Divya", "Meera", "Sneha", "Pooja", "Lakshmi", "Aishwarya", "Nandini",
         "Shruti", "Ritu", "Neha", "Swathi", "Deepa", "Rekha", "Anjali", "Bhavana", "Harini", "Tanvi",
         "Rahul", "Arjun", "Vikram", "Karthik", "Rohan", "Aditya", "Sanjay", "Nikhil"]
LAST = ["Sharma", "Iyer", "Reddy", "Nair", "Rao", "Menon", "Gowda", "Shetty", "Kulkarni", "Patel",
        "Hegde", "Pillai", "Krishnan", "Joshi", "Bhat", "Das"]
METHODS = ["upi", "upi", "upi", "card", "cash"]


def _at(day, rng: random.Random) -> datetime:
    clock = time(hour=rng.randint(10, 19), minute=rng.choice([0, 10, 15, 20, 30, 40, 45, 50]))
    return timezone.make_aware(datetime.combine(day, clock))


def make_history(business: Business, *, clients: int = 40, days: int = 150, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    desk = StaffMember.objects.get(business=business, role=Role.FRONT_DESK)
    # Who performs each treatment: mostly the practitioner, some days the manager, now and then
    # not recorded. Its own random stream, so the rest of the history is the same as before.
    by_rng = random.Random(seed + 1)
    performers = [s.id for s in StaffMember.objects.filter(business=business, role=Role.PRACTITIONER)] * 3 + [
        s.id for s in StaffMember.objects.filter(business=business, role=Role.MANAGER)] + [None]
    people = []
    for i in range(clients):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        phone = f"9{rng.randint(600000000, 999999999)}"
        try:
            people.append(create_client(by=desk, name=name, phone=phone,
                                        email=f"{name.split()[0].lower()}{i}@example.in"))
        except DomainError:
            continue
    # The first demo client always has this number, so the README's curl steps work.
    people[0].phone, people[0].phone_reversed = "+919876543210", "0123456789"
    people[0].save(update_fields=["phone", "phone_reversed"])
    plans = list(PackagePlan.objects.filter(business=business).exclude(kind="value"))
    services = list(Service.objects.filter(business=business).exclude(name__icontains="consult"))
    products = list(Product.objects.filter(business=business))
    counts = {"bills": 0, "packages": 0, "redemptions": 0}
    today = timezone.localdate()
    last_visit: dict[int, object] = {}  # entitlement id → day of its last session
    lhr = next(p for p in plans if p.code == "LHR-6")
    story = PackageStory(business, days=days)
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        # What the worker does each morning: packages past their expiry go to breakage.
        packages.expire_packages(on=day, business=business)
        story.on(offset, day, counts)
        if day.weekday() == 1:  # closed on Tuesdays
            continue
        visitors = rng.sample(people[1:], k=min(len(people) - 1, rng.randint(2, 4)))
        if offset in (days, days - 30, days - 61, days - 92):
            visitors.append(people[0])  # Priya: a laser course, a session a month
        for client in visitors:
            at = _at(day, rng)
            bill = billing.open_bill(client_id=client.id, by=desk, at=at)
            owned = list(ClientPackage.objects.filter(client=client, status=PackageStatus.ACTIVE))
            redeemable = [
                e for e in Entitlement.objects.filter(package__in=owned).select_related("package", "service")
                if e.remaining > 0 and e.package.expires_on >= day
                and (day - last_visit.get(e.id, day - timedelta(days=999))).days >= e.service.min_interval_days
            ]
            if client == people[0] and not owned:
                billing.add_package_sale(bill_id=bill.id, plan_id=lhr.id, by=desk)
                counts["packages"] += 1
            elif redeemable and rng.random() < 0.8:
                e = rng.choice(redeemable)
                last_visit[e.id] = day
                packages.apply_package(bill_id=bill.id, package_id=e.package_id, service_id=e.service_id,
                                       by=desk, at=at, practitioner_id=by_rng.choice(performers))
                counts["redemptions"] += 1
            elif not owned and rng.random() < 0.35:
                billing.add_package_sale(bill_id=bill.id, plan_id=rng.choice(plans).id, by=desk)
                counts["packages"] += 1
            else:
                billing.add_service(bill_id=bill.id, service_id=rng.choice(services).id, by=desk,
                                    practitioner_id=by_rng.choice(performers))
            if rng.random() < 0.2:
                billing.add_product(bill_id=bill.id, product_id=rng.choice(products).id, by=desk)
            due = billing.bill_totals(bill).total
            payments = [{"method": rng.choice(METHODS), "amount": due}] if due else []
            billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=f"demo-{bill.id}",
                               by=desk, at=at)
            counts["bills"] += 1
    return counts


class PackageStory:
    """The value packages and memberships of a few clients of their own (the random visitors
    above never touch them), scripted over the same days:

    Farah Khan    GLOW-12K: spends her credit over four visits (all credit, then credit + cash)
    Isha Menon    GLOW-12K: spends part of it; shares it with her daughter Diya, who spends too
    Gayatri Rao   GLOW-CLUB every month: her facial each period, a hair spa at the member price
    Jaya Pillai   GLOW-CLUB once, never comes: the unused facial lapses to breakage
    Lata Bhat     LHR-6: two sessions, then frozen (travelling) — still frozen
    Mohan Das     CLN-5: two sessions, then cancelled with a refund of the rest less the fee
    Nisha Gowda   PEEL-4: one session, the rest transferred to her sister Nirmala, who goes on
    Radha Iyer    BRIDAL: shared with her daughter Sita; each redeems from it
    """

    PEOPLE = ["Farah Khan", "Isha Menon", "Diya Menon", "Gayatri Rao", "Jaya Pillai", "Lata Bhat", "Mohan Das",
              "Nisha Gowda", "Nirmala Gowda", "Radha Iyer", "Sita Iyer"]

    def __init__(self, business: Business, *, days: int):
        self.business, self.days = business, days
        self.desk = StaffMember.objects.get(business=business, role=Role.FRONT_DESK)
        self.manager = StaffMember.objects.get(business=business, role=Role.MANAGER)
        self.who = {}
        for n, name in enumerate(self.PEOPLE):
            self.who[name.split()[0]] = create_client(by=self.desk, name=name, phone=f"98450{n:05d}")
        self.plan = {p.code: p for p in PackagePlan.objects.filter(business=business)}
        self.service = {s.name: s for s in Service.objects.filter(business=business)}
        self.owned: dict[str, ClientPackage] = {}
        self.pending: list[tuple] = []
        # Days before today (at the default 150 days of history) → what happens.
        self.script = {
            140: [("buy", "Farah", "GLOW-12K", "upi"), ("buy", "Lata", "LHR-6", "card")],
            130: [("buy", "Mohan", "CLN-5", "cash"), ("buy", "Nisha", "PEEL-4", "upi")],
            125: [("spend", "Farah", "HydraFacial", 500_000), ("redeem", "Lata", "LHR-6", "Laser hair reduction")],
            120: [("redeem", "Mohan", "CLN-5", "Skin cleanup"), ("redeem", "Nisha", "PEEL-4", "Chemical peel")],
            110: [("buy", "Isha", "GLOW-12K", "card"), ("redeem", "Mohan", "CLN-5", "Skin cleanup")],
            100: [("spend", "Farah", "Hair spa", 100_000), ("join", "Gayatri")],
            95: [("redeem", "Lata", "LHR-6", "Laser hair reduction"), ("spend", "Isha", "Gold facial", 250_000)],
            90: [("cancel", "Mohan", "CLN-5", "Moving to Pune")],
            85: [("transfer", "Nisha", "PEEL-4", "Nirmala"), ("share", "Isha", "GLOW-12K", "Diya")],
            80: [("join", "Jaya"), ("spend", "Diya", "Skin cleanup", 120_000)],
            75: [("redeem", "Nirmala", "PEEL-4", "Chemical peel"), ("spend", "Farah", "HydraFacial", 400_000)],
            65: [("freeze", "Lata", "LHR-6", "Travelling abroad for two months")],
            60: [("buy", "Radha", "BRIDAL", "upi"), ("share", "Radha", "BRIDAL", "Sita")],
            55: [("spend", "Isha", "Chemical peel", 200_000)],
            50: [("redeem", "Sita", "BRIDAL", "Hair spa"), ("redeem", "Nirmala", "PEEL-4", "Chemical peel")],
            40: [("redeem", "Radha", "BRIDAL", "HydraFacial")],
            30: [("spend", "Farah", "Skin cleanup", 120_000), ("redeem", "Sita", "BRIDAL", "Hair spa")],
        }

    def on(self, offset: int, day, counts: dict[str, int]) -> None:
        """Run the day's steps (a Tuesday's wait for Wednesday: the clinic is closed)."""
        if self.days >= max(self.script):  # a shorter history has no room for the story
            self.pending += self.script.get(offset, [])
        if day.weekday() == 1:
            return
        at = timezone.make_aware(datetime.combine(day, time(hour=9, minute=30)))
        for step in self.pending:
            getattr(self, step[0])(*step[1:], at=at, counts=counts)
        self.pending = []
        self._club(day, at, counts)

    def _bill(self, name: str, at):
        return billing.open_bill(client_id=self.who[name].id, by=self.desk, at=at)

    def _close(self, bill, payments, at, counts) -> None:
        billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=f"demo-{bill.id}", by=self.desk, at=at)
        counts["bills"] += 1

    def _paid(self, bill, method="upi") -> list[dict]:
        due = billing.bill_totals(bill).total
        return [{"method": method, "amount": due}] if due else []

    def buy(self, name: str, code: str, method: str, *, at, counts) -> None:
        bill = self._bill(name, at)
        billing.add_package_sale(bill_id=bill.id, plan_id=self.plan[code].id, by=self.desk)
        self._close(bill, self._paid(bill, method), at, counts)
        self.owned[f"{name}:{code}"] = ClientPackage.objects.get(sale_bill=bill)
        counts["packages"] += 1

    def spend(self, name: str, service: str, credit: int, *, at, counts) -> None:
        """A service paid with GLOW-12K credit (hers or her mother's), any rest in cash."""
        bill = self._bill(name, at)
        billing.add_service(bill_id=bill.id, service_id=self.service[service].id, by=self.desk, at=at)
        due = billing.bill_totals(bill).total
        payments = [{"method": "credit", "amount": credit}] + ([{"method": "cash", "amount": due - credit}]
                                                               if due > credit else [])
        self._close(bill, payments, at, counts)

    def redeem(self, name: str, code: str, service: str, *, at, counts) -> None:
        """A visit paid from her package, or from one shared with her."""
        package = self.owned.get(f"{name}:{code}") or next(
            p for key, p in self.owned.items() if key.endswith(f":{code}") and p.shares.filter(client=self.who[name]).exists())
        bill = self._bill(name, at)
        packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=self.service[service].id,
                               by=self.desk, at=at)
        self._close(bill, [], at, counts)
        counts["redemptions"] += 1

    def join(self, name: str, *, at, counts) -> None:
        self.buy(name, "GLOW-CLUB", "upi", at=at, counts=counts)

    def _club(self, day, at, counts) -> None:
        """Gayatri renews on the last day of each period, has her facial in its first week and
        a hair spa at the member price in its second."""
        period = (ClientPackage.objects.filter(client=self.who["Gayatri"], plan__code="GLOW-CLUB")
                  .order_by("-purchased_on", "-id").first())
        if period is None:
            return
        if period.expires_on - timedelta(days=2) <= day <= period.expires_on:  # renewed early: starts the day after
            self.buy("Gayatri", "GLOW-CLUB", "upi", at=at, counts=counts)
        elif period.purchased_on + timedelta(days=4) <= day <= period.purchased_on + timedelta(days=6) \
                and period.status == PackageStatus.ACTIVE:
            self.owned["Gayatri:GLOW-CLUB"] = period
            self.redeem("Gayatri", "GLOW-CLUB", "Gold facial", at=at, counts=counts)
        elif day == period.purchased_on + timedelta(days=11 if (day - timedelta(days=1)).weekday() != 1 else 12):
            bill = self._bill("Gayatri", at)
            billing.add_service(bill_id=bill.id, service_id=self.service["Hair spa"].id, by=self.desk, at=at)
            self._close(bill, self._paid(bill, "card"), at, counts)

    def freeze(self, name: str, code: str, reason: str, *, at, counts) -> None:
        packages.freeze_package(package_id=self.owned[f"{name}:{code}"].id, reason=reason, by=self.manager, at=at)

    def cancel(self, name: str, code: str, reason: str, *, at, counts) -> None:
        packages.cancel_package(package_id=self.owned[f"{name}:{code}"].id, reason=reason, method="upi",
                                by=self.manager, at=at)

    def transfer(self, name: str, code: str, to: str, *, at, counts) -> None:
        new = packages.transfer_package(package_id=self.owned[f"{name}:{code}"].id, to_client_id=self.who[to].id,
                                        reason="Her sister will use the rest", by=self.manager, at=at)
        self.owned[f"{to}:{code}"] = new

    def share(self, name: str, code: str, to: str, *, at, counts) -> None:
        packages.share_package(package_id=self.owned[f"{name}:{code}"].id, client_id=self.who[to].id,
                               by=self.desk, at=at)
