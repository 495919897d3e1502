"""A package's life at the counter (issue #6): each kind shown properly on the profile, the
package's history screen, and its changes — freeze, unfreeze, extend, cancel with refund,
transfer, share — each with its role rule, over plain HTTP against the real services."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as Browser
from django.utils import timezone

from glowpos.audit.models import AuditEvent
from glowpos.billing.models import Bill, BillStatus
from glowpos.documents.models import Document, DocumentKind
from glowpos.packages.models import ClientPackage, Entitlement, PackageEvent, PackageShare, PackageStatus
from glowpos.packages.services import freeze_package
from tests import factories


def logged_in(staff) -> Browser:
    browser = Browser()
    browser.force_login(staff.user)
    return browser


def approved_by(manager) -> dict:
    return {"approver_username": manager.user.username, "approver_password": factories.PASSWORD}


def page_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def desk(clinic) -> Browser:
    return logged_in(clinic.front_desk)


@pytest.fixture
def manager(clinic) -> Browser:
    return logged_in(clinic.manager)


@pytest.fixture
def priya(clinic):
    return factories.client(clinic, name="Priya Sharma", phone="9876543210")


@pytest.fixture
def laser(clinic, priya) -> ClientPackage:
    return factories.sold_package(clinic, priya)  # LHR-6: ₹24,000, six sessions


def _redeem(browser, package, service):
    return browser.post(f"/clients/{package.client_id}/redeem", {"package_id": package.id, "service_id": service.id})


def _card(page: str, package_id: int) -> str:
    start = page.index(f'id="package-{package_id}"')
    return page[start:page.index("</article>", start)]


# 1. The profile shows each kind properly --------------------------------------------------

def test_a_session_bundle_card_shows_what_is_left_and_links_to_its_history(clinic, desk, laser):
    factories.redeem_until(clinic, laser, remaining=3)
    card = _card(page_of(desk.get(f"/clients/{laser.client_id}/")), laser.id)
    assert "Session bundle" in card and "3 of 6</strong> remaining" in card
    assert "data-redeem" in card and f'href="/packages/{laser.id}/"' in card


def test_a_value_package_card_shows_the_credit_balance_and_how_it_pays(clinic, desk, priya):
    credit = factories.sold_package(clinic, priya, plan="GLOW-12K", method="cash")
    card = _card(page_of(desk.get(f"/clients/{priya.id}/")), credit.id)
    assert "Credit package" in card
    assert "₹12,000.00</strong> of ₹12,000.00 credit left" in card
    assert "choose <strong>Package credit</strong>" in card
    assert "data-redeem" not in card  # credit is spent when the bill closes, not redeemed


def test_a_membership_card_shows_its_period_credits_discount_and_end(clinic, desk, priya):
    club = factories.sold_package(clinic, priya, plan="GLOW-CLUB")
    card = _card(page_of(desk.get(f"/clients/{priya.id}/")), club.id)
    assert "Membership" in card
    assert f"{club.purchased_on:%-d %b} – {club.expires_on:%-d %b %Y}" in card
    assert "10% off services" in card
    assert "Gold facial" in card and "credits this period" in card and "1 of 1</strong> remaining" in card
    assert f"Period ends {club.expires_on:%-d %b %Y}" in card


def test_frozen_expired_cancelled_and_transferred_packages_are_flagged_without_a_redeem_button(
        clinic, desk, priya):
    frozen = factories.sold_package(clinic, priya)
    freeze_package(package_id=frozen.id, reason="Travelling", by=clinic.manager)
    expired = factories.sold_package(clinic, priya, plan="CLN-5")
    ClientPackage.objects.filter(id=expired.id).update(purchased_on=timezone.localdate() - timedelta(days=200),
                                                       expires_on=timezone.localdate() - timedelta(days=20))
    cancelled = factories.sold_package(clinic, priya, plan="PEEL-4")
    logged_in(clinic.manager).post(f"/packages/{cancelled.id}/cancel", {"reason": "Moving", "method": "cash"})
    page = page_of(desk.get(f"/clients/{priya.id}/"))

    frozen_card, expired_card = _card(page, frozen.id), _card(page, expired.id)
    assert 'badge frozen">Frozen' in frozen_card and "cannot be redeemed" in frozen_card
    assert 'badge expired">Expired' in expired_card and "cannot be redeemed" in expired_card
    assert "data-redeem" not in frozen_card and "data-redeem" not in expired_card
    assert "Cancelled and transferred" in page
    assert f'href="/packages/{cancelled.id}/"' in page and 'badge cancelled">Cancelled' in page
    assert f'id="package-{cancelled.id}"' not in page  # not among the redeemable cards


@pytest.mark.parametrize("state", ["frozen", "expired", "cancelled", "transferred"])
def test_redeeming_a_package_that_is_not_active_is_refused_with_its_code(clinic, desk, priya, laser, state):
    if state == "frozen":
        freeze_package(package_id=laser.id, reason="Travelling", by=clinic.manager)
    elif state == "expired":
        ClientPackage.objects.filter(id=laser.id).update(purchased_on=timezone.localdate() - timedelta(days=400),
                                                         expires_on=timezone.localdate() - timedelta(days=1))
    elif state == "cancelled":
        logged_in(clinic.manager).post(f"/packages/{laser.id}/cancel", {"reason": "Moving", "method": "upi"})
    else:
        sister = factories.client(clinic, name="Riya Sharma")
        logged_in(clinic.manager).post(f"/packages/{laser.id}/transfer", {"to_client_id": sister.id,
                                                                          "reason": "Gift"})
    response = _redeem(desk, laser, clinic.service())

    code = {"frozen": "package_frozen", "expired": "package_expired"}.get(state, "package_not_active")
    assert response.status_code == 409
    assert f'data-code="{code}"' in page_of(response)
    assert {"frozen": "Package frozen", "expired": "Package expired"}.get(state, "Package not active") \
        in page_of(response)
    assert not Bill.objects.filter(client=priya, status=BillStatus.OPEN).exists()


# 2. The package screen: history, sessions, what the role may do ---------------------------

def test_the_history_shows_every_event_newest_first_with_who_and_why(clinic, manager, laser):
    factories.redeem(clinic, laser)
    freeze_package(package_id=laser.id, reason="Travelling to Pune", by=clinic.manager)
    page = page_of(manager.get(f"/packages/{laser.id}/"))
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert kinds == list(PackageEvent.objects.filter(package=laser).order_by("-at", "-id")
                         .values_list("kind", flat=True))
    assert kinds[0] == "frozen" and kinds[-1] == "sold"
    assert "“Travelling to Pune”" in page and clinic.manager.user.username in page
    visit = Redemption_document(laser)
    assert f"redeemed on bill #{visit.bill_id} ({visit.number})" in page
    assert f'href="/bills/{visit.bill_id}/receipt">{visit.number}</a>' in page  # the sessions table


def Redemption_document(package) -> Document:
    from glowpos.packages.models import Redemption

    bill_id = Redemption.objects.filter(entitlement__package=package, status="posted").values_list(
        "bill_id", flat=True).first()
    return Document.objects.get(bill_id=bill_id)


def test_another_business_package_is_not_found_on_every_package_url(clinic, manager):
    other = factories.clinic()
    theirs = factories.sold_package(other, factories.client(other))
    assert manager.get(f"/packages/{theirs.id}/").status_code == 404
    for action, form in (("freeze", {"reason": "x"}), ("extend", {"days": "30", "reason": "x"}),
                         ("cancel", {"reason": "x", "method": "cash"}), ("share", {"client_id": "1"})):
        assert manager.post(f"/packages/{theirs.id}/{action}", form).status_code == 404
    assert ClientPackage.objects.get(id=theirs.id).status == PackageStatus.ACTIVE
    assert manager.post(f"/packages/{theirs.id}/explode", {}).status_code == 404


def test_a_practitioner_sees_the_history_but_no_changes(clinic, laser):
    practitioner = logged_in(clinic.practitioner)
    page = page_of(practitioner.get(f"/packages/{laser.id}/"))
    assert "Your role can see this package’s history" in page and 'name="reason"' not in page
    response = practitioner.post(f"/packages/{laser.id}/freeze", {"reason": "x", **approved_by(clinic.manager)})
    assert response.status_code == 403 and "Not allowed for your role" in page_of(response)
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.ACTIVE


# 3. Freeze and unfreeze -------------------------------------------------------------------

def test_the_front_desk_cannot_freeze_alone_but_can_with_a_managers_approval(clinic, desk, laser):
    page = page_of(desk.get(f"/packages/{laser.id}/"))
    assert "Needs a manager" in page and 'name="approver_username"' in page

    alone = desk.post(f"/packages/{laser.id}/freeze", {"reason": "Travelling"})
    assert alone.status_code == 403 and "Not allowed for your role" in page_of(alone)
    wrong = desk.post(f"/packages/{laser.id}/freeze", {"reason": "Travelling",
                                                       "approver_username": clinic.manager.user.username,
                                                       "approver_password": "nope"})
    assert wrong.status_code == 422 and "manager&#x27;s username or password is wrong" in page_of(wrong)
    not_a_manager = desk.post(f"/packages/{laser.id}/freeze", {"reason": "Travelling",
                                                               **approved_by(clinic.front_desk)})
    assert not_a_manager.status_code == 422 and "Only a manager of this business" in page_of(not_a_manager)
    assert 'value="Travelling"' in page_of(not_a_manager)  # what was typed is kept
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.ACTIVE

    approved = desk.post(f"/packages/{laser.id}/freeze", {"reason": "Travelling", **approved_by(clinic.manager)})
    assert approved.status_code == 302 and approved["Location"] == f"/packages/{laser.id}/"
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.FROZEN
    event = PackageEvent.objects.get(package=laser, kind="frozen")
    assert event.by == clinic.manager and event.reason == "Travelling"
    # The audit names both: the manager who approved, and the front desk at whose terminal.
    audited = AuditEvent.objects.get(action="package.freeze", object_id=laser.id)
    assert audited.staff == clinic.manager
    assert audited.data["at_counter"] == clinic.front_desk.id
    assert audited.data["at_counter_name"] == clinic.front_desk.user.username


def test_a_freeze_without_a_reason_names_the_field_and_changes_nothing(clinic, manager, laser):
    response = manager.post(f"/packages/{laser.id}/freeze", {"reason": "  "})
    assert response.status_code == 422
    assert 'data-code="validation_error"' in page_of(response) and "reason: say why." in page_of(response)
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.ACTIVE


def test_freeze_refuses_redeeming_and_unfreeze_moves_the_expiry_by_the_days_frozen(clinic, desk, manager, laser):
    assert manager.post(f"/packages/{laser.id}/freeze", {"reason": "Travelling"}).status_code == 302
    # A manager acting at her own terminal: the audit has no one else to name.
    assert "at_counter" not in AuditEvent.objects.get(action="package.freeze", object_id=laser.id).data
    ClientPackage.objects.filter(id=laser.id).update(frozen_on=timezone.localdate() - timedelta(days=12))
    assert _redeem(desk, laser, clinic.service()).status_code == 409

    before = ClientPackage.objects.get(id=laser.id).expires_on
    response = manager.post(f"/packages/{laser.id}/unfreeze", {"reason": "Back"}, follow=True)
    after = ClientPackage.objects.get(id=laser.id).expires_on
    assert after == before + timedelta(days=12)
    assert f"valid till {after:%-d %b %Y}" in page_of(response)
    assert _redeem(desk, laser, clinic.service()).status_code == 302


# 4. Extend --------------------------------------------------------------------------------

@pytest.mark.parametrize("days", ["", "abc", "0", "-5", "4000", "1.5"])
def test_extend_by_a_bad_number_of_days_names_the_field(clinic, manager, laser, days):
    response = manager.post(f"/packages/{laser.id}/extend", {"days": days, "reason": "Goodwill"})
    assert response.status_code == 422 and "Days: a whole number of days" in page_of(response)
    assert 'name="days" inputmode="numeric" required value="' + days + '" aria-invalid="true"' in page_of(response)
    assert ClientPackage.objects.get(id=laser.id).expires_on == laser.expires_on


def test_a_manager_extends_an_expired_package_back_to_life(clinic, desk, manager, laser):
    old = timezone.localdate() - timedelta(days=10)
    ClientPackage.objects.filter(id=laser.id).update(purchased_on=old - timedelta(days=365), expires_on=old)
    too_few = manager.post(f"/packages/{laser.id}/extend", {"days": "5", "reason": "Goodwill"})
    assert too_few.status_code == 422 and "at least 10 days are needed" in page_of(too_few)
    assert desk.post(f"/packages/{laser.id}/extend", {"days": "30", "reason": "Goodwill"}).status_code == 403

    assert manager.post(f"/packages/{laser.id}/extend", {"days": "30", "reason": "Goodwill"}).status_code == 302
    assert ClientPackage.objects.get(id=laser.id).expires_on == old + timedelta(days=30)
    page = page_of(manager.get(f"/packages/{laser.id}/"))
    assert f"Expiry extended {old:%-d %b %Y} → {old + timedelta(days=30):%-d %b %Y}" in page
    assert _redeem(desk, laser, clinic.service()).status_code == 302


# 5. Cancel with a refund ------------------------------------------------------------------

def test_cancel_shows_the_refund_before_and_the_documents_after(clinic, manager, laser):
    factories.redeem_until(clinic, laser, remaining=4)
    page = page_of(manager.get(f"/packages/{laser.id}/"))
    # The stated policy: 4 of 6 sessions of a ₹24,000 package unused = ₹16,000, less the fee.
    fee = 16_000_00 * clinic.business.cancellation_fee_bp // 10000
    assert "₹16,000.00" in page and f"Cancel and refund ₹{(16_000_00 - fee) // 100:,}.00" in page

    unpicked = manager.post(f"/packages/{laser.id}/cancel", {"reason": "Moving to Delhi"})
    assert unpicked.status_code == 422 and "Refund by: choose cash, card or UPI." in page_of(unpicked)
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.ACTIVE

    done = manager.post(f"/packages/{laser.id}/cancel", {"reason": "Moving to Delhi", "method": "upi"}, follow=True)
    credit_note = Document.objects.get(original=laser.sale_document, kind=DocumentKind.CREDIT_NOTE)
    voucher = Document.objects.get(original=credit_note, kind=DocumentKind.REFUND_VOUCHER)
    assert credit_note.total == 16_000_00 - fee == -sum(p["amount"] for p in voucher.snapshot["payments"])
    page = page_of(done)
    assert f"credit note {credit_note.number} and refund voucher {voucher.number}" in page
    assert f'href="/r/{credit_note.receipt_token}"' in page  # the documents, to print or send
    assert 'badge cancelled">Cancelled' in page and "No changes can be made" in page


def test_a_value_package_cancel_refunds_the_unspent_money_on_a_voucher(clinic, manager, priya):
    credit = factories.sold_package(clinic, priya, plan="GLOW-12K", method="cash")
    page = page_of(manager.get(f"/packages/{credit.id}/"))
    assert "Paid money not yet spent" in page and "₹10,000.00" in page
    done = manager.post(f"/packages/{credit.id}/cancel", {"reason": "Unhappy", "method": "cash"}, follow=True)
    voucher = Document.objects.get(original=credit.sale_document, kind=DocumentKind.REFUND_VOUCHER)
    assert f"refund voucher {voucher.number}" in page_of(done) and "credit note" not in page_of(done).split(
        "role=\"status\"")[1].split("</p>")[0]


def test_the_front_desk_cannot_cancel_without_a_manager(clinic, desk, laser):
    response = desk.post(f"/packages/{laser.id}/cancel", {"reason": "Moving", "method": "cash"})
    assert response.status_code == 403
    assert ClientPackage.objects.get(id=laser.id).status == PackageStatus.ACTIVE
    assert not Document.objects.filter(original=laser.sale_document).exists()


# 6. Transfer and share --------------------------------------------------------------------

def test_transfer_finds_the_new_owner_by_phone_and_moves_what_is_left(clinic, desk, manager, laser):
    factories.redeem_until(clinic, laser, remaining=4)
    riya = factories.client(clinic, name="Riya Sharma", phone="9123405678")
    found = page_of(manager.get(f"/packages/{laser.id}/", {"transfer_q": "5678"}))
    assert f'name="to_client_id" value="{riya.id}"' in found and "Riya Sharma" in found
    assert "No other client matches" in page_of(manager.get(f"/packages/{laser.id}/", {"transfer_q": "0000"}))
    assert "at least 4 digits" in page_of(manager.get(f"/packages/{laser.id}/", {"transfer_q": "56"}))

    unpicked = manager.post(f"/packages/{laser.id}/transfer", {"reason": "Gift", "transfer_q": "5678"})
    assert unpicked.status_code == 422 and "Pick the client to transfer to" in page_of(unpicked)
    self_transfer = manager.post(f"/packages/{laser.id}/transfer", {"to_client_id": laser.client_id,
                                                                    "reason": "Gift"})
    assert self_transfer.status_code == 422 and "she already owns it" in page_of(self_transfer)

    response = manager.post(f"/packages/{laser.id}/transfer", {"to_client_id": riya.id, "reason": "Gift to sister"})
    new = ClientPackage.objects.get(transferred_from=laser)
    assert response.status_code == 302 and response["Location"] == f"/packages/{new.id}/"
    assert new.client == riya and Entitlement.objects.get(package=new).total_units == 4
    new_page = page_of(manager.get(f"/packages/{new.id}/"))
    assert "Received by transfer from Priya Sharma" in new_page
    assert f'Received from <a href="/packages/{laser.id}/">Priya Sharma</a>' in new_page
    old_page = page_of(manager.get(f"/packages/{laser.id}/"))
    assert "Transferred to Riya Sharma" in old_page and "“Gift to sister”" in old_page
    assert "4 of 4</strong> remaining" in page_of(desk.get(f"/clients/{riya.id}/"))


def test_the_front_desk_shares_with_a_family_member_who_then_redeems_at_her_visit(clinic, desk, laser):
    riya = factories.client(clinic, name="Riya Sharma", phone="9123405678")
    assert 'name="client_id"' in page_of(desk.get(f"/packages/{laser.id}/", {"share_q": "9123405678"}))
    response = desk.post(f"/packages/{laser.id}/share", {"client_id": riya.id}, follow=True)
    assert "Shared with Riya Sharma" in page_of(response)
    assert PackageShare.objects.filter(package=laser, client=riya, added_by=clinic.front_desk).exists()
    assert "Family may redeem: Riya Sharma" in page_of(desk.get(f"/clients/{laser.client_id}/"))

    her_profile = page_of(desk.get(f"/clients/{riya.id}/"))
    assert "Shared with Riya Sharma by family" in her_profile and "shared by Priya Sharma" in her_profile
    redeemed = desk.post(f"/clients/{riya.id}/redeem", {"package_id": laser.id, "service_id": clinic.service().id})
    assert redeemed.status_code == 302
    bill = Bill.objects.get(client=riya, status=BillStatus.OPEN)
    assert bill.lines.get().type == "redemption"
    assert "5 of 6 left · LHR-6 · Priya Sharma’s" in page_of(desk.get(f"/bills/{bill.id}/"))  # the quick-pick


def test_sharing_with_nobody_picked_or_with_the_owner_names_the_field(clinic, desk, laser):
    nobody = desk.post(f"/packages/{laser.id}/share", {"client_id": "abc"})
    assert nobody.status_code == 422 and "Pick the family member" in page_of(nobody)
    owner = desk.post(f"/packages/{laser.id}/share", {"client_id": laser.client_id})
    assert owner.status_code == 422 and "client_id: she owns the package." in page_of(owner)
    assert not PackageShare.objects.filter(package=laser).exists()


# 7. Voiding an open bill from the bill screen ---------------------------------------------

def test_voiding_an_open_bill_needs_a_manager_and_gives_held_sessions_back(clinic, desk, laser):
    bill = factories.open_bill(clinic, laser.client, ("redemption", laser))
    page = page_of(desk.get(f"/bills/{bill.id}/"))
    assert "Void this bill" in page and 'name="approver_username"' in page

    assert desk.post(f"/bills/{bill.id}/void", {"reason": "Left"}).status_code == 403
    no_reason = desk.post(f"/bills/{bill.id}/void", {"reason": "", **approved_by(clinic.manager)})
    assert no_reason.status_code == 422 and "say why the bill is voided" in page_of(no_reason)
    assert Bill.objects.get(id=bill.id).status == BillStatus.OPEN

    done = desk.post(f"/bills/{bill.id}/void", {"reason": "Client left", **approved_by(clinic.manager)})
    assert done.status_code == 302 and done["Location"] == f"/clients/{laser.client_id}/"
    assert Bill.objects.get(id=bill.id).status == BillStatus.VOIDED
    assert Entitlement.objects.get(package=laser).held_units == 0
    assert PackageEvent.objects.filter(package=laser, kind="released", by=clinic.manager).exists()
    audited = AuditEvent.objects.get(action="bill.void", object_id=bill.id)
    assert audited.staff == clinic.manager and audited.data["at_counter"] == clinic.front_desk.id


def test_a_practitioner_is_offered_no_void(clinic, laser):
    bill = factories.open_bill(clinic, laser.client, ("service", clinic.service("Skin cleanup")))
    assert "Void this bill" not in page_of(logged_in(clinic.practitioner).get(f"/bills/{bill.id}/"))


def test_stop_sharing_ends_her_redeeming_but_not_while_she_has_a_session_held(clinic, desk, laser):
    riya = factories.client(clinic, name="Riya Sharma", phone="9123405678")
    desk.post(f"/packages/{laser.id}/share", {"client_id": riya.id})
    assert "Stop sharing" in page_of(desk.get(f"/packages/{laser.id}/"))
    held = desk.post(f"/clients/{riya.id}/redeem", {"package_id": laser.id, "service_id": clinic.service().id})
    bill = Bill.objects.get(id=int(re.search(r"/bills/(\d+)/", held["Location"])[1]))

    refused = desk.post(f"/packages/{laser.id}/unshare", {"client_id": riya.id})
    assert refused.status_code == 409 and 'data-code="package_has_holds"' in page_of(refused)
    assert PackageShare.objects.filter(package=laser, client=riya).exists()

    desk.post(f"/bills/{bill.id}/lines/{bill.lines.get().id}/remove")
    done = desk.post(f"/packages/{laser.id}/unshare", {"client_id": riya.id}, follow=True)
    assert "No longer shared with Riya Sharma" in page_of(done)
    assert not PackageShare.objects.filter(package=laser, client=riya).exists()
    assert PackageEvent.objects.get(package=laser, kind="unshared").by == clinic.front_desk
    assert "Shared with Riya Sharma by family" not in page_of(desk.get(f"/clients/{riya.id}/"))
    again = desk.post(f"/clients/{riya.id}/redeem", {"package_id": laser.id, "service_id": clinic.service().id})
    assert again.status_code == 409 and 'data-code="package_not_applicable"' in page_of(again)
    assert desk.post(f"/packages/{laser.id}/unshare", {"client_id": riya.id}).status_code == 404
    assert logged_in(clinic.practitioner).post(f"/packages/{laser.id}/unshare",
                                               {"client_id": riya.id}).status_code == 403


def test_a_closed_bill_is_voided_from_its_receipt_with_a_managers_approval(clinic, desk, laser):
    """The counter asks a manager; the credit note reverses the invoice, the money is to be
    given back, the session returns to the package, and the audit names both."""
    from glowpos.documents.models import DocumentKind as Kind

    bill = factories.open_bill(clinic, laser.client, ("redemption", laser), ("service", clinic.service("Skin cleanup")))
    closed = factories.close_paid(clinic, bill)
    receipt = page_of(desk.get(f"/bills/{bill.id}/receipt"))
    assert f"Void {closed.document.number}" in receipt and 'name="approver_username"' in receipt

    no_reason = desk.post(f"/bills/{bill.id}/void", {"reason": " ", **approved_by(clinic.manager)})
    assert no_reason.status_code == 422 and "say why the bill is voided" in page_of(no_reason)
    assert closed.document.number in page_of(no_reason)  # refused on the receipt it was asked from
    assert Bill.objects.get(id=bill.id).status == BillStatus.CLOSED

    done = desk.post(f"/bills/{bill.id}/void", {"reason": "Wrong client", **approved_by(clinic.manager)}, follow=True)
    page = page_of(done)
    note = Document.objects.get(bill=bill, kind=Kind.CREDIT_NOTE)
    assert f"credit note {note.number} reverses {closed.document.number}" in page
    assert closed.document.total == 1_200_00 and "Give back ₹1,200.00 by cash." in page
    assert "This bill was voided" in page and f"Void {closed.document.number}" not in page
    assert Bill.objects.get(id=bill.id).status == BillStatus.VOIDED
    assert Entitlement.objects.get(package=laser).used_units == 0
    audited = AuditEvent.objects.get(action="bill.void", object_id=bill.id)
    assert audited.staff == clinic.manager and audited.data["at_counter"] == clinic.front_desk.id


def test_a_practitioner_is_offered_no_void_on_a_receipt(clinic, laser):
    bill = factories.open_bill(clinic, laser.client, ("redemption", laser))
    factories.close_paid(clinic, bill)
    page = page_of(logged_in(clinic.practitioner).get(f"/bills/{bill.id}/receipt"))
    assert "Void this bill" not in page


def test_voiding_a_session_only_receipt_says_there_was_no_money_to_reverse(clinic, manager, laser):
    bill = factories.open_bill(clinic, laser.client, ("redemption", laser))
    closed = factories.close_paid(clinic, bill)
    assert closed.document.total == 0

    page = page_of(manager.post(f"/bills/{bill.id}/void", {"reason": "Wrong package"}, follow=True))
    assert f"({closed.document.number} had nothing to reverse in money)" in page and "Give back" not in page
    assert not Document.objects.filter(bill=bill, kind=DocumentKind.CREDIT_NOTE).exists()
    assert Entitlement.objects.get(package=laser).used_units == 0
