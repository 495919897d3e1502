"""Reused inserts (glowpos.db.InsertsReused, ADR 0013): the INSERT of the rows the counter
writes at every visit is compiled once per connection, then sent with each new row's values.
What must hold: every row is written with its own values and gets its own id, saving runs as it
always did (each field's pre_save once, the model's own save, the signals, the database's
constraints), and a row the kept SQL cannot carry is inserted by the ORM."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connections, transaction
from django.db.models import Value
from django.db.models.signals import post_save, pre_save

from glowpos import db as glowpos_db
from glowpos.ledger.models import Account, JournalEntry, Posting
from glowpos.packages.models import PackageEvent
from tests import factories


@pytest.fixture
def compiles(monkeypatch):
    """The INSERTs compiled during the test, by model and number of rows (none kept before it)."""
    connections["default"].__dict__.pop("glowpos_reused", None)
    seen = []
    compile_ = glowpos_db._CompiledInsert.__init__

    def counted(self, model, objs, *args):
        seen.append((model.__name__, len(objs)))
        compile_(self, model, objs, *args)

    monkeypatch.setattr(glowpos_db._CompiledInsert, "__init__", counted)
    return seen


def entry(clinic, memo: str) -> JournalEntry:
    return JournalEntry.objects.create(business=clinic.business, branch=clinic.business.branches.get(), date=date(2026, 11, 2),
                                       kind="sale", memo=memo, created_by=clinic.front_desk)


def test_each_row_is_written_with_its_own_values_and_id_and_the_insert_is_compiled_once(clinic, compiles):
    entries = [entry(clinic, f"memo {i}") for i in range(3)]

    assert compiles == [("JournalEntry", 1)]
    assert len({e.id for e in entries}) == 3
    stored = {e.id: e for e in JournalEntry.objects.filter(id__in=[e.id for e in entries])}
    for e in entries:
        # Every column as the instance has it: its own memo, and the created_at its field's
        # pre_save stamped once (an auto_now_add stamped twice would differ from the row).
        assert [getattr(stored[e.id], f.attname) for f in JournalEntry._meta.concrete_fields] == \
               [getattr(e, f.attname) for f in JournalEntry._meta.concrete_fields]
        assert e._state.adding is False and e._state.db == "default"


def test_bulk_create_sets_every_id_and_each_number_of_rows_compiles_its_own(clinic, compiles):
    first, second = entry(clinic, "first"), entry(clinic, "second")
    cash, revenue = Account.objects.filter(business=clinic.business, code__in=["cash", "service_revenue"]).order_by("code")

    two = Posting.objects.bulk_create([Posting(entry=first, account=cash, date=first.date, amount=500),
                                       Posting(entry=first, account=revenue, date=first.date, amount=-500)])
    again = Posting.objects.bulk_create([Posting(entry=second, account=cash, date=second.date, amount=700),
                                         Posting(entry=second, account=revenue, date=second.date, amount=-700)])
    three = Posting.objects.bulk_create([Posting(entry=second, account=cash, date=second.date, amount=a)
                                         for a in (1, 2, 3)])

    assert compiles == [("JournalEntry", 1), ("Posting", 2), ("Posting", 3)]
    made = two + again + three
    assert all(p.id is not None for p in made) and len({p.id for p in made}) == 7
    assert sorted(Posting.objects.filter(entry__in=[first, second]).values_list("id", "entry_id", "account_id", "amount")) \
        == sorted((p.id, p.entry_id, p.account_id, p.amount) for p in made)


def test_the_signals_and_the_models_own_save_run_as_before(clinic, compiles):
    package = factories.sold_package(clinic, factories.client(clinic))
    heard = []

    def before(sender, instance, **kwargs):
        heard.append(("pre_save", instance.kind, instance.id))

    def after(sender, instance, created, **kwargs):
        heard.append(("post_save", instance.kind, created))

    pre_save.connect(before, sender=PackageEvent)
    post_save.connect(after, sender=PackageEvent)
    try:
        for kind in ("noted", "noted again"):
            PackageEvent.objects.create(package=package, kind=kind, at=package.sale_bill.closed_at, data={"kind": kind})
    finally:
        pre_save.disconnect(before, sender=PackageEvent)
        post_save.disconnect(after, sender=PackageEvent)

    assert heard == [("pre_save", "noted", None), ("post_save", "noted", True),
                     ("pre_save", "noted again", None), ("post_save", "noted again", True)]
    assert list(PackageEvent.objects.filter(package=package, kind__startswith="noted").order_by("id")
                .values_list("kind", "data")) == [("noted", {"kind": "noted"}), ("noted again", {"kind": "noted again"})]


def test_the_databases_constraints_still_refuse_a_row(clinic, compiles):
    e = entry(clinic, "with postings")
    cash = Account.objects.get(business=clinic.business, code="cash")
    Posting.objects.create(entry=e, account=cash, date=e.date, amount=100)  # compiles and keeps the insert

    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(entry=e, account=cash, date=e.date, amount=0)  # CHECK posting_not_zero
    assert list(Posting.objects.filter(entry=e).values_list("amount", flat=True)) == [100]


def test_a_value_the_kept_sql_cannot_carry_is_inserted_by_the_orm(clinic, compiles):
    plain = entry(clinic, "plain")
    computed = JournalEntry.objects.create(business=clinic.business, branch=plain.branch, date=plain.date,
                                           kind="sale", memo=Value("written by an expression"))
    after = entry(clinic, "plain again")  # the kept insert is still sent with its own values

    assert compiles == [("JournalEntry", 1)]
    assert list(JournalEntry.objects.filter(id__in=[plain.id, computed.id, after.id]).order_by("id")
                .values_list("memo", flat=True)) == ["plain", "written by an expression", "plain again"]
