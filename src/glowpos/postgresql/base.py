"""Django's PostgreSQL backend, whose plain cursors are kept for the connection's next
statements instead of made anew for each (ADR 0013, "Cursors").

Django opens a psycopg cursor for every statement and closes it after: psycopg builds each a
copy of the connection's adapters and resets it, Django checks its time zone — a twentieth of
a counter visit's Python, for 40 statements. A cursor's state is its last statement's result,
which its next `execute` replaces, so a closed cursor here goes back to its connection and the
next statement takes it. Everything else is Django's backend: named (server-side) cursors
are made and closed as always, and a new connection starts with none kept.
"""
from __future__ import annotations

from django.db.backends.postgresql import base

KEPT = 4  # cursors open at once on one connection: a statement inside another's iteration


class _Kept:
    """A cursor of one connection whose close() hands it back to that connection's free list
    (a second close is a no-op, as psycopg's is)."""

    glowpos_free: list | None = None  # set by DatabaseWrapper.create_cursor
    glowpos_is_free = False

    def close(self) -> None:
        if self.glowpos_is_free:
            return
        free = self.glowpos_free
        if free is None or len(free) >= KEPT or self.closed:
            super().close()
            return
        self._reset(reset_query=False)  # its result is let go now, as psycopg's close does
        self.glowpos_is_free = True
        free.append(self)


class KeptServerBindingCursor(_Kept, base.ServerBindingCursor):
    pass


class KeptCursor(_Kept, base.Cursor):
    pass


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.glowpos_free: list = []

    def get_connection_params(self):
        params = super().get_connection_params()
        params["cursor_factory"] = (KeptServerBindingCursor if params["cursor_factory"] is base.ServerBindingCursor
                                    else KeptCursor)
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self.glowpos_free: list = []  # this connection's closed cursors, for its next statements
        return connection

    def create_cursor(self, name=None):
        if name is None and self.glowpos_free:
            cursor = self.glowpos_free.pop()
            cursor.glowpos_is_free = False
            return cursor
        cursor = super().create_cursor(name)
        if name is None:
            cursor.glowpos_free = self.glowpos_free
        return cursor
