"""Database triggers that refuse UPDATE and DELETE on issued documents, the ledger and the
audit log.

The models refuse too; the triggers make it hold for every client of the database (the
admin, a shell, a bug). On SQLite, DELETE is let through only while the one-row table
`glowpos_purge_guard` says so: the test runner's flush between transactional tests is the
one caller that sets it (tests/conftest.py). PostgreSQL's flush uses TRUNCATE, which row
triggers do not see.

Each migration that arms tables calls `install_on(tables)` / `uninstall_on(tables)`; the
function and the guard are created if missing, so the order the apps migrate in is free.
"""
from __future__ import annotations

IMMUTABLE_TABLES = ["documents_document", "ledger_journalentry", "ledger_posting"]  # ledger/0002
AUDIT_TABLES = ["audit_auditevent"]  # audit/0002


def install_triggers(schema_editor, tables: list[str]) -> None:
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(
            """
            CREATE OR REPLACE FUNCTION glowpos_refuse_change() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'glowpos: %% rows are immutable (%% refused)', TG_TABLE_NAME, TG_OP;
            END; $$ LANGUAGE plpgsql
            """
        )
        for table in tables:
            run(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION glowpos_refuse_change()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        run("CREATE TABLE IF NOT EXISTS glowpos_purge_guard (allowed INTEGER NOT NULL)")
        run("INSERT INTO glowpos_purge_guard (allowed) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM glowpos_purge_guard)")
        for table in tables:
            run(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'glowpos: {table} rows are immutable (UPDATE refused)'); END"
            )
            run(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN (SELECT allowed FROM glowpos_purge_guard) = 0 "
                f"BEGIN SELECT RAISE(ABORT, 'glowpos: {table} rows are immutable (DELETE refused)'); END"
            )


def uninstall_triggers(schema_editor, tables: list[str]) -> None:
    run = schema_editor.execute
    for table in tables:
        if schema_editor.connection.vendor == "postgresql":
            run(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        elif schema_editor.connection.vendor == "sqlite":
            run(f"DROP TRIGGER IF EXISTS {table}_no_update")
            run(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def install_on(tables: list[str]):
    """A RunPython pair (forwards, backwards) arming `tables`."""

    def forwards(apps, schema_editor) -> None:
        install_triggers(schema_editor, tables)

    def backwards(apps, schema_editor) -> None:
        uninstall_triggers(schema_editor, tables)

    return forwards, backwards


# ledger/0002_immutability_triggers (already applied in existing databases) calls these two.
install, uninstall = install_on(IMMUTABLE_TABLES)
