"""Issuing documents: take the next number of the series, freeze the snapshot."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from glowpos.db import unique_row
from glowpos.documents.models import Document, DocumentSeries
from glowpos.documents.numbering import default_prefix, format_number
from glowpos.money import financial_year
from glowpos.tenancy.models import Branch, StaffMember


def take_number(*, branch: Branch, kind: str, on: date) -> tuple[DocumentSeries, int, str]:
    """The next number of the branch's series for the financial year of `on`.

    Call inside the transaction that issues the document: the series row stays locked until
    it commits, so numbers are consecutive, and a rollback gives the number back unused.
    """
    fy = financial_year(on).label
    series = unique_row(DocumentSeries.objects.select_for_update().filter(branch=branch, kind=kind, fy=fy))
    if series is None:  # the series' first document this financial year
        DocumentSeries.objects.get_or_create(
            business_id=branch.business_id, branch=branch, kind=kind, fy=fy,
            defaults={"prefix": default_prefix(branch.code, kind)},
        )
        series = DocumentSeries.objects.select_for_update().get(branch=branch, kind=kind, fy=fy)
    seq = series.last_number + 1
    number = format_number(series.prefix, fy, seq)
    DocumentSeries.objects.filter(id=series.id).update(last_number=seq)
    return series, seq, number


def issue(*, branch: Branch, kind: str, at: datetime, on: date, by: StaffMember, bill=None, client=None,
          original: Document | None = None, totals: dict[str, int], snapshot: dict) -> Document:
    series, seq, number = take_number(branch=branch, kind=kind, on=on)
    snapshot = {**snapshot, "number": number, "kind": kind, "date": on.isoformat()}
    return Document.objects.create(
        business_id=branch.business_id, branch=branch, series=series, kind=kind, seq=seq, number=number,
        date=on, issued_at=at, bill=bill, client=client, original=original,
        taxable=totals["taxable"], cgst=totals["cgst"], sgst=totals["sgst"], igst=totals["igst"],
        round_off=totals["round_off"], total=totals["total"], snapshot=snapshot,
        # 192 bits: the public receipt link cannot be guessed or enumerated.
        receipt_token=secrets.token_urlsafe(24), issued_by=by,
    )
