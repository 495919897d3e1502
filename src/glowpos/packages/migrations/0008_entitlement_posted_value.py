from django.db import migrations, models

# Every entitlement's posted value from its posted redemptions, in one statement that SQLite and
# PostgreSQL both run (a correlated subquery; at a million redemptions it takes seconds).
BACKFILL = """
UPDATE packages_entitlement SET posted_value = COALESCE((
    SELECT SUM(r.value) FROM packages_redemption r
    WHERE r.entitlement_id = packages_entitlement.id AND r.status = 'posted'
), 0)
"""


class Migration(migrations.Migration):
    dependencies = [("packages", "0007_daily_job_runs")]

    operations = [
        migrations.AddField(
            model_name="entitlement",
            name="posted_value",
            field=models.BigIntegerField(
                default=0, help_text="Paise recognised here by posted redemptions (the sum of their values)."
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="entitlement",
            constraint=models.CheckConstraint(
                condition=models.Q(posted_value__gte=0) & models.Q(posted_value__lte=models.F("taxable_value")),
                name="entitlement_posted_value_within_value",
            ),
        ),
    ]
