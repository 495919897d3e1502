"""A package's life in a real browser: a manager freezes it while the counter has her profile
open, the Redeem click is refused with the frozen message, unfreezing lets it through; a
cancel shows the refund before it is confirmed and the credit note after."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from glowpos.billing.models import Bill, BillStatus
from glowpos.documents.models import Document, DocumentKind
from glowpos.packages.models import ClientPackage, PackageStatus
from tests import factories
from tests.e2e.counter import redeemed, sold


def test_freeze_refuses_the_redeem_click_and_unfreeze_lets_it_through(clinic_live, terminal):
    priya = factories.client(clinic_live, name="Priya Sharma", phone="98765 01234")
    package = sold(clinic_live, priya, plan="LHR-6", days_ago=70)
    redeemed(clinic_live, package, days_ago=[60, 30])
    counter, office = terminal(), terminal(clinic_live.manager)
    counter.goto(f"/clients/{priya.id}/")
    expect(counter.page.locator(f"#package-{package.id} [data-redeem]")).to_have_count(1)

    # The manager, in the back office, freezes it.
    office.goto(f"/packages/{package.id}/")
    office.page.locator("#change-freeze summary").click()
    office.page.locator("#change-freeze input[name=reason]").fill("Travelling for two months")
    office.page.get_by_role("button", name="Freeze the package").click()
    expect(office.page.locator(".flash")).to_contain_text("frozen: redeeming it is refused")
    expect(office.page.locator(".history .event").first).to_contain_text("Frozen")
    expect(office.page.locator(".history .event").first).to_contain_text("Travelling for two months")

    # The counter still shows the button from before; the click is refused, nothing is billed.
    counter.page.locator(f"#package-{package.id} [data-redeem]").click()
    problem = counter.page.locator(".problem")
    expect(problem).to_have_attribute("data-code", "package_frozen")
    expect(problem).to_contain_text("Package frozen")
    expect(problem).to_contain_text("is frozen; a manager can unfreeze it")
    card = counter.page.locator(f"#package-{package.id}")
    expect(card.locator(".badge")).to_have_text("Frozen")
    expect(card.locator("[data-redeem]")).to_have_count(0)
    assert not Bill.objects.filter(client=priya, status=BillStatus.OPEN).exists()

    # Unfrozen (the Unfreeze form is open on a frozen package), the same click goes through.
    office.page.reload()
    office.page.locator("#change-unfreeze input[name=reason]").fill("Back in town")
    office.page.get_by_role("button", name="Unfreeze the package").click()
    expect(office.page.locator(".flash")).to_contain_text("active again")
    counter.goto(f"/clients/{priya.id}/")
    counter.page.locator(f"#package-{package.id} [data-redeem]").click()
    counter.page.wait_for_url(re.compile(r"/bills/\d+/$"))
    expect(counter.page.locator("tr.line.redemption")).to_contain_text("session 3 of 6")


def test_cancel_shows_the_refund_first_then_the_credit_note(clinic_live, terminal):
    meera = factories.client(clinic_live, name="Meera Nair")
    package = sold(clinic_live, meera, plan="LHR-6", days_ago=70)
    redeemed(clinic_live, package, days_ago=[60, 30])
    office = terminal(clinic_live.manager)
    office.goto(f"/clients/{meera.id}/")
    office.page.locator(f"#package-{package.id} .history-link").click()
    office.page.wait_for_url(office.url(f"/packages/{package.id}/"))
    page = office.page

    page.locator("#change-cancel summary").click()
    refund = page.locator("#refund-amount").inner_text()
    expect(page.locator("#change-cancel .quote")).to_contain_text("₹16,000.00")  # 4 of 6 sessions unused
    page.locator("#change-cancel input[name=reason]").fill("Moving to Delhi")
    page.get_by_role("button", name=f"Cancel and refund {refund}").click()  # without a method: the browser asks
    assert ClientPackage.objects.get(id=package.id).status == PackageStatus.ACTIVE
    page.locator("#change-cancel label.choice", has_text="UPI").click()
    page.get_by_role("button", name=f"Cancel and refund {refund}").click()

    credit_note = Document.objects.get(original=package.sale_document, kind=DocumentKind.CREDIT_NOTE)
    expect(page.locator(".flash")).to_contain_text(f"Cancelled. Refund {refund} by UPI")
    expect(page.locator(".flash")).to_contain_text(f"credit note {credit_note.number}")
    expect(page.locator(".documents")).to_contain_text(credit_note.number)
    expect(page.locator(".badge").first).to_have_text("Cancelled")
    assert f"₹{credit_note.total // 100:,}.{credit_note.total % 100:02d}" == refund


def test_reports_and_manage_stay_in_the_nav_on_a_tablet(clinic_live, terminal):
    office = terminal(clinic_live.manager)
    office.page.set_viewport_size({"width": 768, "height": 1024})
    office.goto("/")
    expect(office.page.get_by_role("link", name="Reports")).to_be_visible()
    expect(office.page.get_by_role("link", name="Manage")).to_be_visible()
    expect(office.page.locator("#q")).to_be_visible()
