"""What an import accepts as a file: .xlsx and CSV as clinics save them (semicolons, a BOM,
Windows encoding, dates as cells); everything else is refused with a sentence that says what to
do, never a 500. The downloadable template imports cleanly. The command line does the same."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from glowpos.clients.models import Client
from glowpos.onboarding.errors import ImportRefused
from glowpos.onboarding.reader import MAX_BYTES
from glowpos.onboarding.sample import template_csv, template_xlsx
from glowpos.onboarding.services import commit_import, preview_import
from glowpos.packages.models import ClientPackage, Entitlement
from tests.onboarding.sheets import HEADER, csv_bytes, xlsx_bytes

TODAY = timezone.localdate()


def refusal(clinic, data: bytes) -> str:
    with pytest.raises(ImportRefused) as refused:
        preview_import(by=clinic.owner, data=data, filename="upload")
    return refused.value.detail


def test_a_file_over_the_limit_is_refused_before_it_is_read(clinic):
    fifty_mb = b"Client name,Phone\n" + b"x" * (50 * 1024 * 1024)
    assert "The file is 50.0 MB; the limit is 10.0 MB" in refusal(clinic, fifty_mb)
    assert len(fifty_mb) > MAX_BYTES


@pytest.mark.parametrize("data, words", [
    (b"", "The file is empty."),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "This is a PDF, not a spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old Excel file (.xls)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a spreadsheet"),
    (b"PK\x03\x04 broken", "damaged"),
    (b"Dear Sir,\nplease find the list attached.\n", "No 'Client name' or 'Phone' column in the first row"),
    (b"\n\n \n", "The file has no rows"),
    (b"Name,Phone,Mobile\nA,1,2\n", "Two columns are both 'Phone'"),
])
def test_what_is_not_an_import_is_refused_with_what_to_do(clinic, data, words):
    assert words in refusal(clinic, data)


def test_a_zip_that_is_not_a_workbook_is_refused(clinic):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photos/1.jpg", b"...")
    assert "This is a ZIP file, not an Excel workbook" in refusal(clinic, out.getvalue())


def test_a_zip_bomb_is_refused_before_it_is_unpacked(clinic):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 1024 * 1024))
    assert len(out.getvalue()) < MAX_BYTES
    assert "unpacks to 210.0 MB" in refusal(clinic, out.getvalue())


def test_csv_with_semicolons_a_bom_and_windows_encoding_is_read(clinic):
    text = ("\ufeffName;Mobile;E-mail;Package;Sessions;Used;Paid;Purchased on\n"
            f"Priya Sharma;98765 43210;;LHR-6;6;1;Rs. 24,000/-;{TODAY - timedelta(days=3):%d-%b-%Y}\n")
    checked = preview_import(by=clinic.owner, data=text.encode("utf-8"), filename="x.csv").checked
    assert checked.problems == [] and [p.price for p in checked.packages] == [2_400_000]
    windows = "Name,Phone\nJosé Müller,9876512345\n".encode("cp1252")
    assert [c.name for c in preview_import(by=clinic.owner, data=windows, filename="x").checked.new_clients] == [
        "José Müller"]


def test_xlsx_cells_as_excel_stores_them_are_read(clinic):
    bought = TODAY - timedelta(days=10)
    rows = [["Priya Sharma", 9876543210, None, "LHR-6", None, 6, 2, 24000.5, datetime(bought.year, bought.month,
                                                                                      bought.day), None],
            ["Ananya", 9900011223.0, None, "CLN-5", None, None, 1.0, 5000, bought, date(2099, 1, 1)]]
    checked = preview_import(by=clinic.owner, data=xlsx_bytes(rows), filename="x.xlsx").checked
    assert checked.problems == []
    assert [(p.phone, p.price, p.purchased_on, p.used_units) for p in checked.packages] == [
        ("+919876543210", 2_400_050, bought, 2), ("+919900011223", 500_000, bought, 1)]


def test_five_thousand_bad_rows_give_a_report_not_an_error(clinic):
    rows = [[f"Client {n}", f"12{n:04d}", "", "", "", "", "", "", "", ""] for n in range(5000)]
    rows += [["Good", "9876543210", "", "", "", "", "", "", "", ""]]
    preview = preview_import(by=clinic.owner, data=xlsx_bytes(rows), filename="bad.xlsx")
    assert preview.checked.bad_rows == 5000
    assert preview.checked.problems[0].row == 2 and preview.checked.problems[-1].row == 5001
    assert [c.name for c in preview.checked.new_clients] == ["Good"]


def test_the_downloadable_template_imports_without_a_problem(clinic):
    for data in (template_xlsx(clinic.business, TODAY), template_csv(clinic.business, TODAY)):
        preview = preview_import(by=clinic.owner, data=data, filename="template")
        assert preview.checked.problems == [], preview.checked.problems
        # Every example row is a package but one, a client on her own.
        assert len(preview.checked.packages) == len(preview.checked.new_clients) - 1 >= 2
    assert commit_import(by=clinic.owner, data=template_xlsx(clinic.business, TODAY), filename="t.xlsx").created


def test_the_command_line_dry_run_writes_nothing_and_commit_writes(clinic, tmp_path, capsys):
    bought = TODAY - timedelta(days=30)
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes([
        ["Priya Sharma", "98765 43210", "", "LHR-6", "", "6", "2", "24000", f"{bought:%d/%m/%Y}", ""],
        ["Bad Phone", "123", "", "", "", "", "", "", "", ""],
    ]))
    username = clinic.owner.user.username

    call_command("import", str(path), "--user", username)
    out = capsys.readouterr().out
    assert "new clients                 1" in out
    assert "row 3, Phone (column B): '123' not a valid Indian phone number" in out
    assert "Dry run: nothing was written" in out
    assert not Client.objects.filter(business=clinic.business).exists()

    call_command("import", str(path), "--user", username, "--commit")
    assert "Imported (batch" in capsys.readouterr().out
    assert Entitlement.objects.get(package__client__phone="+919876543210").used_units == 2

    call_command("import", str(path), "--user", username, "--commit")
    assert "already imported" in capsys.readouterr().out
    assert ClientPackage.objects.filter(business=clinic.business).count() == 1


def test_the_command_line_refuses_clearly(clinic, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", str(tmp_path / "missing.xlsx"), "--user", clinic.owner.user.username)
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(b"%PDF-1.4 ...")
    with pytest.raises(CommandError, match="This is a PDF"):
        call_command("import", str(pdf), "--user", clinic.owner.user.username)
    with pytest.raises(CommandError, match="no owner or manager"):
        call_command("import", str(pdf), "--user", clinic.front_desk.user.username)


def test_headings_are_recognised_as_people_write_them(clinic):
    header = ["Customer Name", "Mobile No.", "Email ID", "Package Code", "No. of sessions", "Sessions Done",
              "Price Paid", "Date of Purchase", "Valid Till", "Notes"]
    bought = TODAY - timedelta(days=5)
    data = csv_bytes([["Priya", "9876543210", "", "LHR-6", "6", "0", "24000", f"{bought:%d/%m/%Y}", "", "VIP"]],
                     header=header)
    preview = preview_import(by=clinic.owner, data=data, filename="x.csv")
    assert preview.checked.problems == [] and len(preview.checked.packages) == 1
    assert preview.table.ignored == ["Notes (column J)"]
    assert HEADER[0] == "Client name"
