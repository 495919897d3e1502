"""A unit held on an open bill is on a line of that bill: the close finds the bill's holds
through its lines (one query), so the database refuses a held unit without its line."""
import pytest
from django.db import IntegrityError, transaction

from glowpos.billing import services as billing
from glowpos.billing.models import BillLine
from glowpos.packages import services as packages
from glowpos.packages.models import Redemption, RedemptionStatus
from tests import factories


def test_a_sessions_line_cannot_go_while_its_unit_is_held(clinic):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    bill = factories.open_bill(clinic, priya, ("redemption", package))
    line = bill.lines.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        BillLine.objects.filter(id=line.id).delete()  # SET NULL on the held redemption: refused

    held = Redemption.objects.get(bill=bill)
    assert held.status == RedemptionStatus.PENDING and held.line_id == line.id


def test_removing_a_sessions_line_releases_its_unit_and_the_close_takes_only_the_holds_left(clinic):
    priya = factories.client(clinic)
    package = factories.sold_package(clinic, priya)
    service = clinic.service()
    bill = factories.open_bill(clinic, priya, ("redemption", package), ("service", clinic.service("Skin cleanup")))
    first = bill.lines.get(type="redemption")
    billing.remove_line(bill_id=bill.id, line_id=first.id, by=clinic.front_desk)
    packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=service.id, by=clinic.front_desk)

    billing.close_bill(bill_id=bill.id, payments=factories.payment_due(bill), idempotency_key=f"k-{bill.id}",
                       by=clinic.front_desk)

    statuses = sorted(Redemption.objects.filter(bill=bill).values_list("status", "line_id"))
    assert [s for s, _ in statuses] == [RedemptionStatus.POSTED, RedemptionStatus.RELEASED]
    [(_, posted_line)] = [s for s in statuses if s[0] == RedemptionStatus.POSTED]
    assert BillLine.objects.get(id=posted_line).description.endswith("session 1 of 6, 5 remaining")
    entitlement = package.entitlements.get(service=service)
    assert (entitlement.used_units, entitlement.held_units) == (1, 0)
