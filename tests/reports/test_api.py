"""GET /api/v1/reports/…: every report as JSON in paise, files for the accountant, and the
same scoping as the screens (owner and managers; a manager's own branches; exports: owner)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests import factories
from tests.api.expect import names_field, refused
from tests.reports.history import APRIL, BREAKAGE, CLN_TAXABLE, LASER_SESSION, LHR_TAXABLE, MAY, PEEL_TAXABLE, REFUND

PERIOD = f"from={APRIL[0]}&to={MAY[1]}"
ENDPOINTS = [
    f"/reports/deferred-revenue?{PERIOD}",
    f"/reports/deferred-revenue/roll-forward?{PERIOD}",
    "/reports/liability",
    "/reports/expiring?within=90",
    f"/reports/redemptions?{PERIOD}",
    f"/reports/revenue-vs-cash?{PERIOD}&by=month",
    f"/reports/gst-summary?{PERIOD}",
    f"/reports/documents?{PERIOD}",
    f"/reports/trial-balance?{PERIOD}",
    f"/reports/ledger/deferred_revenue?{PERIOD}",
]


@pytest.fixture
def owner(chain):
    return factories.api_client(chain.c.owner)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_report_answers_the_owner(owner, path):
    response = owner.get(path)

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", ENDPOINTS)
def test_the_counter_is_refused_every_report(chain, path):
    refused(factories.api_client(chain.c.front_desk).get(path), 403, "forbidden")


def test_the_roll_forward_per_branch_ties_to_the_ledger(owner):
    body = owner.get(f"/reports/deferred-revenue/roll-forward?{PERIOD}").json()

    assert body["currency"] == "INR"
    assert body["total"]["closing"] == LHR_TAXABLE + CLN_TAXABLE - LASER_SESSION + PEEL_TAXABLE - BREAKAGE - REFUND
    assert all(b["ties"] for b in body["branches"]) and body["total"]["ties"]
    assert [p["period"] for p in body["periods"]] == ["2025-04", "2025-05"]


def test_deferred_revenue_keeps_its_contract_and_takes_a_branch(chain, owner):
    body = owner.get(f"/reports/deferred-revenue?from={MAY[0]}&to={MAY[1]}&branch={chain.mys.id}").json()

    assert body == {"opening": CLN_TAXABLE, "sold": 0, "recognized": 0, "breakage": 0, "refunded": REFUND,
                    "closing": CLN_TAXABLE - REFUND, "currency": "INR"}


def test_a_manager_is_scoped_to_her_branch(chain):
    manager = factories.api_client(chain.c.manager)  # BLR1

    body = manager.get(f"/reports/deferred-revenue/roll-forward?{PERIOD}").json()

    assert [b["branch_code"] for b in body["branches"]] == ["BLR1"]
    refused(manager.get(f"/reports/liability?branch={chain.mys.id}"), 404, "not_found")


def test_another_business_branch_is_not_found(chain, owner):
    other = factories.clinic()
    branch = other.business.branches.get()

    refused(owner.get(f"/reports/deferred-revenue?{PERIOD}&branch={branch.id}"), 404, "not_found")


@pytest.mark.parametrize("query, field", [
    ("from=2025-04-01&to=2025-03-31", "to"),
    ("from=2025-04-01", "to"),
    ("from=2025-04-01&to=2025-05-31&by=week", "by"),
    ("from=0001-01-01&to=9999-12-31&by=day", "to"),
], ids=["to-before-from", "to-missing", "by-week", "too-many-days"])
def test_bad_parameters_are_422_naming_the_field(owner, query, field):
    names_field(refused(owner.get(f"/reports/revenue-vs-cash?{query}"), 422, "validation_error"), field)


def test_expiring_only_takes_7_30_or_90(owner):
    names_field(refused(owner.get("/reports/expiring?within=45"), 422, "validation_error"), "within")


def test_gstr1_json_for_the_owner_only(chain, owner):
    response = owner.get("/reports/gstr1?period=2025-05")

    assert response.status_code == 200
    data = json.loads(response.content, parse_float=Decimal)
    assert data["gstin"] == chain.blr.gstin and data["b2b"][0]["inv"][0]["itms"][0]["itm_det"]["txval"] == Decimal(
        "10169.50")
    refused(factories.api_client(chain.c.manager).get("/reports/gstr1?period=2025-05"), 403, "forbidden")


def test_gstr1_for_a_quarterly_filer(chain, owner):
    response = owner.get("/reports/gstr1?period=2025-04&frequency=quarterly")

    assert response.status_code == 200
    assert json.loads(response.content)["fp"] == "062025"
    assert response["Content-Disposition"] == f'attachment; filename="GSTR1-{chain.blr.gstin}-062025-quarterly.json"'
    names_field(refused(owner.get("/reports/gstr1?period=2025-04&frequency=yearly"), 422, "validation_error"),
                "frequency")


@pytest.mark.parametrize("name", ["journal.csv", "tally.xml", "tally-ledgers.xml", "ledger.beancount",
                                  "reports.xlsx"])
def test_book_exports_are_files_for_the_owner(chain, owner, name):
    response = owner.get(f"/reports/exports/{name}?{PERIOD}")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    refused(factories.api_client(chain.c.manager).get(f"/reports/exports/{name}?{PERIOD}"), 403, "forbidden")


def test_any_report_as_csv_or_xlsx(owner):
    csv_response = owner.get(f"/reports/redemptions.csv?{PERIOD}&table=2")
    xlsx_response = owner.get("/reports/liability.xlsx")

    assert csv_response.status_code == 200
    assert csv_response.content.decode("utf-8-sig").splitlines()[:2] == [
        "Branch,Sessions,Revenue recognized (₹)", "BLR1,1,3389.83"]
    assert xlsx_response.status_code == 200 and xlsx_response.content[:2] == b"PK"
    names_field(refused(owner.get(f"/reports/redemptions.csv?{PERIOD}&table=9"), 422, "validation_error"), "table")
