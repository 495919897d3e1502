"""Spreadsheets for import tests, written the way clinics write them: CSV or a real .xlsx."""
from __future__ import annotations

import csv
import io

HEADER = ["Client name", "Phone", "Email", "Plan", "Service", "Sessions total", "Sessions used",
          "Amount paid", "Purchase date", "Expiry"]


def csv_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
