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
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
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
                                       by=desk, at=at)
                counts["redemptions"] += 1
            elif not owned and rng.random() < 0.35:
                billing.add_package_sale(bill_id=bill.id, plan_id=rng.choice(plans).id, by=desk)
                counts["packages"] += 1
            else:
                billing.add_service(bill_id=bill.id, service_id=rng.choice(services).id, by=desk)
            if rng.random() < 0.2:
                billing.add_product(bill_id=bill.id, product_id=rng.choice(products).id, by=desk)
            due = billing.bill_totals(bill).total
            payments = [{"method": rng.choice(METHODS), "amount": due}] if due else []
            billing.close_bill(bill_id=bill.id, payments=payments, idempotency_key=f"demo-{bill.id}",
                               by=desk, at=at)
            counts["bills"] += 1
    return counts
