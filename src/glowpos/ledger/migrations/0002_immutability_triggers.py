from django.db import migrations

from glowpos.ledger import immutability


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("documents", "0001_initial"),
    ]

    operations = [migrations.RunPython(immutability.install, immutability.uninstall)]
