"""GST rules a chartered accountant checks on every invoice."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from glowpos.billing import services as billing
from glowpos.catalog.models import Service
from glowpos.clients.services import update_client
from glowpos.documents.models import Document
from glowpos.errors import ValidationFailed
from glowpos.ledger.models import Posting
from tests import factories

IST = ZoneInfo("Asia/Kolkata")


def _bill_with(clinic, client, service_name: str, quantity: int, at=None):
    bill = billing.open_bill(client_id=client.id, by=clinic.front_desk, at=at)
    billing.add_service(bill_id=bill.id, service_id=clinic.service(service_name).id, quantity=quantity,
                        by=clinic.front_desk)
    return bill


def _close(clinic, bill, at=None):
    due = billing.bill_totals(bill).total
    return billing.close_bill(bill_id=bill.id, payments=[{"method": "card", "amount": due}],
                              idempotency_key=f"k-{bill.id}", by=clinic.front_desk, at=at)


def test_unregistered_recipient_over_50000_needs_address(clinic):
    priya = factories.client(clinic)
    bill = _bill_with(clinic, priya, "HydraFacial", 10)  # ₹5,000 × 10 = ₹50,000: "or more"
    with pytest.raises(ValidationFailed) as refused:
        _close(clinic, bill)
    assert set(refused.value.fields) == {"client.address", "client.state_code"}
    assert not Document.objects.filter(bill=bill).exists()
    update_client(by=clinic.front_desk, client_id=priya.id, address="4 MG Road, Bengaluru", state_code="29")
    closed = _close(clinic, bill)
    assert closed.document.snapshot["recipient"]["address"] == "4 MG Road, Bengaluru"
    assert closed.document.snapshot["recipient"]["state"] == "Karnataka"


def test_bill_under_50000_to_unregistered_client_closes_without_address(clinic):
    bill = _bill_with(clinic, factories.client(clinic), "HydraFacial", 9)
    assert _close(clinic, bill).document.total == 45_000_00


def test_registered_recipient_needs_no_address_and_her_gstin_is_printed(clinic):
    firm = factories.client(clinic, name="Bridal Studio LLP")
    update_client(by=clinic.front_desk, client_id=firm.id, gstin="27AAPFU0939F1ZV")
    closed = _close(clinic, _bill_with(clinic, firm, "HydraFacial", 12))
    assert closed.document.snapshot["recipient"]["gstin"] == "27AAPFU0939F1ZV"
    assert closed.document.snapshot["recipient"]["state_code"] == "27"


def test_gstin_with_a_wrong_check_digit_is_refused_naming_gstin(clinic):
    priya = factories.client(clinic)
    with pytest.raises(ValidationFailed) as refused:
        update_client(by=clinic.front_desk, client_id=priya.id, gstin="27AAPFU0939F1ZX")
    assert "gstin" in refused.value.fields


def test_service_is_taxed_at_the_rate_of_its_supply_date_across_the_september_2025_change(clinic):
    """Salon services (SAC 999722) went from 18 % to 5 % on 22 September 2025."""
    priya = factories.client(clinic)
    before = datetime(2025, 9, 21, 18, 0, tzinfo=IST)
    after = datetime(2025, 9, 22, 10, 0, tzinfo=IST)
    old = _close(clinic, _bill_with(clinic, priya, "Skin cleanup", 1, at=before), at=before).document
    new = _close(clinic, _bill_with(clinic, priya, "Skin cleanup", 1, at=after), at=after).document
    assert old.snapshot["lines"][0]["rate_bp"] == 1800 and (old.cgst, old.sgst) == (9153, 9153)
    assert new.snapshot["lines"][0]["rate_bp"] == 500 and (new.cgst, new.sgst) == (2857, 2857)
    assert old.number.startswith("BLR1/25-26/")


def test_round_off_to_the_rupee_is_its_own_line_and_ledger_account(clinic):
    clinic.business.round_off_to_rupee = True
    clinic.business.save()
    odd = Service.objects.create(business=clinic.business, name="Brow shaping", sac="999722", price=123_45)
    priya = factories.client(clinic)
    bill = billing.open_bill(client_id=priya.id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=odd.id, by=clinic.front_desk)
    assert billing.bill_totals(bill).total == 123_00
    doc = _close(clinic, bill).document
    assert (doc.round_off, doc.total) == (-45, 123_00)
    assert Posting.objects.get(entry__document=doc, account__code="round_off").amount == 45
