"""Two terminals, one last session; a double click on Close. The database decides, once."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from glowpos.billing.models import Bill, BillStatus
from glowpos.documents.models import Document
from glowpos.packages.models import Entitlement, Redemption, RedemptionStatus
from tests import factories
from tests.e2e.counter import redeemed, sold


def _outcome(page) -> str:
    page.wait_for_function(
        "() => /\\/bills\\/\\d+\\/$/.test(location.pathname) || document.querySelector('.problem')")
    return "bill" if re.search(r"/bills/\d+/$", page.url) else "refused"


def test_two_terminals_race_for_the_last_session_one_wins_the_other_is_refused(clinic_live, terminal):
    kavya = factories.client(clinic_live, name="Kavya Reddy")
    package = sold(clinic_live, kavya, plan="CLN-5", days_ago=40)
    redeemed(clinic_live, package, days_ago=[35, 28, 21, 14])
    first, second = terminal(), terminal()
    for desk in (first, second):
        desk.goto(f"/clients/{kavya.id}/")
        expect(desk.page.locator(f"#package-{package.id} .remaining")).to_have_text("1 of 5")

    # Both click before either answer is back.
    first.page.locator("[data-redeem]").click(no_wait_after=True)
    second.page.locator("[data-redeem]").click(no_wait_after=True)
    outcomes = sorted([_outcome(first.page), _outcome(second.page)])

    assert outcomes == ["bill", "refused"]
    loser = first.page if _outcome(first.page) == "refused" else second.page
    expect(loser.locator(".problem")).to_contain_text("No sessions left")
    expect(loser.locator(f"#package-{package.id} [data-redeem]")).to_have_count(0)
    expect(loser.locator(f"#package-{package.id} p.held")).to_have_text("1 held on an open bill")
    entitlement = Entitlement.objects.get(package=package)
    assert (entitlement.used_units, entitlement.held_units) == (4, 1)
    assert Redemption.objects.filter(entitlement=entitlement, status=RedemptionStatus.PENDING).count() == 1
    assert Bill.objects.filter(client=kavya, status=BillStatus.OPEN).count() == 1


def test_double_click_on_close_issues_exactly_one_document(clinic_live, terminal):
    ritu = factories.client(clinic_live, name="Ritu Joshi")
    desk = terminal()
    page = desk.page
    desk.goto(f"/clients/{ritu.id}/")
    page.get_by_role("button", name="Start a bill").click()
    page.wait_for_url(re.compile(r"/bills/\d+/$"))
    bill_id = int(re.search(r"/bills/(\d+)/", page.url)[1])
    page.locator("button.pick:not(.plan)", has_text="Gold facial").click()
    expect(page.locator("#amount-due")).to_have_text("₹2,500.00")
    page.fill("input[name=pay_cash]", "")
    page.locator("[data-rest=pay_upi]").click()
    expect(page.locator("input[name=pay_upi]")).to_have_value("2500")

    page.locator("#close-bill").dblclick()
    page.wait_for_url(desk.url(f"/bills/{bill_id}/receipt"))
    assert Document.objects.filter(bill_id=bill_id).count() == 1

    # The same form sent twice at once, bypassing the page's own once-only guard: the
    # idempotency key rendered into the form makes the second answer the same document.
    second_bill = factories.client(clinic_live, name="Ritu's sister")
    desk.goto(f"/clients/{second_bill.id}/")
    page.get_by_role("button", name="Start a bill").click()
    page.wait_for_url(re.compile(r"/bills/\d+/$"))
    bill_id = int(re.search(r"/bills/(\d+)/", page.url)[1])
    page.locator("button.pick:not(.plan)", has_text="Hair spa").click()
    expect(page.locator("#amount-due")).to_have_text("₹1,800.00")
    finals = page.evaluate("""async () => {
        const form = document.querySelector('form[data-pay]');
        const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
        const answers = await Promise.all([send(), send()]);
        return answers.map(a => [a.status, new URL(a.url).pathname]);
    }""")
    assert finals == [[200, f"/bills/{bill_id}/receipt"]] * 2
    assert Document.objects.filter(bill_id=bill_id).count() == 1
    assert Bill.objects.get(id=bill_id).status == BillStatus.CLOSED


def test_a_bill_closed_on_another_terminal_is_refused_here_and_nothing_changes(clinic_live, terminal):
    neha = factories.client(clinic_live, name="Neha Pillai")
    here, there = terminal(), terminal()
    here.goto(f"/clients/{neha.id}/")
    here.page.get_by_role("button", name="Start a bill").click()
    here.page.wait_for_url(re.compile(r"/bills/\d+/$"))
    bill_id = int(re.search(r"/bills/(\d+)/", here.page.url)[1])
    here.page.locator("button.pick:not(.plan)", has_text="HydraFacial").click()
    expect(here.page.locator("#amount-due")).to_have_text("₹5,000.00")
    there.goto(f"/bills/{bill_id}/")
    there.page.locator("#close-bill").click()
    there.page.wait_for_url(there.url(f"/bills/{bill_id}/receipt"))

    here.page.locator("button.pick:not(.plan)", has_text="Hair spa").click()  # htmx: the refusal is swapped in
    expect(here.page.locator(".problem")).to_contain_text("This bill is already closed")
    expect(here.page.locator(".problem")).to_contain_text("closed on another terminal")
    expect(here.page.get_by_role("link", name="See the receipt →")).to_be_visible()
    assert Bill.objects.get(id=bill_id).lines.count() == 1
    assert Document.objects.filter(bill_id=bill_id).count() == 1
