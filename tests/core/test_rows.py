"""Rows become instances without Model.__init__ (glowpos.db.MadeFromRows): what must hold is
that each instance is what Django's own from_db makes of the same row — every field's value,
saved and from its database, deferred fields still deferred — and that a pre_init/post_init
receiver, should one be connected, sees every instance made as always."""
from __future__ import annotations

import pytest
from django.db.models import Model
from django.db.models.signals import post_init

from glowpos.billing.models import Bill, BillLine
from glowpos.clients.models import Client
from glowpos.db import MadeFromRows
from glowpos.packages.models import Entitlement, Redemption
from glowpos.tenancy.models import Business, StaffMember
from tests import factories


def _as_django_makes_it(instance: Model) -> Model:
    """The same row through Model.from_db: Model.__init__ with the row's values."""
    cls = type(instance)
    names = [f.attname for f in cls._meta.concrete_fields]
    return Model.from_db.__func__(cls, instance._state.db, names, [getattr(instance, n) for n in names])


def _fields(instance: Model) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize("model", [Bill, BillLine, Client, Entitlement, Redemption, Business, StaffMember])
def test_a_row_read_is_the_instance_djangos_from_db_makes(clinic, model):
    assert issubclass(model, MadeFromRows)
    priya = factories.client(clinic, name="Priya")
    package = factories.sold_package(clinic, priya)
    factories.open_bill(clinic, priya, ("redemption", package), ("service", clinic.service("Skin cleanup")))

    for row in model.objects.all():
        theirs = _as_django_makes_it(row)
        assert _fields(row) == _fields(theirs)
        assert set(row.__dict__) - {"_state"} == set(theirs.__dict__) - {"_state"}
        assert (row._state.adding, row._state.db) == (False, "default") == (theirs._state.adding, theirs._state.db)
        assert row.pk is not None and row == theirs


def test_related_rows_and_deferred_fields_behave_as_djangos(clinic, django_assert_num_queries):
    bill = factories.open_bill(clinic, factories.client(clinic, name="Asha"), ("service", clinic.service("Skin cleanup")))

    read = Bill.objects.select_related("client", "business").get(id=bill.id)
    with django_assert_num_queries(0):
        assert (read.client.name, read.business.id) == ("Asha", clinic.business.id)
    only = Client.objects.only("id").get(id=bill.client_id)
    assert only.get_deferred_fields() >= {"name", "phone"}
    with django_assert_num_queries(1):
        assert only.name == "Asha"  # loaded on first use, as Django does
    read.ship_to_state_code = "27"
    read.save(update_fields=["ship_to_state_code"])  # an instance made from a row saves as an update
    assert Bill.objects.get(id=bill.id).ship_to_state_code == "27" and Bill.objects.count() == 1


def test_a_post_init_receiver_sees_every_instance_made_from_a_row(clinic):
    factories.client(clinic, name="Priya")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Client)
    try:
        read = list(Client.objects.filter(business=clinic.business))
    finally:
        post_init.disconnect(receiver, sender=Client)
    assert read and seen == read
