"""What each counter screen shows, gathered from the domain selectors in one call per screen.

Reads only. Shapes data for templates (days to expiry, meter segments, captions); every
rule (what is redeemable, what is due) comes from the domain apps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from glowpos.billing.models import BillStatus
from glowpos.billing.selectors import (
    bill_data,
    bills_of_day,
    day_summary,
    get_bill,
    issued_document,
    open_bill_of,
    recent_visits,
)
from glowpos.catalog import selectors as catalog
from glowpos.clients.selectors import get_client
from glowpos.packages.models import PackageStatus
from glowpos.packages.selectors import (
    client_packages,
    expiring_packages,
    low_balance_packages,
    package_data,
)
from glowpos.tenancy.models import StaffMember

EXPIRY_WARNING_DAYS = 30


@dataclass
class ItemCard:
    service_id: int
    service_name: str
    total: int
    used: int
    held: int
    remaining: int
    redeemable: bool

    @property
    def percent_left(self) -> int:
        return round(100 * self.remaining / self.total) if self.total else 0


@dataclass
class PackageCard:
    id: int
    plan_name: str
    plan_code: str
    status: str
    purchased_on: date
    expires_on: date
    days_left: int
    items: list[ItemCard] = field(default_factory=list)
    credit_total: int | None = None  # value packages: paise of credit, face value
    credit_remaining: int | None = None

    @property
    def expiry_warning(self) -> bool:
        return self.days_left <= EXPIRY_WARNING_DAYS

    @property
    def flagged(self) -> bool:
        return self.status != PackageStatus.ACTIVE


def _cards(packages, *, on: date) -> list[PackageCard]:
    cards = []
    for package in packages:
        data = package_data(package, on=on)
        active = data["status"] == PackageStatus.ACTIVE
        cards.append(PackageCard(
            id=package.id, plan_name=data["plan_name"], plan_code=data["plan_code"], status=data["status"],
            purchased_on=package.purchased_on, expires_on=package.expires_on,
            days_left=(package.expires_on - on).days,
            credit_total=data.get("credit_total"), credit_remaining=data.get("credit_remaining"),
            items=[
                ItemCard(service_id=i["service_id"], service_name=i["service_name"], total=i["total"],
                         used=i["used"], held=i["held"], remaining=i["remaining"],
                         redeemable=active and i["remaining"] > 0)
                for i in data["items"]
            ],
        ))
    return cards


def profile(*, staff: StaffMember, client_id: int, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    client = get_client(business=staff.business, client_id=client_id)
    packages = [p for p in client_packages(client=client)
                if p.status not in (PackageStatus.CANCELLED, PackageStatus.TRANSFERRED)]
    return {
        "client": client,
        "packages": _cards(packages, on=on),
        "open_bill": open_bill_of(client=client, branches=staff.allowed_branches()),
        "visits": recent_visits(client=client),
        "today": on,
    }


def _redemption_caption(line: dict, names: dict[int, str]) -> str:
    p = line["package"]
    name = names.get(line["service_id"]) or line["description"].split(" — ")[0]
    if p["status"] == "pending":
        return f"{name} — session {p['session']} of {p['total']}, {p['remaining_after']} remaining after this visit"
    return line["description"]


def bill_screen(*, staff: StaffMember, bill_id: int, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    bill = get_bill(business=staff.business, bill_id=bill_id)
    data = bill_data(bill)
    services = list(catalog.services(business=staff.business))
    names = {s.id: s.name for s in services}
    for line in data["lines"]:
        line["caption"] = _redemption_caption(line, names) if "package" in line else line["description"]
    is_open = bill.status == BillStatus.OPEN
    packages = client_packages(client=bill.client) if is_open else []
    return {
        "bill": bill,
        "data": data,
        "client": bill.client,
        "is_open": is_open,
        "redeemable": [(card, item) for card in _cards(packages, on=on) for item in card.items if item.redeemable],
        "services": services if is_open else [],
        "products": list(catalog.products(business=staff.business)) if is_open else [],
        "plans": list(catalog.plans(business=staff.business)) if is_open else [],
    }


def receipt_screen(*, staff: StaffMember, bill_id: int) -> dict:
    document = issued_document(business=staff.business, bill_id=bill_id)
    return {"document": document, "s": document.snapshot, "bill_id": bill_id, "client": document.client,
            "voided": document.bill.status == BillStatus.VOIDED if document.bill_id else False}


def today(*, staff: StaffMember, on: date | None = None) -> dict:
    on = on or timezone.localdate()
    business = staff.business
    return {
        "today": on,
        "summary": day_summary(business=business, on=on),
        "bills": bills_of_day(business=business, on=on),
        "expiring": expiring_packages(business=business, on=on, within_days=EXPIRY_WARNING_DAYS),
        "low": low_balance_packages(business=business, on=on),
    }
