"""Database triggers that refuse UPDATE and DELETE on issued documents and the ledger.

The models refuse too; the triggers make it hold for every client of the database (the
admin, a shell, a bug). On SQLite, DELETE is let through only while the one-row table
`glowpos_purge_guard` says so: the test runner's flush between transactional tests is the
one caller that sets it (tests/conftest.py). PostgreSQL's flush uses TRUNCATE, which row
triggers do not see.
"""
from __future__ import annotations

IMMUTABLE_TABLES = ["documents_document", "ledger_journalentry", "ledger_posting"]


def install(apps, schema_editor) -> None:
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
        for table in IMMUTABLE_TABLES:
            run(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION glowpos_refuse_change()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        run("CREATE TABLE IF NOT EXISTS glowpos_purge_guard (allowed INTEGER NOT NULL)")
        run("INSERT INTO glowpos_purge_guard (allowed) VALUES (0)")
        for table in IMMUTABLE_TABLES:
            run(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'glowpos: {table} rows are immutable (UPDATE refused)'); END"
            )
            run(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN (SELECT allowed FROM glowpos_purge_guard) = 0 "
                f"BEGIN SELECT RAISE(ABORT, 'glowpos: {table} rows are immutable (DELETE refused)'); END"
            )


def uninstall(apps, schema_editor) -> None:
    run = schema_editor.execute
    for table in IMMUTABLE_TABLES:
        if schema_editor.connection.vendor == "postgresql":
            run(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        elif schema_editor.connection.vendor == "sqlite":
            run(f"DROP TRIGGER IF EXISTS {table}_no_update")
            run(f"DROP TRIGGER IF EXISTS {table}_no_delete")
