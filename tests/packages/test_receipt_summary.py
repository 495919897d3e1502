"""The receipt's "what is left" (packages_summary) and the API's profile (packages_data) are read
in one query of plain rows; they must say exactly what the package models say (package_data
over client_packages), for every kind of package and status, in the counter's order: active
first, then newest first."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage
from glowpos.packages.selectors import client_packages, package_data, packages_data, packages_summary
from tests import factories


def from_models(client, touched: frozenset[int]) -> list[dict]:
    """The receipt's rule, said over the models: active or frozen and in its dates, or touched."""
    on = timezone.localdate()
    return [package_data(p, on=on) for p in client_packages(client=client)
            if (p.status in ("active", "frozen") and p.expires_on >= on) or p.id in touched]


def test_every_kind_and_status_reads_as_the_models_say(clinic):
    priya = factories.client(clinic)
    laser = factories.sold_package(clinic, priya, plan="LHR-6")
    bridal = factories.sold_package(clinic, priya, plan="BRIDAL")  # three services
    factories.sold_package(clinic, priya, plan="GLOW-12K", method="cash")  # credit, no entitlements
    factories.sold_package(clinic, priya, plan="GLOW-CLUB")  # a membership period
    peel = factories.sold_package(clinic, priya, plan="PEEL-4")
    cleanup = factories.sold_package(clinic, priya, plan="CLN-5")
    factories.redeem(clinic, laser)
    factories.redeem_until(clinic, cleanup, remaining=0)  # used up: shown only if touched
    packages.freeze_package(package_id=peel.id, reason="Travelling", by=clinic.manager)
    today = timezone.localdate()
    ClientPackage.objects.filter(id=bridal.id).update(purchased_on=today - timedelta(days=121),
                                                      expires_on=today - timedelta(days=1))
    cleanup.refresh_from_db()
    assert cleanup.status == "exhausted"

    for touched in (frozenset(), frozenset({cleanup.id}), frozenset({cleanup.id, bridal.id})):
        summary = packages_summary(client=priya, touched=touched)
        assert summary == from_models(priya, touched)
    # Her profile lists them all, used up and expired too.
    every = [package_data(p) for p in client_packages(client=priya)]
    assert packages_data(client=priya) == every and len(every) == 6

    shown = [p["plan_code"] for p in packages_summary(client=priya, touched=frozenset({cleanup.id, bridal.id}))]
    assert set(shown) == {"LHR-6", "BRIDAL", "GLOW-12K", "GLOW-CLUB", "PEEL-4", "CLN-5"}
    assert shown.index("PEEL-4") > shown.index("GLOW-CLUB")  # frozen after every active one
    bridal_items = next(p for p in packages_summary(client=priya, touched=frozenset({bridal.id}))
                        if p["plan_code"] == "BRIDAL")
    assert bridal_items["status"] == "expired" and len(bridal_items["items"]) == 3


def test_a_client_with_no_package_has_an_empty_summary(clinic):
    assert packages_summary(client=factories.client(clinic)) == []
