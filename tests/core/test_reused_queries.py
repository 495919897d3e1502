"""Reused queries (glowpos.db, ADR 0013): built by the ORM once per connection, then sent again
with each call's values. What must hold: every call reads with its own values, the rows come
back as the ORM makes them, each thread's connection builds its own, and the ORM's refusals
(a lock outside a transaction, an empty list) are kept."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import CharField, DateField, F
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.test.utils import CaptureQueriesContext

from glowpos.billing.models import Bill
from glowpos.catalog.models import TaxRate
from glowpos.db import Param, Reused, ReusedUpdate, params
from glowpos.packages.models import Entitlement
from tests import factories

BILL = Reused(lambda: Bill.objects.filter(business_id=Param("business_id"), id=Param("bill_id"))
              .select_related("business", "client")[:1])
LOCKED = Reused(lambda: Bill.objects.filter(id=Param("bill_id")).select_for_update(of=("self",))[:1])
RATES = Reused(lambda codes: TaxRate.objects.filter(
    business_id=Param("business_id"), code__in=params("codes", codes, CharField()),
    effective_from__lte=Param("on", DateField()),
).order_by("code", "-effective_from").values_list("code", "rate_bp"))
HOLD = ReusedUpdate(lambda: Entitlement.objects.filter(id=Param("id")), held_units=F("held_units") + Param("units"))


def test_each_call_reads_with_its_own_values_and_another_business_finds_nothing(clinic):
    other = factories.clinic()
    mine = factories.open_bill(clinic, factories.client(clinic, name="Priya"))
    theirs = factories.open_bill(other, factories.client(other, name="Asha"))

    assert BILL.first(business_id=clinic.business.id, bill_id=mine.id).client.name == "Priya"
    assert BILL.first(business_id=other.business.id, bill_id=theirs.id).client.name == "Asha"
    assert BILL.first(business_id=clinic.business.id, bill_id=theirs.id) is None
    assert BILL.first(business_id=other.business.id, bill_id=mine.id) is None


def test_the_rows_come_back_as_the_orm_makes_them_in_one_statement(clinic):
    bill = factories.open_bill(clinic, factories.client(clinic))
    fresh = Bill.objects.select_related("business", "client").get(id=bill.id)

    with CaptureQueriesContext(connection) as sent:
        reused = BILL.first(business_id=clinic.business.id, bill_id=bill.id)
        client, business = reused.client, reused.business  # select_related: no further query
    assert len(sent.captured_queries) == 1
    assert [(f.attname, getattr(reused, f.attname)) for f in Bill._meta.concrete_fields] == \
           [(f.attname, getattr(fresh, f.attname)) for f in Bill._meta.concrete_fields]
    assert (client.phone, business.legal_name) == (fresh.client.phone, fresh.business.legal_name)
    assert reused._state.adding is False and reused._state.db == "default"


def test_the_query_is_built_once_per_connection_and_sent_again_with_the_new_values(clinic):
    first, second = (factories.open_bill(clinic, factories.client(clinic)) for _ in range(2))
    builds = []

    def build():
        builds.append(1)
        return Bill.objects.filter(business_id=Param("business_id"), id=Param("bill_id"))[:1]

    bill = Reused(build)
    assert bill.first(business_id=clinic.business.id, bill_id=first.id).id == first.id
    assert bill.first(business_id=clinic.business.id, bill_id=second.id).id == second.id
    assert len(builds) == 1  # built by the first call; the second only sent it with its values


def test_a_list_gives_a_query_per_length_and_dates_are_bound_as_the_orm_binds_them(clinic):
    TaxRate.objects.create(business=clinic.business, code="999999", rate_bp=500, effective_from="2026-04-01")
    TaxRate.objects.create(business=clinic.business, code="999999", rate_bp=1200, effective_from="2026-10-01")
    TaxRate.objects.create(business=clinic.business, code="888888", rate_bp=0, effective_from="2026-04-01")
    on = date(2026, 9, 30)

    def rates(codes, on):
        return RATES.all(business_id=clinic.business.id, codes=codes, on=on)

    assert rates(["999999"], on) == [("999999", 500)]
    assert rates(["999999"], on + timedelta(days=1)) == [("999999", 1200), ("999999", 500)]
    assert rates(["888888", "999999"], on) == [("888888", 0), ("999999", 500)]
    assert rates(["999999"], on) == [("999999", 500)]  # the one-code query again, after the two-code one


def test_an_empty_list_reads_nothing_and_sends_nothing(clinic):
    with CaptureQueriesContext(connection) as sent:
        assert RATES.all(business_id=clinic.business.id, codes=[], on=date(2026, 9, 30)) == []
    assert sent.captured_queries == []


def test_a_value_missing_or_unknown_is_refused(clinic):
    with pytest.raises(TypeError, match="bill_id"):
        BILL.first(business_id=clinic.business.id)
    with pytest.raises(TypeError, match="branch_id"):
        BILL.first(business_id=clinic.business.id, bill_id=1, branch_id=2)


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    c = factories.clinic()
    bill = factories.open_bill(c, factories.client(c))
    with transaction.atomic():
        assert LOCKED.first(bill_id=bill.id).id == bill.id  # built inside a transaction
    if not connection.features.has_select_for_update:
        return  # SQLite: no row locks, nothing to refuse (nor does the ORM)
    with pytest.raises(TransactionManagementError):
        LOCKED.first(bill_id=bill.id)


def test_an_update_is_sent_with_its_values_and_answers_the_rows_changed(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))
    entitlement = package.entitlements.get()
    assert HOLD.run(id=entitlement.id, units=2) == 1
    assert HOLD.run(id=entitlement.id, units=1) == 1
    assert HOLD.run(id=0, units=1) == 0
    entitlement.refresh_from_db()
    assert entitlement.held_units == 3


@pytest.mark.django_db(transaction=True)
def test_each_thread_builds_its_own_on_its_own_connection(committed_db):
    c = factories.clinic()
    bill = factories.open_bill(c, factories.client(c, name="Priya"))
    assert BILL.first(business_id=c.business.id, bill_id=bill.id).client.name == "Priya"
    mine = connections["default"].__dict__["glowpos_reused"]
    seen = {}

    def other_thread():
        try:
            found = BILL.first(business_id=c.business.id, bill_id=bill.id)
            seen["name"] = found.client.name
            seen["kept"] = connections["default"].__dict__["glowpos_reused"]
        finally:
            connections["default"].close()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen["name"] == "Priya"
    assert seen["kept"] is not mine
    compiled = [v for k, v in mine.items() if k[0] is BILL]
    theirs = [v for k, v in seen["kept"].items() if k[0] is BILL]
    assert compiled and theirs and compiled[0] is not theirs[0]
    assert theirs[0].connection is not compiled[0].connection


def test_an_id_beyond_the_columns_range_matches_nothing_as_in_the_orm(clinic):
    huge = 10**20  # typed into a URL; no database integer holds it
    assert Bill.objects.filter(business=clinic.business, id=huge).first() is None  # the ORM's answer
    assert BILL.first(business_id=clinic.business.id, bill_id=huge) is None
    assert HOLD.run(id=huge, units=1) == 0


def test_a_counter_page_asked_for_an_id_too_long_for_the_database_is_not_found(clinic):
    browser = Client(raise_request_exception=False)
    browser.force_login(clinic.front_desk.user)
    assert browser.get("/clients/99999999999999999999/").status_code == 404
    assert browser.post("/clients/99999999999999999999/redeem",
                        {"package_id": "99999999999999999999", "service_id": "1"}).status_code == 404


def test_a_reused_query_that_would_prefetch_is_refused(clinic):
    # fetch() reads the rows only; a prefetch would silently not happen.
    prefetching = Reused(lambda: Bill.objects.filter(id=Param("bill_id")).prefetch_related("lines"))
    with pytest.raises(ValueError, match="prefetch_related"):
        prefetching.all(bill_id=1)


# Sending (glowpos.db._sent): a kept statement goes on the connection's own kept cursor, not
# through Django's cursor, unless something of Django's must see it.

def test_a_kept_statement_is_sent_on_the_connections_kept_cursor_with_each_calls_values(clinic):
    first, second = (factories.open_bill(clinic, factories.client(clinic)) for _ in range(2))
    connections["default"].__dict__.pop("glowpos_cursors", None)
    assert BILL.first(business_id=clinic.business.id, bill_id=first.id).id == first.id
    raw, kept = connections["default"].__dict__["glowpos_cursors"]
    assert raw is connection.connection and len(kept) == 1
    [cursor] = kept.values()
    assert BILL.first(business_id=clinic.business.id, bill_id=second.id).id == second.id
    assert connections["default"].__dict__["glowpos_cursors"][1] == {**kept}  # the same cursor, the new values
    assert list(kept.values()) == [cursor]


def test_a_statement_is_logged_and_wrapped_as_django_sends_it_when_something_must_see_it(clinic):
    bill = factories.open_bill(clinic, factories.client(clinic))
    entitlement = factories.sold_package(clinic, factories.client(clinic)).entitlements.get()
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert BILL.first(business_id=clinic.business.id, bill_id=bill.id).id == bill.id
        assert HOLD.run(id=entitlement.id, units=1) == 1
    assert [sql.split()[0] for sql in seen] == ["SELECT", "UPDATE"]
    with CaptureQueriesContext(connection) as logged:
        BILL.first(business_id=clinic.business.id, bill_id=bill.id)
    assert len(logged.captured_queries) == 1


def test_the_databases_refusal_is_djangos_error_and_the_broken_transaction_refuses_the_next(clinic):
    from django.db import IntegrityError

    entitlement = factories.sold_package(clinic, factories.client(clinic)).entitlements.get()
    bill = factories.open_bill(clinic, factories.client(clinic))
    with transaction.atomic():
        # Django's error, from the CHECK used + held <= total; the block it leaves is broken.
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            HOLD.run(id=entitlement.id, units=entitlement.total_units + 1)
        with pytest.raises(TransactionManagementError):
            BILL.first(business_id=clinic.business.id, bill_id=bill.id)
    entitlement.refresh_from_db()
    assert entitlement.held_units == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_sends_on_a_kept_cursor_of_its_own():
    c = factories.clinic()
    bill = factories.open_bill(c, factories.client(c))
    assert BILL.first(business_id=c.business.id, bill_id=bill.id).id == bill.id
    old = list(connections["default"].__dict__["glowpos_cursors"][1].values())
    connection.close()
    assert BILL.first(business_id=c.business.id, bill_id=bill.id).id == bill.id  # opens the connection
    assert BILL.first(business_id=c.business.id, bill_id=bill.id).id == bill.id
    [new] = connections["default"].__dict__["glowpos_cursors"][1].values()
    assert all(new is not cursor for cursor in old)
