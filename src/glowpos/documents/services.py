"""Issuing documents: take the next number of the series, freeze the snapshot."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from django.db import connection

from glowpos.documents.models import Document, DocumentSeries
from glowpos.documents.numbering import default_prefix, format_number
from glowpos.money import financial_year
from glowpos.tenancy.models import Branch, StaffMember


def take_number(*, branch: Branch, kind: str, on: date) -> tuple[int, int, str]:
    """The next number of the branch's series for the financial year of `on`: (series id,
    sequence, number).

    Call inside the transaction that issues the document: the series row stays locked until
    it commits, so numbers are consecutive, and a rollback gives the number back unused.
    """
    fy = financial_year(on).label
    taken = _next_in_series(branch.id, kind, fy)
    if taken is None:  # the series' first document this financial year
        DocumentSeries.objects.get_or_create(
            business_id=branch.business_id, branch=branch, kind=kind, fy=fy,
            defaults={"prefix": default_prefix(branch.code, kind)},
        )
        taken = _next_in_series(branch.id, kind, fy)
    series_id, prefix, seq = taken
    return series_id, seq, format_number(prefix, fy, seq)


def _next_in_series(branch_id: int, kind: str, fy: str) -> tuple[int, str, int] | None:
    """Add one to the series' last number and read it back, in one statement: the UPDATE takes
    the row's lock (held to commit) and RETURNING gives the number it wrote. The ORM has no
    UPDATE … RETURNING; done with it, this was a locking SELECT and an UPDATE — two round trips
    more while every close of the branch waits on this row. None when the series does not exist."""
    table = connection.ops.quote_name(DocumentSeries._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 WHERE branch_id = %s AND kind = %s AND fy = %s"
            " RETURNING id, prefix, last_number",
            [branch_id, kind, fy],
        )
        return cursor.fetchone()


def issue(*, branch: Branch, kind: str, at: datetime, on: date, by: StaffMember, bill=None, client=None,
          original: Document | None = None, totals: dict[str, int], snapshot: dict) -> Document:
    series_id, seq, number = take_number(branch=branch, kind=kind, on=on)
    snapshot = {**snapshot, "number": number, "kind": kind, "date": on.isoformat()}
    return Document.objects.create(
        business_id=branch.business_id, branch=branch, series_id=series_id, kind=kind, seq=seq, number=number,
        date=on, issued_at=at, bill=bill, client=client, original=original,
        taxable=totals["taxable"], cgst=totals["cgst"], sgst=totals["sgst"], igst=totals["igst"],
        round_off=totals["round_off"], total=totals["total"], snapshot=snapshot,
        # 192 bits: the public receipt link cannot be guessed or enumerated.
        receipt_token=secrets.token_urlsafe(24), issued_by=by,
    )
