"""Packages that cannot be redeemed are flagged on her profile and offer no Redeem button."""
from __future__ import annotations

from playwright.sync_api import expect

from glowpos.packages.models import ClientPackage, PackageStatus
from tests import factories
from tests.e2e.counter import redeemed, sold


def test_exhausted_and_expired_packages_are_flagged_and_have_no_redeem_button(clinic_live, terminal):
    divya = factories.client(clinic_live, name="Divya Menon")
    exhausted = sold(clinic_live, divya, plan="PEEL-4", days_ago=100)
    redeemed(clinic_live, exhausted, days_ago=[90, 70, 50, 30])  # peels: 14 days apart at least
    expired = sold(clinic_live, divya, plan="CLN-5", days_ago=200)
    active = factories.sold_package(clinic_live, divya, plan="LHR-6")
    assert ClientPackage.objects.get(id=exhausted.id).status == PackageStatus.EXHAUSTED

    desk = terminal()
    desk.goto(f"/clients/{divya.id}/")
    page = desk.page

    spent = page.locator(f"#package-{exhausted.id}")
    expect(spent.locator(".badge")).to_have_text("Exhausted")
    expect(spent.locator(".remaining")).to_have_text("0 of 4")
    expect(spent.locator(".flag")).to_contain_text("nothing left to redeem")
    expect(spent.locator("[data-redeem]")).to_have_count(0)

    old = page.locator(f"#package-{expired.id}")
    expect(old.locator(".badge")).to_have_text("Expired")
    expect(old.locator(".expiry.soon")).to_contain_text("Expired")
    expect(old.locator("[data-redeem]")).to_have_count(0)

    expect(page.locator(f"#package-{active.id} [data-redeem]")).to_have_count(1)
