"""A package's life after the sale: expiry and breakage, freeze, extend, cancel with refund,
transfer, sharing, and the minimum interval between sessions. The books tie after each step."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from glowpos.documents.models import Document
from glowpos.errors import Forbidden
from glowpos.ledger.models import JournalEntry
from glowpos.packages import services as packages
from glowpos.packages.errors import (
    IntervalTooShort,
    PackageExpired,
    PackageFrozen,
    PackageNotActive,
    PackageNotApplicable,
)
from glowpos.packages.models import ClientPackage, PackageEvent
from tests import factories
from tests.books import assert_books_balance

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def laser_package(clinic):
    """₹24,000 for 6 laser sessions, 2 of them used."""
    package = factories.sold_package(clinic, factories.client(clinic))
    factories.redeem_until(clinic, package, remaining=4)
    return package


def _lapse(package) -> None:
    """Test setup: the package's expiry date is yesterday."""
    today = timezone.localdate()
    ClientPackage.objects.filter(id=package.id).update(purchased_on=today - timedelta(days=365),
                                                       expires_on=today - timedelta(days=1))


def _entries(package, kind):
    return {p.account.code: p.amount for e in JournalEntry.objects.filter(package=package, kind=kind)
            for p in e.postings.all()}


def test_expiry_moves_the_unused_sessions_value_to_breakage_income(clinic, laser_package):
    _lapse(laser_package)
    assert packages.expire_packages(business=clinic.business) == 1
    laser_package.refresh_from_db()
    assert laser_package.status == "expired"
    assert _entries(laser_package, "breakage") == {"deferred_revenue": 4 * 338_983, "breakage_income": -4 * 338_983}
    assert packages.expire_packages(business=clinic.business) == 0  # running again changes nothing
    assert_books_balance(clinic.business)
    with pytest.raises(PackageExpired):
        factories.redeem(clinic, laser_package)


def test_a_frozen_package_is_not_expired_and_cannot_be_redeemed(clinic, laser_package):
    packages.freeze_package(package_id=laser_package.id, reason="travelling abroad", by=clinic.manager)
    assert packages.expire_packages(on=laser_package.expires_on + timedelta(days=5), business=clinic.business) == 0
    with pytest.raises(PackageFrozen):
        factories.redeem(clinic, laser_package)


def test_unfreezing_moves_the_expiry_later_by_the_frozen_days(clinic, laser_package):
    start = timezone.now()
    packages.freeze_package(package_id=laser_package.id, reason="surgery", by=clinic.manager, at=start)
    packages.unfreeze_package(package_id=laser_package.id, reason="back", by=clinic.manager,
                              at=start + timedelta(days=10))
    expires = laser_package.expires_on
    laser_package.refresh_from_db()
    assert laser_package.status == "active" and laser_package.expires_on == expires + timedelta(days=10)
    assert [e.kind for e in laser_package.events.all()][-2:] == ["frozen", "unfrozen"]


def test_front_desk_cannot_freeze_extend_cancel_or_transfer(clinic, laser_package):
    other = factories.client(clinic, name="Meera")
    for action in (
        lambda: packages.freeze_package(package_id=laser_package.id, reason="x", by=clinic.front_desk),
        lambda: packages.extend_package(package_id=laser_package.id, expires_on=laser_package.expires_on
                                        + timedelta(days=30), reason="x", by=clinic.front_desk),
        lambda: packages.cancel_package(package_id=laser_package.id, reason="x", method="cash",
                                        by=clinic.front_desk),
        lambda: packages.transfer_package(package_id=laser_package.id, to_client_id=other.id, reason="x",
                                          by=clinic.front_desk),
    ):
        with pytest.raises(Forbidden):
            action()


def test_extending_an_expired_package_reverses_its_breakage_and_reopens_it(clinic, laser_package):
    _lapse(laser_package)
    packages.expire_packages(business=clinic.business)
    packages.extend_package(package_id=laser_package.id, expires_on=timezone.localdate() + timedelta(days=400),
                            reason="goodwill after a complaint", by=clinic.manager)
    laser_package.refresh_from_db()
    assert laser_package.status == "active"
    assert sum(_entries(laser_package, "breakage").values()) == 0
    report = assert_books_balance(clinic.business)
    assert report["breakage"] == 0  # the reversal nets the breakage of the same day out
    factories.redeem(clinic, laser_package)


def test_cancel_refunds_unused_sessions_pro_rata_less_the_fee_with_credit_note_and_refund_voucher(
    clinic, laser_package
):
    result = packages.cancel_package(package_id=laser_package.id, reason="moving cities", method="upi",
                                     by=clinic.manager)
    # 4 of 6 unused of ₹24,000 = ₹16,000; 10 % fee ₹1,600; refund ₹14,400 incl. 18 %.
    assert (result["unused_gross"], result["fee"], result["refund"]) == (1_600_000, 160_000, 1_440_000)
    credit_note, voucher = result["credit_note"], result["refund_voucher"]
    assert credit_note.kind == "credit_note" and credit_note.original == laser_package.sale_document
    assert (credit_note.taxable, credit_note.cgst, credit_note.sgst) == (1_220_338, 109_831, 109_831)
    assert voucher.kind == "refund_voucher" and voucher.number.startswith("BLR1F/")
    assert _entries(laser_package, "refund") == {
        "deferred_revenue": 1_220_338, "output_cgst": 109_831, "output_sgst": 109_831, "upi": -1_440_000,
    }
    assert _entries(laser_package, "breakage") == {"deferred_revenue": 135_594, "breakage_income": -135_594}
    laser_package.refresh_from_db()
    assert laser_package.status == "cancelled"
    report = assert_books_balance(clinic.business)
    assert report["refunded"] == 1_220_338 and report["closing"] == 0
    with pytest.raises(PackageNotActive):
        factories.redeem(clinic, laser_package)
    assert Document.objects.filter(original=laser_package.sale_document).count() == 1


def test_transfer_gives_the_unused_sessions_and_their_value_to_another_client(clinic, laser_package):
    meera = factories.client(clinic, name="Meera Iyer")
    new = packages.transfer_package(package_id=laser_package.id, to_client_id=meera.id,
                                    reason="gift to her sister", by=clinic.manager)
    laser_package.refresh_from_db()
    assert laser_package.status == "transferred" and laser_package.transferred_to == new
    ent = new.entitlements.get()
    assert (new.client, ent.total_units, ent.used_units, ent.taxable_value) == (meera, 4, 0, 4 * 338_983)
    with pytest.raises(PackageNotActive):
        factories.redeem(clinic, laser_package)
    factories.redeem(clinic, new)
    assert_books_balance(clinic.business)


def test_a_named_family_member_may_redeem_a_shared_package_and_nobody_else(clinic, laser_package):
    daughter, stranger = factories.client(clinic, name="Ananya"), factories.client(clinic, name="Stranger")
    packages.share_package(package_id=laser_package.id, client_id=daughter.id, by=clinic.front_desk)
    bill = factories.open_bill(clinic, daughter)
    packages.apply_package(bill_id=bill.id, package_id=laser_package.id, service_id=clinic.service().id,
                           by=clinic.front_desk)
    factories.close_paid(clinic, bill)
    with pytest.raises(PackageNotApplicable):
        bill = factories.open_bill(clinic, stranger)
        packages.apply_package(bill_id=bill.id, package_id=laser_package.id, service_id=clinic.service().id,
                               by=clinic.front_desk)
    assert laser_package.entitlements.get().used_units == 3


def test_a_session_sooner_than_the_minimum_interval_needs_a_managers_override(clinic):
    laser = clinic.service()
    laser.min_interval_days = 28
    laser.save()
    first = datetime(2026, 11, 1, 11, 0, tzinfo=IST)
    from glowpos.billing import services as billing

    sale = billing.open_bill(client_id=factories.client(clinic).id, by=clinic.front_desk, at=first)
    billing.add_package_sale(bill_id=sale.id, plan_id=clinic.plan().id, by=clinic.front_desk)
    billing.close_bill(bill_id=sale.id, payments=[{"method": "upi", "amount": 2_400_000}], idempotency_key="sale",
                       by=clinic.front_desk, at=first)
    package = ClientPackage.objects.get(sale_bill=sale)
    bill = factories.open_bill(clinic, package.client)
    packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=clinic.front_desk,
                           at=first)
    billing.close_bill(bill_id=bill.id, payments=[], idempotency_key="first", by=clinic.front_desk, at=first)
    soon = first + timedelta(days=10)
    bill = factories.open_bill(clinic, package.client)
    with pytest.raises(IntervalTooShort) as refused:
        packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id,
                               by=clinic.front_desk, at=soon)
    assert refused.value.extra == {"days_since": 10, "min_interval_days": 28}
    with pytest.raises(IntervalTooShort):  # a manager's approval still needs a reason
        packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id,
                               by=clinic.front_desk, at=soon, approver=clinic.manager)
    packages.apply_package(bill_id=bill.id, package_id=package.id, service_id=laser.id, by=clinic.front_desk,
                           at=soon, approver=clinic.manager, override_reason="wedding on Saturday")
    event = PackageEvent.objects.get(package=package, kind="interval_override")
    assert (event.by, event.reason) == (clinic.manager, "wedding on Saturday")
    later = first + timedelta(days=28)
    other = factories.sold_package(clinic, package.client)
    bill = factories.open_bill(clinic, package.client)
    packages.apply_package(bill_id=bill.id, package_id=other.id, service_id=laser.id, by=clinic.front_desk,
                           at=later)
