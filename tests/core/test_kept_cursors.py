"""PostgreSQL's cursors are kept for a connection's next statements (glowpos.postgresql, ADR
0013): what must hold is that no two statements ever share a cursor at once, that a closed
cursor is handed out once, and that a new connection starts with none of the old one's."""
from __future__ import annotations

import pytest
from django.db import connection, connections

from glowpos.clients.models import Client
from tests import factories

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursors are PostgreSQL's backend")


def _raw(cursor):
    return cursor.cursor  # Django's wrapper around psycopg's cursor


def test_the_project_runs_on_the_backend_that_keeps_cursors():
    from glowpos.postgresql.base import DatabaseWrapper

    assert isinstance(connections["default"], DatabaseWrapper)


def test_a_closed_cursor_serves_the_next_statement_with_that_statements_rows(clinic):
    with connection.cursor() as first:
        first.execute("SELECT 1")
        assert first.fetchone() == (1,)
    with connection.cursor() as second:
        assert _raw(second) is _raw(first)  # kept, not made anew
        second.execute("SELECT 2")
        assert second.fetchall() == [(2,)]


def test_a_statement_sent_while_another_cursor_is_open_gets_its_own(clinic):
    names = ["Asha", "Bina", "Chitra"]
    for name in names:
        factories.client(clinic, name=name)
    with connection.cursor() as outer:
        outer.execute("SELECT name FROM clients_client WHERE business_id = %s ORDER BY name", [clinic.business.id])
        read = []
        for (name,) in iter(outer.fetchone, None):
            read.append(name)
            # Another statement in the middle of reading: it must not take (and reset) `outer`.
            assert Client.objects.filter(business=clinic.business, name=name).count() == 1
        assert read == names


def test_a_cursor_closed_twice_is_handed_out_once(clinic):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cursor.close()  # again: a no-op, as psycopg's is
    with connection.cursor() as a, connection.cursor() as b:
        assert _raw(a) is not _raw(b)
        a.execute("SELECT 'a'")
        b.execute("SELECT 'b'")
        assert (a.fetchone(), b.fetchone()) == (("a",), ("b",))


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_starts_with_no_cursor_of_the_old_one():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    old = _raw(cursor)
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert _raw(cursor) is not old and not _raw(cursor).closed
        assert cursor.fetchone() == (1,)
