"""Which document a bill gets: exempt healthcare alone is a bill of supply; with taxable
cosmetic services it is one invoice-cum-bill of supply; each kind has its own series."""
from glowpos.billing import services as billing
from tests import factories


def _close(clinic, *services):
    bill = billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk)
    for name in services:
        billing.add_service(bill_id=bill.id, service_id=clinic.service(name).id, by=clinic.front_desk)
    due = billing.bill_totals(bill).total
    return billing.close_bill(bill_id=bill.id, payments=[{"method": "cash", "amount": due}],
                              idempotency_key=f"k-{bill.id}", by=clinic.front_desk).document


def test_exempt_consultation_alone_is_a_bill_of_supply_without_tax(clinic):
    doc = _close(clinic, "Dermatologist consultation")
    assert doc.kind == "bill_of_supply" and doc.number.startswith("BLR1S/")
    assert (doc.taxable, doc.cgst, doc.sgst, doc.total) == (80_000, 0, 0, 80_000)
    assert doc.snapshot["lines"][0]["exempt"] is True


def test_exempt_and_taxable_on_one_bill_make_one_invoice_cum_bill_of_supply(clinic):
    doc = _close(clinic, "Dermatologist consultation", "Chemical peel")
    assert doc.kind == "invoice_cum_bill_of_supply" and doc.number.startswith("BLR1M/")
    consult, peel = doc.snapshot["lines"]
    assert (consult["cgst"], peel["cgst"]) == (0, 26_695)  # ₹3,500 at 18 %
    assert doc.snapshot["title"] == "Invoice-cum-bill of supply"


def test_each_kind_numbers_from_one_in_its_own_series(clinic):
    numbers = [_close(clinic, "Dermatologist consultation").number,
               _close(clinic, "Chemical peel").number,
               _close(clinic, "Dermatologist consultation").number]
    fy = numbers[0].split("/")[1]
    assert numbers == [f"BLR1S/{fy}/0001", f"BLR1/{fy}/00001", f"BLR1S/{fy}/0002"]  # 16 characters each
    assert all(len(n) == 16 for n in numbers)
