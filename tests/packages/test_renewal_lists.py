"""The counter's home screen: packages expiring soon with sessions left, and packages down to
their last session — who should hear about a renewal today. Which packages make each list,
in what order, with how many sessions left of how many."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from glowpos.billing import services as billing
from glowpos.packages import services as packages
from glowpos.packages.models import ClientPackage
from glowpos.packages.selectors import expiring_packages, low_balance_packages
from tests import factories


def expiring_in(package: ClientPackage, days: int) -> ClientPackage:
    """Its last day `days` from today (bought long enough ago for that)."""
    today = timezone.localdate()
    ClientPackage.objects.filter(id=package.id).update(purchased_on=today - timedelta(days=200),
                                                       expires_on=today + timedelta(days=days))
    return package


def visit(c, package: ClientPackage, service_name: str) -> None:
    """One session of that service of the package, redeemed and closed."""
    bill = billing.open_bill(client_id=package.client_id, by=c.front_desk)
    packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=c.service(service_name).id,
                           by=c.front_desk)
    factories.close_paid(c, bill)


def last_unit_held(c, package: ClientPackage) -> ClientPackage:
    """Down to one session, and that one held on a bill still open: nothing left to offer."""
    factories.redeem_until(c, package, remaining=1)
    factories.open_bill(c, package.client, ("redemption", package))
    return package


def shown(found: list[ClientPackage]) -> list[tuple[int, int, int]]:
    return [(p.id, p.remaining, p.total) for p in found]


def test_expiring_lists_active_packages_with_sessions_left_soonest_first(clinic):
    c, today = clinic, timezone.localdate()
    who = factories.client(c)
    laser = expiring_in(factories.sold_package(c, who, plan="LHR-6"), 10)
    peel = expiring_in(factories.sold_package(c, who, plan="PEEL-4"), 3)
    bridal = expiring_in(factories.sold_package(c, who, plan="BRIDAL"), 20)
    visit(c, bridal, "Hair spa")  # 5 of its 6 sessions left, over three services
    # Not on the list: beyond 30 days, every session used or held, no sessions at all (credit),
    # frozen, already past its date, and another business's.
    expiring_in(factories.sold_package(c, who, plan="CLN-5"), 40)
    expiring_in(last_unit_held(c, factories.sold_package(c, who, plan="PEEL-4")), 5)
    expiring_in(factories.sold_package(c, who, plan="GLOW-12K", method="cash"), 5)
    frozen = expiring_in(factories.sold_package(c, who, plan="LHR-6"), 5)
    ClientPackage.objects.filter(id=frozen.id).update(status="frozen")
    expiring_in(factories.sold_package(c, who, plan="LHR-6"), -1)
    other = factories.clinic()
    expiring_in(factories.sold_package(other, factories.client(other), plan="LHR-6"), 2)

    found = expiring_packages(business=c.business, on=today, within_days=30)

    assert shown(found) == [(peel.id, 4, 4), (laser.id, 6, 6), (bridal.id, 5, 6)]
    assert [p.client.name for p in found] == ["Priya Sharma"] * 3 and found[0].plan.code == "PEEL-4"
    assert shown(expiring_packages(business=c.business, on=today, within_days=30, limit=2)) == shown(found)[:2]
    assert shown(expiring_packages(business=c.business, on=today, within_days=7)) == [(peel.id, 4, 4)]


def test_low_balance_lists_packages_down_to_their_last_sessions_fewest_first(clinic):
    c = clinic
    who = factories.client(c)
    laser = factories.sold_package(c, who, plan="LHR-6")  # 365 days
    factories.redeem_until(c, laser, remaining=1)
    bridal = factories.sold_package(c, who, plan="BRIDAL")  # 120 days: sooner, so first
    for service in ("HydraFacial", "HydraFacial", "Chemical peel", "Hair spa", "Hair spa"):
        visit(c, bridal, service)  # one hair spa left of six sessions
    peel = factories.sold_package(c, who, plan="PEEL-4")
    factories.redeem_until(c, peel, remaining=2)
    # Not on the list: one session left on each of two services (two in all), the last one
    # held on an open bill, one left but past its date, one left but frozen.
    two_services = factories.sold_package(c, who, plan="BRIDAL")
    for service in ("HydraFacial", "HydraFacial", "Hair spa", "Hair spa"):
        visit(c, two_services, service)
    last_unit_held(c, factories.sold_package(c, who, plan="PEEL-4"))
    late = factories.sold_package(c, who, plan="CLN-5")
    factories.redeem_until(c, late, remaining=1)
    expiring_in(late, -1)
    frozen = factories.sold_package(c, who, plan="CLN-5")
    factories.redeem_until(c, frozen, remaining=1)
    ClientPackage.objects.filter(id=frozen.id).update(status="frozen")
    today = timezone.localdate()

    assert shown(low_balance_packages(business=c.business, on=today)) == [(bridal.id, 1, 6), (laser.id, 1, 6)]
    assert shown(low_balance_packages(business=c.business, on=today, at_most=2)) == [
        (bridal.id, 1, 6), (laser.id, 1, 6), (two_services.id, 2, 6), (peel.id, 2, 4)]
    assert shown(low_balance_packages(business=c.business, on=today, limit=1)) == [(bridal.id, 1, 6)]
    assert low_balance_packages(business=factories.clinic().business, on=today) == []
