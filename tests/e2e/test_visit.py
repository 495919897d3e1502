"""A redemption visit at the counter, in a real browser: find her by four digits, redeem in
one click, close, and the receipt shows what is left."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from glowpos.billing.models import Bill, BillStatus, Payment
from glowpos.documents.models import Document
from glowpos.packages.models import Entitlement
from glowpos.receipts.models import OutboxMessage
from tests import factories
from tests.e2e.counter import redeemed, sold


def test_full_visit_by_four_digits_redeem_close_and_receipt_shows_what_is_left(clinic_live, terminal):
    factories.client(clinic_live, name="Ananya Iyer", phone="98450 11234")  # same last 4 digits
    priya = factories.client(clinic_live, name="Priya Sharma", phone="98765 01234")
    package = sold(clinic_live, priya, plan="LHR-6", days_ago=130)
    redeemed(clinic_live, package, days_ago=[120, 90, 60])  # laser: 28 days apart at least
    desk = terminal()
    page = desk.page

    expect(page.locator("#q")).to_be_focused()
    page.locator("#q").press_sequentially("1234")
    options = page.locator("#search-results [role=option]")
    expect(options).to_have_text([re.compile("Ananya Iyer"), re.compile("Priya Sharma")])
    page.locator("#q").press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.locator("#q").press("Enter")
    page.wait_for_url(desk.url(f"/clients/{priya.id}/"))

    card = page.locator(f"#package-{package.id}")
    expect(card.locator(".remaining")).to_have_text("3 of 6")
    expect(card.locator(".badge")).to_have_text("Active")
    card.locator("[data-redeem]").click()

    page.wait_for_url(re.compile(r"/bills/\d+/$"))
    bill_id = int(re.search(r"/bills/(\d+)/", page.url)[1])
    expect(page.locator("tr.line.redemption")).to_contain_text(
        "Laser hair reduction — session 4 of 6, 2 remaining after this visit")
    expect(page.locator("#amount-due")).to_have_text("₹0.00")
    # Who performs the session: picked on the line, saved at once (htmx on change).
    by = page.locator("tr.line.redemption select[name=practitioner_id]")
    by.select_option(str(clinic_live.practitioner.id))
    expect(page.locator(f"tr.line.redemption option[value='{clinic_live.practitioner.id}'][selected]")).to_have_count(1)
    page.locator("#close-bill").click()

    page.wait_for_url(desk.url(f"/bills/{bill_id}/receipt"))
    assert Bill.objects.get(id=bill_id).lines.get().practitioner_id == clinic_live.practitioner.id
    document = Document.objects.get(bill_id=bill_id)
    expect(page.locator("#doc-number")).to_have_text(document.number)
    expect(page.locator(f".after-visit [data-package='{package.id}'] .remaining")).to_have_text("2 of 6")
    expect(page.locator("#public-link")).to_contain_text(f"/r/{document.receipt_token}")
    expect(page.locator(".qr svg")).to_be_visible()
    page.get_by_role("button", name="WhatsApp").click()
    expect(page.locator("#send")).to_contain_text("Receipt queued for WhatsApp to +919876501234")
    assert OutboxMessage.objects.filter(document=document, channel="whatsapp").count() == 1
    assert Entitlement.objects.get(package=package).used_units == 4


def test_split_payment_fills_the_rest_shows_change_and_a_mismatch_changes_nothing(clinic_live, terminal):
    meera = factories.client(clinic_live, name="Meera Nair")
    desk = terminal()
    page = desk.page
    desk.goto(f"/clients/{meera.id}/")
    page.get_by_role("button", name="Start a bill").click()
    page.wait_for_url(re.compile(r"/bills/\d+/$"))
    bill_id = int(re.search(r"/bills/(\d+)/", page.url)[1])

    # Add from the quick-pick, then take a line off again.
    page.locator("button.pick:not(.plan)", has_text="Hair spa").click()
    expect(page.locator("tr.line.service")).to_contain_text("Hair spa")
    page.locator("button.pick:not(.plan)", has_text="Vitamin C serum").click()
    expect(page.locator("tr.line.product")).to_contain_text("Vitamin C serum")
    page.locator("tr.line.service button[title='Remove this line']").click()
    expect(page.locator("tr.line.service")).to_have_count(0)
    expect(page.locator("#amount-due")).to_have_text("₹1,450.00")

    page.fill("input[name=pay_card]", "1000")
    expect(page.locator("input[name=pay_cash]")).to_have_value("450")  # the rest, filled in
    page.fill("input[name=cash_received]", "500")
    expect(page.locator("[data-change]")).to_have_text("Change ₹50.00")

    page.fill("input[name=pay_cash]", "100")
    page.locator("#close-bill").click()
    problem = page.locator(".problem")
    expect(problem).to_contain_text("Payment does not match the amount due")
    expect(problem).to_contain_text("₹1,100.00")
    expect(page.locator("input[name=pay_card]")).to_have_value("1000")  # what was typed is kept
    expect(page.locator("input[name=pay_cash]")).to_have_value("100")
    assert Bill.objects.get(id=bill_id).status == BillStatus.OPEN
    assert not Document.objects.filter(bill_id=bill_id).exists()

    page.locator("[data-rest=pay_cash]").click()
    page.locator("#close-bill").click()
    page.wait_for_url(desk.url(f"/bills/{bill_id}/receipt"))
    expect(page.locator(".flash")).to_contain_text("Give change: ₹50.00")
    assert sorted(Payment.objects.filter(bill_id=bill_id).values_list("method", "amount")) == [
        ("card", 100_000), ("cash", 45_000)]
