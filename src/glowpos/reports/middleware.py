"""Reports are planned for their own parameters, every time (ADR 0012).

On PostgreSQL psycopg prepares a statement on its fifth use on a connection, and PostgreSQL may
then run it with one generic plan for all parameters. That suits the counter — every statement
finds a row or a few by id — and saves the planning of each at every close. A report's plan
depends on its parameters: a chain's year and a new clinic's week want different plans. So
while a report is computed, or streamed, the connection prepares nothing and uses no prepared
statement: each report query is planned for the business and the dates it was asked for.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

REPORT_PATHS = ("/reports/", "/api/v1/reports/")


@contextmanager
def planned_afresh(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside: no statement on this connection is prepared or run as prepared (PostgreSQL;
    elsewhere nothing changes)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    psycopg_connection = connection.connection
    before = psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = None
    try:
        yield
    finally:
        psycopg_connection.prepare_threshold = before


def _streamed_afresh(content: Iterator) -> Iterator:
    with planned_afresh():
        yield from content


class PlanReportsAfresh:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(REPORT_PATHS):
            return self.get_response(request)
        with planned_afresh():
            response = self.get_response(request)
        if response.streaming:  # a download's rows are read while it is sent, after the view returned
            response.streaming_content = _streamed_afresh(response.streaming_content)
        return response
