"""The audit log is append-only in the database too (ADR 0004): UPDATE and DELETE of an
audit event are refused by triggers, whoever asks."""
from django.db import migrations

from glowpos.ledger import immutability


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("ledger", "0002_immutability_triggers"),  # the same function and purge guard
    ]

    operations = [migrations.RunPython(*immutability.install_on(immutability.AUDIT_TABLES))]
