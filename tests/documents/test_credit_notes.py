"""Corrections of issued invoices are credit notes citing them; the invoice never changes."""
import pytest

from glowpos.billing import services as billing
from glowpos.billing.errors import BillNotOpen
from glowpos.errors import Forbidden, ValidationFailed
from glowpos.ledger.models import Posting
from tests import factories
from tests.books import assert_books_balance


@pytest.fixture
def closed(clinic):
    bill = billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    billing.close_bill(bill_id=bill.id, payments=[{"method": "card", "amount": 500_000}], idempotency_key="c",
                       by=clinic.front_desk)
    return bill, line


def test_credit_note_cites_original_and_reverses_tax_at_the_lines_rate(clinic, closed):
    bill, line = closed
    original = billing.closing_document(bill)
    note = billing.refund_line(bill_id=bill.id, line_id=line.id, amount=118_000, reason="machine fault",
                               method="card", by=clinic.manager)
    assert note.kind == "credit_note" and note.original == original and note.number.startswith("BLR1C/")
    assert (note.taxable, note.cgst, note.sgst, note.total) == (100_000, 9_000, 9_000, 118_000)
    assert note.snapshot["original"]["number"] == original.number
    assert {p.account.code: p.amount for p in Posting.objects.filter(entry__document=note)} == {
        "service_revenue": 100_000, "output_cgst": 9_000, "output_sgst": 9_000, "card": -118_000}
    original.refresh_from_db()
    assert original.total == 500_000  # untouched
    assert_books_balance(clinic.business)


def test_a_line_cannot_be_credited_beyond_what_it_charged(clinic, closed):
    bill, line = closed
    billing.refund_line(bill_id=bill.id, line_id=line.id, amount=400_000, reason="a", method="cash", by=clinic.manager)
    with pytest.raises(ValidationFailed) as refused:
        billing.refund_line(bill_id=bill.id, line_id=line.id, amount=100_001, reason="b", method="cash",
                            by=clinic.manager)
    assert "amount" in refused.value.fields


def test_front_desk_cannot_refund_and_a_partly_refunded_bill_cannot_be_voided(clinic, closed):
    bill, line = closed
    with pytest.raises(Forbidden):
        billing.refund_line(bill_id=bill.id, line_id=line.id, amount=100, reason="a", method="cash",
                            by=clinic.front_desk)
    billing.refund_line(bill_id=bill.id, line_id=line.id, amount=100, reason="a", method="cash", by=clinic.manager)
    with pytest.raises(BillNotOpen):
        billing.void_bill(bill_id=bill.id, reason="oops", by=clinic.manager)


def test_refund_over_http_is_201_with_the_credit_note(clinic, closed):
    bill, line = closed
    manager = factories.api_client(clinic.manager)
    response = manager.post(f"/bills/{bill.id}/refunds",
                            {"line_id": line.id, "amount": 50_000, "reason": "late start", "method": "upi"})
    assert response.status_code == 201, response.json()
    assert response.json()["credit_note"]["kind"] == "credit_note"
    bad = manager.post(f"/bills/{bill.id}/refunds", {"line_id": line.id, "amount": 0, "reason": "x", "method": "upi"})
    assert bad.status_code == 422 and "amount" in bad.json()["fields"]
