"""POST /bills/{id}/void: a manager reverses a bill; the original document is never touched."""
from __future__ import annotations

import re

import pytest
from django.db.models import Sum

from glowpos.documents.models import Document
from glowpos.ledger.models import JournalEntry, Posting
from glowpos.packages.models import ClientPackage
from tests import factories
from tests.api.expect import ITEM, names_field, pick, refused

CREDIT_NOTE_NUMBER = re.compile(r"^BLR1C/\d\d-\d\d/\d+$")


def package_view(api, client, package) -> dict:
    [found] = [p for p in api.get(f"/clients/{client.id}").json()["packages"] if p["id"] == package.id]
    [item] = found["items"]
    return {"status": found["status"], **pick(item, *ITEM)}


def void(api, bill_id: int, reason: str = "entered on the wrong client"):
    return api.post(f"/bills/{bill_id}/void", {"reason": reason})


def deferred_revenue(clinic) -> int:
    """The liability for unredeemed sessions: the credit balance of the deferred revenue account."""
    total = Posting.objects.filter(account__business=clinic.business, account__code="deferred_revenue").aggregate(
        s=Sum("amount"))["s"]
    return -(total or 0)


def test_front_desk_may_not_void_403(clinic, api, priya):
    closed = factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")))

    refused(void(api, closed["bill"]["id"]), 403, "forbidden")
    assert api.get(f"/bills/{closed['bill']['id']}").json()["status"] == "closed"


def test_practitioner_may_not_void_403(clinic, api, priya):
    closed = factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")))

    refused(void(factories.api_client(clinic.practitioner), closed["bill"]["id"]), 403, "forbidden")


def test_manager_voiding_a_redemption_returns_the_session_to_the_package(clinic, api, manager, priya, laser, lhr):
    closed = factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    assert package_view(api, priya, lhr)["used"] == 1

    response = void(manager, closed["bill"]["id"], "session was not done: machine fault")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "voided"
    view = package_view(api, priya, lhr)
    assert (view["status"], view["used"], view["held"], view["remaining"]) == ("active", 0, 0, 6)
    assert deferred_revenue(clinic) == lhr.taxable == 2_033_898


def test_voiding_the_last_session_makes_an_exhausted_package_active_again(api, manager, priya, laser, lhr):
    closes = [factories.api_closed(api, priya, factories.redemption_line(lhr, laser)) for _ in range(6)]
    assert package_view(api, priya, lhr)["status"] == "exhausted"

    assert void(manager, closes[-1]["bill"]["id"]).status_code == 200

    view = package_view(api, priya, lhr)
    assert (view["status"], view["used"], view["remaining"]) == ("active", 5, 1)
    assert factories.api_closed(api, priya, factories.redemption_line(lhr, laser))["document"]["kind"] == (
        "redemption_note")


def test_voiding_a_package_sale_issues_a_credit_note_and_cancels_the_package(clinic, api, manager, priya):
    sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})
    package = ClientPackage.objects.get(sale_bill_id=sale["bill"]["id"])

    response = void(manager, sale["bill"]["id"], "client changed her mind")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "voided"
    invoice = Document.objects.get(number=sale["document"]["number"], branch__business=clinic.business)
    credit_note = Document.objects.get(bill_id=sale["bill"]["id"], kind="credit_note")
    assert credit_note.original_id == invoice.id
    assert CREDIT_NOTE_NUMBER.match(credit_note.number) and len(credit_note.number) <= 16
    assert (credit_note.taxable, credit_note.cgst, credit_note.sgst, credit_note.total) == (
        2_033_898, 183_051, 183_051, 2_400_000)
    assert (invoice.total, invoice.kind) == (2_400_000, "tax_invoice")  # the original stands untouched
    assert package_view(api, priya, package)["status"] == "cancelled"
    assert deferred_revenue(clinic) == 0


def test_voiding_the_sale_of_a_package_with_a_redemption_is_409_and_changes_nothing(
        clinic, api, manager, priya, laser):
    sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})
    package = ClientPackage.objects.get(sale_bill_id=sale["bill"]["id"])
    factories.api_closed(api, priya, factories.redemption_line(package, laser))
    entries = JournalEntry.objects.count()

    refused(void(manager, sale["bill"]["id"]), 409, "package_not_active")

    assert api.get(f"/bills/{sale['bill']['id']}").json()["status"] == "closed"
    assert not Document.objects.filter(bill_id=sale["bill"]["id"], kind="credit_note").exists()
    assert JournalEntry.objects.count() == entries
    view = package_view(api, priya, package)
    assert (view["status"], view["used"], view["remaining"]) == ("active", 1, 5)


def test_voiding_the_sale_of_a_package_with_a_held_session_is_409(clinic, api, manager, priya, laser):
    sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})
    package = ClientPackage.objects.get(sale_bill_id=sale["bill"]["id"])
    factories.api_bill(api, priya, factories.redemption_line(package, laser))

    refused(void(manager, sale["bill"]["id"]), 409, "package_not_active")
    assert package_view(api, priya, package)["held"] == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}],
                         ids=["missing", "empty", "blank", "null"])
def test_void_without_a_reason_is_422_naming_reason(clinic, api, manager, priya, body):
    closed = factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")))

    response = manager.post(f"/bills/{closed['bill']['id']}/void", body)

    names_field(refused(response, 422, "validation_error"), "reason")
    assert api.get(f"/bills/{closed['bill']['id']}").json()["status"] == "closed"


def test_voiding_an_open_bill_releases_its_held_sessions(api, manager, priya, laser, lhr):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser))
    assert package_view(api, priya, lhr)["held"] == 1

    assert void(manager, bill["id"], "client left").status_code == 200

    assert package_view(api, priya, lhr)["held"] == 0
    assert not Document.objects.filter(bill_id=bill["id"]).exists()


def test_voided_bill_cannot_be_voided_closed_or_changed(clinic, api, manager, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service("Chemical peel")))
    assert void(manager, bill["id"]).status_code == 200

    refused(void(manager, bill["id"]), 409, "bill_not_open")
    refused(factories.api_close(api, bill["id"], [{"method": "cash", "amount": 350_000}]), 409, "bill_not_open")
    refused(api.post(f"/bills/{bill['id']}/lines", factories.service_line(clinic.service())), 409, "bill_not_open")


def test_voiding_a_paid_service_bill_reverses_its_journal_entries(clinic, api, manager, priya):
    closed = factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")), method="cash")

    assert void(manager, closed["bill"]["id"]).status_code == 200

    originals = JournalEntry.objects.filter(document__bill_id=closed["bill"]["id"], reverses__isnull=True)
    assert originals.exists()
    for entry in originals:
        reversal = JournalEntry.objects.get(reverses=entry)
        assert sorted((p.account.code, p.amount) for p in reversal.postings.all()) == sorted(
            (p.account.code, -p.amount) for p in entry.postings.all())


def test_voiding_an_unknown_or_another_business_bill_is_404(clinic, manager):
    other = factories.clinic()
    their_bill = factories.api_closed(factories.api_client(other.front_desk), factories.client(other),
                                      factories.service_line(other.service()))

    refused(void(manager, their_bill["bill"]["id"]), 404, "not_found")
    refused(void(manager, 999_999), 404, "not_found")
