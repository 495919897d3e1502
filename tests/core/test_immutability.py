"""An issued document, a journal entry and a posting are never updated or deleted: the models
refuse, and the database refuses too (triggers), whoever asks: a queryset, raw SQL, a shell."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from glowpos.documents.models import Document, ImmutableError
from glowpos.ledger.models import JournalEntry, LedgerImmutable, Posting
from tests import factories


@pytest.fixture(autouse=True)
def triggers_armed(db):
    """On SQLite the delete triggers stand down only while glowpos_purge_guard says so (the flush
    after a transactional test). Arm them for this test, whatever an earlier test left behind;
    the test's transaction rolls this back."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE glowpos_purge_guard SET allowed = 0")
            cursor.execute("SELECT count(*), max(allowed) FROM glowpos_purge_guard")
            assert cursor.fetchone() == (1, 0)


@pytest.fixture
def issued(clinic):
    """A closed package sale: its tax invoice, the sale entry and that entry's postings."""
    package = factories.sold_package(clinic, factories.client(clinic))
    document = package.sale_document
    entry = JournalEntry.objects.get(document=document, kind="sale")
    return document, entry, entry.postings.order_by("id").first()


def refused_by_the_database(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_issued_document_cannot_be_changed_or_deleted_through_the_model(issued):
    document, _, _ = issued
    document.total = 0
    with pytest.raises(ImmutableError):
        document.save()
    with pytest.raises(ImmutableError):
        document.delete()
    assert Document.objects.get(id=document.id).total == 2_400_000


def test_an_issued_document_cannot_be_changed_or_deleted_in_sql(issued):
    document, _, _ = issued
    refused_by_the_database("UPDATE documents_document SET total = 0, taxable = 0 WHERE id = %s", [document.id])
    refused_by_the_database("UPDATE documents_document SET snapshot = '{}' WHERE id = %s", [document.id])
    refused_by_the_database("DELETE FROM documents_document WHERE id = %s", [document.id])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Document.objects.filter(id=document.id).update(total=0, taxable=0)
    kept = Document.objects.get(id=document.id)
    assert (kept.total, kept.number, kept.snapshot) == (document.total, document.number, document.snapshot)


def test_a_journal_entry_cannot_be_changed_or_deleted(issued):
    _, entry, _ = issued
    entry.memo = "edited"
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    refused_by_the_database("UPDATE ledger_journalentry SET memo = 'edited' WHERE id = %s", [entry.id])
    refused_by_the_database("DELETE FROM ledger_journalentry WHERE id = %s", [entry.id])
    assert JournalEntry.objects.get(id=entry.id).memo != "edited"


def test_a_posting_cannot_be_changed_or_deleted(issued):
    _, entry, posting = issued
    amount = posting.amount
    posting.amount += 1
    with pytest.raises(LedgerImmutable):
        posting.save()
    with pytest.raises(LedgerImmutable):
        posting.delete()
    refused_by_the_database("UPDATE ledger_posting SET amount = amount + 1 WHERE id = %s", [posting.id])
    refused_by_the_database("DELETE FROM ledger_posting WHERE id = %s", [posting.id])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Posting.objects.filter(id=posting.id).delete()  # a queryset delete skips Model.delete()
    assert sum(entry.postings.values_list("amount", flat=True)) == 0
    assert Posting.objects.get(id=posting.id).amount == amount
