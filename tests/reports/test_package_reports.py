"""Reports read from packages and redemptions: outstanding liability (and its tie to the
ledger), packages expiring soon, sessions redeemed; against the chain of history.py."""
from __future__ import annotations

from datetime import date

import pytest

from glowpos.clients.models import Client
from glowpos.reports import selectors
from tests import factories
from tests.reports.history import (
    APRIL,
    BREAKAGE,
    CLN_TAXABLE,
    LASER_SESSION,
    LHR_TAXABLE,
    MAY,
    PEEL_TAXABLE,
    REFUND,
)


def test_liability_by_package_lists_what_is_owed_largest_first(plain_chain):
    report = selectors.liability_by_package(business=plain_chain.c.business, on=date(2025, 8, 1))

    rows = [(r["client__name"], r["plan__code"], r["sessions_left"], r["money_left"], r["sale_bill__branch__code"])
            for r in report["packages"]]
    assert rows == [
        ("Priya Sharma", "LHR-6", 5, LHR_TAXABLE - LASER_SESSION, "BLR1"),
        ("Lotus Salon", "PEEL-4", 4, PEEL_TAXABLE, "BLR1"),
        ("Anil Rao", "CLN-5", 5, CLN_TAXABLE, "MYS1"),  # his voided session is his again
    ]  # Meera's voided sale is cancelled: nothing owed
    assert report["count"] == 3
    assert report["totals"]["sessions_left"] == 14
    assert report["totals"]["money_left"] == 3_135_593


def test_liability_ties_to_the_ledger_when_packages_and_ledger_agree(plain_chain):
    business = plain_chain.c.business
    report = selectors.liability_by_package(business=business)

    assert report["totals"]["money_left"] == selectors.ledger_deferred_balance(business=business, as_of=date.max)


def test_liability_shows_breakage_and_refunds_posted_without_the_package_as_a_difference(chain):
    business = chain.c.business
    owed = selectors.liability_by_package(business=business)["totals"]["money_left"]

    assert owed - selectors.ledger_deferred_balance(business=business, as_of=date.max) == BREAKAGE + REFUND


def test_ageing_buckets_by_days_since_the_sale(plain_chain):
    # 1 August 2025: Priya bought 118 days ago, Anil 98, Lotus 90.
    report = selectors.liability_by_package(business=plain_chain.c.business, on=date(2025, 8, 1))

    ageing = {a["key"]: a["money_left"] for a in report["totals"]["ageing"]}
    assert ageing == {"age_0_90": PEEL_TAXABLE, "age_91_180": LHR_TAXABLE - LASER_SESSION + CLN_TAXABLE,
                      "age_181_365": 0, "age_over_365": 0}


def test_liability_by_client_with_phone_and_ageing(plain_chain):
    rows = selectors.liability_by_client(business=plain_chain.c.business, on=date(2025, 8, 1))

    assert [(r["client_name"], r["packages"], r["sessions_left"], r["money_left"]) for r in rows] == [
        ("Priya Sharma", 1, 5, LHR_TAXABLE - LASER_SESSION),
        ("Lotus Salon", 1, 4, PEEL_TAXABLE),
        ("Anil Rao", 1, 5, CLN_TAXABLE),
    ]
    assert rows[0]["phone"].startswith("+91")
    assert (rows[1]["age_0_90"], rows[1]["age_91_180"]) == (PEEL_TAXABLE, 0)


def test_a_managers_liability_is_what_her_branches_sold(plain_chain):
    report = selectors.liability_by_package(business=plain_chain.c.business, branches=[plain_chain.mys.id])

    assert [r["client__name"] for r in report["packages"]] == ["Anil Rao"]
    assert report["totals"]["money_left"] == CLN_TAXABLE


def test_packages_expiring_within_7_30_90_days_with_phone_numbers(plain_chain):
    # CLN-5 is valid 180 days: Anil's (25 Apr) expires 22 Oct, Lotus's PEEL-4 (3 May) on 30 Oct.
    on = date(2025, 10, 20)
    business = plain_chain.c.business

    week = selectors.expiring(business=business, within=7, on=on)
    month = selectors.expiring(business=business, within=30, on=on)

    assert [(r["client__name"], r["days_left"], r["sessions_left"]) for r in week["packages"]] == [
        ("Anil Rao", 2, 5)]
    assert [(r["client__name"], r["expires_on"]) for r in month["packages"]] == [
        ("Anil Rao", date(2025, 10, 22)), ("Lotus Salon", date(2025, 10, 30))]
    assert all(r["client__phone"].startswith("+91") for r in month["packages"])
    assert month["windows"] == [
        {"days": 7, "count": 1, "money_left": CLN_TAXABLE},
        {"days": 30, "count": 2, "money_left": CLN_TAXABLE + PEEL_TAXABLE},
        {"days": 90, "count": 2, "money_left": CLN_TAXABLE + PEEL_TAXABLE},
    ]


def test_an_exhausted_or_cancelled_package_is_not_expiring(plain_chain):
    # Meera's cancelled CLN-5 would expire 16 Nov 2025.
    rows = selectors.expiring(business=plain_chain.c.business, within=90, on=date(2025, 11, 1))["packages"]

    assert "Meera Nair" not in [r["client__name"] for r in rows]


def test_sessions_redeemed_by_service_staff_branch_and_day(chain):
    report = selectors.redemptions(business=chain.c.business, start=APRIL[0], end=APRIL[1])

    # Anil's cleanup session was voided: only Priya's laser session counts.
    assert [(r["name"], r["sessions"], r["value"]) for r in report["by_service"]] == [
        ("Laser hair reduction", 1, LASER_SESSION)]
    assert [(r["name"], r["sessions"]) for r in report["by_staff"]] == [
        (chain.c.front_desk.user.username, 1)]
    assert [(r["name"], r["sessions"]) for r in report["by_branch"]] == [("BLR1", 1)]
    assert [(r["id"], r["name"], r["sessions"]) for r in report["by_practitioner"]] == [(None, "Not recorded", 1)]
    days = {r["period"]: r["sessions"] for r in report["by_period"]}
    assert report["by"] == "day"
    assert len(days) == 30 and days["2025-04-07"] == 1 and sum(days.values()) == 1
    assert report["total"] == {"sessions": 1, "value": LASER_SESSION}


def test_a_long_period_counts_sessions_by_month(chain):
    report = selectors.redemptions(business=chain.c.business, start=APRIL[0], end=MAY[1])

    assert report["by"] == "month"
    assert [(r["period"], r["sessions"]) for r in report["by_period"]] == [("2025-04", 1), ("2025-05", 0)]


def test_no_sessions_in_may(chain):
    report = selectors.redemptions(business=chain.c.business, start=MAY[0], end=MAY[1])

    assert report["total"] == {"sessions": 0, "value": 0} and report["by_service"] == []


# Client credit: value packages' unspent money, held in the ledger's Client credit -------------------

GLOW_PAID, GLOW_FACE = 1_000_000, 1_200_000  # GLOW-12K: pay ₹10,000, spend ₹12,000
HYDRA_FACE = 500_000  # a HydraFacial (₹5,000) paid wholly by credit
HYDRA_MONEY = 416_667  # the money ₹5,000 of credit stands for: 5,000 × 10,000 / 12,000, rounded half up


@pytest.fixture
def with_credit(plain_chain):
    """June 2025: Priya (who owes sessions) buys GLOW-12K at BLR1 and spends ₹5,000 of it on a
    HydraFacial; Meera (who owes nothing: her CLN-5 was voided) buys GLOW-12K at MYS1."""
    from glowpos.billing import services as billing
    from tests.reports.history import _sell, at

    c, blr, mys = plain_chain.c, plain_chain.blr, plain_chain.mys
    priya, meera = plain_chain.priya_lhr.client, Client.objects.get(business=c.business, name="Meera Nair")
    _sell(c, priya, "GLOW-12K", by=c.front_desk, branch=blr, when=at(date(2025, 6, 2)), method="cash")
    bill = billing.open_bill(client_id=priya.id, by=c.front_desk, branch_id=blr.id, at=at(date(2025, 6, 10)))
    billing.add_service(bill_id=bill.id, service_id=c.service("HydraFacial").id, by=c.front_desk)
    billing.close_bill(bill_id=bill.id, payments=[{"method": "credit", "amount": HYDRA_FACE}],
                       idempotency_key="credit-june", by=c.front_desk, at=at(date(2025, 6, 10)))
    _sell(c, meera, "GLOW-12K", by=c.owner, branch=mys, when=at(date(2025, 6, 5)), method="upi")
    return plain_chain


def test_client_credit_is_the_unspent_money_of_value_packages_largest_first(with_credit):
    report = selectors.client_credit(business=with_credit.c.business, on=date(2025, 8, 1))

    assert [(r["client__name"], r["plan__code"], r["sale_bill__branch__code"], r["credit_left"], r["money_left"])
            for r in report["packages"]] == [
        ("Meera Nair", "GLOW-12K", "MYS1", GLOW_FACE, GLOW_PAID),
        ("Priya Sharma", "GLOW-12K", "BLR1", GLOW_FACE - HYDRA_FACE, GLOW_PAID - HYDRA_MONEY),
    ]
    assert (report["count"], report["clients"]) == (2, 2)
    assert report["totals"]["money_left"] == 2 * GLOW_PAID - HYDRA_MONEY == 1_583_333
    assert report["totals"]["credit_left"] == 2 * GLOW_FACE - HYDRA_FACE
    # Sold 2 and 5 June: 60 and 57 days before 1 August.
    assert {a["key"]: a["money_left"] for a in report["totals"]["ageing"]} == {
        "age_0_90": 1_583_333, "age_91_180": 0, "age_181_365": 0, "age_over_365": 0}


def test_client_credit_ties_to_the_ledger_and_stays_out_of_deferred_revenue(with_credit):
    business = with_credit.c.business
    credit = selectors.client_credit(business=business)
    sessions = selectors.liability_by_package(business=business)

    assert credit["totals"]["money_left"] == selectors.ledger_client_credit_balance(business=business,
                                                                                    as_of=date.max)
    # The session packages' liability is what it was without the value packages, and still ties.
    assert [r["plan__code"] for r in sessions["packages"]] == ["LHR-6", "PEEL-4", "CLN-5"]
    assert sessions["totals"]["money_left"] == 3_135_593 == selectors.ledger_deferred_balance(
        business=business, as_of=date.max)


def test_liability_by_client_shows_client_credit_apart_from_sessions(with_credit):
    rows = selectors.liability_by_client(business=with_credit.c.business, on=date(2025, 8, 1))

    assert [(r["client_name"], r["packages"], r["sessions_left"], r["money_left"], r["client_credit"])
            for r in rows] == [
        ("Priya Sharma", 2, 5, LHR_TAXABLE - LASER_SESSION, GLOW_PAID - HYDRA_MONEY),
        ("Lotus Salon", 1, 4, PEEL_TAXABLE, 0),
        ("Meera Nair", 1, 0, 0, GLOW_PAID),  # credit only: ₹10,000 ranks above Anil's ₹4,237.28
        ("Anil Rao", 1, 5, CLN_TAXABLE, 0),
    ]
    assert rows[2]["age_0_90"] == 0  # the ageing columns are the sessions' money


def test_a_managers_client_credit_is_what_her_branches_sold(with_credit):
    report = selectors.client_credit(business=with_credit.c.business, branches=[with_credit.mys.id])

    assert [r["client__name"] for r in report["packages"]] == ["Meera Nair"]
    assert report["totals"]["money_left"] == GLOW_PAID


def test_the_liability_screen_and_api_show_client_credit_and_its_tie(with_credit):
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(with_credit.c.owner.user)
    page = http.get("/reports/liability/").content.decode()
    assert 'data-credit-ties="yes"' in page and "✓ Client credit ties to ledger" in page
    assert "Client credit: value packages" in page

    body = factories.api_client(with_credit.c.owner).get("/reports/liability").json()
    assert body["client_credit"]["totals"]["money_left"] == body["client_credit"]["ledger"] == 1_583_333
    assert body["totals"]["money_left"] == body["ledger"] == 3_135_593


@pytest.mark.parametrize("limit", [None, 2])
def test_the_liability_report_in_one_go_equals_its_parts(with_credit, limit):
    """The screen's and API's selector adds its totals from the per-client rows: the same
    figures as liability_by_package's own aggregates."""
    business, on = with_credit.c.business, date(2025, 8, 1)
    whole = selectors.liability(business=business, on=on, limit=limit)
    by_package = selectors.liability_by_package(business=business, on=on, limit=limit)
    by_client = selectors.liability_by_client(business=business, on=on, limit=limit)

    assert {k: whole[k] for k in by_package} == by_package
    assert whole["by_client"] == by_client
    assert whole["totals"]["money_left"] == 3_135_593 and whole["count"] == 3 and whole["clients"] == 3


def test_sessions_by_practitioner_count_who_performed_them_not_who_applied_them(clinic):
    """Given when the session is applied, or later on the open bill; a voided visit's session
    does not count; a session nobody was named for is "Not recorded"."""
    from django.utils import timezone

    from glowpos.billing import services as billing
    from glowpos.packages.services import apply_package

    package = factories.sold_package(clinic, factories.client(clinic))
    laser = clinic.service()
    desk, doctor, manager = clinic.front_desk, clinic.practitioner, clinic.manager

    def visit(practitioner=None, *, later=None):
        bill = billing.open_bill(client_id=package.client_id, by=desk)
        line = apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=desk,
                             practitioner_id=practitioner and practitioner.id)
        if later is not None:
            billing.assign_practitioner(bill_id=bill.id, line_id=line.id, practitioner_id=later.id, by=desk)
        return factories.close_paid(clinic, bill)

    visit(doctor)
    visit(doctor)
    visit(later=manager)
    visit()
    voided = visit(doctor)
    billing.void_bill(bill_id=voided.bill.id, reason="Entered twice", by=manager)

    today = timezone.localdate()
    report = selectors.redemptions(business=clinic.business, start=today, end=today)
    assert [(r["name"], r["sessions"]) for r in report["by_practitioner"]] == [
        (doctor.user.username, 2), (manager.user.username, 1), ("Not recorded", 1)]
    assert [(r["name"], r["sessions"]) for r in report["by_staff"]] == [(desk.user.username, 4)]
    assert sum(r["value"] for r in report["by_practitioner"]) == report["total"]["value"]


@pytest.mark.parametrize("local", [(0, 30), (23, 45)])
def test_a_session_counts_on_its_day_in_india_not_in_utc(clinic, local):
    """00:30 in Bengaluru is 19:00 UTC the day before, and 23:45 is 18:15 UTC the same day:
    the day and the month are India's on either database."""
    from datetime import datetime, timedelta

    from glowpos.billing import services as billing
    from glowpos.packages.services import apply_package
    from glowpos.reports.selectors import INDIA

    package = factories.sold_package(clinic, factories.client(clinic))
    hour, minute = local
    day = (package.purchased_on.replace(day=1) + timedelta(days=40)).replace(day=1)  # a 1st after the sale
    when = datetime(day.year, day.month, 1, hour, minute, tzinfo=INDIA)
    bill = billing.open_bill(client_id=package.client_id, by=clinic.front_desk, at=when)
    apply_package(bill_id=bill.id, package_id=package.id, service_id=clinic.service().id, by=clinic.front_desk,
                  at=when)
    billing.close_bill(bill_id=bill.id, payments=[], idempotency_key=f"midnight-{bill.id}", by=clinic.front_desk,
                       at=when)

    before = day - timedelta(days=1)
    by_day = selectors.redemptions(business=clinic.business, start=before, end=day)
    assert {r["period"]: r["sessions"] for r in by_day["by_period"]} == {before.isoformat(): 0, day.isoformat(): 1}
    by_month = selectors.redemptions(business=clinic.business, start=before.replace(day=1), end=day.replace(day=28))
    assert {r["period"]: r["sessions"] for r in by_month["by_period"]} == {
        before.strftime("%Y-%m"): 0, day.strftime("%Y-%m"): 1}
