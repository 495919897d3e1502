"""The downloadable template: the columns an import reads, with example rows made from the
business's own catalog, as .xlsx (with a "How to fill" sheet) or CSV."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from glowpos.catalog.models import PackagePlan, PlanKind, Service
from glowpos.onboarding.reader import COLUMNS, LABELS
from glowpos.tenancy.models import Business

HEADINGS = [LABELS[key] for key in COLUMNS]

NOTES = [
    ("Client name", "Required."),
    ("Phone", "Required. Any Indian format: 98765 43210, +91-98765-43210, 098765 43210. A phone already "
              "in GlowPOS matches that client (nothing about her is changed)."),
    ("Email", "Optional."),
    ("Plan", "Blank for a client without an open package. Otherwise the plan's code or name in the catalog, "
             "or the name of an old plan the catalog does not have (then fill Service: it is created as a "
             "plan that is not sold any more)."),
    ("Service", "Only for a plan the catalog does not have: the service its sessions are for."),
    ("Sessions total", "Sessions bought. Blank: the plan's number. For a plan of several services, leave "
                       "it blank."),
    ("Sessions used", "Sessions already taken (0 if none). For a plan of several services, name each: "
                      "'Gold facial 1; Hair spa 2'."),
    ("Amount paid", "Rupees paid for the package, tax included: 24000 or 24,000.00."),
    ("Purchase date", "DD/MM/YYYY (day first). Not in the future."),
    ("Expiry", "DD/MM/YYYY. Blank: purchase date + the plan's validity. Packages already expired are "
               "not imported."),
]


def _example_rows(business: Business, today: date) -> list[list]:
    plans = list(PackagePlan.objects.filter(business=business, active=True).exclude(kind=PlanKind.VALUE)
                 .prefetch_related("items__service").order_by("id"))
    single = next((p for p in plans if len(p.items.all()) == 1), None)
    multi = next((p for p in plans if len(p.items.all()) > 1), None)
    service = Service.objects.filter(business=business, active=True).order_by("id").first()
    bought = today - timedelta(days=75)
    rows = [["Ananya Iyer", "+91-99000-11223", "ananya@example.in", "", "", "", "", "", "", ""]]
    if single:
        item = single.items.all()[0]
        rows.insert(0, ["Priya Sharma", "98765 43210", "priya@example.in", single.code, "", item.units,
                        min(2, item.units), single.price // 100, bought, ""])
    if multi:
        used = "; ".join(f"{i.service.name} {min(1, i.units)}" for i in multi.items.all()[:2])
        rows.append(["Kavya Reddy", "099001 12233", "", multi.name, "", "", used, multi.price // 100,
                     bought, bought + timedelta(days=multi.validity_days)])
    if service:
        rows.append(["Meera Nair", "9845012345", "", "Old winter offer", service.name, 8, 3,
                     (service.price * 6) // 100, bought - timedelta(days=30), bought + timedelta(days=300)])
    return rows


def template_csv(business: Business, today: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    for row in _example_rows(business, today):
        writer.writerow([f"{v:%d/%m/%Y}" if isinstance(v, date) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read ₹ and names right


def template_xlsx(business: Business, today: date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Clients and packages"
    sheet.append(HEADINGS)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="7D3557")
    for row in _example_rows(business, today):
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJ", (22, 18, 24, 30, 22, 14, 26, 13, 14, 14)):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2):
        cells[1].number_format = "@"  # phone numbers as text: Excel would drop the leading 0
        for cell in cells[8:10]:
            cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("How to fill")
    notes.append(["Column", "What to write"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    for cells in notes.iter_rows(min_row=2):
        cells[1].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
