"""POST /bills/{id}/close: the document, the payments, idempotency, and the public receipt."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlparse

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from glowpos.billing.models import Payment
from glowpos.documents.models import Document
from glowpos.ledger.models import JournalEntry
from glowpos.money import financial_year
from tests import factories
from tests.api.expect import ITEM, names_field, pick, refused

TAX_INVOICE_NUMBER = re.compile(r"^BLR1/\d\d-\d\d/\d+$")
REDEMPTION_NOTE_NUMBER = re.compile(r"^BLR1R/\d\d-\d\d/\d+$")


def laser_item(api, client) -> dict:
    [package] = [p for p in api.get(f"/clients/{client.id}").json()["packages"] if p["status"] == "active"]
    [item] = package["items"]
    return pick(item, *ITEM)


def nothing_written(api, bill: dict) -> None:
    """The bill is as it was before a refused close: open, unpaid, no document, no ledger."""
    now = api.get(f"/bills/{bill['id']}").json()
    assert (now["status"], now["paid"], now["lines"]) == ("open", 0, bill["lines"])
    assert not Document.objects.filter(bill_id=bill["id"]).exists()
    assert not Payment.objects.filter(bill_id=bill["id"]).exists()
    assert not JournalEntry.objects.filter(document__bill_id=bill["id"]).exists()


def seq(number: str) -> int:
    return int(number.rsplit("/", 1)[1])


# What closing issues

def test_package_sale_paid_by_upi_is_a_tax_invoice_with_the_gst_split(clinic, api, priya):
    bill = factories.api_bill(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})

    response = factories.api_close(api, bill["id"], [{"method": "upi", "amount": 2_400_000}])

    assert response.status_code == 200, response.content
    body = response.json()
    document = body["document"]
    assert document["kind"] == "tax_invoice"
    assert TAX_INVOICE_NUMBER.match(document["number"]) and len(document["number"]) <= 16, document["number"]
    assert document["number"].split("/")[1] == financial_year(timezone.localdate()).label
    assert document["date"] == timezone.localdate().isoformat()
    assert pick(document, "taxable", "cgst", "sgst", "igst", "round_off", "total") == {
        "taxable": 2_033_898, "cgst": 183_051, "sgst": 183_051, "igst": 0, "round_off": 0, "total": 2_400_000}
    assert [l["amount"] for l in document["lines"]] == [2_400_000]
    assert (body["bill"]["status"], body["bill"]["amount_due"]) == ("closed", 0)
    assert laser_item(api, priya) == {"service_id": clinic.service().id, "service_name": "Laser hair reduction",
                                      "total": 6, "used": 0, "held": 0, "remaining": 6}


def test_pure_redemption_with_no_payment_is_a_redemption_note_in_its_own_series(api, priya, laser, lhr):
    first = factories.api_bill(api, priya, factories.redemption_line(lhr, laser))
    one = factories.api_close(api, first["id"], [])
    second = factories.api_bill(api, priya, factories.redemption_line(lhr, laser))
    two = factories.api_close(api, second["id"], [])

    assert (one.status_code, two.status_code) == (200, 200), (one.content, two.content)
    notes = [one.json()["document"], two.json()["document"]]
    assert [n["kind"] for n in notes] == ["redemption_note", "redemption_note"]
    assert all(REDEMPTION_NOTE_NUMBER.match(n["number"]) and len(n["number"]) <= 16 for n in notes), notes
    assert seq(notes[1]["number"]) == seq(notes[0]["number"]) + 1
    assert [(n["taxable"], n["cgst"], n["sgst"], n["total"]) for n in notes] == [(0, 0, 0, 0)] * 2
    sale_number = lhr.sale_document.number
    assert f"from package LHR-6 (invoice {sale_number}): session 1 of 6, 5 remaining" in (
        notes[0]["lines"][0]["description"])
    assert "session 2 of 6, 4 remaining" in notes[1]["lines"][0]["description"]
    assert (laser_item(api, priya)["used"], laser_item(api, priya)["remaining"]) == (2, 4)


def test_redemption_notes_do_not_take_tax_invoice_numbers(clinic, api, priya, laser, lhr):
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser))

    sale = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("CLN-5").id})

    assert seq(sale["document"]["number"]) == seq(lhr.sale_document.number) + 1


def test_redemption_beside_a_paid_service_is_one_tax_invoice_with_the_redemption_at_zero(
        clinic, api, priya, laser, lhr):
    peel = clinic.service("Chemical peel")
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser), factories.service_line(peel))
    assert bill["amount_due"] == peel.price == 350_000

    response = factories.api_close(api, bill["id"], [{"method": "cash", "amount": 350_000}])

    assert response.status_code == 200, response.content
    document = response.json()["document"]
    assert document["kind"] == "tax_invoice"
    assert TAX_INVOICE_NUMBER.match(document["number"])
    assert document["total"] == 350_000
    redemption, service = document["lines"]
    assert (redemption["type"], redemption["amount"], redemption["taxable"]) == ("redemption", 0, 0)
    assert pick(redemption["package"], "id", "session", "total", "remaining_after") == {
        "id": lhr.id, "session": 1, "total": 6, "remaining_after": 5}
    assert (service["type"], service["amount"]) == ("service", 350_000)
    assert Document.objects.filter(bill_id=bill["id"]).count() == 1
    assert laser_item(api, priya)["used"] == 1


def test_document_numbers_of_a_series_are_consecutive(clinic, api, priya):
    numbers = [factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")))
               ["document"]["number"] for _ in range(3)]

    assert [seq(n) for n in numbers] == [seq(numbers[0]) + i for i in range(3)]


# Payments must match what is due

@pytest.mark.parametrize("payments", [
    [{"method": "cash", "amount": 349_999}],
    [{"method": "cash", "amount": 350_001}],
    [{"method": "cash", "amount": 200_000}, {"method": "upi", "amount": 100_000}],
    [],
], ids=["one-paisa-short", "one-paisa-over", "split-short", "nothing"])
def test_paying_more_or_less_than_due_is_409_and_writes_nothing(clinic, api, priya, laser, lhr, payments):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser),
                              factories.service_line(clinic.service("Chemical peel")))

    body = refused(factories.api_close(api, bill["id"], payments, key="counter-1"), 409, "payment_mismatch")

    assert body["amount_due"] == 350_000
    nothing_written(api, bill)
    item = laser_item(api, priya)
    assert (item["used"], item["held"], item["remaining"]) == (0, 1, 5)
    # the refused request did not use up its key: the corrected close may send it again
    retried = factories.api_close(api, bill["id"], [{"method": "cash", "amount": 350_000}], key="counter-1")
    assert retried.status_code == 200, retried.content
    # and the refusal took no number: the series goes on without a gap
    assert seq(retried.json()["document"]["number"]) == seq(lhr.sale_document.number) + 1


def test_split_payment_adding_up_to_the_amount_due_closes_the_bill(clinic, api, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service("Chemical peel")))

    response = factories.api_close(api, bill["id"], [{"method": "cash", "amount": 50_000},
                                                     {"method": "card", "amount": 300_000}])

    assert response.status_code == 200, response.content
    assert response.json()["bill"]["paid"] == 350_000


def test_paying_for_a_pure_redemption_is_409_payment_mismatch(api, priya, laser, lhr):
    bill = factories.api_bill(api, priya, factories.redemption_line(lhr, laser))

    refused(factories.api_close(api, bill["id"], [{"method": "cash", "amount": 100}]), 409, "payment_mismatch")
    nothing_written(api, bill)


def test_empty_bill_cannot_be_closed(api, priya):
    bill = factories.api_bill(api, priya)

    refused(factories.api_close(api, bill["id"], []), 409, "bill_empty")
    nothing_written(api, bill)


# Malformed requests

@pytest.mark.parametrize("raw", [
    '{"payments": [',
    "not json at all",
    '{"payments": "upi"}',
    '{"payments": [{"method": "upi"}]}',
    '{"payments": [{"method": "bitcoin", "amount": 450000}]}',
    '{"payments": [{"method": "upi", "amount": -450000}]}',
    '{"payments": [{"method": "upi", "amount": 0}]}',
    '{"payments": [{"method": "upi", "amount": 450000.0}]}',
    '{"payments": [{"method": "upi", "amount": 4500.50}]}',
    '{"payments": [{"method": "upi", "amount": "450000"}]}',
    '{"payments": [{"method": "upi", "amount": true}]}',
    '{"payments": [{"method": "upi", "amount": 1000000000000000000000000000000}]}',
    '{"payments": [{"method": "upi", "amount": 1e30}]}',
    '{"payments": [{"method": "credit", "amount": 450000}]}',
    "[]",
    "{}",
    "",
], ids=["truncated-json", "not-json", "payments-not-a-list", "amount-missing", "unknown-method",
        "negative-amount", "zero-amount", "amount-float", "amount-fraction", "amount-string", "amount-bool",
        "amount-huge", "amount-exponent", "no-credit-balance", "body-a-list", "payments-missing", "no-body"])
def test_malformed_close_is_422_never_500_and_closes_nothing(clinic, api, priya, raw):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service()))

    response = api.http.post(f"/api/v1/bills/{bill['id']}/close", data=raw, content_type="application/json",
                             headers={**api.headers, "Idempotency-Key": "k-1"})

    refused(response, 422, "validation_error")
    nothing_written(api, bill)


def test_float_payment_is_refused_naming_the_amount(clinic, api, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service()))

    body = refused(factories.api_close(api, bill["id"], [{"method": "upi", "amount": 450_000.0}]),
                   422, "validation_error")
    names_field(body, "payments.0.amount")


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "   "},
                                     {"Idempotency-Key": "k" * 101}], ids=["missing", "empty", "blank", "too-long"])
def test_close_without_a_usable_idempotency_key_is_422_naming_it(clinic, api, priya, headers):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service()))

    response = api.post(f"/bills/{bill['id']}/close", {"payments": [{"method": "upi", "amount": 450_000}]},
                        headers=headers)

    names_field(refused(response, 422, "validation_error"), "Idempotency-Key")
    nothing_written(api, bill)


# Idempotency

def test_retry_with_the_same_key_and_body_returns_the_same_document(clinic, api, priya):
    bill = factories.api_bill(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})
    payments = [{"method": "upi", "amount": 2_400_000}]

    first = factories.api_close(api, bill["id"], payments, key="tablet-7f3a")
    entries = JournalEntry.objects.count()
    again = factories.api_close(api, bill["id"], payments, key="tablet-7f3a")

    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json()["document"]["number"] == first.json()["document"]["number"]
    assert again.json()["receipt_url"] == first.json()["receipt_url"]
    assert Document.objects.filter(bill_id=bill["id"]).count() == 1
    assert JournalEntry.objects.count() == entries
    assert len(api.get(f"/clients/{priya.id}").json()["packages"]) == 1


def test_same_key_with_a_different_body_is_409_idempotency_conflict(clinic, api, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service("Chemical peel")))
    assert factories.api_close(api, bill["id"], [{"method": "cash", "amount": 350_000}], key="k-42").status_code == 200

    response = factories.api_close(api, bill["id"], [{"method": "upi", "amount": 350_000}], key="k-42")

    refused(response, 409, "idempotency_conflict")
    assert Payment.objects.get(bill_id=bill["id"]).method == "cash"


def test_same_key_on_another_bill_is_409_idempotency_conflict(clinic, api, priya):
    peel = clinic.service("Chemical peel")
    first = factories.api_bill(api, priya, factories.service_line(peel))
    second = factories.api_bill(api, priya, factories.service_line(peel))
    payments = [{"method": "cash", "amount": 350_000}]
    assert factories.api_close(api, first["id"], payments, key="k-42").status_code == 200

    refused(factories.api_close(api, second["id"], payments, key="k-42"), 409, "idempotency_conflict")
    nothing_written(api, second)


def test_closing_a_closed_bill_with_a_new_key_is_409_bill_not_open(clinic, api, priya):
    bill = factories.api_bill(api, priya, factories.service_line(clinic.service("Chemical peel")))
    payments = [{"method": "cash", "amount": 350_000}]
    assert factories.api_close(api, bill["id"], payments, key="first").status_code == 200

    refused(factories.api_close(api, bill["id"], payments, key="second"), 409, "bill_not_open")
    assert Document.objects.filter(bill_id=bill["id"]).count() == 1


def test_closed_bill_cannot_be_changed(clinic, api, priya, laser, lhr):
    closed = factories.api_closed(api, priya, factories.service_line(clinic.service("Chemical peel")))
    bill = closed["bill"]

    refused(api.post(f"/bills/{bill['id']}/lines", factories.redemption_line(lhr, laser)), 409, "bill_not_open")
    refused(api.post(f"/bills/{bill['id']}/lines", factories.service_line(laser)), 409, "bill_not_open")
    refused(api.delete(f"/bills/{bill['id']}/lines/{bill['lines'][0]['id']}"), 409, "bill_not_open")
    assert api.get(f"/bills/{bill['id']}").json()["lines"] == bill["lines"]
    assert laser_item(api, priya)["held"] == 0


# The digital receipt

def test_receipt_page_opens_without_login_and_shows_remaining_sessions(api, priya, laser, lhr):
    closed = factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    assert closed["receipt_url"].startswith("http")

    page = HttpClient().get(urlparse(closed["receipt_url"]).path)

    assert page.status_code == 200
    html = page.content.decode()
    assert closed["document"]["number"] in html
    assert "Laser hair reduction — 6 sessions" in html
    assert "5 of 6 remaining" in html
    assert "session 1 of 6" in html


def test_package_sale_receipt_shows_every_session_remaining(clinic, api, priya):
    closed = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("LHR-6").id})

    html = HttpClient().get(urlparse(closed["receipt_url"]).path).content.decode()

    assert "6 of 6 remaining" in html
    assert "₹24,000.00" in html


@pytest.mark.parametrize("token", ["random", "abc", "x" * 200])
def test_unknown_receipt_token_is_404(api, priya, laser, lhr, token):
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser))  # receipts exist, just not this one
    token = secrets.token_urlsafe(24) if token == "random" else token

    assert HttpClient().get(f"/r/{token}").status_code == 404
