"""The counter screens over plain HTTP (Django's test client): login and its throttle, CSRF,
tenancy (another business's ids are 404s), and refusals that change nothing."""
from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client as Browser
from django.urls import reverse

from glowpos.billing import services as billing
from glowpos.billing.models import Bill, BillStatus
from glowpos.catalog.models import Service
from glowpos.documents.models import Document
from glowpos.packages.models import ClientPackage, Entitlement
from glowpos.packages.services import apply_package
from glowpos.receipts.models import OutboxMessage
from tests import factories


def logged_in(staff, **kwargs) -> Browser:
    browser = Browser(**kwargs)
    browser.force_login(staff.user)
    return browser


@pytest.fixture
def desk(clinic) -> Browser:
    return logged_in(clinic.front_desk)


def _close(clinic, bill, method="cash"):
    due = billing.bill_totals(bill).total
    return billing.close_bill(bill_id=bill.id, payments=[{"method": method, "amount": due}] if due else [],
                              idempotency_key=f"t-{bill.id}", by=clinic.front_desk)


def test_screens_need_a_login(db):
    response = Browser().get("/clients/1/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/clients/1/"


def test_login_with_the_right_password_opens_today(clinic):
    browser = Browser()
    response = browser.post("/login/", {"username": clinic.front_desk.user.username,
                                        "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Today ·" in browser.get("/").content.decode()


def test_repeated_wrong_passwords_lock_the_login_with_a_message(clinic, settings):
    browser = Browser()
    username = clinic.front_desk.user.username
    for _ in range(settings.GLOWPOS_LOGIN_MAX_FAILURES):
        response = browser.post("/login/", {"username": username, "password": "nope"})
        assert response.status_code == 401
        assert "Wrong username or password" in response.content.decode()
    response = browser.post("/login/", {"username": username, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in browser.session


def test_login_does_not_redirect_to_another_site(clinic):
    response = Browser().post("/login/?next=https://evil.example/", {
        "username": clinic.front_desk.user.username, "password": factories.PASSWORD,
        "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_every_form_needs_its_csrf_token(clinic):
    priya = factories.client(clinic)
    browser = logged_in(clinic.front_desk, enforce_csrf_checks=True)
    assert browser.post(f"/clients/{priya.id}/bill").status_code == 403
    page = browser.get(f"/clients/{priya.id}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    assert browser.post(f"/clients/{priya.id}/bill", {"csrfmiddlewaretoken": token}).status_code == 302


def test_another_business_ids_are_not_found(clinic, desk):
    other = factories.clinic()
    stranger = factories.client(other, name="Someone Else")
    package = factories.sold_package(other, stranger)
    bill = package.sale_bill
    assert desk.get(f"/clients/{stranger.id}/").status_code == 404
    redeem = {"package_id": package.id, "service_id": other.service().id}
    assert desk.post(f"/clients/{stranger.id}/redeem", redeem).status_code == 404
    assert desk.post(f"/clients/{stranger.id}/bill").status_code == 404
    assert desk.get(f"/bills/{bill.id}/").status_code == 404
    assert desk.get(f"/bills/{bill.id}/receipt").status_code == 404
    assert desk.post(f"/bills/{bill.id}/close", {"idempotency_key": "x"}).status_code == 404
    assert desk.post(f"/bills/{bill.id}/receipt/send", {"channel": "sms"}).status_code == 404
    assert not Bill.objects.filter(business=clinic.business).exists()


def test_another_business_package_on_my_client_is_refused(clinic, desk):
    mine = factories.client(clinic)
    other = factories.clinic()
    theirs = factories.sold_package(other, factories.client(other))
    response = desk.post(f"/clients/{mine.id}/redeem", {"package_id": theirs.id,
                                                         "service_id": clinic.service().id})
    assert response.status_code == 404
    assert not Bill.objects.filter(client=mine).exists()  # the bill opened for it was rolled back


def test_search_as_you_type_hints_lists_and_enter_opens_the_first(clinic, desk):
    priya = factories.client(clinic, name="Priya Sharma", phone="9876543210")
    hx = {"HTTP_HX_REQUEST": "true"}
    assert "Type at least 4 digits" in desk.get("/search", {"q": "321"}, **hx).content.decode()
    listed = desk.get("/search", {"q": "3210"}, **hx).content.decode()
    assert f'href="/clients/{priya.id}/"' in listed and "Priya Sharma" in listed
    assert "Priya Sharma" in desk.get("/search", {"q": "priya"}, **hx).content.decode()
    response = desk.get("/search", {"q": "3210"})
    assert response.status_code == 302 and response["Location"] == f"/clients/{priya.id}/"


def test_no_match_offers_add_client_prefilled_with_the_number(clinic, desk):
    page = desk.get("/search", {"q": "55501"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'href="/clients/new?phone=55501"' in page
    form = desk.get("/clients/new?phone=55501").content.decode()
    assert 'value="55501"' in form
    response = desk.post("/clients/new", {"phone": "98450 55501", "name": "Sneha Rao", "email": ""})
    assert response.status_code == 302
    duplicate = desk.post("/clients/new", {"phone": "9845055501", "name": "Sneha R", "email": ""})
    assert duplicate.status_code == 409
    assert "Already a client" in duplicate.content.decode()
    assert 'value="Sneha R"' in duplicate.content.decode()  # what was typed is kept


def test_redeeming_an_exhausted_package_is_refused_and_changes_nothing(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya, plan="CLN-5")
    entitlement = Entitlement.objects.get(package=package)
    for _ in range(5):
        bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
        apply_package(bill_id=bill.id, package_id=package.id, service_id=entitlement.service_id,
                      by=clinic.front_desk)
        _close(clinic, bill)
    response = desk.post(f"/clients/{priya.id}/redeem", {"package_id": package.id,
                                                          "service_id": entitlement.service_id})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Package not active" in page or "No sessions left" in page
    assert "data-redeem" not in page
    assert not Bill.objects.filter(client=priya, status=BillStatus.OPEN).exists()


def test_removing_a_redemption_line_gives_the_session_back(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    service = clinic.service()
    response = desk.post(f"/clients/{priya.id}/redeem", {"package_id": package.id, "service_id": service.id})
    bill_id = int(re.search(r"/bills/(\d+)/", response["Location"])[1])
    assert Entitlement.objects.get(package=package).held_units == 1
    line = Bill.objects.get(id=bill_id).lines.get()
    page = desk.post(f"/bills/{bill_id}/lines/{line.id}/remove", HTTP_HX_REQUEST="true").content.decode()
    assert "The bill is empty" in page
    assert "6 of 6 left" in page  # offered again in the quick-pick
    assert Entitlement.objects.get(package=package).held_units == 0


def test_the_counter_names_who_performs_a_session_and_it_counts_in_the_report(clinic, desk):
    from django.utils import timezone

    from glowpos.reports.selectors import redemptions

    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    response = desk.post(f"/clients/{priya.id}/redeem", {"package_id": package.id, "service_id": clinic.service().id})
    bill_id = int(re.search(r"/bills/(\d+)/", response["Location"])[1])
    line = Bill.objects.get(id=bill_id).lines.get()
    page = desk.get(f"/bills/{bill_id}/").content.decode()
    assert 'name="practitioner_id"' in page and "— not recorded —" in page
    assert page.index(clinic.practitioner.user.username) < page.index(clinic.owner.user.username)  # practitioners first

    page = desk.post(f"/bills/{bill_id}/lines/{line.id}/practitioner",
                     {"practitioner_id": str(clinic.practitioner.id)}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{clinic.practitioner.id}" selected' in page
    other = factories.clinic()
    refused = desk.post(f"/bills/{bill_id}/lines/{line.id}/practitioner", {"practitioner_id": str(other.practitioner.id)},
                        HTTP_HX_REQUEST="true")
    assert refused.status_code == 404  # another business's staff member, like its other objects
    assert Bill.objects.get(id=bill_id).lines.get().practitioner_id == clinic.practitioner.id

    closed = _close(clinic, Bill.objects.get(id=bill_id))
    assert closed.document.snapshot["lines"][0]["practitioner"] == clinic.practitioner.user.username
    receipt = desk.get(f"/bills/{bill_id}/receipt").content.decode()
    assert f"· by {clinic.practitioner.user.username}" in receipt
    public = Browser().get(f"/r/{closed.document.receipt_token}").content.decode()
    assert f"· by {clinic.practitioner.user.username}" in public
    today = timezone.localdate()
    assert [(r["id"], r["sessions"]) for r in redemptions(business=clinic.business, start=today, end=today)[
        "by_practitioner"]] == [(clinic.practitioner.id, 1)]
    # A closed bill's line is part of the issued document: no picker, and a change is refused.
    late = desk.post(f"/bills/{bill_id}/lines/{line.id}/practitioner", {"practitioner_id": ""}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409
    assert Bill.objects.get(id=bill_id).lines.get().practitioner_id == clinic.practitioner.id


def test_redeeming_an_expired_package_is_refused_with_its_date(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    ClientPackage.objects.filter(id=package.id).update(
        purchased_on=date(2024, 1, 1), expires_on=date(2024, 12, 31))
    response = desk.post(f"/clients/{priya.id}/redeem", {"package_id": package.id,
                                                          "service_id": clinic.service().id})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Package expired" in page and "expired on 31 Dec 2024" in page
    assert not Bill.objects.filter(client=priya, status=BillStatus.OPEN).exists()


def test_the_role_decides_who_may_open_a_bill(clinic):
    priya = factories.client(clinic)
    response = logged_in(clinic.practitioner).post(f"/clients/{priya.id}/bill")
    assert response.status_code == 403
    assert "Not allowed for your role" in response.content.decode()


def test_a_bill_closed_on_another_terminal_is_refused_on_this_one(clinic, desk):
    priya = factories.client(clinic)
    bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Hair spa").id, by=clinic.front_desk)
    form = {"pay_cash": "1800", "idempotency_key": "terminal-a"}
    assert desk.post(f"/bills/{bill.id}/close", form).status_code == 302
    again = desk.post(f"/bills/{bill.id}/close", form)  # the same click, retried: the same document
    assert again.status_code == 302 and again["Location"] == f"/bills/{bill.id}/receipt"
    other = desk.post(f"/bills/{bill.id}/close", {**form, "idempotency_key": "terminal-b"})
    assert other.status_code == 409
    assert "This bill is already closed" in other.content.decode()
    added = desk.post(f"/bills/{bill.id}/lines", {"kind": "service", "id": clinic.service().id})
    assert added.status_code == 409
    assert Document.objects.filter(bill=bill).count() == 1


def test_amounts_that_are_not_rupees_are_refused_with_the_field_named(clinic, desk):
    priya = factories.client(clinic)
    bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Hair spa").id, by=clinic.front_desk)
    response = desk.post(f"/bills/{bill.id}/close", {"pay_card": "18OO", "idempotency_key": "k1"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Card: &#x27;18OO&#x27; is not an amount in rupees" in page
    assert 'value="18OO"' in page
    assert Bill.objects.get(id=bill.id).status == BillStatus.OPEN


def test_receipt_buttons_queue_the_receipt_on_each_channel(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    url = reverse("frontdesk:send_receipt", args=[package.sale_bill_id])
    page = desk.post(url, {"channel": "whatsapp"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"Receipt queued for WhatsApp to {priya.phone}" in page
    assert OutboxMessage.objects.filter(document=package.sale_document, channel="whatsapp").count() == 1
    assert "No email address on file" in desk.post(url, {"channel": "email"}).content.decode()
    assert desk.post(url, {"channel": "pigeon"}).status_code == 404


def test_receipt_screen_shows_the_document_and_a_qr_code_of_the_public_link(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    document = package.sale_document
    page = desk.get(f"/bills/{package.sale_bill_id}/receipt").content.decode()
    assert document.number in page
    assert f"/r/{document.receipt_token}" in page
    assert "<svg" in page
    assert "₹1,830.51" in page  # CGST of ₹24,000 at 18 %
    assert "6 of 6" in page


def test_today_counts_bills_sessions_and_money_by_method(clinic, desk):
    priya = factories.client(clinic, name="Priya Sharma")
    package = factories.sold_package(clinic, priya, method="cash")  # ₹24,000 cash
    bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
    apply_package(bill_id=bill.id, package_id=package.id, service_id=clinic.service().id,
                  by=clinic.front_desk)
    billing.add_product(bill_id=bill.id, product_id=clinic.product().id, by=clinic.front_desk)
    _close(clinic, bill, method="upi")  # ₹950 UPI
    page = desk.get("/").content.decode()
    assert re.search(r'id="stat-bills">2<', page)
    assert re.search(r'id="stat-redemptions">1<', page)
    assert 'id="stat-collected">₹24,950.00<' in page
    assert "<small>Cash</small>₹24,000.00" in page and "<small>UPI</small>₹950.00" in page


def test_too_soon_since_the_last_session_needs_a_managers_override_with_a_reason(clinic, desk):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    laser = clinic.service()
    Service.objects.filter(id=laser.id).update(min_interval_days=28)
    bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
    apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=clinic.front_desk)
    _close(clinic, bill)  # a laser session today; the minimum interval is 28 days
    url = f"/clients/{priya.id}/redeem"
    form = {"package_id": package.id, "service_id": laser.id}

    refused = desk.post(url, form)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Too soon since the last session" in page and "Manager override" in page
    assert 'name="approver_username"' in page

    wrong = desk.post(url, {**form, "override_reason": "Touch-up", "approver_username": clinic.manager.user.username,
                            "approver_password": "nope"})
    assert wrong.status_code == 422
    assert "manager&#x27;s username or password is wrong" in wrong.content.decode()
    assert not Bill.objects.filter(client=priya, status=BillStatus.OPEN).exists()

    approved = desk.post(url, {**form, "override_reason": "Touch-up, doctor's advice",
                               "approver_username": clinic.manager.user.username,
                               "approver_password": factories.PASSWORD})
    assert approved.status_code == 302
    assert Entitlement.objects.get(package=package).held_units == 1
    assert package.events.filter(kind="interval_override", by=clinic.manager).exists()


def test_package_credit_pays_at_the_counter_and_its_bonus_is_a_discount(clinic, desk):
    credit = factories.sold_package(clinic, factories.client(clinic), plan="GLOW-12K", method="cash")
    bill = billing.open_bill(client_id=credit.client_id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id, by=clinic.front_desk)
    page = desk.get(reverse("frontdesk:bill", args=[bill.id])).content.decode()
    assert "Package credit (₹12,000.00 left)" in page and 'name="pay_credit"' in page
    response = desk.post(reverse("frontdesk:close", args=[bill.id]),
                         {"pay_credit": "1200", "idempotency_key": "credit-visit"})
    assert response.status_code == 302, response.content.decode()[:500]
    document = Document.objects.get(bill=bill)
    assert document.total == 100_000 and document.snapshot["payments"][0]["face"] == 120_000
