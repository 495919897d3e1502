"""GET /reports/deferred-revenue: the roll-forward of the package liability, tied to the ledger."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from glowpos.ledger.models import Posting
from tests import factories
from tests.api.expect import names_field, refused

MOVEMENTS = ("opening", "sold", "recognized", "breakage", "refunded", "closing")
ONE_LASER_SESSION = 338_983  # ₹20,338.98 deferred over 6 sessions (PRODUCT.md: 3,389.83 each)


def report(api, start: date, end: date):
    return api.get(f"/reports/deferred-revenue?from={start.isoformat()}&to={end.isoformat()}")


def ledger_liability(clinic, as_of: date) -> int:
    """Computed here, not by the app: minus the sum of deferred revenue postings up to `as_of`."""
    total = Posting.objects.filter(
        account__business=clinic.business, account__code="deferred_revenue", date__lte=as_of
    ).aggregate(s=Sum("amount"))["s"]
    return -(total or 0)


def rolls_forward(row: dict) -> bool:
    return row["closing"] == (row["opening"] + row["sold"] - row["recognized"] - row["breakage"]
                              - row["refunded"])


@pytest.fixture
def day_at_the_counter(clinic, api, manager, priya, laser, lhr):
    """Today: a ₹24,000 laser package sold; two sessions redeemed, one of them voided; a cleanup
    package sold and voided; another clinic selling too."""
    factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    mistaken = factories.api_closed(api, priya, factories.redemption_line(lhr, laser))
    assert manager.post(f"/bills/{mistaken['bill']['id']}/void", {"reason": "wrong client"}).status_code == 200
    cleanup = factories.api_closed(api, priya, {"type": "package_sale", "plan_id": clinic.plan("CLN-5").id})
    assert manager.post(f"/bills/{cleanup['bill']['id']}/void", {"reason": "changed her mind"}).status_code == 200
    other = factories.clinic()
    factories.sold_package(other, factories.client(other))


def test_deferred_revenue_rolls_forward_and_ties_to_the_ledger(clinic, manager, day_at_the_counter):
    today = timezone.localdate()

    response = report(manager, today, today)

    assert response.status_code == 200, response.content
    row = response.json()
    assert {k: row[k] for k in MOVEMENTS} == {
        "opening": 0, "sold": 2_033_898, "recognized": ONE_LASER_SESSION, "breakage": 0, "refunded": 0,
        "closing": 2_033_898 - ONE_LASER_SESSION,
    }
    assert rolls_forward(row)
    assert row["closing"] == ledger_liability(clinic, today)
    assert all(isinstance(row[k], int) for k in MOVEMENTS)


def test_a_later_period_opens_with_the_earlier_closing(clinic, manager, day_at_the_counter):
    tomorrow = timezone.localdate() + timedelta(days=1)

    row = report(manager, tomorrow, tomorrow + timedelta(days=30)).json()

    assert (row["opening"], row["sold"], row["recognized"], row["closing"]) == (
        1_694_915, 0, 0, 1_694_915)
    assert rolls_forward(row)
    assert row["closing"] == ledger_liability(clinic, tomorrow + timedelta(days=30))


def test_a_period_before_any_sale_is_all_zero(manager, day_at_the_counter):
    yesterday = timezone.localdate() - timedelta(days=1)

    row = report(manager, yesterday - timedelta(days=30), yesterday).json()

    assert {k: row[k] for k in MOVEMENTS} == dict.fromkeys(MOVEMENTS, 0)


def test_widest_possible_period_is_answered_not_a_500(clinic, manager, day_at_the_counter):
    row = report(manager, date.min, date.max).json()

    assert (row["opening"], row["closing"]) == (0, ledger_liability(clinic, date.max))
    assert rolls_forward(row)


def test_owner_may_see_reports(clinic, day_at_the_counter):
    today = timezone.localdate()

    assert report(factories.api_client(clinic.owner), today, today).status_code == 200


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_counter_staff_may_not_see_reports_403(clinic, role):
    today = timezone.localdate()

    refused(report(factories.api_client(getattr(clinic, role)), today, today), 403, "forbidden")


@pytest.mark.parametrize("query, field", [
    ("from=2026-02-30&to=2026-03-01", "from"),
    ("from=2026-01-01&to=2026-13-01", "to"),
    ("from=yesterday&to=today", "from"),
    ("from=2026-1-1&to=2026-01-31", "from"),
    ("from=2026-01-01", "to"),
    ("to=2026-01-01", "from"),
    ("from=2026-01-31&to=2026-01-01", "to"),
], ids=["no-feb-30", "no-month-13", "words", "unpadded", "to-missing", "from-missing", "to-before-from"])
def test_bad_dates_are_422_naming_the_date(manager, query, field):
    names_field(refused(manager.get(f"/reports/deferred-revenue?{query}"), 422, "validation_error"), field)
