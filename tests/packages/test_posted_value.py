"""Entitlement.posted_value (docs/decisions/0010): kept by posting and reversing, and the
migration that filled it from the redemptions gives the same figures."""
from __future__ import annotations

import importlib

from django.db import connection

from glowpos.billing import services as billing
from glowpos.money import unit_value
from glowpos.packages.models import Entitlement
from tests import factories


def test_posting_and_voiding_keep_the_posted_value_and_the_migration_sql_agrees(clinic):
    package = factories.sold_package(clinic, factories.client(clinic))  # LHR-6: six equal parts
    visits = [factories.redeem(clinic, package) for _ in range(3)]
    entitlement = Entitlement.objects.get(package=package)
    taxable, units = entitlement.taxable_value, entitlement.total_units
    assert entitlement.posted_value == sum(unit_value(taxable, units, n) for n in (1, 2, 3))

    # Voiding the second visit gives unit 2 back; the next visit takes it again.
    billing.void_bill(bill_id=visits[1].bill.id, reason="Entered twice", by=clinic.manager)
    entitlement.refresh_from_db()
    assert entitlement.posted_value == sum(unit_value(taxable, units, n) for n in (1, 3))
    factories.redeem(clinic, package)
    entitlement.refresh_from_db()
    kept = entitlement.posted_value
    assert kept == sum(unit_value(taxable, units, n) for n in (1, 2, 3))

    # packages/0008 computed the column from the posted redemptions: the same figure.
    migration = importlib.import_module("glowpos.packages.migrations.0008_entitlement_posted_value")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE packages_entitlement SET posted_value = 0")
        cursor.execute(migration.BACKFILL)
    entitlement.refresh_from_db()
    assert entitlement.posted_value == kept
