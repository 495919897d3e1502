"""Files for the accountant: report tables as CSV and XLSX, the journal CSV, Tally XML
vouchers and a Beancount ledger that bean-check accepts."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal
from pathlib import Path

from glowpos.reports import exports
from glowpos.reports.registry import REPORTS, Params, Scope
from tests.reports.history import APRIL, CLN_TAXABLE, LHR_TAXABLE, MAY, MAY_CLOSING_CHECK, PEEL_TAXABLE

PERIOD = Params(APRIL[0], MAY[1])


def owner_scope(chain) -> Scope:
    return Scope(chain.c.owner, None)


def joined(stream) -> str:
    return "".join(stream)


def test_journal_csv_has_one_row_per_posting_and_balances(chain):
    text = joined(exports.journal_csv(business=chain.c.business, start=APRIL[0], end=MAY[1]))

    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    from glowpos.ledger.models import Posting
    assert len(rows) == Posting.objects.filter(account__business=chain.c.business).count()
    debit = sum(Decimal(r["Debit (₹)"] or 0) for r in rows)
    credit = sum(Decimal(r["Credit (₹)"] or 0) for r in rows)
    assert debit == credit
    first = [r for r in rows if r["Document number"] == "BLR1/25-26/00001"]
    assert {(r["Account code"], r["Debit (₹)"], r["Credit (₹)"]) for r in first} == {
        ("upi", "24000.00", ""), ("deferred_revenue", "", "20338.98"), ("output_cgst", "", "1830.51"),
        ("output_sgst", "", "1830.51")}
    assert first[0]["Date"] == "2025-04-05" and first[0]["Kind"] == "sale" and first[0]["Branch"] == "BLR1"
    voided = [r for r in rows if r["Reverses entry"]]
    assert {r["Kind"] for r in voided} == {"redemption", "sale"}


def test_tally_vouchers_balance_and_use_the_ledger_names_from_settings(chain, settings):
    settings.GLOWPOS_TALLY_LEDGERS = {"upi": "HDFC Bank (UPI)", "deferred_revenue": "Advance from Clients"}

    text = joined(exports.tally_xml(business=chain.c.business, start=APRIL[0], end=MAY[1]))

    root = ET.fromstring(text)
    assert root.findtext("HEADER/TALLYREQUEST") == "Import Data"
    vouchers = root.findall(".//VOUCHER")
    for v in vouchers:
        amounts = [Decimal(e.findtext("AMOUNT")) for e in v.findall("ALLLEDGERENTRIES.LIST")]
        assert sum(amounts) == 0, v.findtext("VOUCHERNUMBER")
        for e in v.findall("ALLLEDGERENTRIES.LIST"):  # Tally: a debit is "deemed positive" and negative
            assert (e.findtext("ISDEEMEDPOSITIVE") == "Yes") == (Decimal(e.findtext("AMOUNT")) < 0)
    types = Counter(v.get("VCHTYPE") for v in vouchers)
    # 5 invoices, 1 credit note (Meera), 2 redemptions + 1 reversal, breakage, refund.
    assert types == {"Sales": 5, "Credit Note": 1, "Journal": 4, "Payment": 1}
    sale = next(v for v in vouchers if v.findtext("VOUCHERNUMBER") == "BLR1/25-26/00001")
    entries = {e.findtext("LEDGERNAME"): e.findtext("AMOUNT") for e in sale.findall("ALLLEDGERENTRIES.LIST")}
    assert entries == {"HDFC Bank (UPI)": "-24000.00", "Advance from Clients": "20338.98",
                       "Output CGST": "1830.51", "Output SGST": "1830.51"}
    assert sale.findtext("DATE") == "20250405"
    assert len({v.get("REMOTEID") for v in vouchers}) == len(vouchers)
    assert len({v.findtext("VOUCHERNUMBER") for v in vouchers}) == len(vouchers)


def test_a_value_package_bought_with_cash_is_a_receipt_voucher():
    postings = [{"entry__kind": "sale", "entry__reverses_id": None, "account__code": "cash", "amount": 1_000_000},
                {"entry__kind": "sale", "entry__reverses_id": None, "account__code": "client_credit",
                 "amount": -1_000_000}]

    assert exports.tally_voucher_type(postings) == "Receipt"


def test_tally_ledger_masters_go_under_tally_groups(chain):
    root = ET.fromstring(joined(exports.tally_masters_xml(business=chain.c.business)))

    groups = {l.get("NAME"): l.findtext("PARENT") for l in root.findall(".//LEDGER")}
    assert groups["Deferred Revenue - Packages"] == "Current Liabilities"
    assert groups["Output CGST"] == "Duties & Taxes"
    assert groups["Service Revenue"] == "Sales Accounts"
    assert "Cash" not in groups  # every Tally company has it


def bean_check(text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "books.beancount"
    path.write_text(text, encoding="utf-8")
    tool = Path(sys.executable).with_name("bean-check")
    return subprocess.run([str(tool), str(path)], capture_output=True, text=True, timeout=120)


def test_bean_check_accepts_the_ledger_with_zero_errors(chain, tmp_path):
    text = joined(exports.beancount(business=chain.c.business, start=APRIL[0], end=MAY[1]))

    result = bean_check(text, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""
    assert f"2025-06-01 balance Liabilities:Deferred-Revenue:Packages  -{MAY_CLOSING_CHECK} INR" in text


def test_a_later_period_brings_balances_forward_and_still_checks(chain, tmp_path):
    text = joined(exports.beancount(business=chain.c.business, start=MAY[0], end=MAY[1]))

    assert '2025-05-01 * "Balances brought forward"' in text
    assert bean_check(text, tmp_path).returncode == 0


def test_bean_check_catches_a_ledger_that_does_not_add_up(chain, tmp_path):
    """The test above can fail: a tampered posting is an error bean-check reports."""
    text = joined(exports.beancount(business=chain.c.business, start=APRIL[0], end=MAY[1]))
    tampered = text.replace("  Assets:UPI-Receipts  24000.00 INR", "  Assets:UPI-Receipts  24000.01 INR", 1)

    assert tampered != text
    assert bean_check(tampered, tmp_path).returncode != 0


def test_report_tables_as_csv_with_rupees(chain):
    report = REPORTS["deferred-revenue"]
    tables = report.tables(report.fetch(owner_scope(chain), PERIOD, None))

    rows = list(csv.reader(io.StringIO(exports.csv_text(tables[1]).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Branch", "Name", "Opening (₹)"]
    blr = next(r for r in rows if r[0] == "BLR1")
    assert blr[3] == f"{Decimal(LHR_TAXABLE + PEEL_TAXABLE) / 100:.2f}" == "30508.48"  # sold at BLR1
    assert rows[-1][0] == "Total"


def test_xlsx_has_a_sheet_per_table_real_numbers_inr_format_and_frozen_header(chain):
    from openpyxl import load_workbook

    report = REPORTS["liability"]
    tables = report.tables(report.fetch(owner_scope(chain), PERIOD, None))

    book = load_workbook(io.BytesIO(exports.xlsx_bytes(tables)))

    assert book.sheetnames == ["Liability by client", "Liability by package", "Client credit"]
    sheet = book["Liability by package"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    money = header.index("Money left (₹)") + 1
    anil = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "Anil Rao")
    cell = anil[money - 1]
    assert cell.number_format == exports.INR_FORMAT
    assert round(cell.value * 100) == CLN_TAXABLE  # a number, not text
    assert sheet.cell(row=2, column=header.index("Sold on") + 1).is_date


def test_the_pack_has_one_sheet_per_report_table(chain):
    from openpyxl import load_workbook

    body, name = exports.book_export("reports.xlsx", scope=owner_scope(chain), params=PERIOD, get={})
    book = load_workbook(io.BytesIO(body))

    assert name == "glowpos-reports-2025-04-01-to-2025-05-31.xlsx"
    assert {"Roll-forward by period", "Liability by client", "GST summary", "Trial balance",
            "Document series", "Revenue vs cash", "Sessions by service"} <= set(book.sheetnames)
    assert all(book[s].freeze_panes == "A2" for s in book.sheetnames)
