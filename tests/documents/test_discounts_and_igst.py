"""Discounts reduce the taxable value; goods shipped to another state carry IGST."""
import pytest

from glowpos.billing import services as billing
from glowpos.billing.errors import DiscountNeedsApproval
from glowpos.ledger.models import Posting
from tests import factories


def _open(clinic, **kw):
    return billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk, **kw)


def test_line_discount_reduces_taxable_value_and_tax(clinic):
    bill = _open(clinic)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    billing.discount_line(bill_id=bill.id, line_id=line.id, amount=500_00, by=clinic.front_desk)  # 10 %: allowed
    line.refresh_from_db()
    # ₹4,500 incl. 18 %: tax half = round(450000 × 1800 / 23600) = 34322.03… → 34322
    assert (line.amount, line.taxable, line.cgst, line.sgst) == (4_500_00, 381_356, 34_322, 34_322)
    assert billing.bill_totals(bill).total == 4_500_00


def test_discount_above_the_limit_needs_a_manager(clinic):
    bill = _open(clinic)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    with pytest.raises(DiscountNeedsApproval):
        billing.discount_line(bill_id=bill.id, line_id=line.id, amount=1_000_00, by=clinic.front_desk)
    line.refresh_from_db()
    assert line.discount == 0  # refused: nothing changed
    billing.discount_line(bill_id=bill.id, line_id=line.id, amount=1_000_00, by=clinic.front_desk,
                          approver=clinic.manager)
    line.refresh_from_db()
    assert line.amount == 4_000_00


def test_practitioner_cannot_discount(clinic):
    from glowpos.errors import Forbidden

    bill = _open(clinic)
    line = billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    with pytest.raises(Forbidden):
        billing.discount_line(bill_id=bill.id, line_id=line.id, amount=100, by=clinic.practitioner)


def test_bill_discount_is_spread_over_lines_to_the_paisa(clinic):
    bill = _open(clinic)
    for name in ("HydraFacial", "Skin cleanup", "Hair spa"):
        billing.add_service(bill_id=bill.id, service_id=clinic.service(name).id, by=clinic.front_desk)
    billing.discount_bill(bill_id=bill.id, amount=333_33, by=clinic.front_desk)
    lines = list(bill.lines.order_by("id"))
    assert sum(l.discount for l in lines) == 333_33
    assert [l.discount for l in lines] == [208_33, 50_00, 75_00]  # 5000 : 1200 : 1800 of ₹8,000
    assert billing.bill_totals(bill).total == 8_000_00 - 333_33


def test_goods_shipped_to_another_state_carry_igst_while_services_stay_cgst_sgst(clinic):
    bill = _open(clinic, ship_to_state_code="27")  # Maharashtra, from a Karnataka branch
    from glowpos.catalog.models import Product

    serum = Product.objects.get(business=clinic.business, name="Vitamin C serum")
    billing.add_product(bill_id=bill.id, product_id=serum.id, by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("HydraFacial").id, by=clinic.front_desk)
    due = billing.bill_totals(bill).total
    doc = billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": due}],
                             idempotency_key="ship-1", by=clinic.front_desk).document
    product, service = doc.snapshot["lines"]
    assert product["igst"] == 22_119 and product["cgst"] == product["sgst"] == 0  # ₹1,450 at 18 % IGST
    assert service["igst"] == 0 and service["cgst"] == service["sgst"] == 38_136
    assert Posting.objects.get(entry__document=doc, account__code="output_igst").amount == -22_119
    assert "Maharashtra (27)" in doc.snapshot["ship_to"]


def test_unknown_ship_to_state_is_refused_naming_the_field(clinic):
    from glowpos.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        _open(clinic, ship_to_state_code="55")
    assert "ship_to_state_code" in refused.value.fields
