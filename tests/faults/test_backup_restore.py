"""`python -m glowpos backup FILE` while the clinic works, then `restore FILE` after a day that
must be undone: the database is exactly as it was at the backup, every invariant holds, and
the next bill takes the next number — no gap, no reuse. On SQLite (online backup API) and
PostgreSQL (pg_dump / pg_restore), through the real command line."""
from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from glowpos.billing.models import Bill
from glowpos.documents.models import Document, DocumentSeries
from glowpos.ledger.models import JournalEntry
from tests import factories
from tests.faults.process import environment
from tests.faults.workload import run_day
from tests.invariants import assert_invariants

pytestmark = pytest.mark.concurrency
REPO = Path(__file__).resolve().parents[2]


def _glowpos(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "glowpos", *args], cwd=REPO, env=environment(), check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _state(business) -> dict:
    return {
        "bills": dict(Bill.objects.filter(business=business).values_list("id", "status")),
        "documents": list(Document.objects.filter(business=business).order_by("id").values_list("number", "total")),
        "entries": JournalEntry.objects.filter(business=business).count(),
        "series": dict(DocumentSeries.objects.filter(business=business).values_list("prefix", "last_number")),
    }


def test_a_restored_backup_is_the_day_as_it_was_and_the_books_still_tie(committed_db, tmp_path):
    clinic = factories.clinic()
    run_day(clinic, seed=5, terminals=2, steps=12, clients=3)
    assert_invariants(clinic.business)
    at_backup = _state(clinic.business)
    backup = tmp_path / "glowpos.backup"

    out = _glowpos("backup", str(backup)).stdout
    assert f"to {backup}" in out and backup.stat().st_size > 0

    run_day(clinic, seed=6, terminals=2, steps=12, clients=3)  # the day to undo
    assert _state(clinic.business) != at_backup

    _glowpos("restore", "--noinput", str(backup))
    connection.close()  # a fresh connection to the restored database

    assert _state(clinic.business) == at_backup
    assert_invariants(clinic.business)
    series = DocumentSeries.objects.get(branch__business=clinic.business, kind="tax_invoice")
    closed = factories.close_paid(clinic, factories.open_bill(clinic, factories.client(clinic),
                                                              ("service", clinic.service("Skin cleanup"))))
    assert closed.document.seq == series.last_number + 1  # numbering goes on from the backup
    assert_invariants(clinic.business)


def test_an_sqlite_backup_is_one_whole_database_file(committed_db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file format")
    clinic = factories.clinic()
    factories.sold_package(clinic, factories.client(clinic))
    call_command("backup", str(tmp_path / "copy.sqlite3"), verbosity=0)
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    copy.create_function("REGEXP", 2, lambda p, v: v is not None and re.search(p, v) is not None)  # for CHECKs
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal file needed beside it
    assert copy.execute("SELECT COUNT(*) FROM documents_document").fetchone()[0] >= 1
    assert not list(tmp_path.glob(".*partial"))


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(committed_db, tmp_path):
    clinic = factories.clinic()
    factories.sold_package(clinic, factories.client(clinic))
    before = _state(clinic.business)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    with pytest.raises(CommandError, match="is not"):
        call_command("restore", str(junk), interactive=False)
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing"), interactive=False)
    assert _state(clinic.business) == before
