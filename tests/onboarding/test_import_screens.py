"""The import screens over HTTP: owner and manager only; upload → preview (nothing written) →
import → the result; the template downloads; refusals are a page with a sentence, never a 500."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.utils import timezone

from glowpos.clients.models import Client
from glowpos.onboarding.models import ImportBatch
from glowpos.packages.models import ClientPackage
from tests.onboarding.sheets import csv_bytes, xlsx_bytes

BOUGHT = timezone.localdate() - timedelta(days=20)


def rows() -> list[list]:
    return [
        ["Priya Sharma", "98765 43210", "", "LHR-6", "", "6", "2", "24000", f"{BOUGHT:%d/%m/%Y}", ""],
        ["Ananya Iyer", "9900011223", "", "", "", "", "", "", "", ""],
        ["Bad Phone", "12", "", "", "", "", "", "", "", ""],
    ]


@pytest.fixture
def owner(clinic) -> Browser:
    browser = Browser()
    browser.force_login(clinic.owner.user)
    return browser


def upload(browser: Browser, data: bytes, name: str = "clients.xlsx"):
    return browser.post("/manage/import/", {"file": SimpleUploadedFile(name, data)})


def test_the_front_desk_cannot_open_the_import(clinic):
    desk = Browser()
    desk.force_login(clinic.front_desk.user)
    response = desk.get("/manage/import/")
    assert response.status_code == 403 and "Only an owner or a manager" in response.content.decode()
    assert upload(desk, csv_bytes(rows())).status_code == 403
    assert "Manage</a>" not in desk.get("/").content.decode()


def test_upload_preview_confirm_and_the_result(clinic, owner):
    assert "Manage</a>" in owner.get("/").content.decode()
    workbook = xlsx_bytes(rows())  # one file: openpyxl stamps the time it writes one into it
    response = upload(owner, workbook)
    assert response.status_code == 302
    preview_url = response["Location"]
    assert re.fullmatch(r"/manage/import/preview/[0-9a-f]{64}/", preview_url)

    page = owner.get(preview_url).content.decode()
    assert re.search(r'id="n-new">2<', page) and re.search(r'id="n-packages">1<', page)
    assert re.search(r'id="n-bad">1<', page)
    assert "Not a valid Indian phone number" in page and "Phone (column B)" in page
    assert "Import 2 new clients and 1 package" in page
    assert not Client.objects.filter(business=clinic.business).exists()  # nothing written by the preview

    problems = owner.get(preview_url + "problems.csv")
    assert problems["Content-Type"].startswith("text/csv")
    assert "4,Phone (column B),12,\"not a valid Indian phone number" in problems.content.decode("utf-8-sig")

    done = owner.post(preview_url + "import")
    batch = ImportBatch.objects.get(business=clinic.business)
    assert done.status_code == 302 and done["Location"] == f"/manage/import/batches/{batch.id}/"
    result = owner.get(done["Location"]).content.decode()
    assert "Imported 2 new clients and 1 package" in result and "Priya Sharma" in result
    assert ClientPackage.objects.filter(business=clinic.business).count() == 1

    again = owner.get(upload(owner, workbook)["Location"]).content.decode()
    assert 'id="already"' in again and "Importing it again changes nothing" in again
    assert 'id="confirm-import"' not in again
    repeat = owner.post(preview_url + "import")  # confirming it anyway leads to the first import
    assert repeat.status_code == 302 and repeat["Location"] == done["Location"]
    assert ClientPackage.objects.filter(business=clinic.business).count() == 1


@pytest.mark.parametrize("data, words", [
    (b"%PDF-1.5 ...", "This is a PDF, not a spreadsheet"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not a spreadsheet"),
    (b"x" * (50 * 1024 * 1024), "The file is 50.0 MB; the limit is 10 MB"),
])
def test_a_file_that_is_not_an_import_is_refused_on_the_page(clinic, owner, data, words):
    response = upload(owner, data, "list.xlsx")
    assert response.status_code == 422
    assert words in response.content.decode() and "Nothing was changed." in response.content.decode()


def test_five_thousand_bad_rows_make_a_readable_page(clinic, owner):
    bad = [[f"Client {n}", f"0{n:05d}", "", "", "", "", "", "", "", ""] for n in range(5000)]
    response = owner.get(upload(owner, csv_bytes(bad), "bad.csv")["Location"])
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="n-bad">5000<', page)
    assert "Showing the first 200 of 5000" in page and "Nothing to import" in page
    assert page.count("<tr>") < 400


def test_the_template_downloads_as_a_workbook_and_as_csv(clinic, owner):
    from openpyxl import load_workbook

    xlsx = owner.get("/manage/import/template.xlsx")
    assert xlsx["Content-Disposition"] == 'attachment; filename="glowpos-import-template.xlsx"'
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Clients and packages", "How to fill"]
    assert [c.value for c in book.active[1]][:3] == ["Client name", "Phone", "Email"]
    assert book.active.max_row >= 4
    csv_text = owner.get("/manage/import/template.csv").content.decode("utf-8-sig")
    assert csv_text.startswith("Client name,Phone,Email,Plan,Service,Sessions total,Sessions used")


def test_an_expired_preview_asks_for_the_file_again(clinic, owner):
    response = owner.get("/manage/import/preview/" + "a" * 64 + "/")
    assert response.status_code == 404 and "upload the file again" in response.content.decode()
    assert owner.post("/manage/import/preview/not-a-hash/import").status_code == 404  # not found, like a preview
