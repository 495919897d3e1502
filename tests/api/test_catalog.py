"""GET /services and GET /package-plans: what the counter can sell."""
from __future__ import annotations

from datetime import date

from django.utils import timezone

from tests import factories
from tests.api.expect import pick, refused

SALON_RATE_CUT = date(2025, 9, 22)  # the September 2025 rationalisation in the seeded rates


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in rows}


def test_services_show_price_sac_and_the_rate_in_force_today(clinic, api):
    response = api.get("/services")

    assert response.status_code == 200
    services = by_name(response.json())
    laser = clinic.service("Laser hair reduction")
    assert pick(services["Laser hair reduction"], "id", "name", "sac", "price", "tax_rate_bp") == {
        "id": laser.id, "name": "Laser hair reduction", "sac": "999316", "price": 450_000, "tax_rate_bp": 1800,
    }
    assert services["Dermatologist consultation"]["tax_rate_bp"] == 0
    salon_rate = 500 if timezone.localdate() >= SALON_RATE_CUT else 1800
    assert services["Skin cleanup"]["tax_rate_bp"] == salon_rate
    assert all(isinstance(s["price"], int) for s in services.values())


def test_package_plans_list_their_items_with_units(clinic, api):
    response = api.get("/package-plans")

    assert response.status_code == 200
    plans = by_name(response.json())
    lhr = plans["Laser hair reduction — 6 sessions"]
    assert (lhr["id"], lhr["kind"], lhr["price"], lhr["validity_days"]) == (
        clinic.plan("LHR-6").id, clinic.plan("LHR-6").kind, 2_400_000, 365,
    )
    assert [pick(i, "service_id", "service_name", "units") for i in lhr["items"]] == [
        {"service_id": clinic.service("Laser hair reduction").id, "service_name": "Laser hair reduction", "units": 6}
    ]


def test_catalog_shows_only_the_callers_business(clinic, api):
    other = factories.clinic()  # the same demo catalog, under other ids

    assert other.service().id not in {s["id"] for s in api.get("/services").json()}
    assert other.plan().id not in {p["id"] for p in api.get("/package-plans").json()}


def test_catalog_needs_a_token(db):
    refused(factories.Api(None).get("/services"), 401, "unauthorized")
    refused(factories.Api(None).get("/package-plans"), 401, "unauthorized")
