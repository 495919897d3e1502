"""A NUL character in any text value is bad input, refused before it reaches the database
(PostgreSQL cannot store one: it was a 500, found by the API fuzzing)."""
from __future__ import annotations

from glowpos.clients.models import Client
from tests.api.expect import names_field, refused
from tests.security.conftest import browser_of


def test_a_search_with_a_nul_is_422_naming_the_field(clinic, api):
    names_field(refused(api.get("/clients?q=98%0076"), 422, "validation_error"), "q")


def test_a_json_body_with_a_nul_is_422_and_nothing_is_written(clinic, api):
    response = api.post("/clients", {"name": "Pri\u0000ya", "phone": "9876500001"})
    names_field(refused(response, 422, "validation_error"), "body")
    assert not Client.objects.filter(business=clinic.business, phone="+919876500001").exists()


def test_a_screen_refuses_a_nul_in_a_query_or_a_form(clinic):
    browser = browser_of(clinic.front_desk)
    assert browser.get("/search", {"q": "98\x0076"}).status_code == 400
    assert browser.post("/clients/new", {"name": "Pri\x00ya", "phone": "9876500002"}).status_code == 400
    assert not Client.objects.filter(business=clinic.business, phone="+919876500002").exists()


def test_an_uploaded_file_may_contain_nul_bytes(clinic):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("clients.xlsx", b"PK\x03\x04\x00\x00 not really a workbook")
    response = browser_of(clinic.owner).post("/manage/import/", {"file": upload})
    assert "NUL character" not in response.content.decode(errors="replace")  # the import page judged it
    assert response.status_code == 422
