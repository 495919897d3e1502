"""The report screens and their downloads, through the Django test client as the staff
who use them: owner and managers see reports (a manager her own branches), the counter
does not; the books leave on the owner's say."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from glowpos.money import format_inr
from tests.reports.history import APRIL, CLN_TAXABLE, LASER_SESSION, LHR_TAXABLE, MAY

PERIOD = f"from={APRIL[0]}&to={MAY[1]}"
SLUGS = ["deferred-revenue", "liability", "expiring", "redemptions", "revenue", "gst", "documents",
         "trial-balance", "ledger"]


def browser(staff) -> HttpClient:
    http = HttpClient()
    http.force_login(staff.user)
    return http


@pytest.fixture
def owner(chain):
    return browser(chain.c.owner)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_report_screen_renders_for_the_owner(owner, slug):
    from glowpos.reports.registry import REPORTS

    response = owner.get(f"/reports/{slug}/?{PERIOD}")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{REPORTS[slug].title}" in page and 'aria-current="page">' in page
    assert "<table" in page or "No package with sessions left expires" in page  # 2025's packages


def test_the_overview_has_this_months_figures_and_the_tie(owner):
    response = owner.get("/reports/")

    assert response.status_code == 200
    assert "ties to ledger" in response.content.decode()
    assert b'class="chart"' in response.content


def test_the_roll_forward_screen_says_it_ties_to_the_ledger(owner):
    page = owner.get(f"/reports/deferred-revenue/?from={APRIL[0]}&to={APRIL[1]}").content.decode()

    assert 'data-ties="yes"' in page and "✓ Ties to ledger" in page
    assert format_inr(LHR_TAXABLE + CLN_TAXABLE - LASER_SESSION) in page  # closing ₹21,186.43
    assert 'aria-label="Deferred revenue: opening, movements, closing"' in page


def test_the_liability_screen_shows_the_difference_when_packages_and_ledger_disagree(owner):
    page = owner.get("/reports/liability/").content.decode()

    assert 'data-ties="no"' in page  # breakage and a refund were posted by hand, without their packages
    assert "Anil Rao" in page and "tel:+91" in page


def test_the_redemption_screen_tells_practitioner_from_staff_who_applied_the_package(owner):
    page = owner.get(f"/reports/redemptions/?{PERIOD}").content.decode()

    assert "who applied the package at the counter" in page
    assert "Sessions redeemed by practitioner (who performed them)" in page
    assert "Not recorded" in page  # the history's sessions name nobody


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_the_counter_may_not_see_reports(chain, role):
    response = browser(getattr(chain.c, role)).get("/reports/deferred-revenue/")

    assert response.status_code == 403
    assert "Not allowed for your role" in response.content.decode()


def test_the_nav_shows_reports_to_managers_only(chain):
    assert b'href="/reports/"' in browser(chain.c.manager).get("/").content
    assert b'href="/reports/"' not in browser(chain.c.front_desk).get("/").content


def test_logged_out_goes_to_login(chain):
    response = HttpClient().get("/reports/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_manager_sees_her_branch_only(chain):
    manager = browser(chain.c.manager)  # works at BLR1

    page = manager.get("/reports/liability/").content.decode()
    assert "Priya Sharma" in page and "Anil Rao" not in page  # Anil bought at MYS1
    assert manager.get(f"/reports/deferred-revenue/?branch={chain.mys.id}").status_code == 404


def test_bad_dates_are_refused_naming_the_field(owner):
    response = owner.get("/reports/revenue/?from=2025-02-30&to=2025-03-01")

    assert response.status_code == 422
    assert "from: not a date" in response.content.decode()


def test_csv_and_xlsx_downloads(owner):
    csv_response = owner.get(f"/reports/trial-balance.csv?{PERIOD}")
    xlsx_response = owner.get("/reports/liability.xlsx")

    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    assert csv_response.content.decode("utf-8-sig").splitlines()[0].startswith("Code,Account,Type")
    assert xlsx_response.status_code == 200 and xlsx_response.content[:2] == b"PK"


def test_the_books_leave_on_the_owners_say(chain, owner):
    manager = browser(chain.c.manager)

    assert manager.get(f"/reports/exports/journal.csv?{PERIOD}").status_code == 403
    assert manager.get("/reports/exports/").status_code == 403
    assert owner.get("/reports/exports/").status_code == 200
    for name in ("journal.csv", "tally.xml", "tally-ledgers.xml", "ledger.beancount", "reports.xlsx"):
        response = owner.get(f"/reports/exports/{name}?{PERIOD}")
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, name


def test_gstr1_download_from_the_screen(chain, owner):
    response = owner.get(f"/reports/exports/gstr1.json?gstin={chain.blr.gstin}&period=2025-05")

    assert response.status_code == 200
    data = json.loads(response.content, parse_float=Decimal)
    assert (data["fp"], data["b2b"][0]["inv"][0]["val"]) == ("052025", Decimal("12000.00"))
    assert 'filename="GSTR1-' in response["Content-Disposition"]


def test_gstr1_with_a_bad_month_is_refused(chain, owner):
    response = owner.get(f"/reports/exports/gstr1.json?gstin={chain.blr.gstin}&period=2025-13")

    assert response.status_code == 422 and "period: a month as YYYY-MM" in response.content.decode()


def test_gstr1_quarterly_from_the_screen(chain, owner):
    page = owner.get("/reports/exports/").content.decode()
    assert 'name="frequency"' in page and 'value="quarterly"' in page

    response = owner.get(f"/reports/exports/gstr1.json?gstin={chain.blr.gstin}&period=2025-05&frequency=quarterly")
    assert response.status_code == 200 and json.loads(response.content)["fp"] == "062025"

    response = owner.get(f"/reports/exports/gstr1.json?gstin={chain.blr.gstin}&period=2025-05&frequency=weekly")
    assert response.status_code == 422 and "frequency: monthly or quarterly" in response.content.decode()
