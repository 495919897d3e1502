"""Helpers of the browser tests: a terminal at the counter, and past visits to build on."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page

from glowpos.billing import services as billing
from glowpos.clients.models import Client
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage
from glowpos.tenancy.models import StaffMember
from tests import factories

TIMEOUT_MS = 10_000


class Desk:
    """One terminal at the counter: a browser context logged in as a staff member."""

    def __init__(self, browser: Browser, base: str, staff: StaffMember):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.page.goto(f"{base}/login/")
        self.page.fill("input[name=username]", staff.user.username)
        self.page.fill("input[name=password]", factories.PASSWORD)
        self.page.click("button:has-text('Log in')")
        self.page.wait_for_url(f"{base}/")

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def goto(self, path: str):
        return self.page.goto(self.url(path))


def sold(c: factories.Clinic, who: Client, *, plan: str, days_ago: int) -> ClientPackage:
    """A package sold (and paid by card) `days_ago` days ago."""
    at = timezone.now() - timedelta(days=days_ago)
    bill = billing.open_bill(client_id=who.id, by=c.front_desk, at=at)
    billing.add_package_sale(bill_id=bill.id, plan_id=c.plan(plan).id, by=c.front_desk)
    due = billing.bill_totals(bill).total
    billing.close_bill(bill_id=bill.id, payments=[{"method": "card", "amount": due}],
                       idempotency_key=f"sold-{bill.id}", by=c.front_desk, at=at)
    return ClientPackage.objects.get(sale_bill=bill)


def redeemed(c: factories.Clinic, package: ClientPackage, *, days_ago: list[int]) -> None:
    """Past visits, one per entry of `days_ago` (spaced beyond the service's minimum interval):
    a session of the package's first item redeemed and the bill closed."""
    entitlement = package.entitlements.order_by("id").first()
    for days in days_ago:
        at = timezone.now() - timedelta(days=days)
        bill = billing.open_bill(client_id=package.client_id, by=c.front_desk, at=at)
        packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=entitlement.service_id,
                               by=c.front_desk, at=at)
        billing.close_bill(bill_id=bill.id, payments=[], idempotency_key=f"past-{bill.id}",
                           by=c.front_desk, at=at)
