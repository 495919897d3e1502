"""Two terminals never take the same last session, never skip or reuse a document number and
never close a bill twice: real threads, each on its own connection, against the real database
(SQLite in IMMEDIATE mode by default, PostgreSQL with DATABASE_URL)."""
from __future__ import annotations

import time
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from glowpos.billing import services as billing
from glowpos.billing.errors import BillNotOpen, IdempotencyConflict
from glowpos.billing.models import Bill, BillStatus, LineType, Payment
from glowpos.documents.models import Document, DocumentKind, DocumentSeries
from glowpos.documents.numbering import format_number
from glowpos.ledger.models import JournalEntry
from glowpos.money import financial_year
from glowpos.packages.errors import PackageExhausted, PackageNotActive
from glowpos.packages.models import ClientPackage, Entitlement, Redemption, RedemptionStatus
from tests import factories
from tests.racing import Race, errors_of, race

pytestmark = pytest.mark.concurrency

N = 8


def entitlement_of(package) -> Entitlement:
    return Entitlement.objects.get(package=package)


def assert_units_add_up(package) -> None:
    """used and held are exactly the posted and pending redemptions, and never exceed the total."""
    ent = entitlement_of(package)
    by_status = {s: Redemption.objects.filter(entitlement=ent, status=s).count() for s in RedemptionStatus.values}
    assert ent.used_units == by_status[RedemptionStatus.POSTED]
    assert ent.held_units == by_status[RedemptionStatus.PENDING]
    assert 0 <= ent.used_units + ent.held_units <= ent.total_units


def package_with(c, who, *, remaining: int):
    package = factories.sold_package(c, who)  # LHR-6: 6 sessions
    factories.redeem_until(c, package, remaining=remaining)
    return package


def test_last_session_cannot_be_held_twice(committed_db):
    c = factories.clinic()
    priya = factories.client(c)
    package = package_with(c, priya, remaining=2)
    bills = [factories.open_bill(c, priya) for _ in range(N)]

    outcomes = race(*(partial(factories.hold, c, bill, package) for bill in bills))

    assert sum(o.ok for o in outcomes) == 2
    assert all(isinstance(e, PackageExhausted) for e in errors_of(outcomes)), errors_of(outcomes)
    ent = entitlement_of(package)
    assert (ent.used_units, ent.held_units, ent.total_units) == (4, 2, 6)
    pending = Redemption.objects.filter(entitlement=ent, status=RedemptionStatus.PENDING)
    assert sorted(pending.values_list("session_number", flat=True)) == [5, 6]
    losers = [b for b, o in zip(bills, outcomes) if not o.ok]
    assert not any(Bill.objects.get(id=b.id).lines.exists() for b in losers)
    assert_units_add_up(package)
    # And the database itself refuses a third hold (CHECK used + held <= total).
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.filter(id=ent.id).update(held_units=F("held_units") + 1)


def test_last_session_cannot_be_held_twice_through_the_api(committed_db):
    c = factories.clinic()
    priya = factories.client(c)
    package = package_with(c, priya, remaining=1)
    service = factories.package_service(package)
    terminals = [factories.api_client(c.front_desk), factories.api_client(c.manager)]
    bills = [factories.open_bill(c, priya) for _ in terminals]

    def post_redemption(api, bill):
        return api.post(f"/bills/{bill.id}/lines", factories.redemption_line(package, service))

    outcomes = race(*(partial(post_redemption, api, bill) for api, bill in zip(terminals, bills)))

    assert not errors_of(outcomes)
    responses = sorted((o.value for o in outcomes), key=lambda r: r.status_code)
    assert [r.status_code for r in responses] == [201, 409], [r.content for r in responses]
    assert responses[1].json()["code"] == "package_exhausted"
    ent = entitlement_of(package)
    assert (ent.used_units, ent.held_units) == (5, 1)
    assert_units_add_up(package)


def test_numbers_have_no_gaps_under_concurrent_closes(committed_db):
    c = factories.clinic()
    facial = c.service("HydraFacial")
    bills = [factories.open_bill(c, factories.client(c), ("service", facial)) for _ in range(N)]
    payments = [factories.payment_due(bill) for bill in bills]

    outcomes = race(*(
        partial(billing.close_bill, bill_id=bill.id, payments=paid, idempotency_key=f"k{bill.id}", by=c.front_desk)
        for bill, paid in zip(bills, payments)
    ))

    assert not errors_of(outcomes), errors_of(outcomes)
    docs = Document.objects.filter(business=c.business, kind=DocumentKind.TAX_INVOICE)
    fy = financial_year(docs.first().date).label
    assert sorted(docs.values_list("seq", flat=True)) == list(range(1, N + 1))
    assert sorted(docs.values_list("number", flat=True)) == [format_number("BLR1", fy, i) for i in range(1, N + 1)]
    assert len({o.value.document.id for o in outcomes}) == N
    assert {d.bill_id for d in docs} == {b.id for b in bills}
    assert DocumentSeries.objects.get(business=c.business, kind=DocumentKind.TAX_INVOICE).last_number == N
    for doc in docs:
        assert doc.snapshot["number"] == doc.number
        assert JournalEntry.objects.filter(document=doc, kind="sale").count() == 1


def test_a_retried_close_with_the_same_key_returns_the_same_document(committed_db):
    c = factories.clinic()
    bill = factories.open_bill(c, factories.client(c), ("service", c.service("Gold facial")))
    paid = factories.payment_due(bill)

    outcomes = race(*(
        partial(billing.close_bill, bill_id=bill.id, payments=paid, idempotency_key="same-key", by=c.front_desk)
        for _ in range(4)
    ))

    assert not errors_of(outcomes), errors_of(outcomes)
    assert len({o.value.document.id for o in outcomes}) == 1
    assert Document.objects.filter(bill=bill).count() == 1
    assert Payment.objects.filter(bill=bill).count() == 1
    assert JournalEntry.objects.filter(document__bill=bill).count() == 1
    assert DocumentSeries.objects.get(business=c.business, kind=DocumentKind.TAX_INVOICE).last_number == 1


def test_a_bill_closed_at_once_with_different_keys_closes_exactly_once(committed_db):
    c = factories.clinic()
    bill = factories.open_bill(c, factories.client(c), ("service", c.service("Gold facial")))
    paid = factories.payment_due(bill)

    outcomes = race(*(
        partial(billing.close_bill, bill_id=bill.id, payments=paid, idempotency_key=f"key-{i}", by=c.front_desk)
        for i in range(4)
    ))

    assert sum(o.ok for o in outcomes) == 1
    assert all(isinstance(e, (BillNotOpen, IdempotencyConflict)) for e in errors_of(outcomes)), errors_of(outcomes)
    assert Document.objects.filter(bill=bill).count() == 1
    assert Payment.objects.filter(bill=bill).count() == 1
    assert DocumentSeries.objects.get(business=c.business, kind=DocumentKind.TAX_INVOICE).last_number == 1


def test_two_bills_closed_at_once_with_one_key_close_one_and_consume_one_number(committed_db):
    c = factories.clinic()
    facial = c.service("Gold facial")
    bills = [factories.open_bill(c, factories.client(c), ("service", facial)) for _ in range(2)]
    payments = [factories.payment_due(bill) for bill in bills]

    outcomes = race(*(
        partial(billing.close_bill, bill_id=bill.id, payments=paid, idempotency_key="one-key", by=c.front_desk)
        for bill, paid in zip(bills, payments)
    ))

    assert sum(o.ok for o in outcomes) == 1
    assert all(isinstance(e, IdempotencyConflict) for e in errors_of(outcomes)), errors_of(outcomes)
    loser = next(b for b, o in zip(bills, outcomes) if not o.ok)
    assert Bill.objects.get(id=loser.id).status == BillStatus.OPEN
    assert not Document.objects.filter(bill=loser).exists()
    # The loser's number was given back: closing it now takes number 2, not 3.
    closed = factories.close_paid(c, loser, key="another-key")
    assert closed.document.seq == 2


def test_a_close_racing_the_removal_of_its_redemption_never_over_redeems(committed_db):
    c = factories.clinic()
    priya = factories.client(c)
    package = package_with(c, priya, remaining=1)
    bill = factories.open_bill(c, priya, ("service", c.service("Skin cleanup")), ("redemption", package))
    line = bill.lines.get(type=LineType.REDEMPTION)
    paid = factories.payment_due(bill)

    close, remove = race(
        partial(billing.close_bill, bill_id=bill.id, payments=paid, idempotency_key="k", by=c.front_desk),
        partial(billing.remove_line, bill_id=bill.id, line_id=line.id, by=c.front_desk),
    )

    assert close.ok, close.error
    ent = entitlement_of(package)
    snapshot_lines = close.value.document.snapshot["lines"]
    if remove.ok:  # removed first: the unit went back and the close did not redeem it
        assert (ent.used_units, ent.held_units) == (5, 0)
        assert [l["type"] for l in snapshot_lines] == ["service"]
    else:  # closed first: the removal was refused and the session is redeemed
        assert isinstance(remove.error, BillNotOpen), remove.error
        assert (ent.used_units, ent.held_units) == (6, 0)
        assert [l["type"] for l in snapshot_lines] == ["service", "redemption"]
    assert_units_add_up(package)


def test_a_close_racing_second_holds_on_the_last_session_never_over_redeems(committed_db):
    c = factories.clinic()
    priya = factories.client(c)
    package = package_with(c, priya, remaining=1)
    bill = factories.open_bill(c, priya, ("redemption", package))
    others = [factories.open_bill(c, priya) for _ in range(3)]

    close, *holds = race(
        partial(billing.close_bill, bill_id=bill.id, payments=[], idempotency_key="k", by=c.front_desk),
        partial(factories.hold, c, bill, package),  # a second click on the same bill
        *(partial(factories.hold, c, other, package) for other in others),
    )

    assert close.ok, close.error
    assert all(isinstance(h.error, (PackageExhausted, BillNotOpen)) for h in holds), [h.error for h in holds]
    ent = entitlement_of(package)
    assert (ent.used_units, ent.held_units) == (6, 0)
    assert Redemption.objects.filter(bill=bill, status=RedemptionStatus.POSTED).count() == 1
    assert_units_add_up(package)


def test_a_released_last_session_goes_to_at_most_one_racing_terminal(committed_db):
    c = factories.clinic()
    priya = factories.client(c)
    package = package_with(c, priya, remaining=1)
    bill = factories.open_bill(c, priya, ("redemption", package))
    line = bill.lines.get(type=LineType.REDEMPTION)
    others = [factories.open_bill(c, priya) for _ in range(4)]

    remove, *holds = race(
        partial(billing.remove_line, bill_id=bill.id, line_id=line.id, by=c.front_desk),
        *(partial(factories.hold, c, other, package) for other in others),
    )

    assert remove.ok, remove.error
    assert sum(h.ok for h in holds) <= 1
    assert all(isinstance(e, PackageExhausted) for e in errors_of(holds)), errors_of(holds)
    ent = entitlement_of(package)
    assert (ent.used_units, ent.held_units) == (5, sum(h.ok for h in holds))
    assert_units_add_up(package)


def lock_waiters() -> int:
    """Sessions of this PostgreSQL database waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else frozen for the transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_closes_taking_the_same_plans_in_crossed_order_do_not_deadlock(committed_db):
    """Asha bought laser then cleanup, Bina cleanup then laser, so their entitlements interleave
    by id. Closing both visits at once must lock only the entitlements (in id order), not the
    plans and services joined to them, or the two closes can each hold what the other needs."""
    c = factories.clinic()
    asha, bina = factories.client(c, name="Asha"), factories.client(c, name="Bina")
    asha_laser = factories.sold_package(c, asha)
    bina_cleanup = factories.sold_package(c, bina, plan="CLN-5")
    asha_cleanup = factories.sold_package(c, asha, plan="CLN-5")
    bina_laser = factories.sold_package(c, bina)
    bills = [
        factories.open_bill(c, asha, ("redemption", asha_laser), ("redemption", asha_cleanup)),
        factories.open_bill(c, bina, ("redemption", bina_laser), ("redemption", bina_cleanup)),
    ]
    asha_close, bina_close = (
        partial(billing.close_bill, bill_id=b.id, payments=[], idempotency_key=f"k{b.id}", by=c.front_desk)
        for b in bills
    )

    if connection.vendor == "postgresql":
        # Steer the interleaving: another session holds Asha's cleanup package (as a void of
        # its sale would), so Asha's close stops midway; Bina's close starts then. Once the
        # package is let go, neither close may be waiting for the other.
        with transaction.atomic():
            ClientPackage.objects.select_for_update().get(id=asha_cleanup.id)
            asha_race = Race(asha_close)
            assert wait_until(lambda: lock_waiters() >= 1 or asha_race.done())
            bina_race = Race(bina_close)
            wait_until(lambda: lock_waiters() >= 2 or bina_race.done(), timeout=2)
        outcomes = asha_race.outcomes() + bina_race.outcomes()
    else:  # SQLite: one writer at a time (BEGIN IMMEDIATE), so the closes simply queue
        outcomes = race(asha_close, bina_close)

    assert not errors_of(outcomes), errors_of(outcomes)
    assert Redemption.objects.filter(business=c.business, status=RedemptionStatus.POSTED).count() == 4


def test_a_package_sale_voided_while_a_session_is_held_refuses_one_of_the_two(committed_db):
    """Voiding the sale cancels the package only if nothing is held or redeemed from it; a
    terminal holding a session at that moment either goes first (the void is refused) or
    finds the package cancelled. Never both."""
    c = factories.clinic()
    priya = factories.client(c)
    for _ in range(3):
        package = factories.sold_package(c, priya)
        bill = factories.open_bill(c, priya)

        void, hold = race(
            partial(billing.void_bill, bill_id=package.sale_bill_id, reason="wrong plan", by=c.manager),
            partial(factories.hold, c, bill, package),
        )

        assert void.ok != hold.ok, (void.error, hold.error)
        refused = hold.error or void.error
        assert isinstance(refused, PackageNotActive), refused
        package.refresh_from_db()
        ent = entitlement_of(package)
        if void.ok:
            assert package.status == "cancelled" and (ent.used_units, ent.held_units) == (0, 0)
        else:
            assert package.status == "active" and (ent.used_units, ent.held_units) == (0, 1)
        assert_units_add_up(package)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: SQLite runs one writer at a time")
def test_a_hold_that_waits_on_a_void_of_the_sale_sees_the_package_cancelled(committed_db):
    """The interleaving the race above leaves to chance, forced: the void has locked the
    package's entitlements and cancelled it but not yet committed; a terminal then asks for a
    session. It waits on the entitlement's lock and, once the void commits, must read the
    package as it is now (cancelled), not as it was when its request began."""
    import threading

    c = factories.clinic()
    priya = factories.client(c)
    package = factories.sold_package(c, priya)
    bill = factories.open_bill(c, priya)
    voided, commit = threading.Event(), threading.Event()

    def void_and_wait():
        with transaction.atomic():
            billing.void_bill(bill_id=package.sale_bill_id, reason="wrong plan", by=c.manager)
            voided.set()
            assert commit.wait(30)

    def hold_when_voided():
        assert voided.wait(30)
        return factories.hold(c, bill, package)

    racing = Race(void_and_wait, hold_when_voided)
    assert wait_until(lambda: lock_waiters() == 1), "the hold never waited on the void's lock"
    commit.set()
    void, hold = racing.outcomes()

    assert void.ok, void.error
    assert isinstance(hold.error, PackageNotActive), hold.error
    package.refresh_from_db()
    assert package.status == "cancelled"
    assert (entitlement_of(package).used_units, entitlement_of(package).held_units) == (0, 0)
    assert_units_add_up(package)
