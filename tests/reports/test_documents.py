"""The document series summary: first, last, count and cancelled (voided) per series."""
from __future__ import annotations

from glowpos.reports import selectors
from tests.reports.history import APRIL, MAY


def test_every_series_of_the_two_months(chain):
    report = selectors.document_series(business=chain.c.business, start=APRIL[0], end=MAY[1])

    rows = [(r["branch_code"], r["kind"], r["first"], r["last"], r["count"], r["cancelled"], r["missing"])
            for r in report["rows"]]
    assert rows == [
        ("BLR1", "credit_note", "BLR1C/25-26/0001", "BLR1C/25-26/0001", 1, 0, 0),
        ("BLR1", "redemption_note", "BLR1R/25-26/0001", "BLR1R/25-26/0001", 1, 0, 0),
        ("BLR1", "tax_invoice", "BLR1/25-26/00001", "BLR1/25-26/00003", 3, 1, 0),  # Meera's, voided
        ("MYS1", "redemption_note", "MYS1R/25-26/0001", "MYS1R/25-26/0001", 1, 1, 0),  # Anil's, voided
        ("MYS1", "tax_invoice", "MYS1/25-26/00001", "MYS1/25-26/00002", 2, 0, 0),
    ]
    assert report["total"] == {"count": 8, "cancelled": 2, "net_issued": 6, "missing": 0}


def test_a_period_shows_the_numbers_dated_in_it(chain):
    report = selectors.document_series(business=chain.c.business, start=MAY[0], end=MAY[1], branches=[chain.blr.id])

    invoices = next(r for r in report["rows"] if r["kind"] == "tax_invoice")
    assert (invoices["first"], invoices["last"], invoices["count"], invoices["net_issued"]) == (
        "BLR1/25-26/00002", "BLR1/25-26/00003", 2, 1)
    assert {r["branch_code"] for r in report["rows"]} == {"BLR1"}
