"""The GST summary (by rate and SAC/HSN, B2B and B2C) and GSTR-1 JSON in the portal's
offline-tool format, validated against tests/reports/gstr1.schema.json."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from glowpos.billing import services as billing
from glowpos.reports import gstr1, selectors
from tests import factories
from tests.reports.history import (
    APRIL,
    CLEANUP_HALF_TAX,
    CLEANUP_TAXABLE,
    CLN_HALF_TAX,
    CLN_TAXABLE,
    LHR_HALF_TAX,
    LHR_TAXABLE,
    LOTUS_GSTIN,
    MAY,
    PEEL_HALF_TAX,
    PEEL_TAXABLE,
    SUNSCREEN_HALF_TAX,
    SUNSCREEN_TAXABLE,
    at,
)

SCHEMA = json.loads((Path(__file__).parent / "gstr1.schema.json").read_text(), parse_float=Decimal)
AMOUNT_KEYS = {"val", "txval", "iamt", "camt", "samt", "csamt", "nil_amt", "expt_amt", "ngsup_amt"}


def portal_file(business, gstin: str, year: int, month: int, *, quarterly: bool = False) -> dict:
    """The GSTR-1 as written (text), read back with every number a Decimal, checked against the
    schema and for two decimals on every amount."""
    text = gstr1.dumps(gstr1.build(business=business, gstin=gstin, year=year, month=month, quarterly=quarterly))
    data = json.loads(text, parse_float=Decimal)
    jsonschema.validate(data, SCHEMA)
    _two_decimals(data)
    return data


def _two_decimals(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            _two_decimals(v, k)
    elif isinstance(node, list):
        for v in node:
            _two_decimals(v, key)
    elif key in AMOUNT_KEYS:
        assert isinstance(node, Decimal) and node.as_tuple().exponent == -2, (key, node)


def test_gst_summary_by_rate_and_code_b2b_and_b2c(chain):
    report = selectors.gst_summary(business=chain.c.business, start=APRIL[0], end=MAY[1])

    rows = [(r["b2b"], r["code"], r["rate_bp"], r["taxable"], r["cgst"], r["sgst"], r["igst"]) for r in report["rows"]]
    assert rows == [
        (True, "999316", 1800, PEEL_TAXABLE, PEEL_HALF_TAX, PEEL_HALF_TAX, 0),
        (False, "3304", 1800, SUNSCREEN_TAXABLE, SUNSCREEN_HALF_TAX, SUNSCREEN_HALF_TAX, 0),
        (False, "999316", 1800, LHR_TAXABLE, LHR_HALF_TAX, LHR_HALF_TAX, 0),
        # Anil's and Meera's cleanup packages and Anil's service; Meera's credit note takes hers back.
        (False, "999722", 1800, CLN_TAXABLE + CLEANUP_TAXABLE, CLN_HALF_TAX + CLEANUP_HALF_TAX,
         CLN_HALF_TAX + CLEANUP_HALF_TAX, 0),
    ]
    assert report["b2b"]["taxable"] == PEEL_TAXABLE
    assert report["total"]["cgst"] == 329_111
    assert report["ties_to_documents"] and report["ties_to_ledger"]
    assert report["ledger"] == {"cgst": 329_111, "sgst": 329_111, "igst": 0}


def test_gst_summary_of_a_period_with_only_the_void_nets_to_zero(chain):
    report = selectors.gst_summary(business=chain.c.business, start=date(2025, 5, 20), end=date(2025, 5, 20))

    assert [(r["code"], r["taxable"], r["documents"]) for r in report["rows"]] == [("999722", 0, 2)]


def test_gstr1_april_is_all_b2c_small(chain):
    gstin = chain.blr.gstin
    data = portal_file(chain.c.business, gstin, 2025, 4)

    assert (data["gstin"], data["fp"]) == (gstin, "042025")
    assert "b2b" not in data
    assert data["b2cs"] == [{
        "sply_ty": "INTRA", "pos": "29", "typ": "OE",
        "txval": Decimal("26398.28"),  # 20,338.98 + 4,237.28 + 1,016.94 + 805.08
        "rt": 18, "iamt": Decimal("0.00"), "camt": Decimal("2375.86"), "samt": Decimal("2375.86"),
        "csamt": Decimal("0.00"),
    }]
    assert [(h["hsn_sc"], h["uqc"], h["qty"], h["txval"]) for h in data["hsn"]["hsn_b2c"]] == [
        ("3304", "NOS", 1, Decimal("805.08")), ("999316", "NA", 0, Decimal("20338.98")),
        ("999722", "NA", 0, Decimal("5254.22"))]
    assert data["hsn"]["hsn_b2b"] == []
    # Redemption notes are not GST documents; both branches' invoices are.
    assert data["doc_issue"] == {"doc_det": [{"doc_num": 1, "doc_typ": "Invoices for outward supply", "docs": [
        {"num": 1, "from": "BLR1/25-26/00001", "to": "BLR1/25-26/00001", "totnum": 1, "cancel": 0, "net_issue": 1},
        {"num": 2, "from": "MYS1/25-26/00001", "to": "MYS1/25-26/00002", "totnum": 2, "cancel": 0, "net_issue": 2},
    ]}]}


def test_gstr1_may_has_the_b2b_invoice_and_the_credit_note_as_documents_issued(chain):
    data = portal_file(chain.c.business, chain.blr.gstin, 2025, 5)

    assert data["b2b"] == [{"ctin": LOTUS_GSTIN, "inv": [{
        "inum": "BLR1/25-26/00002", "idt": "03-05-2025", "val": Decimal("12000.00"), "pos": "29", "rchrg": "N",
        "inv_typ": "R", "itms": [{"num": 1, "itm_det": {
            "txval": Decimal("10169.50"), "rt": 18, "camt": Decimal("915.25"), "samt": Decimal("915.25"),
            "iamt": Decimal("0.00"), "csamt": Decimal("0.00")}}],
    }]}]
    assert "b2cs" not in data  # Meera's invoice and its credit note net to nothing
    assert data["hsn"] == {"hsn_b2b": [{
        "num": 1, "hsn_sc": "999316", "desc": "Cosmetic treatment by a clinic", "uqc": "NA", "qty": 0, "rt": 18,
        "txval": Decimal("10169.50"), "iamt": Decimal("0.00"), "camt": Decimal("915.25"),
        "samt": Decimal("915.25"), "csamt": Decimal("0.00")}], "hsn_b2c": []}
    assert data["doc_issue"]["doc_det"] == [
        {"doc_num": 1, "doc_typ": "Invoices for outward supply", "docs": [
            {"num": 1, "from": "BLR1/25-26/00002", "to": "BLR1/25-26/00003", "totnum": 2, "cancel": 1,
             "net_issue": 1}]},
        {"doc_num": 5, "doc_typ": "Credit Note", "docs": [
            {"num": 1, "from": "BLR1C/25-26/0001", "to": "BLR1C/25-26/0001", "totnum": 1, "cancel": 0,
             "net_issue": 1}]},
    ]


@pytest.fixture
def november_2024(clinic):
    """Before the HSN split, after B2CL's limit fell to ₹1 lakh (1 August 2024): a ₹1,45,000
    inter-state serum order to an unregistered client (B2CL), voided; and an exempt consultation
    beside a taxed cleanup on one bill."""
    ravi = factories.client(clinic, name="Ravi Kulkarni")
    ravi.address, ravi.state_code = "FC Road, Pune", "27"
    ravi.save(update_fields=["address", "state_code"])
    bill = billing.open_bill(client_id=ravi.id, by=clinic.front_desk, at=at(date(2024, 11, 10)),
                             ship_to_state_code="27")
    billing.add_product(bill_id=bill.id, product_id=clinic.product("Vitamin C serum").id, quantity=100,
                        by=clinic.front_desk)
    billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": 14_500_000}], idempotency_key="b2cl",
                       by=clinic.front_desk, at=at(date(2024, 11, 10)))
    billing.void_bill(bill_id=bill.id, reason="order cancelled", by=clinic.manager, at=at(date(2024, 11, 12)))
    sita = factories.client(clinic, name="Sita Rao")
    bill = billing.open_bill(client_id=sita.id, by=clinic.front_desk, at=at(date(2024, 11, 14)))
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Dermatologist consultation").id,
                        by=clinic.front_desk)
    billing.add_service(bill_id=bill.id, service_id=clinic.service("Skin cleanup").id, by=clinic.front_desk)
    billing.close_bill(bill_id=bill.id, payments=[{"method": "cash", "amount": 200_000}], idempotency_key="mixed",
                       by=clinic.front_desk, at=at(date(2024, 11, 14)))
    return clinic


def test_gstr1_b2cl_its_credit_note_nil_and_the_single_hsn_list_before_2025(november_2024):
    gstin = november_2024.business.branches.get().gstin
    data = portal_file(november_2024.business, gstin, 2024, 11)

    serum = {"num": 1, "itm_det": {"txval": Decimal("122881.36"), "rt": 18, "iamt": Decimal("22118.64"),
                                   "csamt": Decimal("0.00")}}
    assert data["b2cl"] == [{"pos": "27", "inv": [{"inum": "BLR1/24-25/00001", "idt": "10-11-2024",
                                                   "val": Decimal("145000.00"), "itms": [serum]}]}]
    assert data["cdnur"] == [{"typ": "B2CL", "ntty": "C", "nt_num": "BLR1C/24-25/0001", "nt_dt": "12-11-2024",
                              "val": Decimal("145000.00"), "pos": "27", "itms": [serum]}]
    assert data["b2cs"] == [{"sply_ty": "INTRA", "pos": "29", "typ": "OE", "txval": Decimal("1016.94"), "rt": 18,
                             "iamt": Decimal("0.00"), "camt": Decimal("91.53"), "samt": Decimal("91.53"),
                             "csamt": Decimal("0.00")}]
    assert data["nil"] == {"inv": [{"sply_ty": "INTRAB2C", "nil_amt": Decimal("0.00"), "expt_amt": Decimal("800.00"),
                                    "ngsup_amt": Decimal("0.00")}]}
    assert [(h["hsn_sc"], h["rt"], h["txval"]) for h in data["hsn"]["data"]] == [
        ("999312", 0, Decimal("800.00")), ("999722", 18, Decimal("1016.94"))]  # the serum netted to nothing
    kinds = {d["doc_num"]: [(s["from"], s["totnum"], s["cancel"]) for s in d["docs"]]
             for d in data["doc_issue"]["doc_det"]}
    assert kinds == {1: [("BLR1M/24-25/0001", 1, 0), ("BLR1/24-25/00001", 1, 1)],
                     5: [("BLR1C/24-25/0001", 1, 0)]}


def test_an_inter_state_order_under_the_b2cl_limit_of_its_day_is_b2c_small(clinic):
    """₹1,45,000 was under the ₹2.5 lakh limit in June 2024."""
    ravi = factories.client(clinic, name="Ravi Kulkarni")
    ravi.address, ravi.state_code = "FC Road, Pune", "27"
    ravi.save(update_fields=["address", "state_code"])
    bill = billing.open_bill(client_id=ravi.id, by=clinic.front_desk, at=at(date(2024, 6, 10)),
                             ship_to_state_code="27")
    billing.add_product(bill_id=bill.id, product_id=clinic.product("Vitamin C serum").id, quantity=100,
                        by=clinic.front_desk)
    billing.close_bill(bill_id=bill.id, payments=[{"method": "upi", "amount": 14_500_000}], idempotency_key="b2cs",
                       by=clinic.front_desk, at=at(date(2024, 6, 10)))

    data = portal_file(clinic.business, clinic.business.branches.get().gstin, 2024, 6)

    assert "b2cl" not in data
    assert data["b2cs"] == [{"sply_ty": "INTER", "pos": "27", "typ": "OE", "txval": Decimal("122881.36"), "rt": 18,
                             "iamt": Decimal("22118.64"), "camt": Decimal("0.00"), "samt": Decimal("0.00"),
                             "csamt": Decimal("0.00")}]


def test_amounts_are_decimal_rupees_never_float():
    assert gstr1.rupees(2_033_898) == Decimal("20338.98")
    assert gstr1.rupees(-5) == Decimal("-0.05")
    assert gstr1.rupees(10**17 + 1) == Decimal("1000000000000000.01")  # beyond a float's 15 digits
    assert gstr1.dumps({"v": gstr1.rupees(10**17 + 1)}, indent=None) == '{"v": 1000000000000000.01}'
    assert (gstr1.rate(1800), gstr1.rate(25)) == (18, Decimal("0.25"))
    with pytest.raises(TypeError):
        gstr1.dumps({"v": 0.1})


def test_a_gstin_of_no_branch_is_not_found(chain):
    from glowpos.errors import NotFound

    with pytest.raises(NotFound):
        gstr1.build(business=chain.c.business, gstin="27AAAAA0000A1Z5", year=2025, month=4)


def test_a_quarterly_gstr1_covers_the_quarter_and_is_named_by_its_last_month(chain):
    """A QRMP filer's GSTR-1 for April–June 2025: April's B2C supplies, May's B2B invoice and
    credit note, both months' documents, filed as return period 06-2025."""
    gstin = chain.blr.gstin
    april, may = portal_file(chain.c.business, gstin, 2025, 4), portal_file(chain.c.business, gstin, 2025, 5)
    quarter = portal_file(chain.c.business, gstin, 2025, 5, quarterly=True)

    assert quarter["fp"] == "062025"
    assert portal_file(chain.c.business, gstin, 2025, 4, quarterly=True) == quarter  # any month of it
    assert quarter["b2b"] == may["b2b"]
    assert quarter["b2cs"] == april["b2cs"]  # Meera's May invoice and its credit note net to nothing
    assert quarter["hsn"] == {"hsn_b2b": may["hsn"]["hsn_b2b"], "hsn_b2c": april["hsn"]["hsn_b2c"]}
    assert quarter["doc_issue"]["doc_det"] == [
        {"doc_num": 1, "doc_typ": "Invoices for outward supply", "docs": [
            {"num": 1, "from": "BLR1/25-26/00001", "to": "BLR1/25-26/00003", "totnum": 3, "cancel": 1,
             "net_issue": 2},
            {"num": 2, "from": "MYS1/25-26/00001", "to": "MYS1/25-26/00002", "totnum": 2, "cancel": 0,
             "net_issue": 2}]},
        {"doc_num": 5, "doc_typ": "Credit Note", "docs": [
            {"num": 1, "from": "BLR1C/25-26/0001", "to": "BLR1C/25-26/0001", "totnum": 1, "cancel": 0,
             "net_issue": 1}]},
    ]


def test_return_periods_monthly_and_quarterly():
    assert gstr1.return_period(2025, 5) == (date(2025, 5, 1), date(2025, 5, 31), "052025")
    assert gstr1.return_period(2025, 5, quarterly=True) == (date(2025, 4, 1), date(2025, 6, 30), "062025")
    assert gstr1.return_period(2026, 1, quarterly=True) == (date(2026, 1, 1), date(2026, 3, 31), "032026")
    assert gstr1.return_period(2025, 12, quarterly=True) == (date(2025, 10, 1), date(2025, 12, 31), "122025")
